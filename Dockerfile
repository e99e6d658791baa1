# csapi-bridge server image: the facade on an SQLite volume by default.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bridge ./bridge
COPY mappings ./mappings
COPY fixtures/csapi ./fixtures/csapi
COPY config ./config
RUN pip install .

RUN useradd --system --home /data bridge && mkdir -p /data && chown bridge /data
USER bridge
VOLUME ["/data"]
EXPOSE 8080

ENV BRIDGE_STORE=sqlite:////data/csapi-bridge.db BRIDGE_HOST=0.0.0.0 BRIDGE_PORT=8080
ENTRYPOINT ["csapi-bridge"]
CMD ["serve"]
