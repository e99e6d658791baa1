"""`StaReader`: async reads of a SensorThings API 1.0/1.1 service (+ MultiDatastream, Tasking Core).

All URLs after the service root come from the server (`url` of entity sets, `@iot.selfLink`,
navigation links, `@iot.nextLink`), never from formatting ids (quirk Q13).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import urljoin

import httpx

from bridge.errors import InvalidParameter, UpstreamError
from bridge.model.legacy.sta import (
    Actuator,
    Datastream,
    FeatureOfInterest,
    HistoricalLocation,
    JsonObject,
    Location,
    MultiDatastream,
    ObservedProperty,
    Sensor,
    ServiceRoot,
    Task,
    TaskingCapability,
    Thing,
)
from bridge.sources.http import PoliteClient
from bridge.sources.paging import DEFAULT_MAX_PAGES, LinkPaging, resolve_link
from bridge.sources.sta import parse as p
from bridge.sources.sta.errors import decode_json, get_json, post_json
from bridge.sources.sta.observations import ObservationBatch, ObservationReader
from bridge.sources.sta.probe import ReadProfile, probe_pages, shape_costs
from bridge.sources.sta.query import Bound, OrderField, ServerQuirks
from bridge.sources.sta.related import ExpandCheck, Relation, complete_page, expand_option, nav_url
from bridge.sources.sta.service import normalise_root, parse_service_root

R = TypeVar("R")

DATASTREAM_RELATIONS = (
    Relation("Thing", "thing_id"),
    Relation("Sensor", "sensor_id"),
    Relation("ObservedProperty", "observed_property_id"),
)
MULTI_DATASTREAM_RELATIONS = (
    Relation("Thing", "thing_id"),
    Relation("Sensor", "sensor_id"),
    Relation("ObservedProperties", "observed_property_ids", many=True),
)
HISTORICAL_LOCATION_RELATIONS = (
    Relation("Thing", "thing_id"),
    Relation("Locations", "location_ids", many=True),
)
TASKING_CAPABILITY_RELATIONS = (Relation("Thing", "thing_id"), Relation("Actuator", "actuator_id"))
TASK_RELATIONS = (Relation("TaskingCapability", "tasking_capability_id"),)


@dataclass(slots=True)
class StaReaderConfig:
    """Reader tuning; request concurrency and rate live in the client's `HttpPolicy`."""

    page_size: int = 100  # $top of entity pages and JSON observation pages
    data_array_page_size: int = 1000  # $top of dataArray observation pages
    use_data_array: bool = True
    expand_related: Literal["auto", "expand", "links"] = "auto"  # how related ids are found
    verify_budget: int = 2  # checks of a suspicious collection $expand before trusting it
    max_pages: int = DEFAULT_MAX_PAGES


class StaReader:
    """Reads one STA service through a `PoliteClient`; entity listings are async generators."""

    def __init__(self, client: PoliteClient, root_url: str, config: StaReaderConfig | None = None) -> None:
        self.client = client
        self.root_url = normalise_root(root_url)
        self.config = config or StaReaderConfig()
        self.quirks = ServerQuirks()
        self.expand = ExpandCheck(self.config.expand_related, self.config.verify_budget)
        self._root: ServiceRoot | None = None
        self._planning = asyncio.Lock()  # streams read concurrently probe the server's options once

    async def service_root(self) -> ServiceRoot:
        """Read (once) the service root: entity sets, conformance, capabilities."""
        if self._root is None:
            self._root = parse_service_root(self.root_url, await get_json(self.client, self.root_url))
        return self._root

    async def set_url(self, name: str) -> str:
        """The URL of an entity set (from the service root; `<root>/<name>` when it does not list it)."""
        root = await self.service_root()
        return root.entity_sets.get(name) or urljoin(self.root_url, name)

    async def pages(self, url: str, params: Mapping[str, str] | None = None) -> AsyncIterator[list[JsonObject]]:
        """Raw entity objects of a collection, page by page, de-duplicated by `@iot.id`."""
        paging = LinkPaging(self.root_url, max_pages=self.config.max_pages)
        doc = await get_json(self.client, url, params)
        current = paging.start(str(httpx.URL(url, params=dict(params or {}))))
        while True:
            page = p.parse_collection(doc)
            yield paging.fresh(page.items, lambda item: p.id_string(item.get("@iot.id")))
            following = paging.advance(current, page.next_link)
            if following is None:
                return
            current = following
            doc = await get_json(self.client, current)

    async def nested(self, doc: JsonObject, nav: str) -> AsyncIterator[JsonObject]:
        """Items of an $expand-ed collection inside `doc`, then its `Nav@iot.nextLink` pages (verbatim)."""
        page = p.nested_collection(doc, nav)
        if page is None:
            return
        for item in page.items:
            yield item
        if page.next_link:
            async for items in self.pages(resolve_link(self.root_url, page.next_link)):
                for item in items:
                    yield item

    async def _entities(
        self,
        set_name: str,
        parse: Callable[[JsonObject], R],
        relations: Sequence[Relation] = (),
        *,
        url: str | None = None,
    ) -> AsyncIterator[R]:
        top = min(self.config.page_size, self.quirks.max_top.get("json", self.config.page_size))
        params = {"$top": str(top)}
        expanded = bool(relations) and self.expand.use_expand
        if expanded:
            params["$expand"] = expand_option(relations)
        async for items in self.pages(url or await self.set_url(set_name), params):
            records = [parse(item) for item in items]
            await complete_page(self.client, self.expand, records, relations, expanded)
            for record in records:
                yield record

    def things(self) -> AsyncIterator[Thing]:
        """All Things."""
        return self._entities("Things", p.parse_thing)

    def locations(self) -> AsyncIterator[Location]:
        """All Locations (geometry unwrapped from Features, `crs` dropped)."""
        return self._entities("Locations", p.parse_location)

    def historical_locations(self) -> AsyncIterator[HistoricalLocation]:
        """All HistoricalLocations with their Thing and Location ids."""
        return self._entities("HistoricalLocations", p.parse_historical_location, HISTORICAL_LOCATION_RELATIONS)

    def sensors(self) -> AsyncIterator[Sensor]:
        """All Sensors."""
        return self._entities("Sensors", p.parse_sensor)

    def observed_properties(self) -> AsyncIterator[ObservedProperty]:
        """All ObservedProperties."""
        return self._entities("ObservedProperties", p.parse_observed_property)

    def datastreams(self, url: str | None = None) -> AsyncIterator[Datastream]:
        """All Datastreams (or those behind `url`, e.g. a Thing's link) with their related ids."""
        return self._entities("Datastreams", p.parse_datastream, DATASTREAM_RELATIONS, url=url)

    async def multi_datastreams(self) -> AsyncIterator[MultiDatastream]:
        """All MultiDatastreams with related ids, ObservedProperties in order (none if unsupported)."""
        root = await self.service_root()
        if not root.has("multi_datastream"):
            return
        async for record in self._entities("MultiDatastreams", p.parse_multi_datastream, MULTI_DATASTREAM_RELATIONS):
            yield record

    def features_of_interest(self) -> AsyncIterator[FeatureOfInterest]:
        """All FeaturesOfInterest."""
        return self._entities("FeaturesOfInterest", p.parse_feature_of_interest)

    async def actuators(self) -> AsyncIterator[Actuator]:
        """All Actuators (Tasking Core; none when the server has no tasking)."""
        if (await self.service_root()).has("tasking"):
            async for record in self._entities("Actuators", p.parse_actuator):
                yield record

    async def tasking_capabilities(self) -> AsyncIterator[TaskingCapability]:
        """All TaskingCapabilities with Thing/Actuator ids and SWE Common tasking parameters."""
        if (await self.service_root()).has("tasking"):
            relations = TASKING_CAPABILITY_RELATIONS
            async for record in self._entities("TaskingCapabilities", p.parse_tasking_capability, relations):
                yield record

    async def tasks(self, url: str | None = None) -> AsyncIterator[Task]:
        """All Tasks (or those behind `url`, e.g. a capability's `Tasks` link) with their capability id."""
        if url or (await self.service_root()).has("tasking"):
            async for record in self._entities("Tasks", p.parse_task, TASK_RELATIONS, url=url):
                yield record

    def _observation_reader(self, root: ServiceRoot) -> ObservationReader:
        return ObservationReader(
            self.client,
            self.root_url,
            self.quirks,
            self.expand,
            data_array_supported=root.data_array,
            max_pages=self.config.max_pages,
        )

    async def probe(self) -> ReadProfile:
        """Probe the server once: dataArray paging, the page sizes it grants up to the configured ones (later
        listings and reads use them)."""
        root = await self.service_root()
        limits = {"json": self.config.page_size, "dataArray": self.config.data_array_page_size}
        url = await self.set_url("Observations")
        return await probe_pages(self.client, url, limits, self.quirks, root.data_array)

    async def probe_costs(self, stream: Datastream | MultiDatastream) -> dict[str, float]:
        """Milliseconds of a plain and of an `$expand=FeatureOfInterest` page of `stream`'s observations."""
        url = nav_url(stream, "Observations")
        return await shape_costs(self.client, url) if url else {}

    async def foi_shape(self, stream: Datastream | MultiDatastream) -> str:
        """How reads of `stream` learn features of interest: `column` (dataArray), `expand`, or `links`."""
        base = nav_url(stream, "Observations")
        if base is None:
            return "links"
        reader = self._observation_reader(await self.service_root())
        c = self.config
        async with self._planning:
            plan = await reader.plan(
                base, "phenomenonTime", True, c.page_size, c.data_array_page_size, c.use_data_array
            )
        return "column" if plan.foi_column else "expand" if plan.foi_expand else "links"

    async def observations(
        self,
        stream: Datastream | MultiDatastream,
        since: Bound | None = None,
        until: Bound | None = None,
        order_field: OrderField = "phenomenonTime",
        page_size: int | None = None,
        *,
        foi: bool = True,
        feature: str | None = None,
    ) -> AsyncIterator[ObservationBatch]:
        """Batches of the stream's observations with `since <= order_field < until`.

        Args:
            stream: the Datastream or MultiDatastream (its `Observations` link is followed).
            since, until: window bounds (datetimes, or ids for `order_field="id"`); None = open.
            page_size: `$top`; default from the config (per result format).
            foi: also read FeatureOfInterest ids (`foi_id`; None where the server cannot tell).
            feature: only the observations of this feature of interest (`$filter` on `FeatureOfInterest/id`),
                each with it as `foi_id`; no FeatureOfInterest is expanded.
        """
        reader = self._observation_reader(await self.service_root())
        base = nav_url(stream, "Observations")
        if base is None:
            raise UpstreamError(f"SensorThings stream {stream.id} has no Observations link")
        top = page_size or self.config.page_size
        da_top = page_size or self.config.data_array_page_size
        wanted = foi and feature is None
        plan = await reader.plan(base, order_field, wanted, top, da_top, self.config.use_data_array)
        async for batch in reader.read(stream, plan, order_field, since, until, feature):
            yield batch

    async def create_task(self, capability: TaskingCapability | str, parameters: JsonObject) -> Task:
        """Create a Task (POST Tasks) for a capability (record, selfLink or id); returns the stored Task."""
        if not isinstance(parameters, dict):
            raise InvalidParameter("parameters", "tasking parameters must be a JSON object")
        raw_id = await self._raw_id(capability)
        body = {"taskingParameters": parameters, "TaskingCapability": {"@iot.id": raw_id}}
        response = await post_json(self.client, await self.set_url("Tasks"), body)
        if response.content.strip():
            doc = decode_json(response)
            if isinstance(doc, dict) and "@iot.id" in doc:
                task = p.parse_task(doc)
                task.tasking_capability_id = task.tasking_capability_id or p.id_string(raw_id)
                return task
        location = response.headers.get("Location")
        if not location:
            raise UpstreamError("SensorThings server created a Task but returned neither body nor Location")
        task = p.parse_task(await get_json(self.client, location))
        task.tasking_capability_id = task.tasking_capability_id or p.id_string(raw_id)
        return task

    async def _raw_id(self, capability: TaskingCapability | str) -> Any:
        """The capability's `@iot.id` with its JSON type, read from its selfLink when one is known."""
        link = capability.self_link if isinstance(capability, TaskingCapability) else None
        if isinstance(capability, str) and "://" in capability:
            link = capability
        if link:
            doc = await get_json(self.client, link, {"$select": "id"})
            if isinstance(doc, dict) and doc.get("@iot.id") is not None:
                return doc["@iot.id"]
            raise UpstreamError(f"{link} did not answer with an @iot.id")
        value = capability.id if isinstance(capability, TaskingCapability) else capability
        return int(value) if value.isdigit() else value
