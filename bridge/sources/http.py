"""Polite HTTP access to legacy services: bounded concurrency, request rate, retries.

Every source goes through one `PoliteClient` per run so the run report can count requests
and bytes, and so an operator's limits (concurrency, requests/s) hold across the whole run.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from bridge.errors import UpstreamError

if TYPE_CHECKING:
    from bridge.settings import SourceConfig

USER_AGENT = "csapi-bridge/0.1 (+https://github.com/csapi-bridge)"


@dataclass(slots=True)
class HttpPolicy:
    """How hard the bridge may hit one legacy service."""

    concurrency: int = 4
    rate: float | None = None  # requests per second; None = unlimited
    timeout: float = 60.0
    retries: int = 4
    backoff: float = 0.5  # seconds, doubled per attempt, with jitter
    max_backoff: float = 60.0
    retry_statuses: frozenset[int] = frozenset({500, 502, 503, 504, 429})
    user_agent: str = USER_AGENT
    max_response_bytes: int = 2 * 1024**3


def source_client(source: SourceConfig | None, default: HttpPolicy | None = None, **kwargs: Any) -> PoliteClient:
    """The polite client of a configured source (its limits, headers and credentials), or one with `default` limits.

    The source's secrets (header values, password) are read here, from the config, the environment or files.
    """
    if source is None:
        return PoliteClient(default or HttpPolicy(), **kwargs)
    policy = HttpPolicy(
        concurrency=source.concurrency, rate=source.rate, timeout=source.timeout, retries=source.retries
    )
    return PoliteClient(policy, headers=source.request_headers(), auth=source.basic_auth(), **kwargs)


@dataclass(slots=True)
class HttpStats:
    """Traffic of one client for the run report: requests, bytes received, retries, failures, answers by status."""

    requests: int = 0
    bytes: int = 0
    retries: int = 0
    failures: int = 0
    by_status: dict[int, int] = field(default_factory=dict)


class HttpError(UpstreamError):
    """A request failed for good (after retries) or answered a non-success status."""

    def __init__(self, message: str, *, url: str, status: int | None = None, body: bytes = b"") -> None:
        super().__init__(message, details={"url": url, "status": status})
        self.url = url
        self.status_code = status
        self.body = body


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Parse a `Retry-After` header (delta seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class PoliteClient:
    """An `httpx.AsyncClient` wrapper enforcing a `HttpPolicy` and counting traffic."""

    def __init__(
        self,
        policy: HttpPolicy | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> None:
        self.policy = policy or HttpPolicy()
        self.stats = HttpStats()
        self._semaphore = asyncio.Semaphore(max(1, self.policy.concurrency))
        self._rate_lock = asyncio.Lock()
        self._next_slot = 0.0
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=self.policy.timeout,
            follow_redirects=True,
            headers={"User-Agent": self.policy.user_agent, **(headers or {})},
            auth=httpx.BasicAuth(*auth) if auth is not None else None,
        )

    async def __aenter__(self) -> PoliteClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the underlying httpx client and its connections."""
        await self._client.aclose()

    async def _wait_for_slot(self) -> None:
        if not self.policy.rate:
            return
        interval = 1.0 / self.policy.rate
        async with self._rate_lock:
            now = time.monotonic()
            wait = self._next_slot - now
            self._next_slot = max(now, self._next_slot) + interval
        if wait > 0:
            await asyncio.sleep(wait)

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        if response is not None and response.status_code in (429, 503):
            hinted = retry_after_seconds(response.headers.get("Retry-After"))
            if hinted is not None:
                return min(hinted, self.policy.max_backoff)
        base = float(self.policy.backoff * (2**attempt))
        return float(min(self.policy.max_backoff, base * (0.5 + random.random() / 2)))

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        content: bytes | str | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        retry: bool = True,
        raise_for_status: bool = True,
    ) -> httpx.Response:
        """Send a request with retries; the body is read completely.

        Args:
            retry: False for probes whose failure is an answer (e.g. "does the server support $orderby?").
            raise_for_status: False to receive 4xx/5xx responses (legacy exception documents) as they are.
        """
        attempts = self.policy.retries + 1 if retry else 1
        last_exc: Exception | None = None
        for attempt in range(attempts):
            response: httpx.Response | None = None
            await self._wait_for_slot()
            async with self._semaphore:
                try:
                    self.stats.requests += 1
                    response = await self._client.request(
                        method, url, params=params, content=content, json=json, headers=headers
                    )
                    self.stats.bytes += len(response.content)
                    self.stats.by_status[response.status_code] = self.stats.by_status.get(response.status_code, 0) + 1
                except httpx.TransportError as exc:
                    last_exc = exc
            final = response is not None and (
                response.status_code not in self.policy.retry_statuses or attempt == attempts - 1
            )
            if final and response is not None:
                if raise_for_status and response.status_code >= 400:
                    self.stats.failures += 1
                    raise HttpError(
                        f"{method} {url} answered HTTP {response.status_code}",
                        url=str(response.request.url),
                        status=response.status_code,
                        body=response.content[:2000],
                    )
                return response
            if attempt < attempts - 1:
                self.stats.retries += 1
                await asyncio.sleep(self._delay(attempt, response))
        self.stats.failures += 1
        raise HttpError(f"{method} {url} failed after {attempts} attempt(s): {last_exc!r}", url=url) from last_exc

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """`request("GET", …)`: a GET under the policy (retries, rate, concurrency), body read completely."""
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """`request("POST", …)`: a POST under the policy (SOS/SPS XML requests, STA Task creation), body read fully."""
        return await self.request("POST", url, **kwargs)

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """Open a streamed response (large GetObservation/GetResult bodies); retried only before the body starts."""
        last_exc: Exception | None = None
        for attempt in range(self.policy.retries + 1):
            await self._wait_for_slot()
            async with self._semaphore:
                try:
                    self.stats.requests += 1
                    request = self._client.build_request(method, url, params=params, content=content, headers=headers)
                    response = await self._client.send(request, stream=True)
                except httpx.TransportError as exc:
                    last_exc = exc
                    response = None
                if response is not None:
                    retryable = response.status_code in self.policy.retry_statuses
                    if not retryable or attempt == self.policy.retries:
                        self.stats.by_status[response.status_code] = (
                            self.stats.by_status.get(response.status_code, 0) + 1
                        )
                        try:
                            yield _CountingResponse.wrap(response, self.stats)
                        finally:
                            await response.aclose()
                        return
                    await response.aclose()
            self.stats.retries += 1
            await asyncio.sleep(self._delay(attempt, response))
        self.stats.failures += 1
        raise HttpError(f"{method} {url} failed: {last_exc!r}", url=url) from last_exc


class _CountingResponse:
    """Adds byte counting to a streamed response's `aiter_bytes`."""

    @staticmethod
    def wrap(response: httpx.Response, stats: HttpStats) -> httpx.Response:
        original = response.aiter_bytes

        async def counted(chunk_size: int | None = None) -> AsyncIterator[bytes]:
            async for chunk in original(chunk_size):
                stats.bytes += len(chunk)
                yield chunk

        response.aiter_bytes = counted  # type: ignore[method-assign]
        return response
