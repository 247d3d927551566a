# syntax=docker/dockerfile:1
ARG BASE=python:3.12-slim
FROM ${BASE} AS build
ENV A=1 B="two words" \
    C=3
ENV OLD style value
LABEL org.opencontainers.image.source="https://x" maintainer=me
RUN apt-get update && \
    apt-get install -y curl  # comment-ish
RUN ["echo", "hi"]
COPY --from=build --chown=1000:1000 /a /b
ADD https://example.com/x.tgz /tmp/
ONBUILD RUN echo onbuild
HEALTHCHECK --interval=5m CMD curl -f http://localhost/ || exit 1
EXPOSE 8080/tcp 9090
USER 1000:1000
WORKDIR /app
FROM scratch
COPY --from=build /b /c
ENTRYPOINT ["/c"]
CMD echo help
SHELL ["/bin/bash", "-c"]
STOPSIGNAL SIGTERM
VOLUME ["/data", "/logs"]
VOLUME /x /y
maintainer someone
