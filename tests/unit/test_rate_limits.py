"""Abuse limits (docs/abuse-limits.md) on fakes: the rates and their windows, each policy refusing the call after
its rate with the seconds until its window ends, and the one place the endpoints declare them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

import function_app  # noqa: F401 - registers every endpoint (functions/_http.py ENDPOINTS)
from core.domain import rate_limits as limits
from core.domain.errors import TooManyRequests
from core.domain.rate_limits import POLICIES, LimitPolicy, Per, Rate
from core.services import rate_limits
from functions._http import ENDPOINTS
from tests.unit.fakes import FakeClock, FakeRateLimiter
from tests.unit.roots import fake_root, unit_settings

AT = datetime(2026, 6, 1, 12, 0, 20, tzinfo=UTC)  # 20 s into a minute, an hour and a day


def test_a_rate_is_a_count_per_window() -> None:
    assert Rate.parse("20/h") == Rate(20, 3600)
    assert Rate.parse(" 600 / m ") == Rate(600, 60)
    assert Rate.parse("5/10m") == Rate(5, 600)
    assert Rate.parse("3/d") == Rate(3, 86400)
    for bad in ("", "20", "0/h", "20/y", "-1/h", "20/0h", "h/20", "1e3/m"):
        with pytest.raises(ValueError, match="not a rate"):
            Rate.parse(bad)


def test_windows_are_aligned_on_the_epoch_and_say_when_they_end() -> None:
    minute = Rate(10, 60).window(AT)
    assert minute.start == int(AT.timestamp()) - 20 and minute.retry_after == 40
    hour = Rate(10, 3600).window(AT)
    assert hour.start == int(datetime(2026, 6, 1, 12, tzinfo=UTC).timestamp()) and hour.retry_after == 3580
    assert Rate(10, 60).window(AT + timedelta(seconds=39, milliseconds=900)).retry_after == 1  # never 0


def test_the_app_does_not_start_with_a_limit_it_cannot_read() -> None:
    with pytest.raises(ValidationError, match="not a rate"):
        unit_settings(RATE_LIMIT_INVITATIONS="lots")
    assert unit_settings(RATE_LIMIT_INVITATIONS=" 5/10m ").rate_limit_invitations == "5/10m"


def test_every_policy_has_its_rate_from_the_settings() -> None:
    root = fake_root(unit_settings(RATE_LIMIT_DEVICE_TOKENS="7/d"))
    assert set(root.rate_limits) == {p.name for p in POLICIES}
    assert root.rate_limits[limits.DEVICE_TOKENS.name] == Rate(7, 86400)
    assert len({p.name for p in POLICIES}) == len(POLICIES)  # a name is part of each counter's id


def _enforce(policy: LimitPolicy, subject: str, limiter: FakeRateLimiter, clock: FakeClock, rate: Rate) -> None:
    rate_limits.enforce(
        limit=policy, subject=subject, rate_limiter=limiter, rate_limits={policy.name: rate}, clock=clock
    )


@pytest.mark.parametrize("policy", POLICIES, ids=[p.name for p in POLICIES])
def test_each_policy_refuses_the_call_after_its_rate_until_its_window_ends(policy: LimitPolicy) -> None:
    limiter, clock, rate = FakeRateLimiter(), FakeClock(AT), Rate(3, 60)
    subject = "203.0.113.0/24" if policy.per is Per.NETWORK else "user:u-1"
    for _ in range(3):
        _enforce(policy, subject, limiter, clock, rate)
    with pytest.raises(TooManyRequests) as refused:
        _enforce(policy, subject, limiter, clock, rate)
    assert refused.value.status == 429 and refused.value.retry_after == 40
    assert "at most 3 in 1 minute" in refused.value.detail and "40 s" in refused.value.detail

    _enforce(policy, subject + "-other", limiter, clock, rate)  # another subject has its own counter
    clock.advance(seconds=40)
    _enforce(policy, subject, limiter, clock, rate)  # the next window starts afresh
    assert all(subject not in key for key in limiter.calls)  # counters keep a digest of the subject, never it
    assert set(limiter.expiries.values()) == {60 + rate_limits.EXPIRY_MARGIN_SECONDS}


def test_a_request_without_a_known_network_is_not_limited_per_network() -> None:
    limiter, clock = FakeRateLimiter(), FakeClock(AT)
    for _ in range(5):
        _enforce(limits.PAGE_VIEWS, limits.UNKNOWN_NETWORK, limiter, clock, Rate(1, 60))
    assert limiter.calls == {}


# Where each policy applies (functions/*.py, `limits=` of endpoint(...)): a change here is a change of the API.
DECLARED = {
    ("POST", "accounts"): {"sign-up-network", "sign-up"},
    ("PATCH", "me"): {"email-changes"},
    ("POST", "me/email-verification"): {"email-changes"},
    ("POST", "accounts/{accountId}/invitations"): {"invitations"},
    ("POST", "me/data-requests"): {"data-requests"},
    ("POST", "me/devices"): {"device-tokens"},
    ("POST", "analytics/page-views"): {"page-views"},
    ("GET", "invitations/{token}"): {"invitation-links"},
    ("POST", "invitations/{token}/accept"): {"invitation-links"},
    ("POST", "me/locations"): {"ingest-member"},
    ("POST", "ingest/owntracks"): {"ingest-device"},
    ("POST", "ingest/overland"): {"ingest-device"},
    ("GET", "ingest/traccar"): {"ingest-device"},
    ("POST", "ingest/traccar"): {"ingest-device"},
    ("GET", "ingest/gpslogger"): {"ingest-device"},
    ("POST", "ingest/gpslogger"): {"ingest-device"},
}


def test_the_limited_endpoints_are_the_ones_that_cost_money_or_reach_people() -> None:
    declared = {(e.method, e.route): {p.name for p in e.limits} for e in ENDPOINTS if e.limits}
    assert declared == DECLARED
    assert {name for names in DECLARED.values() for name in names} == {p.name for p in POLICIES}


def test_a_generous_limit_is_leased_ten_calls_a_request_and_never_admits_more_than_the_limit() -> None:
    store, clock = FakeRateLimiter(), FakeClock()
    leased = rate_limits.LeasedRateLimiter(store, clock=clock)
    taken = [leased.take(key="k", limit=205, expires_after_seconds=120) for _ in range(210)]
    assert taken == [True] * 205 + [False] * 5
    # 20 leases of ten, then the last five one by one (a lease no longer fits), then five refusals
    assert store.requests == 20 + 1 + 5 + 5 and store.calls["k"] == 205


def test_two_processes_share_the_counter_and_a_lease_left_unused_counts_against_the_subject() -> None:
    store, clock = FakeRateLimiter(), FakeClock()
    one, two = (rate_limits.LeasedRateLimiter(store, clock=clock) for _ in range(2))
    assert one.take(key="k", limit=200, expires_after_seconds=120)  # leases ten, uses one
    assert all(two.take(key="k", limit=200, expires_after_seconds=120) for _ in range(190))
    assert not two.take(key="k", limit=200, expires_after_seconds=120)  # 191 used, but `one` holds nine
    assert all(one.take(key="k", limit=200, expires_after_seconds=120) for _ in range(9))
    assert not one.take(key="k", limit=200, expires_after_seconds=120)


def test_small_limits_are_counted_one_by_one_exactly() -> None:
    store, clock = FakeRateLimiter(), FakeClock()
    leased = rate_limits.LeasedRateLimiter(store, clock=clock)
    assert [leased.take(key="s", limit=3, expires_after_seconds=60) for _ in range(4)] == [True] * 3 + [False]
    assert store.requests == 4 and store.calls["s"] == 3


def test_leases_of_ended_windows_are_forgotten() -> None:
    store, clock = FakeRateLimiter(), FakeClock()
    leased = rate_limits.LeasedRateLimiter(store, clock=clock)
    for window in range(5):
        assert leased.take(key=f"w{window}", limit=1200, expires_after_seconds=120)
        clock.advance(seconds=121)
    leased.take(key="now", limit=1200, expires_after_seconds=120)
    assert set(leased._left) == {"now"}  # the process keeps only the live windows in memory
