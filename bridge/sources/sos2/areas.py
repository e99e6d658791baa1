"""The axis order of an offering's observedArea, checked against the procedure's own features of interest.

52°North servers write `observedArea` in lon/lat under EPSG:4326 while their `gml:pos` are lat/lon (Q4). The
plausibility check of the GML reader catches this only where a longitude exceeds 90°; in Europe both readings
look valid, and a system placed by its observed area would land at the wrong place (Essen, 51.40 N 6.97 E,
becomes a point off Somalia). An observed area must cover the features observed there: when only the other
axis order does, the area is swapped, and the decision is noted among the procedure's provenance issues.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from bridge.model.legacy.sos2 import Bbox, FeatureOfInterest
from bridge.sources.sos2.records import ProcedureInfo

TOLERANCE = 0.01  # degrees (about 1 km) by which a feature may lie outside the area it is observed in


def _positions(geometry: Any) -> Iterator[tuple[float, float]]:
    """Every (lon, lat) of a GeoJSON geometry."""
    if isinstance(geometry, dict):
        if geometry.get("type") == "GeometryCollection":
            for part in geometry.get("geometries") or ():
                yield from _positions(part)
            return
        yield from _positions(geometry.get("coordinates"))
    elif isinstance(geometry, list | tuple):
        if len(geometry) >= 2 and all(isinstance(v, int | float) for v in geometry[:2]):
            yield float(geometry[0]), float(geometry[1])
        else:
            for part in geometry:
                yield from _positions(part)


def covers(box: Bbox, points: list[tuple[float, float]]) -> bool:
    """Whether every point lies in the box (within TOLERANCE)."""
    west, south, east, north = box
    return all(
        west - TOLERANCE <= x <= east + TOLERANCE and south - TOLERANCE <= y <= north + TOLERANCE for x, y in points
    )


def swapped(box: Bbox) -> Bbox:
    """The same corners read in the other axis order."""
    return box[1], box[0], box[3], box[2]


def check_observed_areas(proc: ProcedureInfo, features: list[FeatureOfInterest]) -> None:
    """Take, for each offering whose observedArea reads plausibly both ways, the axis order that covers the
    procedure's features of interest; note a swap (or an area covering them neither way) in `proc.issues`."""
    points = [p for f in features if f.geometry and f.geometry_crs84 for p in _positions(f.geometry)]
    if not points:
        return
    for index, offering in enumerate(proc.offerings):
        box = offering.observed_area
        if box is None or not offering.observed_area_ambiguous:
            continue
        other = swapped(box)
        as_read, other_way = covers(box, points), covers(other, points)
        what = f"observedArea of offering {offering.identifier} ({offering.observed_area_srs or 'no srsName'})"
        if other_way and not as_read:
            proc.offerings[index] = replace(offering, observed_area=other, observed_area_ambiguous=False)
            proc.issues.append(
                f"{what}: axis order swapped, since only then it covers the procedure's {len(points)} feature "
                "position(s) (the server writes its areas in the other order than its srsName says, Q4)"
            )
        elif not as_read and not other_way:
            proc.issues.append(f"{what}: covers none of its features in either axis order; kept as its srsName says")
