"""The command forwarders of a deployment, built once from `Settings.sources` and injected into the app."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from bridge.commands.base import Forwarder
from bridge.commands.sps2 import SpsForwarder
from bridge.commands.sta_tasking import StaTaskingForwarder
from bridge.settings import Settings


def build_forwarders(settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> list[Forwarder]:
    """The SPS 2.0 and SensorThings Tasking forwarders.

    Each serves every control stream harvested from its protocol: a configured source of the stream's
    provenance name lends its HTTP limits and mapping overrides; a stream harvested from a bare
    `sps:URL`/`sta:URL` is reached at the endpoint its provenance recorded.
    """
    return [
        SpsForwarder(settings.sources, transport=transport, poll_interval=settings.command_poll_interval),
        StaTaskingForwarder(settings.sources, transport=transport),
    ]


async def close_forwarders(forwarders: Sequence[object]) -> None:
    """Close the HTTP clients of forwarders that hold some."""
    for forwarder in forwarders:
        close = getattr(forwarder, "aclose", None)
        if close is not None:
            await close()
