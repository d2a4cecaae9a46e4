"""A Luhn scanner for stored data (proof row 11, issue 9): finds payment card numbers (PANs) in text or bytes.

A hit is a run of 13 to 19 digits that passes the Luhn check and starts with a card-network prefix (first digit
2 to 6: Mastercard 2-series and 5, Amex/Diners/JCB 3, Visa 4, Discover/UnionPay 6). The digits are written solid
("4242424242424242") or in groups joined by single spaces or dashes ("4242 4242 4242 4242", "3782-822463-10005";
groups of 4 to 6 digits, any window of consecutive groups counts). No letter, digit, underscore or decimal point may
touch the run, so the digits inside hex ids, UUIDs, hashes, base64 and the fraction of a coordinate do not count; a
grouped run may not begin right after "<letter or digit>-" either (a UUID cut by a line break).

Why the prefix rule: epoch milliseconds (13 digits, "17..."), epoch nanoseconds and Cosmos `_ts`-like counters
start with 1, and one in ten of any digit run passes Luhn by chance; no card number starts with 0, 1, 7, 8 or 9
(those are airline, petroleum, telecom and national-use ranges, not card networks).

Bytes are read as Latin-1 (every byte is one character), and ZIP archives are opened and each entry scanned, so a
card inside a compressed export is seen. A hit names where it was and only the last four digits.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

MIN_DIGITS, MAX_DIGITS = 13, 19
CARD_PREFIXES = frozenset("23456")
MAX_ZIP_ENTRIES = 10_000
MAX_ENTRY_BYTES = 64 * 1024 * 1024

_SOLID = re.compile(r"(?<![0-9A-Za-z_.])[0-9]{13,19}(?![0-9A-Za-z_])")
# A grouped run may not start right after "<letter or digit>-": the groups of a UUID or another dashed id, whose
# tail a wrapped line (an e-mail body) can cut from its letters, are not a card written in groups.
_GROUPED = re.compile(r"(?<![0-9A-Za-z_.])(?<![0-9A-Za-z]-)[0-9]+(?:[ \-][0-9]+)+(?![0-9A-Za-z_])")


@dataclass(frozen=True)
class Hit:
    where: str
    last4: str
    digits: int

    def __str__(self) -> str:
        return f"{self.where}: {self.digits}-digit card number ending {self.last4}"


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def is_card_number(digits: str) -> bool:
    return MIN_DIGITS <= len(digits) <= MAX_DIGITS and digits[:1] in CARD_PREFIXES and luhn_valid(digits)


def card_numbers(text: str) -> list[str]:
    """Every card number in `text` (the digits only, each once per place found)."""
    found = [m.group(0) for m in _SOLID.finditer(text) if is_card_number(m.group(0))]
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
                if is_card_number(joined):
                    found.append(joined)
                    break
    return found


def scan_text(where: str, text: str) -> list[Hit]:
    return [Hit(where, digits[-4:], len(digits)) for digits in card_numbers(text)]


def scan_bytes(where: str, data: bytes) -> list[Hit]:
    """Raw bytes as Latin-1; a ZIP archive is also opened and each of its entries scanned."""
    hits = scan_text(where, data.decode("latin-1"))
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist()[:MAX_ZIP_ENTRIES]:
                    if info.is_dir() or info.file_size > MAX_ENTRY_BYTES:
                        continue
                    hits += scan_bytes(f"{where}!{info.filename}", archive.read(info))
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            hits.append(Hit(f"{where} (unreadable ZIP: {type(exc).__name__})", "????", 0))
    return hits
