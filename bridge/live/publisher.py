"""The outbox drainer: publishes what the store committed, in commit order, at QoS 1, and remembers where it is.

A round reads outbox entries after the stored position, turns them into messages (observations in every
configured format, commands, status reports, CloudEvents), publishes them and waits for every PUBACK; only then
is the position moved past them. A crash or a broker outage in between republishes the round: subscribers see
each message at least once and drop repeats by the message's own id (observation/command/status `id`,
CloudEvents `id`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import orjson

from bridge.api.encodings.commands import command_to_record, encode_command, encode_status
from bridge.api.encodings.observations import ObservationCodec
from bridge.api.encodings.streams import stream_schema
from bridge.api.links import LinkContext
from bridge.api.media import JSON
from bridge.errors import NotFound
from bridge.live.broker import Broker, Message
from bridge.live.config import MqttSettings
from bridge.live.topics import TOKEN_MEDIA, Topics
from bridge.model.csapi import ControlStream, Datastream, Kind
from bridge.model.observations import StoredObservation
from bridge.model.time import iso_us
from bridge.store.sql.outbox import OutboxRow
from bridge.store.sql.store import SqlStore

log = logging.getLogger("bridge.live")
CHUNK = 1000  # observations read, encoded and published per step (the event loop runs between steps)
EVENT_TYPES = {action: f"org.ogc.api.connected-systems.resource.{action}d" for action in ("create", "update", "delete")}
SPEC = "1.0"


class Encoders:
    """Per-stream encoders, built once per stream and kept while the publisher runs."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self._codecs: dict[str, ObservationCodec] = {}
        self._streams: dict[str, ControlStream] = {}

    async def codec(self, ds_id: str) -> ObservationCodec | None:
        """The observation codec of a datastream (None once it is deleted)."""
        found = self._codecs.get(ds_id)
        if found is None:
            try:
                ds = await self.store.get_stream(Kind.DATASTREAM, ds_id)
            except NotFound:
                return None
            assert isinstance(ds, Datastream)
            found = self._codecs[ds_id] = ObservationCodec(ds, stream_schema(ds))
        return found

    async def control_stream(self, cs_id: str) -> ControlStream | None:
        """A control stream (None once it is deleted)."""
        found = self._streams.get(cs_id)
        if found is None:
            try:
                stream = await self.store.get_stream(Kind.CONTROL_STREAM, cs_id)
            except NotFound:
                return None
            assert isinstance(stream, ControlStream)
            found = self._streams[cs_id] = stream
        return found

    def forget(self, kind: str, rid: str) -> None:
        """Drop a stream's cached encoders (its schema may have changed)."""
        self._codecs.pop(rid, None) if kind == "datastreams" else self._streams.pop(rid, None)


class Publisher:
    """Drains the store's outbox to the broker; `run()` loops until cancelled."""

    name = "mqtt"

    def __init__(self, store: SqlStore, broker: Broker, cfg: MqttSettings, base_url: str, idle: float = 0.05) -> None:
        self.store = store
        self.broker = broker
        self.cfg = cfg
        self.topics = Topics(cfg.prefix)
        self.ctx = LinkContext(base_url.rstrip("/"), "/")
        self.encoders = Encoders(store)
        self.idle = idle
        self.wake = asyncio.Event()
        self.published = 0  # messages acknowledged by the broker since start

    async def run(self) -> None:
        """Publish rounds forever; while the broker is unreachable wait for it, then resume from the position."""
        position = await self.store.outbox.position(self.name)
        self.store.outbox.notify(self.wake.set)
        while True:
            await self.broker.connected.wait()
            try:
                rows = await self.store.outbox.read(position, self.cfg.batch)
            except Exception:  # the store may be briefly unavailable; the next round retries
                log.exception("reading the live outbox failed")
                await asyncio.sleep(1.0)
                continue
            if not rows:
                self.wake.clear()
                with contextlib.suppress(TimeoutError):  # (not wait_for: on 3.11 it can swallow a cancel)
                    async with asyncio.timeout(self.idle):
                        await self.wake.wait()
                await asyncio.sleep(0.001)  # the commit hook runs just before the commit itself completes
                continue
            try:
                done = await self.publish_rows(rows)
                if done:
                    position = rows[-1].pk
                    await self.store.outbox.advance(self.name, position)
            except Exception:  # a store error while encoding or advancing: the round is retried, never skipped
                log.exception("publishing outbox entries %s..%s failed; retrying", rows[0].pk, rows[-1].pk)
                done = False
            if not done:
                await asyncio.sleep(0.2)  # the connection dropped: the round is republished once it is back

    async def publish_rows(self, rows: list[OutboxRow]) -> bool:
        """Publish the messages of some outbox rows; True once the broker acknowledged all of them."""
        for row in rows:
            entry = row.entry
            if entry.kind == "observations":
                ok = await self._observations(entry.ref, int(entry.lo or 0), int(entry.hi or 0))
            else:
                messages = await self._messages(row)
                ok = await self.broker.publish(messages)
                self.published += len(messages) if ok else 0
            if not ok:
                return False
        return True

    async def _observations(self, ds_id: str, lo: int, hi: int) -> bool:
        codec = await self.encoders.codec(ds_id)
        if codec is None:
            return True  # the datastream is gone: nothing left to publish
        while lo < hi:
            chunk = await self.store.observations.key_range(ds_id, lo, hi, CHUNK)
            if not chunk:
                return True
            messages = list(self.observation_messages(codec, chunk))
            if not await self.broker.publish(messages):
                return False
            self.published += len(messages)
            lo = chunk[-1].pk
        return True

    def observation_messages(self, codec: ObservationCodec, rows: list[StoredObservation]) -> Iterator[Message]:
        """Each observation on `…/observations:data` (JSON) and on each configured format token it supports."""
        ds_id = codec.ds_id
        default = self.topics.observations(ds_id)
        legacy = self.topics.legacy("datastreams", ds_id, "observations") if self.cfg.legacy_topics else None
        swe_tokens = [(t, m) for t in self.cfg.formats if (m := TOKEN_MEDIA[t]) != JSON and m in codec.schema.formats]
        json_tokens = [t for t in self.cfg.formats if TOKEN_MEDIA[t] == JSON]
        swe_codecs = [(self.topics.observations(ds_id, t), codec.schema.codec(m)) for t, m in swe_tokens]
        json_topics = [self.topics.observations(ds_id, t) for t in json_tokens]
        to_json, to_record = codec.to_json, codec.to_record
        for row in rows:
            body = orjson.dumps(to_json(row))
            yield Message(default, body)
            for topic in json_topics:
                yield Message(topic, body)
            if legacy is not None:
                yield Message(legacy, body)
            if swe_codecs:
                record = [to_record(row)]
                for topic, swe_codec in swe_codecs:
                    yield Message(topic, b"".join(swe_codec.encode(record)))

    async def _messages(self, row: OutboxRow) -> list[Message]:
        entry = row.entry
        if entry.kind == "command":
            return await self._command(entry.ref)
        if entry.kind == "status":
            return await self._status(entry.ref)
        return self._event(row)

    async def _command(self, cmd_id: str) -> list[Message]:
        try:
            cmd = await self.store.get_command(cmd_id)
        except NotFound:
            return []
        body = orjson.dumps(encode_command(cmd, self.ctx, True))
        out = [Message(self.topics.commands(cmd.controlstream_id), body)]
        out += [Message(self.topics.commands(cmd.controlstream_id, t), body) for t in self.cfg.formats if t == "json"]
        stream = await self.encoders.control_stream(cmd.controlstream_id)
        if stream is not None:
            schema = stream_schema(stream)
            for token in self.cfg.formats:
                media = TOKEN_MEDIA[token]
                if media != JSON and media in schema.formats:
                    encoded = b"".join(schema.codec(media).encode([command_to_record(cmd, schema)]))
                    out.append(Message(self.topics.commands(cmd.controlstream_id, token), encoded))
        if self.cfg.legacy_topics:
            out.append(Message(self.topics.legacy("controlstreams", cmd.controlstream_id, "commands"), body))
        return out

    async def _status(self, status_id: str) -> list[Message]:
        status = await self.store.commands.status_by_id(status_id)
        if status is None:
            return []
        try:
            cmd = await self.store.get_command(status.command_id)
        except NotFound:
            return []
        body = orjson.dumps(encode_status(status, self.ctx))
        out = [
            Message(self.topics.status(cmd.controlstream_id), body),
            Message(self.topics.command_status(cmd.id), body),
        ]
        if self.cfg.legacy_topics:
            out.append(Message(self.topics.legacy("controlstreams", cmd.controlstream_id, "status"), body))
        return out

    def _event(self, row: OutboxRow) -> list[Message]:
        """A CloudEvents 1.0 JSON event on the collection topic, the resource topic and the parent's collection."""
        doc: dict[str, Any] = dict(row.entry.doc or {})
        action, path, rid, parent = doc["action"], doc["path"], row.entry.ref, doc.get("parent")
        if path in ("datastreams", "controlstreams") and action != "create":
            self.encoders.forget(path, rid)
        event = cloud_event(row, self.ctx, action, path, rid)
        body = orjson.dumps(event)
        if path == Kind.SYSTEM_EVENT.value:
            topics = [self.topics.path(path), self.topics.path("systems", str(parent), "events")]
        else:
            topics = [self.topics.path(path), self.topics.path(path, rid)]
            if parent is not None:
                topics.append(self.topics.path("systems", str(parent), path))
        return [Message(t, body) for t in topics]


def cloud_event(row: OutboxRow, ctx: LinkContext, action: str, path: str, rid: str) -> dict[str, Any]:
    """The CloudEvents 1.0 JSON of a resource event (id: the outbox key, stable across republication)."""
    href = ctx.href(f"/{path}/{rid}")
    return {
        "specversion": SPEC,
        "id": str(row.pk),
        "source": ctx.root or "csapi-bridge",
        "type": EVENT_TYPES[action],
        "subject": f"{path}/{rid}",
        "time": iso_us(row.created),
        "datacontenttype": JSON,
        "data": {
            "action": action,
            "resourceType": path,
            "id": rid,
            "link": {"href": href, "rel": "self" if action != "delete" else "related", "type": JSON},
        },
    }
