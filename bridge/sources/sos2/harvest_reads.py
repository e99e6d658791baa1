"""The requests of the SOS harvester: DescribeSensor negotiation, features, data availability, windows of data."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from bridge.errors import BridgeError, UpstreamError
from bridge.model.legacy.sos2 import (
    OM_MEASUREMENT,
    Capabilities,
    FeatureOfInterest,
    Observation,
    ResultTemplate,
    SensorDescription,
)
from bridge.model.time import from_us, to_us
from bridge.sources.gml import GmlError
from bridge.sources.sos2 import kvp, pox
from bridge.sources.sos2.client import SosClient, SosRequestError
from bridge.sources.sos2.features import iter_features_of_interest
from bridge.sources.sos2.ns import FORMAT_SML20, FORMAT_SML101
from bridge.sources.sos2.observations import Numbering, compact_plan, compact_rows, iter_stream_records, plan_rows
from bridge.sources.sos2.records import ProcedureInfo, StreamHint, StreamInfo
from bridge.sources.sos2.result_handling import iter_result_values, parse_data_availability, result_values_text
from bridge.sources.sos2.sensors import parse_describe_sensor
from bridge.sources.sos2.windows import Window
from bridge.sources.swe_xml import SweError

Availability = dict[tuple[str, str], list[tuple[int, int]]]


@dataclass(slots=True)
class SosHarvestConfig:
    """Per-source options: page size of observation batches, longest window, optional operations."""

    page_size: int = 1000
    max_window_us: int | None = None
    use_result_retrieval: bool = True
    use_data_availability: bool = True
    parallel_streams: int = 1  # streams read at once (the source's `concurrency`)


def _pages(records: Iterable[Any], size: int) -> Iterator[tuple[list[Any], bool]]:
    """Records in pages of `size`; the last page (possibly empty) is marked done."""
    buffer: list[Any] = []
    for record in records:
        buffer.append(record)
        if len(buffer) >= size:
            yield buffer, False
            buffer = []
    yield buffer, True


def _latest(descriptions: list[SensorDescription]) -> SensorDescription | None:
    """The current description of a sensor history (latest validTime start; the last one on ties)."""
    best: SensorDescription | None = None
    for desc in descriptions:
        start = desc.valid_time.start if desc.valid_time is not None else None
        best_start = best.valid_time.start if best is not None and best.valid_time is not None else None
        if best is None or start is None or best_start is None or start >= best_start:
            best = desc
    return best


class ReadMixin:
    """Reading parts of `SosHarvester` (one request at a time, parsed at the edge)."""

    sos: SosClient
    config: SosHarvestConfig

    async def _describe(self, proc: ProcedureInfo) -> str | None:
        """DescribeSensor, negotiating SensorML 2.0 then 1.0.1 from what the offerings advertise.

        Returns a problem to report when no format worked (the system is then built from Capabilities).
        """
        advertised = [f for o in proc.offerings for f in o.procedure_description_formats]
        order = [f for f in (FORMAT_SML20, FORMAT_SML101) if f in advertised]
        order += [f for f in (FORMAT_SML20, FORMAT_SML101) if f not in order]
        problems = []
        for fmt in order:
            query = kvp.kvp_describe_sensor(proc.procedure, fmt)
            try:
                body = await self.sos.fetch("DescribeSensor", query, pox.pox_describe_sensor(proc.procedure, fmt))
                sensor = _latest(parse_describe_sensor(body, procedure=proc.procedure))
            except BridgeError as exc:
                problems.append(SosRequestError(self.sos.url, "DescribeSensor", exc, f"procedure {proc.procedure}"))
                continue
            if sensor is not None:
                proc.sensor, proc.via = sensor, self.sos.via("DescribeSensor", query)
                return None
        proc.via = self.sos.via("DescribeSensor", kvp.kvp_describe_sensor(proc.procedure, order[0]))
        first = problems[0].description if problems else f"no description of procedure {proc.procedure}"
        return f"{first} (system built from the Capabilities only)"

    async def _features_of(self, procedure: str) -> tuple[list[FeatureOfInterest], str]:
        """GetFeatureOfInterest for one procedure (SosRequestError when it fails)."""
        query = kvp.kvp_get_feature_of_interest(procedure=procedure)
        try:
            request = pox.pox_get_feature_of_interest(procedure=procedure)
            body = await self.sos.fetch("GetFeatureOfInterest", query, request)
            return list(iter_features_of_interest(body)), self.sos.via("GetFeatureOfInterest", query)
        except BridgeError as exc:
            raise SosRequestError(self.sos.url, "GetFeatureOfInterest", exc, f"procedure {procedure}") from exc

    async def _availability(self, caps: Capabilities) -> tuple[Availability | None, list[str]]:
        """Data periods per (procedure, observed property) from GetDataAvailability, or None when not offered."""
        if not self.config.use_data_availability or "GetDataAvailability" not in caps.operations:
            return None, []
        try:
            body = await self.sos.fetch("GetDataAvailability", kvp.kvp_get_data_availability(),
                                        pox.pox_get_data_availability())  # fmt: skip
            members = parse_data_availability(body)
        except BridgeError as exc:
            return None, [SosRequestError(self.sos.url, "GetDataAvailability", exc).description]
        out: Availability = {}
        for member in members:
            extent = member.phenomenon_time
            if member.procedure is None or member.observed_property is None or extent is None:
                continue
            start, end = extent.start or extent.end, extent.end or extent.start
            if start is not None and end is not None:
                out.setdefault((member.procedure, member.observed_property), []).append((to_us(start), to_us(end)))
        return out, []

    async def _read(
        self, stream: StreamInfo, window: Window, template: ResultTemplate | None
    ) -> AsyncIterator[tuple[list[Any], bool]]:
        """Pages of one window: `(records, done)`; the last page (maybe empty) has `done` True."""
        if template is not None:
            async for page in self._read_result(stream, window, template):
                yield page
            return
        span = (from_us(window.start), from_us(window.end))
        ids = (stream.offering.identifier, stream.procedure.procedure, stream.prop)
        query = kvp.kvp_get_observation(*ids, temporal_filter=span, response_format=stream.response_format)
        body = pox.pox_get_observation(*ids, temporal_filter=span, response_format=stream.response_format)
        async with self.sos.stream("GetObservation", query, body) as source:
            records = iter_stream_records(source, offering=ids[0], procedure=ids[1], prop=ids[2])
            for page in _pages(records, self.config.page_size):
                yield page

    async def _read_result(
        self, stream: StreamInfo, window: Window, template: ResultTemplate
    ) -> AsyncIterator[tuple[list[Any], bool]]:
        span = (from_us(window.start), from_us(window.end))
        offering, prop = stream.offering.identifier, stream.prop
        body = await self.sos.fetch(
            "GetResult",
            kvp.kvp_get_result(offering, prop, temporal_filter=span),
            pox.pox_get_result(offering, prop, temporal_filter=span),
        )
        plan = plan_rows(template.structure, template.encoding)
        rows: Iterator[Any]
        if compact_plan(plan):  # bulk path: compact tuples, no objects per row
            try:
                rows = iter(list(compact_rows(result_values_text(body), plan, stream.default_foi)))
            except (SweError, GmlError, ValueError) as exc:
                raise UpstreamError(f"unreadable GetResult values: {exc}") from exc
        else:
            numbered = Numbering()
            found = iter_result_values(body, template, procedure=stream.procedure.procedure, observed_property=prop,
                                       offering=offering, foi=stream.default_foi)  # fmt: skip
            rows = ((obs, numbered(obs)) for obs in found)
        for page in _pages(rows, self.config.page_size):
            yield page

    @staticmethod
    def _template_hint(template: ResultTemplate) -> StreamHint:
        """The value part of a result template (time and feature fields removed)."""
        plan = plan_rows(template.structure, template.encoding)
        return StreamHint(plan.value_component, None, None, "template", compact_plan(plan))

    @staticmethod
    def _data_hint(records: list[Any]) -> StreamHint:
        """The structure of the first observation with a result component (decided from the data, Q6)."""
        decoded = [r[0] for r in records[:50] if type(r[0]) is not int]
        if not decoded:
            return StreamHint(None, OM_MEASUREMENT, None, "observations")
        first: Observation = decoded[0]
        for obs in decoded:
            if obs.result_component is not None and obs.result is not None:
                first = obs
                break
        return StreamHint(first.result_component, first.detected_type, first.uom, "observations")
