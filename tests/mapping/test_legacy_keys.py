"""Legacy keys of stored observation rows, pinned: rows are recognised on re-harvest by them, so they never drift."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bridge.mapping.sos2_rows import compact_mapper, observation_mapper
from bridge.mapping.sta import observation_mapper as sta_observation_mapper
from bridge.mapping.transforms import stable_key
from bridge.model.legacy.sos2 import Observation, TimeExtent
from bridge.model.legacy.sta import Observation as StaObservation
from bridge.model.legacy.sta import TimeExtent as StaTimeExtent
from bridge.model.stream_schema import cached_schema

START, END = datetime(2014, 7, 1, tzinfo=UTC), datetime(2014, 7, 1, 1, tzinfo=UTC)
START_US, END_US = 1_404_172_800_000_000, 1_404_176_400_000_000
SCHEMA = b'{"obsFormat":"application/json","resultSchema":{"type":"Quantity","name":"t","uom":{"code":"m"}}}'


def test_sta_observation_key_is_pinned() -> None:
    obs = StaObservation(id="42", self_link=None, phenomenon_time=StaTimeExtent(START), result=1.5)
    row = sta_observation_mapper("rec", cached_schema(SCHEMA))(obs)
    assert row[-1] == -9188415705029012295 == stable_key("rec/Observation/42")


def _sos(foi: str | None, end: datetime) -> Observation:
    return Observation(gml_id="o_1", declared_type=None, detected_type="x", procedure="urn:p",
                       observed_property="urn:q", phenomenon_time=TimeExtent(START, end), result_time=end,
                       result=1.5, foi=foi)  # fmt: skip


@pytest.mark.parametrize(
    ("foi", "end", "end_us", "seq", "key"),
    [
        ("urn:f", START, START_US, 0, -6778109544899552840),
        ("urn:f", START, START_US, 2, -7923585603593498823),
        (None, END, END_US, 1, 877222910995857560),
    ],
)
def test_sos_observation_keys_are_pinned_and_equal_on_both_record_forms(
    foi: str | None, end: datetime, end_us: int, seq: int, key: int
) -> None:
    decoded = observation_mapper("src", "num")((_sos(foi, end), seq))
    compact = compact_mapper("src", "num", "urn:p", "urn:q")((START_US, end_us, end_us, foi, 1.5, seq, None))
    assert decoded[-1] == compact[-1] == key
    assert decoded == compact
