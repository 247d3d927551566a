FROM a
RUN echo \\
RUN x \ 
USER a
