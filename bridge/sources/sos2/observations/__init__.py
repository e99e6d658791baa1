"""Reading SOS observations: GetObservation documents (O&M 2.0, WaterML 2.0) and SWE text blocks (GetResult).

Two ways through a GetObservation response:

- `iter_observations` decodes every member into an `Observation` (`decoder`, lxml, streaming);
- `iter_stream_records` reads one stream's response for the harvester: members of the dominant 52°North shape
  become `CompactRow`s, matched on the raw bytes (`scan`) or on their lxml element (`stream`), and every other
  member is decoded as above and yielded as an `ObservationRecord`.

Text blocks (GetResult values, DataArray results) follow a `RowPlan` (`plan_rows`): `decode_rows` gives typed rows,
`compact_rows` gives `CompactRow`s when the plan allows it (`compact_plan`). `Numbering` gives records their `seq`.
"""

from bridge.sources.sos2.observations.arrays import Row, RowPlan, decode_rows, plan_rows
from bridge.sources.sos2.observations.compact import compact_plan, compact_rows
from bridge.sources.sos2.observations.decoder import iter_observations
from bridge.sources.sos2.observations.numbering import Numbering
from bridge.sources.sos2.observations.stream import iter_stream_records

__all__ = [
    "Numbering",
    "Row",
    "RowPlan",
    "compact_plan",
    "compact_rows",
    "decode_rows",
    "iter_observations",
    "iter_stream_records",
    "plan_rows",
]
