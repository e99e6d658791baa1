"""Shape limits of JSON values the bridge stores: nesting depth and string length.

A value nested deeper than the encoders can write back, or a string of tens of megabytes, is refused where it
enters (a request body, a harvested record), so nothing stored can make a later listing fail or exhaust memory.
"""

from __future__ import annotations

from typing import Any

from bridge.errors import LimitExceeded

DEFAULT_DEPTH = 32
DEFAULT_STRING = 65_536


def check_json(
    value: Any, *, depth: int = DEFAULT_DEPTH, string_length: int = DEFAULT_STRING, what: str = "the body"
) -> None:
    """Raise LimitExceeded (`json_depth`, `string_length`) when `value` nests deeper or holds a longer string.

    Iterative, so a hostile value cannot exhaust the interpreter's stack while being checked.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, str):
            if len(item) > string_length:
                raise LimitExceeded("string_length", string_length, f"a string of {len(item)} characters in {what}")
            continue
        if isinstance(item, dict):
            children: Any = item.values()
            for key in item:
                if isinstance(key, str) and len(key) > string_length:
                    raise LimitExceeded("string_length", string_length, f"a member name in {what}")
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if level > depth:
            raise LimitExceeded("json_depth", depth, f"the nesting of {what}")
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list | tuple | str))
