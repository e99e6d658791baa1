"""MQTT topic names of the live transport (the CSAPI Pub/Sub convention, as OpenSensorHub serves it).

Data topics mirror the resource path with a `:data` suffix and an optional format token; event topics are the
resource or collection path itself; the older OpenSensorHub form (leading `/`, no `:data`, no token) is optional.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bridge import swe
from bridge.api.media import JSON

# format token → media type (`om-json`: the bridge's observation JSON is O&M JSON, as `application/om+json`)
TOKEN_MEDIA = {
    "json": JSON,
    "om-json": JSON,
    "swe-json": swe.SWE_JSON,
    "swe-csv": swe.SWE_CSV,
    "swe-binary": swe.SWE_BINARY,
}
DATA = re.compile(r"^(datastreams|controlstreams)/([^/]+)/(observations|commands):data(?:/([^/]+))?$")


@dataclass(slots=True, frozen=True)
class DataTopic:
    """A parsed data topic a client published on: the stream, and the media type of the payload."""

    collection: str  # datastreams | controlstreams
    stream_id: str
    token: str | None

    @property
    def media_type(self) -> str | None:
        """The payload's media type (JSON without a token), None for an unknown token."""
        return JSON if self.token is None else TOKEN_MEDIA.get(self.token)


class Topics:
    """Topic names under one prefix (`csapi` → `csapi/datastreams/…`; empty → `datastreams/…`)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix.strip("/")
        self._head = f"{self.prefix}/" if self.prefix else ""

    def path(self, *parts: str) -> str:
        """The topic of a resource path (`systems`, `systems/{id}`…)."""
        return self._head + "/".join(parts)

    def legacy(self, *parts: str) -> str:
        """The older OpenSensorHub form of a resource path: a leading `/`, no `:data`, no format token."""
        return "/" + self.path(*parts)

    def observations(self, ds_id: str, token: str | None = None) -> str:
        """`{prefix}/datastreams/{id}/observations:data[/{token}]`."""
        return self.path("datastreams", ds_id, "observations:data" + (f"/{token}" if token else ""))

    def commands(self, cs_id: str, token: str | None = None) -> str:
        """`{prefix}/controlstreams/{id}/commands:data[/{token}]`."""
        return self.path("controlstreams", cs_id, "commands:data" + (f"/{token}" if token else ""))

    def status(self, cs_id: str) -> str:
        """`{prefix}/controlstreams/{id}/status:data`: every status report of the stream's commands."""
        return self.path("controlstreams", cs_id, "status:data")

    def command_status(self, cmd_id: str) -> str:
        """`{prefix}/commands/{id}/status:data`: the status reports of one command."""
        return self.path("commands", cmd_id, "status:data")

    def errors(self, collection: str, stream_id: str) -> str:
        """Where a rejected client publication is reported: `{prefix}/datastreams/{id}/observations:errors`…"""
        member = "observations" if collection == "datastreams" else "commands"
        return self.path(collection, stream_id, f"{member}:errors")

    def subscriptions(self) -> list[str]:
        """The data topics the bridge listens to for client observations and commands."""
        return [
            self.path("datastreams", "+", "observations:data"),
            self.path("datastreams", "+", "observations:data", "+"),
            self.path("controlstreams", "+", "commands:data"),
            self.path("controlstreams", "+", "commands:data", "+"),
        ]

    def parse_data(self, topic: str) -> DataTopic | None:
        """The stream and format of a data topic under this prefix, None for any other topic."""
        if not topic.startswith(self._head):
            return None
        found = DATA.match(topic[len(self._head) :])
        if found is None:
            return None
        return DataTopic(found.group(1), found.group(2), found.group(4))
