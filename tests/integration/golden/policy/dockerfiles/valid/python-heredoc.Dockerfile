FROM python:3.12-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN <<-EOT bash
	set -euo pipefail
	apt-get update
	apt-get install -y --no-install-recommends curl
	rm -rf /var/lib/apt/lists/*
	EOT
COPY <<EOF /etc/app.conf
[app]
listen = 0.0.0.0:8000
EOF
RUN useradd --create-home --uid 10001 app
USER app
WORKDIR /home/app
ADD --chown=app:app --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/tool.tar.gz /tmp/
ONBUILD COPY --chown=app requirements.txt .
ONBUILD RUN pip install -r requirements.txt
STOPSIGNAL SIGINT
CMD ["python", "-m", "app"]
