FROM debian:12-slim@sha256:b4042f895d5d1f8df415caebe7c416f9dbcf0dc8867abb225955006de50b21f3
# ruleid: idp.dockerfile.curl-pipe-shell
RUN curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
# ok: idp.dockerfile.curl-pipe-shell
RUN curl -fsSLo /tmp/setup.sh https://deb.nodesource.com/setup_20.x \
    && echo "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  /tmp/setup.sh" | sha256sum -c -
# ok: idp.dockerfile.curl-pipe-shell
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates
