"""The registry kinds that read other areas' containers (consents, tracking schedules, latest positions, access
log, pings, photos and notes), exercised on the emulator with documents in the shapes those areas write."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from azure.cosmos import ContainerProxy

from bench.lib.stack import create_scratch_database
from core import schema
from core.adapters.cosmos import CosmosAccountStore, build_cosmos_client
from core.adapters.cosmos_tracking import ping_partition
from core.adapters.privacy_kinds import KeysetKind
from core.adapters.privacy_pings import PingsKind
from core.adapters.privacy_tracking import AccessLogKind, LatestPositionKind
from core.domain.accounts import Account, BillingAddress, Member, MemberStatus
from core.domain.identity import Role
from core.settings import Settings
from tests.integration.conftest import Stack


@pytest.fixture
def scratch(stack: Stack) -> Iterator[Settings]:
    settings = Settings(COSMOS_DATABASE=f"{os.environ['COSMOS_DATABASE']}-kinds-{uuid.uuid4().hex[:6]}")
    client = build_cosmos_client(settings)
    create_scratch_database(client, settings.cosmos_database)
    try:
        yield settings
    finally:
        client.delete_database(settings.cosmos_database)


def z(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def test_other_area_kinds_list_age_export_and_delete(scratch: Settings) -> None:
    database = build_cosmos_client(scratch).get_database_client(scratch.cosmos_database)
    accounts = CosmosAccountStore(database)
    now = datetime.now(UTC)
    account_id = str(uuid.uuid4())
    accounts.put_account(
        Account(
            account_id=account_id,
            owner_user_id="w-0",
            company_name=None,
            time_zone="UTC",
            billing_address=BillingAddress(line1="1", city="c", postal_code="1", country="US"),
            created_at=now,
        )
    )
    for i, status in enumerate((MemberStatus.ACTIVE, MemberStatus.ACTIVE, MemberStatus.REMOVED)):
        accounts.put_member(
            Member(
                account_id=account_id,
                user_id=f"w-{i}",
                role=Role.MEMBER,
                full_name="W",
                email="w@example.com",
                time_zone="UTC",
                joined_at=now,
                updated_at=now,
                status=status,
            )
        )
    users = database.get_container_client("users")
    for i in range(3):
        for j in range(3):
            users.create_item(
                {
                    "id": f"consent-{i}-{j}",
                    "docType": "consent",
                    "userId": f"w-{i}",
                    "user_id": f"w-{i}",
                    "account_id": account_id,
                    "granted": True,
                    "recorded_at": z(now - timedelta(days=j)),
                }
            )
    users.create_item(
        {
            "id": "consent-elsewhere",
            "docType": "consent",
            "userId": "w-1",
            "user_id": "w-1",
            "account_id": "another-account",
            "recorded_at": z(now),
        }
    )
    positions = database.get_container_client("latest-positions")
    for i in range(3):
        positions.create_item({"id": f"w-{i}", "accountId": account_id, "docType": "latest-position", "t": z(now)})
    log = database.get_container_client("access-log")
    for i, (subjects, age) in enumerate(((["w-1"], 400), (["w-1", "w-2"], 10), (["w-2"], 1))):
        log.create_item(
            {
                "id": f"access-{i}",
                "docType": "access",
                "accountId": account_id,
                "viewer_user_id": "w-0",
                "subject_user_ids": subjects,
                "data": "location-track",
                "at": z(now - timedelta(days=age)),
            }
        )

    consents = KeysetKind(
        database,
        name="consents",
        doc_type="consent",
        description="c",
        export_file="consents.json",
        container=schema.USERS.name,
        partition="userId",
    )
    page = consents.expired(account_id=account_id, before=None, continuation=None, limit=4)
    assert len(page.items) == 4 and page.continuation
    rest = consents.expired(account_id=account_id, before=None, continuation=page.continuation, limit=10)
    assert {r.doc_id for r in page.items + rest.items} == {f"consent-{i}-{j}" for i in range(3) for j in range(3)}
    assert consents.expired(account_id=account_id, before=now, continuation=None, limit=10).items == []
    exported = list(consents.export(account_id=account_id, user_id="w-1"))
    assert len(exported) == 3 and {d["account_id"] for d in exported} == {account_id}

    latest = LatestPositionKind(database)
    removed = latest.expired(account_id=account_id, before=now, continuation=None, limit=10)
    assert [r.doc_id for r in removed.items] == ["w-2"]
    assert latest.delete(removed.items[0]) and not latest.delete(removed.items[0])
    assert latest.count(account_id=account_id) == 2

    access = AccessLogKind(database)
    old = access.expired(account_id=account_id, before=now - timedelta(days=365), continuation=None, limit=10)
    assert [r.doc_id for r in old.items] == ["access-0"] and old.items[0].user_id == "w-1"
    assert sorted(len(d["subject_user_ids"]) for d in access.export(account_id=account_id, user_id="w-2")) == [1, 2]
    first = access.expired(account_id=account_id, before=None, continuation=None, limit=2)
    second = access.expired(account_id=account_id, before=None, continuation=first.continuation, limit=2)
    assert [r.doc_id for r in first.items + second.items] == ["access-0", "access-1", "access-2"]
    for ref in consents.of_user(account_id=account_id, user_id="w-1", continuation=None, limit=10).items:
        assert consents.delete(ref)
    assert consents.count(account_id=account_id) == 6


def seed_pings(container: ContainerProxy, account_id: str, user_id: str, days: list[datetime], per_day: int) -> int:
    from concurrent.futures import ThreadPoolExecutor

    items = [(ping_partition(account_id, user_id, d.date()), d, i) for d in days for i in range(per_day)]

    def one(item: tuple[str, datetime, int]) -> None:
        pk, day, i = item
        at = day + timedelta(seconds=i)
        container.create_item(
            {
                "id": f"{day:%Y%m%d}-{i:05d}",
                "pk": pk,
                "docType": "ping",
                "t": int(at.timestamp() * 1000),
                "lat": 45.0 + i / 1e4,
                "lon": -93.0,
                "acc": 8.0,
                "src": "gps",
            }
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, items))
    return len(items)


PINGS_SEEDED = 6_000  # the emulator writes ~300 documents/s: this keeps seeding + purge around 40 s


def test_pings_purge_by_day_partition_in_bounded_runs_with_a_crash_and_a_hold(scratch: Settings) -> None:
    from core.adapters.blob_privacy import BlobExportSink, BlobPrefixStore
    from core.adapters.cosmos_privacy import CosmosPrivacyStore
    from core.adapters.privacy_registry import registered_kinds
    from core.adapters.storage import build_blob_service
    from core.clock import SystemClock
    from core.domain.privacy import LegalHold
    from core.services.purge import run_purge
    from core.services.retention import Registry, RetentionPolicy

    database = build_cosmos_client(scratch).get_database_client(scratch.cosmos_database)
    accounts, privacy = CosmosAccountStore(database), CosmosPrivacyStore(database)
    now = datetime.now(UTC)
    account_id = str(uuid.uuid4())
    accounts.put_account(
        Account(
            account_id=account_id,
            owner_user_id="w-0",
            company_name=None,
            time_zone="UTC",
            billing_address=BillingAddress(line1="1", city="c", postal_code="1", country="US"),
            created_at=now - timedelta(days=420),
        )
    )
    for uid in ("w-a", "w-b"):
        accounts.put_member(
            Member(
                account_id=account_id,
                user_id=uid,
                role=Role.MEMBER,
                full_name="W",
                email="w@example.com",
                time_zone="UTC",
                joined_at=now,
                updated_at=now,
            )
        )
    pings = database.get_container_client("pings")
    old_days = [now - timedelta(days=d) for d in range(380, 400)]
    seeded = seed_pings(pings, account_id, "w-a", old_days, PINGS_SEEDED // 20)
    seed_pings(pings, account_id, "w-a", [now - timedelta(days=2)], 10)  # fresh
    seed_pings(pings, account_id, "w-b", old_days[:2], 5)  # held
    privacy.put_hold(
        LegalHold(
            hold_id="h1", account_id=account_id, user_id="w-b", reason="dispute", placed_by="admin", placed_at=now
        )
    )

    blobs = build_blob_service(scratch)
    registry = Registry(kinds=registered_kinds(database, BlobExportSink(blobs, scratch), BlobPrefixStore(blobs)))
    assert any(isinstance(k, PingsKind) for k in registry.kinds) and "pings" not in registry.gaps
    purge = partial(
        run_purge,
        personal_data=registry,
        privacy=privacy,
        accounts=accounts,
        clock=SystemClock(),
        retention_policy=RetentionPolicy(),
        purge_batch_size=500,
        purge_max_items=2_000,
    )
    pages = {"n": 0}

    def crash() -> None:
        pages["n"] += 1
        if pages["n"] == 3:
            raise RuntimeError("simulated crash")

    with pytest.raises(RuntimeError):
        purge(on_page=crash)
    counted, runs = privacy.list_runs(1)[0].deleted.get("pings", 0), 1
    while True:
        run = purge()
        runs += 1
        counted += run.deleted.get("pings", 0)
        if run.complete_pass:
            break
        assert runs < 20

    def left(user: str, day: datetime) -> int:
        pk = ping_partition(account_id, user, day.date())
        return len(
            list(
                pings.query_items(
                    "SELECT c.id FROM c WHERE c.pk = @pk", parameters=[{"name": "@pk", "value": pk}], partition_key=pk
                )
            )
        )

    assert sum(left("w-a", d) for d in old_days) == 0 and counted == seeded and runs >= 3
    assert left("w-a", now - timedelta(days=2)) == 10
    assert left("w-b", old_days[0]) == 5  # held
    mark = PingsKind(database)._watermark(account_id, "w-a")
    assert mark is not None and mark == (now - timedelta(days=365)).date()
    assert PingsKind(database)._watermark(account_id, "w-b") is None


def test_pings_export_as_geojson_and_gpx_through_the_tracking_serializers(scratch: Settings) -> None:
    import io
    import json
    import zipfile
    from xml.etree import ElementTree

    database = build_cosmos_client(scratch).get_database_client(scratch.cosmos_database)
    accounts = CosmosAccountStore(database)
    now = datetime.now(UTC)
    account_id = str(uuid.uuid4())
    accounts.put_account(
        Account(
            account_id=account_id,
            owner_user_id="w-0",
            company_name=None,
            time_zone="UTC",
            billing_address=BillingAddress(line1="1", city="c", postal_code="1", country="US"),
            created_at=now - timedelta(days=5),
        )
    )
    pings = database.get_container_client("pings")
    seed_pings(pings, account_id, "w-a", [now - timedelta(days=3), now - timedelta(days=1)], 4)
    seed_pings(pings, account_id, "w-b", [now - timedelta(days=1)], 3)  # someone else's
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        files = PingsKind(database).write_export(zf, account_id=account_id, user_id="w-a")
    zf = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    assert [name for name, _ in files] == ["pings.geojson", "pings-gpx/<day>.gpx"]
    geo = json.loads(zf.read("pings.geojson"))
    points = [f for f in geo["features"] if f["properties"].get("kind") == "ping"]
    assert geo["type"] == "FeatureCollection" and len(points) == 8
    assert all(f["geometry"]["coordinates"][0] == -93.0 for f in points)
    gpx_files = sorted(n for n in zf.namelist() if n.startswith("pings-gpx/"))
    assert len(gpx_files) == 2
    for name in gpx_files:
        root = ElementTree.fromstring(zf.read(name))  # noqa: S314 - our own test output
        assert len(root.findall(".//{http://www.topografix.com/GPX/1/1}trkpt")) == 4


def test_photos_and_notes_kinds_delete_blobs_then_documents_and_export_the_files(scratch: Settings) -> None:
    import io
    import json
    import zipfile

    from core.adapters.blob_privacy import BlobPrefixStore
    from core.adapters.privacy_media import media_kinds
    from core.adapters.storage import build_blob_service

    database = build_cosmos_client(scratch).get_database_client(scratch.cosmos_database)
    service = build_blob_service(scratch)
    photos_container = schema.PHOTOS_BLOB_CONTAINER
    try:
        service.create_container(photos_container)
    except Exception:  # noqa: S110 - already there
        pass
    store = BlobPrefixStore(service)
    kinds = {k.name: k for k in media_kinds(database, store)}
    now = datetime.now(UTC)
    account_id = str(uuid.uuid4())
    media = database.get_container_client("media")
    for i, (user, age) in enumerate((("w-a", 200), ("w-a", 5), ("w-b", 200))):
        photo_id = f"p{i}"
        media.create_item(
            {
                "id": f"photo-{photo_id}",
                "docType": "photo",
                "accountId": account_id,
                "photo_id": photo_id,
                "user_id": user,
                "created_at": z(now - timedelta(days=age)),
                "status": "ready",
            }
        )
        for part in ("original.jpg", "thumb.jpg"):
            service.get_blob_client(photos_container, f"{account_id}/{user}/{photo_id}/{part}").upload_blob(
                f"bytes of {photo_id} {part}".encode(), overwrite=True
            )
    media.create_item(
        {
            "id": "note-n1",
            "docType": "note",
            "accountId": account_id,
            "note_id": "n1",
            "user_id": "w-a",
            "text": "gate code 1234",
            "created_at": z(now - timedelta(days=200)),
        }
    )

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        kinds["photos"].write_export(zf, account_id=account_id, user_id="w-a")
        kinds["notes"].write_export(zf, account_id=account_id, user_id="w-a")
    zf = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    assert len(json.loads(zf.read("photos.json"))) == 2 and len(json.loads(zf.read("notes.json"))) == 1
    assert zf.read("photos/p0/original.jpg") == b"bytes of p0 original.jpg"
    assert not any("p2" in n for n in zf.namelist())  # another worker's photo

    old = kinds["photos"].expired(account_id=account_id, before=now - timedelta(days=90), continuation=None, limit=10)
    assert sorted(r.doc_id for r in old.items) == ["photo-p0", "photo-p2"]
    for ref in old.items:
        assert kinds["photos"].delete(ref)
        assert not kinds["photos"].delete(ref)  # twice is a no-op
    assert store.list_names(photos_container, f"{account_id}/w-a/p0/") == []
    assert len(store.list_names(photos_container, f"{account_id}/w-a/p1/")) == 2
    assert kinds["photos"].count(account_id=account_id) == 1
    store.delete_prefix(photos_container, f"{account_id}/")
