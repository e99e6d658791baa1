"""A small, fully connected Part 1 data set that the filter tests query (built once per module).

properties   temp (qudt Temperature) ← air (base = temp UID) ← daily (base = air canonical URL)
             valve (qudt Angle), power (qudt Power)
procedures   thermo_ds (sensor datasheet, outputs air), valve_ctl (ActuatingProcedure, inputs valve, 2015),
             manual (GeoJSON ObservingProcedure)
systems      station (Platform, Toulouse, 2020) ─ thermo (outputs air, typeOf thermo_ds URL)
                                                  └ probe (Actuator: outputs power, inputs valve; 2019)
             valve (Actuator at lon 179.5, inputs valve, typeOf = external URL + valve_ctl UID, 2022/now)
             fiji (lon -179.5, no validTime), nogeo (no geometry, 2010, systemKind manual)
sampling     well (on station, sampledFeature uid urn:x-test:foi:aquifer, 2020-03), shelter (on thermo,
             sampledFeature Atmosphere), core (on valve, sampleOf well), buoy (on fiji, Pacific Ocean)
deployments  mission (2021-H1, box lon -10..10 lat 40..50, station by UID + valve by URL)
               └ leg (2021-02, thermo by UID) └ part (2021-02-10/20, fiji by URL)
             pacific (2023/now, box lon 170..180, fiji by URL, platform valve)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import insert

from bridge.store.sql.store import SqlStore
from bridge.store.sql.tables import refs
from tests.api.support import (
    BASE,
    SF_SPECIMEN,
    SOSA,
    box_polygon,
    create,
    feature,
    geo_deployment,
    geo_system,
    items_of,
    point,
    sampling_feature,
    sml_deployment,
    sml_process,
    sml_property,
)

QUDT = "http://qudt.org/vocab/quantitykind/"
PROP = "urn:x-test:prop:"
AQUIFER = "urn:x-test:foi:aquifer"
ATMOSPHERE = "http://sweetontology.net/realm/Atmosphere"
OCEAN = "http://dbpedia.org/resource/Pacific_Ocean"
Y2020 = ["2020-01-01T00:00:00Z", "2020-12-31T00:00:00Z"]


@dataclass
class World:
    """Local ids by short name, and the client that built them."""

    client: httpx.AsyncClient
    ids: dict[str, str] = field(default_factory=dict)

    def url(self, name: str, kind: str) -> str:
        return f"{BASE}/{kind}/{self.ids[name]}"

    def names(self, body: dict[str, Any]) -> set[str]:
        """Short names of the items of a listing."""
        by_id = {v: k for k, v in self.ids.items()}
        return {by_id.get(item["id"], item["id"]) for item in items_of(body)}

    def fill(self, template: str) -> str:
        """Replace `{name}` by the local id of `name` in a URL template."""
        return template.format(**self.ids)


async def _properties(w: World) -> None:
    c = w.client
    w.ids["temp"] = await create(
        c, "/properties", sml_property(PROP + "temperature", "Temperature", QUDT + "Temperature")
    )
    w.ids["air"] = await create(
        c,
        "/properties",
        sml_property(
            PROP + "air-temp",
            "Air temperature",
            PROP + "temperature",
            objectType="http://dbpedia.org/resource/Atmosphere",
        ),
    )
    w.ids["daily"] = await create(
        c,
        "/properties",
        sml_property(
            PROP + "daily-air-temp",
            "Daily air temperature",
            w.url("air", "properties"),
            statistic="http://sensorml.com/ont/x-stats/DailyMean",
        ),
    )
    w.ids["valve_pos"] = await create(
        c,
        "/properties",
        sml_property(
            PROP + "valve-position", "Valve position", QUDT + "Angle", objectType="http://dbpedia.org/resource/Valve"
        ),
    )
    w.ids["power"] = await create(c, "/properties", sml_property(PROP + "power", "Engine power", QUDT + "Power"))


async def _procedures(w: World) -> None:
    c = w.client
    w.ids["thermo_ds"] = await create(
        c,
        "/procedures",
        sml_process(
            "urn:x-test:proc:thermo-ds",
            "Thermometer datasheet",
            SOSA + "Sensor",
            "PhysicalComponent",
            outputs=[PROP + "air-temp"],
        ),
    )
    w.ids["valve_ctl"] = await create(
        c,
        "/procedures",
        sml_process(
            "urn:x-test:proc:valve-ctl",
            "Valve control method",
            SOSA + "ActuatingProcedure",
            "SimpleProcess",
            inputs=[PROP + "valve-position"],
            validTime=["2015-01-01T00:00:00Z", "2016-01-01T00:00:00Z"],
        ),
    )
    manual = feature("urn:x-test:proc:manual", "Manual sampling method", SOSA + "ObservingProcedure")
    w.ids["manual"] = await create(c, "/procedures", manual)


async def _systems(w: World) -> None:
    c = w.client
    station = geo_system(
        "urn:x-test:sys:station",
        "Toulouse weather station",
        "Platform",
        point(1.3789, 43.6211),
        description="Station at the airport",
        validTime=Y2020,
        assetType="Equipment",
    )
    w.ids["station"] = await create(c, "/systems", station)
    thermo = sml_process(
        "urn:x-test:sys:thermo",
        "Shelter thermometer",
        SOSA + "Sensor",
        outputs=[PROP + "air-temp"],
        typeOf={"href": w.url("thermo_ds", "procedures")},
        position=point(1.38, 43.62),
    )
    w.ids["thermo"] = await create(c, f"/systems/{w.ids['station']}/subsystems", thermo)
    probe = sml_process(
        "urn:x-test:sys:probe",
        "Heater probe",
        SOSA + "Actuator",
        outputs=[PROP + "power"],
        inputs=[PROP + "valve-position"],
        validTime=["2019-01-01T00:00:00Z", "2019-12-31T00:00:00Z"],
    )
    w.ids["probe"] = await create(c, f"/systems/{w.ids['thermo']}/subsystems", probe)
    valve = sml_process(
        "urn:x-test:sys:valve",
        "Valve actuator",
        SOSA + "Actuator",
        inputs=[PROP + "valve-position"],
        typeOf={"href": "https://example.org/procedures/vc", "uid": "urn:x-test:proc:valve-ctl"},
        position=point(179.5, -16.5),
        validTime=["2022-01-01T00:00:00Z", "now"],
    )
    w.ids["valve"] = await create(c, "/systems", valve)
    w.ids["fiji"] = await create(
        c, "/systems", geo_system("urn:x-test:sys:fiji", "Fiji west buoy", geometry=point(-179.5, -16.8))
    )
    nogeo = geo_system(
        "urn:x-test:sys:nogeo",
        "Archive sensor",
        validTime=["2010-01-01T00:00:00Z", "2010-12-31T00:00:00Z"],
        **{"systemKind@link": {"href": w.url("manual", "procedures")}},
    )
    w.ids["nogeo"] = await create(c, "/systems", nogeo)


async def _sampling_features(w: World) -> None:
    c, ids = w.client, w.ids
    well = sampling_feature(
        "urn:x-test:sf:well",
        "Well bottom",
        {"href": "https://example.org/features/aquifer-12", "uid": AQUIFER},
        point(1.4, 43.6),
        validTime=["2020-03-01T00:00:00Z", "2020-04-01T00:00:00Z"],
    )
    ids["well"] = await create(c, f"/systems/{ids['station']}/samplingFeatures", well)
    shelter = sampling_feature(
        "urn:x-test:sf:shelter", "Shelter point", {"href": ATMOSPHERE}, point(1.3789, 43.6211, 2)
    )
    ids["shelter"] = await create(c, f"/systems/{ids['thermo']}/samplingFeatures", shelter)
    core = sampling_feature(
        "urn:x-test:sf:core",
        "Rock core",
        {"href": w.url("well", "samplingFeatures")},
        featureType=SF_SPECIMEN,
        **{"sampleOf@link": [{"href": w.url("well", "samplingFeatures")}]},
    )
    ids["core"] = await create(c, f"/systems/{ids['valve']}/samplingFeatures", core)
    buoy = sampling_feature("urn:x-test:sf:buoy", "Buoy surface", {"href": OCEAN}, point(-179.5, -16.8))
    ids["buoy"] = await create(c, f"/systems/{ids['fiji']}/samplingFeatures", buoy)


async def _deployments(w: World) -> None:
    c, ids = w.client, w.ids
    mission = geo_deployment(
        "urn:x-test:dep:mission",
        "Arctic mission",
        ["2021-01-01T00:00:00Z", "2021-06-30T00:00:00Z"],
        ["urn:x-test:sys:station", w.url("valve", "systems")],
        box_polygon(-10, 40, 10, 50),
    )
    ids["mission"] = await create(c, "/deployments", mission)
    leg = sml_deployment(
        "urn:x-test:dep:leg",
        "First leg",
        ["2021-02-01T00:00:00Z", "2021-03-01T00:00:00Z"],
        ["urn:x-test:sys:thermo"],
        location=point(1, 43),
    )
    ids["leg"] = await create(c, f"/deployments/{ids['mission']}/subdeployments", leg)
    part = geo_deployment(
        "urn:x-test:dep:part", "Buoy part", ["2021-02-10T00:00:00Z", "2021-02-20T00:00:00Z"], [w.url("fiji", "systems")]
    )
    ids["part"] = await create(c, f"/deployments/{ids['leg']}/subdeployments", part)
    pacific = sml_deployment(
        "urn:x-test:dep:pacific",
        "Pacific survey",
        ["2023-01-01T00:00:00Z", "now"],
        [w.url("fiji", "systems")],
        location=box_polygon(170, -20, 180, -10),
        platform={"system": {"href": w.url("valve", "systems")}},
    )
    ids["pacific"] = await create(c, "/deployments", pacific)


async def link_observed_property(store: SqlStore, sf_id: str, rel: str, prop_uid: str) -> None:
    """What a Part 2 datastream (control stream) of a sampling feature records for `observedProperty`
    (`controlledProperty`) filtering: an association row from the sampling feature to the property."""
    async with store.engine.begin() as conn:
        await conn.execute(insert(refs).values(owner_kind="samplingFeatures", owner_id=sf_id, rel=rel, target=prop_uid))


async def build_world(client: httpx.AsyncClient, store: SqlStore) -> World:
    """Create the data set of the module docstring through the API."""
    w = World(client)
    await _properties(w)
    await _procedures(w)
    await _systems(w)
    await _sampling_features(w)
    await _deployments(w)
    await link_observed_property(store, w.ids["shelter"], "observedProperty", PROP + "air-temp")
    await link_observed_property(store, w.ids["core"], "controlledProperty", PROP + "valve-position")
    return w
