"""Hostile and broken documents are refused with the right errors; large responses stream in flat memory."""

from __future__ import annotations

import io
import time
import tracemalloc
from collections.abc import Iterator

import pytest

from bridge.errors import UpstreamError
from bridge.sources import sos2
from bridge.sources.xml import XmlSecurityError, XmlSyntaxError

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<sos:Capabilities xmlns:sos="http://www.opengis.net/sos/2.0" version="2.0.0">&xxe;</sos:Capabilities>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<sos:GetObservationResponse xmlns:sos="http://www.opengis.net/sos/2.0">&lol3;</sos:GetObservationResponse>"""

HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<sos:GetObservationResponse xmlns:sos="http://www.opengis.net/sos/2.0"'
    b' xmlns:om="http://www.opengis.net/om/2.0" xmlns:gml="http://www.opengis.net/gml/3.2"'
    b' xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
)
MEMBER = """  <sos:observationData>
    <om:OM_Observation gml:id="o_{i}">
      <om:type xlink:href="http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"/>
      <om:phenomenonTime>
        <gml:TimeInstant gml:id="phenomenonTime_{i}">
          <gml:timePosition>2014-07-07T{h:02d}:{m:02d}:00.000Z</gml:timePosition>
        </gml:TimeInstant>
      </om:phenomenonTime>
      <om:resultTime xlink:href="#phenomenonTime_{i}"/>
      <om:procedure xlink:href="urn:ioos:sensor:test:3:sea_water_temperature"/>
      <om:observedProperty xlink:href="http://mmisw.org/ont/cf/parameter/sea_water_temperature"/>
      <om:featureOfInterest xlink:href="urn:ioos:station:test:3(height-{d}.0m)"/>
      <om:result xmlns:ns="http://www.opengis.net/gml/3.2" uom="urn:ogc:def:uom:udunits:2:Cel" \
xsi:type="ns:MeasureType">{v}</om:result>
    </om:OM_Observation>
  </sos:observationData>
"""


class GeneratedBody(io.RawIOBase):
    """A read-only file whose bytes are generated on demand (the whole document never exists in memory)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        size = len(self._buffer) if size < 0 else size
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        self.size += len(out)
        return out


def generate_measurements(count: int, per_chunk: int = 200) -> Iterator[bytes]:
    """A 52°North-shaped GetObservation response with `count` OM_Measurement members."""
    yield HEAD
    for start in range(0, count, per_chunk):
        yield "".join(
            MEMBER.format(i=i, h=(i // 60) % 24, m=i % 60, d=i % 100, v=f"{(i % 3000) / 100:.2f}")
            for i in range(start, min(count, start + per_chunk))
        ).encode()
    yield b"</sos:GetObservationResponse>\n"


@pytest.mark.parametrize("doc", [XXE, LAUGHS])
def test_dtd_documents_refused(doc: bytes) -> None:
    with pytest.raises(XmlSecurityError):
        sos2.parse_capabilities(doc)
    with pytest.raises(XmlSecurityError):
        list(sos2.iter_observations(io.BytesIO(doc)))


def test_truncated_documents() -> None:
    whole = b"".join(generate_measurements(5))
    truncated = whole[: len(whole) // 2]
    with pytest.raises(XmlSyntaxError):
        list(sos2.iter_observations(io.BytesIO(truncated)))
    with pytest.raises(XmlSyntaxError):
        sos2.parse_capabilities(b'<sos:Capabilities xmlns:sos="http://www.opengis.net/sos/2.0" version="2.0.0"><ows')
    with pytest.raises(UpstreamError):
        sos2.parse_capabilities(b"<html><body>Service unavailable</body></html>")


def _rss() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def test_streaming_100k_observations_in_flat_memory() -> None:
    """~85 MB generated on the fly; resident memory (lxml's C tree included) must not follow the size."""
    count = 100_000
    body = GeneratedBody(generate_measurements(count))
    base = _rss()
    growth = seen = 0
    last = None
    started = time.perf_counter()
    for obs in sos2.iter_observations(body):  # type: ignore[arg-type]
        seen += 1
        last = obs
        if seen % 10_000 == 0:
            growth = max(growth, _rss() - base)
    elapsed = time.perf_counter() - started
    assert seen == count and body.size > 80_000_000
    assert last is not None and last.gml_id == f"o_{count - 1}" and last.result == (count - 1) % 3000 / 100
    assert last.result_time == last.phenomenon_time.start  # '#phenomenonTime_i' resolved
    assert growth < 25_000_000, f"RSS grew {growth / 1e6:.1f} MB for a {body.size / 1e6:.0f} MB document"
    assert elapsed < 30


def test_streaming_python_allocations_bounded() -> None:
    """tracemalloc peak stays far below the document size (caches and reference maps are bounded)."""
    body = GeneratedBody(generate_measurements(10_000))
    tracemalloc.start()
    try:
        seen = sum(1 for _ in sos2.iter_observations(body))  # type: ignore[arg-type]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == 10_000
    assert peak < body.size / 4 and peak < 4_000_000, f"peak {peak / 1e6:.1f} MB for {body.size / 1e6:.1f} MB"
