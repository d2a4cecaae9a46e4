"""Erasure at size (issue 28) on the emulators: a member with more than 10,000 pings over 120 day partitions is
erased in bounded steps through the data-requests queue, after a worker that died between saving a step and
queueing the next one, and a legal hold keeps everything of the member it covers."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.storage.queue import QueueClient

from core import schema
from core.adapters.cosmos import build_cosmos_client
from core.adapters.cosmos_tracking import BATCH_LIMIT, ping_partition
from core.adapters.queues import build_queue_service, queue_client
from core.bootstrap.overrides import root_with
from core.domain.identity import Principal, Role
from core.domain.privacy import DataRequestCreate, DataRequestMessage, DataRequestType, LegalHold
from core.services import data_requests
from core.services.use_cases.privacy import PrivacyUseCases
from tests.helpers import wait_for
from tests.integration.conftest import Stack, User, add_member

DAYS = 120
PER_DAY = 90  # 10,800 pings


def _database(stack: Stack) -> DatabaseProxy:
    return build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database)


def _backdate_account(db: DatabaseProxy, account_id: str, days: int) -> date:
    """The erasure walks a member's day partitions from the account's creation: make the account older."""
    accounts = db.get_container_client(schema.ACCOUNTS.name)
    doc = accounts.read_item(item=f"account-{account_id}", partition_key=account_id)
    first = datetime.now(UTC) - timedelta(days=days)
    doc["created_at"] = first.isoformat().replace("+00:00", "Z")
    accounts.replace_item(item=doc["id"], body=doc)
    return first.date()


def _seed_pings(db: DatabaseProxy, account_id: str, user_id: str, first: date) -> int:
    """PER_DAY pings on each of DAYS days, written in transactional batches straight into the pings container."""
    pings = db.get_container_client(schema.PINGS.name)
    total = 0
    for n in range(DAYS):
        day = first + timedelta(days=n)
        pk = ping_partition(account_id, user_id, day)
        start = int(datetime(day.year, day.month, day.day, 8, tzinfo=UTC).timestamp() * 1000)
        docs = [
            {
                "id": str(uuid.uuid4()),
                "pk": pk,
                "docType": "ping",
                "t": start + i * 60_000,
                "lat": 44.97 + i * 1e-5,
                "lon": -93.26,
                "acc": 5,
                "src": "gps",
            }
            for i in range(PER_DAY)
        ]
        for at in range(0, len(docs), BATCH_LIMIT):
            pings.execute_item_batch(
                batch_operations=[("create", (d,)) for d in docs[at : at + BATCH_LIMIT]], partition_key=pk
            )
        total += len(docs)
    return total


def _stored(pings: ContainerProxy, account_id: str, user_id: str) -> int:
    prefix = f"{account_id}|{user_id}|"
    rows: list[Any] = list(
        pings.query_items(
            "SELECT VALUE COUNT(1) FROM c WHERE c.pk >= @lo AND c.pk < @hi",
            parameters=[{"name": "@lo", "value": prefix}, {"name": "@hi", "value": prefix + "~"}],
            enable_cross_partition_query=True,
        )
    )
    return int(sum(rows))


def _answer(api: httpx.Client, user: User, request_id: str) -> dict[str, Any]:
    r = api.get(f"/me/data-requests/{request_id}", headers=user.auth)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_a_member_with_more_than_10000_pings_is_erased_in_steps_after_a_crash_between_them(
    api: httpx.Client, stack: Stack, owner: User
) -> None:
    member = add_member(api, owner)
    db = _database(stack)
    first = _backdate_account(db, owner.account_id, DAYS + 2)
    seeded = _seed_pings(db, owner.account_id, member.user_id, first)
    pings = db.get_container_client(schema.PINGS.name)
    assert seeded > 10_000 and _stored(pings, owner.account_id, member.user_id) == seeded

    # The request is recorded as the API records it, but its first step runs here, in a worker whose queue is
    # unreachable after the step is saved: the worker "dies" before the next step is queued.
    root = root_with(stack.settings, enqueue_data_request=lambda message: _unreachable())
    privacy = root.port("privacy")
    principal = Principal(user_id=member.user_id, email=None, account_id=owner.account_id, role=Role.MEMBER)
    created = data_requests.create_request(
        principal=principal,
        data=DataRequestCreate(type=DataRequestType.ERASURE),
        privacy=privacy,
        clock=root.clock,
        enqueue_data_request=lambda message: None,  # the first message is delivered below, by hand
    )
    message = DataRequestMessage(account_id=owner.account_id, request_id=created.request_id)
    try:
        root.use_case(PrivacyUseCases).handle_request_message(message=message, attempt=1, max_attempts=5)
        raise AssertionError("the first step should have needed a second one")
    except ConnectionError:
        pass
    partial = _answer(api, member, created.request_id)
    assert partial["status"] == "processing" and partial["completedAt"] is None
    pings_progress = next(p for p in partial["progress"] if p["kind"] == "pings")
    assert 0 < pings_progress["done"] < seeded and not pings_progress["finished"]
    assert pings_progress["done"] + pings_progress["left"] == seeded

    # The host gets the step-0 message back as a redelivery (its dequeue count is 2), as after a worker's death.
    queue: QueueClient = queue_client(build_queue_service(stack.settings), stack.settings.queue_data_requests)
    queue.send_message(message.model_dump_json(by_alias=True), visibility_timeout=0)
    taken = next(iter(queue.receive_messages(visibility_timeout=1, messages_per_page=1)), None)
    assert taken is not None  # taken once and not deleted: the next delivery is the second

    def finished() -> dict[str, Any] | None:
        body = _answer(api, member, created.request_id)
        return body if body["status"] == "completed" else None

    done = wait_for(finished, timeout=300, what="the erasure to finish")
    assert _stored(pings, owner.account_id, member.user_id) == 0
    assert all(p["finished"] and p["left"] == 0 for p in done["progress"])
    assert done["erased"]["pings"] == seeded and done["kept"] == []
    stored = privacy.get_request(owner.account_id, created.request_id)
    assert stored is not None and stored.step >= seeded // data_requests.STEP_ITEMS


def _unreachable() -> None:
    raise ConnectionError("the queue is unreachable")


def test_an_erasure_under_a_legal_hold_keeps_everything_and_says_which_hold(
    api: httpx.Client, stack: Stack, owner: User
) -> None:
    member = add_member(api, owner)
    db = _database(stack)
    first = _backdate_account(db, owner.account_id, 5)
    pings = db.get_container_client(schema.PINGS.name)
    pk = ping_partition(owner.account_id, member.user_id, first + timedelta(days=1))
    pings.create_item({"id": str(uuid.uuid4()), "pk": pk, "docType": "ping", "t": 1, "lat": 1.0, "lon": 2.0})
    root = root_with(stack.settings)
    privacy = root.port("privacy")
    hold = LegalHold(
        hold_id=str(uuid.uuid4()),
        account_id=owner.account_id,
        user_id=member.user_id,
        reason="litigation",
        placed_by="admin",
        placed_at=datetime.now(UTC),
    )
    privacy.put_hold(hold)
    r = api.post("/me/data-requests", json={"type": "erasure"}, headers=member.auth)
    assert r.status_code == 202
    done = wait_for(
        lambda: (b := _answer(api, member, r.json()["requestId"]))["status"] == "completed" and b,
        timeout=60,
        what="the erasure to answer",
    )
    kept = {k["kind"]: k["reason"] for k in done["kept"]}
    assert kept["pings"] == f"legal-hold {hold.hold_id}" and kept["profiles"] == f"legal-hold {hold.hold_id}"
    assert done["erased"] == {}
    assert _stored(pings, owner.account_id, member.user_id) == 1
    assert api.get("/me", headers=member.auth).json()["email"] == member.email  # the profile is untouched
    audit = [e for e in privacy.list_audit(owner.account_id) if e.action == "data-request.erasure.kept"]
    assert audit and audit[0].details["holds"] == [hold.hold_id]
