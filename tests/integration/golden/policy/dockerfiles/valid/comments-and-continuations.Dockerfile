# syntax=docker/dockerfile:1
# first comment
  # indented comment
#
# after empty
FROM alpine:3.20 AS base
# between
RUN echo a \
  # inside continuation
  && echo b \

  && echo c
COPY --chmod=755 --link src dst
run <<EOF
echo heredoc
EOF
ENV X="a b" Y=c\ d Z=
LABEL a=b \
      c="d e"
ARG A B=2
HEALTHCHECK NONE
FROM --platform=$BUILDPLATFORM golang:1.22 AS build
EXPOSE 80	 443
CMD ["a", 
ONBUILD COPY --from=x a b
ENTRYPOINT [ "x" , "y" ]
USER app
# trailing
