"""The registry kinds that read other areas' containers (consents, tracking schedules, latest positions, access
log), exercised on the emulator with documents in the shapes those areas write. Skipped when the area's
containers are not in core/schema.py."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bench.purge_bench import create_scratch_database
from core import schema
from core.adapters.cosmos import CosmosAccountStore, build_cosmos_client
from core.adapters.cosmos_privacy import AccessLogKind, LatestPositionKind, UserPartitionDocKind
from core.domain.accounts import Account, BillingAddress, Member, MemberStatus
from core.domain.identity import Role
from core.settings import Settings
from tests.integration.conftest import Stack

pytestmark = pytest.mark.skipif(
    not {"latest-positions", "access-log"} <= {c.name for c in schema.CONTAINERS},
    reason="the location-tracking area's containers are not in this build",
)


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
    accounts.put_account(Account(account_id=account_id, owner_user_id="w-0", company_name=None, time_zone="UTC",
                                 billing_address=BillingAddress(line1="1", city="c", postal_code="1", country="US"),
                                 created_at=now))
    for i, status in enumerate((MemberStatus.ACTIVE, MemberStatus.ACTIVE, MemberStatus.REMOVED)):
        accounts.put_member(Member(account_id=account_id, user_id=f"w-{i}", role=Role.MEMBER, full_name="W",
                                   email="w@example.com", time_zone="UTC", joined_at=now, updated_at=now,
                                   status=status))
    users = database.get_container_client("users")
    for i in range(3):
        for j in range(3):
            users.create_item({"id": f"consent-{i}-{j}", "docType": "consent", "userId": f"w-{i}",
                               "user_id": f"w-{i}", "account_id": account_id, "granted": True,
                               "recorded_at": z(now - timedelta(days=j))})
    users.create_item({"id": "consent-elsewhere", "docType": "consent", "userId": "w-1", "user_id": "w-1",
                       "account_id": "another-account", "recorded_at": z(now)})
    positions = database.get_container_client("latest-positions")
    for i in range(3):
        positions.create_item({"id": f"w-{i}", "accountId": account_id, "docType": "latest-position",
                               "t": z(now)})
    log = database.get_container_client("access-log")
    for i, (subjects, age) in enumerate(((["w-1"], 400), (["w-1", "w-2"], 10), (["w-2"], 1))):
        log.create_item({"id": f"access-{i}", "docType": "access", "accountId": account_id, "viewer_user_id": "w-0",
                         "subject_user_ids": subjects, "data": "location-track", "at": z(now - timedelta(days=age))})

    consents = UserPartitionDocKind(database, name="consents", doc_type="consent", description="c",
                                    export_file="consents.json")
    page = consents.expired(account_id=account_id, before=None, continuation=None, limit=4)
    assert len(page.items) == 4 and page.continuation
    rest = consents.expired(account_id=account_id, before=None, continuation=page.continuation, limit=10)
    assert {r.doc_id for r in page.items + rest.items} == {f"consent-{i}-{j}" for i in range(3) for j in range(3)}
    assert consents.expired(account_id=account_id, before=now, continuation=None, limit=10).items == []
    exported = list(consents.export(account_id=account_id, user_id="w-1"))
    assert len(exported) == 3 and {d["account_id"] for d in exported} == {account_id}

    latest = LatestPositionKind(database, "latest-positions")
    removed = latest.expired(account_id=account_id, before=now, continuation=None, limit=10)
    assert [r.doc_id for r in removed.items] == ["w-2"]
    assert latest.delete(removed.items[0]) and not latest.delete(removed.items[0])
    assert latest.count(account_id=account_id) == 2

    access = AccessLogKind(database, "access-log")
    old = access.expired(account_id=account_id, before=now - timedelta(days=365), continuation=None, limit=10)
    assert [r.doc_id for r in old.items] == ["access-0"] and old.items[0].user_id == "w-1"
    assert sorted(len(d["subject_user_ids"]) for d in access.export(account_id=account_id, user_id="w-2")) == [1, 2]
    first = access.expired(account_id=account_id, before=None, continuation=None, limit=2)
    second = access.expired(account_id=account_id, before=None, continuation=first.continuation, limit=2)
    assert [r.doc_id for r in first.items + second.items] == ["access-0", "access-1", "access-2"]
    for ref in consents.of_user(account_id=account_id, user_id="w-1", continuation=None, limit=10).items:
        assert consents.delete(ref)
    assert consents.count(account_id=account_id) == 6
