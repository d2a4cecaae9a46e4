"""Optional analytics through the real local host (docs/privacy-signals.md): the API's own consent and GPC rule,
bad input refused with nothing stored, the request log line's minimised client, and page views in the privacy
registry: a signed-in person's export and erasure, and the retention purge of old views."""

from __future__ import annotations

import json
import secrets
import string
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from core.adapters.cosmos import build_cosmos_client
from core.adapters.cosmos_page_views import CosmosPageViewStore
from core.domain.page_views import PageView
from tests.helpers import wait_for
from tests.integration.conftest import Stack, User, add_member, bearer, new_identity, register_owner
from tests.integration.test_data_requests_api import completed, export
from tests.integration.test_retention_api import fire_purge

EVENTS = "/analytics/page-views"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture(name="views")
def views_fixture(stack: Stack) -> CosmosPageViewStore:
    database = build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database)
    return CosmosPageViewStore(database)


def _probe() -> str:
    return "/probe-" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(12))


def _stored(views: CosmosPageViewStore, path: str) -> int:
    today = datetime.now(UTC).date()
    return sum(
        1
        for day in (today - timedelta(days=1), today)
        for row in views.day_summaries(day, limit=100_000)
        if row[0] == path
    )


def test_the_api_records_only_with_consent_and_never_under_gpc(
    api: httpx.Client, stack: Stack, views: CosmosPageViewStore
) -> None:
    path = _probe()
    r = api.post(EVENTS, json={"path": path, "consent": False})
    assert (r.status_code, r.json()) == (202, {"recorded": False, "decision": "no-consent"})
    for gpc in ("1",):
        r = api.post(EVENTS, json={"path": path, "consent": True}, headers={"Sec-GPC": gpc})
        assert (r.status_code, r.json()) == (202, {"recorded": False, "decision": "global-privacy-control"})
    for body, field in (
        ({"consent": True}, "path"),
        ({"path": path}, "consent"),
        ({"path": path, "consent": True, "userId": "someone"}, "userId"),
        ({"path": path + "\u0000", "consent": True}, "path"),
    ):
        r = api.post(EVENTS, json=body)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
        assert field in {e["field"] for e in r.json()["errors"]}, r.text
    r = api.post(EVENTS, json={"path": path, "consent": True}, headers=bearer("not-a-token"))
    assert r.status_code == 401
    assert _stored(views, path) == 0

    # With consent: one event, kept minimally; the request's log line names the client only as families.
    r = api.post(
        EVENTS,
        json={"path": path + "?email=ada%40example.com#x", "consent": True},
        headers={"User-Agent": FIREFOX, "X-Forwarded-For": "10.0.0.7, 198.51.100.77:61000"},
    )
    assert (r.status_code, r.json()) == (202, {"recorded": True, "decision": "recorded"})
    assert _stored(views, path) == 1
    line = wait_for(
        lambda: next(
            (
                ln
                for ln in stack.log_path.read_text(errors="replace").splitlines()
                if "POST analytics/page-views -> 202" in ln and "198.51.100.0/24" in ln
            ),
            None,
        ),
        timeout=10,
        what="the request's log line",
    )
    assert "Firefox on Linux" in line and "invocation " in line
    log_text = stack.log_path.read_text(errors="replace")
    for raw in ("198.51.100.77", "10.0.0.7", "rv:128.0", "ada%40example.com", "not-a-token", path):
        assert raw not in log_text


def test_a_signed_in_persons_views_are_exported_and_erased(api: httpx.Client, views: CosmosPageViewStore) -> None:
    owner = register_owner(api)
    member = add_member(api, owner)
    path = _probe()
    r = api.post(EVENTS, json={"path": path, "consent": True}, headers={**member.auth, "User-Agent": FIREFOX})
    assert r.json()["recorded"] is True
    api.post(EVENTS, json={"path": path, "consent": True}, headers=owner.auth)  # the owner's own: not the member's
    zf = export(api, member)
    mine = json.loads(zf.read("page-views.json"))
    assert [(v["path"], v["browser"], v["os"]) for v in mine] == [(path, "Firefox", "Linux")]
    assert set(mine[0]) == {"at", "path", "browser", "os", "network"}
    assert "page-views.json" in zf.read("README.txt").decode()

    r = api.post("/me/data-requests", json={"type": "erasure"}, headers=member.auth)
    assert r.status_code == 202
    done = completed(api, member, r.json()["requestId"])
    assert done["erased"]["page-views"] == 1
    assert _stored(views, path) == 1  # the owner's view stays


def test_the_purge_deletes_views_older_than_the_retention(
    api: httpx.Client, stack: Stack, views: CosmosPageViewStore
) -> None:
    now = datetime.now(UTC)
    old_path, new_path = _probe(), _probe()
    days = stack.settings.retention_page_views_days
    for path, at in ((old_path, now - timedelta(days=days + 1)), (new_path, now - timedelta(days=days - 2))):
        views.add(
            PageView(
                view_id=uuid.uuid4().hex,
                day=at.date().isoformat(),
                at=at,
                path=path,
                browser="Firefox",
                os="Linux",
                network="203.0.113.0/24",
                user_id=None,
            )
        )
    run = fire_purge(api, stack, new_identity(admin=True))
    assert run["deleted"].get("page-views-aged", 0) >= 1
    old_day, new_day = (now - timedelta(days=days + 1)).date(), (now - timedelta(days=days - 2)).date()
    assert [row for row in views.day_summaries(old_day, limit=1000) if row[0] == old_path] == []
    assert [row for row in views.day_summaries(new_day, limit=1000) if row[0] == new_path]


def test_only_platform_admins_see_the_counts(api: httpx.Client) -> None:
    owner: User = register_owner(api)
    assert api.get("/admin/analytics/page-views", headers=owner.auth).status_code == 403
    admin = new_identity(admin=True)
    r = api.get("/admin/analytics/page-views", params={"days": 0}, headers=admin.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.days"
    counts = api.get("/admin/analytics/page-views", params={"days": 3}, headers=admin.auth).json()
    assert len(counts["byDay"]) == 3 and set(counts) >= {"total", "signedIn", "byPath", "byBrowser", "byOs"}
