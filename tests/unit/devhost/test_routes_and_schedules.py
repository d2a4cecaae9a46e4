from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devhost.ncrontab import Schedule
from devhost.routes import RouteTable


def test_literal_routes_win_over_parameters_and_catch_all() -> None:
    t = RouteTable()
    t.add("{*path}", ["GET"], "fallback")
    t.add("accounts/{accountId}/members", ["GET"], "members")
    t.add("accounts/{accountId}/members/me", ["GET"], "me-literal")
    t.add("items/{n:int}", ["GET"], "int")
    t.add("items/{name}", ["GET"], "name")
    assert t.resolve("GET", "accounts/a1/members") == ("members", {"accountId": "a1"})
    assert t.resolve("GET", "accounts/a1/members/me") == ("me-literal", {"accountId": "a1"})
    assert t.resolve("GET", "items/42") == ("int", {"n": "42"})
    assert t.resolve("GET", "items/abc") == ("name", {"name": "abc"})
    assert t.resolve("GET", "nothing/here") == ("fallback", {"path": "nothing/here"})
    assert t.resolve("POST", "items/42") is None


def test_route_params_are_url_decoded() -> None:
    t = RouteTable()
    t.add("files/{name}", ["GET"], "f")
    assert t.resolve("GET", "files/a%20b") == ("f", {"name": "a b"})


@pytest.mark.parametrize(
    ("expr", "after", "expected"),
    [
        ("0 */5 * * * *", "2026-01-01T00:03:10", "2026-01-01T00:05:00"),
        ("0 15 3 * * *", "2026-01-01T03:15:00", "2026-01-02T03:15:00"),
        ("30 0 9 * * Mon-Fri", "2026-01-02T10:00:00", "2026-01-05T09:00:30"),  # Friday -> Monday
        ("0 0 0 1 * *", "2026-01-15T00:00:00", "2026-02-01T00:00:00"),
        ("*/20 * * * * *", "2026-01-01T00:00:41", "2026-01-01T00:01:00"),
    ],
)
def test_ncrontab_next_occurrence(expr: str, after: str, expected: str) -> None:
    start = datetime.fromisoformat(after).replace(tzinfo=UTC)
    assert Schedule.parse(expr).next_after(start) == datetime.fromisoformat(expected).replace(tzinfo=UTC)


def test_ncrontab_rejects_five_fields() -> None:
    with pytest.raises(ValueError):
        Schedule.parse("*/5 * * * *")
