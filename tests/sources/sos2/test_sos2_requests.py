"""KVP query strings and POX/SOAP bodies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs

from bridge.sources import sos2
from bridge.sources.sos2.kvp import bbox_in_crs
from bridge.sources.xml import parse_xml

NZ = timezone(timedelta(hours=12))


def test_capabilities_negotiates_version() -> None:
    assert sos2.kvp_get_capabilities() == "service=SOS&request=GetCapabilities&AcceptVersions=2.0.0"
    query = sos2.kvp_get_capabilities(["Contents", "OperationsMetadata"])
    assert query.endswith("&Sections=Contents,OperationsMetadata")


def test_niwa_get_observation_encoding() -> None:
    """Reproduces the working NIWA request (spaces, parentheses, `+12:00` → %2B, Q3)."""
    query = sos2.kvp_get_observation(
        observed_property="Height of Gauge (River Stage)",
        foi=["95102", "40810"],
        temporal_filter=(datetime(2019, 5, 1, 12, tzinfo=NZ), datetime(2019, 5, 1, 13, tzinfo=NZ)),
        response_format=None,
    )
    assert "observedProperty=Height%20of%20Gauge%20%28River%20Stage%29" in query
    assert "featureOfInterest=95102,40810" in query
    assert (
        "temporalFilter=om%3AphenomenonTime%2C2019-05-01T12%3A00%3A00%2B12%3A00%2F2019-05-01T13%3A00%3A00%2B12%3A00"
        in query
    )
    assert "namespaces=xmlns%28om%2Chttp%3A%2F%2Fwww.opengis.net%2Fom%2F2.0%29" in query
    params = parse_qs(query)
    assert params["temporalFilter"] == ["om:phenomenonTime,2019-05-01T12:00:00+12:00/2019-05-01T13:00:00+12:00"]


def test_ids_with_commas_stay_one_value() -> None:
    query = sos2.kvp_get_observation(offering="MTHLY_STATS: A, B (C)", procedure=["8", "C"])
    assert "offering=MTHLY_STATS%3A%20A%2C%20B%20%28C%29" in query
    assert "procedure=8,C" in query
    assert "responseFormat=http%3A%2F%2Fwww.opengis.net%2Fom%2F2.0" in query


def test_instant_and_spatial_filters() -> None:
    query = sos2.kvp_get_observation(
        offering="o", temporal_filter=(datetime(2020, 1, 1, tzinfo=UTC), None), spatial_filter=(7.0, 51.0, 8.0, 52.0)
    )
    params = parse_qs(query)
    assert params["temporalFilter"] == ["om:phenomenonTime,2020-01-01T00:00:00Z"]
    assert params["spatialFilter"] == [
        "om:featureOfInterest/*/sams:shape,51.0,7.0,52.0,8.0,http://www.opengis.net/def/crs/EPSG/0/4326"
    ]
    assert bbox_in_crs((7.0, 51.0, 8.0, 52.0), "http://www.opengis.net/def/crs/OGC/1.3/CRS84") == (7.0, 51.0, 8.0, 52.0)


def test_other_kvp_builders() -> None:
    assert parse_qs(sos2.kvp_describe_sensor("urn:x:1")) == {
        "service": ["SOS"],
        "version": ["2.0.0"],
        "request": ["DescribeSensor"],
        "procedure": ["urn:x:1"],
        "procedureDescriptionFormat": ["http://www.opengis.net/sensorml/2.0"],
    }
    assert "request=GetFeatureOfInterest&procedure=p%201" in sos2.kvp_get_feature_of_interest(procedure="p 1")
    assert sos2.kvp_get_result_template("8", "a b").endswith("offering=8&observedProperty=a%20b")
    assert "temporalFilter=" in sos2.kvp_get_result("8", "x", temporal_filter=("2020-01-01T00:00:00+01:00", None))
    assert "%2B01%3A00" in sos2.kvp_get_result("8", "x", temporal_filter=("2020-01-01T00:00:00+01:00", None))
    assert sos2.kvp_get_data_availability(procedure="p").endswith("request=GetDataAvailability&procedure=p")


def test_pox_get_observation_round_trip() -> None:
    body = sos2.pox_get_observation(
        offering=["o1", "o 2"],
        procedure="p",
        observed_property="Height of Gauge (River Stage)",
        foi=["95102", "40810"],
        temporal_filter=(datetime(2019, 5, 1, 12, tzinfo=NZ), datetime(2019, 5, 1, 13, tzinfo=NZ)),
        spatial_filter=(7.0, 51.0, 8.0, 52.0),
    )
    request = sos2.parse_get_observation_request(body)
    assert request.offerings == ("o1", "o 2") and request.features == ("95102", "40810")
    assert request.observed_properties == ("Height of Gauge (River Stage)",)
    ((operator, reference, extent),) = request.temporal_filters
    assert (operator, reference) == ("During", "om:phenomenonTime")
    assert extent.start == datetime(2019, 5, 1, 12, tzinfo=NZ) and extent.end == datetime(2019, 5, 1, 13, tzinfo=NZ)
    assert request.spatial_filter is not None and request.spatial_filter[1] == (7.0, 51.0, 8.0, 52.0)
    assert request.response_format == "http://www.opengis.net/om/2.0"


def test_pox_bodies_and_soap_wrapper() -> None:
    for body in (
        sos2.pox_get_capabilities(["Contents"]),
        sos2.pox_describe_sensor("p"),
        sos2.pox_get_feature_of_interest(procedure="p"),
        sos2.pox_get_result_template("o", "op"),
        sos2.pox_get_result("o", "op", temporal_filter=("2020-01-01T00:00:00Z", None)),
        sos2.pox_get_data_availability(procedure="p"),
    ):
        root = parse_xml(body)
        assert root.tag.startswith("{http://www.opengis.net/")
    envelope = parse_xml(sos2.soap_envelope(sos2.pox_get_observation(offering="o")))
    assert envelope.tag == "{http://www.w3.org/2003/05/soap-envelope}Envelope"
    action = envelope.find(".//{http://www.w3.org/2005/08/addressing}Action")
    assert action is not None and action.text.endswith("core/2.0/GetObservation")
    assert sos2.check_exception(envelope).tag == "{http://www.opengis.net/sos/2.0}GetObservation"
