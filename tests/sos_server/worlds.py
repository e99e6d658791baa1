"""Ready-made server contents for harvest tests (multi-offering, non-URI ids, both SensorML versions)."""

from __future__ import annotations

from datetime import timedelta

from .state import BASE, SML20, SML101, Foi, OfferingSpec, ServerState, series

AIR = "http://vocab.nerc.ac.uk/standard_name/air_temperature/"
HUMIDITY = "http://vocab.nerc.ac.uk/standard_name/relative_humidity/"
DISCHARGE = "Abfluss"
MEAN_TEMP = "MTHLY_STATS: MEAN TEMP (MTHLY: MEAN TEMP)"
MUENSTER = Foi("http://example.org/sos/foi/muenster", "Münster roof", 51.9348, 7.6524,
               "http://example.org/feature/muenster")  # fmt: skip
KERIKERI = Foi("1056", "KERIKERI EWS", -35.183, 173.926)
WELLINGTON = Foi("station:42 (harbour)", "Wellington harbour", -41.285, 174.776)
WEATHER = OfferingSpec(
    "http://example.org/sos/offering/weather-1",
    "http://example.org/sos/procedure/weather-1",
    [AIR, HUMIDITY],
    {AIR: "degC", HUMIDITY: "%"},
    [MUENSTER],
    formats=[SML20, SML101],
    name="Weather station Münster",
    label="Weather station 1",
    description="Roof-top weather station (SensorML 2.0)",
)
RIVER = OfferingSpec(
    "8",
    "ws 2500 (roof)",
    [DISCHARGE, MEAN_TEMP],
    {DISCHARGE: "m^3/s", MEAN_TEMP: "DEGREE_CELSIUS"},
    [KERIKERI, WELLINGTON],
    formats=[SML101],
    name="ANEMOMETER ONLY",
    label="River gauge 8",
    description="Gauge described in SensorML 1.0.1 only",
)
BROKEN = OfferingSpec(
    "broken-offering",
    "urn:test:procedure:broken",
    ["urn:test:property:pressure"],
    {"urn:test:property:pressure": "hPa"},
    [Foi("urn:test:foi:broken", "Broken site", 10.0, 20.0)],
    label="Broken station",
    fail="NoApplicableCode",
)


GAUGE = OfferingSpec(
    "HG.Master@95102",
    "Hydrometric_Station",
    ["Height of Gauge (River Stage)"],
    {"Height of Gauge (River Stage)": "m"},
    [Foi("95102", "Karamea at Gorge", -41.2, 172.1)],
    formats=[SML20],
    label="Karamea gauge",
    waterml=True,
)


def multi_offering(state: ServerState, count: int = 300, with_broken: bool = True) -> None:
    """Two working offerings (SensorML 2.0 and 1.0.1, URI and non-URI ids) and optionally a failing one."""
    state.add_offering(WEATHER, {AIR: series(count, offset=10.0), HUMIDITY: series(count, scale=0.5, offset=40.0)})
    state.add_offering(
        RIVER,
        {
            DISCHARGE: series(count, step=timedelta(hours=1), scale=1.5, offset=100.0),
            MEAN_TEMP: series(count // 3, start=BASE + timedelta(days=2), step=timedelta(hours=6), offset=-2.0),
        },
    )
    if with_broken:
        state.add_offering(BROKEN, {"urn:test:property:pressure": series(10, offset=1000.0)})
