"""WebSocket `/datastreams/{id}/observations` against a real server (uvicorn on loopback) and a real WebSocket
client: live frames in every format, from every writer; ingestion in every format; replay from a past time
followed by live frames with no gap and no repeat while writes race the switch; refused upgrades; bad frames."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bridge.api.live import live_tail
from bridge.model.observations import ObsRow
from bridge.model.time import to_us
from bridge.store.sql.store import SqlStore
from tests.api.live.support import Live, frames, live_bridge, loads, new_datastream, quiet
from tests.api.part2_support import SWE_BINARY, SWE_CSV, SWE_JSON, post_observations, walk

pytestmark = pytest.mark.slow
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def iso(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def observations(first: int, count: int) -> list[dict[str, Any]]:
    return [{"resultTime": iso(i), "result": float(i)} for i in range(first, first + count)]


async def stored(live: Live, ds: str) -> list[dict[str, Any]]:
    return await walk(live.http, f"/datastreams/{ds}/observations", limit=1000)


async def test_live_frames_carry_what_every_writer_commits(store_url: str) -> None:
    """An HTTP POST and a write of another process on the same store (a harvest run, say) both reach the socket;
    each frame is the observation as `GET /observations/{id}` serves it."""
    async with live_bridge(store_url, poll_interval=0.1) as live:
        ds = await new_datastream(live.http)
        other = await SqlStore.open(store_url)
        try:
            async with live.socket(f"/datastreams/{ds}/observations") as ws:
                await post_observations(live.http, ds, observations(0, 3))
                posted = loads(await frames(ws, 3))
                when = to_us(T0 + timedelta(seconds=9))
                row = ObsRow(when, when, None, 9.0, None, None, 7)
                await other.insert_observations(ds, [row], want_ids=False)
                harvested = loads(await frames(ws, 1))
                assert await quiet(ws) == []
        finally:
            await other.close()
        assert [o["result"] for o in posted + harvested] == [0.0, 1.0, 2.0, 9.0]
        for obs in posted + harvested:
            served = (await live.http.get(f"/observations/{obs['id']}")).json()
            served.pop("links")
            assert obs == served


@pytest.mark.parametrize(("param", "media_type"), [("f=swejson", SWE_JSON), ("f=swecsv", SWE_CSV),
                                                  ("obsFormat=application/swe%2Bbinary", SWE_BINARY)])  # fmt: skip
async def test_each_format_round_trips(sqlite_url: str, param: str, media_type: str) -> None:
    """Frames are the records the GET of that format serves; frames sent back in it are stored like a POST of the
    same body and come back live."""
    async with live_bridge(sqlite_url) as live:
        ds = await new_datastream(live.http)
        async with live.socket(f"/datastreams/{ds}/observations?{param}") as ws:
            await post_observations(live.http, ds, observations(0, 4))
            got = await quiet(ws, 1.0)
            served = (await live.http.get(f"/datastreams/{ds}/observations", params={"f": media_type})).content
            if media_type == SWE_JSON:
                assert len(got) == 4 and [json.loads(f) for f in got] == json.loads(served)
            elif media_type == SWE_BINARY:
                assert all(isinstance(f, bytes) for f in got) and b"".join(got) == served
            else:
                assert "".join(got).encode() == served and served.count(b"\n") == 4
            for frame in got:
                await ws.send(frame)  # ingestion in the socket's format
            echoed = await quiet(ws, 1.0)
        assert echoed == got
        rows = await stored(live, ds)
        assert sorted(o["result"] for o in rows) == [0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0]


async def test_json_frames_are_ingested_one_or_many(sqlite_url: str) -> None:
    async with live_bridge(sqlite_url) as live:
        ds = await new_datastream(live.http)
        async with live.socket(f"/datastreams/{ds}/observations") as ws:
            await ws.send(json.dumps(observations(0, 1)[0]))
            await ws.send(json.dumps(observations(1, 2)))
            back = loads(await frames(ws, 3))
        assert [o["result"] for o in back] == [0.0, 1.0, 2.0]
        assert {o["id"] for o in back} == {o["id"] for o in await stored(live, ds)}


@pytest.mark.parametrize("replay_from", [0, 25])
async def test_replay_then_live_has_no_gap_and_no_repeat(store_url: str, replay_from: int) -> None:
    """Connect with `phenomenonTime=<start>/..` while a writer keeps posting: every observation from `start` on
    arrives exactly once, archive first."""
    async with live_bridge(store_url, poll_interval=0.05) as live:
        ds = await new_datastream(live.http)
        await post_observations(live.http, ds, observations(0, 50))

        async def writer() -> None:
            for batch in range(30):
                await post_observations(live.http, ds, observations(100 + batch * 10, 10))
                await asyncio.sleep(0.005)

        writing = asyncio.create_task(writer())
        await asyncio.sleep(0.02)  # the socket opens while the writer is busy
        async with live.socket(f"/datastreams/{ds}/observations?phenomenonTime={iso(replay_from)}/..") as ws:
            await writing
            expected = [o for o in await stored(live, ds) if o["phenomenonTime"] >= iso(replay_from)]
            got = loads(await frames(ws, len(expected), timeout=15))
            assert await quiet(ws) == []
        ids = [o["id"] for o in got]
        assert len(ids) == len(set(ids)) == 50 - replay_from + 300
        assert set(ids) == {o["id"] for o in expected}
        replayed = [o["result"] for o in got[: 50 - replay_from]]
        assert replayed == [float(i) for i in range(replay_from, 50)]  # the archive first, in time order


@pytest.mark.parametrize(
    ("query", "status", "word"),
    [
        ("?limit=5", 400, "limit"),
        ("?f=xml", 400, "'f'"),
        ("?obsFormat=text/html", 400, "obsFormat"),
        ("?phenomenonTime=2024-01-01T00:00:00Z/2024-02-01T00:00:00Z", 400, "phenomenonTime"),
        ("?phenomenonTime=yesterday/..", 400, "phenomenonTime"),
    ],
)
async def test_a_bad_upgrade_is_a_4xx_json_naming_the_problem(
    sqlite_url: str, query: str, status: int, word: str
) -> None:
    async with live_bridge(sqlite_url) as live:
        ds = await new_datastream(live.http)
        cases = ((f"/datastreams/{ds}/observations{query}", status), ("/datastreams/nope/observations", 404))
        for path, expected in cases:
            with pytest.raises(InvalidStatus) as refused:
                async with live.socket(path):
                    pass
            response = refused.value.response
            assert response.status_code == expected
            body = json.loads(response.body or b"{}")
            assert body["code"] and body["description"]
            if expected == 400:
                assert word in body["description"]


@pytest.mark.parametrize(
    ("param", "frame", "word"),
    [
        ("", "not json", "not valid JSON"),
        ("", json.dumps({"resultTime": "2024-01-01T00:00:00Z"}), "result"),
        ("", json.dumps([{"resultTime": "2024-01-01T00:00:00Z", "result": 1}, {"result": 2}]), "observation 1"),
        ("", json.dumps({"resultTime": "2024-01-01T00:00:00Z", "result": "warm"}), "observation 0.result"),
        ("?f=swecsv", "2024-01-01T00:00:00Z,abc\n", "record"),
        ("", "   ", "empty"),
    ],
)
async def test_a_bad_frame_closes_1007_and_stores_nothing(sqlite_url: str, param: str, frame: str, word: str) -> None:
    async with live_bridge(sqlite_url) as live:
        ds = await new_datastream(live.http)
        async with live.socket(f"/datastreams/{ds}/observations{param}") as ws:
            await ws.send(frame)
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1007
        assert word in closed.value.rcvd.reason
        assert await stored(live, ds) == []


async def test_a_frame_over_the_size_limit_closes_1009(sqlite_url: str) -> None:
    async with live_bridge(sqlite_url) as live:
        live.app.state.settings.limits.json_bytes = 2048
        ds = await new_datastream(live.http)
        async with live.socket(f"/datastreams/{ds}/observations") as ws:
            await ws.send(json.dumps(observations(0, 100)))
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
        assert "json_bytes" in closed.value.rcvd.reason
        assert await stored(live, ds) == []


async def test_a_commit_of_this_process_wakes_the_tail_at_once(store_url: str) -> None:
    """With a poll interval of a minute, only the commit hook can bring the frame: it comes once the commit is
    visible (the hook fires when the connection is back in the pool, not at the `commit` event before it)."""
    async with live_bridge(store_url, poll_interval=60) as live:
        ds = await new_datastream(live.http)
        async with live.socket(f"/datastreams/{ds}/observations") as ws:
            await asyncio.sleep(0.2)  # the tail's first wait has begun
            for i in range(5):
                await post_observations(live.http, ds, observations(i, 1))
                assert loads(await frames(ws, 1, timeout=5))[0]["result"] == float(i)


async def test_live_frames_keep_to_the_replay_start(sqlite_url: str) -> None:
    """With `phenomenonTime=<start>/..`, a live observation timed before `start` is not sent (it was asked out)."""
    async with live_bridge(sqlite_url) as live:
        ds = await new_datastream(live.http)
        async with live.socket(f"/datastreams/{ds}/observations?phenomenonTime={iso(25)}/..") as ws:
            await post_observations(live.http, ds, observations(5, 1) + observations(30, 1))
            await post_observations(live.http, ds, observations(6, 1))
            assert [o["result"] for o in loads(await quiet(ws, 1.0))] == [30.0]


async def test_an_idle_tail_restarts_from_the_newest_observation(sqlite_url: str) -> None:
    """Once no socket follows, the tail stops reading; the next socket gets what is written after it connects,
    nothing of what was written in between."""
    async with live_bridge(sqlite_url, poll_interval=0.05) as live:
        ds = await new_datastream(live.http)
        async with live.socket(f"/datastreams/{ds}/observations") as ws:
            await post_observations(live.http, ds, observations(0, 1))
            assert len(await frames(ws, 1)) == 1
        await asyncio.sleep(0.3)
        assert not live_tail(live.app).subscribers and not live_tail(live.app).positioned
        await post_observations(live.http, ds, observations(1, 5))  # while nobody follows
        async with live.socket(f"/datastreams/{ds}/observations") as ws:
            await post_observations(live.http, ds, observations(10, 1))
            assert [o["result"] for o in loads(await quiet(ws, 1.0))] == [10.0]
