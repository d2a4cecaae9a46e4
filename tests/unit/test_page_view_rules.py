"""Optional analytics' rules (core/domain/page_views.py, core/services/page_views.py): no consent, no event; consent,
an event; Global Privacy Control overrides consent. What an event keeps, and the admin's aggregate counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from core.domain.client_summary import ClientSummary
from core.domain.identity import Principal, Role
from core.domain.page_views import Decision, PageViewIn, PageViewReceipt, clean_path, decide, gpc_signal
from core.services import page_views
from tests.unit.fakes import FakeClock
from tests.unit.fakes_tracking import FakePageViews

CLIENT = ClientSummary(network="203.0.113.0/24", browser="Firefox", os="Linux")
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _record(
    store: FakePageViews, *, consent: bool, gpc: bool, principal: Principal | None = None, path: str = "/me"
) -> PageViewReceipt:
    return page_views.record_page_view(
        event=PageViewIn(path=path, consent=consent),
        gpc=gpc,
        client=CLIENT,
        principal=principal,
        page_views=store,
        clock=FakeClock(NOW),
    )


def test_no_consent_no_event() -> None:
    store = FakePageViews()
    receipt = _record(store, consent=False, gpc=False)
    assert (receipt.recorded, receipt.decision) == (False, Decision.NO_CONSENT)
    assert store.views == []


def test_consent_gives_one_minimal_event() -> None:
    store = FakePageViews()
    receipt = _record(store, consent=True, gpc=False, path="/members/u-123/day?date=2026-11-30#stop-2")
    assert (receipt.recorded, receipt.decision) == (True, Decision.RECORDED)
    (view,) = store.views
    assert (view.day, view.at, view.path) == ("2026-12-01", NOW, "/members/{userId}/day")
    assert (view.network, view.browser, view.os) == ("203.0.113.0/24", "Firefox", "Linux")
    assert view.account_id is None and view.user_id is None


def test_a_signed_in_persons_event_is_their_own() -> None:
    store = FakePageViews()
    ada = Principal(user_id="ada", email="ada@example.com", account_id="acc-1", role=Role.MEMBER)
    _record(store, consent=True, gpc=False, principal=ada)
    assert (store.views[0].account_id, store.views[0].user_id) == ("acc-1", "ada")
    assert "ada@example.com" not in store.views[0].model_dump_json()


@pytest.mark.parametrize("consent", [True, False])
def test_global_privacy_control_overrides_consent(consent: bool) -> None:
    store = FakePageViews()
    receipt = _record(store, consent=consent, gpc=True)
    assert (receipt.recorded, receipt.decision) == (False, Decision.GLOBAL_PRIVACY_CONTROL)
    assert store.views == []


def test_the_rule_table() -> None:
    assert decide(consent=True, gpc=False) is Decision.RECORDED
    assert decide(consent=False, gpc=False) is Decision.NO_CONSENT
    assert decide(consent=True, gpc=True) is Decision.GLOBAL_PRIVACY_CONTROL
    assert decide(consent=False, gpc=True) is Decision.GLOBAL_PRIVACY_CONTROL


@pytest.mark.parametrize(
    ("header", "on"),
    [("1", True), (" 1 ", True), ("0", False), ("", False), (None, False), ("true", False), ("11", False)],
)
def test_only_sec_gpc_1_is_the_signal(header: str | None, on: bool) -> None:
    assert gpc_signal(header) is on


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("/", "/"),
        ("/me", "/me"),
        ("/map?user=ada@example.com", "/map"),
        ("/join?invitation=secret-token", "/join"),
        ("/members/ada/day", "/members/{userId}/day"),
        ("/photos/3f2a9c1e-0000-4000-8000-000000000000", "/photos/{id}"),
        ("https://portal.example/me#top", "/me"),
        ("/" + "a/" * 50, "/" + "/".join(["a"] * 10)),
        ("/.well-known/gpc.json", "/.well-known/{id}"),
    ],
)
def test_paths_keep_no_query_fragment_or_ids(raw: str, kept: str) -> None:
    assert clean_path(raw) == kept


def test_an_event_names_nothing_else() -> None:
    with pytest.raises(ValidationError) as err:
        PageViewIn.model_validate({"path": "/me", "consent": True, "userId": "someone-else"})
    assert "userId" in str(err.value)
    with pytest.raises(ValidationError):
        PageViewIn.model_validate({"path": "/me"})  # consent must be said


def test_the_admin_sees_aggregate_counts_only() -> None:
    store = FakePageViews()
    ada = Principal(user_id="ada", email=None, account_id="acc-1", role=Role.OWNER)
    for path, principal in (("/map", ada), ("/map", None), ("/members", ada)):
        _record(store, consent=True, gpc=False, principal=principal, path=path)
    store.views.append(store.views[0].model_copy(update={"day": (NOW - timedelta(days=40)).date().isoformat()}))
    counts = page_views.page_view_counts(identity=None, days=7, page_views=store, clock=FakeClock(NOW))  # type: ignore[arg-type]  # no identity on purpose: the counts must refuse a caller who is not signed in
    assert (counts.from_day, counts.to_day, counts.total, counts.signed_in) == ("2026-11-25", "2026-12-01", 3, 2)
    assert [(c.key, c.count) for c in counts.by_path] == [("/map", 2), ("/members", 1)]
    assert [(c.key, c.count) for c in counts.by_browser] == [("Firefox", 3)]
    assert [c.count for c in counts.by_day] == [0, 0, 0, 0, 0, 0, 3]
    assert "203.0.113" not in counts.model_dump_json() and "ada" not in counts.model_dump_json()
