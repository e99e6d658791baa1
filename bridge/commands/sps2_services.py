"""The SPS 2.0 services the forwarder talks to, one per source, found from a control stream's provenance.

A control stream harvested from an SPS carries `Provenance(source, "SpsTasking", procedure, via=endpoint)`
(or `SpsReservation`/`SpsConfirmation` for the streams linked to it when the SPS offers Reserve/Confirm).
The service is the configured source of that name (its HTTP limits, its mapping overrides: status
table and parameter encoding), or — for a stream harvested with `harvest --source sps:URL` and no
configuration — the endpoint recorded in the provenance, with default limits. Clients are created on
first use (inside the server's event loop) and kept until `aclose`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from bridge.errors import BridgeError, UpstreamError
from bridge.mapping.sps2 import description_from_schema
from bridge.mapping.sps2_status import status_table_for
from bridge.mapping.sps2_status_table import StatusTable
from bridge.mapping.tables import load_table
from bridge.model.csapi import ControlStream
from bridge.model.legacy.sps2 import TaskingDescription
from bridge.settings import SourceConfig
from bridge.sources.http import HttpPolicy, PoliteClient, source_client
from bridge.sources.sps2 import SpsClient

log = logging.getLogger("bridge.commands.sps")
TASKING, RESERVATIONS, CONFIRMATIONS = "SpsTasking", "SpsReservation", "SpsConfirmation"
STREAM_ENTITIES = (TASKING, RESERVATIONS, CONFIRMATIONS)  # a procedure's control streams (see mappings/sps2)


@dataclass(slots=True)
class SpsService:
    """One SPS endpoint with its client, status table and parameter encoding."""

    name: str
    endpoint: str
    http: PoliteClient
    client: SpsClient
    table: StatusTable
    encoding: dict[str, Any]
    descriptions: dict[str, TaskingDescription] = field(default_factory=dict)
    poll_interval: float | None = None  # how often the bridge polls GetStatus (checked against minStatusTime)

    async def ready(self) -> SpsService:
        """Read the capabilities once (which operations and profiles are offered, idempotent Submit)."""
        if self.client.capabilities is None:
            caps = await self.client.get_capabilities()
            keep = caps.min_status_seconds
            if keep is not None and self.poll_interval is not None and self.poll_interval * 2 > keep:
                log.warning(
                    "SPS '%s' keeps a task's status for %s (minStatusTime) but commands are polled every %g s: "
                    "states may be purged before they are seen; lower command_poll_interval",
                    self.name, caps.min_status_time, self.poll_interval,
                )  # fmt: skip
        return self

    async def description(self, procedure: str) -> TaskingDescription:
        """DescribeTasking of a procedure (cached), with the deployment's text encoding applied."""
        found = self.descriptions.get(procedure)
        if found is None:
            found = await self.client.describe_tasking(procedure)
            if found.encoding.get("type") == "TextEncoding":
                found.encoding.update(self.encoding)
            self.descriptions[procedure] = found
        return found

    def known_description(self, stream: ControlStream) -> TaskingDescription | None:
        """The description without I/O: the cached live one, else rebuilt from the stored command schema."""
        procedure = stream.provenance.legacy_id if stream.provenance else ""
        return self.descriptions.get(procedure) or description_from_schema(stream.schema, procedure, self.encoding)


def _encoding(source: SourceConfig | None) -> dict[str, Any]:
    table = load_table("sps2", "entities", source.mappings if source else None)
    return {k: v for k, v in table.lookups.get("parameter_encoding", {}).items() if v is not None}


class SpsServices:
    """The SPS services of a deployment, by source name."""

    def __init__(
        self,
        sources: Sequence[SourceConfig] = (),
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: HttpPolicy | None = None,
        poll_interval: float | None = None,
    ) -> None:
        self.sources: Mapping[str, SourceConfig] = {s.name: s for s in sources if s.type == "sps"}
        self.poll_interval = poll_interval
        self.transport = transport
        self.policy = policy or HttpPolicy()
        self._services: dict[str, SpsService] = {}

    def service(self, stream: ControlStream) -> SpsService:
        """The (possibly new, not yet contacted) service of a control stream."""
        prov = stream.provenance
        if prov is None or prov.legacy_type not in STREAM_ENTITIES:
            raise UpstreamError(f"control stream {stream.id} was not harvested from an SPS")
        found = self._services.get(prov.source)
        if found is not None:
            return found
        source = self.sources.get(prov.source)
        endpoint = source.url if source else prov.via
        if not endpoint:
            raise UpstreamError(f"control stream {stream.id}: SPS source '{prov.source}' is not configured")
        http = source_client(source, self.policy, transport=self.transport)
        table = status_table_for(source.mappings if source else None)
        found = SpsService(prov.source, endpoint, http, SpsClient(endpoint, http), table, _encoding(source))
        found.poll_interval = self.poll_interval
        self._services[prov.source] = found
        return found

    async def ready(self, stream: ControlStream) -> SpsService:
        """The service of a stream with its capabilities read (UpstreamError when unreachable)."""
        service = self.service(stream)
        try:
            return await service.ready()
        except BridgeError as exc:
            raise UpstreamError(f"SPS '{service.name}' at {service.endpoint}: {exc.description}") from exc

    async def aclose(self) -> None:
        """Close every HTTP client."""
        for service in self._services.values():
            await service.http.aclose()
        self._services.clear()
