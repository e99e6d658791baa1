"""SOS 2.0 requests over the binding the server advertises (KVP GET, POX POST, SOAP 1.2), with `via` URLs.

GetCapabilities is asked with KVP first (then POX, then SOAP); every other operation uses the first
binding its `ows:OperationsMetadata` endpoints accept, in the order KVP, POX, SOAP. Large
GetObservation bodies are streamed to a spooled temporary file (memory bounded by the spool size,
whatever the response size) and parsed from there.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import IO

from bridge.errors import UpstreamError
from bridge.model.legacy.sos2 import Capabilities
from bridge.sources.http import HttpError, PoliteClient
from bridge.sources.sos2.capabilities import parse_capabilities
from bridge.sources.sos2.exceptions import OwsException, Sos1OnlyError
from bridge.sources.sos2.kvp import kvp_get_capabilities
from bridge.sources.sos2.pox import pox_get_capabilities, soap_envelope

SPOOL_BYTES = 8 * 1024 * 1024
CHUNK = 256 * 1024
BINDINGS = ("kvp", "pox", "soap")
_CONTENT_TYPES = {"pox": "application/xml", "soap": "application/soap+xml; charset=utf-8"}


class SosRequestError(UpstreamError):
    """A request to the SOS failed; the message names the server, the operation and the cause."""

    def __init__(self, server: str, operation: str, cause: Exception, subject: str | None = None) -> None:
        where = f"{operation} of {subject}" if subject else operation
        if isinstance(cause, OwsException):
            detail = f"exception {cause.exception_code}"
            detail += f", locator {cause.locator}" if cause.locator else ""
            detail += f": {cause.text}" if cause.text else ""
        else:
            detail = getattr(cause, "description", None) or str(cause)
        super().__init__(f"SOS {server}: {where} failed: {detail}")
        self.cause = cause
        self.exception_code = cause.exception_code if isinstance(cause, OwsException) else None


def with_query(url: str, query: str) -> str:
    """`url` with a KVP query string appended (keeping any query the configured URL already has)."""
    if url.endswith(("?", "&")):
        return url + query
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _looks_like_xml(body: bytes) -> bool:
    return body.lstrip()[:1] == b"<" and not body.lstrip()[:14].lower().startswith((b"<!doctype html", b"<html"))


class SosClient:
    """One SOS endpoint: binding choice per operation, exception-aware fetching and `via` URLs."""

    def __init__(self, url: str, http: PoliteClient) -> None:
        self.url = url
        self.http = http
        self.caps: Capabilities | None = None

    def binding(self, operation: str) -> tuple[str, str]:
        """(binding, endpoint URL) for an operation: the first advertised of KVP, POX, SOAP."""
        if self.caps is not None and operation in self.caps.operations:
            for binding in BINDINGS:
                endpoint = self.caps.endpoint(operation, binding)
                if endpoint:
                    return binding, endpoint
        return "kvp", self.url

    def via(self, operation: str, kvp: str) -> str:
        """The KVP form of a request (provenance link), on the operation's GET endpoint when there is one."""
        endpoint = (self.caps.endpoint(operation, "kvp") if self.caps else None) or self.url
        return with_query(endpoint, kvp)

    async def capabilities(self) -> Capabilities:
        """GetCapabilities negotiating 2.0.0 (KVP, then POX, then SOAP); `Sos1OnlyError` for SOS 1.0 servers."""
        problems: list[str] = []
        for binding in BINDINGS:
            try:
                body = await self._send(binding, self.url, kvp_get_capabilities(), pox_get_capabilities())
                self.caps = parse_capabilities(body)
                return self.caps
            except Sos1OnlyError as exc:
                raise SosRequestError(self.url, "GetCapabilities", exc) from exc
            except UpstreamError as exc:
                problems.append(f"{binding.upper()}: {exc.description}")
        raise UpstreamError(f"SOS {self.url}: GetCapabilities failed with every binding ({'; '.join(problems)})")

    async def fetch(self, operation: str, kvp: str, pox: bytes) -> bytes:
        """The whole body of one request (exceptions are raised by the parser that reads it)."""
        binding, endpoint = self.binding(operation)
        return await self._send(binding, endpoint, kvp, pox)

    async def _send(self, binding: str, endpoint: str, kvp: str, pox: bytes) -> bytes:
        if binding == "kvp":
            response = await self.http.get(with_query(endpoint, kvp), raise_for_status=False)
        else:
            content = soap_envelope(pox) if binding == "soap" else pox
            headers = {"Content-Type": _CONTENT_TYPES[binding]}
            response = await self.http.post(endpoint, content=content, headers=headers, raise_for_status=False)
        body = response.content
        if response.status_code >= 400 and not _looks_like_xml(body):
            raise HttpError(
                f"{binding.upper()} request answered HTTP {response.status_code}",
                url=str(response.request.url),
                status=response.status_code,
                body=body[:2000],
            )
        return body

    @asynccontextmanager
    async def stream(self, operation: str, kvp: str, pox: bytes) -> AsyncIterator[IO[bytes]]:
        """A large response spooled to a temporary file, rewound for the streaming parser."""
        binding, endpoint = self.binding(operation)
        if binding == "kvp":
            opened = self.http.stream("GET", with_query(endpoint, kvp))
        else:
            content = soap_envelope(pox) if binding == "soap" else pox
            headers = {"Content-Type": _CONTENT_TYPES[binding]}
            opened = self.http.stream("POST", endpoint, content=content, headers=headers)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            async with opened as response:
                async for chunk in response.aiter_bytes(CHUNK):
                    spool.write(chunk)
                status = response.status_code
            spool.seek(0)
            if status >= 400 and not _looks_like_xml(spool.read(64)):
                raise HttpError(f"{operation} answered HTTP {status}", url=endpoint, status=status)
            spool.seek(0)
            yield spool
