# syntax=docker/dockerfile:1

# hello
FROM alpine


# lonely

RUN x
