# escape=\
from alpine
ENV A=1 \
 B=2
COPY <<EOF /x
hi
EOF
COPY ["a b", "c"]
ADD --checksum=sha256:abc https://x/y /z
RUN --mount=type=cache,target=/root/.cache pip install x
SHELL ["pwsh"]
expose 80
