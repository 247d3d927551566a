FROM node:22-alpine@sha256:9bef0ef1e268f60627da9ba7d7605e8831d5b56ad07487d24d1aa386336d1944
WORKDIR /app
# ruleid: idp.dockerfile.chmod-world-writable
RUN chmod -R 777 /app
# ok: idp.dockerfile.chmod-world-writable
RUN chmod 750 /app && chown node:node /app
