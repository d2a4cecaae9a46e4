"""Legal holds win over every removal (issue 28): applying a private zone to history, coarsening and closure keep
what a hold covers and say what they kept and why, in their answer and in the privacy audit log. (Erasure under a
hold: tests/unit/test_data_requests_erasure_steps.py.)"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.domain.coarse_history import is_coarse
from core.domain.privacy import LegalHold
from core.domain.tracking import Ping, PingSource
from core.services.purge import run_purge
from core.services.retention import Registry
from functions import private_zones
from tests.unit.fakes_privacy import FakeKind, FakePrivacyStore, Item
from tests.unit.fakes_tracking import FakePingStore, FakeWithheldPingStore
from tests.unit.http.areas import ACCOUNT, AT, MEMBER, Team, answer, http, on_fakes, triggers
from tests.unit.test_closure_service import POLICY, close, setup
from tests.unit.test_coarsening_service import World, run, turn_on, world  # noqa: F401 - `world` is a fixture

SITE = (44.9778, -93.2650)
zones_run = triggers(private_zones.bp)


def hold(account_id: str, user_id: str | None, hold_id: str, at: datetime) -> LegalHold:
    return LegalHold(
        hold_id=hold_id, account_id=account_id, user_id=user_id, reason="litigation", placed_by="admin", placed_at=at
    )


def test_applying_a_private_zone_to_history_keeps_held_pings_and_says_why() -> None:
    team, store, withheld = Team(), FakePingStore(), FakeWithheldPingStore()
    privacy = FakePrivacyStore(team.accounts)
    privacy.put_hold(hold(ACCOUNT, MEMBER, "h-member", AT - timedelta(days=2)))
    at_home = Ping(ping_id="p-home", t=AT - timedelta(hours=1), lat=SITE[0], lon=SITE[1], acc=5, src=PingSource.GPS)
    store.write_day(account_id=ACCOUNT, user_id=MEMBER, day=at_home.t.date(), pings=[at_home])
    with on_fakes(team.root(pings=store, withheld_pings=withheld, privacy=privacy)):
        zone = {"latitude": SITE[0], "longitude": SITE[1], "radiusMeters": 200}
        made = answer(zones_run["add_my_private_zone"](http("POST", "me/private-zones", user=MEMBER, body=zone)), 201)
        applied = answer(
            zones_run["apply_my_private_zone_to_history"](
                http("POST", "a", user=MEMBER, route={"zoneId": made["zoneId"]}, body={"confirmation": "REMOVE"})
            ),
            200,
        )
    assert [p.ping_id for p in store.all()] == ["p-home"]  # the held ping stays
    assert applied["pingsRemoved"] == 0
    assert applied["kept"] == [{"kind": "pings", "reason": "legal-hold h-member"}]
    assert withheld.count_applied(account_id=ACCOUNT, user_id=MEMBER, zone_id=made["zoneId"]) == 0
    [entry] = [e for e in privacy.list_audit(ACCOUNT) if e.action == "private-zone.history.kept"]
    assert entry.subject_user_id == MEMBER and entry.details["kept"] == {"pings": "legal-hold h-member"}


def test_coarsening_keeps_held_members_precise_and_records_why(world: World) -> None:  # noqa: F811 - the fixture
    _, _, privacy, store = world
    turn_on(privacy)
    privacy.put_hold(hold("acc-a", "acc-a-m2", "h-m2", world[0].now()))
    result = run(world)
    assert not any(is_coarse(p) for (_, u, _), v in store.pings.items() if u == "acc-a-m2" for p in v.values())
    assert result.kept == {"acc-a": ["legal-hold h-m2"]}
    [entry] = [e for e in privacy.list_audit("acc-a") if e.action == "coarsening.kept"]
    assert entry.subject_user_id == "acc-a-m2" and entry.details == {"kind": "pings", "reason": "legal-hold h-m2"}


def test_closure_says_what_a_hold_keeps_and_the_purge_keeps_it() -> None:
    clock, accounts, users, privacy, owner = setup()
    privacy.put_hold(hold("acc-a", "acc-a-m1", "h-m1", clock.now()))
    pings = FakeKind("pings")
    pings.add("held", Item("acc-a", "acc-a-m1", clock.now()))
    pings.add("free", Item("acc-a", "acc-a-m2", clock.now()))
    phrase = close(owner, clock, accounts, users, privacy, None).confirmation_phrase
    closed = close(owner, clock, accounts, users, privacy, phrase)
    assert [(k.kind, k.reason) for k in closed.kept] == [("member-data", "legal-hold h-m1")]
    [entry] = [e for e in privacy.list_audit("acc-a") if e.action == "account.closed"]
    assert entry.details["kept"] == [{"kind": "member-data", "reason": "legal-hold h-m1"}]
    clock.advance(days=POLICY.closed_account_days + 1)
    run_purge(
        personal_data=Registry(kinds=[pings], expected=("pings",)),
        privacy=privacy,
        accounts=accounts,
        clock=clock,
        retention_policy=POLICY,
        purge_batch_size=10,
        purge_max_items=1000,
    )
    assert set(pings.items) == {"held"}
