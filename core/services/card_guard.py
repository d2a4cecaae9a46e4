"""Card-data guard: find a payment card number (PAN) in a request body before anything stores or logs it.

The service never accepts card data (Stripe's own UI collects cards), so a body carrying one is refused. A PAN is a
Luhn-valid run of 13 to 19 digits that starts with a card network's first digit, 2 to 6 (Mastercard 2-series and 5,
Amex/Diners/JCB 3, Visa 4, Discover/UnionPay 6; a run starting 0, 1 or 7-9, such as an epoch-milliseconds reference
in a note, is no card: one digit run in ten passes Luhn by chance):
- in any string value (free text such as a note, a name or a phone field), written solid or in groups of 4 to 6
  digits separated by single spaces or dashes ("4242 4242 4242 4242", "3782-822463-10005"), with no letter or
  digit touching the run (so the digits inside hex ids and UUIDs do not count);
- in a card-like field (its name mentions a card, or is pan / cc / ccnum...), whatever the separators, also as a
  JSON number.
Numbers in other fields (timestamps, coordinates, amounts) are not free text and are not examined.

Pure: no I/O, no logging. The answer names where the number is (a field path), never the number itself.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

MIN_DIGITS = 13
MAX_DIGITS = 19
CARD_FIRST_DIGITS = frozenset("23456")
BODY = "body"

# A run counts only when no letter, digit or decimal point touches it: the digits inside hex ids, hashes and UUIDs
# ("3b62b2c83363434082128446dfb1ffc0") and the fraction of a number ("44.97781234567891") are not card numbers.
_SOLID = re.compile(r"(?<![0-9A-Za-z.])[0-9]{13,19}(?![0-9A-Za-z])")
# Digit groups joined by single spaces or dashes; the whole run is then split into its groups.
_GROUPED = re.compile(r"(?<![0-9A-Za-z.])[0-9]+(?:[ \-][0-9]+)+(?![0-9A-Za-z])")
_CARD_LIKE_EXACT = {"pan", "cc", "ccn", "ccnum", "ccno", "ccnumber", "primaryaccountnumber"}
# Cheap signs, in the raw body, that a field walk is needed even without a PAN-shaped run: a card-like key (where
# other separators count) or \u escapes (digits written as escapes).
_WALK_HINTS = (b"card", b'"pan"', b'"cc"', b'"ccn', b'"primaryaccountnumber"', b"\\u")
# The raw pre-scan works on a byte map (C speed): digits -> d, ASCII letters and "." -> a, the rest unchanged.
_LETTERS = bytes(range(65, 91)) + bytes(range(97, 123)) + b"."
_MAP = bytes.maketrans(b"0123456789" + _LETTERS, b"d" * 10 + b"a" * len(_LETTERS))
_NEEDLES = (b"d" * MIN_DIGITS, b"dddd dddd", b"dddd-dddd")  # every PAN-shaped run contains one of these
_RUN = frozenset(b"d -")
_A = ord("a")


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
    return MIN_DIGITS <= len(digits) <= MAX_DIGITS and digits[:1] in CARD_FIRST_DIGITS and luhn_valid(digits)


def text_has_pan(text: str) -> bool:
    """Free text: a solid run, or a window of consecutive 4-6 digit groups, that is a Luhn-valid 13-19 digits."""
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


def _raw_has_pan(raw: bytes) -> bool:
    """The same test as text_has_pan over a whole body, fast: find PAN-shaped stretches with bytes.find on the
    byte map, then check only those stretches (with the characters around them) precisely."""
    mapped = raw.translate(_MAP)
    for needle in _NEEDLES:
        start = 0
        while (hit := mapped.find(needle, start)) != -1:
            lo, hi = hit, hit + len(needle)
            while lo > 0 and mapped[lo - 1] in _RUN:
                lo -= 1
            while hi < len(mapped) and mapped[hi] in _RUN:
                hi += 1
            stretch = mapped[lo:hi].strip(b" -")
            if b" " not in stretch and b"-" not in stretch:
                # One solid run (the common case: a long number, or the fraction of a float): decided here.
                lo = mapped.index(stretch, lo)
                end = lo + len(stretch)
                touched = (lo > 0 and mapped[lo - 1] == _A) or (end < len(mapped) and mapped[end] == _A)
                if not touched and _is_pan(raw[lo:end].decode("ascii")):
                    return True
            elif text_has_pan(raw[max(0, lo - 1) : hi + 1].decode("utf-8", errors="replace")):
                return True
            start = hi
    return False


@lru_cache(maxsize=4096)
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


def _walk(value: Any, card_like: bool) -> list[str] | None:
    """The path to the first value holding a PAN, innermost key last (built only on a hit), or None."""
    if isinstance(value, str):
        return [] if text_has_pan(value) or (card_like and _card_field_has_pan(value)) else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _walk(item, card_like or is_card_like(key))
            if found is not None:
                return [key, *found]
        return None
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _walk(item, card_like)
            if found is not None:
                return [str(i), *found]
        return None
    if card_like and _card_field_has_pan(value):
        return []
    return None


def find_card_number(raw: bytes) -> str | None:
    """Where a request body carries a card number: the field path (as sent, e.g. `phone`, `items.0.note`), `body`
    when it is not JSON (or the number is outside any field), or None when there is none."""
    if not raw:
        return None
    lowered = raw.lower()
    if not _raw_has_pan(raw) and not any(hint in lowered for hint in _WALK_HINTS):
        return None  # the fast path: no PAN-shaped run anywhere, nothing card-like; no parsing
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        return BODY if _raw_has_pan(raw) else None
    path = _walk(doc, False)
    found = (".".join(path) or BODY) if path is not None else None
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
