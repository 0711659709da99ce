# piigate: the SMTP gate as a container. Build: docker build -t piigate .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --system --create-home --home-dir /var/lib/piigate --shell /usr/sbin/nologin piigate

WORKDIR /opt/piigate
# Dependencies first (and the spaCy model with them), pinned by version and hash.
COPY requirements/run.txt requirements/run.txt
RUN pip install --require-hashes -r requirements/run.txt
COPY pyproject.toml README.md ./
COPY src src
COPY config config
COPY rules rules
RUN pip install --no-deps .

USER piigate
WORKDIR /var/lib/piigate
ENV PIIGATE_LISTEN=0.0.0.0:10025
EXPOSE 10025
# Keys are created on first start in the (volume-backed) working directory, then kept.
CMD ["sh", "-c", "piigate keys init && exec piigate serve"]
