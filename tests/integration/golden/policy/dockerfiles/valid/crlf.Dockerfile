FROM alpine
RUN echo a \
 b
# c
USER 1
