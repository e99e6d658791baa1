# csapi-bridge image: one image for every role of a fleet (`serve`, `worker`, `migrate-store`; see compose.yaml).
# The wheel carries every data file (mapping tables, JSON Schemas, migrations, the demo set): the image holds no
# source tree. By default the facade runs on an SQLite volume; set BRIDGE_STORE to PostgreSQL for a fleet.
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md .gitignore ./
COPY bridge ./bridge
COPY mappings ./mappings
# the wheel force-includes the demo set and the recordings of the replayed legacy services (pyproject.toml)
COPY fixtures ./fixtures
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl && rm -rf /wheels
COPY config/bridge.example.toml /etc/csapi-bridge/bridge.example.toml

# a fixed uid, so that a volume prepared on the host (chown 10001) is writable by the process
RUN useradd --system --uid 10001 --home /data bridge && mkdir -p /data && chown bridge /data
USER bridge
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080

ENV BRIDGE_STORE=sqlite:////data/csapi-bridge.db BRIDGE_HOST=0.0.0.0 BRIDGE_PORT=8080
# liveness: the process answers /health (the image has no curl; Python is there)
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('BRIDGE_PORT', '8080') + '/health', timeout=3)"]
ENTRYPOINT ["csapi-bridge"]
# `serve --demo` loads the demo set shipped in the wheel; `migrate-store` upgrades the store's schema;
# `harvest --source …` migrates a legacy service; `worker` runs the scheduled harvests and command polling
CMD ["serve"]
