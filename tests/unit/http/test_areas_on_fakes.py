"""Every trigger area on a root of fakes (tests/unit/roots.py), called as the Functions host calls it: one happy
path and one refusal at least per area. This file: the root itself, accounts, members (with the account-events
queue and the invitation timer), consent, policy (with the notices timer), analytics, health, the test clock and
notes. The other areas: test_areas_on_fakes_money.py (billing, e-mail, privacy) and test_areas_on_fakes_field.py
(tracking, devices, job sites, private zones, photos)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.bootstrap import root_with, serving
from core.clock import FileTestClock
from core.domain.accounts import AccountEvent, AccountEventType, Invitation, InvitationStatus
from core.domain.email import EmailStatus
from core.services.policy import SEED_VERSION_ID
from core.services.wiring import PORT_NAMES
from functions import accounts, analytics, consent, health, members, notes, policy, test_clock
from tests.unit.fakes import FakeHealthProbe, FakePublisher, FakeUserStore
from tests.unit.fakes_email import FakeEmailProfiles, FakeOutbox, FakePolicyStore
from tests.unit.fakes_media import FakeMediaStore
from tests.unit.fakes_tracking import FakeConsentLedger, FakePageViews
from tests.unit.http.areas import (
    ACCOUNT,
    ADMIN,
    AT,
    AZURE_CLIENTS,
    MEMBER,
    NEWCOMER,
    OWNER,
    Team,
    answer,
    http,
    message,
    on_fakes,
    refused,
    timer,
    triggers,
)
from tests.unit.roots import fake_root, unit_settings

pytestmark = pytest.mark.usefixtures("no_azure_clients")

run = triggers(accounts.bp, analytics.bp, consent.bp, health.bp, members.bp, notes.bp, policy.bp, test_clock.bp)

# ---------------------------------------------------------------- the root of fakes


def test_every_port_of_the_root_of_fakes_is_a_fake_a_composition_of_fakes_or_a_setting() -> None:
    root = fake_root()
    for name in sorted(PORT_NAMES):
        port = root.port(name)
        kinds = port if isinstance(port, list) else [port]
        for value in kinds:
            module = type(getattr(value, "__self__", value)).__module__  # a bound method: its object's class
            assert not module.startswith(("core.adapters", "azure", "stripe")), (name, module)
    assert not AZURE_CLIENTS & set(vars(root))


def test_a_root_without_fakes_is_stopped_before_it_reaches_azure() -> None:
    """The guard the area tests run under (no_azure_clients): the root's own stores would build a Cosmos client."""
    with pytest.raises(AssertionError, match="Azure client"), serving(root_with(unit_settings())):
        run["process_account_event"](message(_event("joined-1")))


def test_a_port_the_test_gives_is_used_and_feeds_the_ingest_gate() -> None:
    given, outbox = FakeConsentLedger(), FakeOutbox()
    root = fake_root(consents=given, outbox=outbox)
    assert root.port("outbox") is outbox
    assert root.port("consents") is given  # the plain ledger: the reactions table keeps the gate current
    assert root.port("ingest_gate").consents is given
    with pytest.raises(TypeError, match="settings value"):
        fake_root(max_body_bytes=10)


# ---------------------------------------------------------------- accounts


REGISTRATION = {
    "fullLegalName": "Nora Newcomer",
    "companyName": "Newco",
    "email": "nora@example.com",
    "billingAddress": {"line1": "2 Side St", "city": "Duluth", "postalCode": "55802", "country": "US"},
    "timeZone": "America/Chicago",
    "dateOfBirth": "1990-04-01",
}


def test_accounts_registration_makes_the_caller_an_owner_and_asks_to_verify_the_address() -> None:
    users, events, outbox = FakeUserStore(), FakePublisher(), FakeOutbox()
    root = fake_root(users=users, account_events=events, outbox=outbox)
    with on_fakes(root):
        made = answer(run["register_account"](http("POST", "accounts", user=NEWCOMER, body=REGISTRATION)), 201)
        me = answer(run["get_me"](http("GET", "me", user=NEWCOMER)), 200)

    record = users.get_user(NEWCOMER)
    assert record is not None and not record.registering and record.account_id == made["account"]["accountId"]
    assert me["fullName"] == "Nora Newcomer" and me["emailVerified"] is False
    assert [e.type for e in events.published] == [AccountEventType.ACCOUNT_REGISTERED]
    assert [e.template for e in outbox.entries.values()] == ["email-verification"]


def test_accounts_refuse_an_under_age_registration_and_keep_only_a_marker() -> None:
    users = FakeUserStore()
    with on_fakes(fake_root(users=users)):
        young = {**REGISTRATION, "dateOfBirth": (AT - timedelta(days=365 * 10)).date().isoformat()}
        refused(run["register_account"](http("POST", "accounts", user=NEWCOMER, body=young)), 403, "forbidden")
        refused(run["get_me"](http("GET", "me", user=NEWCOMER)), 403, "not-registered")

    assert users.users == {} and len(users.markers) == 1


# ---------------------------------------------------------------- members


def test_members_an_owner_invites_and_the_invitee_joins_with_the_e_mailed_token() -> None:
    team, outbox, events = Team(), FakeOutbox(), FakePublisher()
    route = {"accountId": ACCOUNT}
    with on_fakes(team.root(outbox=outbox, account_events=events)):
        sent = answer(
            run["invite_member"](
                http(
                    "POST",
                    f"accounts/{ACCOUNT}/invitations",
                    user=OWNER,
                    route=route,
                    body={"email": "User-New@example.com"},
                )
            ),
            201,
        )
        token = {"token": sent["token"]}
        preview = answer(run["preview_invitation"](http("GET", "invitations/t", route=token)), 200)
        joined = answer(
            run["accept_invitation"](
                http("POST", "invitations/t/accept", user=NEWCOMER, route=token, body={"fullName": "Nora Newcomer"})
            ),
            201,
        )

    assert preview["email"] == "user-new@example.com" and preview["status"] == "pending"
    assert (joined["accountId"], joined["userId"], joined["role"]) == (ACCOUNT, NEWCOMER, "member")
    assert [e.template for e in outbox.entries.values()] == ["invitation"] and outbox.dispatched
    assert [(e.type, e.user_id) for e in events.published] == [(AccountEventType.MEMBER_JOINED, NEWCOMER)]


def test_members_a_member_may_not_invite_nor_remove_and_a_forged_invitation_is_gone() -> None:
    team = Team()
    route = {"accountId": ACCOUNT}
    with on_fakes(team.root()):
        invite = http("POST", f"accounts/{ACCOUNT}/invitations", user=MEMBER, route=route, body={"email": "x@e.com"})
        refused(run["invite_member"](invite), 403, "forbidden")
        removal = http("DELETE", "m", user=MEMBER, route={**route, "userId": OWNER})
        refused(run["remove_member"](removal), 403, "forbidden")
        refused(run["preview_invitation"](http("GET", "invitations/t", route={"token": "forged"})), 410, "gone")

    assert team.accounts.invitations == {}


def _event(event_id: str) -> str:
    return AccountEvent(
        event_id=event_id,
        type=AccountEventType.MEMBER_JOINED,
        account_id=ACCOUNT,
        user_id=MEMBER,
        occurred_at=AT,
    ).model_dump_json(by_alias=True)


def test_members_the_account_events_queue_records_each_event_once_and_forwards_it_to_billing() -> None:
    team, billing_events = Team(), FakePublisher()
    with on_fakes(team.root(billing_events=billing_events)):
        run["process_account_event"](message(_event("joined-1")))
        run["process_account_event"](message(_event("joined-1"), dequeue_count=2))  # redelivered

    assert list(team.accounts.events) == ["joined-1"]
    assert [e.event_id for e in billing_events.published] == ["joined-1", "joined-1"]  # a repeat is harmless there


def test_members_the_account_events_queue_refuses_a_malformed_message_so_the_host_retries_it() -> None:
    team, billing_events = Team(), FakePublisher()
    with on_fakes(team.root(billing_events=billing_events)), pytest.raises(ValidationError):
        run["process_account_event"](message(b'{"eventId": "x", "type": "member.promoted"}'))

    assert team.accounts.events == {} and billing_events.published == []


def test_members_the_invitation_timer_expires_pending_invitations_past_their_time() -> None:
    team = Team()
    for invitation_id, expires in (("old", AT - timedelta(hours=1)), ("fresh", AT + timedelta(hours=1))):
        team.accounts.create_invitation(
            Invitation(
                invitation_id=invitation_id,
                account_id=ACCOUNT,
                email=f"{invitation_id}@example.com",
                invited_by=OWNER,
                created_at=AT - timedelta(days=3),
                expires_at=expires,
            )
        )
    with on_fakes(team.root()):
        run["expire_invitations"](timer())

    states = {i.invitation_id: i.status for i in team.accounts.invitations.values()}
    assert states == {"old": InvitationStatus.EXPIRED, "fresh": InvitationStatus.PENDING}


# ---------------------------------------------------------------- consent


def test_consent_a_worker_grants_location_access_and_reads_the_ledger() -> None:
    team, ledger = Team(), FakeConsentLedger()
    with on_fakes(team.root(consents=ledger)):
        body = {"granted": True, "deviceId": "phone-1", "appVersion": "2.1.0"}
        route = {"capability": "location"}
        state = answer(
            run["set_consent"](http("PUT", "me/consents/location", user=MEMBER, route=route, body=body)), 200
        )
        read = answer(run["get_consents"](http("GET", "me/consents", user=MEMBER)), 200)
        log = answer(run["get_access_log"](http("GET", "me/access-log", user=MEMBER)), 200)

    assert state["granted"] is True and state["policyVersion"] == SEED_VERSION_ID  # the seed policy is in force
    [entry] = ledger.entries
    assert (entry.account_id, entry.user_id, entry.device_id) == (ACCOUNT, MEMBER, "phone-1")
    assert len(read["history"]) == 1 and log["items"] == []


def test_consent_refuses_an_unknown_capability_and_a_caller_without_a_token() -> None:
    team, ledger = Team(), FakeConsentLedger()
    with on_fakes(team.root(consents=ledger)):
        body = {"granted": True, "deviceId": "phone-1", "appVersion": "2.1.0"}
        unknown = http("PUT", "me/consents/microphone", user=MEMBER, route={"capability": "microphone"}, body=body)
        doc = refused(run["set_consent"](unknown), 422, "validation-failed")
        refused(run["get_consents"](http("GET", "me/consents")), 401, "unauthenticated")

    assert doc["errors"][0]["field"] == "capability" and ledger.entries == []


# ---------------------------------------------------------------- policy


def test_policy_an_admin_posts_a_version_and_the_notice_timer_tells_each_verified_address_once() -> None:
    team, store, profiles, outbox = Team(), FakePolicyStore(), FakeEmailProfiles(), FakeOutbox()
    profiles.put_status(
        EmailStatus(
            user_id=MEMBER,
            account_id=ACCOUNT,
            address="member@example.com",
            verified=True,
            verified_address="member@example.com",
            created_at=AT,
            updated_at=AT,
        )
    )
    body = {"text": "# Policy\n\nWe keep less.", "summary": "Shorter retention."}
    with on_fakes(team.root(policy=store, email_profiles=profiles, outbox=outbox)):
        posted = answer(
            run["post_policy_version"](http("POST", "admin/policy/versions", user=ADMIN, admin=True, body=body)), 201
        )
        run["send_policy_notices"](timer())
        run["send_policy_notices"](timer())  # a second run sends nothing twice
        now = answer(run["get_policy"](http("GET", "policy")), 200)

    assert posted["versionId"] in store.versions
    assert list(outbox.entries) == [f"notice-{posted['versionId']}-{MEMBER}"]
    assert now["current"]["versionId"] == SEED_VERSION_ID and now["upcoming"]["versionId"] == posted["versionId"]


def test_policy_refuses_a_version_posted_by_a_non_admin_and_an_unknown_version() -> None:
    store = FakePolicyStore()
    with on_fakes(fake_root(policy=store)):
        body = {"text": "# Policy", "summary": "Mine."}
        refused(
            run["post_policy_version"](http("POST", "admin/policy/versions", user=MEMBER, body=body)), 403, "forbidden"
        )
        refused(
            run["get_policy_version"](http("GET", "policy/versions/x", route={"versionId": "1999-01-01"})),
            404,
            "not-found",
        )

    assert set(store.versions) <= {SEED_VERSION_ID}  # nothing posted


# ---------------------------------------------------------------- analytics


def test_analytics_a_consented_page_view_is_recorded_and_counted_for_an_admin() -> None:
    views = FakePageViews()
    with on_fakes(fake_root(page_views=views)):
        receipt = answer(
            run["record_page_view"](http("POST", "analytics/page-views", body={"path": "/members", "consent": True})),
            202,
        )
        counts = answer(
            run["page_view_counts"](
                http("GET", "admin/analytics/page-views", user=ADMIN, admin=True, params={"days": "1"})
            ),
            200,
        )

    assert receipt["recorded"] is True and [v.path for v in views.views] == ["/members"]
    assert json.dumps(counts).count("/members") >= 1


def test_analytics_drops_a_view_under_global_privacy_control_and_refuses_counts_to_a_non_admin() -> None:
    views = FakePageViews()
    with on_fakes(fake_root(page_views=views)):
        gpc = http("POST", "analytics/page-views", body={"path": "/m", "consent": True}, headers={"Sec-GPC": "1"})
        assert answer(run["record_page_view"](gpc), 202)["recorded"] is False
        refused(run["page_view_counts"](http("GET", "admin/analytics/page-views", user=MEMBER)), 403, "forbidden")

    assert views.views == []


# ---------------------------------------------------------------- health


def test_health_answers_ok_when_every_dependency_answers() -> None:
    cosmos, storage = FakeHealthProbe("cosmos"), FakeHealthProbe("storage")
    with on_fakes(fake_root(health_probes=[cosmos, storage])):
        report = answer(run["health"](http("GET", "health")), 200)

    assert report == {"status": "ok", "dependencies": {"cosmos": "ok", "storage": "ok"}}
    assert (cosmos.checks, storage.checks) == (1, 1)


def test_health_answers_503_when_a_dependency_does_not() -> None:
    with on_fakes(fake_root(health_probes=[FakeHealthProbe("cosmos", TimeoutError()), FakeHealthProbe("storage")])):
        report = answer(run["health"](http("GET", "health")), 503)

    assert report["dependencies"] == {"cosmos": "unavailable", "storage": "ok"}


# ---------------------------------------------------------------- the test clock


def test_test_clock_an_admin_freezes_the_clock_of_a_root_running_on_a_test_clock(tmp_path: Path) -> None:
    clock = FileTestClock(tmp_path / "clock.json")
    with on_fakes(fake_root(clock=clock)):
        body = {"now": "2030-01-02T03:04:05Z", "frozen": True}
        moved = answer(run["set_test_clock"](http("PUT", "admin/test-clock", user=ADMIN, admin=True, body=body)), 200)
        read = answer(run["get_test_clock"](http("GET", "admin/test-clock", user=ADMIN, admin=True)), 200)

    assert moved["frozen"] is True and read["now"].startswith("2030-01-02T03:04:05")
    assert clock.now().year == 2030


def test_test_clock_is_not_found_on_a_root_without_one_and_forbidden_to_a_non_admin(tmp_path: Path) -> None:
    with on_fakes(fake_root()):
        refused(run["get_test_clock"](http("GET", "admin/test-clock", user=ADMIN, admin=True)), 404, "not-found")
    with on_fakes(fake_root(clock=FileTestClock(tmp_path / "clock.json"))):
        refused(run["get_test_clock"](http("GET", "admin/test-clock", user=MEMBER)), 403, "forbidden")


# ---------------------------------------------------------------- notes


def test_notes_a_worker_writes_edits_and_lists_a_note_and_the_owner_sees_it() -> None:
    team, media = Team(), FakeMediaStore()
    with on_fakes(team.root(media=media)):
        made = answer(run["create_note"](http("POST", "me/notes", user=MEMBER, body={"text": "Gate code 1234"})), 201)
        route = {"noteId": made["noteId"]}
        edited = answer(run["update_note"](http("PATCH", "n", user=MEMBER, route=route, body={"text": "Gate 42"})), 200)
        mine = answer(run["list_my_notes"](http("GET", "me/notes", user=MEMBER)), 200)
        owners = answer(run["list_notes"](http("GET", "n", user=OWNER, route={"accountId": ACCOUNT})), 200)

    assert edited["text"] == "Gate 42" and [n["noteId"] for n in mine["items"]] == [made["noteId"]]
    assert [n["text"] for n in owners["items"]] == ["Gate 42"]
    [(key, note)] = media.notes.items()
    assert key == (ACCOUNT, made["noteId"]) and note.user_id == MEMBER


def test_notes_another_workers_note_is_not_found_and_an_empty_text_is_refused() -> None:
    team, media = Team(), FakeMediaStore()
    with on_fakes(team.root(media=media)):
        made = answer(run["create_note"](http("POST", "me/notes", user=OWNER, body={"text": "Owner's"})), 201)
        theirs = http("PATCH", "n", user=MEMBER, route={"noteId": made["noteId"]}, body={"text": "mine now"})
        refused(run["update_note"](theirs), 404, "not-found")
        refused(run["create_note"](http("POST", "me/notes", user=MEMBER, body={"text": ""})), 422, "validation-failed")

    assert [n.text for n in media.notes.values()] == ["Owner's"]
