FROM python:3.12-slim@sha256:2be8daddbb82756f7d1f2c7ece706aadcb284bf6ab6d769ea695cc3ed6016743
# ruleid: idp.dockerfile.secret-in-env
ENV DB_PASSWORD=sup3r-s3cret
# ruleid: idp.dockerfile.secret-in-env
ARG NPM_TOKEN="n0t-a-real-t0ken-4eC39HqLyjWD"
# ok: idp.dockerfile.secret-in-env
ARG NPM_TOKEN
# ok: idp.dockerfile.secret-in-env
ENV DB_PASSWORD_FILE=/run/secrets/db_password
# ok: idp.dockerfile.secret-in-env
ENV API_KEY=$API_KEY
# ok: idp.dockerfile.secret-in-env
ENV PORT=8080
