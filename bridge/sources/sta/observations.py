"""Reading one (Multi)Datastream's observations in batches, with probed query options.

Plan per server (probed once with `$top=1` requests, then remembered): `$orderby` on the cursor
field (django-ogc-sensorthings answers 500 to `phenomenonTime`), `$resultFormat=dataArray` (with a
`FeatureOfInterest/id` column when FoI ids are wanted), `$expand=FeatureOfInterest($select=id)`.
An unordered read is flagged on every batch (`ordered=False`): the caller then advances its cursor
only after the last batch of a complete run. When neither a dataArray FoI column nor a trustworthy
FoI `$expand` is available, observations come without `foi_id` (None) in the fastest format.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from bridge.errors import UpstreamError
from bridge.model.legacy.sta import Datastream, MultiDatastream, Observation
from bridge.sources.http import PoliteClient
from bridge.sources.paging import LinkPaging
from bridge.sources.sta.errors import StaError, get_json
from bridge.sources.sta.parse import parse_collection
from bridge.sources.sta.parse_observations import data_array_observations, parse_data_array, parse_observation
from bridge.sources.sta.query import (
    OBSERVATION_FIELDS,
    Bound,
    OrderField,
    ServerQuirks,
    feature_filter,
    order_option,
    window_filter,
)
from bridge.sources.sta.related import ExpandCheck, agree, nav_url, sample

SAFE_TOP = 100


@dataclass(slots=True)
class ObservationBatch:
    """One page of observations plus what the caller needs to move its cursor.

    `high_water` is the largest `order_field` value seen so far in this run (phenomenon start,
    resultTime, or id). When `ordered` is False it is only safe to commit once `last` is True.
    """

    observations: list[Observation]
    ordered: bool
    order_field: OrderField
    high_water: Bound | None
    last: bool
    url: str


class _Overshoot(Exception):
    """A page held more rows than its `$top`."""

    def __init__(self, rows: int) -> None:
        super().__init__(rows)
        self.rows = rows


@dataclass(slots=True)
class _Plan:
    data_array: bool
    foi_column: bool
    foi_expand: bool
    ordered: bool
    top: int

    @property
    def top_key(self) -> str:
        return "dataArray" if self.data_array else "json"


def _order_value(obs: Observation, order_field: OrderField) -> Bound | None:
    if order_field == "phenomenonTime":
        return obs.phenomenon_start
    if order_field == "resultTime":
        return obs.result_time
    return int(obs.id) if obs.id.isdigit() else obs.id


def _any(doc: Any) -> bool:
    return True


def _is_data_array(doc: Any) -> bool:
    """A dataArray answer (servers that ignore `$resultFormat` send plain entities)."""
    values = doc.get("value") if isinstance(doc, dict) else None
    return isinstance(values, list) and all(isinstance(v, dict) and "dataArray" in v for v in values)


def _has_foi_column(doc: Any) -> bool:
    """A dataArray answer whose groups carry the feature-of-interest column that was asked for."""
    if not _is_data_array(doc):
        return False
    columns = {"FeatureOfInterest/id", "FeatureOfInterest/@iot.id"}
    return all(columns & set(v.get("components") or ()) for v in doc["value"])


def _comparable(a: Bound, b: Bound) -> tuple[Any, Any]:
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a, b
    if isinstance(a, int) and isinstance(b, int):
        return a, b
    return str(a), str(b)


def _later(a: Bound | None, b: Bound | None) -> Bound | None:
    if a is None:
        return b
    if b is None:
        return a
    x, y = _comparable(a, b)
    return b if y > x else a


def _before(value: Bound | None, high: Bound | None) -> bool:
    if value is None or high is None:
        return False
    x, y = _comparable(value, high)
    return bool(x < y)


class ObservationReader:
    """Observation batches of one stream; shares probing results (`quirks`) across streams."""

    def __init__(
        self,
        client: PoliteClient,
        root: str,
        quirks: ServerQuirks,
        expand: ExpandCheck,
        *,
        data_array_supported: bool | None,
        max_pages: int,
    ) -> None:
        self.client = client
        self.root = root
        self.quirks = quirks
        self.expand = expand
        self.data_array_supported = data_array_supported
        self.max_pages = max_pages

    async def _probe(self, url: str, params: dict[str, str], accept: Callable[[Any], bool] = _any) -> bool:
        """One `$top=1` request: does the server accept these options? (5xx retried once.)"""
        for _ in range(2):
            try:
                doc = await get_json(self.client, url, {"$top": "1", **params}, retry=False)
                return accept(doc)
            except StaError as exc:
                if exc.status_code is None or exc.status_code < 500:
                    return False
            except UpstreamError:
                return False
        return False

    async def plan(
        self,
        url: str,
        order_field: OrderField,
        foi: bool,
        top: int,
        data_array_top: int,
        use_data_array: bool,
    ) -> _Plan:
        """Decide the query options for `url`, probing what is not known yet."""
        q = self.quirks
        if order_field not in q.orderby:
            q.orderby[order_field] = await self._probe(url, {"$orderby": order_option(order_field)})
        data_array = False
        if use_data_array and self.data_array_supported is not False:
            if q.data_array is None:
                q.data_array = await self._probe(
                    url, {"$resultFormat": "dataArray", "$select": OBSERVATION_FIELDS}, _is_data_array
                )
            if q.data_array and foi and q.data_array_foi is None:
                q.data_array_foi = await self._probe(
                    url,
                    {"$resultFormat": "dataArray", "$select": OBSERVATION_FIELDS + ",FeatureOfInterest/id"},
                    _has_foi_column,
                )
            data_array = bool(q.data_array)
        foi_column = data_array and foi and bool(q.data_array_foi)
        foi_expand = False
        if foi and not foi_column and self.expand.use_expand:
            if q.foi_expand is None:
                q.foi_expand = await self._probe(url, {"$expand": "FeatureOfInterest($select=id)"})
            foi_expand = q.foi_expand
        if foi_expand:
            data_array = False  # FoI ids only come with plain JSON entities here
        chosen = data_array_top if data_array else top
        plan = _Plan(data_array, foi_column and data_array, foi_expand, q.orderby[order_field], chosen)
        plan.top = min(chosen, q.max_top.get(plan.top_key, chosen))
        return plan

    def params(
        self, plan: _Plan, order_field: OrderField, since: Bound | None, until: Bound | None, feature: str | None = None
    ) -> dict[str, str]:
        """Query options of the first page (`feature`: only the observations of that feature of interest)."""
        params: dict[str, str] = {"$top": str(plan.top)}
        clauses = [c for c in (window_filter(order_field, since, until), feature_filter(feature)) if c]
        if clauses:
            params["$filter"] = " and ".join(clauses)
        if plan.ordered:
            params["$orderby"] = order_option(order_field)
        if plan.data_array:
            params["$resultFormat"] = "dataArray"
            params["$select"] = OBSERVATION_FIELDS + (",FeatureOfInterest/id" if plan.foi_column else "")
        else:
            params["$select"] = OBSERVATION_FIELDS
            if plan.foi_expand:
                params["$expand"] = "FeatureOfInterest($select=id)"
        return params

    async def _first_page(self, url: str, plan: _Plan, params: dict[str, str]) -> Any:
        """GET the first page; a refused large `$top` (400/422) is retried once at a safe size."""
        try:
            return await get_json(self.client, url, params)
        except StaError as exc:
            if exc.status_code not in (400, 422) or plan.top <= SAFE_TOP:
                raise
            self.quirks.max_top[plan.top_key] = SAFE_TOP
            plan.top = SAFE_TOP
            params["$top"] = str(SAFE_TOP)
            return await get_json(self.client, url, params)

    def _parse(
        self, doc: Any, plan: _Plan, stream: Datastream | MultiDatastream
    ) -> tuple[list[Observation], str | None]:
        ds_id = stream.id if isinstance(stream, Datastream) else None
        mds_id = stream.id if isinstance(stream, MultiDatastream) else None
        next_link = doc.get("@iot.nextLink") if isinstance(doc, dict) else None
        if plan.data_array:
            observations = [
                o
                for group in parse_data_array(doc)
                for o in data_array_observations(group, datastream_id=ds_id, multi_datastream_id=mds_id)
            ]
        else:
            page = parse_collection(doc)
            observations = [
                parse_observation(item, datastream_id=ds_id, multi_datastream_id=mds_id) for item in page.items
            ]
        if not plan.foi_expand and not plan.foi_column:
            for o in observations:
                o.foi_id = None
        return observations, next_link if isinstance(next_link, str) and next_link else None

    async def _verify_foi(self, url: str, params: dict[str, str], observations: list[Observation]) -> None:
        """Check a page whose expanded FoI ids are all equal against sampled observations' own links."""
        if not self.expand.needs_verification([o.foi_id for o in observations]):
            return
        plain = {k: v for k, v in params.items() if k not in ("$select", "$expand")}
        doc = await get_json(self.client, url, plain)
        by_id = {o.id: o for o in (parse_observation(i) for i in parse_collection(doc).items)}
        checks = [
            (link, o.foi_id)
            for o in sample([o for o in observations if o.id in by_id])
            if (link := nav_url(by_id[o.id], "FeatureOfInterest"))
        ]
        if checks:
            self.expand.record(await agree(self.client, checks))

    async def read(
        self,
        stream: Datastream | MultiDatastream,
        plan: _Plan,
        order_field: OrderField,
        since: Bound | None,
        until: Bound | None,
        feature: str | None = None,
    ) -> AsyncIterator[ObservationBatch]:
        """Yield the batches of one stream's window, following `@iot.nextLink` verbatim; with `feature`, only
        that feature's observations (each given it as `foi_id`).

        A page with more rows than `$top` shows a server that cannot page at that size (istSOS4 answers
        `$top=10000` with 10,001 rows and no next link): the read starts again with half the page size, remembered
        for later reads (the rows read twice are dropped by the store).
        """
        while True:
            try:
                async for batch in self._pages(stream, plan, order_field, since, until, feature):
                    yield batch
                return
            except _Overshoot as exc:
                if plan.top <= SAFE_TOP:
                    raise UpstreamError(f"SensorThings server answered {exc.rows} rows for $top={plan.top}") from None
                plan.top = self.quirks.max_top[plan.top_key] = max(SAFE_TOP, plan.top // 2)

    async def _pages(
        self,
        stream: Datastream | MultiDatastream,
        plan: _Plan,
        order_field: OrderField,
        since: Bound | None,
        until: Bound | None,
        feature: str | None,
    ) -> AsyncIterator[ObservationBatch]:
        base = nav_url(stream, "Observations")
        if base is None:
            raise UpstreamError(f"SensorThings stream {stream.id} has neither an Observations link nor a selfLink")
        paging = LinkPaging(self.root, max_pages=self.max_pages)
        params = self.params(plan, order_field, since, until, feature)
        doc = await self._first_page(base, plan, params)
        current = paging.start(str(httpx.URL(base, params=params)))
        ordered, high = plan.ordered, None
        while True:
            observations, next_link = self._parse(doc, plan, stream)
            if len(observations) > plan.top:
                raise _Overshoot(len(observations))
            observations = paging.fresh(observations, lambda o: o.id)
            if paging.pages == 1 and plan.foi_expand and self.expand.state == "unknown":
                await self._verify_foi(base, params, observations)
            if (plan.foi_expand and self.expand.broken) or feature is not None:
                for o in observations:
                    o.foi_id = feature
            for o in observations:
                value = _order_value(o, order_field)
                if ordered and _before(value, high):
                    ordered = False  # the server claimed an order it does not keep
                high = _later(high, value)
            following = paging.advance(current, next_link)
            yield ObservationBatch(observations, ordered, order_field, high, following is None, current)
            if following is None:
                return
            current = following
            doc = await get_json(self.client, current)
