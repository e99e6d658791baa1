"""Observations and commands published by clients on the data topics, stored like an HTTP POST.

A payload goes through the same decoding, validation and storage as the HTTP facade (`ObservationCodec`, the
command pipeline with its forwarders); a refused one stores nothing, is logged, and is reported as a
CloudEvents error on `{prefix}/datastreams/{id}/observations:errors` (`…/commands:errors`).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson

from bridge import swe
from bridge.api.bodies import parse_json
from bridge.api.encodings.commands import command_from_record, decode_command
from bridge.api.encodings.observations import ObservationCodec
from bridge.api.encodings.streams import stream_schema
from bridge.api.media import JSON
from bridge.commands.pipeline import CommandPipeline
from bridge.errors import BridgeError, InvalidBody
from bridge.live.broker import Broker, Incoming, Message
from bridge.live.topics import DataTopic, Topics
from bridge.model.csapi import Command, ControlStream, Datastream, Kind
from bridge.model.observations import ObsRow
from bridge.model.query import FeatureQuery, IdList
from bridge.model.time import iso_us, to_us, utcnow
from bridge.settings import Limits
from bridge.store.base import Store

log = logging.getLogger("bridge.live")
ERROR_TYPE = "org.ogc.api.connected-systems.ingest.rejected"


class Ingestion:
    """Consumes the broker's incoming queue: each client publication is stored (or rejected) in turn."""

    def __init__(self, store: Store, pipeline: CommandPipeline, broker: Broker, topics: Topics, limits: Limits) -> None:
        self.store = store
        self.pipeline = pipeline
        self.broker = broker
        self.topics = topics
        self.limits = limits
        self.stored = 0  # observations stored from MQTT since start
        self.rejected = 0

    async def run(self) -> None:
        """Handle publications until cancelled."""
        while True:
            item = await self.broker.incoming.get()
            await self.handle(item)

    async def handle(self, item: Incoming) -> None:
        """Store one publication, or report why it was refused."""
        topic = self.topics.parse_data(item.topic)
        if topic is None:
            return
        try:
            if topic.media_type is None:
                raise InvalidBody(
                    f"unknown format token '{topic.token}' (use json, om-json, swe-json, swe-csv, swe-binary)"
                )
            if topic.collection == "datastreams":
                self.stored += await self._observations(topic, item.payload)
            else:
                await self._commands(topic, item.payload)
        except BridgeError as exc:
            await self._reject(topic, item.topic, exc.status, str(exc))
        except Exception as exc:  # a store failure: reported without internals, logged in full
            log.exception("MQTT publication on %s could not be stored", item.topic)
            await self._reject(topic, item.topic, 500, f"the publication could not be stored ({type(exc).__name__})")

    async def _observations(self, topic: DataTopic, payload: bytes) -> int:
        ds = await self.store.get_stream(Kind.DATASTREAM, topic.stream_id)
        assert isinstance(ds, Datastream)
        codec = ObservationCodec(ds, stream_schema(ds))
        media = str(topic.media_type)
        if media != JSON and media not in codec.schema.formats:
            raise InvalidBody(f"this datastream accepts {', '.join(codec.schema.formats)}")
        if not payload.strip():
            raise InvalidBody("the publication is empty")
        rows = codec.decode_body(media, payload, self.limits)
        await self._check_sampling_features(rows)
        result = await self.store.insert_observations(ds.id, rows, want_ids=False)
        return result if isinstance(result, int) else len(result)

    async def _check_sampling_features(self, rows: list[ObsRow]) -> None:
        fois = sorted({r.foi for r in rows if r.foi})
        if not fois:
            return
        page = await self.store.list_features(
            FeatureQuery(kind=Kind.SAMPLING_FEATURE, ids=IdList(local=tuple(fois)), limit=len(fois))
        )
        missing = sorted(set(fois) - {f.id for f in page.items})
        if missing:
            names = ", ".join(repr(m) for m in missing)
            raise InvalidBody(f"samplingFeature@id: no sampling feature {names} on this server")

    async def _commands(self, topic: DataTopic, payload: bytes) -> None:
        stream = await self.store.get_stream(Kind.CONTROL_STREAM, topic.stream_id)
        assert isinstance(stream, ControlStream)
        for command in self._decode_commands(stream, str(topic.media_type), payload):
            await self.pipeline.submit(stream, command, None)

    def _decode_commands(self, stream: ControlStream, media: str, payload: bytes) -> list[Command]:
        schema = stream_schema(stream)
        if media != JSON:
            if media not in schema.formats:
                raise InvalidBody(f"this control stream accepts {', '.join(schema.formats)}")
            try:
                records = schema.codec(media).decode(payload)
            except swe.SweDecodeError as exc:
                raise InvalidBody(f"invalid {media} publication: {exc}") from None
            return [command_from_record(r, schema, stream, i) for i, r in enumerate(records)]
        body: Any = parse_json(payload, self.limits, "the publication")
        if isinstance(body, list):
            return [decode_command(b, stream, schema, i + 1) for i, b in enumerate(body)]
        return [decode_command(body, stream, schema)]

    async def _reject(self, topic: DataTopic, where: str, status: int, reason: str) -> None:
        self.rejected += 1
        log.warning("MQTT publication on %s refused (%s): %s", where, status, reason)
        event = {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "csapi-bridge",
            "type": ERROR_TYPE,
            "subject": where,
            "time": iso_us(to_us(utcnow())),
            "datacontenttype": JSON,
            "data": {"topic": where, "status": status, "detail": reason},
        }
        message = Message(self.topics.errors(topic.collection, topic.stream_id), orjson.dumps(event))
        await self.broker.publish([message], timeout=5.0)
