"""One-off throughput measurement of the SOS parsers (not a test: run it by hand).

    .venv/bin/python -m tests.sources.sos2.bench_sos2

Reports CPU time (best of 3) so other load on the machine distorts it less than wall time.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

from lxml import etree

from bridge.sources import sos2
from bridge.sources.sos2.arrays import text_rows
from bridge.sources.swe_xml import split_text_block
from tests.sources.sos2.test_sos2_hostile import generate_measurements

ISO = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
RECORD = {
    "type": "DataRecord",
    "fields": [
        {
            "name": "phenomenonTime",
            "type": "Time",
            "definition": "http://www.opengis.net/def/property/OGC/0/PhenomenonTime",
            "label": "t",
            "uom": {"href": ISO},
        },
        {"name": "v", "type": "Quantity", "definition": "urn:x:v", "label": "v", "uom": {"code": "m"}},
    ],
}
ENCODING = {"type": "TextEncoding", "tokenSeparator": ",", "blockSeparator": "@@", "decimalSeparator": "."}


def best(fn: Callable[[], Any], runs: int = 3) -> tuple[float, float, Any]:
    """(cpu seconds, wall seconds, result) of the fastest run."""
    out = []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        out.append((time.process_time() - cpu, time.perf_counter() - wall, result))
    return min(out, key=lambda r: r[0])


def _bare(doc: bytes) -> int:
    count = 0
    for _, el in etree.iterparse(io.BytesIO(doc), tag="{http://www.opengis.net/om/2.0}OM_Observation"):
        count += 1
        el.clear(keep_tail=True)
        while el.getprevious() is not None:
            del el.getparent()[0]
    return count


def main() -> None:
    doc = b"".join(generate_measurements(100_000))
    cpu, wall, n = best(lambda: sum(1 for _ in sos2.iter_observations(io.BytesIO(doc))))
    print(
        f"O&M Measurement: {n:,} obs, cpu {cpu:.2f}s -> {n / cpu:,.0f} obs/s "
        f"(wall {wall:.2f}s, {len(doc) / 1e6:.0f} MB)"
    )
    cpu, _, n = best(lambda: _bare(doc))
    print(f"  floor: bare lxml iterparse + clear, {n / cpu:,.0f} elements/s")
    values = "@@".join(
        f"2014-07-07T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}.000Z,{(i % 3000) / 100:.2f}"
        for i in range(1_000_000)
    )
    cpu, _, n = best(lambda: len(split_text_block(values, ENCODING)))
    print(f"split_text_block: {n:,} rows, cpu {cpu:.2f}s -> {n / cpu:,.0f} rows/s")
    cpu, _, n = best(lambda: sum(1 for _ in text_rows(values, RECORD, ENCODING)))
    print(f"split + typed rows (datetime + float): {n:,} rows, cpu {cpu:.2f}s -> {n / cpu:,.0f} rows/s")


if __name__ == "__main__":
    main()
