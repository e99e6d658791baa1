"""sps:ParameterData codec: the encodings spelled out in the OGC SPS 2.0 DescribeTasking example."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.model.legacy.sps2 import ParameterData, TaskingDescription
from bridge.sources import sps2
from bridge.sources.sps2 import TaskingParameterError, decode_parameters, encode_parameters

from .docs import fixture_bytes

# The four value blocks listed in the comment of ogc-sps-describetasking-response.xml.
FEASIBILITY = (
    {"taskTimeFrame": ["2010-08-20T12:15:00+02:00", "2010-08-20T14:45:00+02:00"]},
    "2010-08-20T12:15:00+02:00,2010-08-20T14:45:00+02:00,N,N",
)
SUBMIT = (
    {
        "taskTimeFrame": ["2010-08-20T12:37:00+02:00", "2010-08-20T14:30:00+02:00"],
        "positioningChoice": {"pointToLookAt": {"lat": 51.902112, "long": 8.192728, "h": 0}},
        "focalLength": 3.5,
    },
    "2010-08-20T12:37:00+02:00,2010-08-20T14:30:00+02:00,Y,pointToLookAt,51.902112,8.192728,0,Y,3.5",
)
UPDATE1 = (
    {"positioningChoice": {"relativePositioning": {"relativeHorizontalPan": -10}}},
    "Y,relativePositioning,Y,-10,N,N",
)
UPDATE2 = ({"focalLength": 5}, "N,Y,5")


@pytest.mark.parametrize(("values", "encoded"), [FEASIBILITY, SUBMIT])
def test_submit_encoding_matches_ogc_example(
    camera_description: TaskingDescription, values: dict[str, Any], encoded: str
) -> None:
    data = encode_parameters(camera_description, values)
    assert data.values == encoded
    assert data.encoding == {"type": "TextEncoding", "tokenSeparator": ",", "blockSeparator": "@@"}
    assert decode_parameters(camera_description, data) == values


@pytest.mark.parametrize(("values", "encoded"), [UPDATE1, UPDATE2])
def test_update_encoding_uses_updatable_fields(
    camera_description: TaskingDescription, values: dict[str, Any], encoded: str
) -> None:
    data = encode_parameters(camera_description, values, update=True)
    assert data.values == encoded
    assert decode_parameters(camera_description, data, update=True) == values


def test_fixed_coordinate_value_is_filled_in(camera_description: TaskingDescription) -> None:
    values = dict(SUBMIT[0], positioningChoice={"pointToLookAt": {"lat": 51.902112, "long": 8.192728}})
    assert encode_parameters(camera_description, values).values == SUBMIT[1]


def test_fixture_request_values_decode(camera_description: TaskingDescription) -> None:
    """The values of the OGC Submit/Update request documents, with their exact encoding blocks."""
    submit = sps2.parse_submit_response(fixture_bytes("ogc-sps-submit-response.xml")).report.parameters
    assert submit is not None and decode_parameters(camera_description, submit) == SUBMIT[0]
    padded = ParameterData(submit.encoding, UPDATE1[1] + " ")  # trailing blank as in the example comment
    assert decode_parameters(camera_description, padded, update=True) == UPDATE1[0]


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        (dict(SUBMIT[0], focalLength=11), "$.focalLength: 11 is outside the allowed values"),
        (dict(SUBMIT[0], focalLength="3.5"), "$.focalLength: expected a number"),
        ({"focalLength": 4}, "$.taskTimeFrame: a value is required"),
        (dict(SUBMIT[0], zoom=1), "$: unknown member(s) ['zoom']"),
        (dict(SUBMIT[0], taskTimeFrame=["soon", "later"]), "$.taskTimeFrame[0]: expected an ISO 8601 time"),
        (dict(SUBMIT[0], positioningChoice={"a": 1, "b": 2}), "$.positioningChoice: unknown member(s)"),
        (
            dict(SUBMIT[0], positioningChoice={"relativePositioning": {"relativeVerticalPan": 95}}),
            "$.positioningChoice.relativePositioning.relativeVerticalPan: 95 is outside",
        ),
    ],
)
def test_invalid_values_are_rejected_with_paths(
    camera_description: TaskingDescription, values: dict[str, Any], problem: str
) -> None:
    with pytest.raises(TaskingParameterError) as info:
        encode_parameters(camera_description, values)
    assert any(p.startswith(problem) for p in info.value.problems), info.value.problems
    assert info.value.status == 400


def test_update_cannot_touch_fixed_fields(camera_description: TaskingDescription) -> None:
    with pytest.raises(TaskingParameterError, match="unknown member"):
        encode_parameters(camera_description, {"taskTimeFrame": SUBMIT[0]["taskTimeFrame"]}, update=True)


def test_separator_inside_a_text_value_is_refused() -> None:
    doc = fixture_bytes("52n-sps-citetestsensor-taskingparameters.xml")
    description = sps2.parse_describe_tasking(doc, "p")
    values = {"measurementLocation": {"lat": 1, "long": 2}, "measurementPriority": "low", "shallMeasure": False}
    assert encode_parameters(description, values).values == "N,1,2,N,N,low,false,N"
    with pytest.raises(TaskingParameterError, match="separator"):
        encode_parameters(description, dict(values, measurementPurpose="a,b"))


def test_52n_types_round_trip() -> None:
    description = sps2.parse_describe_tasking(fixture_bytes("52n-sps-citetestsensor-taskingparameters.xml"), "p")
    values = {
        "measurementFrequency": 2.5,
        "measurementLocation": {"lat": 52.1, "long": 7.6},
        "measurementCount": 3,
        "measurementPurpose": "calibration run",
        "measurementPriority": "high",
        "shallMeasure": True,
        "maxMissionDuration": "2000-01-01T00:00:00Z",
    }
    data = encode_parameters(description, values)
    assert data.values == "Y,2.5,52.1,7.6,Y,3,Y,calibration run,high,true,Y,2000-01-01T00:00:00Z"
    assert decode_parameters(description, data) == values
    cases: list[tuple[dict[str, Any], str]] = [
        ({"measurementCount": 11}, "outside"),
        ({"measurementCount": 2.0}, "expected an integer"),
        ({"measurementPriority": "urgent"}, "is not one of"),
        ({"shallMeasure": "yes"}, "expected a boolean"),
        ({"maxMissionDuration": "2015-01-01T00:00:00Z"}, "outside the allowed times"),
        ({"measurementLocation": {"lat": 91, "long": 0}}, "outside"),
    ]
    for bad, problem in cases:
        with pytest.raises(TaskingParameterError, match=problem):
            encode_parameters(description, dict(values, **bad))


def test_xml_encoding_round_trip(camera_description: TaskingDescription) -> None:
    data = encode_parameters(camera_description, SUBMIT[0], encoding={"type": "XMLEncoding"})
    assert data.values.startswith("<CameraTask><taskTimeFrame>2010-08-20T12:37:00+02:00 2010-08-20T14:30:00+02:00<")
    assert "<positioningChoice><pointToLookAt><lat>51.902112</lat>" in data.values
    assert decode_parameters(camera_description, data) == SUBMIT[0]


def test_decoding_reports_short_and_long_blocks(camera_description: TaskingDescription) -> None:
    enc = {"type": "TextEncoding", "tokenSeparator": ",", "blockSeparator": "@@"}
    with pytest.raises(TaskingParameterError, match="end too early"):
        decode_parameters(camera_description, ParameterData(enc, "2010-08-20T12:15:00+02:00"))
    with pytest.raises(TaskingParameterError, match="trailing"):
        decode_parameters(camera_description, ParameterData(enc, FEASIBILITY[1] + ",N"))
    with pytest.raises(TaskingParameterError, match="not an item of the choice"):
        decode_parameters(camera_description, ParameterData(enc, FEASIBILITY[1][:-4] + ",Y,zoomIn,N"))
