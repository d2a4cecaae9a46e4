"""Billing (with the Stripe webhook, the billing-events queue and the grace-period timer), e-mail (with the outbox
queue and its hourly safety net) and privacy (with the data-requests queue and the daily purge) on a root of fakes,
called as the Functions host calls them. See test_areas_on_fakes.py for the other areas and the root itself."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import zipfile
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import azure.functions as func
import pytest
from pydantic import ValidationError

from core.bootstrap import Container
from core.domain.accounts import AccountEvent, AccountEventType
from core.domain.billing import BillingStatus
from core.domain.email import OutboxState
from core.domain.privacy import DataRequestStatus
from core.services.retention import Registry
from functions import billing, email, members, privacy
from tests.unit.fakes import FakePublisher
from tests.unit.fakes_billing import FakeBillingStore, FakeStripe
from tests.unit.fakes_email import FakeEmailProfiles, FakeMailer, FakeOutbox
from tests.unit.fakes_privacy import FakeDataRequestQueue, FakeExportSink, FakeKind, FakePrivacyStore, Item
from tests.unit.http.areas import (
    ACCOUNT,
    ADMIN,
    AT,
    MEMBER,
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

run = triggers(billing.bp, email.bp, privacy.bp)
WEBHOOK_SECRET = unit_settings().stripe_webhook_secret.get_secret_value()

# ---------------------------------------------------------------- billing


class Billing(Team):
    """The team with billing's fakes; `register` runs the billing-events queue on the registration event."""

    def __init__(self) -> None:
        super().__init__()
        self.store, self.stripe, self.outbox = FakeBillingStore(), FakeStripe(self.clock), FakeOutbox()

    def on(self) -> AbstractContextManager[Container]:
        return on_fakes(self.root(billing=self.store, stripe=self.stripe, outbox=self.outbox))

    def registered(self) -> AccountEvent:
        return AccountEvent(
            event_id=f"registered-{ACCOUNT}",
            type=AccountEventType.ACCOUNT_REGISTERED,
            account_id=ACCOUNT,
            user_id=OWNER,
            occurred_at=AT,
        )

    def webhook(
        self, event_id: str, kind: str, obj: dict[str, Any], *, secret: str = WEBHOOK_SECRET
    ) -> func.HttpResponse:
        payload = json.dumps({"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}).encode()
        t = int(self.clock.now().timestamp())
        mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
        signed = http("POST", "billing/webhook", raw=payload, headers={"Stripe-Signature": f"t={t},v1={mac}"})
        response: func.HttpResponse = run["stripe_webhook"](signed)
        return response


def test_billing_the_queue_sets_up_the_subscription_and_the_owner_reads_it() -> None:
    team = Billing()
    with team.on():
        event = team.registered().model_dump_json(by_alias=True)
        run["process_billing_event"](message(event))
        run["process_billing_event"](message(event, dequeue_count=2))  # redelivered: still one customer
        view = answer(run["get_billing"](http("GET", "b", user=OWNER, route={"accountId": ACCOUNT})), 200)

    record = team.store.get(ACCOUNT)
    assert record is not None and record.status is BillingStatus.TRIALING and record.seats == 2
    assert len(team.stripe.live_customers(ACCOUNT)) == 1 and len(team.stripe.subscriptions) == 1
    assert view["status"] == "trialing"


def test_billing_refuses_a_member_and_a_malformed_queue_message() -> None:
    team = Billing()
    with team.on():
        refused(run["get_billing"](http("GET", "b", user=MEMBER, route={"accountId": ACCOUNT})), 403, "forbidden")
        with pytest.raises(ValidationError):
            run["process_billing_event"](message(b'{"eventId": "x"}'))

    assert team.store.records == {} and team.stripe.calls == []


def test_billing_a_failed_payment_by_webhook_then_the_grace_timer_suspends_the_account() -> None:
    team = Billing()
    with team.on():
        run["process_billing_event"](message(team.registered().model_dump_json(by_alias=True)))
        record = team.store.get(ACCOUNT)
        assert record is not None and record.subscription_id is not None
        invoice = team.stripe.invoice(record.subscription_id, status="open", failed=True)
        team.stripe.set_status(record.subscription_id, "past_due")
        obj = {"object": "invoice", "id": invoice.invoice_id, "customer": record.customer_id, "status": "open"}
        applied = answer(team.webhook("evt_failed", "invoice.payment_failed", obj), 200)
        team.clock.advance(days=7, hours=1)
        run["suspend_overdue_billing"](timer())

    suspended = team.store.get(ACCOUNT)
    assert applied["outcome"] == "applied" and suspended is not None
    assert [t.to_status for t in suspended.transitions][-2:] == [BillingStatus.PAST_DUE, BillingStatus.SUSPENDED]
    # The owner is told once, through the e-mail outbox (the root's notifier over the fake outbox).
    assert [e.template for e in team.outbox.entries.values()] == ["payment-failed"]


def test_billing_the_webhook_refuses_a_bad_signature_and_changes_nothing() -> None:
    team = Billing()
    with team.on():
        run["process_billing_event"](message(team.registered().model_dump_json(by_alias=True)))
        before = team.store.get(ACCOUNT)
        assert before is not None and before.subscription_id is not None
        team.stripe.set_status(before.subscription_id, "canceled")
        obj = {"object": "subscription", "id": before.subscription_id, "customer": before.customer_id}
        refused(
            team.webhook("evt_forged", "customer.subscription.deleted", obj, secret="whsec_other"),
            400,
            "invalid-signature",
        )

    assert team.store.get(ACCOUNT) == before and not team.store.processed


# ---------------------------------------------------------------- e-mail


def test_email_a_verification_link_goes_out_through_the_outbox_queue_and_confirms_the_address() -> None:
    team, outbox, mailer, profiles = Team(), FakeOutbox(), FakeMailer(), FakeEmailProfiles()
    with on_fakes(team.root(outbox=outbox, mailer=mailer, email_profiles=profiles)):
        answer(run["resend_email_verification"](http("POST", "me/email-verification", user=MEMBER)), 202)
        [outbox_id] = outbox.take()
        run["send_outbox_email"](message(json.dumps({"outboxId": outbox_id})))
        run["send_outbox_email"](message(json.dumps({"outboxId": outbox_id}), dequeue_count=2))  # sent once only
        [sent] = mailer.sent
        link = urlsplit(json.loads(sent.text)["verify_url"])  # the portal's page, which posts the token back
        token = parse_qs(link.query)["token"][0]
        confirmed = answer(run["verify_email"](http("POST", "v", route={"token": token})), 200)
        prefs = answer(run["get_email_preferences"](http("GET", "me/email-preferences", user=MEMBER)), 200)

    assert link.path == "/verify-email" and sent.to == f"{MEMBER}@example.com"
    assert outbox.entries[outbox_id].state is OutboxState.SENT
    assert confirmed["status"] == "verified" and prefs["verified"] is True


def test_email_refuses_a_forged_link_a_transactional_opt_out_and_a_malformed_queue_message() -> None:
    team, profiles, mailer = Team(), FakeEmailProfiles(), FakeMailer()
    with on_fakes(team.root(email_profiles=profiles, mailer=mailer)):
        refused(run["verify_email"](http("POST", "v", route={"token": "forged"})), 410, "gone")
        off = http("PUT", "me/email-preferences", user=MEMBER, body={"categories": {"account": False}})
        refused(run["update_email_preferences"](off), 422, "validation-failed")
        refused(run["get_outbox_entry"](http("GET", "o", user=MEMBER, route={"outboxId": "x"})), 403, "forbidden")
        with pytest.raises(ValidationError):
            run["send_outbox_email"](message(b'{"outbox": "x"}'))

    assert profiles.preferences == {} and mailer.calls == 0


def test_email_a_link_opened_in_a_browser_gets_a_page_that_changes_nothing_by_itself() -> None:
    profiles = FakeEmailProfiles()
    with on_fakes(fake_root(email_profiles=profiles)):
        page = run["show_unsubscribe"](http("GET", "u", route={"token": "any"}))

    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert (
        page.get_body()
        == b"<main><p>Unsubscribe</p><p>Stop receiving this kind of e-mail from IndusTrack?</p><p>Unsubscribe</p></main>"
    )
    assert profiles.preferences == {}


def test_email_the_hourly_safety_net_queues_a_stuck_message_again_for_an_admin_to_see() -> None:
    team, outbox = Team(), FakeOutbox()
    with on_fakes(team.root(outbox=outbox)):
        answer(run["resend_email_verification"](http("POST", "me/email-verification", user=MEMBER)), 202)
        [outbox_id] = outbox.take()  # the queue message is lost
        team.clock.advance(hours=2)
        run["redispatch_stuck_email"](timer())
        entry = answer(
            run["get_outbox_entry"](http("GET", "o", user=ADMIN, admin=True, route={"outboxId": outbox_id})), 200
        )

    assert outbox.take() == [outbox_id] and entry["state"] == "pending"


# ---------------------------------------------------------------- privacy


def _registry(kind: FakeKind) -> Registry:
    return Registry(kinds=[kind], expected=(kind.name,))


def test_privacy_an_access_request_is_queued_then_exported_and_the_requester_is_told() -> None:
    team, queue, sink, outbox = Team(), FakeDataRequestQueue(), FakeExportSink(), FakeOutbox()
    notes = FakeKind("notes", retention="media")
    notes.add("n1", Item(ACCOUNT, MEMBER, AT - timedelta(days=1), doc={"text": "mine"}))
    notes.add("n2", Item(ACCOUNT, OWNER, AT - timedelta(days=1), doc={"text": "not mine"}))
    root = team.root(enqueue_data_request=queue.send, export_sink=sink, outbox=outbox, personal_data=_registry(notes))
    with on_fakes(root):
        made = answer(run["create_data_request"](http("POST", "d", user=MEMBER, body={"type": "access"})), 202)
        [queued] = queue.messages
        run["process_data_request"](message(queued))
        done = answer(
            run["get_data_request"](http("GET", "d", user=MEMBER, route={"requestId": made["requestId"]})), 200
        )

    assert done["status"] == DataRequestStatus.COMPLETED.value and done["downloadUrl"].startswith("https://exports")
    [(blob, data)] = sink.blobs.items()
    assert blob.startswith(f"{ACCOUNT}/{MEMBER}/")
    exported = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("notes.json"))
    assert [n["text"] for n in exported] == ["mine"]  # the requester's own notes only
    assert [e.template for e in outbox.entries.values()] == ["data-request-access"]


def test_privacy_refuses_a_member_changing_retention_someone_elses_request_and_a_malformed_message() -> None:
    team, queue = Team(), FakeDataRequestQueue()
    store = FakePrivacyStore(team.accounts)
    with on_fakes(team.root(privacy=store, enqueue_data_request=queue.send)):
        route = {"accountId": ACCOUNT}
        change = http("PUT", "r", user=MEMBER, route=route, body={"locationDays": 30})
        refused(run["update_retention"](change), 403, "forbidden")
        made = answer(run["create_data_request"](http("POST", "d", user=OWNER, body={"type": "access"})), 202)
        theirs = http("GET", "d", user=MEMBER, route={"requestId": made["requestId"]})
        refused(run["get_data_request"](theirs), 404, "not-found")
        with pytest.raises(ValidationError):
            run["process_data_request"](message(b'{"accountId": "acc-1"}'))

    assert store.retention == {} and [r.status for r in store.requests.values()] == [DataRequestStatus.RECEIVED]


def test_privacy_the_owner_shortens_retention_and_the_daily_purge_deletes_what_outlived_it() -> None:
    team = Team()
    store = FakePrivacyStore(team.accounts)
    pings = FakeKind("pings", retention="location")
    pings.add("old", Item(ACCOUNT, MEMBER, AT - timedelta(days=31)))
    pings.add("new", Item(ACCOUNT, MEMBER, AT - timedelta(days=29)))
    with on_fakes(team.root(privacy=store, personal_data=_registry(pings))):
        route = {"accountId": ACCOUNT}
        changed = answer(
            run["update_retention"](http("PUT", "r", user=OWNER, route=route, body={"locationDays": 30})), 200
        )
        run["purge_expired_data"](timer())
        runs = answer(run["list_purge_runs"](http("GET", "platform/purge-runs", user=ADMIN, admin=True)), 200)

    assert changed["locationDays"] == 30 and store.retention[ACCOUNT].location_days == 30
    assert list(pings.items) == ["new"]
    [purge] = store.runs.values()
    assert purge.complete_pass and purge.gaps == [] and len(runs["items"]) == 1


def test_privacy_a_member_leaves_then_reaches_only_what_is_held_their_export_and_their_requests() -> None:
    """Issue 28, through the triggers: after `POST me/leave` the member's token is a former member's: the account's
    endpoints answer 403 access-ended, the rights endpoints answer with their own data only; the owner may not leave."""
    team, queue, events = Team(), FakeDataRequestQueue(), FakePublisher()
    notes = FakeKind("notes", retention="media")
    notes.add("n1", Item(ACCOUNT, MEMBER, AT - timedelta(days=1), doc={"text": "mine"}))
    notes.add("n2", Item(ACCOUNT, OWNER, AT - timedelta(days=1), doc={"text": "not mine"}))
    leave = triggers(members.bp)["leave_account"]
    root = team.root(enqueue_data_request=queue.send, account_events=events, personal_data=_registry(notes))
    with on_fakes(root):
        refused(leave(http("POST", "me/leave", user=OWNER)), 409, "conflict")
        left = answer(leave(http("POST", "me/leave", user=MEMBER)), 200)
        refused(leave(http("POST", "me/leave", user=MEMBER)), 403, "access-ended")
        route = {"accountId": ACCOUNT}
        refused(run["get_retention"](http("GET", "r", user=MEMBER, route=route)), 403, "access-ended")
        held = answer(run["get_held_data"](http("GET", "me/held-data", user=MEMBER)), 200)
        refused(
            run["create_data_request"](http("POST", "d", user=MEMBER, body={"type": "rectification"})),
            403,
            "access-ended",
        )
        made = answer(run["create_data_request"](http("POST", "d", user=MEMBER, body={"type": "erasure"})), 202)
        mine = answer(run["list_data_requests"](http("GET", "d", user=MEMBER)), 200)

    assert (left["status"], left["userId"]) == ("removed", MEMBER)
    assert [(e.type, e.user_id) for e in events.published] == [(AccountEventType.MEMBER_REMOVED, MEMBER)]
    assert held["access"] == "removed" and [(k["kind"], k["items"]) for k in held["kinds"]] == [("notes", 1)]
    assert [r["requestId"] for r in mine["items"]] == [made["requestId"]] and len(queue.messages) == 1
