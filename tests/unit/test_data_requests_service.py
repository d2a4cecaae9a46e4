"""Data-subject requests: due dates, export ZIP contents, erasure, the California disclosure, tenancy."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from core.domain.errors import NotFound
from core.domain.identity import Principal, Role
from core.domain.privacy import (
    DataRequestCreate,
    DataRequestMessage,
    DataRequestPublic,
    DataRequestType,
    DeletionResidue,
    Disclosure,
)
from core.services import data_requests, data_sharing
from core.services.retention import RetentionPolicy
from tests.unit.fakes import FakeAccountStore, FakeClock
from tests.unit.fakes_privacy import FakeExportSink, FakeKind, FakeMailer, FakePrivacyStore, Item

ME = Principal(user_id="u-me", email=None, account_id="acc-a", role=Role.MEMBER)
COLLEAGUE = Principal(user_id="u-other", email=None, account_id="acc-a", role=Role.MEMBER)
STRANGER = Principal(user_id="u-far", email=None, account_id="acc-b", role=Role.OWNER)


class World:
    def __init__(self) -> None:
        self.clock = FakeClock(datetime(2026, 3, 10, tzinfo=UTC))
        self.accounts = FakeAccountStore()
        self.privacy = FakePrivacyStore(self.accounts)
        self.queue: list[str] = []
        self.sink = FakeExportSink()
        self.mailer = FakeMailer()
        self.profiles = FakeKind("profiles", retention="account", on_erasure="anonymize")
        self.pings = FakeKind("pings")
        self.billing = FakeKind("billing-records", retention="account", kept_for="billing-records")
        self.billing.add("account-acc-b", Item("acc-b", None, self.clock.now(), doc={"address": "1 Main St"}))
        for who in (ME, COLLEAGUE, STRANGER):
            self.profiles.add(
                f"profile-{who.user_id}",
                Item(who.account_id, who.user_id, self.clock.now(), doc={"name": f"Real name of {who.user_id}"}),
            )
            for i in range(3):
                self.pings.add(
                    f"ping-{who.user_id}-{i}",
                    Item(who.account_id, who.user_id, self.clock.now(), doc={"lat": 45.0 + i, "lon": -93.0}),
                )

    def ask(self, who: Principal, kind: DataRequestType) -> DataRequestPublic:
        return data_requests.create_request(
            principal=who,
            data=DataRequestCreate(type=kind),
            privacy=self.privacy,
            clock=self.clock,
            enqueue_data_request=self.queue.append,
        )

    def work(self) -> None:
        while self.queue:
            data_requests.process_request(
                message=DataRequestMessage.model_validate_json(self.queue.pop(0)),
                kinds=[self.profiles, self.pings, self.billing],
                privacy=self.privacy,
                sink=self.sink,
                clock=self.clock,
                policy=RetentionPolicy(),
                link_ttl=timedelta(hours=24),
                mailer=self.mailer,
                mail_to=lambda a, u: f"{u}@example.com",
                accounts=self.accounts,
            )

    def export_of(self, who: Principal) -> zipfile.ZipFile:
        request = self.ask(who, DataRequestType.ACCESS)
        self.work()
        done = data_requests.get_request(principal=who, request_id=request.request_id, privacy=self.privacy)
        assert done.status == "completed" and done.download_url
        assert done.download_expires_at == self.clock.now() + timedelta(hours=24)
        blob = next(v for k, v in self.sink.blobs.items() if k.endswith(f"{request.request_id}.zip"))
        return zipfile.ZipFile(io.BytesIO(blob))


def test_due_dates_and_only_my_own_requests() -> None:
    w = World()
    access = w.ask(ME, DataRequestType.ACCESS)
    california = w.ask(ME, DataRequestType.CALIFORNIA_DISCLOSURE)
    assert access.due_at == w.clock.now() + timedelta(days=30) and access.status == "received"
    assert california.due_at == w.clock.now() + timedelta(days=45)
    mine = data_requests.list_requests(principal=ME, privacy=w.privacy, deletion_residue=DeletionResidue()).items
    assert {r.request_id for r in mine} == {access.request_id, california.request_id}
    assert (
        data_requests.list_requests(principal=COLLEAGUE, privacy=w.privacy, deletion_residue=DeletionResidue()).items
        == []
    )
    for other in (COLLEAGUE, STRANGER):
        with pytest.raises(NotFound):
            data_requests.get_request(principal=other, request_id=access.request_id, privacy=w.privacy)
    assert len(w.queue) == 1  # only the export goes through the queue
    assert {e.action for e in w.privacy.list_audit("acc-a")} == {
        "data-request.access",
        "data-request.california-disclosure",
    }


def test_export_zip_parses_and_holds_exactly_my_data() -> None:
    w = World()
    zf = w.export_of(ME)
    names = set(zf.namelist())
    assert {"profiles.json", "pings.json", "data-requests.json", "README.txt"} <= names
    assert "billing-records.json" in names  # a kind may be exported even if kept; the fake names every kind
    pings = json.loads(zf.read("pings.json"))
    assert {p["id"] for p in pings} == {f"ping-u-me-{i}" for i in range(3)}
    assert {p["userId"] for p in pings} == {"u-me"}
    assert json.loads(zf.read("profiles.json"))[0]["name"] == "Real name of u-me"
    readme = zf.read("README.txt").decode()
    assert "pings.json" in readme and "profiles.json" in readme
    assert any(k.startswith("data-request-") for k in w.mailer.sent)
    # A redelivered message finds the request completed and changes nothing.
    before = dict(w.sink.blobs)
    request_id = json.loads(zf.read("data-requests.json"))[0]["request_id"]
    w.queue.append(DataRequestMessage(account_id="acc-a", request_id=request_id).model_dump_json(by_alias=True))
    w.work()
    assert w.sink.blobs == before


def test_erasure_then_export_shows_nothing_personal_left() -> None:
    w = World()
    erasure = w.ask(ME, DataRequestType.ERASURE)
    w.work()
    done = data_requests.get_request(principal=ME, request_id=erasure.request_id, privacy=w.privacy)
    assert done.status == "completed" and done.erased == {"pings": 3, "profiles": 1}
    assert done.emailed is True  # the answer's e-mail was queued, said in a field of its own (the portal's text)
    assert erasure.emailed is None  # not answered yet
    assert {k.category for k in done.retained} == {"privacy-requests-and-audit"}  # a member has no billing record
    owners = w.ask(STRANGER, DataRequestType.ERASURE)
    w.work()
    owner_done = data_requests.get_request(principal=STRANGER, request_id=owners.request_id, privacy=w.privacy)
    assert {k.category for k in owner_done.retained} == {"billing-records", "privacy-requests-and-audit"}
    zf = w.export_of(ME)
    assert json.loads(zf.read("pings.json")) == []
    assert "Real name" not in zf.read("profiles.json").decode()
    # The colleague's data is untouched.
    assert w.pings.count(account_id="acc-a") == 3
    assert w.profiles.items["profile-u-other"].doc["name"] == "Real name of u-other"
    actions = [e.action for e in w.privacy.list_audit("acc-a")]
    assert "data-request.erasure" in actions and "data-request.erasure.completed" in actions


def _erase_owner(kinds: list[FakeKind]) -> DataRequestPublic:
    w = World()
    request = w.ask(STRANGER, DataRequestType.ERASURE)
    message = DataRequestMessage.model_validate_json(w.queue.pop(0))
    data_requests.process_request(
        message=message,
        kinds=kinds,
        privacy=w.privacy,
        sink=w.sink,
        clock=w.clock,
        policy=RetentionPolicy(),
        link_ttl=timedelta(hours=24),
        mailer=w.mailer,
        mail_to=lambda a, u: f"{u}@example.com",
        accounts=w.accounts,
    )
    return data_requests.get_request(principal=STRANGER, request_id=request.request_id, privacy=w.privacy)


def test_owner_erasure_keeps_every_legal_category_and_lists_only_what_was_kept() -> None:
    now = datetime(2026, 3, 10, tzinfo=UTC)
    # Registered under a legal category's name without `kept_for` (a registry slip): still kept, never deleted.
    billing = FakeKind("billing-records", retention="account", kept_for=None, on_erasure="delete")
    billing.add("invoice-1", Item("acc-b", "u-far", now, doc={"address": "1 Main St"}))
    closure = FakeKind("closure-record", retention="account", kept_for="closure-record")
    closure.add("closure-acc-b", Item("acc-b", None, now))
    notes = FakeKind("notes")
    notes.add("note-1", Item("acc-b", "u-far", now))
    done = _erase_owner([billing, closure, notes])
    assert set(billing.items) == {"invoice-1"} and billing.deletes == {}
    assert "closure-acc-b" in closure.items and notes.items == {}
    assert done.erased == {"notes": 1}
    retained = {k.category: k for k in done.retained}
    assert set(retained) == {"billing-records", "closure-record", "privacy-requests-and-audit"}
    assert retained["billing-records"].days == RetentionPolicy().billing_records_days


def test_owner_erasure_does_not_claim_billing_records_it_does_not_hold() -> None:
    empty_billing = FakeKind("billing-records", retention="account", kept_for="billing-records")
    for kinds in ([], [empty_billing]):
        done = _erase_owner(kinds)
        assert {k.category for k in done.retained} == {"privacy-requests-and-audit"}


def test_california_disclosure_comes_from_the_register() -> None:
    w = World()
    answer = w.ask(ME, DataRequestType.CALIFORNIA_DISCLOSURE)
    assert answer.status == "completed" and answer.disclosure is not None
    assert answer.disclosure.calendar_year == 2025
    assert answer.disclosure.third_parties == [] and answer.disclosure.categories == []
    register = (
        Disclosure(
            third_party="Ad Partner",
            categories=["name", "e-mail"],
            purpose="marketing",
            start=datetime(2025, 5, 1, tzinfo=UTC),
            end=datetime(2025, 8, 1, tzinfo=UTC),
        ),
        Disclosure(
            third_party="Old Partner",
            categories=["phone"],
            purpose="marketing",
            start=datetime(2020, 1, 1, tzinfo=UTC),
            end=datetime(2021, 1, 1, tzinfo=UTC),
        ),
    )
    listed = data_sharing.california_disclosure(now=w.clock.now(), register=register)
    assert [p.third_party for p in listed.third_parties] == ["Ad Partner"]
    assert listed.categories == ["e-mail", "name"]
    assert data_sharing.REGISTER == ()


def test_a_request_that_keeps_failing_is_marked_failed_on_its_last_attempt() -> None:
    w = World()
    request = w.ask(ME, DataRequestType.ACCESS)
    message = DataRequestMessage.model_validate_json(w.queue.pop())
    for attempt in range(1, 5):
        data_requests.record_failure(message=message, attempt=attempt, max_attempts=5, privacy=w.privacy, clock=w.clock)
        assert (
            data_requests.get_request(principal=ME, request_id=request.request_id, privacy=w.privacy).status
            == "received"
        )
    data_requests.record_failure(message=message, attempt=5, max_attempts=5, privacy=w.privacy, clock=w.clock)
    failed = data_requests.get_request(principal=ME, request_id=request.request_id, privacy=w.privacy)
    assert failed.status == "failed"
    assert w.privacy.list_audit("acc-a")[-1].action == "data-request.access.failed"
