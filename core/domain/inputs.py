"""Shared types for what the API accepts: bounded date-times, single-line and multi-line text, continuation tokens.

Every request body and query model uses these instead of bare `datetime` / `str`, so one rule holds everywhere:
* a date-time has an offset and lies in [EARLIEST, LATEST) — far from the ends of Python's calendar, so converting it
  to UTC (or any offset) can never overflow;
* single-line text (names, address lines, device names, phrases) holds no control character at all: no C0 (CR, LF,
  TAB, NUL...), DEL, C1, Unicode line/paragraph separators, nor the bidirectional embedding/override/isolate
  controls;
* multi-line text (note text, policy text, free-form details) keeps LF, CR and TAB but no other control character;
* a continuation token is opaque text in the alphabet the service mints (core/services/paging.py verifies it).

And a JSON body names each member of an object once: `duplicate_key` finds a repeated one (at any depth),
which the body parser refuses instead of letting the last one win.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, EmailStr, StringConstraints, WithJsonSchema

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
DATETIME_RANGE_TEXT = "2000-01-01T00:00:00Z (included) and 2100-01-01T00:00:00Z (excluded)"

# Cc (C0, DEL, C1), U+2028/U+2029, and the bidirectional embedding/override/isolate controls.
_NOT_IN_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# The same, less TAB, LF and CR; line and paragraph separators are line breaks there.
_NOT_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _within_range(value: datetime) -> datetime:
    # An aware datetime compares with another without converting either one, so this cannot overflow.
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"must be between {DATETIME_RANGE_TEXT}")
    return value


ApiDatetime = Annotated[
    AwareDatetime,
    AfterValidator(_within_range),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": f"RFC 3339 with an offset, between {DATETIME_RANGE_TEXT}.",
        }
    ),
]
"""An RFC 3339 date-time with an offset, within [EARLIEST, LATEST)."""


def control_character(text: str, *, multiline: bool) -> str | None:
    """The first refused character of `text` (as U+XXXX), or None when the text is clean."""
    found = (_NOT_IN_TEXT if multiline else _NOT_IN_ONE_LINE).search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def _single_line(value: Any) -> Any:
    # Before the string's own validation (and before whitespace is stripped): "Ada\n" is refused, not trimmed.
    if isinstance(value, str) and (found := control_character(value, multiline=False)) is not None:
        raise ValueError(f"must be a single line without control characters (found {found})")
    return value


def _multi_line(value: Any) -> Any:
    if isinstance(value, str) and (found := control_character(value, multiline=True)) is not None:
        raise ValueError(f"must not contain control characters other than line breaks and tabs (found {found})")
    return value


SINGLE_LINE = BeforeValidator(_single_line)
"""Metadata for `Annotated[str, ..., SINGLE_LINE]`: one line of text without control characters."""
MULTI_LINE = BeforeValidator(_multi_line)
"""Metadata for `Annotated[str, ..., MULTI_LINE]`: text that may span lines, without other control characters."""


CONTINUATION_MAX_CHARS = 8_000
ContinuationToken = Annotated[
    str, StringConstraints(min_length=3, max_length=CONTINUATION_MAX_CHARS, pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
]
"""The `continuation` query parameter: exactly what the previous page answered (opaque, signed)."""
CONTINUATION_DOC = (
    "Opaque: pass exactly the `continuation` (or `X-Continuation`) of the previous page, with the same"
    " filters. A token that was not issued for this list is refused with 422 naming this parameter."
)

SingleLine = Annotated[str, SINGLE_LINE]
"""One line of text without control characters. With lengths, put the marker last:
`Annotated[str, StringConstraints(max_length=120), SINGLE_LINE]` (names, address lines, device names...)."""
EmailAddress = Annotated[EmailStr, SINGLE_LINE]
"""An e-mail address; a control character anywhere is refused (EmailStr alone would trim one at either end)."""
MultiLine = Annotated[str, MULTI_LINE]
"""Text that may span lines (LF, CR, TAB) without other control characters (note text, policy text, details)."""


class _Members(list[tuple[str, Any]]):
    """A JSON object as parsed, members in order, repeats kept (the slow path's object_pairs_hook)."""


class _Repeated(Exception):
    pass


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        raise _Repeated
    return members


def duplicate_key(raw: bytes) -> str | None:
    """The path (e.g. `billingAddress.city`, `pings.3.id`) of a member named twice in one JSON object, or None:
    also when `raw` is not JSON at all (the model's own parser then reports that)."""
    try:
        text = raw.decode("utf-8")
        json.loads(text, object_pairs_hook=_unique)  # the common case: one cheap check per object
        return None
    except _Repeated:
        pass
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    stack: list[tuple[Any, str]] = [(json.loads(text, object_pairs_hook=_Members), "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, _Members):
            seen: set[str] = set()
            for key, value in node:
                where = f"{path}.{key}" if path else key
                if key in seen:
                    return where
                seen.add(key)
                stack.append((value, where))
        elif isinstance(node, list):
            stack.extend((value, f"{path}.{i}" if path else str(i)) for i, value in enumerate(node))
    return None
