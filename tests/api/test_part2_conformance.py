"""`/conformance` declares the Part 2 classes the Part 2 tests prove (and what they depend on), and the API
definition advertises the read and write media types of the encoding classes (ATS `mediatype-read/write`)."""

from __future__ import annotations

import httpx

from tests.api.part2_support import JSON, SWE_BINARY, SWE_CSV, SWE_JSON, get_json

CS1 = "http://www.opengis.net/spec/ogcapi-connectedsystems-1/1.0/conf/"
CS2 = "http://www.opengis.net/spec/ogcapi-connectedsystems-2/1.0/conf/"
PROVEN = {
    "api-common",
    "datastream",
    "controlstream",
    "system-event",
    "advanced-filtering",
    "create-replace-delete",
    "update",
    "json",
    "swecommon-json",
    "swecommon-text",
    "swecommon-binary",
}
DEPENDENCIES = {
    CS1 + "api-common",
    CS1 + "system",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
}


async def test_the_proven_part2_classes_and_their_dependencies_are_declared(p2: httpx.AsyncClient) -> None:
    declared = set((await get_json(p2, "/conformance"))["conformsTo"])
    part2 = {c.removeprefix(CS2) for c in declared if c.startswith(CS2)}
    assert PROVEN <= part2 <= PROVEN | {"feasibility"}
    assert declared >= DEPENDENCIES
    # nothing unpublished under the Part 2 base (System History, dynamic properties, Part 3 transports)
    assert not [c for c in declared if "history" in c or "dynamic" in c or "/req/" in c or "websocket" in c]


async def test_the_api_definition_lists_the_encodings_of_observations_and_commands(p2: httpx.AsyncClient) -> None:
    paths = (await get_json(p2, "/api"))["paths"]
    for path, media in (
        ("/datastreams/{dataStreamId}/observations", SWE_CSV),
        ("/controlstreams/{controlStreamId}/commands", SWE_BINARY),
    ):
        operations = paths[path]
        for wanted in (JSON, SWE_JSON, SWE_CSV, SWE_BINARY):
            assert wanted in operations["get"]["responses"]["200"]["content"], (path, wanted)
            assert wanted in operations["post"]["requestBody"]["content"], (path, wanted)
        assert media in operations["post"]["requestBody"]["content"]
    for path in (
        "/datastreams",
        "/observations",
        "/controlstreams",
        "/commands",
        "/systemEvents",
        "/systems/{systemId}/datastreams",
        "/systems/{systemId}/controlstreams",
        "/systems/{systemId}/events",
        "/commands/{id}/status",
        "/commands/{id}/result",
        "/systems/{systemId}/history",
    ):
        assert path in paths, path
