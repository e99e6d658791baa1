"""Every recorded STA document parses into the right typed records (pure parsing, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.errors import UpstreamError
from bridge.model.legacy.sta import TimeExtent
from bridge.sources.sta import parse as p
from bridge.sources.sta.errors import server_message
from bridge.sources.sta.parse_observations import data_array_observations, parse_data_array, parse_observation
from bridge.sources.sta.service import parse_service_root
from bridge.sources.sta.tasking import classify_tasking_parameters, convert_sensorup
from bridge.sources.sta.times import format_instant, parse_extent, parse_instant

FIXTURE_DIR = Path(__file__).resolve().parents[3] / "fixtures" / "sta"


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_every_fixture_is_covered_by_a_test() -> None:
    covered = {
        "52n-sta-datastream-observations-string-results.json",
        "52n-sta-observations-orderby-top-skip-expand-foi-nextlink.json",
        "examind-datastream-observations-dataarray.json",
        "examind-multidatastream-observations-dataarray.json",
        "examind-multidatastream.json",
        "examind-observations-top-count-nextlink.json",
        "examind-service-root.json",
        "examind-thing-expand-locations.json",
        "frost-docs-thing-nested-expand-observations-nextlink.json",
        "frost-swecommon-taskingparameters-washer.json",
        "frost-tests-taskingcapability-deep-insert-request.json",
        "istsos4-datastream-observations-expand-datastream-foi.json",
        "istsos4-error-404.json",
        "istsos4-observations-filter-orderby-top-skip-nextlink.json",
        "istsos4-service-root.json",
    }
    assert {f.name for f in FIXTURE_DIR.glob("*.json")} == covered


def test_service_roots(sta_doc) -> None:
    examind = parse_service_root("http://localhost:9090/WS/sts/default/v1.1/", sta_doc("examind-service-root.json"))
    assert examind.version == "1.1"
    assert examind.has("multi_datastream") and examind.has("data_array") and not examind.has("tasking")
    assert examind.entity_sets["MultiDatastreams"].endswith("/v1.1/MultiDatastreams")
    assert "https://geomatys.com/examind/extensions/Decimation.html" in examind.conformance

    istsos = parse_service_root("https://istsos.org/v4/v1.1/", sta_doc("istsos4-service-root.json"))
    assert istsos.has("data_array") and not istsos.has("multi_datastream")
    assert istsos.has("create_update_delete")
    assert len(istsos.entity_sets) == 8


def test_service_root_of_a_1_0_server_has_no_conformance() -> None:
    doc = {"value": [{"name": "Things", "url": "http://x/v1.0/Things"}]}
    root = parse_service_root("http://x/v1.0/", doc)
    assert root.version == "1.0" and root.conformance == [] and root.data_array is None
    with pytest.raises(UpstreamError):
        parse_service_root("http://x/", {"nothing": True})


def test_52n_string_results_are_kept_raw_and_parsed(sta_doc) -> None:
    page = p.parse_collection(sta_doc("52n-sta-datastream-observations-string-results.json"))
    assert page.count == 5 and page.next_link is None
    obs = [parse_observation(item, datastream_id="thermometer_readings_102") for item in page.items]
    first = obs[0]
    assert first.id == "45725aa8-6aab-4861-8b0c-80650e8ec5a0"
    assert first.result_raw == "15.3000000000" and first.result == 15.3
    assert first.phenomenon_time == TimeExtent(t("2021-08-17T16:58:22"))
    assert first.result_time == t("2021-08-17T16:58:22")
    assert first.datastream_id == "thermometer_readings_102" and first.foi_id is None
    assert first.links["FeatureOfInterest"].endswith("/FeatureOfInterest")
    assert [o.result for o in obs] == [15.3, 16.4, 15.9, 16.2, 14.8]


def test_52n_expanded_foi_and_injected_expand_in_next_link(sta_doc) -> None:
    page = p.parse_collection(sta_doc("52n-sta-observations-orderby-top-skip-expand-foi-nextlink.json"))
    assert page.next_link is not None and "$expand=FeatureOfInterest($top=100)" in page.next_link
    obs = [parse_observation(i) for i in page.items]
    assert [o.foi_id for o in obs] == ["muenster", "muenster"]
    foi = p.parse_feature_of_interest(page.items[0]["FeatureOfInterest"])
    assert foi.geometry == {"type": "Point", "coordinates": [7.65196881, 51.9351011]}  # crs dropped (Q16)
    assert "crs" in foi.feature and foi.encoding_type == "application/vnd.geo+json"


def test_examind_mixed_results_and_plural_navigation(sta_doc) -> None:
    page = p.parse_collection(sta_doc("examind-observations-top-count-nextlink.json"))
    assert page.count == 271
    assert page.next_link == "http://localhost:9090/WS/sts/default/v1.1/Observations?$skip=2&$top=2&$count=true"
    boolean, category = (parse_observation(i) for i in page.items)
    assert boolean.id == "urn:ogc:object:observation:GEOM:7001-2-1"
    assert boolean.result is False and boolean.result_raw is False
    assert category.result == "blue"
    assert boolean.links["Datastream"].endswith("/Datastreams")  # Examind plural nav (Q15)


def test_examind_thing_with_feature_wrapped_location(sta_doc) -> None:
    doc = sta_doc("examind-thing-expand-locations.json")
    thing = p.parse_thing(doc)
    assert thing.id == "urn:ogc:object:sensor:GEOM:2"
    assert thing.properties is not None and thing.properties["type"] == "profile"
    assert thing.location_ids == ["urn:ogc:object:sensor:GEOM:2"]
    assert set(thing.links) == {"HistoricalLocations", "Datastreams", "MultiDatastreams"}
    location = p.parse_location(doc["Locations"][0])
    assert location.geometry == {"type": "Point", "coordinates": [-3.9999999934154027, 42.00000000005155]}
    assert location.location["type"] == "Feature"


def test_examind_dataarray_with_extra_columns(sta_doc) -> None:
    groups = parse_data_array(sta_doc("examind-datastream-observations-dataarray.json"))
    assert len(groups) == 1 and groups[0].datastream_link is None
    obs = data_array_observations(groups[0], datastream_id="ds-507")
    assert len(obs) == 5
    assert obs[0].id == "urn:ogc:object:observation:GEOM:507-2-1"
    assert obs[0].phenomenon_time == TimeExtent(t("2007-05-01T10:59:00"))
    assert obs[-1].result_time == t("2007-05-01T14:59:00")
    assert obs[0].result == 6.56 and obs[0].result_quality == [] and obs[0].parameters == {}
    assert obs[0].datastream_id == "ds-507"


def test_dataarray_is_mapped_by_component_name_not_position() -> None:
    doc = {
        "value": [
            {
                "Datastream@iot.navigationLink": "http://x/v1.1/Datastreams(1)",
                "components": ["result", "FeatureOfInterest/id", "phenomenonTime", "id"],
                "dataArray": [["7.5", 3, "2020-01-01T00:00:00Z/2020-01-01T01:00:00Z", 99]],
            }
        ]
    }
    group = parse_data_array(doc)[0]
    (obs,) = data_array_observations(group)
    assert obs.id == "99" and obs.result == 7.5 and obs.result_raw == "7.5" and obs.foi_id == "3"
    assert obs.phenomenon_time == TimeExtent(t("2020-01-01T00:00:00"), t("2020-01-01T01:00:00"))
    with pytest.raises(UpstreamError):
        parse_data_array({"value": [{"components": ["id", "result"], "dataArray": [[1]]}]})


def test_examind_multidatastream_singular_key_and_array_results(sta_doc) -> None:
    mds = p.parse_multi_datastream(sta_doc("examind-multidatastream.json"))
    assert mds.id == "urn:ogc:object:observation:template:GEOM:8"
    assert [u.symbol for u in mds.unit_of_measurements] == ["m", "°C"]
    assert len(mds.multi_observation_data_types) == 2
    assert mds.phenomenon_time == TimeExtent(t("2007-05-01T10:59:00"), t("2007-05-01T14:59:00"))
    assert mds.observed_area is not None and mds.observed_area["type"] == "Polygon"
    assert mds.links["Observations"].endswith("/Observations")
    groups = parse_data_array(sta_doc("examind-multidatastream-observations-dataarray.json"))
    obs = data_array_observations(groups[0], multi_datastream_id=mds.id)
    assert obs[0].result == [6.56, 12.0] and obs[0].multi_datastream_id == mds.id and obs[0].datastream_id is None


def test_istsos_explicit_nulls_and_expanded_parents(sta_doc) -> None:
    page = p.parse_collection(sta_doc("istsos4-datastream-observations-expand-datastream-foi.json"))
    obs = [parse_observation(i) for i in page.items]
    assert [o.id for o in obs] == ["18", "19", "20"]
    assert obs[0].result_time is None and obs[0].result_quality is None and obs[0].parameters is None
    assert obs[0].valid_time is None
    assert obs[0].datastream_id == "16" and obs[0].foi_id == "15"
    ds = p.parse_datastream(page.items[0]["Datastream"])
    assert ds.phenomenon_time == TimeExtent(t("2015-03-01T00:00:00"), t("2015-03-03T00:00:00"))
    assert ds.result_time is None and ds.properties is None
    assert ds.unit_of_measurement is not None and ds.unit_of_measurement.symbol == "lm"
    page = p.parse_collection(sta_doc("istsos4-observations-filter-orderby-top-skip-nextlink.json"))
    assert page.next_link is not None and "%24skip=3" in page.next_link and page.count == 6


def test_frost_nested_expand_keeps_nested_next_links(sta_doc) -> None:
    doc = sta_doc("frost-docs-thing-nested-expand-observations-nextlink.json")
    thing = p.parse_thing(doc)
    assert thing.id == "17" and thing.name == "" and thing.description == "camping lantern"
    streams = p.nested_collection(doc, "Datastreams")
    assert streams is not None and [p.entity_id(d) for d in streams.items] == ["19", "21"]
    nested = p.nested_collection(streams.items[0], "Observations")
    assert nested is not None and nested.count == 11179
    assert nested.next_link is not None and nested.next_link.startswith("http://server.de/FROST-Server/v1.1/")
    with pytest.raises(UpstreamError):  # nested observations were $select-ed without id
        parse_observation(nested.items[0])


def test_tasking_parameters_standard_and_opaque(sta_doc) -> None:
    washer = sta_doc("frost-swecommon-taskingparameters-washer.json")
    cap = p.parse_tasking_capability({"@iot.id": 1, "name": "washer", "taskingParameters": washer})
    assert cap.tasking_shape == "swe"
    assert cap.tasking_parameters is not None
    assert [f["name"] for f in cap.tasking_parameters["field"]] == ["temperature", "spindry", "program"]
    deep = sta_doc("frost-tests-taskingcapability-deep-insert-request.json")
    cap = p.parse_tasking_capability({"@iot.id": 2, **deep})
    assert cap.tasking_shape == "opaque" and cap.tasking_parameters is None
    assert cap.tasking_parameters_raw == {"todo": "yes"}
    tasks = [p.parse_task({"@iot.id": i, **task}) for i, task in enumerate(deep["Tasks"])]
    assert tasks[1].tasking_parameters == {"todo": "no"}
    assert tasks[0].creation_time == t("2015-03-05T00:00:00")
    actuator = p.parse_actuator({"@iot.id": "a", **deep["Actuator"]})
    assert actuator.metadata == "Window opener" and actuator.encoding_type == "application/pdf"


def test_pre_standard_sensorup_tasking_parameters_are_converted() -> None:
    draft = {
        "field": [
            {
                "name": "brightness",
                "label": "Brightness",
                "description": "LED brightness",
                "use": "Mandatory",
                "definition": {
                    "inputType": "Integer",
                    "unitOfMeasurement": "%",
                    "allowedValues": [{"Min": 0, "Max": 100}],
                },
            },
            {"name": "mode", "use": "Optional", "definition": {"inputType": "String", "allowedValues": ["on", "off"]}},
        ]
    }
    assert classify_tasking_parameters(draft) == "sensorup"
    record = convert_sensorup(draft)
    brightness, mode = record["field"]
    assert record["type"] == "DataRecord"
    assert brightness == {
        "name": "brightness",
        "type": "Count",
        "label": "Brightness",
        "description": "LED brightness",
        "optional": False,
        "uom": {"code": "%"},
        "constraint": {"type": "AllowedValues", "interval": [[0, 100]]},
    }
    assert mode["type"] == "Category" and mode["optional"] is True
    assert mode["constraint"] == {"type": "AllowedTokens", "value": ["on", "off"]}
    cap = p.parse_tasking_capability({"@iot.id": 9, "name": "led", "taskingParameters": draft})
    assert cap.tasking_shape == "sensorup" and cap.tasking_parameters == record


def test_istsos_error_body_message(sta_bytes) -> None:
    assert server_message(sta_bytes("istsos4-error-404.json")) == "Not Found"
    assert server_message(b'{"detail": "Internal server error"}') == "Internal server error"
    assert server_message(b'{"detail": [{"msg": "Input should be a valid UUID"}]}') == "Input should be a valid UUID"
    assert server_message(b"<html>oops</html>") == "<html>oops</html>"


def test_times() -> None:
    assert parse_instant("2024-01-01T00:00:00+00:00") == parse_instant("2024-01-01T00:00:00Z")
    assert parse_instant("2024-01-01T02:00:00+02:00") == t("2024-01-01T00:00:00")
    assert parse_instant("2021-08-17T16:58:22.000Z") == t("2021-08-17T16:58:22")
    assert parse_instant("2005-01-12T09:25:00.00") == t("2005-01-12T09:25:00")  # no zone -> UTC
    assert parse_extent(None) is None and parse_extent("") is None
    assert parse_extent("2020-01-01T00:00:00Z/2020-01-02T00:00:00Z") == TimeExtent(
        t("2020-01-01T00:00:00"), t("2020-01-02T00:00:00")
    )
    assert format_instant(t("2024-03-01T00:00:00")) == "2024-03-01T00:00:00Z"
    assert format_instant(datetime(2024, 3, 1, 0, 0, 0, 5000, tzinfo=UTC)) == "2024-03-01T00:00:00.005000Z"
    with pytest.raises(UpstreamError):
        parse_instant("yesterday")


def test_result_parsing_and_ids() -> None:
    assert p.parse_result("16.4000000000") == 16.4
    assert p.parse_result("12") == 12 and p.parse_result("-1e3") == -1000.0
    assert p.parse_result("12 apples") == "12 apples" and p.parse_result(True) is True
    assert p.parse_result(["1.5", "x", 2]) == [1.5, "x", 2]
    assert p.id_string(5) == "5" and p.id_string("urn:a:b") == "urn:a:b" and p.id_string(None) is None
    with pytest.raises(UpstreamError):
        p.entity_id({"name": "no id"})
