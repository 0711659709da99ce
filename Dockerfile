# piigate: the SMTP gate as a container. Build: docker build -t piigate .
# Slim Python base, dependencies (the spaCy model among them) pinned by version and hash and
# baked into the image, an unprivileged user, a health check on the HTTP listener.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed numeric uid/gid, so volume ownership is predictable on the host.
RUN groupadd --system --gid 10025 piigate \
    && useradd --system --uid 10025 --gid 10025 --create-home --home-dir /var/lib/piigate \
       --shell /usr/sbin/nologin piigate

# The OCR engine's English model (Debian's tesseract-ocr-eng; tesserocr brings the library),
# and the programs some formats are read with (README "Extraction"): catdoc (Word 97-2003),
# unar (RAR; 7z in methods py7zr lacks, BCJ2) and LibreOffice Impress headless (PowerPoint
# 97-2003).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr-eng \
       catdoc unar libreoffice-impress-nogui \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/piigate
# Dependencies first (and the spaCy model with them), pinned by version and hash.
COPY requirements/run.txt requirements/run.txt
RUN pip install --require-hashes -r requirements/run.txt
COPY pyproject.toml README.md ./
COPY src src
COPY config config
COPY rules rules
RUN pip install --no-deps .

USER 10025:10025
WORKDIR /var/lib/piigate
# In a container the listeners face the container network; clients.networks still limits
# who may send (set PIIGATE_CLIENTS__NETWORKS to the MTA's network, see docker-compose.yml).
# The HTTP listener (/metrics, /healthz and the review pages at /review) has no TLS of its
# own, and a container must bind 0.0.0.0 for its port to be published at all, so the image
# says so explicitly (review.allow_plain_http): publish 8025 on the host's loopback only
# (-p 127.0.0.1:8025:8025) or behind a TLS-terminating proxy; or set
# PIIGATE_REVIEW__MOUNT=false to keep the pages off this listener.
ENV PIIGATE_LISTEN=0.0.0.0:10025 \
    PIIGATE_HTTP__LISTEN=0.0.0.0:8025 \
    PIIGATE_REVIEW__ALLOW_PLAIN_HTTP=true
EXPOSE 10025 8025
VOLUME ["/var/lib/piigate"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8025/healthz', timeout=4)"]
# Keys are created on first start in the (volume-backed) working directory, then kept;
# or pass them in the environment (PIIGATE_QUARANTINE__KEY) from a secret store.
CMD ["sh", "-c", "piigate keys init && exec piigate serve"]
