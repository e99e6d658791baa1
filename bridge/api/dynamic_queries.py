"""Query dependencies of the Part 2 endpoints (Part 2 checklist §9 table)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from bridge.api.deps import SettingsDep
from bridge.api.params import (
    CursorParam,
    DatetimeParam,
    IdParam,
    LimitParam,
    QParam,
    clamp_limit,
    parse_id_list,
    parse_keywords,
    parse_time,
)
from bridge.errors import InvalidParameter
from bridge.model.csapi import Kind, StatusCode
from bridge.model.query import CommandQuery, EventQuery, ObservationQuery, StatusQuery, StreamQuery
from bridge.settings import Settings

TimeParam = Annotated[str | None, Query()]
PhenomenonParam = Annotated[
    str | None, Query(alias="phenomenonTime", description="Instant or interval ('..' open ends, 'now')")
]
ResultTimeParam = Annotated[
    str | None, Query(alias="resultTime", description="Instant, interval, or 'latest' (newest result time only)")
]
IssueTimeParam = Annotated[str | None, Query(alias="issueTime", description="Instant or interval of issue time")]
ExecTimeParam = Annotated[str | None, Query(alias="executionTime", description="Instant or interval of execution")]
FoiParam = Annotated[str | None, Query(description="Sampling features or domain features of interest")]
SystemParam = Annotated[str | None, Query(description="Systems (ids or UIDs)")]
ObsPropParam = Annotated[str | None, Query(alias="observedProperty", description="Observed properties")]
CtrlPropParam = Annotated[str | None, Query(alias="controlledProperty", description="Controlled properties")]
DatastreamParam = Annotated[str | None, Query(alias="dataStream", description="Datastream ids")]
ControlStreamParam = Annotated[str | None, Query(alias="controlStream", description="Control stream ids")]
StatusCodeParam = Annotated[str | None, Query(alias="statusCode", description="Comma-separated status codes")]
SenderParam = Annotated[str | None, Query(description="Comma-separated senders")]
EventTypeParam = Annotated[str | None, Query(alias="eventType", description="Comma-separated event type URIs")]
ReportTimeParam = Annotated[str | None, Query(alias="reportTime", description="Instant or interval of report time")]


def _limit(settings: Settings, limit: int | None) -> int:
    return clamp_limit(limit or settings.default_limit, settings.max_limit)


def _status_codes(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    codes = tuple(code.upper() for code in raw.split(","))
    valid = {s.value for s in StatusCode}
    for code in codes:
        if code not in valid:
            raise InvalidParameter("statusCode", f"'{code}' is not a status code ({', '.join(sorted(valid))})")
    return codes


def _strings(name: str, raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    items = tuple(raw.split(","))
    if any(not s for s in items):
        raise InvalidParameter(name, "empty value in the list")
    return items


async def datastream_query(
    settings: SettingsDep,
    limit: LimitParam = None,
    cursor: CursorParam = None,
    id: IdParam = None,
    q: QParam = None,
    datetime: DatetimeParam = None,
    phenomenon_time: PhenomenonParam = None,
    result_time: ResultTimeParam = None,
    observed_property: ObsPropParam = None,
    foi: FoiParam = None,
    system: SystemParam = None,
) -> StreamQuery:
    """Parameters of `/datastreams` and the nested datastream lists."""
    return StreamQuery(
        kind=Kind.DATASTREAM,
        limit=_limit(settings, limit),
        token=cursor,
        ids=parse_id_list("id", id),
        q=parse_keywords(q),
        datetime=parse_time("datetime", datetime),
        phenomenon_time=parse_time("phenomenonTime", phenomenon_time),
        result_time=parse_time("resultTime", result_time),
        properties=parse_id_list("observedProperty", observed_property),
        foi=parse_id_list("foi", foi),
        system=parse_id_list("system", system),
    )


async def controlstream_query(
    settings: SettingsDep,
    limit: LimitParam = None,
    cursor: CursorParam = None,
    id: IdParam = None,
    q: QParam = None,
    datetime: DatetimeParam = None,
    issue_time: IssueTimeParam = None,
    execution_time: ExecTimeParam = None,
    controlled_property: CtrlPropParam = None,
    foi: FoiParam = None,
    system: SystemParam = None,
) -> StreamQuery:
    """Parameters of `/controlstreams` and the nested control stream lists."""
    return StreamQuery(
        kind=Kind.CONTROL_STREAM,
        limit=_limit(settings, limit),
        token=cursor,
        ids=parse_id_list("id", id),
        q=parse_keywords(q),
        datetime=parse_time("datetime", datetime),
        issue_time=parse_time("issueTime", issue_time),
        execution_time=parse_time("executionTime", execution_time),
        properties=parse_id_list("controlledProperty", controlled_property),
        foi=parse_id_list("foi", foi),
        system=parse_id_list("system", system),
    )


async def observation_query(
    settings: SettingsDep,
    limit: LimitParam = None,
    cursor: CursorParam = None,
    id: IdParam = None,
    phenomenon_time: PhenomenonParam = None,
    result_time: ResultTimeParam = None,
    foi: FoiParam = None,
    observed_property: ObsPropParam = None,
    datastream: DatastreamParam = None,
    system: SystemParam = None,
) -> ObservationQuery:
    """Parameters of `/observations` and `/datastreams/{id}/observations`."""
    return ObservationQuery(
        limit=_limit(settings, limit),
        token=cursor,
        ids=parse_id_list("id", id),
        phenomenon_time=parse_time("phenomenonTime", phenomenon_time),
        result_time=parse_time("resultTime", result_time, allow_latest=True),
        foi=parse_id_list("foi", foi),
        observed_property=parse_id_list("observedProperty", observed_property),
        datastreams=parse_id_list("dataStream", datastream),
        system=parse_id_list("system", system),
    )


async def command_query(
    settings: SettingsDep,
    limit: LimitParam = None,
    cursor: CursorParam = None,
    id: IdParam = None,
    issue_time: IssueTimeParam = None,
    execution_time: ExecTimeParam = None,
    status_code: StatusCodeParam = None,
    sender: SenderParam = None,
    foi: FoiParam = None,
    controlled_property: CtrlPropParam = None,
    controlstream: ControlStreamParam = None,
    system: SystemParam = None,
) -> CommandQuery:
    """Parameters of `/commands` and `/controlstreams/{id}/commands`."""
    return CommandQuery(
        limit=_limit(settings, limit),
        token=cursor,
        ids=parse_id_list("id", id),
        issue_time=parse_time("issueTime", issue_time),
        execution_time=parse_time("executionTime", execution_time),
        status=_status_codes(status_code),
        sender=_strings("sender", sender),
        foi=parse_id_list("foi", foi),
        controlled_property=parse_id_list("controlledProperty", controlled_property),
        controlstreams=parse_id_list("controlStream", controlstream),
        system=parse_id_list("system", system),
    )


async def status_query(
    settings: SettingsDep,
    limit: LimitParam = None,
    cursor: CursorParam = None,
    status_code: StatusCodeParam = None,
    report_time: ReportTimeParam = None,
    datetime: DatetimeParam = None,
) -> StatusQuery:
    """Parameters of `/commands/{id}/status` (`datetime` applies to reportTime, checklist decision)."""
    return StatusQuery(
        command_id="",
        limit=_limit(settings, limit),
        token=cursor,
        status=_status_codes(status_code),
        report_time=parse_time("reportTime", report_time) or parse_time("datetime", datetime),
    )


async def event_query(
    settings: SettingsDep,
    limit: LimitParam = None,
    cursor: CursorParam = None,
    id: IdParam = None,
    q: QParam = None,
    datetime: DatetimeParam = None,
    event_type: EventTypeParam = None,
    system: SystemParam = None,
) -> EventQuery:
    """Parameters of `/systemEvents` and `/systems/{id}/events` (`datetime` on the event time)."""
    return EventQuery(
        limit=_limit(settings, limit),
        token=cursor,
        ids=parse_id_list("id", id),
        q=parse_keywords(q),
        datetime=parse_time("datetime", datetime),
        event_type=_strings("eventType", event_type),
        system=parse_id_list("system", system),
    )
