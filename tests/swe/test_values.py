"""validate_value: accepted values, and rejections naming the field path."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.swe import Component, SweValueError, parse_component, validate_value
from tests.swe.helpers import load


def _ptz() -> Component:
    doc = load("part2/commandSchema-ptz-swejson.json")["recordSchema"]
    doc["fields"][1]["constraint"] = {"intervals": [[-180, 180]]}
    doc["fields"][3]["constraint"] = {"intervals": [[0, 100]], "values": [200]}
    return parse_component(doc)


def _reject(component: Component, value: Any) -> SweValueError:
    with pytest.raises(SweValueError) as err:
        validate_value(component, value)
    assert err.value.status == 400
    return err.value


def test_command_parameters_inside_constraints_pass() -> None:
    validate_value(_ptz(), {"time": "2021-03-15T04:53:34.248Z", "pan": -10.0, "tilt": 23.0, "zoom": 0.4})
    validate_value(_ptz(), {"time": "2021-03-15T05:53:34+01:00", "pan": 180, "tilt": "NaN", "zoom": 200})


def test_out_of_interval_names_the_field() -> None:
    err = _reject(_ptz(), {"time": "2021-03-15T04:53:34Z", "pan": 200, "tilt": 0, "zoom": 1})
    assert str(err) == "pan: 200 is outside the allowed interval [-180, 180]"
    assert err.path == "pan"
    err = _reject(_ptz(), {"time": "2021-03-15T04:53:34Z", "pan": 0, "tilt": 0, "zoom": 150})
    assert str(err) == "zoom: 150 is outside the allowed interval [0, 100] and is not one of the allowed values 200"


@pytest.mark.parametrize(
    ("value", "path", "fragment"),
    [
        ({"time": "2021-03-15T04:53:34Z", "pan": 1, "tilt": 2}, "zoom", "required"),
        ({"time": "2021-03-15T04:53:34Z", "pan": 1, "tilt": 2, "zoom": 3, "roll": 4}, "roll", "unknown field"),
        ({"time": "2021-03-15T04:53:34Z", "pan": "left", "tilt": 2, "zoom": 3}, "pan", "expected a number"),
        ({"time": "2021-03-15T04:53:34Z", "pan": True, "tilt": 2, "zoom": 3}, "pan", "expected a number"),
        ({"time": "15/03/2021", "pan": 1, "tilt": 2, "zoom": 3}, "time", "ISO 8601"),
        ({"time": "2021-03-15T04:53:34", "pan": 1, "tilt": 2, "zoom": 3}, "time", "time zone"),
        ({"time": 1615784014, "pan": 1, "tilt": 2, "zoom": 3}, "time", "ISO 8601"),
        ([1, 2, 3, 4], "", "expected an object"),
    ],
)
def test_invalid_record_values(value: Any, path: str, fragment: str) -> None:
    err = _reject(_ptz(), value)
    assert err.path == path
    assert fragment in err.message


def test_nested_paths_include_array_indexes() -> None:
    trajectory = parse_component(load("spec/array2.json"))
    validate_value(trajectory, [{"lat": 1.0, "lon": 2.0}, {"lat": 3, "lon": 4}])
    validate_value(trajectory, [])
    err = _reject(trajectory, [{"lat": 1.0, "lon": 2.0}, {"lat": 3}])
    assert err.path == "[1].lon"
    record = parse_component(
        {"type": "DataRecord", "fields": [{"name": "track", **load("spec/array2.json")}]},
    )
    err = _reject(record, {"track": [{"lat": 1.0, "lon": "x"}]})
    assert str(err) == "track[0].lon: expected a number, got 'x'"


def test_fixed_size_arrays_and_matrices() -> None:
    matrix = parse_component(load("spec/matrix1.json"))
    validate_value(matrix, load("spec/matrix1.json")["values"])
    image = parse_component(load("spec/array3-encoded-values.json"))
    row = [{"band1": 1, "band2": 2, "band3": 3}] * 4
    validate_value(image, [row] * 4)
    assert "expected 4 elements, got 3" in _reject(image, [row] * 3).message
    assert _reject(image, [row, row, row, row[:2]]).path == "[3]"


def test_choice_values() -> None:
    choice = parse_component(load("spec/choice1.json"))
    validate_value(choice, {"TEMP": {"time": "2021-03-15T04:53:34Z", "temp": 21.5}})
    assert _reject(choice, {"WIND": {}}).path == "WIND"
    assert "exactly one member" in _reject(choice, {"TEMP": {}, "PRESS": {}}).message
    assert _reject(choice, {"PRESS": {"time": "2021-03-15T04:53:34Z", "press": "x"}}).path == "PRESS.press"


def test_tokens_and_patterns() -> None:
    status = parse_component(load("spec/allowedTokens2.json"))
    validate_value(status, "Ready")
    assert (
        _reject(status, "Sleeping").message == "'Sleeping' is not one of the allowed values Off, Stand-by, Ready, Busy"
    )
    plate = parse_component(load("spec/text3.json"))
    validate_value(plate, "1ABCD-XYZ-123")
    assert "does not match the pattern" in _reject(plate, "1ABCD-XYZ-1234").message
    assert "expected a string" in _reject(plate, 12).message


def test_nil_values_bypass_constraints() -> None:
    counts = parse_component({**load("spec/nil-values2.json"), "constraint": {"intervals": [[1, 254]]}})
    validate_value(counts, 0)
    validate_value(counts, 255)
    validate_value(counts, 7)
    assert "outside" in _reject(counts, 300).message
    assert "expected an integer" in _reject(counts, 2.5).message
    dose = parse_component({**load("spec/nil-values1.json"), "constraint": {"intervals": [[0, 1000]]}})
    validate_value(dose, "-Infinity")
    validate_value(dose, "+Infinity")
    assert "NaN is outside" in _reject(dose, "NaN").message
    plate = parse_component({**load("spec/nil-values3.json"), "constraint": {"pattern": "^[0-9]+$"}})
    validate_value(plate, "Unknown")
    assert _reject(plate, "Other")


def test_scalars_and_ranges() -> None:
    validate_value(parse_component(load("spec/boolean1.json")), False)
    assert "true or false" in _reject(parse_component(load("spec/boolean1.json")), "false").message
    validate_value(parse_component(load("spec/count1.json")), 3)
    assert "integer" in _reject(parse_component(load("spec/count1.json")), True).message
    validate_value(parse_component(load("spec/time2.json")), 1257415633.5)
    assert "number" in _reject(parse_component(load("spec/time2.json")), "2009-11-05T10:07:13Z").message
    period = parse_component(load("spec/time-range1.json"))
    validate_value(period, ["2008-01-05T11:02:54Z", "+Infinity"])
    assert _reject(period, ["2008-01-05T11:02:54Z"]).message == "expected an array of two values [min, max]"
    assert _reject(period, ["2008-01-05T11:02:54Z", "soon"]).path == "[1]"
    tasking = parse_component(load("sat-tasking/sat-coverage-tasking-schema.json"))
    validate_value(tasking, load("sat-tasking/sat-coverage-tasking-with-point.json"))
    request = load("sat-tasking/sat-coverage-tasking-with-polygon.json")
    del request["$schema"]
    validate_value(tasking, request)
    request["acquisition_angle"]["elevation"] = [0.0, 75.0]
    assert (
        str(_reject(tasking, request))
        == "acquisition_angle.elevation[1]: 75.0 is outside the allowed interval [0.0, 60.0]"
    )
    request["acquisition_angle"]["elevation"] = [0.0, 10.0]
    request["priority_level"] = "URGENT"
    assert _reject(tasking, request).path == "priority_level"
    request["priority_level"] = "HIGH"
    request["region_of_interest"] = {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}
    assert "LineString is not one of Point, Polygon" in _reject(tasking, request).message


def test_time_constraints_and_significant_figures() -> None:
    acquisition = parse_component(load("spec/allowedTimes1.json"))
    validate_value(acquisition, "2010-01-01T00:00:00Z")
    assert "outside the allowed interval" in _reject(acquisition, "2008-12-31T23:59:59Z").message
    pulse = parse_component(load("spec/allowedTimes2.json"))
    validate_value(pulse, 12.5)
    assert _reject(pulse, -1)
    latitude = parse_component(load("spec/allowedValues3.json"))
    validate_value(latitude, 45.1234)
    assert "significant figures" in _reject(latitude, 45.1234567).message
    assert "outside" in _reject(latitude, 91).message


def test_geopose_data_examples_are_valid() -> None:
    for name in ("TangentPointPosition", "UnitQuaternion", "YawPitchRollAngles"):
        validate_value(parse_component(load(f"geopose/{name}_Schema.json")), load(f"geopose/{name}_Data.json"))
    pose = parse_component(load("part2/observationSchema-geopose-swejson.json")["recordSchema"])
    validate_value(pose, load("geopose/BasicYPRWithTime_Data.json"))


def test_optional_fields_may_be_omitted_or_null() -> None:
    record = parse_component(
        {
            "type": "DataRecord",
            "fields": [
                {"name": "a", "type": "Count"},
                {"name": "b", "type": "Text", "optional": True},
            ],
        }
    )
    validate_value(record, {"a": 1})
    validate_value(record, {"a": 1, "b": None})
    validate_value(record, {"a": 1, "b": "x"})
    assert _reject(record, {"a": None}).path == "a"
