# csapi-bridge server image: the facade on an SQLite volume by default.
# The wheel carries every data file (mapping tables, JSON Schemas, the demo set): the image holds no source tree.
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md .gitignore ./
COPY bridge ./bridge
COPY mappings ./mappings
COPY fixtures/csapi ./fixtures/csapi
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl && rm -rf /wheels
COPY config/bridge.example.toml /etc/csapi-bridge/bridge.example.toml

RUN useradd --system --home /data bridge && mkdir -p /data && chown bridge /data
USER bridge
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080

ENV BRIDGE_STORE=sqlite:////data/csapi-bridge.db BRIDGE_HOST=0.0.0.0 BRIDGE_PORT=8080
ENTRYPOINT ["csapi-bridge"]
# `serve --demo` loads the demo set shipped in the wheel; `harvest --source …` migrates a legacy service
CMD ["serve"]
