"""Mapping of harvested batches: units through the table engine, observations through compiled row mappers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from bridge.errors import BridgeError, LimitExceeded
from bridge.mapping.engine import Mapper
from bridge.model.csapi import Command, CommandResult, CommandStatus, Datastream
from bridge.model.harvest import Batch, LegacyObservations, MappedBatch, StreamRows, Unit
from bridge.model.json_limits import DEFAULT_DEPTH, DEFAULT_STRING, check_json
from bridge.model.observations import ObsRow
from bridge.model.stream_schema import cached_schema


class ProtocolRules(Protocol):
    """The protocol-specific parts of mapping: observation rows, command histories and results."""

    def row_mapper(self, page: LegacyObservations, stream: Datastream) -> Callable[[Any], ObsRow]:
        """A function turning one legacy observation of `page` into a store row."""
        ...

    def command_history(self, unit: Unit, command: Command) -> list[CommandStatus]:
        """Status reports of a harvested command."""
        ...

    def command_results(self, unit: Unit, command: Command) -> list[CommandResult]:
        """Results of a harvested command (where its data can be found)."""
        ...


def check_resource(resource: Any, what: str) -> None:
    """A harvested resource's JSON members within the shape limits (LimitExceeded otherwise): a hostile or broken
    legacy server cannot store what would make a later listing fail (too deep to encode) or exhaust memory."""
    for field in dataclasses.fields(resource):
        value = getattr(resource, field.name)
        if isinstance(value, dict | list | str):
            check_json(value, what=f"{what}: {field.name}")


def check_row(row: ObsRow) -> ObsRow:
    """An observation row whose text and JSON members are within the shape limits (LimitExceeded otherwise)."""
    for text in (row.txt, row.extra):
        if text is None:
            continue
        if len(text) > DEFAULT_STRING:
            raise LimitExceeded("string_length", DEFAULT_STRING, f"a result or parameter of {len(text)} characters")
        if text.count("[") + text.count("{") > DEFAULT_DEPTH and text[:1] in "[{":
            check_json(orjson.loads(text), what="a result or its parameters")
    return row


class BatchMapper:
    """Maps batches with one table (`Mapper`) and one protocol's rules."""

    def __init__(self, mapper: Mapper, rules: ProtocolRules) -> None:
        self.mapper = mapper
        self.rules = rules
        self._streams: dict[str, Datastream] = {}
        self._row_mappers: dict[str, Callable[[Any], ObsRow]] = {}

    def map(self, batch: Batch) -> MappedBatch:
        """Map one harvested batch: units through the table (failures become errors), observation pages into rows."""
        out = MappedBatch(errors=list(batch.errors), seen=dict(batch.seen_complete), learned=dict(batch.learned))
        for unit in batch.units:
            try:
                resource = self.mapper.build(unit.entity, unit.ns, legacy_id=unit.legacy_id, via=unit.via)
                check_resource(resource, f"{unit.entity} {unit.legacy_id}")
            except BridgeError as exc:
                out.errors.append(f"{unit.entity} {unit.legacy_id}: not mapped: {exc.description}")
                continue
            out.entities[resource.id] = unit.entity
            if isinstance(resource, Command):
                out.commands.append((resource, self.rules.command_history(unit, resource)))
                results = self.rules.command_results(unit, resource)
                if results:
                    out.command_results[resource.id] = results
                continue
            if isinstance(resource, Datastream):
                out.result_kinds[resource.id] = cached_schema(orjson.dumps(resource.schema)).result_kind
            out.resources.append(resource)
        for page in batch.observations:
            self._map_page(page, out)
        return out

    def _stream(self, page: LegacyObservations) -> Datastream:
        stream = self._streams.get(page.stream_key)
        if stream is None:
            built = self.mapper.build(page.stream_entity, page.stream_ns, legacy_id=page.stream_key)
            assert isinstance(built, Datastream)
            stream = self._streams[page.stream_key] = built
        return stream

    def _map_page(self, page: LegacyObservations, out: MappedBatch) -> None:
        try:
            stream = self._stream(page)
        except BridgeError as exc:
            out.errors.append(f"{page.stream_key}: observations not mapped: {exc.description}")
            return
        to_row = self._row_mappers.get(page.stream_key)
        if to_row is None:
            to_row = self._row_mappers[page.stream_key] = self.rules.row_mapper(page, stream)
        rows: list[ObsRow] = []
        bad = 0
        for record in page.records:
            try:
                rows.append(check_row(to_row(record)))
            except (ValueError, TypeError, KeyError, LimitExceeded) as exc:
                bad += 1
                if bad <= 3:
                    out.errors.append(f"{page.stream_key}: observation skipped: {exc}")
        if bad > 3:
            out.errors.append(f"{page.stream_key}: {bad - 3} more observations skipped")
        out.observations.append(StreamRows(stream.id, rows, page.stream_key, page.cursor))
