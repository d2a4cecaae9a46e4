"""The Luhn scanner of proof row 11 finds planted card numbers and ignores ids, timestamps and non-Luhn numbers."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests import card_scan


@pytest.mark.parametrize(
    "text",
    [
        "4242424242424242",
        "paid with 4242 4242 4242 4242 yesterday",
        '{"phone": "5555-5555-5555-4444"}',
        "amex 3782 822463 10005.",
        "card[number]=4000000000000341&exp=12",
        "2223003122003222",  # Mastercard 2-series
        "6011111111111117",  # Discover
        "4111-1111-1111-1111\n",
    ],
)
def test_a_planted_card_number_is_found(text: str) -> None:
    hits = card_scan.scan_text("planted", text)
    assert len(hits) == 1 and hits[0].where == "planted"
    assert hits[0].last4 == "".join(ch for ch in text if ch.isdigit())[-4:] or hits[0].last4 in text


@pytest.mark.parametrize(
    "text",
    [
        "4242424242424241",  # fails Luhn
        "5555 5555 5555 4445",  # fails Luhn
        "1764387920127",  # epoch milliseconds (Luhn-valid, but no card starts with 1)
        "1764387920123456784",  # epoch nanoseconds, Luhn-valid
        "7000000000000005",  # Luhn-valid, not a card network prefix
        "3b62b2c8-4242-4242-4242-424242424242",  # a UUID
        "deadbeef4242424242424242cafe",  # hex
        "pm_4242424242424242",  # inside an identifier
        "44.4242424242424242",  # the fraction of a coordinate
        "+1 612 746 4017",  # a phone number
        "2026-11-29 03:25:20,123",  # a log timestamp
        "42424242424242424242",  # 20 digits (Luhn-valid, too long)
    ],
)
def test_ids_timestamps_and_non_luhn_numbers_are_ignored(text: str) -> None:
    assert card_scan.scan_text("x", text) == []


def test_cards_inside_bytes_and_zip_entries_are_found_and_reported_by_last_four_only() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("profile.json", json.dumps({"note": "card 5555555555554444"}))
        zf.writestr("clean.json", json.dumps({"t": 1764387920123}))
    data = buf.getvalue()
    assert b"5555555555554444" not in data  # compressed: only unpacking finds it
    hits = card_scan.scan_bytes("exports/a.zip", data)
    assert [(h.where, h.last4) for h in hits] == [("exports/a.zip!profile.json", "4444")]
    assert "5555555555554444" not in str(hits[0])
    assert card_scan.scan_bytes("blob", b"\xff\xd8\xff\x00" + b"4242424242424242" + b"\x00") != []


def test_the_groups_of_a_uuid_cut_by_a_line_break_are_not_a_card() -> None:
    # 4359 8498 39036 passes Luhn (13 digits from 4): inside a wrapped invitation link it is still an id's tail
    wrapped = "join?invitation=814294cc-4702-4359-8498-39036\nab80aa2"
    assert card_scan.card_numbers(wrapped) == []
    assert card_scan.card_numbers("card 4359-8498-39036\n") == ["4359849839036"]  # the same digits alone count
