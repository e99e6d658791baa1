"""Prometheus metrics of one process (prometheus-client), and the figures read from the store at each scrape.

Process metrics (this module's objects, in the default registry) count what this process did: HTTP requests
by route template, harvest runs it made, commands it forwarded, its status-polling rounds, live publishing
backlogs registered by the code that publishes. In a fleet each process has its own; Prometheus adds them up.

Store figures (`store_families`) are the same from every replica: per configured source, the lag (now minus
the newest stored phenomenon time) and its last finished run (observations, requests, errors, duration),
whichever process harvested it.

Labels come from bounded, operator- or code-defined sets only — configured source names, route templates,
status codes and outcomes from fixed lists — never from legacy text, URLs or credentials.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bridge.model.harvest import SourceHealth

disable_created_metrics()  # type: ignore[no-untyped-call]  # no `_created` series beside each counter and histogram: half the lines to scrape
HTTP_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
RUN_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0)
RUN_STATUSES = frozenset({"completed", "completed-with-errors", "failed", "interrupted"})
OPERATIONS = frozenset({"submit", "update", "cancel", "reconcile"})
OUTCOMES = frozenset({
    "PENDING", "ACCEPTED", "REJECTED", "SCHEDULED", "UPDATED", "CANCELED", "EXECUTING", "FAILED", "COMPLETED",
    "unanswered",
})  # fmt: skip
OTHER = "other"

http_latency = Histogram(
    "bridge_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status class",
    ["method", "route", "status"],
    buckets=HTTP_BUCKETS,
)
harvest_runs = Counter("bridge_harvest_runs_total", "Harvest runs made by this process", ["source", "status"])
harvest_observations = Counter(
    "bridge_harvest_observations_total", "Observations stored by this process's harvest runs", ["source"]
)
harvest_requests = Counter(
    "bridge_harvest_requests_total", "Requests to legacy services made by this process's harvest runs", ["source"]
)
harvest_errors = Counter(
    "bridge_harvest_errors_total", "Errors reported by this process's harvest runs (things not read)", ["source"]
)
harvest_duration = Histogram(
    "bridge_harvest_run_duration_seconds", "Duration of this process's harvest runs", ["source"], buckets=RUN_BUCKETS
)
commands_forwarded = Counter(
    "bridge_commands_forwarded_total",
    "Commands handed to a legacy service by this process, by operation and the status the service answered",
    ["operation", "outcome"],
)
poll_rounds = Counter("bridge_command_poll_rounds_total", "Status-polling rounds of this process")
poll_commands = Counter("bridge_command_polls_total", "Commands whose status this process asked for")
poll_errors = Counter("bridge_command_poll_errors_total", "Status polls of this process that failed")
_last_poll = {"at": 0.0}
poll_lag = Gauge(
    "bridge_command_poll_lag_seconds",
    "Seconds since this process's last completed status-polling round (absent: this process does not poll)",
)
poll_lag.set_function(lambda: time.time() - _last_poll["at"] if _last_poll["at"] else float("nan"))


_configured: set[str] = set()


def _label(value: str, allowed: Iterable[str]) -> str:
    return value if value in allowed else OTHER


def configure_sources(names: Iterable[str]) -> None:
    """The source names of the configuration: the only ones used as label values (others count as `other`)."""
    _configured.update(names)


def record_run(source: str, status: str, observations: int, requests: int, errors: int, seconds: float) -> None:
    """Count one finished harvest run (a source not in the configuration is counted as `other`)."""
    name = _label(source, _configured)
    harvest_runs.labels(name, _label(status, RUN_STATUSES)).inc()
    harvest_observations.labels(name).inc(observations)
    harvest_requests.labels(name).inc(requests)
    harvest_errors.labels(name).inc(errors)
    harvest_duration.labels(name).observe(seconds)


def record_forwarded(operation: str, outcome: str | None) -> None:
    """Count a command handed to a legacy service by the status the service answered (`unanswered`: none)."""
    commands_forwarded.labels(_label(operation, OPERATIONS), _label(outcome or "unanswered", OUTCOMES)).inc()


def record_poll_round(polled: int, errors: int) -> None:
    """Note a completed status-polling round (its end time gives `bridge_command_poll_lag_seconds`)."""
    poll_rounds.inc()
    poll_commands.inc(polled)
    poll_errors.inc(errors)
    _last_poll["at"] = time.time()


class _Backlogs(Collector):
    """`bridge_live_backlog`: the callbacks that publishers registered, read at each scrape."""

    def __init__(self) -> None:
        self.callbacks: dict[str, Callable[[], float]] = {}
        self.lock = threading.Lock()

    def collect(self) -> Iterable[Any]:
        """One sample per registered channel (a failing callback is left out)."""
        family = GaugeMetricFamily(
            "bridge_live_backlog", "Messages waiting to be published, by live channel", labels=["channel"]
        )
        with self.lock:
            items = list(self.callbacks.items())
        for channel, callback in items:
            try:
                family.add_metric([channel], float(callback()))
            except Exception:  # a publisher going away must not break the scrape
                continue
        yield family


_backlogs = _Backlogs()
REGISTRY.register(_backlogs)


def register_backlog(channel: str, callback: Callable[[], float]) -> Callable[[], None]:
    """Publish `callback()` as `bridge_live_backlog{channel=...}`; returns the function that unregisters it.

    `channel` must come from code or configuration (e.g. "mqtt"), never from message content.
    """
    with _backlogs.lock:
        _backlogs.callbacks[channel] = callback

    def unregister() -> None:
        with _backlogs.lock:
            if _backlogs.callbacks.get(channel) is callback:
                del _backlogs.callbacks[channel]

    return unregister


def store_families(health: Sequence[SourceHealth], now: float | None = None) -> list[GaugeMetricFamily]:
    """The per-source figures read from the store, as gauge families."""
    now = time.time() if now is None else now
    lag = GaugeMetricFamily(
        "bridge_source_lag_seconds", "Now minus the newest phenomenon time stored for the source", labels=["source"]
    )
    newest = GaugeMetricFamily(
        "bridge_source_newest_phenomenon_time_seconds", "The newest phenomenon time stored for the source",
        labels=["source"],
    )  # fmt: skip
    last = {
        name: GaugeMetricFamily(f"bridge_source_last_run_{name}", text, labels=["source"])
        for name, text in (
            ("observations", "Observations stored by the source's last finished run"),
            ("requests", "Requests made to the legacy service by the source's last finished run"),
            ("errors", "Errors reported by the source's last finished run"),
            ("duration_seconds", "Duration of the source's last finished run"),
            ("end_time_seconds", "When the source's last finished run ended"),
            ("success", "1 when the source's last finished run completed (with or without errors), else 0"),
        )
    }
    for item in health:
        if item.newest_phenomenon is not None:
            newest.add_metric([item.source], item.newest_phenomenon / 1e6)
            lag.add_metric([item.source], now - item.newest_phenomenon / 1e6)
        run = item.last_run
        if run is None:
            continue
        report = run.report
        last["observations"].add_metric([item.source], float(report.get("observations", 0)))
        last["requests"].add_metric([item.source], float(report.get("requests", 0)))
        last["errors"].add_metric([item.source], float(len(report.get("errors", []))))
        last["duration_seconds"].add_metric([item.source], float(report.get("durationSeconds", 0.0)))
        last["end_time_seconds"].add_metric([item.source], (run.ended or run.started) / 1e6)
        last["success"].add_metric([item.source], 1.0 if run.status.startswith("completed") else 0.0)
    return [lag, newest, *last.values()]


class _Families(Collector):
    def __init__(self, families: Sequence[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> Iterable[Any]:
        yield from self.families


def exposition(extra: Sequence[GaugeMetricFamily] = ()) -> bytes:
    """The text exposition of this process's metrics followed by `extra` (the store's figures)."""
    body = generate_latest(REGISTRY)
    if extra:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Families(extra))
        body += generate_latest(registry)
    return body


def serve_process_metrics(port: int, host: str = "127.0.0.1") -> Callable[[], None]:
    """Expose this process's metrics on `http://host:port/metrics` (a process without the facade: `sync`, a
    worker); returns the function that stops the server. The store figures are the facades' to report."""
    server, thread = start_http_server(port, addr=host)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop
