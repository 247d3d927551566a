FROM a
RUN --bogus=1 true
