"""Exact values from representative SOS documents (capabilities, observations, FOIs, sensors, results)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bridge.model.legacy.sos2 import (
    OM_CATEGORY,
    OM_COMPLEX,
    OM_COUNT,
    OM_GEOMETRY,
    OM_MEASUREMENT,
    OM_SWE_ARRAY,
    OM_TEXT,
    OM_TRUTH,
    Observation,
)
from bridge.sources import sos2
from bridge.validation import PART1, SWE, errors

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "sos2"
NZ = timezone(timedelta(hours=12))


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def observations(name: str) -> list[Observation]:
    return list(sos2.iter_observations(io.BytesIO(load(name))))


# ------------------------------------------------------------------------------------ capabilities


def test_niwa_capabilities_offering_8() -> None:
    caps = sos2.parse_capabilities(load("52n-niwa-climate-getcapabilities.xml"))
    assert caps.version == "2.0.0"
    assert [o.identifier for o in caps.offerings] == ["8", "C", caps.offerings[2].identifier]
    off = caps.offerings[0]
    assert off.procedure == "8"
    assert off.name == "ANEMOMETER ONLY"
    assert "http://www.opengis.net/sensorml/2.0" in off.procedure_description_formats
    assert "MTHLY_STATS: TOTAL RAINFALL (MTHLY: TOTAL RAIN)" in off.observable_properties
    # observedArea is written lon/lat under EPSG:4326 by this server (Q4): normalised to lon/lat
    assert off.observed_area == (172.324, -41.805, 174.07274, -41.64724)
    assert off.phenomenon_time is not None
    assert off.phenomenon_time.start == datetime(1996, 7, 14, 12, tzinfo=UTC)
    assert off.phenomenon_time.end == datetime(2013, 8, 1, tzinfo=UTC)
    assert "http://www.opengis.net/waterml/2.0" in off.response_formats
    assert off.observation_types == ("http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",)
    assert off.inherited == frozenset()
    assert caps.has_profile("kvp-core") and caps.has_profile("hydrosos")
    url = "http://wellsensorobsp.niwa.co.nz:8080/52n-sos-clidb-webapp/service"
    assert caps.endpoint("GetObservation", "kvp") == url
    assert caps.endpoint("GetObservation", "soap") == url
    assert caps.endpoint("Batch", "kvp") is None
    assert "During" in caps.temporal_operators and caps.spatial_operators == ("BBOX",)
    assert caps.provider is not None and caps.provider.name == "NIWA"


def test_gin_offering_inherits_contents_defaults_and_trims() -> None:
    caps = sos2.parse_capabilities(load("gin-ngwd-getcapabilities.xml"))
    (off,) = caps.offerings
    assert off.procedure_description_formats == ("http://www.opengis.net/sensorML/1.0.1",)  # newline+tabs trimmed
    assert off.response_formats == ("http://www.opengis.net/om/2.0",)
    assert off.inherited == {"response_formats", "observation_types"}
    assert off.observed_area == (-120.0, 41.0, -60.0, 60.0)  # EPSG:4326 lat/lon → lon/lat


def test_ngmp_falls_back_to_operations_metadata_formats() -> None:
    caps = sos2.parse_capabilities(load("52n-gns-ngmp-getcapabilities.xml"))
    off = caps.offerings[0]
    assert off.identifier == "NGMP_HYDRAULIC_CONDUCTIVITY"
    assert "procedure_description_formats" in off.inherited
    assert off.observed_area_srs == "http://www.opengis.net/def/crs/EPSG/0/4272"
    assert off.observed_area == pytest.approx((172.54255929701253, -43.49087689429214, 176.92673919793086, -37.5309984))
    assert off.related_features[0][0] == "relatedFeature"
    assert off.phenomenon_time is not None and off.phenomenon_time.start == datetime(1900, 1, 1, 0, 30, tzinfo=NZ)


def test_soap_capabilities_with_unqualified_root() -> None:
    caps = sos2.parse_capabilities(load("ogc-getcapabilities-response-soap.xml"))
    assert caps.title == "My SOS" and caps.has_profile("resultRetrieval")
    (off,) = caps.offerings
    assert off.observed_area == (7.76667, 50.7167, 9.76667, 53.7167)


def test_sos1_capabilities_refused_with_clear_message() -> None:
    with pytest.raises(sos2.Sos1OnlyError, match=r"AcceptVersions=2\.0\.0"):
        sos2.parse_capabilities(load("52n-ioos-getcapabilities-sos100-dual-version.xml"))


# ------------------------------------------------------------------------------------ observations


def test_ioos_measurements() -> None:
    obs = observations("52n-ioos-getobservation-om-measurement.xml")
    first = obs[0]
    assert first.detected_type == OM_MEASUREMENT == first.declared_type
    assert first.result == 25.12
    assert first.uom == "urn:ogc:def:uom:udunits:2:Cel"
    assert first.foi == "urn:ioos:station:test:3(height-75.0m)"
    assert first.procedure == "urn:ioos:sensor:test:3:sea_water_temperature"
    assert first.phenomenon_time.start == datetime(2014, 7, 7, 22, tzinfo=UTC)
    assert first.result_time == first.phenomenon_time.start  # resultTime was "#phenomenonTime_1581"
    assert first.result_component == {
        "type": "Quantity",
        "definition": "http://mmisw.org/ont/cf/parameter/sea_water_temperature",
        "label": "sea_water_temperature",
        "uom": {"href": "urn:ogc:def:uom:udunits:2:Cel"},
    }
    assert [o.result for o in obs[:3]] == [25.12, 16.37, 16.49]


def test_niwa_discharge_offset_times_and_offering_parameter() -> None:
    (obs,) = observations("52n-niwa-hydro-getobservation-om-discharge.xml")
    assert obs.phenomenon_time.start == datetime(2019, 5, 17, 7, tzinfo=NZ)
    assert obs.phenomenon_time.start.utcoffset() == timedelta(hours=12)
    assert obs.result == 4.19773641385934 and obs.uom == "m^3/s"
    assert obs.offering == "QR.Master@29808"
    (wml,) = observations("52n-niwa-hydro-getobservation-wml2-discharge.xml")
    assert (wml.result, wml.uom, wml.phenomenon_time.start, wml.offering) == (
        obs.result,
        obs.uom,
        obs.phenomenon_time.start,
        obs.offering,
    )


def test_wml2_gauge_points() -> None:
    obs = observations("52n-niwa-hydro-getobservation-wml2-gauge.xml")
    assert obs[0].phenomenon_time.start == datetime(2019, 5, 1, 12, tzinfo=NZ)
    assert obs[-1].phenomenon_time.start == datetime(2019, 5, 1, 13, tzinfo=NZ)
    assert [o.result for o in obs[:3]] == [1.267, 1.267, 1.266]
    assert {o.uom for o in obs} == {"m"}
    assert obs[0].foi == "95102" and obs[0].foi_title == "Karamea at Gorge"
    assert obs[0].observed_property == "Height of Gauge (River Stage)"
    assert obs[0].parameters["interpolationType"].endswith("continuous")
    assert obs[0].declared_type == OM_MEASUREMENT and obs[0].detected_type == OM_MEASUREMENT


def test_kisters_wml2_whitespace_and_qualifiers() -> None:
    obs = observations("kisters-kiwis-getobservation-wml2.xml")
    assert obs[0].declared_type is None  # no om:type in WaterML outputs
    assert obs[0].uom == "cumec" and obs[0].result == 10100.0
    assert obs[0].quality == ("http://kiwis.kisters.de/qualifiers/1064",)
    assert obs[0].result_time == datetime(2005, 12, 31, 22, tzinfo=timezone(timedelta(hours=1)))


def test_niwa_dataarray_despite_measurement_type() -> None:
    obs = observations("52n-niwa-climate-getobservation-swe-dataarray.xml")
    first = obs[0]
    assert first.declared_type == OM_MEASUREMENT and first.detected_type == OM_SWE_ARRAY  # Q6
    assert first.result == 29.0 and obs[1].result == pytest.approx(26.9)
    assert first.uom == "DEGREE_CELSIUS"
    assert first.phenomenon_time.start == datetime(1999, 1, 1, tzinfo=UTC)  # '1999-01' → the month
    assert first.phenomenon_time.end == datetime(1999, 2, 1, tzinfo=UTC)
    assert first.phenomenon_time.assumed_utc and first.issues
    assert first.foi == "1056" and obs[13].foi == "11234"


def test_precip_swe_array_rows() -> None:
    obs = observations("52n-getobservation-swearrayobservation-precip.xml")
    assert len(obs) == 364
    assert obs[0].phenomenon_time.start == datetime(2014, 12, 8, tzinfo=UTC)
    assert obs[0].result == 6.92625 and obs[7].result == 0.0  # '0E-10'
    assert obs[0].uom == "mm" and obs[0].procedure == "Tagessumme"
    assert obs[0].result_time == datetime(2015, 8, 5, tzinfo=UTC)


def test_tideelbe_soap_inline_feature() -> None:
    obs = observations("52n-tideelbe-getobservation-soap-sweobservation.xml")
    first = obs[0]
    assert first.declared_type.endswith("OM_SWEObservation") and first.detected_type == OM_SWE_ARRAY
    assert first.feature is not None and first.feature.identifier == first.foi
    assert first.foi == "http://www.portal-tideelbe.org/featureOfInterest/teufelsbrueck"
    assert first.feature.srs_name == "http://www.opengis.net/def/crs/EPSG/0/31467"
    assert first.feature.geometry_crs84  # Gauss-Krüger zone 3, northing first: reprojected to lon/lat (Hamburg)
    lon, lat = first.feature.geometry["coordinates"]  # type: ignore[index]
    assert 9.85 < lon < 9.87 and 53.54 < lat < 53.55
    assert obs[-1].result == -133.0
    assert first.phenomenon_time.start == datetime(2010, 1, 1, tzinfo=timezone(timedelta(hours=1)))


def test_complex_record_result() -> None:
    (obs,) = observations("52n-tutorial-getobservation-complexobservation.xml")
    assert obs.detected_type == OM_COMPLEX
    assert obs.result["isFreezing"] is False  # type: ignore[index]
    assert obs.result["manuel_observation"] == "slight rain shower"  # type: ignore[index]
    assert obs.result["wind_direction"] == 312.0  # type: ignore[index]
    assert obs.result_component is not None and not errors(SWE + "DataRecord.json", obs.result_component)


@pytest.mark.parametrize(
    ("name", "kind", "value"),
    [
        ("ogc-om-categoryobservation.xml", OM_CATEGORY, "Banana"),
        ("ogc-om-countobservation.xml", OM_COUNT, 20),
        ("ogc-om-truthobservation.xml", OM_TRUTH, False),
        ("52n-example-insertobservation-text.xml", OM_TEXT, "text_value"),
        ("ogc-om-geometryobservation.xml", OM_GEOMETRY, None),
    ],
)
def test_simple_result_kinds(name: str, kind: str, value: object) -> None:
    (obs,) = observations(name)
    assert obs.detected_type == kind
    assert obs.result == value
    assert obs.result_component is not None and not errors(SWE + "sweCommon.json", obs.result_component)


def test_ogc_swe_array_rows_become_records() -> None:
    obs = observations("ogc-om-swearrayobservation.xml")
    assert obs[1].result == {"depth": 10.0, "temperature": 13.0, "salinity": 20.0}
    assert obs[0].result_time == obs[0].phenomenon_time.start  # '#ot1t'


def test_inline_feature_lat_lon_normalised() -> None:
    (obs,) = observations("52n-example-insertobservation-text.xml")
    assert obs.feature is not None
    assert obs.feature.geometry == {"type": "Point", "coordinates": [7.651968812254194, 51.935101100104916]}


# ------------------------------------------------------------------------------------ features


def test_niwa_feature_of_interest_lat_lon() -> None:
    (foi,) = sos2.iter_features_of_interest(load("52n-niwa-climate-getfeatureofinterest.xml"))
    assert foi.identifier == "1056" and foi.name == "KERIKERI EWS"
    assert foi.geometry == {"type": "Point", "coordinates": [173.926, -35.183]}
    assert foi.srs_name == "http://www.opengis.net/def/crs/EPSG/0/4326"
    assert foi.feature_type.endswith("SF_SamplingPoint")  # type: ignore[union-attr]
    assert foi.sampled_features == ("http://www.opengis.net/def/nil/OGC/0/unknown",)


def test_irceline_feature_identifier_with_escapes() -> None:
    (foi,) = sos2.iter_features_of_interest(load("52n-irceline-getfeatureofinterest.xml"))
    assert foi.identifier == "40GK06 - Genk - Particulate Matter < 2.5 µm - feature"
    assert foi.geometry == {"type": "Point", "coordinates": [5.470620037487627, 50.92789184326573]}


def test_empty_feature_response() -> None:
    empty = b'<sos:GetFeatureOfInterestResponse xmlns:sos="http://www.opengis.net/sos/2.0"/>'
    assert list(sos2.iter_features_of_interest(empty)) == []


# ------------------------------------------------------------------------------------ sensors


def test_sml101_ws2500() -> None:
    (desc,) = sos2.parse_describe_sensor(load("52n-ws2500-describesensor-sml101.xml"))
    assert desc.uid == "ws2500" and desc.kind == "system" and desc.format.endswith("sensorML/1.0.1")
    assert desc.label == "52n-elv-ws2500"
    assert desc.valid_time is not None and desc.valid_time.end is None
    assert desc.position == {"type": "Point", "coordinates": [7.652428150177002, 51.934814453125]}
    assert {o.name: o.uom for o in desc.outputs}["AirTemperature"] == "degC"
    assert {o.name: o.swe_type for o in desc.outputs}["Sunshine"] == "Count"
    assert desc.contacts[0]["organisationName"] == "52North"  # full record keeps both names
    assert desc.sml_json["validTime"] == ["2015-05-18T13:42:42.393000Z", "now"]
    assert not errors(PART1 + "sensorml/system.json", desc.sml_json)


def test_sml101_ndbc_bare_system() -> None:
    (desc,) = sos2.parse_describe_sensor(load("ndbc-describesensor-sml101-sos100.xml"))
    assert desc.uid == "urn:ioos:station:wmo:41012"
    assert desc.position == {"type": "Point", "coordinates": [-80.55, 30.04]}
    assert desc.components[0] == "urn:ioos:sensor:wmo:41012::adcp0" and len(desc.components) == 7
    assert desc.classifiers[0].value == "MOORED BUOY"
    assert desc.sml_json["definition"] == "sosa:System"
    assert not errors(PART1 + "sensorml/system.json", desc.sml_json)


def test_sml20_component_and_system() -> None:
    (comp,) = sos2.parse_describe_sensor(load("ogc-describesensor-response-sml20.xml"))
    assert comp.uid == "myCompany.com.63547" and comp.kind == "component"
    assert comp.description == "Temperature sensor on my window"
    assert comp.position == {"type": "Point", "coordinates": [88.56, 47.8]}
    assert comp.outputs[0].definition == "http://sweet.jpl.nasa.gov/2.2/quanTemperature.owl#Temperature"
    assert comp.sml_json["definition"] == "sosa:Sensor"
    (system,) = sos2.parse_describe_sensor(load("52n-example-insertsensor-sml20-physicalsystem.xml"))
    assert system.uid == "ExampleHydrophone1" and system.label == "Example Hydrophone 1 NeXOS"
    assert system.position == {"type": "Point", "coordinates": [7.99483, 51.98942, -84.0]}
    assert len(system.contacts) == 4 and len(system.identifiers) == 6
    for desc in (comp, system):
        assert not errors(PART1 + "sensorml/system.json", desc.sml_json)


def test_process_description_validates_as_procedure() -> None:
    doc = b"""<sml:SimpleProcess xmlns:sml="http://www.opengis.net/sensorml/2.0"
        xmlns:gml="http://www.opengis.net/gml/3.2" gml:id="p1">
      <gml:identifier codeSpace="uniqueID">urn:x:proc:1</gml:identifier>
      <gml:name>Averaging</gml:name></sml:SimpleProcess>"""
    (desc,) = sos2.parse_describe_sensor(doc)
    assert desc.kind == "process" and desc.sml_json["definition"] == "sosa:Procedure"
    assert not errors(PART1 + "sensorml/procedure.json", desc.sml_json)


# ------------------------------------------------------------------------------------ results


def test_get_result_with_template_and_count_prefix() -> None:
    template = sos2.parse_result_template(load("ogc-getresulttemplate-response-soap.xml"))
    assert template.encoding["blockSeparator"] == "@@"
    assert not errors(SWE + "DataRecord.json", template.structure)
    obs = list(sos2.iter_result_values(load("ogc-getresult-response.xml"), template, procedure="p"))
    assert [o.result for o in obs] == [32.0, 32.1, 32.2]
    assert obs[0].phenomenon_time.start == datetime(2008, 3, 1, 17, 44, 15, tzinfo=UTC)
    assert obs[0].uom == "cm" and obs[0].procedure == "p"


def test_data_availability_v2_with_time_reference() -> None:
    doc = b"""<gda:GetDataAvailabilityResponse xmlns:gda="http://www.opengis.net/sosgda/2.0"
      xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:xlink="http://www.w3.org/1999/xlink">
      <gda:dataAvailabilityMember gml:id="dam_1">
        <gda:procedure xlink:href="p1"/><gda:observedProperty xlink:href="op1"/>
        <gda:featureOfInterest xlink:href="f1"/><gda:offering xlink:href="o1"/>
        <gda:phenomenonTime><gml:TimePeriod gml:id="tp_1"><gml:beginPosition>2019-01-01T00:00:00Z</gml:beginPosition>
          <gml:endPosition>2019-02-01T00:00:00Z</gml:endPosition></gml:TimePeriod></gda:phenomenonTime>
        <gda:count>42</gda:count></gda:dataAvailabilityMember>
      <gda:dataAvailabilityMember gml:id="dam_2">
        <gda:procedure xlink:href="p2"/><gda:observedProperty xlink:href="op1"/>
        <gda:featureOfInterest xlink:href="f1"/><gda:phenomenonTime xlink:href="#tp_1"/>
      </gda:dataAvailabilityMember></gda:GetDataAvailabilityResponse>"""
    first, second = sos2.parse_data_availability(doc)
    assert (first.procedure, first.offering, first.count) == ("p1", "o1", 42)
    assert second.phenomenon_time == first.phenomenon_time
    v1 = doc.replace(b"sosgda/2.0", b"sosgda/1.0")
    assert len(sos2.parse_data_availability(v1)) == 2


# ------------------------------------------------------------------------------------ exceptions


def test_exception_report_default_namespace() -> None:
    with pytest.raises(sos2.OwsException) as info:
        sos2.check_exception(load("ogc-ows11-exceptionreport-default-ns.xml"))
    assert info.value.exception_code == "MissingParameterValue" and info.value.locator == "service"
    assert [e.code for e in info.value.exceptions] == ["MissingParameterValue", "InvalidParameterValue"]


def test_soap_fault_codes_trimmed() -> None:
    with pytest.raises(sos2.OwsException) as info:
        sos2.check_exception(load("ogc-exception-invalidpropertyofferingcombination-soap12.xml"))
    assert info.value.exception_code == "InvalidPropertyOfferingCombination"
    assert info.value.status == 502


def test_exception_in_streamed_observations() -> None:
    with pytest.raises(sos2.OwsException) as info:
        list(sos2.iter_observations(io.BytesIO(load("ogc-exception-responseexceedssizelimit-soap12.xml"))))
    assert info.value.exception_code == "ResponseExceedsSizeLimit"


def test_every_parser_checks_for_exceptions() -> None:
    report = load("ogc-ows11-exceptionreport-default-ns.xml")
    for parser in (
        sos2.parse_capabilities,
        sos2.parse_describe_sensor,
        sos2.parse_result_template,
        sos2.parse_data_availability,
        lambda d: list(sos2.iter_features_of_interest(d)),
        lambda d: list(sos2.iter_observations(io.BytesIO(d))),
    ):
        with pytest.raises(sos2.OwsException):
            parser(report)
