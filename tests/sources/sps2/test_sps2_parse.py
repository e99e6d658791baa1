"""Every SPS 2.0 fixture parses, with exact values for the fields the bridge relies on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bridge.errors import UpstreamError
from bridge.sources import sps2
from bridge.sources.sps2.common import duration_seconds, parse_time
from bridge.validation import SWE, errors

from .docs import CAMERA, FIXTURES, TASK6, fixture_bytes

CEST = timezone(timedelta(hours=2))


def _caps(doc: bytes) -> dict[str, Any]:
    caps = sps2.parse_capabilities(doc)
    offering = caps.offerings[0]
    return {
        "title": caps.title,
        "version": caps.version,
        "profiles": len(caps.profiles),
        "updater": caps.has_profile("TaskUpdater"),
        "operations": sorted(caps.operations),
        "submit_url": caps.operations["Submit"][0].href,
        "submit_binding": caps.operations["Submit"][0].binding,
        "post": caps.post_encodings,
        "encodings": caps.supported_encodings,
        "min_status": (caps.min_status_time, caps.min_status_seconds),
        "offering": (offering.identifier, offering.procedure, offering.procedure_description_formats),
        "area": offering.observable_area,
    }


def _status(doc: bytes) -> list[tuple[Any, ...]]:
    return [
        (r.task_id, r.request_status, r.task_status, r.event, r.percent_completion, r.update_time, r.message)
        for r in sps2.parse_get_status(doc)
    ]


def _response(parse: Callable[[bytes], Any]) -> Callable[[bytes], tuple[Any, ...]]:
    def run(doc: bytes) -> tuple[Any, ...]:
        r = parse(doc)
        rep = r.report
        values = rep.parameters.values if rep.parameters else None
        return (rep.task_id, rep.procedure, rep.request_status, rep.task_status, rep.event, r.target_task, values)

    return run


def _task(doc: bytes) -> tuple[Any, ...]:
    (task,) = sps2.parse_get_task(doc)
    events = [r.event for r in task.history]
    latest = task.latest
    assert latest is not None and task.parameters is not None
    return task.task_id, task.procedure, events, latest.task_status, latest.percent_completion, task.parameters.values


def _result_access(doc: bytes) -> list[tuple[Any, ...]]:
    access = sps2.parse_describe_result_access(doc)
    assert access.available
    return [(r.href, r.role, r.data_access_type, r.formats) for r in access.references]


def _tasking(doc: bytes) -> tuple[Any, ...]:
    d = sps2.parse_describe_tasking(doc, CAMERA)
    updatable = [f["name"] for f in d.updatable_parameters["fields"]] if d.updatable_parameters else None
    return d.name, d.field_names, updatable, d.encoding["type"]


SUBMIT_VALUES = "2010-08-20T12:37:00+02:00,2010-08-20T14:30:00+02:00,Y,pointToLookAt,51.902112,8.192728,0,Y,3.5"
CASES: list[tuple[str, Callable[[bytes], Any], Any]] = [
    (
        "ogc-sps-getcapabilities-response-soap.xml",
        _caps,
        {
            "title": "SPS Specification Service",
            "version": "2.0.0",
            "profiles": 27,
            "updater": True,
            "operations": sorted(
                [
                    "GetCapabilities",
                    "DescribeTasking",
                    "Submit",
                    "DescribeResultAccess",
                    "GetFeasibility",
                    "Update",
                    "GetStatus",
                    "GetTask",
                    "Cancel",
                    "Reserve",
                    "Confirm",
                ]
            ),
            "submit_url": "http://www.ogc.org/SPS",
            "submit_binding": "pox",
            "post": ["SOAP"],
            "encodings": ["http://www.opengis.net/swe/2.0/TextEncoding"],
            "min_status": ("PT12H", 43200.0),
            "offering": ("http://www.ogc.org/sps/offering1", CAMERA, ["http://www.opengis.net/sensorML/1.0.1"]),
            "area": {  # lat/lon positions swapped to lon/lat, unclosed ring closed (Q19)
                "type": "Polygon",
                "coordinates": [[[8.186, 51.9], [8.186, 51.9005], [8.199, 51.9005], [8.199, 51.9], [8.186, 51.9]]],
            },
        },
    ),
    (
        "ogc-sps-describetasking-response.xml",
        _tasking,
        (
            "CameraTask",
            ["taskTimeFrame", "positioningChoice", "focalLength"],
            ["positioningChoice", "focalLength"],
            "TextEncoding",
        ),
    ),
    (
        "52n-sps-citetestsensor-taskingparameters.xml",
        _tasking,
        (
            "taskingParameters",
            [
                "measurementFrequency",
                "measurementLocation",
                "measurementCount",
                "measurementPurpose",
                "measurementPriority",
                "shallMeasure",
                "maxMissionDuration",
            ],
            [
                "measurementFrequency",
                "measurementLocation",
                "measurementCount",
                "measurementPurpose",
                "measurementPriority",
                "shallMeasure",
                "maxMissionDuration",
            ],
            "TextEncoding",
        ),
    ),
    (
        "ogc-sps-submit-response.xml",
        _response(sps2.parse_submit_response),
        (TASK6, CAMERA, "Accepted", "InExecution", "TaskSubmitted", None, SUBMIT_VALUES),
    ),
    (
        "ogc-sps-update-response.xml",
        _response(sps2.parse_update_response),
        (TASK6 + "/updates/1", CAMERA, "Accepted", "InExecution", "TaskUpdated", TASK6, None),
    ),
    (
        "ogc-sps-cancel-response.xml",
        _response(sps2.parse_cancel_response),
        (TASK6, CAMERA, "Accepted", None, None, None, None),
    ),
    (
        "ogc-sps-getstatus-response-failed.xml",
        _status,
        [
            (
                TASK6,
                "Accepted",
                "Failed",
                "TaskFailed",
                None,
                datetime(2010, 8, 20, 11, 28, 30, tzinfo=CEST),
                "Your reservation failed because an emergency tasking action required use of the resources that were "
                "reserved for your task.",
            )
        ],
    ),
    (
        "ogc-sps-getstatus-response-since-history.xml",
        _status,
        [
            (
                TASK6,
                "Accepted",
                "InExecution",
                "TaskUpdated",
                None,
                datetime(2010, 8, 20, 12, 40, 50, tzinfo=CEST),
                None,
            ),
            (TASK6, "Accepted", "Completed", "TaskCompleted", 100.0, datetime(2010, 8, 20, 14, 30, tzinfo=CEST), None),
        ],
    ),
    (
        "ogc-sps-gettask-response-completed.xml",
        _task,
        (
            TASK6,
            CAMERA,
            ["TaskSubmitted", "DataPublished", "TaskUpdated", "TaskCompleted"],
            "Completed",
            100.0,
            SUBMIT_VALUES,
        ),
    ),
    (
        "ogc-sps-describeresultaccess-response-procedure.xml",
        _result_access,
        [
            (
                "http://www.ogc.org/SOS",
                "http://www.opengis.net/spec/SPS/2.0/referenceType/ServiceURL",
                "http://www.opengis.net/sos/2.0",
                [],
            ),
            (
                "http://www.ogc.org/SOS/procedure/camera/1/videos",
                "http://www.opengis.net/spec/SPS/2.0/referenceType/Folder",
                None,
                ["video/mj2"],
            ),
        ],
    ),
]


@pytest.mark.parametrize(("name", "parse", "expected"), CASES, ids=[c[0] for c in CASES])
def test_fixture_parses_exactly(name: str, parse: Callable[[bytes], Any], expected: Any) -> None:
    assert parse(fixture_bytes(name)) == expected


def test_every_fixture_is_covered() -> None:
    covered = {c[0] for c in CASES} | {
        "ogc-sps-exception-invalidparametervalue-soap12.xml",  # test_soap_fault_raises
        "ogc-sps-submit-request.xml",  # request documents: test_sps2_requests
        "ogc-sps-update-request.xml",
    }
    assert covered == {p.name for p in FIXTURES.glob("*.xml")}


def test_soap_fault_raises() -> None:
    doc = fixture_bytes("ogc-sps-exception-invalidparametervalue-soap12.xml")
    for parse in (sps2.parse_get_status, sps2.parse_submit_response, sps2.parse_capabilities, sps2.parse_get_task):
        with pytest.raises(sps2.SpsException) as info:
            parse(doc)
        exc = info.value
        assert (exc.exception_code, exc.locator, exc.soap_code) == ("InvalidParameterValue", "task", "soap12:Sender")
        assert exc.text == "The requested task / tasking request is unknown to the service."
        assert isinstance(exc, UpstreamError) and exc.status == 502


def test_pox_exception_report_raises_with_all_exceptions() -> None:
    doc = b"""<ExceptionReport xmlns="http://www.opengis.net/ows/1.1" version="2.0.0">
      <Exception exceptionCode="MissingParameterValue" locator="procedure"><ExceptionText>no procedure</ExceptionText>
      </Exception><Exception exceptionCode="InvalidParameterValue" locator="version"/></ExceptionReport>"""
    with pytest.raises(sps2.SpsException) as info:
        sps2.unwrap(doc, http_status=400)
    exc = info.value
    assert (exc.exception_code, exc.locator, exc.text, exc.http_status) == (
        "MissingParameterValue",
        "procedure",
        "no procedure",
        400,
    )
    assert [(m.exception_code, m.locator) for m in exc.more] == [("InvalidParameterValue", "version")]


def test_soap_fault_without_detail_uses_subcode() -> None:
    doc = b"""<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault><s:Code>
      <s:Value>s:Receiver</s:Value><s:Subcode><s:Value>ows:NoApplicableCode</s:Value></s:Subcode></s:Code>
      <s:Reason><s:Text xml:lang="en">database down</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"""
    with pytest.raises(sps2.SpsException) as info:
        sps2.unwrap(doc)
    assert (info.value.exception_code, info.value.text, info.value.soap_code) == (
        "NoApplicableCode",
        "database down",
        "s:Receiver",
    )


def test_wrong_document_is_an_upstream_error() -> None:
    with pytest.raises(UpstreamError, match="expected sps:GetStatusResponse"):
        sps2.parse_get_status(fixture_bytes("ogc-sps-submit-response.xml"))


@pytest.mark.parametrize(
    "name", ["ogc-sps-describetasking-response.xml", "52n-sps-citetestsensor-taskingparameters.xml"]
)
def test_tasking_schema_is_valid_swe_common_3_json(name: str) -> None:
    description = sps2.parse_describe_tasking(fixture_bytes(name), CAMERA)
    assert errors(SWE + "DataRecord.json", description.parameters) == []
    assert description.updatable_parameters is not None
    assert errors(SWE + "DataRecord.json", description.updatable_parameters) == []


def test_camera_schema_keeps_constraints_and_choice() -> None:
    fields = {
        f["name"]: f for f in sps2.parse_describe_tasking(fixture_bytes(CASES[1][0]), CAMERA).parameters["fields"]
    }
    assert fields["taskTimeFrame"]["type"] == "TimeRange" and fields["taskTimeFrame"]["updatable"] is False
    assert fields["focalLength"]["constraint"] == {"type": "AllowedValues", "intervals": [[3.5, 10]]}
    assert fields["focalLength"]["uom"] == {"code": "mm"} and fields["focalLength"]["optional"] is True
    choice = fields["positioningChoice"]
    assert [i["name"] for i in choice["items"]] == ["pointToLookAt", "relativePositioning"]
    look = choice["items"][0]
    assert look["type"] == "Vector" and look["referenceFrame"] == "http://www.opengis.net/def/crs/EPSG/0/4979"
    assert [c["name"] for c in look["coordinates"]] == ["lat", "long", "h"]
    pan = choice["items"][1]["fields"][0]
    assert pan["constraint"] == {"type": "AllowedValues", "intervals": [[-180, 180]]}


def test_52n_schema_keeps_tokens_times_and_units() -> None:
    doc = fixture_bytes("52n-sps-citetestsensor-taskingparameters.xml")
    fields = {f["name"]: f for f in sps2.parse_describe_tasking(doc, "p").parameters["fields"]}
    assert fields["measurementPriority"]["constraint"] == {"type": "AllowedTokens", "values": ["low", "medium", "high"]}
    assert fields["maxMissionDuration"]["constraint"]["type"] == "AllowedTimes"
    assert fields["measurementFrequency"]["uom"] == {"code": "Hz"}
    lat = fields["measurementLocation"]["coordinates"][0]
    assert lat["uom"] == {"href": "deg"} and lat["constraint"]["intervals"] == [[-90, 90]]
    assert fields["measurementCount"]["type"] == "Count" and fields["shallMeasure"]["type"] == "Boolean"


def test_time_and_duration_values() -> None:
    assert parse_time("2010-08-20T12:37:00.001+02:00") == datetime(2010, 8, 20, 12, 37, 0, 1000, tzinfo=CEST)
    assert parse_time("2010-08-20T10:00:00").tzinfo is not None  # type: ignore[union-attr]
    assert parse_time("2010-08-20T10:00:00.1234567Z") == datetime(2010, 8, 20, 10, 0, 0, 123456, tzinfo=UTC)
    assert duration_seconds("PT12H") == 43200 and duration_seconds("P1DT30M") == 88200
    assert duration_seconds("garbage") is None and duration_seconds(None) is None


def _soap(doc: bytes) -> bytes:
    envelope = b'<soap12:Envelope xmlns:soap12="http://www.w3.org/2003/05/soap-envelope"><soap12:Body>'
    return envelope + doc + b"</soap12:Body></soap12:Envelope>"


def _reprefixed(doc: bytes) -> bytes:
    """Same document with the sps prefix renamed and swe as the default namespace (Q2)."""
    doc = doc.replace(b"sps:", b"t:").replace(b"xmlns:sps=", b"xmlns:t=")
    return doc.replace(b"swe:", b"").replace(b"xmlns:swe=", b"xmlns=")


POX_CASES = [c for c in CASES if not c[0].startswith(("52n-", "ogc-sps-getcapabilities"))]


@pytest.mark.parametrize(("name", "parse", "expected"), POX_CASES, ids=[c[0] for c in POX_CASES])
def test_soap_wrapped_and_reprefixed_documents_parse_the_same(
    name: str, parse: Callable[[bytes], Any], expected: Any
) -> None:
    doc = fixture_bytes(name)
    assert parse(_soap(doc)) == expected
    assert parse(_reprefixed(doc)) == expected
