FROM a
ENV foo
