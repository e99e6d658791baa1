"""An in-memory SensorThings server (observations and features only) for `httpx.MockTransport`.

It understands what the harvester's observation reads send — `$top`, `$skip`, `$count`, `$orderby=phenomenonTime
asc`, `$expand=FeatureOfInterest($select=id)`, `$resultFormat=dataArray` and the `$filter` clauses
`phenomenonTime ge|lt|le <t>`, `FeatureOfInterest/id eq <id>`, `Observations/Datastream/id eq <id>` — and can be
told to misbehave like real servers do (the knobs of `Quirks`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from bridge.model.legacy.sta import Datastream, FeatureOfInterest, MultiDatastream, TimeExtent
from bridge.sources.http import HttpPolicy, PoliteClient

HOST = "http://data.test"
ROOT = f"{HOST}/v1.1/"
START = datetime(2024, 1, 1, tzinfo=UTC)
DATA_ARRAY = "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array"
_CLAUSE = re.compile(r"^(phenomenonTime|FeatureOfInterest/id|Observations/(?:Multi)?Datastream/id) (ge|lt|le|eq) (.+)$")


@dataclass
class Quirks:
    """How the fake misbehaves."""

    json_max_top: int = 100_000  # a larger JSON $top is refused (422), like django-ogc-sensorthings above 100
    overshoot_at: int | None = None  # from this $top on: one row too many and no next link (istSOS4 at 10,000)
    silent_cap: int | None = None  # a larger $top answers this many rows and no next link (a silent end)
    data_array: bool = True
    data_array_links: bool = True  # False: dataArray pages without next links (istSOS4)
    feature_filter: bool = True  # False: `FeatureOfInterest/id eq` is ignored
    stream_features: bool = True  # False: `Observations/Datastream/id` on FeaturesOfInterest is refused
    hide_in_feature_reads: set[int] = field(default_factory=set)  # observation ids a feature read leaves out
    hide_in_reads: set[int] = field(default_factory=set)  # observation ids every read leaves out (counts do not)


@dataclass
class Obs:
    id: int
    ds: int
    foi: int
    time: datetime
    result: float | list[float]
    multi: bool = False  # of MultiDatastream `ds` (ids of both kinds are separate)


class FakeData:
    """The server: `add(ds, count, features)` makes observations, `handle` answers requests (recorded)."""

    def __init__(self, quirks: Quirks | None = None) -> None:
        self.quirks = quirks or Quirks()
        self.observations: list[Obs] = []
        self.requests: list[httpx.Request] = []

    def add(
        self, ds: int, count: int, features: list[int], step: timedelta = timedelta(minutes=1), multi: bool = False
    ) -> None:
        """`count` observations of stream `ds` (a MultiDatastream's with `multi`), features in turn in runs of ten."""
        first = len(self.observations) + 1
        for i in range(count):
            foi = features[(i // 10) % len(features)]
            result: float | list[float] = [float(i), -float(i)] if multi else float(i)
            self.observations.append(Obs(first + i, ds, foi, START + i * step, result, multi))

    def features(self) -> list[FeatureOfInterest]:
        """Every feature of interest, as the harvester lists them."""
        return [FeatureOfInterest(str(f), None, f"feature {f}") for f in sorted({o.foi for o in self.observations})]

    @staticmethod
    def stream(ds: int) -> Datastream:
        """The Datastream record of stream `ds` as the harvester would have listed it."""
        return Datastream(str(ds), f"{ROOT}Datastreams({ds})", f"stream {ds}", phenomenon_time=TimeExtent(START))

    @staticmethod
    def multi_stream(ds: int) -> MultiDatastream:
        """The MultiDatastream record `ds` as the harvester would have listed it."""
        link = f"{ROOT}MultiDatastreams({ds})"
        return MultiDatastream(str(ds), link, f"multi {ds}", phenomenon_time=TimeExtent(START))

    def client(self) -> PoliteClient:
        """A client on this server."""
        policy = HttpPolicy(backoff=0.001, max_backoff=0.01, retries=1, timeout=5.0, concurrency=4)
        return PoliteClient(policy, transport=httpx.MockTransport(self.handle))

    def paths(self) -> list[str]:
        """Decoded request targets, in order."""
        return [f"{r.url.path}?{dict(r.url.params)}" for r in self.requests]

    # ------------------------------------------------------------------------------------------- answers
    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path, query = request.url.path, dict(request.url.params)
        if path == "/v1.1/":
            return self._root()
        if path == "/v1.1/FeaturesOfInterest":
            return self._features(query)
        match = re.fullmatch(r"/v1\.1/(?:(Multi)?Datastreams\((\d+)\)/)?Observations", path)
        if match is None:
            return httpx.Response(404, json={"message": "not found"})
        multi, ds = match.group(1) is not None, match.group(2)
        rows = [o for o in self.observations if ds is None or (o.ds == int(ds) and o.multi == multi)]
        return self._observations(request, rows, query)

    def _root(self) -> httpx.Response:
        sets = ("Datastreams", "FeaturesOfInterest", "Observations")
        conformance = [DATA_ARRAY] if self.quirks.data_array else []
        doc = {"value": [{"name": s, "url": ROOT + s} for s in sets], "serverSettings": {"conformance": conformance}}
        return httpx.Response(200, json=doc)

    def _features(self, query: dict[str, str]) -> httpx.Response:
        streams = [(n, v) for n, _, v in _clauses(query.get("$filter")) if n.startswith("Observations/")]
        if streams and not self.quirks.stream_features:
            return httpx.Response(400, json={"message": "unsupported filter"})
        wanted = [(int(v), "Multi" in n) for n, v in streams]
        ids = sorted({o.foi for o in self.observations if not wanted or (o.ds, o.multi) == wanted[0]})
        return httpx.Response(200, json={"value": [{"@iot.id": i} for i in ids]})

    def _filtered(self, rows: list[Obs], query: dict[str, str]) -> list[Obs]:
        for name, op, value in _clauses(query.get("$filter")):
            if name == "phenomenonTime":
                when = datetime.fromisoformat(value.replace("Z", "+00:00"))
                test = {"ge": lambda t, w=when: t >= w, "lt": lambda t, w=when: t < w, "le": lambda t, w=when: t <= w}
                rows = [o for o in rows if test[op](o.time)]
            elif name == "FeatureOfInterest/id" and self.quirks.feature_filter:
                hidden = set() if query.get("$count") == "true" else self.quirks.hide_in_feature_reads
                rows = [o for o in rows if o.foi == int(value) and o.id not in hidden]
        return rows

    def _observations(self, request: httpx.Request, rows: list[Obs], query: dict[str, str]) -> httpx.Response:
        arrays = query.get("$resultFormat") == "dataArray"
        if arrays and not self.quirks.data_array:
            return httpx.Response(400, json={"message": "unknown $resultFormat"})
        top = int(query.get("$top", "100"))
        if not arrays and top > self.quirks.json_max_top:
            return httpx.Response(422, json={"detail": f"$top must be <= {self.quirks.json_max_top}"})
        rows = self._filtered(rows, query)
        if query.get("$count") != "true":
            rows = [o for o in rows if o.id not in self.quirks.hide_in_reads]
        rows.sort(key=lambda o: (o.time, o.id) if "$orderby" in query else (o.id,))
        skip = int(query.get("$skip", "0"))
        page = rows[skip : skip + top]
        more = skip + top < len(rows)
        if self.quirks.overshoot_at is not None and top >= self.quirks.overshoot_at:
            page, more = rows[skip : skip + top + 1], False
        if self.quirks.silent_cap is not None and top > self.quirks.silent_cap:
            page, more = rows[skip : skip + self.quirks.silent_cap], False
        doc: dict[str, Any] = {}
        if query.get("$count") == "true":
            doc["@iot.count"] = len(rows)
        if more and (not arrays or self.quirks.data_array_links):
            doc["@iot.nextLink"] = _next(request, query, skip + top)
        expand = "FeatureOfInterest" in query.get("$expand", "")
        doc["value"] = self._data_array(page) if arrays else [self._entity(o, expand) for o in page]
        return httpx.Response(200, json=doc)

    @staticmethod
    def _entity(o: Obs, expand: bool) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "@iot.id": o.id,
            "phenomenonTime": o.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "resultTime": None,
            "result": o.result,
        }
        if expand:
            doc["FeatureOfInterest"] = {"@iot.id": o.foi}
        return doc

    @staticmethod
    def _data_array(page: list[Obs]) -> list[dict[str, Any]]:
        components = ["id", "phenomenonTime", "result"]
        rows = [[o.id, o.time.strftime("%Y-%m-%dT%H:%M:%SZ"), o.result] for o in page]
        return [{"components": components, "dataArray@iot.count": len(rows), "dataArray": rows}] if rows else []


def _clauses(flt: str | None) -> list[tuple[str, str, str]]:
    out = []
    for clause in (flt or "").split(" and "):
        match = _CLAUSE.match(clause.strip())
        if match:
            out.append((match.group(1), match.group(2), match.group(3).strip("'")))
    return out


def _next(request: httpx.Request, query: dict[str, str], skip: int) -> str:
    params = {k: v for k, v in query.items() if k != "$skip"} | {"$skip": str(skip)}
    return f"{HOST}{request.url.path}?{urlencode(params, quote_via=quote)}"
