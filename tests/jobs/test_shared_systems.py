"""A procedure URI harvested from an SOS and from an SPS lands on one System, described by its first source."""

from __future__ import annotations

from bridge.mapping.transforms import stable_id, system_key
from bridge.model.csapi import Kind, Provenance, System
from bridge.model.harvest import MappedBatch
from bridge.store.sql.harvest import SqlHarvestSink
from bridge.store.sql.store import SqlStore

URI = "http://www.opengis.net/def/procedure/OGC/camera-001"


def _system(source: str, name: str) -> System:
    return System(
        id=stable_id(system_key(URI, source)),
        uid=URI,
        name=name,
        feature_type="http://www.w3.org/ns/sosa/Sensor",
        provenance=Provenance(source, "Procedure", URI),
    )


async def test_sos_and_sps_share_the_system(any_store: SqlStore) -> None:
    assert system_key(URI, "sos") == system_key(URI, "sps")
    assert system_key("8", "sos") != system_key("8", "sps")
    sink = SqlHarvestSink(any_store)
    first = await sink.write("sos", "run1", MappedBatch(resources=[_system("sos", "Camera (SensorML)")]))
    second = await sink.write("sps", "run2", MappedBatch(resources=[_system("sps", "Camera offering")]))
    assert dict(first.outcomes) == {("System", "created"): 1}
    assert dict(second.outcomes) == {("System", "unchanged"): 1}
    stored = await any_store.get_feature(Kind.SYSTEM, stable_id(system_key(URI, "sps")))
    assert stored.name == "Camera (SensorML)" and stored.provenance and stored.provenance.source == "sos"
