"""Turn one recorded SOS document into the batch the harvester would yield for it (for mapping tests)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from bridge.jobs.sources import mapper_for
from bridge.mapping.batch import BatchMapper
from bridge.mapping.sos2 import SosRules
from bridge.model.harvest import Batch, LegacyObservations, Unit
from bridge.model.legacy.sos2 import Observation, ObservationRecord, Offering
from bridge.settings import SourceConfig
from bridge.sources import sos2
from bridge.sources.sos2.harvest_reads import ReadMixin
from bridge.sources.sos2.observations import Numbering
from bridge.sources.sos2.records import FeatureSeen, ProcedureInfo, StreamInfo, property_label, response_format

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "sos2"
SOURCE = "fixture"
VIA = "http://sos.example/service"


def batch_mapper() -> BatchMapper:
    """The packaged SOS mapping table bound to the test source."""
    config = SourceConfig(name=SOURCE, type="sos", url=VIA)
    return BatchMapper(mapper_for(config, "sos2"), SosRules(SOURCE))


def capabilities_batch(data: bytes) -> Batch:
    caps = sos2.parse_capabilities(data)
    units: list[Unit] = []
    by_proc: dict[str, ProcedureInfo] = {}
    for offering in caps.offerings:
        proc = offering.procedure or offering.identifier
        by_proc.setdefault(proc, ProcedureInfo(proc, [], caps=caps)).offerings.append(offering)
    for info in by_proc.values():
        units.append(Unit("Procedure", {"proc": info}, info.procedure, VIA))
        for offering in info.offerings:
            for prop in offering.observable_properties:
                stream = StreamInfo(offering, info, prop, property_label(prop, None), response_format(offering), VIA)
                units.append(Unit("ObservableProperty", {"property": prop, "label": stream.label}, prop, None))
                units.append(Unit("Datastream", {"stream": stream, "hint": stream.fallback_hint()}, stream.legacy_id,
                                  VIA))  # fmt: skip
    return Batch(units=units)


def describe_batch(data: bytes) -> Batch:
    units = []
    for sensor in sos2.parse_describe_sensor(data):
        info = ProcedureInfo(sensor.uid or "procedure", [], sensor=sensor)
        units.append(Unit("Procedure", {"proc": info}, info.procedure, VIA))
        if sensor.kind == "process" or sensor.sml_json.get("typeOf"):
            units.append(Unit("ProcedureType", {"proc": info}, info.procedure, VIA))
    return Batch(units=units)


def features_batch(data: bytes) -> Batch:
    return Batch(
        units=[
            Unit("FeatureOfInterest", {"foi": f, "procedure": "procedure"}, f.identifier or "", VIA)
            for f in sos2.iter_features_of_interest(data)
        ]
    )


def observations_batch(observations: list[Observation], hint_template: sos2.ResultTemplate | None = None) -> Batch:
    """Streams grouped by (offering, procedure, property) with their features, datastreams and rows."""
    groups: dict[tuple[str, str, str], list[ObservationRecord]] = {}
    numbered = Numbering()
    for obs in observations:
        key = (obs.offering or "offering", obs.procedure or "procedure", obs.observed_property or "property")
        groups.setdefault(key, []).append((obs, numbered(obs)))
    seen = FeatureSeen()
    batch = Batch()
    for (offering_id, proc_id, prop), records in groups.items():
        info = ProcedureInfo(proc_id, [Offering(offering_id, proc_id, observable_properties=(prop,))])
        stream = StreamInfo(info.offerings[0], info, prop, property_label(prop, None), "", VIA)
        hint = ReadMixin._template_hint(hint_template) if hint_template else ReadMixin._data_hint(records)
        ns = {"stream": stream, "hint": hint}
        batch.units += [Unit("FeatureOfInterest", {"foi": f, "procedure": proc_id}, f.identifier or "", VIA)
                        for f in seen.new(records, proc_id)]  # fmt: skip
        batch.units.append(Unit("Procedure", {"proc": info}, proc_id, VIA))
        batch.units.append(Unit("Datastream", ns, stream.legacy_id, VIA))
        batch.observations.append(LegacyObservations("Datastream", ns, stream.cursor_key, records, 0))
    return batch


def result_batch(data: bytes) -> Batch:
    template = sos2.parse_result_template((FIXTURES / "ogc-getresulttemplate-response-soap.xml").read_bytes())
    rows = list(sos2.iter_result_values(data, template, procedure="urn:procedure", observed_property="urn:property",
                                        offering="offering", foi="urn:foi"))  # fmt: skip
    return observations_batch(rows, template)


def _observations(data: bytes) -> Batch:
    return observations_batch(list(sos2.iter_observations(io.BytesIO(data))))


def _template(data: bytes) -> Batch:
    sos2.parse_result_template(data)
    return Batch()


def _request(data: bytes) -> Batch:
    sos2.parse_get_observation_request(data)
    return Batch()


# how each recorded document enters the harvest: the batch built from it (None: the document is an error)
BUILDERS: dict[str, Callable[[bytes], Batch] | None] = {
    "52n-gns-ngmp-getcapabilities.xml": capabilities_batch,
    "gin-ngwd-getcapabilities.xml": capabilities_batch,
    "52n-niwa-climate-getcapabilities.xml": capabilities_batch,
    "ogc-getcapabilities-response-soap.xml": capabilities_batch,
    "52n-ioos-getcapabilities-sos100-dual-version.xml": None,
    "52n-ws2500-describesensor-sml101.xml": describe_batch,
    "ndbc-describesensor-sml101-sos100.xml": describe_batch,
    "ogc-describesensor-response-sml20.xml": describe_batch,
    "52n-example-insertsensor-sml20-physicalsystem.xml": describe_batch,
    "52n-niwa-climate-getfeatureofinterest.xml": features_batch,
    "52n-irceline-getfeatureofinterest.xml": features_batch,
    "ogc-getresulttemplate-response-soap.xml": _template,
    "ogc-getresult-response.xml": result_batch,
    "52n-example-getobservation-request-pox.xml": _request,
    "ogc-exception-responseexceedssizelimit-soap12.xml": None,
    "ogc-exception-invalidpropertyofferingcombination-soap12.xml": None,
    "ogc-ows11-exceptionreport-default-ns.xml": None,
}
for _name in (
    "52n-ioos-getobservation-om-measurement.xml",
    "52n-niwa-hydro-getobservation-wml2-gauge.xml",
    "52n-niwa-hydro-getobservation-om-discharge.xml",
    "52n-niwa-hydro-getobservation-wml2-discharge.xml",
    "52n-niwa-climate-getobservation-swe-dataarray.xml",
    "52n-getobservation-swearrayobservation-precip.xml",
    "kisters-kiwis-getobservation-wml2.xml",
    "52n-tideelbe-getobservation-soap-sweobservation.xml",
    "52n-tutorial-getobservation-complexobservation.xml",
    "52n-example-insertobservation-text.xml",
    "ogc-om-categoryobservation.xml",
    "ogc-om-countobservation.xml",
    "ogc-om-truthobservation.xml",
    "ogc-om-geometryobservation.xml",
    "ogc-om-swearrayobservation.xml",
):
    BUILDERS[_name] = _observations
