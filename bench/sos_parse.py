"""SOS harvest parse + map benchmark: O&M 2.0 GetObservation, SWE text blocks, peak memory; OWSLib for comparison.

    python bench/sos_parse.py [--members 200000] [--rows 1000000] [--large-mb 500] [--no-owslib]

1. A GetObservation response with `--members` OM_Measurement members in the 52°North shape (the IOOS
   capture: `#phenomenonTime` resultTime reference, gml re-bound as `ns` inside the MeasureType result)
   is parsed and mapped to store rows by the harvester's code path (streaming parser, identity
   numbering, compiled row mapper), and parsed by OWSLib 0.35's SOS 2.0 O&M decoder in the same run.
2. A GetResult text block and an O&M DataArray result of `--rows` records are decoded and mapped.
3. Peak RSS of a child process streaming a generated `--large-mb` document (never held in memory
   whole) through parse + map, against the same child on a small document: flat means bounded.

Rates are observations per wall second of the single-threaded work (CPU seconds shown too).
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from bridge.mapping.sos2_rows import compact_mapper, observation_mapper
from bridge.sources import sos2
from bridge.sources.sos2.observations import compact_plan, compact_rows, iter_stream_records, plan_rows
from bridge.sources.sos2.result_handling import result_values_text

HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<sos:GetObservationResponse xmlns:sos="http://www.opengis.net/sos/2.0"'
    b' xmlns:om="http://www.opengis.net/om/2.0" xmlns:gml="http://www.opengis.net/gml/3.2"'
    b' xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    b' xmlns:swe="http://www.opengis.net/swe/2.0">\n'
)
MEMBER = """  <sos:observationData>
    <om:OM_Observation gml:id="o_{i}">
      <om:type xlink:href="http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"/>
      <om:phenomenonTime>
        <gml:TimeInstant gml:id="phenomenonTime_{i}">
          <gml:timePosition>2014-{mo:02d}-{d:02d}T{h:02d}:{m:02d}:00.000Z</gml:timePosition>
        </gml:TimeInstant>
      </om:phenomenonTime>
      <om:resultTime xlink:href="#phenomenonTime_{i}"/>
      <om:procedure xlink:href="urn:ioos:sensor:test:3:sea_water_temperature"/>
      <om:observedProperty xlink:href="http://mmisw.org/ont/cf/parameter/sea_water_temperature"/>
      <om:featureOfInterest xlink:href="urn:ioos:station:test:3(height-{f}.0m)"/>
      <om:result xmlns:ns="http://www.opengis.net/gml/3.2" uom="urn:ogc:def:uom:udunits:2:Cel" \
xsi:type="ns:MeasureType">{v}</om:result>
    </om:OM_Observation>
  </sos:observationData>
"""
ISO = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
TEMPLATE = (
    b'<sos:GetResultTemplateResponse xmlns:sos="http://www.opengis.net/sos/2.0" '
    b'xmlns:swe="http://www.opengis.net/swe/2.0" xmlns:xlink="http://www.w3.org/1999/xlink"><sos:resultStructure>'
    b'<swe:DataRecord><swe:field name="phenomenonTime"><swe:Time '
    b'definition="http://www.opengis.net/def/property/OGC/0/PhenomenonTime"><swe:uom xlink:href="'
    + ISO.encode()
    + b'"/>'
    b'</swe:Time></swe:field><swe:field name="value"><swe:Quantity definition="urn:x:temperature">'
    b'<swe:uom code="Cel"/></swe:Quantity></swe:field></swe:DataRecord></sos:resultStructure><sos:resultEncoding>'
    b'<swe:TextEncoding tokenSeparator="," blockSeparator="@@"/></sos:resultEncoding></sos:GetResultTemplateResponse>'
)


def members(count: int, per_chunk: int = 500) -> Iterator[bytes]:
    """The document in chunks (the whole never needs to exist in memory)."""
    yield HEAD
    for start in range(0, count, per_chunk):
        yield "".join(
            MEMBER.format(
                i=i,
                mo=1 + (i // 40_000) % 12,
                d=1 + (i // 1440) % 27,
                h=(i // 60) % 24,
                m=i % 60,
                f=i % 100,
                v=f"{(i % 3000) / 100:.2f}",
            )
            for i in range(start, min(count, start + per_chunk))
        ).encode()
    yield b"</sos:GetObservationResponse>\n"


class Generated(io.RawIOBase):
    """A read-only stream producing a generated document on demand."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks, self.buffer, self.size = chunks, b"", 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while len(self.buffer) < len(target):
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            self.buffer += chunk
        n = min(len(target), len(self.buffer))
        target[:n], self.buffer = self.buffer[:n], self.buffer[n:]
        self.size += n
        return n


PROCEDURE = "urn:ioos:sensor:test:3:sea_water_temperature"
PROPERTY = "http://mmisw.org/ont/cf/parameter/sea_water_temperature"


BLOCK_ROWS = 200_000


def parse_and_map(source: Any, procedure: str = PROCEDURE, prop: str = PROPERTY) -> int:
    """The harvester's hot path: stream the response into records, map every record to a store row."""
    compact, general = compact_mapper("bench", "num", procedure, prop), observation_mapper("bench", "num")
    count = 0
    for record in iter_stream_records(source, offering=None, procedure=procedure, prop=prop):
        (compact if type(record[0]) is int else general)(record)
        count += 1
    return count


def parse_only(source: Any) -> int:
    return sum(1 for _ in iter_stream_records(source, offering=None, procedure=PROCEDURE, prop=PROPERTY))


def owslib_parse(doc: bytes) -> tuple[int, int]:
    """OWSLib 0.35: parse the whole document, decode every OM_Observation; (observations, times that are None)."""
    from owslib.etree import etree
    from owslib.swe.observation.sos200 import SOSGetObservationResponse

    response = SOSGetObservationResponse(etree.fromstring(doc))
    missing = sum(1 for obs in response if getattr(obs, "phenomenonTime", None) is None)
    values = [getattr(obs, "result", None) for obs in response]
    return len(values), missing


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def text_block(rows: int) -> bytes:
    values = "@@".join(
        f"2014-07-{1 + (i // 86400) % 28:02d}T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}.000Z,"
        f"{(i % 3000) / 100:.2f}"
        for i in range(rows)
    )
    return (
        b'<sos:GetResultResponse xmlns:sos="http://www.opengis.net/sos/2.0"><sos:resultValues>'
        + f"{rows}@@{values}".encode()
        + b"</sos:resultValues></sos:GetResultResponse>"
    )


def data_array(rows: int) -> bytes:
    values = "@@".join(
        f"2014-07-{1 + (i // 86400) % 28:02d}T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}.000Z,"
        f"{(i % 3000) / 100:.2f}"
        for i in range(rows)
    )
    record = TEMPLATE.split(b"<sos:resultStructure>")[1].split(b"</sos:resultStructure>")[0]
    return HEAD + (
        b'<sos:observationData><om:OM_Observation gml:id="o_1"><om:type xlink:href="http://www.opengis.net/def/'
        b'observationType/OGC-OM/2.0/OM_SWEArrayObservation"/><om:phenomenonTime><gml:TimePeriod gml:id="tp_1">'
        b"<gml:beginPosition>2014-07-01T00:00:00Z</gml:beginPosition><gml:endPosition>2014-07-28T23:59:59Z"
        b'</gml:endPosition></gml:TimePeriod></om:phenomenonTime><om:resultTime xlink:href="#tp_1"/>'
        b'<om:procedure xlink:href="urn:p"/><om:observedProperty xlink:href="urn:x:temperature"/>'
        b'<om:featureOfInterest xlink:href="urn:f"/><om:result xsi:type="swe:DataArrayPropertyType">'
        b"<swe:DataArray><swe:elementCount><swe:Count><swe:value>" + str(rows).encode() + b"</swe:value></swe:Count>"
        b'</swe:elementCount><swe:elementType name="components">' + record + b"</swe:elementType><swe:encoding>"
        b'<swe:TextEncoding tokenSeparator="," blockSeparator="@@"/></swe:encoding><swe:values>'
        + values.encode()
        + b"</swe:values></swe:DataArray></om:result></om:OM_Observation></sos:observationData>"
        b"</sos:GetObservationResponse>"
    )


def map_compact(block: bytes, template: Any) -> int:
    """The harvester's GetResult path: compact rows from the text block, compact row mapper."""
    plan = plan_rows(template.structure, template.encoding)
    assert compact_plan(plan)
    to_row = compact_mapper("bench", "num", "urn:p", "urn:x:temperature")
    count = 0
    for row in compact_rows(result_values_text(block), plan, "urn:f"):
        to_row(row)
        count += 1
    return count


def rss_child(member_count: int) -> None:
    """(child process) stream-parse and map a generated document; print bytes read and peak RSS."""
    source = Generated(members(member_count))
    count = parse_and_map(io.BufferedReader(source, 1 << 16))
    with open("/proc/self/status") as handle:  # VmHWM: this image's peak (ru_maxrss survives exec)
        status = handle.read()
    peak_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    print(f"{count} {source.size} {peak_kb}")


def child_peak(member_count: int) -> tuple[int, int, int]:
    out = subprocess.run([sys.executable, __file__, "--rss-child", str(member_count)], check=True,
                         capture_output=True, text=True, env={**os.environ})  # fmt: skip
    count, size, peak = out.stdout.split()
    return int(count), int(size), int(peak)


Table = list[tuple[str, str, str, str]]


def _rate(n: int, wall: float, cpu: float) -> str:
    return f"{n / wall:,.0f} ({n / cpu:,.0f} cpu)"


def bench_om(members_count: int, owslib: bool, table: Table) -> float:
    """O&M parse+map and OWSLib on the same document; returns the document's bytes per member."""
    doc = b"".join(members(members_count))
    mb = len(doc) / 1e6
    wall, cpu, n = timed(lambda: parse_and_map(io.BytesIO(doc)))
    ours = n / wall
    table.append((f"O&M 2.0 parse+map, {n:,} members ({mb:.0f} MB)", f"{wall:.2f}", f"{cpu:.2f}", _rate(n, wall, cpu)))
    wall, cpu, n = timed(lambda: parse_only(io.BytesIO(doc)))
    table.append(("  of which parse only", f"{wall:.2f}", f"{cpu:.2f}", _rate(n, wall, cpu)))
    wall, cpu, n = timed(lambda: bare_iterparse(doc))
    table.append(("  floor: bare lxml iterparse + clear", f"{wall:.2f}", f"{cpu:.2f}", _rate(n, wall, cpu)))
    if owslib:
        wall, cpu, (n, missing) = timed(lambda: owslib_parse(doc))
        name = f"OWSLib 0.35 SOS 2.0 O&M, same document ({missing:,} times None)"
        table.append((name, f"{wall:.2f}", f"{cpu:.2f}", _rate(n, wall, cpu)))
        table.append(("  speed-up of parse+map over OWSLib parse", "", "", f"{ours / (n / wall):.1f}x"))
    return len(doc) / members_count


def bench_blocks(rows: int, table: Table) -> None:
    """Text blocks in responses of at most 200,000 rows (libxml2 refuses text nodes over 10 MB without huge_tree)."""
    template = sos2.parse_result_template(TEMPLATE)
    sizes = [min(BLOCK_ROWS, rows - start) for start in range(0, rows, BLOCK_ROWS)]
    blocks = [text_block(size) for size in sizes]
    wall, cpu, n = timed(lambda: sum(map_compact(block, template) for block in blocks))
    table.append((f"GetResult text block decode+map, {n:,} rows", f"{wall:.2f}", f"{cpu:.2f}", _rate(n, wall, cpu)))
    arrays = [data_array(size) for size in sizes]
    wall, cpu, n = timed(lambda: sum(parse_and_map(io.BytesIO(a), "urn:p", "urn:x:temperature") for a in arrays))
    table.append((f"O&M DataArray result decode+map, {n:,} rows", f"{wall:.2f}", f"{cpu:.2f}", _rate(n, wall, cpu)))


def bench_memory(large_mb: int, per_member: float, table: Table) -> None:
    for count in (10_000, int(large_mb * 1e6 / per_member)):
        n, size, peak = child_peak(count)
        table.append((f"peak RSS, {size / 1e6:,.0f} MB document streamed ({n:,} obs)", "", "", f"{peak / 1024:.0f} MB"))


def bare_iterparse(doc: bytes) -> int:
    """The floor: lxml iterparse over the members, clearing each (no decoding at all)."""
    from lxml import etree

    count = 0
    for _, el in etree.iterparse(io.BytesIO(doc), tag="{http://www.opengis.net/om/2.0}OM_Observation"):
        count += 1
        el.clear(keep_tail=True)
        while el.getprevious() is not None:
            del el.getparent()[0]
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--large-mb", type=int, default=500)
    parser.add_argument("--no-owslib", action="store_true")
    parser.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child is not None:
        rss_child(args.rss_child)
        return
    table: Table = []
    per_member = bench_om(args.members, not args.no_owslib, table)
    bench_blocks(args.rows, table)
    bench_memory(args.large_mb, per_member, table)
    width = max(len(row[0]) for row in table)
    print(f"{'benchmark':<{width}}  {'wall s':>7}  {'cpu s':>7}  {'per wall second (per cpu second)':>34}")
    for name, w, c, rate in table:
        print(f"{name:<{width}}  {w:>7}  {c:>7}  {rate:>34}")


if __name__ == "__main__":
    main()
