"""Who made a request: the principal a credential (or its absence) stands for, with its roles and limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.auth_config import Role

SCOPE_KEY = "csapi.principal"  # where the access middleware leaves the principal in the ASGI scope


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated client (or the anonymous one), as the audit log names it: `kind:name`."""

    kind: str  # anonymous | apikey | basic | oidc | operator
    name: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    controlstreams: frozenset[str] | None = None  # the `command` role only on these control streams
    collections: frozenset[str] | None = None  # ... or on those of the systems in these collections

    @property
    def label(self) -> str:
        """`kind:name`, e.g. `apikey:ops-robot`, `oidc:alice`, `anonymous`."""
        return self.kind if self.kind == "anonymous" else f"{self.kind}:{self.name}"

    @property
    def anonymous(self) -> bool:
        """Whether no credential was given."""
        return self.kind == "anonymous"

    @property
    def restricted(self) -> bool:
        """Whether the `command` role is limited to some control streams or collections."""
        return self.controlstreams is not None or self.collections is not None


def frozen(values: list[str] | None) -> frozenset[str] | None:
    """A restriction list as a frozenset (None stays None: no restriction)."""
    return None if values is None else frozenset(values)


def anonymous(roles: list[Role]) -> Principal:
    """The principal of a request without credential."""
    return Principal("anonymous", "anonymous", frozenset(roles))


# The bridge acting for its operator at start-up (loading the demo set through its own API): every role.
OPERATOR = Principal("operator", "start-up", frozenset(Role))
