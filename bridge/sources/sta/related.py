"""Related-entity ids (Datastream -> Thing/Sensor/ObservedProperty...) with a verified `$expand` strategy.

`$expand=Thing($select=id),...` on a collection saves one request per entity and relation, but
django-ogc-sensorthings 1.2.0 answers it with the *first* related entity for every row (legacy
digest §3.8). That bug can only produce identical ids on every row of a page, so a page with
different ids proves the server right; an all-identical page is checked against the navigation
links of its first, middle and last rows (a bounded number of times). Once the bug is seen, the
reader resolves relations through each entity's navigation links (one small request per relation).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from bridge.sources.http import PoliteClient
from bridge.sources.sta.errors import get_json
from bridge.sources.sta.parse import id_string

log = logging.getLogger(__name__)
T = TypeVar("T")

ExpandState = Literal["unknown", "ok", "broken"]


@dataclass(frozen=True, slots=True)
class Relation:
    """A navigation property to resolve: `nav` (STA name) -> record attribute `attr`."""

    nav: str
    attr: str
    many: bool = False


class ExpandCheck:
    """What the reader knows about the server's collection `$expand`: unknown, ok or broken."""

    def __init__(self, mode: Literal["auto", "expand", "links"] = "auto", verify_budget: int = 2) -> None:
        self.mode = mode
        self.state: ExpandState = {"auto": "unknown", "expand": "ok", "links": "broken"}[mode]  # type: ignore[assignment]
        self.verify_budget = verify_budget
        self.verifications = 0

    @property
    def broken(self) -> bool:
        """True once the server was caught repeating the first related entity."""
        return self.state == "broken"

    @property
    def use_expand(self) -> bool:
        """True when collection requests should carry `$expand`."""
        return self.state != "broken"

    def needs_verification(self, ids: Sequence[str | None]) -> bool:
        """True when a page's expanded ids are all identical and the server is not yet trusted."""
        present = [i for i in ids if i is not None]
        if len(present) < 2:
            return False
        if len(set(present)) > 1:
            if self.state == "unknown":
                self.state = "ok"
            return False
        return self.state == "unknown" and self.verifications < self.verify_budget

    def record(self, agrees: bool) -> None:
        """Record one verification result."""
        self.verifications += 1
        if not agrees:
            log.warning(
                "SensorThings server repeats the first related entity on collection $expand; "
                "falling back to navigation links"
            )
            self.state = "broken"


def expand_option(relations: Sequence[Relation]) -> str:
    """The `$expand` value selecting only the ids of `relations`."""
    return ",".join(f"{r.nav}($select=id)" for r in relations)


def nav_url(record: Any, nav: str) -> str | None:
    """The navigation URL of `record` for `nav`: its own link, else selfLink + '/' + nav."""
    links: dict[str, str] = record.links
    if nav in links:
        return links[nav]
    self_link: str | None = record.self_link
    return f"{self_link.rstrip('/')}/{nav}" if self_link else None


async def fetch_related(client: PoliteClient, url: str, many: bool) -> list[str]:
    """Ids behind a navigation URL (`?$select=id`): one entity or a whole (paged) collection."""
    ids: list[str] = []
    next_url: str | None = url
    params: dict[str, str] | None = {"$select": "id"}
    pages = 0
    while next_url and pages < 1000:
        doc = await get_json(client, next_url, params)
        pages += 1
        params = None
        if isinstance(doc, dict) and isinstance(doc.get("value"), list):
            ids.extend(i for v in doc["value"] if isinstance(v, dict) and (i := id_string(v.get("@iot.id"))))
            link = doc.get("@iot.nextLink")
            next_url = link if many and isinstance(link, str) and link else None
        elif isinstance(doc, dict) and (i := id_string(doc.get("@iot.id"))):
            ids.append(i)
            next_url = None
        else:
            next_url = None
    return ids


async def resolve_by_links(client: PoliteClient, records: Sequence[Any], relations: Sequence[Relation]) -> None:
    """Fill each record's related ids by following its navigation links (concurrently)."""

    async def one(record: Any, relation: Relation) -> None:
        url = nav_url(record, relation.nav)
        if url is None:
            return
        ids = await fetch_related(client, url, relation.many)
        setattr(record, relation.attr, ids if relation.many else (ids[0] if ids else None))

    await asyncio.gather(*(one(r, rel) for r in records for rel in relations))


async def complete_page(
    client: PoliteClient,
    check: ExpandCheck,
    records: Sequence[Any],
    relations: Sequence[Relation],
    expanded: bool,
) -> None:
    """Make the related ids of one page trustworthy: verify expand output or resolve by links."""
    if not records or not relations:
        return
    if not expanded or check.broken:
        await resolve_by_links(client, records, relations)
        return
    for relation in relations:
        if relation.many:
            continue
        if check.needs_verification([getattr(r, relation.attr) for r in records]):
            checks = [(nav_url(r, relation.nav), getattr(r, relation.attr)) for r in sample(records)]
            check.record(await agree(client, [(url, value) for url, value in checks if url]))
            if check.broken:
                await resolve_by_links(client, records, relations)
                return
    missing = [r for r in records if any(_missing(r, rel) for rel in relations)]
    if missing:
        await resolve_by_links(client, missing, relations)


def sample(items: Sequence[T]) -> list[T]:
    """First, middle and last item (distinct): the rows checked against their own links."""
    picks = sorted({0, len(items) // 2, len(items) - 1}) if items else []
    return [items[i] for i in picks]


async def agree(client: PoliteClient, checks: Sequence[tuple[str, str | None]]) -> bool:
    """True when every (navigation URL, expanded id) pair matches what the URL itself answers."""
    truths = await asyncio.gather(*(fetch_related(client, url, False) for url, _ in checks))
    return all(bool(t) and t[0] == expected for t, (_, expected) in zip(truths, checks, strict=True))


def _missing(record: Any, relation: Relation) -> bool:
    value = getattr(record, relation.attr)
    return value is None or (relation.many and not value)
