"""Erasure in bounded steps (issue 28): a cursor per kind on the request, progress in the answer, the next step
through the data-requests queue, resumption after a crash, and legal holds that keep everything they cover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.domain.identity import Principal, Role
from core.domain.privacy import (
    DataRequestCreate,
    DataRequestMessage,
    DataRequestPublic,
    DataRequestType,
    LegalHold,
)
from core.services import data_requests
from core.services.retention import RetentionPolicy
from tests.unit.fakes import FakeAccountStore, FakeClock
from tests.unit.fakes_privacy import FakeExportSink, FakeKind, FakeMailer, FakePrivacyStore, Item

ME = Principal(user_id="u-me", email=None, account_id="acc-a", role=Role.MEMBER)
COLLEAGUE = Principal(user_id="u-other", email=None, account_id="acc-a", role=Role.MEMBER)
SIZES = {"pings": 1_050, "notes": 430, "access-log": 201}  # several pages (data_requests.PAGE = 200) of each


class World:
    def __init__(self, sizes: dict[str, int] = SIZES) -> None:
        self.clock = FakeClock(datetime(2026, 3, 10, tzinfo=UTC))
        self.accounts = FakeAccountStore()
        self.privacy = FakePrivacyStore(self.accounts)
        self.queue: list[tuple[str, int]] = []  # (message, delivery attempt)
        self.kinds = [FakeKind(name) for name in sizes]
        self.profiles = FakeKind("profiles", retention="account", on_erasure="anonymize")
        self.kinds.append(self.profiles)
        for kind in self.kinds:
            for who in (ME, COLLEAGUE):
                for i in range(sizes.get(kind.name, 1)):
                    kind.add(f"{kind.name}-{who.user_id}-{i:05d}", Item("acc-a", who.user_id, self.clock.now()))
        self.steps = 0

    def send(self, message: str) -> None:
        self.queue.append((message, 1))

    def ask(self) -> DataRequestPublic:
        return data_requests.create_request(
            principal=ME,
            data=DataRequestCreate(type=DataRequestType.ERASURE),
            privacy=self.privacy,
            clock=self.clock,
            enqueue_data_request=self.send,
        )

    def deliver(self, step_items: int) -> None:
        """One delivery of the oldest message; a failure puts it back with its next attempt (as the host does)."""
        message, attempt = self.queue.pop(0)
        try:
            data_requests.process_request(
                message=DataRequestMessage.model_validate_json(message),
                kinds=self.kinds,
                privacy=self.privacy,
                sink=FakeExportSink(),
                clock=self.clock,
                policy=RetentionPolicy(),
                link_ttl=timedelta(hours=1),
                mailer=FakeMailer(),
                mail_to=lambda a, u: f"{u}@example.com",
                accounts=self.accounts,
                enqueue=self.send,
                attempt=attempt,
                step_items=step_items,
            )
        except Exception:
            self.queue.append((message, attempt + 1))
            raise
        self.steps += 1

    def run(self, step_items: int) -> None:
        while self.queue:
            self.deliver(step_items)

    def answer(self, request_id: str) -> DataRequestPublic:
        return data_requests.get_request(principal=ME, request_id=request_id, privacy=self.privacy)

    def mine_left(self) -> dict[str, int]:
        return {
            k.name: sum(1 for it in k.items.values() if it.user_id == ME.user_id and it.doc.get("name") != "erased")
            for k in self.kinds
        }


def test_erasure_goes_through_every_page_of_every_kind() -> None:
    """Kills the mutant that stops erasing after the first page of each kind: every kind here has several pages,
    and one step has room for all of them."""
    w = World()
    request = w.ask()
    w.run(step_items=100_000)
    done = w.answer(request.request_id)
    assert w.steps == 1
    assert w.mine_left() == {"pings": 0, "notes": 0, "access-log": 0, "profiles": 0}
    assert done.status == "completed"
    assert done.erased == {**SIZES, "profiles": 1}
    assert {p.kind: (p.done, p.left, p.finished) for p in done.progress} == {
        "pings": (1_050, 0, True),
        "notes": (430, 0, True),
        "access-log": (201, 0, True),
        "profiles": (1, 0, True),
    }
    # The colleague keeps everything.
    assert all(
        sum(1 for it in k.items.values() if it.user_id == COLLEAGUE.user_id) == SIZES.get(k.name, 1) for k in w.kinds
    )


def test_erasure_runs_in_bounded_steps_showing_progress_and_completes_only_when_every_kind_is_empty() -> None:
    w = World()
    request = w.ask()
    seen: list[DataRequestPublic] = []
    while w.queue:
        w.deliver(step_items=250)
        seen.append(w.answer(request.request_id))
    total = sum(SIZES.values()) + 1
    assert -(-total // 250) <= len(seen) <= -(-total // 250) + len(w.kinds)  # bounded: about total / step
    for partial in seen[:-1]:
        assert partial.status == "processing" and partial.completed_at is None
        assert any(not p.finished for p in partial.progress)
        done = sum(p.done for p in partial.progress)
        left = sum(p.left or 0 for p in partial.progress)
        assert done + left == total  # nothing counted twice, nothing forgotten
    # Progress moves forward step after step.
    dones = [sum(p.done for p in s.progress) for s in seen]
    assert dones == sorted(dones) and len(set(dones)) == len(dones)
    last = seen[-1]
    assert last.status == "completed" and all(p.finished and p.left == 0 for p in last.progress)
    assert w.mine_left() == {"pings": 0, "notes": 0, "access-log": 0, "profiles": 0}
    assert last.erased == {**SIZES, "profiles": 1}


def test_a_crash_inside_a_step_resumes_from_the_saved_cursor() -> None:
    w = World()
    request = w.ask()
    w.deliver(step_items=300)  # step 0 done and saved
    pings = w.kinds[0]
    pings.fail_after_deletes = 120
    with pytest.raises(ConnectionError):
        w.deliver(step_items=300)  # dies in the middle of step 1
    assert w.answer(request.request_id).status == "processing"
    pings.fail_after_deletes = None
    w.run(step_items=300)
    done = w.answer(request.request_id)
    assert done.status == "completed"
    assert w.mine_left() == {"pings": 0, "notes": 0, "access-log": 0, "profiles": 0}
    assert max(pings.deletes.values()) == 1
    # The deletes of the step that crashed before saving are not counted; nothing is counted twice.
    assert SIZES["pings"] - 120 <= done.erased["pings"] <= SIZES["pings"]


def test_a_crash_between_saving_a_step_and_queueing_the_next_resumes() -> None:
    w = World()
    request = w.ask()
    sent = w.send

    def lost(message: str) -> None:
        raise ConnectionError("the queue was unreachable")

    w.send = lost  # type: ignore[method-assign]  # the step is saved, its follow-up is never queued
    with pytest.raises(ConnectionError):
        w.deliver(step_items=300)
    w.send = sent  # type: ignore[method-assign]  # the world's queue replaced by one that fails once
    saved = w.privacy.get_request("acc-a", request.request_id)
    assert saved is not None and saved.step == 1 and len(w.queue) == 1  # only the redelivery of step 0 is left
    w.run(step_items=300)
    assert w.answer(request.request_id).status == "completed"
    assert w.mine_left() == {"pings": 0, "notes": 0, "access-log": 0, "profiles": 0}


def test_a_stale_message_of_an_earlier_step_does_nothing() -> None:
    w = World()
    request = w.ask()
    first = w.queue[0][0]
    w.deliver(step_items=300)
    before = w.privacy.get_request("acc-a", request.request_id)
    w.queue.insert(0, (first, 1))  # a duplicate delivery of step 0, not a retry
    w.deliver(step_items=300)
    assert w.privacy.get_request("acc-a", request.request_id) == before
    assert len(w.queue) == 1  # only step 1's message
    w.run(step_items=300)
    assert w.answer(request.request_id).status == "completed"


def _hold(w: World, user_id: str | None) -> LegalHold:
    hold = LegalHold(
        hold_id=f"hold-{user_id or 'account'}",
        account_id="acc-a",
        user_id=user_id,
        reason="litigation",
        placed_by="admin",
        placed_at=w.clock.now() - timedelta(days=1),
    )
    w.privacy.put_hold(hold)
    return hold


@pytest.mark.parametrize("held_user", [ME.user_id, None])
def test_a_legal_hold_keeps_everything_and_says_so(held_user: str | None) -> None:
    w = World({"pings": 5, "notes": 0})
    hold = _hold(w, held_user)
    request = w.ask()
    w.run(step_items=300)
    done = w.answer(request.request_id)
    assert w.mine_left() == {"pings": 5, "notes": 0, "profiles": 1}
    assert done.status == "completed" and done.erased == {}
    assert {(k.kind, k.reason) for k in done.kept} == {
        ("pings", f"legal-hold {hold.hold_id}"),
        ("profiles", f"legal-hold {hold.hold_id}"),
    }
    kept = [e for e in w.privacy.list_audit("acc-a") if e.action == "data-request.erasure.kept"]
    assert len(kept) == 1 and kept[0].details["holds"] == [hold.hold_id]
    assert kept[0].details["kept"] == {"pings": f"legal-hold {hold.hold_id}", "profiles": f"legal-hold {hold.hold_id}"}
    completed = [e for e in w.privacy.list_audit("acc-a") if e.action == "data-request.erasure.completed"]
    assert completed[0].details["kept"]["pings"] == f"legal-hold {hold.hold_id}"


def test_a_lifted_hold_or_a_colleagues_hold_does_not_stop_the_erasure() -> None:
    w = World({"pings": 5})
    _hold(w, COLLEAGUE.user_id)
    lifted = _hold(w, ME.user_id).model_copy(update={"lifted_at": w.clock.now(), "lifted_by": "admin"})
    w.privacy.put_hold(lifted)
    request = w.ask()
    w.run(step_items=300)
    done = w.answer(request.request_id)
    assert done.kept == [] and done.erased == {"pings": 5, "profiles": 1}
    assert w.mine_left() == {"pings": 0, "profiles": 0}
