"""Card-data guard: Luhn-valid 13-19 digit numbers in free text or card-like fields are found (and named by field),
ordinary numbers are not."""

from __future__ import annotations

import json
import time

import pytest

from core.services.card_guard import find_card_number, luhn_valid, text_has_pan


def body(doc: object) -> bytes:
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    "number",
    [
        "4242424242424242",  # Visa test card (16)
        "4000000000000341",
        "5555555555554444",  # Mastercard
        "378282246310005",  # Amex (15)
        "4222222222222",  # 13 digits
        "6011111111111117",
        "3530111333300000",
        "6250941006528599",  # UnionPay (16)
        "4000002500003155",
    ],
)
def test_known_test_cards_are_luhn_valid(number: str) -> None:
    assert luhn_valid(number) and text_has_pan(number)


@pytest.mark.parametrize(
    "text",
    [
        "card 4242 4242 4242 4242 exp 12/30",
        "4242-4242-4242-4242",
        "Amex 3782 822463 10005 please",
        "4242 4242 4242 4242 123",  # the CVC after the number
        "paid with 4242424242424242.",
        "(4242424242424242)",
    ],
)
def test_free_text_with_a_card_number_is_found(text: str) -> None:
    assert text_has_pan(text)


@pytest.mark.parametrize(
    "text",
    [
        "4242424242424241",  # one digit off: not Luhn-valid
        "call +1 (612) 746-4017",
        "order 123456789012",  # 12 digits
        "42424242424242424242",  # 20 digits: not a card number
        "2026-11-29T01:20:50Z",
        "readings 120 130 125 140 135",
        "uuid 3f1bcd35-ecf3-12c4-9a1b-0000000000ab",
        "device-3b62b2c83363434082128446dfb1ffc0",  # 17 digits inside a hex id
        "id 34b7b9c5-e171-4747-9238-93202a38aa69",
        "ref4242424242424242x",  # touching letters: part of an identifier, not a typed card number
        "ref 1764387920127",  # Luhn-valid epoch milliseconds: no card network starts with 1
        "meter 7992739871300",  # Luhn-valid, but 7 is no card network's first digit
        "",
    ],
)
def test_ordinary_text_is_not_flagged(text: str) -> None:
    assert not text_has_pan(text)


def test_the_answer_names_the_field_never_the_number() -> None:
    assert find_card_number(body({"phone": "4242424242424242"})) == "phone"
    assert find_card_number(body({"fullName": "Ada 4242 4242 4242 4242"})) == "fullName"
    assert find_card_number(body({"billingAddress": {"line1": "4242424242424242"}})) == "billingAddress.line1"
    assert find_card_number(body({"items": [{"note": "ok"}, {"note": "5555 5555 5555 4444"}]})) == "items.1.note"
    found = find_card_number(body({"note": "4242424242424242"}))
    assert found is not None and "4242" not in found


def test_card_like_fields_are_checked_also_as_numbers_and_with_any_separator() -> None:
    assert find_card_number(body({"cardNumber": 4242424242424242})) == "cardNumber"
    assert find_card_number(body({"card": {"number": "4242.4242.4242.4242"}})) == "card.number"
    assert find_card_number(body({"pan": "4242/4242/4242/4242"})) == "pan"


def test_numbers_in_other_fields_are_not_free_text() -> None:
    now_ms = int(time.time() * 1000)
    pings = {"pings": [{"t": now_ms + i, "lat": 44.97, "lon": -93.26, "accuracy": 12} for i in range(50)]}
    assert find_card_number(body(pings)) is None
    assert find_card_number(body({"amount": 4242424242424242})) is None


def test_many_random_ids_raise_no_false_alarm() -> None:
    import uuid

    ids = {"items": [{"id": str(uuid.uuid4()), "device": uuid.uuid4().hex} for _ in range(5000)]}
    assert find_card_number(body(ids)) is None


def test_escaped_digits_are_still_found() -> None:
    escaped = '{"note": "' + "".join(f"\\u{ord(c):04x}" for c in "4242424242424242") + '"}'
    assert find_card_number(escaped.encode()) == "note"


def test_bodies_that_are_not_json_are_scanned_as_text() -> None:
    assert find_card_number(b"{not json 4242424242424242") == "body"
    assert find_card_number(b"plain words") is None
    assert find_card_number(b"") is None
    assert find_card_number(body("4242424242424242")) == "body"
    assert find_card_number(body({"4242424242424242": "key of a map"})) == "body"
