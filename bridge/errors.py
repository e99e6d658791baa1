"""Errors raised anywhere in the bridge; the API renders them as OGC exception JSON."""

from __future__ import annotations

from typing import Any


class BridgeError(Exception):
    """Base error: carries an HTTP status and an OGC exception code."""

    status: int = 500
    code: str = "NoApplicableCode"

    def __init__(self, description: str, *, details: Any = None) -> None:
        super().__init__(description)
        self.description = description
        self.details = details

    def to_json(self) -> dict[str, Any]:
        """The JSON body sent to clients (`code`, `description`, optional `details`)."""
        body: dict[str, Any] = {"code": self.code, "description": self.description}
        if self.details is not None:
            body["details"] = self.details
        return body


class InvalidParameter(BridgeError):
    """A query parameter is unknown or its value cannot be used (400)."""

    status = 400
    code = "InvalidParameterValue"

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"parameter '{name}': {reason}", details={"parameter": name})
        self.parameter = name


class InvalidBody(BridgeError):
    """A request body is not valid JSON or not a valid resource (400)."""

    status = 400
    code = "InvalidRequestBody"


class LimitExceeded(BridgeError):
    """A request exceeds one of the configured limits (`Settings.limits`): 400 unless a subclass says otherwise.

    The JSON body names the limit (`details.limit`) and its value, so a client knows what to change.
    """

    status = 400
    code = "LimitExceeded"

    def __init__(self, limit: str, maximum: int, what: str) -> None:
        super().__init__(
            f"{what} exceeds the limit '{limit}' ({maximum})", details={"limit": limit, "maximum": maximum}
        )
        self.limit = limit


class PayloadTooLarge(LimitExceeded):
    """A request body larger than its media type's limit (413), refused before it is read whole."""

    status = 413
    code = "PayloadTooLarge"


class UriTooLong(LimitExceeded):
    """A request target longer than `limits.url_length` (414)."""

    status = 414
    code = "URITooLong"


class Unauthorized(BridgeError):
    """No credential where one is needed, or a credential that is not valid (401).

    `challenge` is the `WWW-Authenticate` header value: the schemes the server accepts (RFC 9110 §11.6.1).
    """

    status = 401
    code = "Unauthorized"

    def __init__(self, description: str, challenge: str) -> None:
        super().__init__(description)
        self.challenge = challenge

    @property
    def headers(self) -> dict[str, str]:
        """The response headers this error needs: its challenge."""
        return {"WWW-Authenticate": self.challenge}


class Forbidden(BridgeError):
    """A valid credential that lacks the role the operation needs, or a refused cross-site request (403)."""

    status = 403
    code = "Forbidden"


class NotFound(BridgeError):
    """No resource (collection, report, result…) with that id, or none under the path's parent (404)."""

    status = 404
    code = "NotFound"


class NotAcceptable(BridgeError):
    """None of the formats the endpoint offers matches `f` or `Accept` (406)."""

    status = 406
    code = "NotAcceptable"


class UnsupportedMediaType(BridgeError):
    """A request body in a format the endpoint does not accept (415)."""

    status = 415
    code = "UnsupportedMediaType"


class Conflict(BridgeError):
    """A write conflicts with stored state: duplicate UID, dependents, illegal transition (409)."""

    status = 409
    code = "Conflict"


class MethodNotAllowed(BridgeError):
    """The method is not allowed on this resource, e.g. writing to a read-only collection (405, with `Allow`)."""

    status = 405
    code = "MethodNotAllowed"

    def __init__(self, description: str, allow: str = "GET, HEAD") -> None:
        super().__init__(description)
        self.headers = {"Allow": allow}


class UpstreamError(BridgeError):
    """A legacy service failed or answered something unusable (502)."""

    status = 502
    code = "UpstreamError"


class ConfigError(BridgeError):
    """Settings, mapping tables or source definitions are invalid."""

    code = "ConfigurationError"
