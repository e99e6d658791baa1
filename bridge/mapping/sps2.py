"""SPS 2.0-specific transforms (names, UIDs, command schemas, task parameters) and batch rules.

A task's status history becomes CSAPI status reports through `bridge.mapping.sps2_status`; a task
also moves a cursor (`SpsTask/<task id>` → the time of its latest report), which is how later runs
know which tasks to refresh: SPS 2.0 has no operation that lists tasks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from bridge.mapping.batch import BatchMapper
from bridge.mapping.engine import Mapper
from bridge.mapping.sps2_status import command_statuses, result_links
from bridge.mapping.sps2_status_table import StatusTable
from bridge.mapping.transforms import stable_id, transform, uri_segment
from bridge.model.csapi import Command, CommandResult, CommandStatus, Datastream, Link, TimeExtent
from bridge.model.harvest import LegacyObservations, MappedBatch, StreamRows, Unit
from bridge.model.legacy.sps2 import (
    DEFAULT_TEXT_ENCODING,
    TASK_CURSOR,
    ResultAccess,
    Task,
    TaskingDescription,
    updatable_subset,
)
from bridge.model.observations import ObsRow

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


@transform("sps_procedure_uid")
def _procedure_uid(value: Any, ctx: Mapping[str, Any]) -> str:
    """The procedure identifier when it is a URI (the System's UID everywhere), else a per-source URN."""
    text = str(value).strip()
    return text if _URI.match(text) else f"urn:x-sps:{uri_segment(ctx['source'])}:procedure:{uri_segment(text)}"


@transform("offering_name")
def _offering_name(offering: Any, ctx: Mapping[str, Any]) -> str:
    name = (getattr(offering, "name", None) or "").strip()
    return name or str(getattr(offering, "procedure", "SPS procedure"))


@transform("tasking_name")
def _tasking_name(offering: Any, ctx: Mapping[str, Any]) -> str:
    return f"Tasking of {_offering_name(offering, ctx)}"


@transform("reservation_name")
def _reservation_name(offering: Any, ctx: Mapping[str, Any]) -> str:
    return f"Reservations of {_offering_name(offering, ctx)}"


@transform("confirmation_name")
def _confirmation_name(offering: Any, ctx: Mapping[str, Any]) -> str:
    return f"Reservation confirmations of {_offering_name(offering, ctx)}"


# The control streams of one taskable procedure, and how they refer to each other.
LINKED_STREAMS = {
    "SpsTasking": "tasking (SPS Submit)",
    "SpsReservation": "reservations (SPS Reserve)",
    "SpsConfirmation": "confirmations of reservations (SPS Confirm)",
}


def linked_stream_id(source: str, entity: str, procedure: str) -> str:
    """Local id of one of a procedure's control streams (same template as in `entities.yaml`)."""
    return stable_id(f"{source}/{entity}/{procedure}")


@transform("sps_reservation_links")
def _reservation_links(procedure: Any, ctx: Mapping[str, Any]) -> list[Link] | None:
    """`related` links from one of a procedure's tasking, reservations and confirmations streams (the entity
    named by the transform's argument) to the two others; API-relative hrefs, resolved when served."""
    if not ctx["ns"]["caps"].offers_reservations:
        return None
    return [
        Link(
            href=f"/controlstreams/{linked_stream_id(ctx['source'], entity, str(procedure))}",
            rel="related",
            type="application/json",
            title=f"Control stream for {title}",
        )
        for entity, title in LINKED_STREAMS.items()
        if entity != ctx["arg"]
    ]


@transform("sps_command_schema")
def _command_schema(description: TaskingDescription, ctx: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeTasking DataRecord (constraints, allowed values, optional/updatable flags kept) → JSON schema."""
    params = dict(description.parameters)
    params.setdefault("name", description.name or "parameters")
    return {"commandFormat": "application/json", "parametersSchema": params}


@transform("sps_controlled_properties")
def _controlled_properties(description: TaskingDescription, ctx: Mapping[str, Any]) -> list[dict[str, str]]:
    """Definitions of the top-level tasking parameters (nil/unknown definitions skipped)."""
    ignored = ctx["lookups"].get("ignored_definitions", {})
    out: list[dict[str, str]] = []
    for field in description.parameters.get("fields", []):
        definition = field.get("definition")
        if isinstance(definition, str) and _URI.match(definition) and not ignored.get(definition):
            prop = {"definition": definition}
            if field.get("label"):
                prop["label"] = str(field["label"])
            out.append(prop)
    return out


@transform("task_issue_time")
def _task_issue_time(task: Task, ctx: Mapping[str, Any]) -> Any:
    """The submission time: the first report of the history."""
    return min((r.update_time for r in task.history), default=None)


def description_from_schema(
    schema: Mapping[str, Any], procedure: str, encoding: Mapping[str, Any] | None = None
) -> TaskingDescription | None:
    """A TaskingDescription rebuilt from a control stream's stored JSON command schema (None if not one)."""
    params = schema.get("parametersSchema")
    if not isinstance(params, dict):
        return None
    return TaskingDescription(
        procedure=procedure,
        name=str(params.get("name") or "parameters"),
        parameters=params,
        encoding={**DEFAULT_TEXT_ENCODING, **dict(encoding or {})},
        updatable_parameters=updatable_subset(params),
    )


class SpsRules:
    """SPS parts of batch mapping (see `bridge.mapping.batch.ProtocolRules`)."""

    def __init__(self, source: str, table: StatusTable | None = None) -> None:
        self.source = source
        self.table = table

    def row_mapper(self, page: LegacyObservations, stream: Datastream) -> Callable[[Any], ObsRow]:
        """Never called: an SPS source yields tasks and their status, no observations (TypeError)."""
        raise TypeError("an SPS source has no observations")

    def command_history(self, unit: Unit, command: Command) -> list[CommandStatus]:
        """The task's whole status history (GetTask); currentStatus and executionTime follow it."""
        task: Task = unit.ns["task"]
        history = command_statuses(self.source, task.task_id, task.history, self.table)
        for status in history:
            status.command_id = command.id
        if history:
            command.current_status = history[-1].status_code
            timed = [s.execution_time for s in history if s.execution_time is not None and s.execution_time.start]
            if timed:
                command.execution_time = TimeExtent(timed[0].start, timed[-1].end)
        return history

    def command_results(self, unit: Unit, command: Command) -> list[CommandResult]:
        """Where the task's data can be fetched (DescribeResultAccess, read by the harvester once the task
        published data or completed): `external@link` results, as the forwarder records them."""
        access: ResultAccess | None = unit.ns.get("access")
        if access is None:
            return []
        results = result_links(self.source, unit.ns["task"].task_id, access)
        for result in results:
            result.command_id = command.id
        return results


class SpsBatchMapper(BatchMapper):
    """Batch mapping for SPS sources: task pages carry no observations, only their task cursor."""

    def _map_page(self, page: LegacyObservations, out: MappedBatch) -> None:
        if page.stream_key.startswith(TASK_CURSOR):
            out.observations.append(StreamRows("", [], page.stream_key, page.cursor))
            return
        super()._map_page(page, out)


def sps_batch_mapper(mapper: Mapper, source: str, table: StatusTable | None = None) -> SpsBatchMapper:
    """The batch mapper of one SPS source."""
    return SpsBatchMapper(mapper, SpsRules(source, table))
