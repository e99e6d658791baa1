"""The SOS 2.0 harvester: Capabilities → systems, features, properties; then observations per stream.

Yields `Batch`es for the run engine. Procedures are described with DescribeSensor (SensorML 2.0
preferred, 1.0.1 otherwise, Capabilities-only when both fail); features of interest come from
GetFeatureOfInterest per procedure and from the observations themselves. Each stream (offering ×
procedure × observed property) is read in time windows from its cursor (closed start, minus the lag)
to the run's fixed upper bound, through GetResult when the server offers result retrieval and a
template exists, else GetObservation (O&M 2.0 or WaterML 2.0, streamed). A window the server refuses
as too large is split; a failing request is reported naming server, operation and exception, and the
harvest goes on with the next stream. Streams are read `parallel_streams` at a time (the source's
`concurrency`); each batch carries one stream's rows and cursor, so interleaving them keeps resumption exact.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from bridge.errors import BridgeError
from bridge.model.harvest import Batch, HarvestState, LegacyObservations, Unit
from bridge.model.legacy.sos2 import Capabilities, FeatureOfInterest, Offering, ResultTemplate
from bridge.model.time import to_us
from bridge.sources.fanin import merged
from bridge.sources.http import PoliteClient
from bridge.sources.sos2 import kvp, pox
from bridge.sources.sos2.areas import check_observed_areas
from bridge.sources.sos2.client import SosClient, SosRequestError
from bridge.sources.sos2.exceptions import OwsException
from bridge.sources.sos2.harvest_reads import ReadMixin, SosHarvestConfig
from bridge.sources.sos2.records import (
    FeatureSeen,
    ProcedureInfo,
    StreamHint,
    StreamInfo,
    matching_output,
    property_label,
    response_format,
)
from bridge.sources.sos2.result_handling import parse_result_template
from bridge.sources.sos2.windows import Window, WindowLimits, WindowQueue, plan_windows
from bridge.sources.xml import XmlSyntaxError

UNITS_PER_BATCH = 200
EXCEEDS = "ResponseExceedsSizeLimit"
BAD_PAIR = "InvalidPropertyOfferingCombination"


class SosHarvester(ReadMixin):
    """Reads one SOS 2.0 service for the run engine."""

    def __init__(self, name: str, url: str, client: PoliteClient, config: SosHarvestConfig | None = None) -> None:
        self.name = name
        self.client = client
        self.sos = SosClient(url, client)
        self.config = config or SosHarvestConfig()
        self.features = FeatureSeen()
        self.limits = WindowLimits({})

    def counters(self) -> dict[str, int]:
        """Traffic so far: requests, bytes, retries."""
        stats = self.client.stats
        return {"requests": stats.requests, "bytes": stats.bytes, "retries": stats.retries}

    def reading(self) -> dict[str, Any]:
        """Harvester: what was learned about the service (the window lengths it accepts) for the run report."""
        windows = self.limits.report()
        return {"windows": windows} if windows else {}

    async def batches(self, state: HarvestState) -> AsyncIterator[Batch]:
        """Harvester: Capabilities, procedures, features and properties, then every stream's observations."""
        self.limits = WindowLimits(state.cursors)
        caps = await self.sos.capabilities()
        procedures = self._procedures(caps)
        availability, problems = await self._availability(caps)
        streams, errors = await self._describe_all(procedures)
        yield Batch(
            errors=problems + errors,
            seen_complete={
                "Procedure": {p.procedure for p in procedures},
                "ObservableProperty": {s.prop for s in streams},
                "Datastream": {s.legacy_id for s in streams},
            },
        )
        units = [Unit("Procedure", {"proc": p}, p.procedure, p.via) for p in procedures]
        units += [
            Unit("ProcedureType", {"proc": p}, p.procedure, p.via)
            for p in procedures
            if p.sensor is not None and (p.sensor.kind == "process" or p.sensor.sml_json.get("typeOf"))
        ]
        units += self._property_units(streams)
        feature_units, errors = await self._feature_units(procedures, streams)
        units += feature_units
        for start in range(0, len(units), UNITS_PER_BATCH):
            yield Batch(units=units[start : start + UNITS_PER_BATCH], errors=errors if start == 0 else [])
        reads = (
            self._stream(
                s, state, None if availability is None else availability.get((s.procedure.procedure, s.prop)) or []
            )
            for s in streams
        )
        limit = self.config.parallel_streams
        async for batch in merged(reads, limit=limit, buffer=limit):  # each batch holds one stream's rows and cursor
            yield batch

    # ---------------------------------------------------------------------------------- metadata
    @staticmethod
    def _procedures(caps: Capabilities) -> list[ProcedureInfo]:
        by_id: dict[str, ProcedureInfo] = {}
        for offering in caps.offerings:
            proc = offering.procedure or offering.identifier
            if not offering.identifier:
                continue
            by_id.setdefault(proc, ProcedureInfo(proc, [], caps=caps)).offerings.append(offering)
        return list(by_id.values())

    async def _describe_all(self, procedures: list[ProcedureInfo]) -> tuple[list[StreamInfo], list[str]]:
        errors: list[str] = []
        streams: list[StreamInfo] = []
        for proc in procedures:
            problem = await self._describe(proc)
            if problem:
                errors.append(problem)
            for offering in proc.offerings:
                streams += [self._stream_info(proc, offering, prop) for prop in offering.observable_properties]
        return streams, errors

    def _stream_info(self, proc: ProcedureInfo, offering: Offering, prop: str) -> StreamInfo:
        output = matching_output(proc.sensor, prop)
        fmt = response_format(offering)
        query = kvp.kvp_get_observation(offering.identifier, proc.procedure, prop, response_format=fmt)
        via = self.sos.via("GetObservation", query)
        return StreamInfo(offering, proc, prop, property_label(prop, output), fmt, via, output)

    @staticmethod
    def _property_units(streams: list[StreamInfo]) -> list[Unit]:
        labels: dict[str, str] = {}
        for stream in streams:
            labels.setdefault(stream.prop, stream.label)
        return [Unit("ObservableProperty", {"property": p, "label": label}, p, None) for p, label in labels.items()]

    async def _feature_units(
        self, procedures: list[ProcedureInfo], streams: list[StreamInfo]
    ) -> tuple[list[Unit], list[str]]:
        units: list[Unit] = []
        errors: list[str] = []
        if self.sos.caps is None or "GetFeatureOfInterest" not in self.sos.caps.operations:
            return units, errors
        for proc in procedures:
            try:
                features, via = await self._features_of(proc.procedure)
            except BridgeError as exc:
                errors.append(exc.description)
                continue
            check_observed_areas(proc, features)
            keys = [f.identifier for f in features if f.identifier]
            for stream in streams:
                if stream.procedure is proc and len(keys) == 1:
                    stream.default_foi = keys[0]
            units += self._feature_unit_list(features, proc.procedure, via)
        return units, errors

    def _feature_unit_list(self, features: list[FeatureOfInterest], procedure: str, via: str | None) -> list[Unit]:
        out = []
        for feature in features:
            key = feature.identifier
            if not key or key in self.features.parents:
                continue
            self.features.parents[key] = procedure
            out.append(self._feature_unit(feature, procedure, via))
        return out

    def _feature_unit(self, feature: FeatureOfInterest, procedure: str, via: str | None) -> Unit:
        key = feature.identifier or ""
        link = via or self.sos.via("GetFeatureOfInterest", kvp.kvp_get_feature_of_interest(foi=key))
        return Unit("FeatureOfInterest", {"foi": feature, "procedure": procedure}, key, link)

    # ---------------------------------------------------------------------------------- observations
    def _start(self, stream: StreamInfo, state: HarvestState) -> int:
        cursor = state.cursors.get(stream.cursor_key)
        since = to_us(state.since) if state.since else None
        if cursor is not None:
            start = cursor - state.lag_us
            return max(start, since) if since is not None else start
        if since is not None:
            return since
        extent = stream.offering.phenomenon_time
        return to_us(extent.start) if extent is not None and extent.start is not None else 0

    def _windows(
        self, stream: StreamInfo, state: HarvestState, available: list[tuple[int, int]] | None
    ) -> list[Window]:
        extent = stream.offering.phenomenon_time
        end = to_us(extent.end) if extent is not None and extent.end is not None else None
        return plan_windows(self._start(stream, state), to_us(state.until), max_window=self.config.max_window_us,
                            available=available, extent_end=end)  # fmt: skip

    async def _stream(
        self, stream: StreamInfo, state: HarvestState, available: list[tuple[int, int]] | None
    ) -> AsyncIterator[Batch]:
        until = to_us(state.until)
        known = stream.cursor_key in state.cursors
        template = await self._template(stream)
        read = _StreamRead(self._template_hint(template) if template is not None else None)
        offering = stream.offering.identifier
        queue = WindowQueue(self.limits.of(offering), self._windows(stream, state, available))
        try:
            while (window := await queue.next()) is not None:
                try:
                    async for records, done in self._read(stream, window, template):
                        cursor = (until if window.last else window.end) if done else None
                        if done and queue.offering.accepted(window.end - window.start):
                            read.learned[self.limits.key(offering)] = queue.offering.learned or 0
                        batch = read.page(self, stream, records, cursor)
                        if batch is not None:
                            yield batch
                except BridgeError as exc:
                    if too_large(exc) and queue.refused(window):
                        continue
                    operation = "GetResult" if template is not None else "GetObservation"
                    yield Batch(errors=[_message(exc, self.sos.url, stream, operation)])
                    read.pending = None
                    break
        finally:
            queue.release()
        last = read.last(stream, known)
        if last is not None:
            yield last

    def _page(
        self, stream: StreamInfo, ns: dict[str, Any], records: list[Any], cursor: int | None, with_stream: bool
    ) -> Batch:
        """One batch of a stream: features met for the first time, the datastream with its first data, the rows."""
        procedure = stream.procedure.procedure
        units = [self._feature_unit(f, procedure, None) for f in self.features.new(records, procedure)]
        if with_stream:
            units.append(Unit("Datastream", ns, stream.legacy_id, stream.via))
        page = LegacyObservations("Datastream", ns, stream.cursor_key, records, cursor)
        return Batch(units=units, observations=[page])

    async def _template(self, stream: StreamInfo) -> ResultTemplate | None:
        caps = self.sos.caps
        if (
            not self.config.use_result_retrieval
            or caps is None
            or not caps.has_profile("resultRetrieval")
            or "GetResult" not in caps.operations
            or "GetResultTemplate" not in caps.operations
        ):
            return None
        offering, prop = stream.offering.identifier, stream.prop
        try:
            body = await self.sos.fetch("GetResultTemplate", kvp.kvp_get_result_template(offering, prop),
                                        pox.pox_get_result_template(offering, prop))  # fmt: skip
            return parse_result_template(body)
        except BridgeError:
            return None  # no template for this pair: GetObservation serves it


class _StreamRead:
    """One stream's read in progress: its structure once known, what waits to be committed with the next batch."""

    def __init__(self, hint: StreamHint | None) -> None:
        self.hint = hint
        self.ns: dict[str, Any] | None = None
        self.pending: int | None = None  # cursor of windows read empty before the structure was known
        self.learned: dict[str, int] = {}  # learned window lengths, committed with the next batch

    def page(self, harvester: SosHarvester, stream: StreamInfo, records: list[Any], cursor: int | None) -> Batch | None:
        """The batch of one page (None while the stream's structure is unknown: nothing to map yet)."""
        first = self.ns is None
        if first and records:
            self.hint = self.hint or ReadMixin._data_hint(records)
            self.ns = {"stream": stream, "hint": self.hint, "compact": self.hint.compact}
        if self.ns is None:
            self.pending = cursor if cursor is not None else self.pending
            return None
        batch = harvester._page(stream, self.ns, records, cursor, with_stream=first)
        batch.learned, self.learned = self.learned, {}
        return batch

    def last(self, stream: StreamInfo, known: bool) -> Batch | None:
        """The datastream of a stream read without data (and its cursor), or what is left to commit."""
        if self.ns is None and (self.pending is not None or not known):
            hint = self.hint or stream.fallback_hint()
            ns = {"stream": stream, "hint": hint, "compact": hint.compact}
            unit = Unit("Datastream", ns, stream.legacy_id, stream.via)
            pending = self.pending
            page = [LegacyObservations("Datastream", ns, stream.cursor_key, [], pending)] if pending is not None else []
            return Batch(units=[] if known else [unit], observations=page, learned=self.learned)
        return Batch(learned=self.learned) if self.learned else None


def too_large(exc: BridgeError) -> bool:
    """True when a window must shrink: the server said ResponseExceedsSizeLimit, or one text node (a GetResult
    block, DataArray values) passed the 10 MB the XML parser accepts without `huge_tree` (kept off: bombs)."""
    if _code(exc) == EXCEEDS:
        return True
    return isinstance(exc, XmlSyntaxError) and "Resource limit exceeded" in exc.description


def _code(exc: BridgeError) -> str | None:
    if isinstance(exc, OwsException):
        return exc.exception_code
    if isinstance(exc, SosRequestError):
        return exc.exception_code
    return None


def _message(exc: BridgeError, server: str, stream: StreamInfo, operation: str) -> str:
    """The report line of a failed stream: server, operation, offering/property, exception code and locator."""
    subject = f"offering {stream.offering.identifier}, observed property {stream.prop}"
    wrapped = exc if isinstance(exc, SosRequestError) else SosRequestError(server, operation, exc, subject)
    text = wrapped.description
    return text + " (pair skipped)" if _code(exc) == BAD_PAIR else text
