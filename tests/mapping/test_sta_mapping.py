"""Recorded SensorThings documents (istSOS4, 52°North, Examind, FROST) map to valid CSAPI resources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bridge.errors import ConfigError
from bridge.mapping.batch import BatchMapper
from bridge.mapping.engine import Mapper
from bridge.mapping.sta import StaRules, observation_mapper
from bridge.mapping.tables import load_table
from bridge.mapping.transforms import stable_id
from bridge.model.csapi import ControlStream, Datastream, StatusCode, System
from bridge.model.harvest import Batch, LegacyObservations, Unit
from bridge.model.stream_schema import cached_schema
from bridge.sources.sta import parse as p
from bridge.sources.sta.parse_observations import data_array_observations, parse_data_array, parse_observation
from bridge.validation import SWE, errors

STA = Path(__file__).resolve().parents[2] / "fixtures" / "sta"


def doc(name: str) -> Any:
    return json.loads((STA / name).read_text(encoding="utf-8"))


@pytest.fixture
def mapper() -> Mapper:
    return Mapper(load_table("sta", "entities"), "rec", "mappings/sta/entities.yaml")


def _schema(stream: Datastream | ControlStream) -> Any:
    import orjson

    return cached_schema(orjson.dumps(stream.schema), isinstance(stream, ControlStream))


def test_thing_with_expanded_feature_location_becomes_a_platform(mapper: Mapper) -> None:
    raw = doc("examind-thing-expand-locations.json")
    thing = p.parse_thing(raw)
    location = p.parse_location(raw["Locations"][0])
    system = mapper.build("Thing", {"thing": thing, "location": location}, legacy_id=thing.id, via=thing.self_link)
    assert isinstance(system, System)
    assert system.id == stable_id(f"rec/Thing/{thing.id}")
    assert system.uid.startswith("urn:uuid:")
    assert system.feature_type == "http://www.w3.org/ns/sosa/Platform"
    assert system.geometry == {"type": "Point", "coordinates": [-3.9999999934154027, 42.00000000005155]}
    assert system.properties["legacyProperties"]["supervisor-code"] == "00ARGLELES"
    assert system.links[0].rel == "via" and system.links[0].href == thing.self_link
    assert system.provenance is not None and system.provenance.legacy_id == "urn:ogc:object:sensor:GEOM:2"


def test_multidatastream_becomes_one_record_datastream(mapper: Mapper) -> None:
    raw = doc("examind-multidatastream.json")
    stream = p.parse_multi_datastream(raw)
    stream.thing_id, stream.sensor_id = stream.thing_id or "t", stream.sensor_id or "s"
    ds = mapper.build("MultiDatastream", {"ds": stream, "ops": []}, legacy_id=stream.id)
    schema = _schema(ds)
    result = schema.result.to_json()
    assert result["type"] == "DataRecord" and len(result["fields"]) == 2
    assert [f["uom"]["code"] for f in result["fields"]] == ["m", "Cel"]  # °C → UCUM through the unit table
    assert not errors(SWE + "DataRecord.json", result)
    rows_doc = doc("examind-multidatastream-observations-dataarray.json")
    groups = parse_data_array(rows_doc)
    observations = [o for g in groups for o in data_array_observations(g, multi_datastream_id=stream.id)]
    to_row = observation_mapper("rec", schema, multi=True)
    rows = [to_row(o) for o in observations]
    assert rows and all(r.txt is not None and r.txt.startswith("{") for r in rows)
    first = json.loads(rows[0].txt)
    assert set(first) == {f["name"] for f in result["fields"]}


def test_string_results_of_a_measurement_stream_become_numbers() -> None:
    raw = doc("52n-sta-datastream-observations-string-results.json")
    observations = [parse_observation(item, datastream_id="ds") for item in raw["value"]]
    schema = cached_schema(
        b'{"obsFormat":"application/json","resultSchema":{"type":"Quantity","name":"t","uom":{"code":"Cel"}}}'
    )
    rows = [observation_mapper("rec", schema)(o) for o in observations]
    assert rows[0].num == 15.3 and rows[0].txt is None
    assert all(isinstance(r.num, float) for r in rows)
    assert len({r.legacy_key for r in rows}) == len(rows)  # distinct legacy keys: re-harvests drop duplicates


def test_dataarray_with_extra_columns_keeps_quality_and_parameters() -> None:
    groups = parse_data_array(doc("examind-datastream-observations-dataarray.json"))
    observations = [o for g in groups for o in data_array_observations(g, datastream_id="ds")]
    schema = cached_schema(
        b'{"obsFormat":"application/json","resultSchema":{"type":"Quantity","name":"t","uom":{"code":"m"}}}'
    )
    rows = [observation_mapper("rec", schema)(o) for o in observations]
    assert rows
    with_extra = [r for r in rows if r.extra]
    for row in with_extra:
        assert set(json.loads(row.extra)) <= {"resultQuality", "parameters"}


def test_tasking_capability_parameters_become_a_swe_command_schema(mapper: Mapper) -> None:
    tc = p.parse_tasking_capability(
        {"@iot.id": 7, "name": "washer", "taskingParameters": doc("frost-swecommon-taskingparameters-washer.json")}
    )
    tc.thing_id, tc.actuator_id = "1", "2"
    stream = mapper.build("TaskingCapability", {"tc": tc}, legacy_id="7")
    assert isinstance(stream, ControlStream)
    params = _schema(stream).result.to_json()
    assert not errors(SWE + "DataRecord.json", params)
    by_name = {f["name"]: f for f in params["fields"]}
    assert by_name["temperature"]["constraint"] == {"type": "AllowedValues", "values": [30, 40, 60, 90]}
    assert by_name["program"]["constraint"]["values"] == ["Wool", "Synthetics", "Cotton"]
    assert by_name["spindry"]["optional"] is True


def test_opaque_tasking_parameters_and_tasks_without_status(mapper: Mapper) -> None:
    raw = doc("frost-tests-taskingcapability-deep-insert-request.json")
    tc = p.parse_tasking_capability({**raw, "@iot.id": 3})
    tc.thing_id, tc.actuator_id = "1", "2"
    stream = mapper.build("TaskingCapability", {"tc": tc}, legacy_id="3")
    assert _schema(stream).result.to_json()["fields"][0]["type"] == "Text"
    task = p.parse_task({**raw["Tasks"][0], "@iot.id": 9, "TaskingCapability": {"@iot.id": 3}})
    batch = BatchMapper(mapper, StaRules("rec")).map(Batch(units=[Unit("Task", {"task": task}, "9")]))
    command, history = batch.commands[0]
    assert command.controlstream_id == stream.id
    assert command.current_status is StatusCode.ACCEPTED
    assert [s.status_code for s in history] == [StatusCode.ACCEPTED]
    assert "no status" in (history[0].message or "")


def test_location_history_rows(mapper: Mapper) -> None:
    thing = p.parse_thing({"@iot.id": 1, "name": "boat"})
    page = LegacyObservations("LocationHistory", {"thing": thing}, "LocationHistory/1", [])
    from datetime import UTC, datetime

    page.records = [(datetime(2024, 1, 1, tzinfo=UTC), {"type": "Point", "coordinates": [5.0, 50.0]}, "h1")]
    out = BatchMapper(mapper, StaRules("rec")).map(
        Batch(units=[Unit("LocationHistory", {"thing": thing}, "1")], observations=[page])
    )
    rows = out.observations[0].rows
    assert json.loads(rows[0].txt) == {"lon": 5.0, "lat": 50.0}
    assert out.observations[0].datastream_id == stable_id("rec/LocationHistory/1")


def test_a_broken_override_table_is_refused_with_the_file_named(tmp_path: Path) -> None:
    (tmp_path / "entities.yaml").write_text(
        "resources:\n  Thing:\n    kind: systems\n    id: {from: thing.id}\n    fields:\n      colour: {const: red}\n"
    )
    with pytest.raises(ConfigError, match="colour"):
        Mapper(load_table("sta", "entities", tmp_path), "x", "override")
    (tmp_path / "entities.yaml").write_text(
        "resources:\n  Thing:\n    kind: systems\n    id: {from: thing.id, transform: nope}\n"
    )
    with pytest.raises(ConfigError, match="unknown transform 'nope'"):
        Mapper(load_table("sta", "entities", tmp_path), "x", "override")
    (tmp_path / "entities.yaml").write_text("resources: [1, 2")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_table("sta", "entities", tmp_path)


def test_an_override_changes_the_mapping(tmp_path: Path) -> None:
    (tmp_path / "entities.yaml").write_text("lookups:\n  units:\n    '°C': degC-custom\n")
    mapper = Mapper(load_table("sta", "entities", tmp_path), "x")
    stream = p.parse_datastream(
        {
            "@iot.id": 1,
            "name": "t",
            "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
            "unitOfMeasurement": {"symbol": "°C"},
        }
    )
    stream.thing_id, stream.sensor_id = "a", "b"
    ds = mapper.build("Datastream", {"ds": stream, "op": None}, legacy_id="1")
    assert _schema(ds).result.to_json()["uom"] == {"code": "degC-custom"}


def test_hostile_shapes_are_reported_and_the_rest_is_mapped(mapper: Mapper) -> None:
    """A Thing nested too deep (it would make a listing fail to encode) or a result of megabytes is refused with
    an error in the run report; the other entities and observations of the batch are mapped as usual."""
    raw = doc("examind-thing-expand-locations.json")
    deep: Any = "leaf"
    for _ in range(300):
        deep = {"k": deep}
    thing, hostile = p.parse_thing(raw), p.parse_thing({**raw, "@iot.id": "hostile", "properties": {"x": deep}})
    location = p.parse_location(raw["Locations"][0])
    units = [Unit("Thing", {"thing": t, "location": location}, t.id) for t in (thing, hostile)]
    schema = cached_schema(b'{"obsFormat":"application/json","resultSchema":{"type":"Text","name":"t"}}')
    ok = parse_observation(
        {"@iot.id": "1", "phenomenonTime": "2020-01-01T00:00:00Z", "result": "fine"}, datastream_id="ds"
    )
    huge = parse_observation(
        {"@iot.id": "2", "phenomenonTime": "2020-01-01T00:00:01Z", "result": "x" * 70_000}, datastream_id="ds"
    )

    class Rules(StaRules):
        def row_mapper(self, page: LegacyObservations, stream: Datastream) -> Any:
            return observation_mapper("rec", schema)

    batch_mapper = BatchMapper(mapper, Rules("rec"))
    batch_mapper._streams["Datastream/ds"] = Datastream(id="d", system_id="s", name="d")
    page = LegacyObservations("Datastream", {}, "Datastream/ds", [ok, huge])
    mapped = batch_mapper.map(Batch(units=units, observations=[page]))
    assert [r.provenance.legacy_id for r in mapped.resources if r.provenance] == [thing.id]
    assert any("hostile" in e and "json_depth" in e for e in mapped.errors), mapped.errors
    assert [r.txt for r in mapped.observations[0].rows] == ["fine"]
    assert any("string_length" in e for e in mapped.errors), mapped.errors
