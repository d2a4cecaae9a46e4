"""Visits are personal data: the registry's `site-visits` kind ages them with the location retention, exports and
erases one member's days, and a closed account's purge plan removes them (docs/job-sites.md)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from bench.purge_bench import create_scratch_database
from core.adapters.cosmos import build_cosmos_client
from core.adapters.cosmos_job_sites import CosmosSiteDayStore
from core.adapters.cosmos_privacy import registered_kinds
from core.domain.site_visits import SiteDay, Visit, local_day_bounds
from core.services.retention import EXPECTED_KINDS
from core.settings import Settings
from tests.integration.conftest import Stack


@pytest.fixture
def scratch(stack: Stack) -> Iterator[Settings]:
    settings = Settings(COSMOS_DATABASE=f"{os.environ['COSMOS_DATABASE']}-sites-{uuid.uuid4().hex[:6]}")
    client = build_cosmos_client(settings)
    create_scratch_database(client, settings.cosmos_database)
    try:
        yield settings
    finally:
        client.delete_database(settings.cosmos_database)


def site_day(account_id: str, user_id: str, day: date) -> SiteDay:
    start, end = local_day_bounds(day, "America/Chicago")
    visit = Visit(site_id="s1", start=start + timedelta(hours=9), end=start + timedelta(hours=12))
    return SiteDay(account_id=account_id, user_id=user_id, day=day, time_zone="America/Chicago", day_start=start,
                   day_end=end, events=[], visits=[visit], stops=[], trips=[], inside_at_end=[], ping_count=10,
                   evaluated_at=datetime.now(UTC))


def test_site_visits_are_aged_exported_and_erased(scratch: Settings) -> None:
    database = build_cosmos_client(scratch).get_database_client(scratch.cosmos_database)
    kind = next(k for k in registered_kinds(database, sink=None) if k.name == "site-visits")  # type: ignore[arg-type]
    assert {"site-visits", "job-sites", "job-site-cells"} <= set(EXPECTED_KINDS)
    assert kind.retention == "location" and kind.kept_for is None  # location retention; nothing kept after closure
    days = CosmosSiteDayStore(database)
    account_id, other_account = str(uuid.uuid4()), str(uuid.uuid4())
    today = datetime.now(UTC).date()
    for user_id in ("w-1", "w-2"):
        for age in (400, 10, 1):
            assert days.put_day(site_day(account_id, user_id, today - timedelta(days=age)), version=None)
    assert days.put_day(site_day(other_account, "w-1", today - timedelta(days=400)), version=None)

    cutoff = datetime.now(UTC) - timedelta(days=365)
    expired = kind.expired(account_id=account_id, before=cutoff, continuation=None, limit=10).items
    old = (today - timedelta(days=400)).isoformat()
    assert sorted((r.user_id, r.doc_id) for r in expired) == [(u, f"site-day-{u}-{old}") for u in ("w-1", "w-2")]
    assert len(kind.expired(account_id=account_id, before=None, continuation=None, limit=10).items) == 6  # closure
    exported = list(kind.export(account_id=account_id, user_id="w-1"))
    assert len(exported) == 3 and {d["user_id"] for d in exported} == {"w-1"}
    assert all(d["visits"][0]["site_id"] == "s1" for d in exported)

    for ref in kind.of_user(account_id=account_id, user_id="w-1", continuation=None, limit=10).items:
        assert kind.delete(ref)
    assert days.list_days(account_id, user_id="w-1", first=today - timedelta(days=500), last=today) == []
    assert len(days.list_days(account_id, user_id="w-2", first=today - timedelta(days=500), last=today)) == 3
    assert kind.count(account_id=other_account) == 1  # another account's days are untouched
