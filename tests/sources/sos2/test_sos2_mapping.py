"""Every recorded SOS document parses AND maps; a representative set maps to exactly the expected CSAPI output.

Expected outputs live in `fixtures/sos2/expected/` (what the CSAPI facade serves after storing the mapped
batch); regenerate them after a deliberate mapping change with `SOS_UPDATE_EXPECTED=1` and review the diff.
"""

from __future__ import annotations

import io
import json
import os
from typing import Any

import httpx
import pytest

from bridge.api.app import create_app
from bridge.errors import UpstreamError
from bridge.mapping.sos2_rows import compact_mapper, observation_mapper
from bridge.settings import Settings
from bridge.sources import sos2
from bridge.sources.sos2.observations import Numbering, iter_stream_records
from bridge.store.sql.harvest import SqlHarvestSink
from bridge.store.sql.store import SqlStore
from tests.open_access import OPEN
from tests.sources.sos2.corpus_mapping import BUILDERS, FIXTURES, SOURCE, batch_mapper
from tests.sources.sos2.test_sos2_hostile import generate_measurements
from tests.validate import PART1, PART2, assert_valid

EXPECTED = FIXTURES / "expected"
REPRESENTATIVE = [
    "52n-niwa-climate-getcapabilities.xml",
    "ogc-getcapabilities-response-soap.xml",
    "52n-niwa-climate-getfeatureofinterest.xml",
    "52n-irceline-getfeatureofinterest.xml",
    "52n-ioos-getobservation-om-measurement.xml",
    "52n-niwa-climate-getobservation-swe-dataarray.xml",
    "kisters-kiwis-getobservation-wml2.xml",
    "52n-tideelbe-getobservation-soap-sweobservation.xml",
    "52n-tutorial-getobservation-complexobservation.xml",
    "ogc-om-swearrayobservation.xml",
    "ogc-getresult-response.xml",
    "ogc-describesensor-response-sml20.xml",
    "52n-ws2500-describesensor-sml101.xml",
]


def test_every_fixture_has_a_builder() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.xml")) == sorted(BUILDERS)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_fixture_parses_and_maps(name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    build = BUILDERS[name]
    if build is None:  # SOS 1.0 capabilities and exception reports: a clear error, never a crash
        with pytest.raises(UpstreamError):
            sos2.parse_capabilities(data)
        return
    batch = build(data)
    mapped = batch_mapper().map(batch)
    assert mapped.errors == []
    assert len(mapped.resources) == len(batch.units)
    for rows, page in zip(mapped.observations, batch.observations, strict=True):
        assert len(rows.rows) == len(page.records)
        assert len({r.legacy_key for r in rows.rows}) == len(rows.rows)  # every observation keeps its own key


async def csapi_output(name: str) -> dict[str, Any]:
    """Store the mapped batch of one document and read everything back through the facade."""
    store = await SqlStore.open("sqlite:///:memory:")
    sink = SqlHarvestSink(store)
    run = await sink.start_run(SOURCE)
    await sink.write(SOURCE, run, batch_mapper().map(BUILDERS[name]((FIXTURES / name).read_bytes())))  # type: ignore[misc]
    app = create_app(Settings(auth=OPEN, store="sqlite:///:memory:", base_url="http://bridge"), store)
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bridge") as client:
        systems = (await client.get("/systems?limit=1000&f=sml")).json()["items"]
        assert_valid(PART1 + "sensorml/systemCollection.json", {"items": systems})
        features = (await client.get("/samplingFeatures?limit=1000")).json()
        assert_valid(PART1 + "geojson/samplingFeatureCollection.json", features)
        streams = (await client.get("/datastreams?limit=1000")).json()["items"]
        assert_valid(PART2 + "dataStreamCollection.json", {"items": streams})
        out["systems"] = [_clean(s) for s in systems]
        out["samplingFeatures"] = [_clean(f) for f in features["features"]]
        out["properties"] = [_clean(p) for p in (await client.get("/properties?limit=1000")).json()["items"]]
        out["datastreams"] = []
        for ds in streams:
            schema = (await client.get(f"/datastreams/{ds['id']}/schema?obsFormat=application/json")).json()
            rows = (await client.get(f"/datastreams/{ds['id']}/observations?limit=10000")).json()["items"]
            assert_valid(PART2 + "observationCollection.json", {"items": rows})
            observations = [{k: v for k, v in o.items() if k != "id"} for o in rows]
            out["datastreams"].append({**_clean(ds), "schema": schema, "observations": observations})
    await store.close()
    return out


def _clean(item: dict[str, Any]) -> dict[str, Any]:
    """A resource without volatile or derived links (only `via`, the provenance link, is kept)."""
    links = [link for link in item.get("links", []) if link.get("rel") == "via"]
    return {**{k: v for k, v in item.items() if k != "links"}, "links": links}


@pytest.mark.parametrize("name", REPRESENTATIVE)
async def test_expected_csapi_output(name: str) -> None:
    got = json.loads(json.dumps(await csapi_output(name)))
    path = EXPECTED / name.replace(".xml", ".json")
    if os.environ.get("SOS_UPDATE_EXPECTED") == "1":
        EXPECTED.mkdir(exist_ok=True)
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert got == json.loads(path.read_text(encoding="utf-8"))


OM_DOCUMENTS = [n for n, b in sorted(BUILDERS.items()) if b is not None and b.__name__ == "_observations"]


def _general_rows(data: bytes, kind: str) -> list[tuple[Any, ...]]:
    to_row = observation_mapper(SOURCE, kind)
    numbered = Numbering()
    return sorted(to_row((o, numbered(o))) for o in sos2.iter_observations(io.BytesIO(data)))


def _fast_rows(data: bytes, kind: str) -> tuple[list[tuple[Any, ...]], int]:
    first = next(sos2.iter_observations(io.BytesIO(data)))
    procedure, prop = first.procedure or "", first.observed_property or ""
    compact, general = compact_mapper(SOURCE, kind, procedure, prop), observation_mapper(SOURCE, kind)
    records = list(iter_stream_records(io.BytesIO(data), offering=None, procedure=procedure, prop=prop))
    fast = sum(1 for r in records if type(r[0]) is int)
    return sorted(compact(r) if type(r[0]) is int else general(r) for r in records), fast


@pytest.mark.parametrize("name", [*OM_DOCUMENTS, "generated-52n"])
def test_fast_path_maps_exactly_like_the_general_decoder(name: str) -> None:
    data = b"".join(generate_measurements(500)) if name == "generated-52n" else (FIXTURES / name).read_bytes()
    kind = "json" if "complex" in name or "geometry" in name or "ogc-om-swearray" in name else "num"
    rows, fast = _fast_rows(data, kind)
    assert rows == _general_rows(data, kind)
    assert fast >= FAST.get(name, 0)  # plain measurements and plain DataArray rows took the fast path


FAST = {
    "generated-52n": 499,
    "52n-ioos-getobservation-om-measurement.xml": 19,
    "52n-niwa-climate-getobservation-swe-dataarray.xml": 24,
    "52n-getobservation-swearrayobservation-precip.xml": 363,
    "52n-tideelbe-getobservation-soap-sweobservation.xml": 288,
}


PROCESS = b"""<?xml version="1.0" encoding="UTF-8"?>
<swes:DescribeSensorResponse xmlns:swes="http://www.opengis.net/swes/2.0" xmlns:sml="http://www.opengis.net/sensorml/2.0"
  xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:swe="http://www.opengis.net/swe/2.0"
  xmlns:xlink="http://www.w3.org/1999/xlink">
  <swes:procedureDescriptionFormat>http://www.opengis.net/sensorml/2.0</swes:procedureDescriptionFormat>
  <swes:description><swes:SensorDescription><swes:data>
    <sml:SimpleProcess gml:id="p1">
      <gml:description>Daily mean computed from 10-minute values</gml:description>
      <gml:identifier codeSpace="uniqueID">urn:example:process:daily-mean</gml:identifier>
      <gml:name>Daily mean</gml:name>
      <sml:outputs><sml:OutputList><sml:output name="mean">
        <swe:Quantity definition="http://vocab.nerc.ac.uk/standard_name/air_temperature/">
          <swe:uom code="Cel"/></swe:Quantity></sml:output></sml:OutputList></sml:outputs>
    </sml:SimpleProcess>
  </swes:data></swes:SensorDescription></swes:description>
</swes:DescribeSensorResponse>"""


async def test_process_description_becomes_a_procedure_and_the_system_kind() -> None:
    from tests.sources.sos2.corpus_mapping import describe_batch

    batch = describe_batch(PROCESS)
    assert [u.entity for u in batch.units] == ["Procedure", "ProcedureType"]
    mapped = batch_mapper().map(batch)
    assert mapped.errors == []
    system, procedure = mapped.resources
    assert procedure.uid == system.system_kind.href and procedure.feature_type.endswith("/Procedure")
    assert system.uid == "urn:example:process:daily-mean" and system.name == "Daily mean"
    assert "http://vocab.nerc.ac.uk/standard_name/air_temperature/" in procedure.observed_properties


@pytest.mark.parametrize("key", ["urn:f", None])
@pytest.mark.parametrize("seq", [0, 2])
def test_compact_legacy_keys_are_the_stable_key_of_the_identity(key: str | None, seq: int) -> None:
    """Stored rows are recognised on re-harvest by this key: it must never drift from `stable_key`."""
    from bridge.mapping.transforms import stable_key

    start, end = 1_404_172_800_000_000, 1_404_176_400_000_000
    row = compact_mapper("src", "num", "urn:p", "urn:q")((start, end, end, key, 1.5, seq, None))
    identity = f"src/Observation/urn:p/urn:q/{key}/{start}/{end}" + (f"#{seq}" if seq else "")
    assert row[-1] == stable_key(identity)
