"""A backlog on the real Cosmos DB emulator purged in bounded runs, with a crash in the middle of one run.

The emulator writes about 300 documents a second here (bench/purge_bench.py prints the figures), so this test
seeds 1,500 documents (tests/integration/test_retention_other_areas.py purges 6,000 pings); the 50,000-item case runs against in-memory fakes in
tests/unit/test_retention_service.py. Its own database keeps its purge cursor apart from the session's host.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from bench.lib.stack import create_scratch_database
from bench.purge_bench import seed
from core.adapters.blob_privacy import BlobExportSink, BlobPrefixStore
from core.adapters.cosmos import CosmosAccountStore, build_cosmos_client
from core.adapters.cosmos_privacy import CosmosPrivacyStore
from core.adapters.privacy_registry import registered_kinds
from core.adapters.storage import build_blob_service
from core.clock import SystemClock
from core.domain.accounts import Account, AccountStatus, BillingAddress
from core.domain.privacy import ClosureRecord
from core.services.purge import run_purge
from core.services.retention import Registry, RetentionPolicy
from core.settings import Settings
from tests.integration.conftest import Stack

SEEDED = 1_500


@pytest.fixture
def scratch(stack: Stack) -> Iterator[Settings]:
    settings = Settings(COSMOS_DATABASE=f"{os.environ['COSMOS_DATABASE']}-purge-{uuid.uuid4().hex[:6]}")
    client = build_cosmos_client(settings)
    create_scratch_database(client, settings.cosmos_database)
    try:
        yield settings
    finally:
        client.delete_database(settings.cosmos_database)


def closed_account(accounts: CosmosAccountStore, privacy: CosmosPrivacyStore, *, due: bool) -> str:
    now = datetime.now(UTC)
    account_id = str(uuid.uuid4())
    accounts.put_account(
        Account(
            account_id=account_id,
            owner_user_id="o",
            company_name=None,
            time_zone="UTC",
            billing_address=BillingAddress(line1="1", city="c", postal_code="1", country="US"),
            created_at=now,
            status=AccountStatus.CLOSED,
            closed_at=now,
        )
    )
    deadline = now - timedelta(days=1) if due else now + timedelta(days=30)
    privacy.put_closure(
        ClosureRecord(
            account_id=account_id, closed_by="o", closed_at=now - timedelta(days=91), retention_deadline=deadline
        )
    )
    return account_id


def test_backlog_purges_over_bounded_runs_and_survives_a_crash(scratch: Settings) -> None:
    database = build_cosmos_client(scratch).get_database_client(scratch.cosmos_database)
    accounts, privacy = CosmosAccountStore(database), CosmosPrivacyStore(database)
    container = database.get_container_client("accounts")
    due = closed_account(accounts, privacy, due=True)
    waiting = closed_account(accounts, privacy, due=False)
    seed(container, due, SEEDED)
    seed(container, waiting, 20)
    blobs = build_blob_service(scratch)
    registry = Registry(kinds=registered_kinds(database, BlobExportSink(blobs, scratch), BlobPrefixStore(blobs)))
    purge = partial(
        run_purge,
        personal_data=registry,
        privacy=privacy,
        accounts=accounts,
        clock=SystemClock(),
        retention_policy=RetentionPolicy(),
        purge_batch_size=100,
        purge_max_items=400,
    )
    pages = {"n": 0}

    def crash() -> None:
        pages["n"] += 1
        if pages["n"] == 6:
            raise RuntimeError("simulated crash")

    with pytest.raises(RuntimeError):
        purge(on_page=crash)
    counted = privacy.list_runs(1)[0].deleted.get("account-events", 0)
    assert counted < SEEDED
    runs = 1
    while True:
        run = purge()
        runs += 1
        counted += run.deleted.get("account-events", 0)
        assert run.deleted.get("account-events", 0) <= 400  # bounded
        if run.complete_pass:
            break
        assert runs < 20

    def left(account_id: str) -> int:
        docs = container.query_items(
            "SELECT VALUE COUNT(1) FROM c WHERE c.accountId = @a AND c.docType = 'event'",
            parameters=[{"name": "@a", "value": account_id}],
            partition_key=account_id,
        )
        count: object = next(iter(docs))  # SELECT VALUE COUNT(1) answers a number, typed by the SDK as a document
        assert isinstance(count, int)
        return count

    assert left(due) == 0 and counted == SEEDED and runs >= 4
    assert left(waiting) == 20  # still inside its window
    assert accounts.get_account(due) is not None  # the billing record stays


def test_an_aged_kind_deletes_only_items_older_than_the_cutoff(scratch: Settings) -> None:
    from core.adapters.privacy_kinds import KeysetKind
    from core.domain.accounts import Account as Acc

    database = build_cosmos_client(scratch).get_database_client(scratch.cosmos_database)
    accounts, privacy = CosmosAccountStore(database), CosmosPrivacyStore(database)
    container = database.get_container_client("accounts")
    now = datetime.now(UTC)
    account_id = str(uuid.uuid4())
    accounts.put_account(
        Acc(
            account_id=account_id,
            owner_user_id="o",
            company_name=None,
            time_zone="UTC",
            billing_address=BillingAddress(line1="1", city="c", postal_code="1", country="US"),
            created_at=now,
        )
    )
    for i, age in enumerate((400, 366, 364, 1)):
        at = (now - timedelta(days=age)).isoformat().replace("+00:00", "Z")
        container.create_item(
            {"id": f"event-aged-{i}", "docType": "event", "accountId": account_id, "userId": "u-1", "occurredAt": at}
        )
    aged = KeysetKind(
        database,
        name="aged-events",
        doc_type="event",
        user_field="userId",
        description="t",
        export_file=None,
        retention="location",
        time_field="occurredAt",
    )
    run = run_purge(
        personal_data=Registry(kinds=[aged], expected=("aged-events",)),
        privacy=privacy,
        accounts=accounts,
        clock=SystemClock(),
        retention_policy=RetentionPolicy(),
        purge_batch_size=2,
        purge_max_items=100,
    )
    assert run.complete_pass and run.deleted == {"aged-events": 2}
    left = {
        d["id"]
        for d in container.query_items(
            "SELECT c.id FROM c WHERE c.accountId = @a AND c.docType = 'event'",
            parameters=[{"name": "@a", "value": account_id}],
            partition_key=account_id,
        )
    }
    assert left == {"event-aged-2", "event-aged-3"}
