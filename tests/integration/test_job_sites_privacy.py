"""Visits are personal data: the registry's `site-visits` kind ages them with the location retention, exports and
erases one member's days, and a closed account's purge plan removes them. An erased member's id leaves every
site's assignment list, in the site and in its cell entries (docs/job-sites.md)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from bench.lib.stack import create_scratch_database
from core.adapters.cosmos import build_cosmos_client
from core.adapters.cosmos_job_sites import CosmosJobSiteStore, CosmosSiteDayStore
from core.adapters.privacy_job_sites import job_site_kinds
from core.domain.job_sites import CircleArea, JobSite, cells_covering
from core.domain.site_visits import SiteDay, Visit, local_day_bounds
from core.services.retention import EXPECTED_KINDS
from core.settings import Settings
from tests.integration.conftest import Stack, add_member, register_owner
from tests.integration.test_data_requests_api import completed


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
    return SiteDay(
        account_id=account_id,
        user_id=user_id,
        day=day,
        time_zone="America/Chicago",
        day_start=start,
        day_end=end,
        events=[],
        visits=[visit],
        stops=[],
        trips=[],
        inside_at_end=[],
        ping_count=10,
        evaluated_at=datetime.now(UTC),
    )


def test_site_visits_are_aged_exported_and_erased(scratch: Settings) -> None:
    database = build_cosmos_client(scratch).get_database_client(scratch.cosmos_database)
    kind = next(k for k in job_site_kinds(database) if k.name == "site-visits")
    assert {"site-visits", "job-sites", "job-site-cells"} <= set(EXPECTED_KINDS)
    assert kind.retention == "location" and kind.kept_for is None  # location retention; nothing kept after closure
    days = CosmosSiteDayStore(database)
    account_id, other_account = str(uuid.uuid4()), str(uuid.uuid4())
    today = datetime.now(UTC).date()
    for user_id in ("w-1", "w-2"):
        for age in (400, 10, 1):
            assert days.put_day(site_day(account_id, user_id, today - timedelta(days=age)), version=None, settled=True)
    assert days.put_day(site_day(other_account, "w-1", today - timedelta(days=400)), version=None, settled=True)

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


def stored_site(account_id: str, assigned: list[str]) -> JobSite:
    now = datetime.now(UTC)
    area = CircleArea.model_validate(
        {"kind": "circle", "centre": {"latitude": 44.97, "longitude": -93.26}, "radius": 100}
    )
    return JobSite(
        site_id=str(uuid.uuid4()),
        account_id=account_id,
        name="yard",
        area=area,
        assigned_member_ids=assigned,
        created_at=now,
        updated_at=now,
    )


def test_erasure_takes_the_member_out_of_every_assignment_and_closure_removes_the_sites(scratch: Settings) -> None:
    database = build_cosmos_client(scratch).get_database_client(scratch.cosmos_database)
    kinds = {k.name: k for k in job_site_kinds(database)}
    kind = kinds["job-sites"]
    assert kind.on_erasure == "anonymize" and kind.kept_for is None
    store = CosmosJobSiteStore(database)
    account_id = str(uuid.uuid4())
    shared, alone, everyone = (stored_site(account_id, ids) for ids in (["w-1", "w-2"], ["w-1"], []))
    for site in (shared, alone, everyone):
        store.put_site(site, cells_covering(site.geometry()))
    refs = kind.of_user(account_id=account_id, user_id="w-1", continuation=None, limit=1)
    assert len(refs.items) == 1 and refs.continuation is not None  # keyset pages like every kind
    refs = kind.of_user(account_id=account_id, user_id="w-1", continuation=None, limit=10)
    assert sorted(r.doc_id for r in refs.items) == sorted(f"job-site-{s.site_id}" for s in (shared, alone))
    assert all(kind.anonymize(r) for r in refs.items)
    assert not any(kind.anonymize(r) for r in refs.items)  # twice: nothing more to do
    assert kind.of_user(account_id=account_id, user_id="w-1", continuation=None, limit=10).items == []
    after = {s.site_id: s for s in store.sites_in_cells(account_id, cells_covering(shared.geometry()))[0]}
    assert after[shared.site_id].assigned_member_ids == ["w-2"]  # the cell copies the writer reads changed too
    assert after[alone.site_id].assigned_member_ids == [] and after[alone.site_id].assignees_erased
    assert not after[alone.site_id].applies_to("w-3")  # nobody, not everyone
    assert after[everyone.site_id].applies_to("w-3") and not after[everyone.site_id].assignees_erased
    # Closure: after the window the purge plan lists every site and cell entry of the account for deletion.
    for name in ("job-sites", "job-site-cells"):
        closure = kinds[name].expired(account_id=account_id, before=None, continuation=None, limit=100).items
        assert closure and all(kinds[name].delete(r) for r in closure)
    assert store.list_sites(account_id, after=None, limit=10) == ([], None)
    assert store.sites_in_cells(account_id, cells_covering(shared.geometry())) == ([], {})


def test_a_members_erasure_request_empties_their_assignments(api: httpx.Client) -> None:
    owner = register_owner(api)
    worker, other, newcomer = add_member(api, owner), add_member(api, owner), add_member(api, owner)
    base = f"/accounts/{owner.account_id}/job-sites"
    area = {"kind": "circle", "centre": {"latitude": 44.97, "longitude": -93.26}, "radius": 100}
    ids = {}
    for name, assigned in (("shared", [worker.user_id, other.user_id]), ("theirs", [worker.user_id]), ("all", [])):
        r = api.post(base, json={"name": name, "area": area, "assignedMemberIds": assigned}, headers=owner.auth)
        assert r.status_code == 201, r.text
        ids[name] = r.json()["siteId"]
    r = api.post("/me/data-requests", json={"type": "erasure"}, headers=worker.auth)
    assert r.status_code == 202, r.text
    done = completed(api, worker, r.json()["requestId"])
    assert done["erased"]["job-sites"] == 2
    sites = {s["name"]: s for s in api.get(base, headers=owner.auth).json()["items"]}
    assert sites["shared"]["assignedMemberIds"] == [other.user_id] and not sites["shared"]["assigneesErased"]
    assert sites["theirs"]["assignedMemberIds"] == [] and sites["theirs"]["assigneesErased"]
    mine = {s["name"] for s in api.get("/me/job-sites", headers=newcomer.auth).json()["items"]}
    assert mine == {"all"}  # the emptied site applies to nobody until the owner assigns it again
    r = api.patch(f"{base}/{ids['theirs']}", json={"assignedMemberIds": []}, headers=owner.auth)
    assert r.status_code == 200 and r.json()["assigneesErased"] is False
    mine = {s["name"] for s in api.get("/me/job-sites", headers=newcomer.auth).json()["items"]}
    assert mine == {"all", "theirs"}  # an empty list the owner chose: everyone
