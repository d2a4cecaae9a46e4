"""The shared input types (core/domain/inputs.py), the body parser's duplicate-key refusal and the sealed
continuation tokens (core/services/paging.py)."""

from __future__ import annotations

import json
import types
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any, Union, get_args, get_origin

import azure.functions as func
import pytest
from pydantic import BaseModel, EmailStr, TypeAdapter, ValidationError

import function_app  # noqa: F401 - registers every endpoint
from core.domain.errors import ValidationFailed
from core.domain.inputs import (
    EARLIEST,
    LATEST,
    MULTI_LINE,
    SINGLE_LINE,
    ApiDatetime,
    ContinuationToken,
    EmailAddress,
    MultiLine,
    SingleLine,
    control_character,
    duplicate_key,
)
from core.domain.tracking import PingIn
from core.services.paging import PageTokens
from core.signing import LinkSigner
from functions._http import ENDPOINTS, _parse_body

DATES = TypeAdapter(ApiDatetime)

# ---------------------------------------------------------------- date-times


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00+14:00",  # before year 1 in UTC: converting it would overflow
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
        "9999-12-31T23:59:59.999999Z",
        "1999-12-31T23:59:59.999999Z",
        "2000-01-01T00:00:00+00:01",  # 1999-12-31T23:59Z
        "2100-01-01T00:00:00Z",
        "2099-12-31T23:59:59-00:01",  # 2100-01-01T00:00:59Z
    ],
)
def test_date_times_outside_the_range_are_input_errors(text: str) -> None:
    with pytest.raises(ValidationError) as err:
        DATES.validate_json(json.dumps(text))
    assert "between 2000-01-01T00:00:00Z" in err.value.errors()[0]["msg"]


@pytest.mark.parametrize(
    "text",
    [
        "2000-01-01T00:00:00Z",
        "2000-01-01T00:00:00-14:00",
        "2099-12-31T23:59:59.999999Z",
        "2100-01-01T00:00:00+00:01",
        "2026-03-08T02:30:00-05:00",
    ],
)
def test_date_times_inside_the_range_are_accepted_and_convert_to_utc(text: str) -> None:
    value = DATES.validate_json(json.dumps(text))
    assert EARLIEST <= value.astimezone(UTC) < LATEST


def test_the_range_is_safe_under_any_offset() -> None:
    for offset in (timedelta(hours=-23, minutes=-59), timedelta(hours=23, minutes=59)):
        for bound in (EARLIEST, LATEST - timedelta(microseconds=1)):
            shifted = bound.astimezone(timezone(offset))
            assert shifted.astimezone(UTC) == bound  # no OverflowError at either end


def test_a_date_time_without_offset_or_as_a_huge_number_is_refused() -> None:
    for raw in ('"2026-01-01T00:00:00"', "99999999999999", '"+275760-09-13T00:00:00Z"'):
        with pytest.raises(ValidationError):
            DATES.validate_json(raw)


def test_a_ping_with_an_edge_timestamp_is_refused_by_its_own_model() -> None:
    ping = {
        "id": "7a1c4bb2-8f51-4d3c-9a71-0d9d4a0f3c11",
        "timestamp": "0001-01-01T00:00:00+14:00",
        "latitude": 1.0,
        "longitude": 1.0,
        "horizontalAccuracy": 5.0,
        "source": "gps",
    }
    with pytest.raises(ValidationError) as err:
        PingIn.model_validate(ping)
    assert err.value.errors()[0]["loc"] == ("timestamp",)


# ---------------------------------------------------------------- text

REFUSED_EVERYWHERE = ["\x00", "\x01", "\x1b", "\x7f", "\x80", "\x85", "\x9f", "\u202e", "\u2066"]
LINE_BREAKS = ["\r", "\n", "\r\n", "\t"]


@pytest.mark.parametrize("ch", REFUSED_EVERYWHERE + LINE_BREAKS + ["\u2028", "\u2029", "\x0b", "\x0c"])
def test_single_line_text_refuses_every_control_character(ch: str) -> None:
    adapter = TypeAdapter(SingleLine)
    for text in (f"Ada{ch}Bcc: x@example.com", f"{ch}Ada", f"Ada{ch}"):  # at the ends too: refused, not trimmed
        with pytest.raises(ValidationError) as err:
            adapter.validate_python(text)
        assert "single line" in err.value.errors()[0]["msg"]


@pytest.mark.parametrize("ch", [*REFUSED_EVERYWHERE, "\x0b", "\x0c"])
def test_multi_line_text_refuses_other_control_characters(ch: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(MultiLine).validate_python(f"line one{ch}line two")


def test_multi_line_text_keeps_line_breaks_and_tabs_and_both_keep_ordinary_unicode() -> None:
    text = "Site visit:\n\t- gate code 1234\r\n\t- ask for Zoë\u2028(later)"
    assert TypeAdapter(MultiLine).validate_python(text) == text
    for name in ("Zoë O'Brien-Łukasiewicz", "山田 太郎", "محمد\u200cعلی", "👩\u200d🔧 crew", "Nguyễn Văn A"):
        assert TypeAdapter(SingleLine).validate_python(name) == name
    assert control_character("plain", multiline=False) is None
    assert control_character("a\u2029b", multiline=False) == "U+2029"


# ---------------------------------------------------------------- every accepted field uses the shared types


def _leaves(tp: Any, meta: tuple[Any, ...], path: str) -> Iterator[tuple[Any, tuple[Any, ...], str]]:
    origin = get_origin(tp)
    if origin is Annotated:
        base, *more = get_args(tp)
        yield from _leaves(base, meta + tuple(more), path)
    elif origin in (Union, types.UnionType):
        for arg in get_args(tp):
            yield from _leaves(arg, meta, path)
    elif origin in (list, set, tuple, dict):
        for arg in get_args(tp):
            yield from _leaves(arg, (), path + "[]")
    elif isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, info in tp.model_fields.items():
            yield from _leaves(info.annotation, tuple(info.metadata), f"{path}.{info.alias or name}")
    else:
        yield tp, meta, path


def _accepted_fields() -> list[tuple[Any, tuple[Any, ...], str]]:
    models: dict[str, type[BaseModel]] = {"PingIn": PingIn}  # PingBatch.pings are validated one by one as PingIn
    for spec in ENDPOINTS:
        for model in (spec.body, spec.query):
            if model is not None:
                models[model.__name__] = model
    return [leaf for name, model in sorted(models.items()) for leaf in _leaves(model, (), name)]


def _is_date_time(tp: Any) -> bool:  # datetime itself or one of pydantic's datetime types (AwareDatetime...)
    return (isinstance(tp, type) and issubclass(tp, datetime)) or getattr(tp, "__name__", "").endswith("Datetime")


def test_every_date_time_the_api_accepts_is_the_bounded_type() -> None:
    bounded = get_args(ApiDatetime)[1]
    found = [(path, meta) for tp, meta, path in _accepted_fields() if _is_date_time(tp)]
    assert len(found) >= 10, found  # ping timestamps, capture time, note times, every from/to, effectiveAt
    wrong = [path for path, meta in found if bounded not in meta]
    assert not wrong, f"date-times accepted without the shared bounded type: {wrong}"


def test_every_text_the_api_accepts_refuses_control_characters() -> None:
    texts = [(path, meta) for tp, meta, path in _accepted_fields() if tp is str]
    assert len(texts) >= 30, texts
    wrong = [
        path
        for path, meta in texts
        if SINGLE_LINE not in meta and MULTI_LINE not in meta and not any(getattr(m, "pattern", None) for m in meta)
    ]
    assert not wrong, f"text accepted without SINGLE_LINE / MULTI_LINE or a pattern: {wrong}"
    emails = [(path, meta) for tp, meta, path in _accepted_fields() if tp is EmailStr]
    assert len(emails) >= 3 and all(SINGLE_LINE in meta for _, meta in emails), emails
    for bad in ("a@example.com\r\nBcc: b@example.com", "a\x00@example.com", "a@example.com\u2028", "\ta@example.com"):
        with pytest.raises(ValidationError):
            TypeAdapter(EmailAddress).validate_python(bad)
    loose = [path for tp, _, path in _accepted_fields() if tp is Any]
    assert loose == ["PingBatch.pings[]"], loose


def test_continuation_tokens_are_only_the_sealed_alphabet() -> None:
    adapter = TypeAdapter(ContinuationToken)
    for bad in ('[{"token":"x"}]', "abc\r\ndef.x", "a.b\n", "a b.c", "x" * 9000 + ".y", "nodot"):
        with pytest.raises(ValidationError):
            adapter.validate_python(bad)
    assert adapter.validate_python("eyJjIjoieCJ9.c2ln") == "eyJjIjoieCJ9.c2ln"


# ---------------------------------------------------------------- duplicate keys


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b'{"fullName": "A", "fullName": "B"}', "fullName"),
        (b'{"billingAddress": {"city": "A", "line1": "x", "city": "B"}}', "billingAddress.city"),
        (b'{"pings": [{"id": "1"}, {"id": "2", "source": "gps", "id": "3"}]}', "pings.1.id"),
        (b'{"a": 1, "\\u0061": 2}', "a"),  # the same name, escaped
        (b'[{"x": 1, "x": 1}]', "0.x"),
    ],
)
def test_duplicate_keys_are_found_at_any_depth(raw: bytes, path: str) -> None:
    assert duplicate_key(raw) == path


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": 1, "b": {"a": 2}}',
        b'[{"a": 1}, {"a": 2}]',
        b"not json",
        b"\xff\xfe",
        b'{"a": NaN}',
        b"[" * 5000,
        b'"text"',
    ],
)
def test_no_duplicate_is_reported_for_distinct_keys_or_for_what_is_not_json(raw: bytes) -> None:
    assert duplicate_key(raw) is None


class _Body(BaseModel):
    name: str
    inner: dict[str, int] = {}


def _request(body: bytes) -> func.HttpRequest:
    return func.HttpRequest(
        method="POST", url="http://localhost/api/x", body=body, headers={"Content-Type": "application/json"}
    )


def test_the_body_parser_refuses_duplicate_keys_naming_the_member() -> None:
    with pytest.raises(ValidationFailed) as err:
        _parse_body(_request(b'{"name": "admin", "inner": {"n": 1, "n": 2}}'), _Body, 10_000)
    assert [e.field for e in err.value.errors] == ["inner.n"]
    assert "more than once" in (err.value.detail or "")
    with pytest.raises(ValidationFailed) as err:
        _parse_body(_request(b'{"name": "a", "name": "b"}'), _Body, 10_000)
    assert [e.field for e in err.value.errors] == ["name"]
    parsed = _parse_body(_request(b'{"name": "a", "inner": {"n": 1, "m": 2}}'), _Body, 10_000)
    assert isinstance(parsed, _Body) and parsed.inner == {"n": 1, "m": 2}


# ---------------------------------------------------------------- continuation tokens

KEY, OLD_KEY = b"page-token-key-0123456789abcdef", b"old-page-token-key-0123456789ab"
COSMOS = '[{"compositeToken":"{\\"token\\":\\"-RID:~abc==#RT:1#TRC:2\\",\\"range\\":{}}","orderByItems":[{"item":1}]}]'


def _pages(key: bytes = KEY, previous: list[bytes] | None = None) -> PageTokens:
    return PageTokens(LinkSigner(key, previous_keys=previous))


def test_a_sealed_token_gives_back_the_store_cursor_for_the_same_list_only() -> None:
    pages, scope = _pages(), ("notes", "acc-1", "user-1", None, None)
    token = pages.seal(scope, COSMOS)
    assert token is not None and TypeAdapter(ContinuationToken).validate_python(token) == token
    assert "\n" not in token and '"' not in token
    assert pages.open(scope, token) == COSMOS
    assert pages.seal(scope, None) is None and pages.open(scope, None) is None
    for other in (
        ("photos", "acc-1", "user-1", None, None),
        ("notes", "acc-2", "user-1", None, None),
        ("notes", "acc-1", "user-2", None, None),
        ("notes", "acc-1", "user-1", "2026-01-01", None),
    ):
        with pytest.raises(ValidationFailed) as err:
            pages.open(other, token)
        assert [e.field for e in err.value.errors] == ["query.continuation"]


def test_tampered_forged_or_injected_tokens_are_refused() -> None:
    pages, scope = _pages(), ("access-log", "acc-1", "user-1")
    token = pages.seal(scope, COSMOS)
    assert token is not None
    body, mac = token.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    forged = LinkSigner(b"someone-elses-key-0123456789abcd").sign("page:x", {"c": "\r\nX-Injected: 1"})
    for bad in (
        f"{flipped}.{mac}",
        f"{body}.{mac[:-1]}",
        body,
        "abc\r\nX-Injected: 1",
        forged,
        "\u00e9.\u00e9",
        _pages(b"another-service-key-0123456789ab").seal(scope, COSMOS) or "",
    ):
        with pytest.raises(ValidationFailed) as err:
            pages.open(scope, bad)
        assert [e.field for e in err.value.errors] == ["query.continuation"]


def test_tokens_minted_before_a_key_rotation_still_open() -> None:
    scope = ("photos", "acc-1", None, None, None)
    old = _pages(OLD_KEY).seal(scope, COSMOS)
    assert _pages(KEY, previous=[OLD_KEY]).open(scope, old) == COSMOS
    with pytest.raises(ValidationFailed):
        _pages(KEY).open(scope, old)
