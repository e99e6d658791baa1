"""The conformance classes this server declares on `/conformance` — only classes whose tests pass."""

from __future__ import annotations

from bridge.model.kinds import PART1_KINDS, PART2_KINDS

CS1 = "http://www.opengis.net/spec/ogcapi-connectedsystems-1/1.0/conf/"
CS2 = "http://www.opengis.net/spec/ogcapi-connectedsystems-2/1.0/conf/"

COMMON = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/landing-page",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/html",  # tests/api/html (pages), tests/browser
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
]

# Each resource kind's own classes come from its descriptor (`bridge.model.kinds`).
PART1 = [
    CS1 + name
    for name in (
        "api-common",
        *(name for desc in PART1_KINDS for name in desc.conformance),
        "advanced-filtering",
        "create-replace-delete",
        "update",
        "geojson",
        "sensorml",
    )
]


# Part 2 classes proven by tests/api/test_{datastreams,observations,observation_filters,observation_formats,
# stream_filters,controlstreams,commands,command_filters,events_history,part2_robustness}.py. System History is
# not declared: the published 1.0 has no conformance class for it (checklist §1); it is served as an extension.
PART2 = [
    CS2 + name
    for name in (
        "api-common",
        *(name for desc in PART2_KINDS for name in desc.conformance),
        "advanced-filtering",
        "create-replace-delete",
        "update",
        "json",
        "swecommon-json",
        "swecommon-text",
        "swecommon-binary",
    )
]

# Part 2 "Command Feasibility" (tests/commands/test_feasibility_api.py, and SPS GetFeasibility end to end).
FEASIBILITY = [CS2 + "feasibility"]


def conformance_classes() -> list[str]:
    """Every class declared by this server."""
    return [*COMMON, *PART1, *PART2, *FEASIBILITY]
