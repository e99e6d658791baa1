"""Observation query options: `$filter` windows, `$orderby`, `$select`, what a server was found to support."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bridge.errors import InvalidParameter
from bridge.sources.sta.times import format_instant

OrderField = Literal["phenomenonTime", "resultTime", "id"]
ORDER_FIELDS: tuple[OrderField, ...] = ("phenomenonTime", "resultTime", "id")
Bound = datetime | str | int

OBSERVATION_FIELDS = "id,phenomenonTime,resultTime,result,resultQuality,validTime,parameters"
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass(slots=True)
class ServerQuirks:
    """What probing found out about one server (remembered for the reader's lifetime).

    None means "not probed yet". `max_top` holds the largest `$top` the server accepted after
    refusing a bigger one, per result format.
    """

    orderby: dict[str, bool] = field(default_factory=dict)
    data_array: bool | None = None
    data_array_foi: bool | None = None
    foi_expand: bool | None = None
    max_top: dict[str, int] = field(default_factory=dict)


def id_literal(value: str | int) -> str:
    """An OData literal for an id: integers and GUIDs bare, other strings quoted ('' escaped)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    if text.isdigit() or _UUID.fullmatch(text):
        return text
    return "'" + text.replace("'", "''") + "'"


def bound_literal(order_field: OrderField, value: Bound) -> str:
    """The `$filter` literal of a window bound for `order_field`."""
    if order_field == "id":
        if isinstance(value, datetime):
            raise InvalidParameter("since", "an id cursor cannot be a datetime")
        return id_literal(value)
    if not isinstance(value, datetime):
        raise InvalidParameter("since", f"a {order_field} cursor must be a datetime")
    return format_instant(value)


def window_filter(order_field: OrderField, since: Bound | None, until: Bound | None) -> str | None:
    """`$filter` for the closed-open window [since, until) on `order_field`; None when unbounded."""
    if order_field not in ORDER_FIELDS:
        raise InvalidParameter("order_field", f"must be one of {', '.join(ORDER_FIELDS)}")
    clauses = []
    if since is not None:
        clauses.append(f"{order_field} ge {bound_literal(order_field, since)}")
    if until is not None:
        clauses.append(f"{order_field} lt {bound_literal(order_field, until)}")
    return " and ".join(clauses) or None


def feature_filter(feature: str | None) -> str | None:
    """`FeatureOfInterest/id eq <id>`: an observation's feature of interest (None: no condition)."""
    return None if feature is None else f"FeatureOfInterest/id eq {id_literal(feature)}"


def stream_filter(multi: bool, stream_id: str) -> str:
    """`Observations/Datastream/id eq <id>` on FeaturesOfInterest: the features a stream observed."""
    return f"Observations/{'MultiDatastream' if multi else 'Datastream'}/id eq {id_literal(stream_id)}"


def order_option(order_field: OrderField) -> str:
    """The `$orderby` value for an ascending read on `order_field`."""
    return f"{order_field} asc"
