"""Every recorded SOS document parses with the parser meant for it (table-driven)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bridge.sources import sos2

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "sos2"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _observations(data: bytes) -> list[Any]:
    return list(sos2.iter_observations(io.BytesIO(data)))


def _features(data: bytes) -> list[Any]:
    return list(sos2.iter_features_of_interest(data))


def _result_values(data: bytes) -> list[Any]:
    template = sos2.parse_result_template(load("ogc-getresulttemplate-response-soap.xml"))
    return list(sos2.iter_result_values(data, template))


def _raises(error: type[Exception], parser: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    def run(data: bytes) -> Any:
        with pytest.raises(error):
            parser(data)
        return ["raised"]

    return run


# file → (parser, expected number of records)
CORPUS: dict[str, tuple[Callable[[bytes], Any], int]] = {
    "52n-gns-ngmp-getcapabilities.xml": (lambda d: sos2.parse_capabilities(d).offerings, 10),
    "gin-ngwd-getcapabilities.xml": (lambda d: sos2.parse_capabilities(d).offerings, 1),
    "52n-niwa-climate-getcapabilities.xml": (lambda d: sos2.parse_capabilities(d).offerings, 3),
    "ogc-getcapabilities-response-soap.xml": (lambda d: sos2.parse_capabilities(d).offerings, 1),
    "52n-ioos-getcapabilities-sos100-dual-version.xml": (_raises(sos2.Sos1OnlyError, sos2.parse_capabilities), 1),
    "52n-ioos-getobservation-om-measurement.xml": (_observations, 21),
    "52n-niwa-hydro-getobservation-wml2-gauge.xml": (_observations, 26),
    "52n-niwa-hydro-getobservation-om-discharge.xml": (_observations, 1),
    "52n-niwa-hydro-getobservation-wml2-discharge.xml": (_observations, 1),
    "52n-niwa-climate-getobservation-swe-dataarray.xml": (_observations, 26),
    "52n-getobservation-swearrayobservation-precip.xml": (_observations, 364),
    "kisters-kiwis-getobservation-wml2.xml": (_observations, 6),
    "52n-tideelbe-getobservation-soap-sweobservation.xml": (_observations, 289),
    "52n-tutorial-getobservation-complexobservation.xml": (_observations, 1),
    "52n-example-insertobservation-text.xml": (_observations, 1),
    "ogc-om-categoryobservation.xml": (_observations, 1),
    "ogc-om-countobservation.xml": (_observations, 1),
    "ogc-om-truthobservation.xml": (_observations, 1),
    "ogc-om-geometryobservation.xml": (_observations, 1),
    "ogc-om-swearrayobservation.xml": (_observations, 5),
    "52n-niwa-climate-getfeatureofinterest.xml": (_features, 1),
    "52n-irceline-getfeatureofinterest.xml": (_features, 1),
    "52n-ws2500-describesensor-sml101.xml": (sos2.parse_describe_sensor, 1),
    "ndbc-describesensor-sml101-sos100.xml": (sos2.parse_describe_sensor, 1),
    "ogc-describesensor-response-sml20.xml": (sos2.parse_describe_sensor, 1),
    "52n-example-insertsensor-sml20-physicalsystem.xml": (sos2.parse_describe_sensor, 1),
    "ogc-getresulttemplate-response-soap.xml": (lambda d: [sos2.parse_result_template(d)], 1),
    "ogc-getresult-response.xml": (_result_values, 3),
    "52n-example-getobservation-request-pox.xml": (lambda d: [sos2.parse_get_observation_request(d)], 1),
    "ogc-exception-responseexceedssizelimit-soap12.xml": (_raises(sos2.OwsException, sos2.check_exception), 1),
    "ogc-exception-invalidpropertyofferingcombination-soap12.xml": (
        _raises(sos2.OwsException, sos2.check_exception),
        1,
    ),
    "ogc-ows11-exceptionreport-default-ns.xml": (_raises(sos2.OwsException, sos2.check_exception), 1),
}


def test_corpus_table_covers_every_fixture() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.xml")) == sorted(CORPUS)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_fixture_parses(name: str) -> None:
    parser, expected = CORPUS[name]
    records = list(parser(load(name)))
    assert len(records) == expected
