"""Card-data guard: find a payment card number (PAN) in a request body before anything stores or logs it.

The service never accepts card data (Stripe's own UI collects cards), so a body carrying one is refused. A PAN is a
Luhn-valid run of 13 to 19 digits:
- in any string value (free text such as a note, a name or a phone field), written solid or in groups of 4 to 6
  digits separated by single spaces or dashes ("4242 4242 4242 4242", "3782-822463-10005");
- in a card-like field (its name mentions a card, or is pan / cc / ccnum...), whatever the separators, also as a
  JSON number.
Numbers in other fields (timestamps, coordinates, amounts) are not free text and are not examined.

Pure: no I/O, no logging. The answer names where the number is (a field path), never the number itself.
"""

from __future__ import annotations

import json
import re
from typing import Any

MIN_DIGITS = 13
MAX_DIGITS = 19
BODY = "body"

_SOLID = re.compile(r"(?<![0-9])[0-9]{13,19}(?![0-9])")
# Digit groups joined by single spaces or dashes; the whole run is then split into its groups.
_GROUPED = re.compile(r"(?<![0-9])[0-9]+(?:[ \-][0-9]+)+(?![0-9])")
_CARD_LIKE_EXACT = {"pan", "cc", "ccn", "ccnum", "ccno", "ccnumber", "primaryaccountnumber"}


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _is_pan(digits: str) -> bool:
    return MIN_DIGITS <= len(digits) <= MAX_DIGITS and luhn_valid(digits)


def text_has_pan(text: str) -> bool:
    """Free text: a solid run, or a window of consecutive 4-6 digit groups, that is a Luhn-valid 13-19 digits."""
    if not any(ch.isdigit() for ch in text):
        return False
    if any(_is_pan(m.group(0)) for m in _SOLID.finditer(text)):
        return True
    for m in _GROUPED.finditer(text):
        groups = re.split(r"[ \-]", m.group(0))
        for start in range(len(groups)):
            joined = ""
            for group in groups[start:]:
                if not 4 <= len(group) <= 6:
                    break
                joined += group
                if len(joined) > MAX_DIGITS:
                    break
                if _is_pan(joined):
                    return True
    return False


def is_card_like(name: str) -> bool:
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    return "card" in key or key in _CARD_LIKE_EXACT


def _card_field_has_pan(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return _is_pan(str(value))
    if isinstance(value, str):
        digits = re.sub(r"[^0-9]", "", value)
        return _is_pan(digits) or text_has_pan(value)
    return False


def _walk(value: Any, path: list[str], card_like: bool) -> str | None:
    if isinstance(value, dict):
        for key, item in value.items():
            found = _walk(item, [*path, str(key)], card_like or is_card_like(str(key)))
            if found is not None:
                return found
        return None
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _walk(item, [*path, str(i)], card_like)
            if found is not None:
                return found
        return None
    if isinstance(value, str) and text_has_pan(value):
        return ".".join(path) or BODY
    if card_like and _card_field_has_pan(value):
        return ".".join(path) or BODY
    return None


def find_card_number(raw: bytes) -> str | None:
    """Where a request body carries a card number: the field path (as sent, e.g. `phone`, `items.0.note`), `body`
    when it is not JSON (or the number is outside any field), or None when there is none."""
    if not raw:
        return None
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        text = raw.decode("utf-8", errors="replace")
        return BODY if text_has_pan(text) else None
    found = _walk(doc, [], False)
    # Keys are free text too (a map of notes keyed by what the user typed).
    if found is None and isinstance(doc, dict) and any(text_has_pan(str(k)) for k in _all_keys(doc)):
        return BODY
    return found


def _all_keys(value: Any) -> list[str]:
    keys: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            keys.extend(str(k) for k in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return keys
