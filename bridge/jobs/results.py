"""Results of harvested commands that only the store can complete: links to the datastreams the bridge holds.

A harvested SPS task carries the `external@link` results of its DescribeResultAccess answer (mapped like the
forwarder's); where a reference names a service the bridge also harvested (e.g. the SOS where the task's data
lands), the tasked system's datastreams from that service are linked as `datastream@link` results — what the SPS
forwarder adds to a command sent through the facade.
"""

from __future__ import annotations

from typing import Any

from bridge.errors import NotFound
from bridge.mapping.sps2_status import datastream_results
from bridge.model.csapi import Datastream, Kind
from bridge.model.harvest import MappedBatch
from bridge.model.query import IdList, StreamQuery


async def link_datastreams(store: Any, source: str, batch: MappedBatch) -> None:
    """Add the `datastream@link` results of the batch's commands (a store that cannot list streams adds none)."""
    get_stream, list_streams = getattr(store, "get_stream", None), getattr(store, "list_streams", None)
    if get_stream is None or list_streams is None:
        return
    for command, _ in batch.commands:
        results = batch.command_results.get(command.id, [])
        links = [r for r in results if r.link_member == "external@link"]
        if not links or command.provenance is None:
            continue
        try:
            stream = await get_stream(Kind.CONTROL_STREAM, command.controlstream_id)
        except NotFound:
            continue
        query = StreamQuery(Kind.DATASTREAM, limit=10_000, system=IdList(local=(stream.system_id,)))
        datastreams = [s for s in (await list_streams(query)).items if isinstance(s, Datastream)]
        for result in datastream_results(source, command.provenance.legacy_id, links, datastreams):
            result.command_id = command.id
            results.append(result)
