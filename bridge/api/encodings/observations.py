"""Observations: stored rows ↔ JSON (`observation.json`) and SWE Common records, streamed.

The datastream's schema decides how a result is stored (`num`/`int`/`bool` in the numeric column,
`text`/`json` in the text column) and how it is encoded; one `ObservationCodec` is built per
datastream and request, and its per-row functions are the hot path of every observation read.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import orjson

from bridge import swe
from bridge.api.bodies import parse_json
from bridge.errors import InvalidBody
from bridge.model.csapi import Datastream
from bridge.model.observations import NAN_MARK, ObsRow, StoredObservation
from bridge.model.stream_schema import JSON, StreamSchema
from bridge.model.time import iso_to_us, iso_us
from bridge.settings import Limits
from bridge.swe.text_scalars import number_text

# rows per streamed chunk: about a millisecond of encoding each, so pages served together take short turns
CSV_CHUNK = 1000
JSON_CHUNK = 250
RowBatches = AsyncIterator[Sequence[StoredObservation]]
EXACT_INTEGER = 2.0**53  # counts are kept in a double column: integers beyond this lose digits
SPECIAL = {"NaN": math.nan, "+Infinity": math.inf, "-Infinity": -math.inf, "Infinity": math.inf}


def _number_out(value: float) -> Any:
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "+Infinity" if value > 0 else "-Infinity"
    return value


class ObservationCodec:
    """Per-datastream conversions between rows, JSON observations and SWE records."""

    def __init__(self, ds: Datastream, schema: StreamSchema) -> None:
        self.ds_id = ds.id
        self.schema = schema
        self.kind = schema.result_kind
        self.time_field = schema.time_field
        self.foi_field = schema.foi_field
        self.fields = schema.result_fields
        self.single = len(self.fields) == 1
        self._time_label = "record {}." + self.time_field.replace("{", "{{").replace("}", "}}")
        result = schema.result.to_json()
        self._unconstrained_number = (
            self.single
            and result.get("type") == "Quantity"
            and "constraint" not in result
            and "nilValues" not in result
        )

    # rows → values ---------------------------------------------------------------------------------
    def result(self, row: StoredObservation) -> Any:
        """The result in SWE Common JSON form."""
        kind = self.kind
        if kind == "num":
            if row.num is None:
                return "NaN" if row.txt == NAN_MARK else None
            return _number_out(row.num)
        if kind == "int":
            return None if row.num is None else int(row.num)
        if kind == "bool":
            return None if row.num is None else bool(row.num)
        if kind == "text":
            return row.txt
        return orjson.loads(row.txt) if row.txt is not None else None

    def to_json(self, row: StoredObservation) -> dict[str, Any]:
        """One observation as `observation.json`."""
        pk, _, phenomenon, result_time, foi, num, _, extra_text = row
        phenomenon_text = iso_us(phenomenon)
        result_text = phenomenon_text if result_time == phenomenon else iso_us(result_time)
        if not foi and not extra_text and num.__class__ is float and num - num == 0.0 and self.kind == "num":
            return {  # the common row: a finite number, no sampling feature, no extra members
                "id": str(pk),
                "datastream@id": self.ds_id,
                "phenomenonTime": phenomenon_text,
                "resultTime": result_text,
                "result": num,
            }
        out: dict[str, Any] = {"id": str(pk), "datastream@id": self.ds_id}
        if foi:
            out["samplingFeature@id"] = foi
        out["phenomenonTime"] = phenomenon_text
        out["resultTime"] = result_text
        extra = orjson.loads(extra_text) if extra_text else None
        if extra and "result@link" in extra:
            out["result@link"] = extra["result@link"]
        else:
            out["result"] = self.result(row)
        if extra:
            out.update({k: v for k, v in extra.items() if k != "result@link"})
        return out

    def to_record(self, row: StoredObservation) -> dict[str, Any]:
        """One observation as a SWE record (time field, optional FOI field, result fields)."""
        record: dict[str, Any] = {self.time_field: iso_us(row.phenomenon_time)}
        if self.foi_field:
            record[self.foi_field] = row.foi or ""
        value = self.result(row)
        if self.single:
            record[self.fields[0]] = value
        else:
            record.update(value or {})
        return record

    # values → rows ---------------------------------------------------------------------------------
    def columns(self, value: Any, what: str, index: int) -> tuple[float | None, str | None]:
        """Store form (num, txt) of a result value, validated against the result schema.

        `what` and `index` name the value in an error (`observation 3.result`); the text is built only then.
        """
        if not (self._unconstrained_number and value.__class__ in (float, int)):  # finite numbers: nothing to check
            try:
                swe.validate_value(self.schema.result, value)
            except swe.SweValueError as exc:
                raise InvalidBody(f"{what.format(index)}: {exc}") from None
        kind = self.kind
        if value is None:
            return None, None
        if kind in ("num", "int"):
            number = SPECIAL[value] if isinstance(value, str) else float(value)
            if number != number:  # SQLite stores a NaN REAL as NULL: keep NaN as a text mark instead
                return None, NAN_MARK
            if kind == "int" and not -EXACT_INTEGER <= number <= EXACT_INTEGER:
                where = what.format(index)
                raise InvalidBody(f"{where}: {value!r} is beyond ±2^53, the Count values the store keeps exactly")
            return number, None
        if kind == "bool":
            return float(bool(value)), None
        if kind == "text":
            return None, str(value)
        return None, orjson.dumps(value).decode()

    def from_json(self, obs: Any, index: int) -> ObsRow:
        """A row from one JSON observation of a POST body."""
        where = f"observation {index}"
        if not isinstance(obs, dict):
            raise InvalidBody(f"{where}: an observation is a JSON object")
        result_time = _time(obs.get("resultTime") or obs.get("phenomenonTime"), "observation {}.resultTime", index)
        phenomenon = (
            _time(obs.get("phenomenonTime"), "observation {}.phenomenonTime", index)
            if obs.get("phenomenonTime")
            else result_time
        )
        foi = obs.get("samplingFeature@id", obs.get("foi@id"))
        if foi is not None and (not isinstance(foi, str) or not foi):
            raise InvalidBody(f"{where}.samplingFeature@id must be a local id string")
        extra: dict[str, Any] = {}
        if "result@link" in obs:
            extra["result@link"] = obs["result@link"]
            num, txt = None, None
        elif "result" in obs:
            num, txt = self.columns(obs["result"], "observation {}.result", index)
        else:
            raise InvalidBody(f"{where}: 'result' (or 'result@link') is required")
        for key in ("parameters", "resultQuality"):
            if key in obs:
                extra[key] = obs[key]
        return ObsRow(phenomenon, result_time, foi, num, txt, orjson.dumps(extra).decode() if extra else None, None)

    def from_record(self, record: Any, index: int) -> ObsRow:
        """A row from one decoded SWE record."""
        if not isinstance(record, dict):
            raise InvalidBody(f"record {index}: expected a record")
        when = _time(record.get(self.time_field), self._time_label, index)
        foi = record.get(self.foi_field) if self.foi_field else None
        value = record.get(self.fields[0]) if self.single else {f: record.get(f) for f in self.fields}
        num, txt = self.columns(value, "record {}.result", index)
        return ObsRow(when, when, foi or None, num, txt, None, None)

    def decode_body(self, media_type: str, body: bytes, limits: Limits) -> list[ObsRow]:
        """Rows from a POST body in JSON or a SWE format (400 on the first bad observation, nothing kept)."""
        if media_type == JSON:
            data = parse_json(body, limits)
            items = data if isinstance(data, list) else [data]
            return [self.from_json(obs, i) for i, obs in enumerate(items)]
        codec = self.schema.codec(media_type)
        try:
            records = codec.decode(body)
        except swe.SweDecodeError as exc:
            raise InvalidBody(f"invalid {media_type} body: {exc}") from None
        return [self.from_record(rec, i) for i, rec in enumerate(records)]

    # streaming ---------------------------------------------------------------------------------------
    def _csv_line_writer(self, media_type: str) -> Callable[[StoredObservation], str] | None:
        """A direct row → CSV line writer for the common `time,number` layout (same text as the codec)."""
        plain = self.schema.source_encoding is None or self.schema.source_format != media_type
        if media_type not in (swe.SWE_CSV, swe.SWE_TEXT) or not plain or self.foi_field or not self.single:
            return None
        if self.kind not in ("num", "int"):
            return None
        result, number, fast = self.result, number_text, self.kind == "num"

        def line(row: StoredObservation) -> str:
            num = row[5]  # StoredObservation.num
            if fast and num.__class__ is float and num - num == 0.0:  # a finite number: its shortest repr
                return iso_us(row[2]) + "," + repr(num) + "\n"
            value = result(row)
            return iso_us(row[2]) + "," + ("" if value is None else number(value)) + "\n"

        return line

    async def stream_swe(self, rows: RowBatches, media_type: str) -> AsyncIterator[bytes]:
        """The SWE body of the rows, encoded by the schema's codec in chunks."""
        line = self._csv_line_writer(media_type)
        if line is not None:
            async for batch in rows:
                for start in range(0, len(batch), CSV_CHUNK):
                    yield "".join(map(line, batch[start : start + CSV_CHUNK])).encode()
            return
        codec = self.schema.codec(media_type)
        if media_type == swe.SWE_JSON:
            yield b"["
            first = True
            async for records in self._records(rows):
                body = b"".join(codec.encode(records))
                inner = body.strip()[1:-1]
                if inner:
                    yield (b"" if first else b",") + inner
                    first = False
            yield b"]"
            return
        async for records in self._records(rows):
            for part in codec.encode(records):
                yield part

    async def _records(self, rows: RowBatches) -> AsyncIterator[list[dict[str, Any]]]:
        async for batch in rows:
            if batch:
                yield list(map(self.to_record, batch))


def _time(value: Any, what: str, index: int) -> int:
    """Microseconds of a time member; `what.format(index)` names it in an error."""
    if not isinstance(value, str):
        raise InvalidBody(f"{what.format(index)} is required (an RFC 3339 date-time)")
    try:
        return iso_to_us(value)
    except (ValueError, OverflowError) as exc:
        raise InvalidBody(f"{what.format(index)}: {exc}") from None


CodecLookup = Callable[[int], Awaitable[ObservationCodec]]


async def stream_json(rows: RowBatches, links: list[dict[str, str]], codec_for: CodecLookup) -> AsyncIterator[bytes]:
    """`{"items":[…],"links":[…]}` written as rows arrive; each row is encoded by its datastream's codec."""
    yield b'{"items":['
    first = True
    codecs: dict[int, ObservationCodec] = {}
    async for rows_batch in rows:
        for row in rows_batch:
            if row.ds not in codecs:
                codecs[row.ds] = await codec_for(row.ds)
        for start in range(0, len(rows_batch), JSON_CHUNK):
            items = [codecs[row[1]].to_json(row) for row in rows_batch[start : start + JSON_CHUNK]]  # row[1]: ds
            yield (b"" if first else b",") + orjson.dumps(items)[1:-1]  # the items, comma-separated
            first = False
    yield b'],"links":' + orjson.dumps(links) + b"}"
