"""The store as small protocols by concern; the API, the command pipeline and the jobs each depend on the
slices they use, and a backend (`bridge.store.sql.SqlStore`) implements them all (`Store`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from bridge.model.audit import AuditEntry, AuditQuery
from bridge.model.commands import KeyedCommand, KeyedStatus
from bridge.model.csapi import (
    Command,
    CommandResult,
    CommandStatus,
    ControlStream,
    Datastream,
    DeployedSystem,
    Feature,
    Kind,
    Provenance,
    SystemEvent,
)
from bridge.model.harvest import MappedBatch, RunRecord, WriteStats
from bridge.model.observations import ObsRow, StoredObservation
from bridge.model.query import (
    CommandQuery,
    EventQuery,
    FeatureQuery,
    ObservationQuery,
    Page,
    StatusQuery,
    StreamQuery,
    TimeFilter,
)

Stream = Datastream | ControlStream


class ObservationPage(Protocol):
    """A page of observations streamed from the store while the response is written, in batches of rows."""

    next_token: str | None
    stream: AsyncIterator[Sequence[StoredObservation]]


class Revision(Protocol):
    """A past description of a system."""

    rev_id: str
    system: Feature


class Outcome(StrEnum):
    """What an idempotent upsert did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(slots=True)
class Collection:
    """A collection of resources of one kind; `builtin` ones alias the canonical endpoint."""

    id: str
    kind: Kind
    title: str
    description: str | None = None
    builtin: bool = False
    source: str | None = None  # read-only view of what was harvested from one legacy source


class FeatureStore(Protocol):
    """Part 1 resources and the collections that hold them (`/systems`…`/properties`, `/collections`)."""

    async def list_features(self, query: FeatureQuery) -> Page[Feature]:
        """Resources endpoints: `GET /systems`, nested lists, `/collections/{id}/items`."""
        ...

    async def get_feature(self, kind: Kind, rid: str) -> Feature:
        """`GET /{kind}/{id}`; raises NotFound."""
        ...

    async def inherited_deployed(self, ids: list[str]) -> dict[str, list[DeployedSystem]]:
        """Systems deployed in the subdeployments of each deployment, all levels (Req 23; reads only)."""
        ...

    async def find_feature_uid(self, kind: Kind, uid: str) -> str | None:
        """Local id of the resource with `uid`, if any."""
        ...

    async def create_feature(self, feature: Feature, collection: str | None = None) -> Feature:
        """`POST` a new resource (409 on a duplicate UID); optionally also into a custom collection."""
        ...

    async def replace_feature(self, feature: Feature) -> None:
        """`PUT /{kind}/{id}`."""
        ...

    async def delete_feature(self, kind: Kind, rid: str, cascade: bool) -> None:
        """`DELETE /{kind}/{id}[?cascade=true]` (409 when dependents exist without cascade)."""
        ...

    async def list_collections(self) -> list[Collection]:
        """Built-in and custom collections (`GET /collections`)."""
        ...

    async def get_collection(self, cid: str) -> Collection:
        """One collection; raises NotFound."""
        ...

    async def add_to_collection(self, cid: str, kind: Kind, ids: list[str]) -> None:
        """Add existing resources to a custom collection by reference (Req 71)."""
        ...

    async def remove_from_collection(self, cid: str, rid: str) -> None:
        """Remove a resource from a custom collection without deleting it (Req 70B)."""
        ...


class StreamStore(Protocol):
    """Datastreams and control streams, and the observations of datastreams (Part 2)."""

    async def list_streams(self, query: StreamQuery) -> Page[Stream]:
        """`/datastreams`, `/controlstreams` and their nested lists."""
        ...

    async def get_stream(self, kind: Kind, sid: str) -> Stream:
        """`GET /datastreams/{id}` or `/controlstreams/{id}`: one stream of `kind`; raises NotFound."""
        ...

    async def create_stream(self, stream: Stream, result_kind: str | None = None) -> Stream:
        """`POST /systems/{id}/datastreams|controlstreams` (result_kind: how datastream results are kept)."""
        ...

    async def replace_stream(self, stream: Stream, result_kind: str | None = None) -> None:
        """`PUT`/`PATCH` a stream (409 when its schema changes while it has observations/commands)."""
        ...

    async def delete_stream(self, kind: Kind, sid: str, cascade: bool) -> None:
        """`DELETE /datastreams|controlstreams/{id}` (409 with observations/commands unless `cascade`)."""
        ...

    async def stream_features(self, kind: Kind, sid: str, ultimate: bool = False) -> list[str]:
        """Local ids of the sampling features of a stream (its own and its observations'/commands');
        with `ultimate`, the locally hosted features those sample (`/datastreams/{id}/featuresOfInterest`)."""
        ...

    async def datastream_by_key(self, key: int) -> Datastream:
        """The datastream whose integer key an observation row carries."""
        ...

    async def insert_observations(
        self, ds_id: str, rows: Sequence[ObsRow], want_ids: bool, idempotency_key: str | None = None
    ) -> list[str] | int:
        """All-or-nothing batch insert: the new ids (`want_ids`), else the count inserted.

        With an `idempotency_key` already used on the datastream, nothing is inserted and the first answer
        is returned (`POST /datastreams/{id}/observations` retried with the same `Idempotency-Key`).
        """
        ...

    async def observations_by_key(self, ds_id: str, idempotency_key: str) -> list[str] | int | None:
        """The answer given to an earlier observation POST with this key on the datastream, if any."""
        ...

    async def open_observations(self, query: ObservationQuery) -> ObservationPage:
        """`GET …/observations`: one keyset page, streamed row by row while the response is written."""
        ...

    async def datastream_key(self, ds_id: str) -> int:
        """The integer key observation rows carry for datastream `ds_id` (live streams follow it); NotFound."""
        ...

    async def tail_observations(
        self, after: int, gaps: Sequence[tuple[int, int]], limit: int
    ) -> list[StoredObservation]:
        """Live tail (WebSocket streams): committed observations of every datastream whose key is above `after`
        or inside one of the `gaps` (inclusive key ranges seen missing earlier), in key order, at most `limit`."""
        ...

    async def recent_observation_keys(self, window: int) -> list[int]:
        """The keys of the newest `window` observations, ascending (where a live tail starts, gaps included)."""
        ...

    def on_commit(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` after every transaction this process commits (it must not block); returns the
        function that removes it. Live streams are woken by it instead of waiting for their next poll."""
        ...

    async def get_observation(self, obs_id: str) -> tuple[StoredObservation, str]:
        """`GET /observations/{id}`: the stored observation and the id of its datastream; raises NotFound."""
        ...

    async def replace_observation(self, obs_id: str, row: ObsRow) -> None:
        """`PUT`/`PATCH /observations/{id}`; the datastream's time extents are recomputed."""
        ...

    async def delete_observation(self, obs_id: str) -> None:
        """`DELETE /observations/{id}`; the datastream's time extents are recomputed."""
        ...


class CommandStore(Protocol):
    """Commands, their status reports and results (Part 2 commands, feasibility, forwarding)."""

    async def create_command(
        self, cmd: Command, first: CommandStatus | None, idempotency_key: str | None = None
    ) -> tuple[Command, bool]:
        """Store a command and its first report; a reused idempotency key returns the stored one (created=False)."""
        ...

    async def tail_commands(self, after: int, gaps: Sequence[tuple[int, int]], limit: int) -> list[KeyedCommand]:
        """Live tail (WebSocket streams): committed commands and feasibility requests keyed above `after` or
        inside one of the `gaps`, in key order, at most `limit`."""
        ...

    async def recent_command_keys(self, window: int) -> list[int]:
        """The keys of the newest `window` commands, ascending (where a live tail starts)."""
        ...

    async def tail_status(self, after: int, gaps: Sequence[tuple[int, int]], limit: int) -> list[KeyedStatus]:
        """Live tail (WebSocket streams): committed status reports keyed above `after` or inside `gaps`, in key
        order, each with the control stream of its command."""
        ...

    async def recent_status_keys(self, window: int) -> list[int]:
        """The keys of the newest `window` status reports, ascending (where a live tail starts)."""
        ...

    async def command_by_key(self, cs_id: str, idempotency_key: str) -> Command | None:
        """The command created on a control stream with this idempotency key, if any."""
        ...

    async def get_command(self, cmd_id: str, feasibility: bool | None = None) -> Command:
        """`GET /commands/{id}` (`feasibility=False`) or `/feasibility/{id}` (True; None: either); raises NotFound."""
        ...

    async def list_commands(self, query: CommandQuery) -> Page[Command]:
        """`GET /commands`, `/controlstreams/{id}/commands` and the feasibility lists, keyset-paged."""
        ...

    async def replace_command(self, cmd: Command) -> None:
        """`PUT`/`PATCH /commands/{id}`: new parameters of an unfinished command (409 once it is final)."""
        ...

    async def delete_command(self, cmd_id: str) -> None:
        """`DELETE /commands/{id}` with its status reports and results."""
        ...

    async def add_status(self, status: CommandStatus, enforce: bool = True) -> CommandStatus:
        """Append a report (lifecycle checked unless `enforce` is False); currentStatus follows it."""
        ...

    async def list_status(self, query: StatusQuery) -> Page[CommandStatus]:
        """`GET /commands/{id}/status`: the status reports of a command, filtered by status code and reportTime."""
        ...

    async def get_status(self, cmd_id: str, status_id: str) -> CommandStatus:
        """`GET /commands/{id}/status/{sid}`: one status report; raises NotFound."""
        ...

    async def add_result(self, result: CommandResult) -> CommandResult:
        """`POST /commands/{id}/result`: attach a result (inline data or one link) to an existing command."""
        ...

    async def list_results(self, cmd_id: str, limit: int, token: str | None) -> Page[CommandResult]:
        """`GET /commands/{id}/result`: the results of a command, oldest first."""
        ...

    async def get_result(self, cmd_id: str, result_id: str) -> CommandResult:
        """`GET /commands/{id}/result/{rid}`: one result of the command; raises NotFound."""
        ...

    async def replace_status(self, status: CommandStatus) -> None:
        """`PUT /commands/{id}/status/{sid}`: the report chain must stay a legal lifecycle (409)."""
        ...

    async def delete_status(self, cmd_id: str, status_id: str) -> None:
        """`DELETE /commands/{id}/status/{sid}` (409 for the only report); currentStatus follows the latest."""
        ...

    async def replace_result(self, result: CommandResult) -> None:
        """`PUT`/`PATCH /commands/{id}/result/{rid}`."""
        ...

    async def delete_result(self, cmd_id: str, result_id: str) -> None:
        """`DELETE /commands/{id}/result/{rid}`."""
        ...

    async def unfinished_commands(self, source: str | None = None) -> list[Command]:
        """Commands not yet final whose legacy task is known (status polling)."""
        ...

    async def set_command_provenance(self, cmd_id: str, prov: Provenance) -> None:
        """Record the legacy task a forwarder created for a command (source, task id), for status polling."""
        ...


class EventStore(Protocol):
    """System events and the history of system descriptions."""

    async def create_event(self, event: SystemEvent) -> SystemEvent:
        """`POST /systems/{id}/events`: store a system event (404 for an unknown system)."""
        ...

    async def list_events(self, query: EventQuery) -> Page[SystemEvent]:
        """`GET /systemEvents`, `/systems/{id}/events`: events filtered by system, type, keywords and time."""
        ...

    async def get_event(self, event_id: str, system_id: str | None = None) -> SystemEvent:
        """`GET /systemEvents/{id}` (or `/systems/{sid}/events/{id}` when `system_id` is given); raises NotFound."""
        ...

    async def replace_event(self, event: SystemEvent) -> None:
        """`PUT`/`PATCH /systemEvents/{id}`."""
        ...

    async def delete_event(self, event_id: str) -> None:
        """`DELETE /systemEvents/{id}`."""
        ...

    async def list_history(self, system_id: str, flt: TimeFilter | None, limit: int, token: str | None) -> Page[Any]:
        """Past descriptions of a system (each a Revision)."""
        ...

    async def get_revision(self, system_id: str, rev_id: str) -> Any:
        """`GET /systems/{id}/history/{revId}`: one past description (a Revision); raises NotFound."""
        ...

    async def delete_revision(self, system_id: str, rev_id: str) -> None:
        """`DELETE /systems/{id}/history/{revId}`."""
        ...


class HarvestSink(Protocol):
    """What a harvest run writes: one mapped batch per transaction with its cursors, and run records."""

    async def harvest_cursors(self, source: str) -> dict[str, int]:
        """The committed cursor of every stream of a source (stream key → µs)."""
        ...

    async def start_run(self, source: str) -> str:
        """Record a new run of a source (runs of it still marked running were interrupted); its id."""
        ...

    async def write_batch(self, source: str, run_id: str, batch: MappedBatch) -> WriteStats:
        """Store one mapped batch atomically: upserts, observations (duplicates dropped) and cursors."""
        ...

    async def reconcile(self, source: str, seen: dict[str, set[str]], policy: str) -> dict[str, int]:
        """End or delete the resources of a source whose legacy entity is gone (`deletions` policy)."""
        ...

    async def finish_run(self, run_id: str, status: str, report: dict[str, Any]) -> None:
        """Close a run record with its status and report."""
        ...

    async def list_runs(self, source: str | None = None, limit: int = 20) -> list[RunRecord]:
        """Recorded runs, newest first."""
        ...


class AuditStore(Protocol):
    """The audit log of access control: commands, deletes and admin actions with their principal and outcome."""

    async def record_audit(self, entry: AuditEntry) -> None:
        """Append an entry (the access middleware, after the answer)."""
        ...

    async def list_audit(self, query: AuditQuery) -> Page[AuditEntry]:
        """`GET /audit`, `csapi-bridge audit`: entries newest first, keyset-paged."""
        ...


class StreamFeatureStore(FeatureStore, StreamStore, Protocol):
    """Streams and observations with the Part 1 resources they refer to (systems, sampling features)."""


class FeatureHistoryStore(FeatureStore, EventStore, Protocol):
    """Part 1 resources with the events and past descriptions of systems."""


class TaskingStore(CommandStore, StreamStore, Protocol):
    """Commands with the control streams they are posted to."""


class Store(FeatureStore, StreamStore, CommandStore, EventStore, HarvestSink, AuditStore, Protocol):
    """Every slice together: what a backend implements."""

    async def close(self) -> None:
        """Release connections."""
        ...

    # Part 2 ------------------------------------------------------------------------------------------
