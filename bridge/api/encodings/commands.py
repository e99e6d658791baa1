"""JSON encoding of commands, status reports and results (`command.json`, `commandStatus.json`,
`commandResult.json`), and command ↔ SWE record conversion for the SWE command formats."""

from __future__ import annotations

from typing import Any

from bridge import swe
from bridge.api.encodings.common import decode_period, drop_none, encode_period
from bridge.api.links import LinkContext, link
from bridge.api.media import JSON
from bridge.errors import InvalidBody
from bridge.model.csapi import Command, CommandResult, CommandStatus, ControlStream, JsonDict, StatusCode
from bridge.model.stream_schema import StreamSchema
from bridge.model.time import format_datetime, parse_datetime

RESULT_LINKS = ("observation@link", "observationSet@link", "datastream@link", "external@link")


def encode_command(cmd: Command, ctx: LinkContext, canonical_view: bool) -> JsonDict:
    """`command.json` of a command (or feasibility request) with self/canonical, status, result and stream links."""
    base = "feasibility" if cmd.feasibility else "commands"
    href = ctx.href(f"/{base}/{cmd.id}")
    body: JsonDict = {"id": cmd.id, "controlstream@id": cmd.controlstream_id}
    if cmd.sampling_feature_id:
        body["samplingFeature@id"] = cmd.sampling_feature_id
    if cmd.procedure:
        body["procedure@link"] = cmd.procedure.to_json()
    body["issueTime"] = format_datetime(cmd.issue_time) if cmd.issue_time else None
    body.update(drop_none({"executionTime": encode_period(cmd.execution_time), "sender": cmd.sender}))
    body["currentStatus"] = cmd.current_status.value
    body["parameters"] = cmd.parameters
    body["links"] = [
        link(href, "self" if canonical_view else "canonical", JSON, "this command"),
        link(f"{href}/status", "status", JSON, "status reports"),
        link(f"{href}/result", "result", JSON, "results"),
        link(ctx.href(f"/controlstreams/{cmd.controlstream_id}"), "controlstream", JSON, "control stream"),
    ]
    return body


def decode_command(body: Any, stream: ControlStream, schema: StreamSchema, index: int = 0) -> Command:
    """A new command from a JSON body; parameters are validated against the stream's schema (400 naming them)."""
    where = f"command {index}" if index else "$"
    if not isinstance(body, dict):
        raise InvalidBody(f"{where}: a command is a JSON object with 'parameters'")
    if "parameters" not in body:
        raise InvalidBody(f"{where}.parameters is required")
    params = body["parameters"]
    try:
        swe.validate_value(schema.result, params)
    except swe.SweValueError as exc:
        raise InvalidBody(f"{where}.parameters: {exc}") from None
    foi = body.get("samplingFeature@id")
    if foi is not None and (not isinstance(foi, str) or not foi):
        raise InvalidBody(f"{where}.samplingFeature@id must be a local id")
    return Command(controlstream_id=stream.id, parameters=params, sampling_feature_id=foi)


def command_from_record(record: Any, schema: StreamSchema, stream: ControlStream, index: int) -> Command:
    """A new command from one decoded SWE record (its issue-time field is ignored: the server sets it)."""
    if not isinstance(record, dict):
        raise InvalidBody(f"record {index}: expected a record")
    fields = schema.result_fields
    params = record.get(fields[0]) if len(fields) == 1 else {f: record.get(f) for f in fields}
    return decode_command({"parameters": params}, stream, schema, index)


def command_to_record(cmd: Command, schema: StreamSchema) -> dict[str, Any]:
    """One SWE record of a command for the SWE command formats: issue time, sampling feature, parameters."""
    record: dict[str, Any] = {schema.time_field: format_datetime(cmd.issue_time) if cmd.issue_time else None}
    if schema.foi_field:
        record[schema.foi_field] = cmd.sampling_feature_id or ""
    if len(schema.result_fields) == 1:
        record[schema.result_fields[0]] = cmd.parameters
    else:
        record.update(cmd.parameters or {})
    return record


def encode_status(status: CommandStatus, ctx: LinkContext, base: str = "commands") -> JsonDict:
    """`commandStatus.json` of a status report, with its self link under `/{base}/{id}/status/{sid}`."""
    body: JsonDict = {
        "id": status.id,
        "command@id": status.command_id,
        "reportTime": format_datetime(status.report_time) if status.report_time else None,
        "statusCode": status.status_code.value,
    }
    body.update(
        drop_none(
            {
                "percentCompletion": status.percent_completion,
                "executionTime": encode_period(status.execution_time),
                "message": status.message,
            }
        )
    )
    if status.results:
        body["results"] = status.results
    body["links"] = [link(ctx.href(f"/{base}/{status.command_id}/status/{status.id}"), "self", JSON)]
    return body


def decode_status(body: Any, command_id: str) -> CommandStatus:
    """A status report from a POST body (`results` per the schema; `result` accepted, checklist §14)."""
    if not isinstance(body, dict):
        raise InvalidBody("a status report is a JSON object with 'statusCode'")
    code = body.get("statusCode", body.get("status"))
    try:
        status_code = StatusCode(str(code).upper())
    except ValueError:
        allowed = ", ".join(s.value for s in StatusCode)
        raise InvalidBody(f"$.statusCode: {code!r} is not one of {allowed}") from None
    percent = body.get("percentCompletion")
    if percent is not None and (not isinstance(percent, int | float) or not 0 <= percent <= 100):
        raise InvalidBody("$.percentCompletion must be a number between 0 and 100")
    report_time = None
    if body.get("reportTime"):
        try:
            report_time = parse_datetime(str(body["reportTime"]))
        except ValueError as exc:
            raise InvalidBody(f"$.reportTime: {exc}") from None
    results = body.get("results", body.get("result")) or []
    return CommandStatus(
        command_id=command_id,
        report_time=report_time,
        status_code=status_code,
        percent_completion=percent,
        execution_time=decode_period(body.get("executionTime"), "$.executionTime"),
        message=body.get("message"),
        results=results if isinstance(results, list) else [results],
    )


def encode_result(result: CommandResult, ctx: LinkContext, base: str = "commands") -> JsonDict:
    """`commandResult.json` of a result: inline `data` or its one `*@link` (API-relative hrefs made absolute)."""
    body: JsonDict = {"id": result.id, "command@id": result.command_id}
    if result.link_member and result.link is not None:
        href = str(result.link.get("href", ""))  # an href starting with "/" is API-relative
        body[result.link_member] = {**result.link, "href": ctx.href(href)} if href.startswith("/") else result.link
    else:
        body["data"] = result.data
    body["links"] = [link(ctx.href(f"/{base}/{result.command_id}/result/{result.id}"), "self", JSON)]
    return body


def decode_result(body: Any, command_id: str) -> CommandResult:
    """A result: inline `data` (or `inline`, checklist §14) or exactly one `*@link`."""
    if not isinstance(body, dict):
        raise InvalidBody("a command result is a JSON object")
    members = [m for m in RESULT_LINKS if m in body]
    has_data = "data" in body or "inline" in body
    if has_data + len(members) != 1:
        raise InvalidBody(f"a command result has exactly one of data, {', '.join(RESULT_LINKS)}")
    if has_data:
        return CommandResult(command_id=command_id, data=body.get("data", body.get("inline")))
    member = members[0]
    value = body[member]
    if not isinstance(value, dict) or not isinstance(value.get("href"), str):
        raise InvalidBody(f"$['{member}'] must be a link with an 'href'")
    return CommandResult(command_id=command_id, link_member=member, link=value)
