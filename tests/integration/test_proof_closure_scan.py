"""Row 12 of issue 9: retention and closure of seeded accounts, then a scan of every store of the session.

Account A (owner + 2 members) is seeded through the public API the way real users fill it: consents, a tracking
schedule, pings stored by the writer, photos (blobs and documents), notes, a data export (a ZIP in `exports`),
e-mails in the outbox, policy acknowledgements, retention settings and a Stripe
subscription on localstripe. A message about A that always fails is left in a poison queue. Account B gets the
shortest per-account retention and items older than it; A is closed, its window is made to elapse, and the purge
timer runs. Then every document of every Cosmos container of the session's database, every blob of every blob
container and every visible message of every queue and its `-poison` queue is read, and each item that mentions
A's id or one of its users' ids is classified as a record the docs keep after closure or as left behind.

Queue messages: the purge does not touch queues. Every message the product sends (and the host's copy to
`<queue>-poison`) has the Storage default time-to-live of 7 days, far inside the 90-day closure window, so a
message about the account expires on its own before the deadline: the scan checks each one's expiry time. Queues
with a trigger are drained by the host, so the realistic leftover is a poison message, which is what is seeded.

Moving time: there is no clock override. As in test_closure_api.py, the closure's `retention_deadline` is moved
into the past; the outbox entries written before the closure are aged by the same window (they would be that old
by then). For B, the items meant to be past retention are backdated (created_at, the ping's day partition).
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.cosmos import DatabaseProxy
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

from core import schema
from core.adapters.cosmos import build_cosmos_client
from core.adapters.cosmos_privacy import CosmosPrivacyStore
from core.adapters.cosmos_tracking import ping_partition
from core.services.purge_index import mark_due
from tests.fixtures import images
from tests.helpers import wait_for
from tests.integration.conftest import Stack, User, add_member, new_identity, register_owner
from tests.integration.test_retention_api import fire_purge
from tests.integration.tracking_helpers import post, route, set_location_consent

ROW = 12
CONSENT = {"granted": True, "deviceId": "phone-1", "appVersion": "5.0.0"}
ALL_DAY = {
    "timeZone": "UTC",
    "windows": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"}],
}
SYSTEM_FIELDS = ("_rid", "_self", "_etag", "_attachments", "_ts", "_lsn")
FINAL_OUTBOX_STATES = ("sent", "suppressed", "failed")
PEEK_MAX = 32  # the most messages one peek returns; the scan checks the queue holds no more than that
BLOB_LIST_MAX = 50_000

# What the docs (docs/privacy-and-retention.md, "Kept after closure") keep of a closed account, by store and
# docType, with the category that keeps it. Anything else mentioning the account or its users is left behind.
LEGAL: dict[tuple[str, str], str] = {
    ("accounts", "account"): "billing-records",
    ("billing", "billing"): "billing-records",
    ("billing", "stripe-event"): "billing-records",
    ("privacy", "closure"): "closure-record",
    ("privacy", "data-request"): "privacy-requests-and-audit",
    ("privacy", "audit"): "privacy-requests-and-audit",
    ("privacy", "hold"): "legal-hold",
}
# The purge's own bookkeeping in the `_platform` partition: ids and counts only, pruned after 90 days.
BOOKKEEPING: set[tuple[str, str]] = {("privacy", "purge-run"), ("privacy", "purge-cursor"), ("privacy", "purge-due")}


def z(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Seeded:
    owner: User
    members: list[User]
    photos: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def account_id(self) -> str:
        return self.owner.account_id

    @property
    def needles(self) -> list[str]:
        return [self.account_id, self.owner.user_id, *(m.user_id for m in self.members)]


@dataclass(frozen=True)
class Item:
    store: str  # cosmos | blob | queue
    where: str  # container or queue name
    key: str  # document id, blob name or message id
    kind: str  # docType, "blob" or "message"
    body: str  # what is compared between two scans
    expires: datetime | None = None


@dataclass
class Stores:
    database: DatabaseProxy
    blobs: BlobServiceClient
    queues: QueueServiceClient

    def queue_names(self) -> list[str]:
        names = [os.environ[q.setting] for q in schema.QUEUES]
        return [n for name in names for n in (name, schema.poison_queue_name(name))]


@pytest.fixture(scope="module")
def stores(stack: Stack) -> Stores:
    conn = stack.settings.storage_connection_string
    assert conn is not None
    return Stores(
        database=build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database),
        blobs=BlobServiceClient.from_connection_string(conn.get_secret_value()),
        queues=QueueServiceClient.from_connection_string(conn.get_secret_value()),
    )


# ---------------------------------------------------------------- the scan


def _mentions(text: str, needles: list[str]) -> bool:
    return any(n in text for n in needles)


def _cosmos_items(stores: Stores) -> Iterator[tuple[str, dict[str, Any]]]:
    for spec in schema.CONTAINERS:
        container = stores.database.get_container_client(spec.name)
        # The whole container: the session's database holds only this file's data. Users, pings and outbox are
        # not partitioned by account, so a scan scoped by accountId would miss what is keyed by user or e-mail.
        for doc in container.query_items("SELECT * FROM c", enable_cross_partition_query=True):
            yield spec.name, {k: v for k, v in doc.items() if k not in SYSTEM_FIELDS}


def _decode(content: str) -> str:
    try:
        return base64.b64decode(content, validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return content


def scan(stores: Stores, needles: list[str]) -> list[Item]:
    """Every item of every store of the session that mentions one of `needles` (account or user ids; the test
    users' e-mail addresses contain their ids)."""
    found: list[Item] = []
    for name, doc in _cosmos_items(stores):
        text = json.dumps(doc, sort_keys=True, default=str)
        if _mentions(text, needles):
            found.append(Item("cosmos", name, str(doc["id"]), str(doc.get("docType")), text))
    for container in schema.BLOB_CONTAINERS:
        client = stores.blobs.get_container_client(container)
        if not client.exists():
            continue
        for i, blob in enumerate(client.list_blobs(include=["metadata"])):
            assert i < BLOB_LIST_MAX, f"more than {BLOB_LIST_MAX} blobs in {container}"
            text = json.dumps({"name": blob.name, "metadata": blob.metadata or {}}, sort_keys=True)
            if _mentions(text, needles):
                found.append(Item("blob", container, blob.name, "blob", f"{text} {blob.size} {blob.etag}"))
    for queue in stores.queue_names():
        queue_client = stores.queues.get_queue_client(queue)
        try:
            count = queue_client.get_queue_properties().approximate_message_count or 0
        except ResourceNotFoundError:  # a poison queue is created with its first message
            continue
        assert count <= PEEK_MAX, f"{queue} holds {count} messages: more than one peek shows"
        for message in queue_client.peek_messages(max_messages=PEEK_MAX):
            text = _decode(str(message.content))
            if _mentions(text, needles):
                found.append(Item("queue", queue, str(message.id), "message", text, message.expires_on))
    return found


def classify(item: Item, *, deadline: datetime) -> str:
    """After the closed account's purge: the legal category that keeps the item, or "left behind"."""
    if item.store == "cosmos":
        key = (item.where, item.kind)
        if key in LEGAL:
            return LEGAL[key]
        if key in BOOKKEEPING:
            return "purge-bookkeeping"
        return "left behind"
    if item.store == "queue" and item.expires is not None and item.expires <= deadline:
        return "expires-on-its-own-ttl"
    return "left behind"


def comparable(items: list[Item]) -> set[tuple[str, str, str, str]]:
    """A scan without the purge's own run records (each run writes one) for before/after comparison."""
    return {(i.store, i.where, i.key, i.body) for i in items if (i.where, i.kind) not in BOOKKEEPING}


def by_store(items: list[Item]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for i in items:
        counts[i.store] = counts.get(i.store, 0) + 1
    return counts


# ---------------------------------------------------------------- seeding through the public API


def consent(api: httpx.Client, user: User, capability: str) -> None:
    r = api.put(f"/me/consents/{capability}", json=CONSENT, headers=user.auth)
    assert r.status_code == 200, r.text


def upload_photo(api: httpx.Client, user: User) -> str:
    data = images.jpeg(size=(320, 240), taken=datetime.now(UTC).replace(microsecond=0))
    r = api.post("/me/photos", json={"contentType": "image/jpeg", "sizeBytes": len(data)}, headers=user.auth)
    assert r.status_code == 201, r.text
    grant = r.json()
    put = httpx.put(grant["uploadUrl"], content=data, headers=grant["uploadHeaders"], timeout=30)
    assert put.status_code == 201, put.text
    assert api.post(f"/me/photos/{grant['photoId']}/complete", headers=user.auth).status_code == 202
    photo_id: str = grant["photoId"]
    return photo_id


def photo_settled(api: httpx.Client, owner: User, photo_id: str) -> None:
    def ready() -> bool:
        r = api.get(f"/accounts/{owner.account_id}/photos/{photo_id}", headers=owner.auth)
        return r.status_code == 200 and r.json()["status"] == "ready"

    wait_for(ready, timeout=60, interval=0.3, what=f"photo {photo_id} to be verified")


def add_note(api: httpx.Client, user: User, text: str) -> str:
    r = api.post("/me/notes", json={"text": text}, headers=user.auth)
    assert r.status_code == 201, r.text
    note_id: str = r.json()["noteId"]
    return note_id


def stored_pings(stores: Stores, account_id: str, user_id: str, day: datetime) -> list[dict[str, Any]]:
    pk = ping_partition(account_id, user_id, day.date())
    return list(
        stores.database.get_container_client("pings").query_items(
            "SELECT * FROM c WHERE c.pk = @pk", parameters=[{"name": "@pk", "value": pk}], partition_key=pk
        )
    )


def track_pings(api: httpx.Client, stores: Stores, user: User, count: int) -> None:
    set_location_consent(api, user, True)
    assert api.put("/me/tracking-schedule", json=ALL_DAY, headers=user.auth).status_code == 200
    start = datetime.now(UTC) + timedelta(milliseconds=50)
    result = post(api, user, route(start, count, timedelta(milliseconds=20)))
    assert result["accepted"] == count, result
    wait_for(
        lambda: len(stored_pings(stores, user.account_id, user.user_id, start)) == count,
        timeout=60,
        interval=0.3,
        what=f"{count} pings stored by the writer",
    )
    wait_for(
        lambda: site_days(stores, user.account_id, user.user_id),
        timeout=60,
        interval=0.3,
        what="the writer's job-site evaluation of the day (docs/job-sites.md)",
    )


def site_days(stores: Stores, account_id: str, user_id: str) -> list[dict[str, Any]]:
    return list(
        stores.database.get_container_client("accounts").query_items(
            "SELECT c.id FROM c WHERE c.accountId = @a AND c.docType = 'site-day' AND c.user_id = @u",
            parameters=[{"name": "@a", "value": account_id}, {"name": "@u", "value": user_id}],
            partition_key=account_id,
        )
    )


def seed_account(api: httpx.Client, stores: Stores, *, members: int) -> Seeded:
    owner = register_owner(api)
    seeded = Seeded(owner=owner, members=[add_member(api, owner) for _ in range(members)])
    for user in (owner, *seeded.members):
        r = api.post("/me/policy-acknowledgements", json={"versionId": "2023-06-15", "app": "ios"}, headers=user.auth)
        assert r.status_code == 201, r.text
    site = {
        "name": "Depot",
        "assignedMemberIds": [m.user_id for m in seeded.members],
        "area": {"kind": "circle", "centre": {"latitude": 44.9778, "longitude": -93.2650}, "radius": 200},
    }
    r = api.post(f"/accounts/{owner.account_id}/job-sites", json=site, headers=owner.auth)
    assert r.status_code == 201, r.text  # a job site naming the members (docs/job-sites.md)
    for member in seeded.members:
        consent(api, member, "camera")
        track_pings(api, stores, member, 4)
        seeded.notes.append(add_note(api, member, f"Gate code for site {member.user_id[-4:]}"))
        seeded.photos.append(upload_photo(api, member))
        r = api.post(
            "/me/private-zones", json={"latitude": 45.1, "longitude": -93.1, "radiusMeters": 150}, headers=member.auth
        )
        assert r.status_code == 201, r.text  # a private zone far from the pings (docs/private-zones.md)
        inside = {
            "id": str(uuid.uuid4()),
            "timestamp": z(datetime.now(UTC) + timedelta(milliseconds=50)),
            "latitude": 45.1,
            "longitude": -93.1,
            "horizontalAccuracy": 10.0,
            "source": "gps",
        }
        r = api.post("/me/locations", json={"pings": [inside]}, headers=member.auth)
        assert r.status_code == 202 and r.json()["dropped"]["privateZone"] == 1, r.text  # a withheld-ping record
    for photo_id in seeded.photos:
        photo_settled(api, owner, photo_id)
    # The owner reads a worker's track (an access-log entry about that worker).
    today = datetime.now(UTC)
    r = api.get(
        f"/accounts/{owner.account_id}/members/{seeded.members[0].user_id}/track",
        params={"from": z(today - timedelta(hours=1)), "to": z(today + timedelta(hours=1))},
        headers=owner.auth,
    )
    assert r.status_code == 200, r.text
    wait_for(
        lambda: (
            api.get(f"/accounts/{owner.account_id}/billing", headers=owner.auth).json().get("status")
            in ("trialing", "active")
        ),
        timeout=60,
        what="the account's Stripe subscription",
    )
    return seeded


def data_export(api: httpx.Client, user: User) -> dict[str, Any]:
    r = api.post("/me/data-requests", json={"type": "access"}, headers=user.auth)
    assert r.status_code == 202, r.text
    request_id = r.json()["requestId"]

    def done() -> dict[str, Any] | None:
        body: dict[str, Any] = api.get(f"/me/data-requests/{request_id}", headers=user.auth).json()
        return body if body["status"] == "completed" else None

    return wait_for(done, timeout=90, interval=0.5, what="the data export to complete")


def outbox_docs(stores: Stores, needles: list[str]) -> list[dict[str, Any]]:
    return [
        doc
        for name, doc in _cosmos_items(stores)
        if name == "outbox" and _mentions(json.dumps(doc, default=str), needles)
    ]


def age_outbox(stores: Stores, needles: list[str], days: int) -> int:
    """What `days` of elapsed time does to the outbox entries (and used-link markers) of these users."""
    container = stores.database.get_container_client("outbox")
    aged = 0
    for doc in outbox_docs(stores, needles):
        for key in ("created_at", "at"):
            if doc.get(key):
                at = datetime.fromisoformat(str(doc[key]).replace("Z", "+00:00"))
                doc[key] = z(at - timedelta(days=days))
        container.upsert_item(doc)
        aged += 1
    return aged


def poison_message(stores: Stores, seeded: Seeded) -> str:
    """A ping batch about the account that always fails: the host moves it to `<queue>-poison`."""
    queue = os.environ["QUEUE_LOCATION_PINGS"]
    marker = f"closure-scan-{uuid.uuid4().hex[:8]}"
    body = {"accountId": seeded.account_id, "userId": seeded.members[0].user_id, "kind": marker, "pings": "none"}
    stores.queues.get_queue_client(queue).send_message(base64.b64encode(json.dumps(body).encode()).decode())
    poison = stores.queues.get_queue_client(schema.poison_queue_name(queue))

    def arrived() -> bool:
        try:
            return any(marker in _decode(str(m.content)) for m in poison.peek_messages(max_messages=PEEK_MAX))
        except ResourceNotFoundError:  # the poison queue is created with its first message
            return False

    wait_for(arrived, timeout=90, interval=0.5, what="the failing message in the poison queue")
    return marker


# ---------------------------------------------------------------- (a) short per-account retention on account B


def backdate_media(stores: Stores, account_id: str, doc_id: str, days: int) -> None:
    media = stores.database.get_container_client("media")
    doc = media.read_item(item=doc_id, partition_key=account_id)
    for key in ("created_at", "sort_at"):
        if doc.get(key):
            at = datetime.fromisoformat(str(doc[key]).replace("Z", "+00:00"))
            doc[key] = z(at - timedelta(days=days))
    media.upsert_item({k: v for k, v in doc.items() if k not in SYSTEM_FIELDS})


def seed_short_retention(api: httpx.Client, stores: Stores) -> tuple[Seeded, dict[str, Callable[[], bool]]]:
    """Account B with the shortest retention the platform allows, items just past it and items inside it.
    Answers the checks that must hold after the purge: name -> "still as it should be"."""
    b = seed_account(api, stores, members=1)
    r = api.put(
        f"/accounts/{b.account_id}/retention",
        json={"locationDays": 30, "mediaDays": 30, "accessLogDays": 90},
        headers=b.owner.auth,
    )
    assert r.status_code == 200, r.text
    worker = b.members[0]
    accounts = stores.database.get_container_client("accounts")
    account = accounts.read_item(item=f"account-{b.account_id}", partition_key=b.account_id)
    account["created_at"] = z(datetime.now(UTC) - timedelta(days=60))  # the account has been in use 60 days
    accounts.upsert_item({k: v for k, v in account.items() if k not in SYSTEM_FIELDS})

    # Pings 40 days old, in the writer's shape and day partition (copies of today's stored pings).
    now = datetime.now(UTC)
    old_day = now - timedelta(days=40)
    pings = stores.database.get_container_client("pings")
    old_pk = ping_partition(b.account_id, worker.user_id, old_day.date())
    for doc in stored_pings(stores, b.account_id, worker.user_id, now):
        copy = {k: v for k, v in doc.items() if k not in SYSTEM_FIELDS}
        copy.update(id=str(uuid.uuid4()), pk=old_pk, t=int(doc["t"]) - 40 * 86_400_000)
        pings.create_item(copy)
    old_note, fresh_note = b.notes[0], add_note(api, worker, "Still fresh")
    backdate_media(stores, b.account_id, f"note-{old_note}", 40)
    old_photo = b.photos[0]
    backdate_media(stores, b.account_id, f"photo-{old_photo}", 40)
    log = stores.database.get_container_client("access-log")
    entries = list(
        log.query_items(
            "SELECT * FROM c WHERE c.accountId = @a AND c.docType = 'access'",
            parameters=[{"name": "@a", "value": b.account_id}],
            partition_key=b.account_id,
        )
    )
    assert entries, "the owner's read of the track was not logged"
    old_entry = entries[0]
    old_entry["at"] = z(now - timedelta(days=100))
    log.upsert_item({k: v for k, v in old_entry.items() if k not in SYSTEM_FIELDS})
    r = api.get(
        f"/accounts/{b.account_id}/members/{worker.user_id}/track",
        params={"from": z(now - timedelta(hours=1)), "to": z(now + timedelta(hours=1))},
        headers=b.owner.auth,
    )
    assert r.status_code == 200  # a fresh access-log entry, inside the 90 days

    media = stores.database.get_container_client("media")

    def media_exists(doc_id: str) -> bool:
        return bool(
            list(
                media.query_items(
                    "SELECT c.id FROM c WHERE c.accountId = @a AND c.id = @i",
                    parameters=[{"name": "@a", "value": b.account_id}, {"name": "@i", "value": doc_id}],
                    partition_key=b.account_id,
                )
            )
        )

    def photo_blobs(photo_id: str) -> int:
        prefix = f"{b.account_id}/{worker.user_id}/{photo_id}/"
        return sum(
            len(list(stores.blobs.get_container_client(c).list_blobs(name_starts_with=prefix)))
            for c in (schema.PHOTOS_BLOB_CONTAINER, schema.PHOTO_QUARANTINE_BLOB_CONTAINER)
        )

    def access_ids() -> set[str]:
        return {
            d["id"]
            for d in log.query_items(
                "SELECT c.id FROM c WHERE c.accountId = @a",
                parameters=[{"name": "@a", "value": b.account_id}],
                partition_key=b.account_id,
            )
        }

    assert photo_blobs(old_photo) > 0 and len(access_ids()) >= 2
    checks: dict[str, Callable[[], bool]] = {
        "40-day-old pings deleted": lambda: stored_pings(stores, b.account_id, worker.user_id, old_day) == [],
        "today's pings kept": lambda: len(stored_pings(stores, b.account_id, worker.user_id, now)) == 4,
        "40-day-old note deleted": lambda: not media_exists(f"note-{old_note}"),
        "fresh note kept": lambda: media_exists(f"note-{fresh_note}"),
        "40-day-old photo deleted": lambda: not media_exists(f"photo-{old_photo}"),
        "40-day-old photo's blobs deleted": lambda: photo_blobs(old_photo) == 0,
        "100-day-old access-log entry deleted": lambda: old_entry["id"] not in access_ids(),
        "fresh access-log entry kept": lambda: len(access_ids()) >= 1,
    }
    return b, checks


# ---------------------------------------------------------------- the row


def test_closed_account_leaves_nothing_but_its_legal_records(
    api: httpx.Client, stack: Stack, stores: Stores, figure: Callable[..., None]
) -> None:
    admin = new_identity(admin=True)
    a = seed_account(api, stores, members=2)
    r = api.put(f"/accounts/{a.account_id}/retention", json={"locationDays": 400}, headers=a.owner.auth)
    assert r.status_code == 200, r.text
    export = data_export(api, a.members[0])
    assert export["downloadUrl"]
    marker = poison_message(stores, a)
    b, b_checks = seed_short_retention(api, stores)

    seeded = scan(stores, a.needles)
    assert any(i.where == "exports" for i in seeded) and any(i.where == "photos" for i in seeded)
    assert any(i.where == "pings" for i in seeded) and any(i.where == "outbox" for i in seeded)
    assert any(marker in i.body for i in seeded if i.store == "queue")

    # (a) a retention pass: B's items past its short retention go, the rest of B and all of A stay.
    run_a = fire_purge(api, stack, admin)
    b_failed = [name for name, ok in b_checks.items() if not ok()]
    a_after_pass = scan(stores, a.needles)
    a_lost_in_pass = comparable(seeded) - comparable(a_after_pass)

    # (b) closure of A, then its window elapses.
    path = f"/accounts/{a.account_id}/closure"
    phrase = api.post(path, json={}, headers=a.owner.auth).json()["confirmationPhrase"]
    closed = api.post(path, json={"confirm": phrase, "reason": "closure scan"}, headers=a.owner.auth)
    assert closed.status_code == 200, closed.text
    deadline = datetime.fromisoformat(closed.json()["retentionDeadline"])
    wait_for(
        lambda: all(
            d.get("state") in FINAL_OUTBOX_STATES or d.get("docType") != "outbox"
            for d in outbox_docs(stores, a.needles)
        ),
        timeout=60,
        interval=0.5,
        what="the account's e-mails to be sent",
    )
    privacy = CosmosPrivacyStore(stores.database)
    record = privacy.get_closure(a.account_id)
    assert record is not None
    window = record.retention_deadline - record.closed_at
    moved = datetime.now(UTC) - timedelta(minutes=1)
    privacy.put_closure(record.model_copy(update={"retention_deadline": moved}))
    mark_due(privacy, account_id=a.account_id, at=moved, reason="account-closed")  # what the closure wrote, moved
    age_outbox(stores, a.needles, window.days + 1)
    before_purge = scan(stores, a.needles)

    run_b = fire_purge(api, stack, admin)
    after = scan(stores, a.needles)
    classes = {i: classify(i, deadline=deadline) for i in after}
    left = sorted((i.store, i.where, i.kind, i.key) for i, c in classes.items() if c == "left behind")
    kept = sorted({c for c in classes.values() if c in LEGAL.values()})
    legal_before = {(i.store, i.where, i.kind, i.key) for i in before_purge if (i.where, i.kind) in LEGAL}
    legal_after = {(i.store, i.where, i.kind, i.key) for i in after if (i.where, i.kind) in LEGAL}
    wrongly_deleted = sorted(legal_before - legal_after)
    kept_by_law = sum(1 for c in classes.values() if c in LEGAL.values())
    kept_detail: dict[str, int] = {}
    for i, c in classes.items():
        if c in LEGAL.values():
            kept_detail[f"{i.where}/{i.kind}"] = kept_detail.get(f"{i.where}/{i.kind}", 0) + 1
    queue_ttl = sum(1 for c in classes.values() if c == "expires-on-its-own-ttl")

    # Rerun: a no-op.
    run_c = fire_purge(api, stack, admin)
    again = scan(stores, a.needles)
    changed = comparable(after) ^ comparable(again)
    second_deleted = sum(run_c["deleted"].values())

    figure(
        ROW,
        f"account with owner + 2 members: {len(seeded)} items seeded ({by_store(seeded)}); after closure and"
        f" purge {len(left)} left behind, {len(wrongly_deleted)} legal records wrongly deleted,"
        f" {kept_by_law} items kept by law ({kept_detail}), {queue_ttl} queue messages expiring on"
        f" their own TTL before the deadline; short retention on a second account: {len(b_failed)} of"
        f" {len(b_checks)} checks failed; second purge run deleted {second_deleted}, {len(changed)} items"
        " changed",
        seeded=len(seeded),
        left=len(left),
        wrongly_deleted=len(wrongly_deleted),
        kept_by_law=kept_by_law,
        kept_detail=kept_detail,
        queue_ttl=queue_ttl,
        short_retention_failed=len(b_failed),
        second_run_deleted=second_deleted,
        changed_on_rerun=len(changed),
    )

    assert not a_lost_in_pass, f"the retention pass deleted items of account A: {sorted(a_lost_in_pass)[:10]}"
    assert not b_failed, f"short retention on account B: {b_failed} (run: {run_a['deleted']})"
    assert not left, f"left behind after the closed account's purge: {left} (run: {run_b['deleted']})"
    assert not wrongly_deleted, f"legal records wrongly deleted: {wrongly_deleted}"
    assert {"billing-records", "closure-record", "privacy-requests-and-audit"} <= set(kept)
    assert after and len(after) < len(before_purge)
    assert second_deleted == 0, run_c["deleted"]
    assert not changed, sorted(changed)[:10]
    view = api.get(f"/platform/accounts/{a.account_id}/privacy", headers=admin.auth).json()
    assert view["closure"]["personal_data_purged_at"] and view["members"] == []
    assert b.account_id not in run_b.get("heldAccounts", [])
