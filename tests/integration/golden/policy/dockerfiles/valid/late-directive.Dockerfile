#comment first
# syntax=foo
FROM alpine
RUN ["a", "b"] 
