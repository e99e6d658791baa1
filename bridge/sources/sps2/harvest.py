"""The SPS 2.0 harvester: taskable procedures and their tasking schemas, then the tasks it knows of.

Yields `Batch`es for the run engine: GetCapabilities → one `SpsProcedure` (System) and one `SpsTasking`
(ControlStream) unit per sensor offering, each with its DescribeTasking description (plus the linked
`SpsReservation`/`SpsConfirmation` control streams when the service offers Reserve/Confirm); then GetTask
(whole status history) for every known task → `SpsTask` units (Commands). SPS 2.0 cannot list tasks,
so the known tasks are those given to the harvester (`task_ids`) plus those harvested by earlier runs
(their `SpsTask/<id>` cursors, moved to the time of each task's latest report). A task that published
data or completed is also asked DescribeResultAccess, so that it gets the results a command forwarded through
the facade gets. A procedure or task that fails is reported and the harvest goes on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from bridge.errors import BridgeError
from bridge.model.harvest import Batch, HarvestState, LegacyObservations, Unit
from bridge.model.legacy.sps2 import TASK_CURSOR, Task, TaskingDescription
from bridge.model.time import to_us
from bridge.sources.http import PoliteClient
from bridge.sources.sps2.client import ClientBinding, SpsClient
from bridge.sources.sps2.tasking import current_parameters

RESERVATION_STREAMS = ("SpsReservation", "SpsConfirmation")  # linked control streams of Reserve/Confirm


class SpsHarvester:
    """Reads one SPS 2.0 service for the run engine."""

    def __init__(
        self,
        name: str,
        url: str,
        client: PoliteClient,
        *,
        task_ids: Sequence[str] = (),
        binding: ClientBinding = "auto",
    ) -> None:
        self.name = name
        self.url = url
        self.client = client
        self.sps = SpsClient(url, client, binding)
        self.task_ids = list(task_ids)

    def counters(self) -> dict[str, int]:
        """Harvester: traffic so far (requests, bytes, retries) for the run report."""
        stats = self.client.stats
        return {"requests": stats.requests, "bytes": stats.bytes, "retries": stats.retries}

    def reading(self) -> dict[str, Any]:
        """Harvester: nothing is probed or learned from an SPS."""
        return {}

    async def batches(self, state: HarvestState) -> AsyncIterator[Batch]:
        """Harvester: GetCapabilities and DescribeTasking per offered procedure, then GetTask of each known task."""
        caps = await self.sps.get_capabilities()
        procedures = {o.procedure for o in caps.offerings if o.procedure}
        linked = RESERVATION_STREAMS if caps.offers_reservations else ()
        seen = {"SpsTasking": procedures} | {e: procedures if linked else set() for e in RESERVATION_STREAMS}
        yield Batch(seen_complete=seen)
        descriptions: dict[str, TaskingDescription] = {}
        batch = Batch()
        for offering in caps.offerings:
            if not offering.procedure:
                batch.errors.append(f"offering {offering.identifier}: no procedure, skipped")
                continue
            try:
                description = await self.sps.describe_tasking(offering.procedure)
            except BridgeError as exc:
                batch.errors.append(f"DescribeTasking {offering.procedure}: {exc.description}")
                continue
            descriptions[offering.procedure] = description
            ns = {"offering": offering, "description": description, "caps": caps}
            batch.units.append(Unit("SpsProcedure", ns, offering.procedure, self.url))
            for entity in ("SpsTasking", *linked):
                batch.units.append(Unit(entity, ns, offering.procedure, self.url))
        yield batch
        async for tasks in self._tasks(state, descriptions):
            yield tasks

    def known_tasks(self, state: HarvestState) -> list[str]:
        """Tasks to read: those given, then those of earlier runs (by cursor), each once."""
        earlier = [key[len(TASK_CURSOR) :] for key in state.cursors if key.startswith(TASK_CURSOR)]
        return list(dict.fromkeys([*self.task_ids, *sorted(earlier)]))

    async def _tasks(self, state: HarvestState, descriptions: dict[str, TaskingDescription]) -> AsyncIterator[Batch]:
        for task_id in self.known_tasks(state):
            try:
                task = await self.sps.get_task(task_id)
            except BridgeError as exc:
                yield Batch(errors=[f"GetTask {task_id}: {exc.description}"])
                continue
            description = descriptions.get(task.procedure or "")
            if description is None or not task.history:
                yield Batch(errors=[f"task {task_id}: procedure {task.procedure} is not offered (or no history)"])
                continue
            latest = task.latest
            assert latest is not None
            key = TASK_CURSOR + task_id
            ns: dict[str, Any] = {"task": task, "parameters": current_parameters(description, task)}
            errors: list[str] = []
            if _has_results(task):
                try:
                    ns["access"] = await self.sps.describe_result_access(task_id)
                except BridgeError as exc:
                    errors.append(f"DescribeResultAccess {task_id}: {exc.description} (its results not read)")
            yield Batch(
                units=[Unit("SpsTask", ns, task_id, self.url)],
                observations=[LegacyObservations("SpsTask", {}, key, [], to_us(latest.update_time))],
                errors=errors,
            )


def _has_results(task: Task) -> bool:
    """Whether the task published data or completed: then DescribeResultAccess says where its data is (as the
    forwarder asks after the same events)."""
    return any(r.event == "DataPublished" or r.task_status == "Completed" for r in task.history)
