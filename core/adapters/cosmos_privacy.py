"""Cosmos DB side of privacy: the `privacy` container, and the personal-data kinds stored in Cosmos.

Each kind reads another area's container through the document shapes that area writes; this module never
changes those documents, it only lists, exports and deletes them. Pages are keyset pages (`c.id > @after`
ordered by id), so a page boundary survives deletions and a crash: resuming after the last id seen neither
skips nor repeats an item.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos import strip_system, to_doc
from core.adapters.cosmos_tracking import ping_from_doc, ping_partition
from core.domain.privacy import (
    ERASED_EMAIL_DOMAIN,
    PLATFORM_PARTITION,
    AuditEntry,
    ClosureRecord,
    DataRequest,
    ItemRef,
    LegalHold,
    Page,
    PurgeCursor,
    PurgeRun,
    RetentionSettings,
)
from core.ports import ExportSink

log = logging.getLogger(__name__)


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def first_page(
    container: ContainerProxy, query: str, params: list[dict[str, Any]], pk: str, limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """One page of at most `limit` documents, and whether more may follow (a full page, or the service says so:
    Cosmos DB may answer a short page before the end)."""
    pager: Any = container.query_items(query, parameters=params, partition_key=pk, max_item_count=limit).by_page()
    for page in pager:
        docs = list(page)[:limit]
        return docs, len(docs) >= limit or bool(docs and getattr(pager, "continuation_token", None))
    return [], False


def delete_doc(container: ContainerProxy, doc_id: str, pk: str) -> bool:
    try:
        container.delete_item(item=doc_id, partition_key=pk)
    except cosmos_errors.CosmosResourceNotFoundError:
        return False
    return True


class CosmosPrivacyStore:
    """The `privacy` container: one partition per account; platform records (cursor, runs) in `_platform`."""

    def __init__(self, database: DatabaseProxy) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.PRIVACY.name)
        self._accounts: ContainerProxy = database.get_container_client(schema.ACCOUNTS.name)

    def _read(self, pk: str, doc_id: str, doc_type: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = self._c.read_item(item=doc_id, partition_key=pk)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return strip_system(doc) if doc.get("docType") == doc_type else None

    def _query(self, pk: str, doc_type: str, extra: str = "", params: list[dict[str, Any]] | None = None) -> Iterator[
        dict[str, Any]
    ]:
        docs = self._c.query_items(
            f"SELECT * FROM c WHERE c.accountId = @a AND c.docType = @t{extra}",  # noqa: S608  # nosec B608 - `extra` is a fixed fragment from this module; values are parameters
            parameters=[{"name": "@a", "value": pk}, {"name": "@t", "value": doc_type}, *(params or [])],
            partition_key=pk,
        )
        for d in docs:
            yield strip_system(d)

    def get_retention(self, account_id: str) -> RetentionSettings | None:
        doc = self._read(account_id, "retention", "retention")
        return RetentionSettings.model_validate(doc) if doc else None

    def put_retention(self, settings: RetentionSettings) -> None:
        self._c.upsert_item(to_doc(settings, doc_id="retention", doc_type="retention", accountId=settings.account_id))

    def put_hold(self, hold: LegalHold) -> None:
        self._c.upsert_item(to_doc(hold, doc_id=f"hold-{hold.hold_id}", doc_type="hold", accountId=hold.account_id))

    def get_hold(self, account_id: str, hold_id: str) -> LegalHold | None:
        doc = self._read(account_id, f"hold-{hold_id}", "hold")
        return LegalHold.model_validate(doc) if doc else None

    def list_holds(self, account_id: str) -> list[LegalHold]:
        return [LegalHold.model_validate(d) for d in self._query(account_id, "hold")]

    def get_cursor(self) -> PurgeCursor | None:
        doc = self._read(PLATFORM_PARTITION, "purge-cursor", "purge-cursor")
        return PurgeCursor.model_validate(doc) if doc else None

    def put_cursor(self, cursor: PurgeCursor) -> None:
        self._c.upsert_item(
            to_doc(cursor, doc_id="purge-cursor", doc_type="purge-cursor", accountId=PLATFORM_PARTITION)
        )

    def put_run(self, run: PurgeRun) -> None:
        self._c.upsert_item(to_doc(run, doc_id=f"run-{run.run_id}", doc_type="purge-run", accountId=PLATFORM_PARTITION))

    def list_runs(self, limit: int) -> list[PurgeRun]:
        runs = [PurgeRun.model_validate(d) for d in self._query(PLATFORM_PARTITION, "purge-run")]
        return sorted(runs, key=lambda r: r.started_at, reverse=True)[:limit]

    def prune_runs(self, before: datetime, limit: int) -> int:
        docs, _ = first_page(
            self._c,
            "SELECT c.id FROM c WHERE c.accountId = @a AND c.docType = 'purge-run' AND c.started_at < @before",
            [{"name": "@a", "value": PLATFORM_PARTITION}, {"name": "@before", "value": iso(before)}],
            PLATFORM_PARTITION,
            limit,
        )
        return sum(1 for d in docs if delete_doc(self._c, d["id"], PLATFORM_PARTITION))

    def get_closure(self, account_id: str) -> ClosureRecord | None:
        doc = self._read(account_id, "closure", "closure")
        return ClosureRecord.model_validate(doc) if doc else None

    def put_closure(self, record: ClosureRecord) -> None:
        self._c.upsert_item(to_doc(record, doc_id="closure", doc_type="closure", accountId=record.account_id))

    def put_request(self, request: DataRequest) -> None:
        self._c.upsert_item(
            to_doc(request, doc_id=f"request-{request.request_id}", doc_type="data-request",
                   accountId=request.account_id)
        )

    def get_request(self, account_id: str, request_id: str) -> DataRequest | None:
        doc = self._read(account_id, f"request-{request_id}", "data-request")
        return DataRequest.model_validate(doc) if doc else None

    def list_requests(self, account_id: str, user_id: str) -> list[DataRequest]:
        docs = self._query(account_id, "data-request", " AND c.user_id = @u", [{"name": "@u", "value": user_id}])
        return sorted((DataRequest.model_validate(d) for d in docs), key=lambda r: r.received_at, reverse=True)

    def audit(self, entry: AuditEntry) -> None:
        self._c.upsert_item(to_doc(entry, doc_id=f"audit-{entry.entry_id}", doc_type="audit",
                                   accountId=entry.account_id))

    def list_audit(self, account_id: str) -> list[AuditEntry]:
        return sorted((AuditEntry.model_validate(d) for d in self._query(account_id, "audit")), key=lambda e: e.at)

    def accounts_after(self, after: str | None, limit: int) -> list[str]:
        # The purge's platform-wide walk over accounts: keyset-paged, bounded by `limit`.
        docs = self._accounts.query_items(  # nosemgrep: cosmos-query-without-partition-key - bounded daily sweep
            "SELECT c.accountId FROM c WHERE c.docType = 'account' AND c.accountId > @after ORDER BY c.accountId",
            parameters=[{"name": "@after", "value": after or ""}],
            enable_cross_partition_query=True,
            max_item_count=limit,
        )
        found: list[str] = []
        for d in docs:
            found.append(str(d["accountId"]))
            if len(found) >= limit:
                break
        return found


class AccountDocKind:
    """A kind of data stored under one docType in a container partitioned by account (`accounts` by default)."""

    def __init__(
        self,
        database: DatabaseProxy,
        *,
        name: str,
        doc_type: str,
        user_field: str | None,
        description: str,
        export_file: str | None,
        kept_for: str | None = None,
        on_erasure: str = "delete",
        container: str = schema.ACCOUNTS.name,
        retention: str = "account",
        time_field: str | None = None,
    ) -> None:
        self._c: ContainerProxy = database.get_container_client(container)
        self.name = name
        self.doc_type = doc_type
        self.user_field = user_field
        self.description = description
        self.export_file = export_file
        self.retention = retention
        self.time_field = time_field  # ISO-8601 UTC text ("...Z"); needed for aged kinds (retention != "account")
        self.kept_for = kept_for
        self.on_erasure = on_erasure
        self.kept_reason = ""

    def _ref(self, doc: dict[str, Any]) -> ItemRef:
        user = doc.get(self.user_field) if self.user_field else None
        return ItemRef(kind=self.name, partition_key=doc["accountId"], doc_id=doc["id"],
                       user_id=str(user) if user else None)

    def _docs(
        self, account_id: str, extra: str, params: list[dict[str, Any]], after: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        return first_page(
            self._c,
            "SELECT * FROM c WHERE c.accountId = @a AND c.docType = @t AND c.id > @after"  # noqa: S608
            + extra + " ORDER BY c.id",  # nosec B608 - `extra` is a fixed fragment from this module; values are parameters
            [{"name": "@a", "value": account_id}, {"name": "@t", "value": self.doc_type},
             {"name": "@after", "value": after or ""}, *params],
            account_id,
            limit,
        )

    def _page(self, account_id: str, extra: str, params: list[dict[str, Any]], after: str | None, limit: int) -> Page:
        docs, more = self._docs(account_id, extra, params, after, limit)
        refs = [self._ref(d) for d in docs]
        return Page(items=refs, continuation=refs[-1].doc_id if more else None)

    def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
        if before is None:
            return self._page(account_id, "", [], continuation, limit)
        if self.time_field is None:
            return Page(items=[])  # kept while the account exists; removed with the account or on erasure
        return self._page(account_id, f" AND c.{self.time_field} < @before", [{"name": "@before", "value": iso(before)}],
                          continuation, limit)

    def of_user(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> Page:
        if not self.user_field:
            return Page(items=[])
        return self._page(account_id, f" AND c.{self.user_field} = @u", [{"name": "@u", "value": user_id}],
                          continuation, limit)

    def delete(self, ref: ItemRef) -> bool:
        return delete_doc(self._c, ref.doc_id, ref.partition_key)

    def anonymize(self, ref: ItemRef) -> bool:
        """Profiles: keep the membership (ids, role, dates), replace what identifies the person."""
        try:
            doc: dict[str, Any] = self._c.read_item(item=ref.doc_id, partition_key=ref.partition_key)
        except cosmos_errors.CosmosResourceNotFoundError:
            return False
        marker = hashlib.sha256(str(ref.user_id).encode()).hexdigest()[:16]
        replacement = {"full_name": "Erased member", "email": f"erased-{marker}@{ERASED_EMAIL_DOMAIN}", "phone": None}
        if all(doc.get(k) == v for k, v in replacement.items()):
            return False
        self._c.upsert_item({**strip_system(doc), **replacement, "id": doc["id"], "docType": doc["docType"],
                             "accountId": doc["accountId"]})
        return True

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        if not self.user_field:
            return
        after: str | None = None
        while True:
            docs, more = self._docs(account_id, f" AND c.{self.user_field} = @u", [{"name": "@u", "value": user_id}],
                                    after, 200)
            for doc in docs:
                yield strip_system(doc)
            if not more or not docs:
                return
            after = str(docs[-1]["id"])

    def count(self, *, account_id: str) -> int:
        docs = self._c.query_items(
            "SELECT VALUE COUNT(1) FROM c WHERE c.accountId = @a AND c.docType = @t",
            parameters=[{"name": "@a", "value": account_id}, {"name": "@t", "value": self.doc_type}],
            partition_key=account_id,
        )
        first: Any = next(iter(docs), 0)
        return int(first)


class SignInRecordKind:
    """The `users` container's sign-in records of an account's users (found through the account's member list)."""

    name = "sign-in-records"
    retention = "account"
    kept_for: str | None = None
    description = "Your sign-in record: which account and role your sign-in identity has, and its status."
    export_file: str | None = "sign-in-record.json"
    on_erasure = "keep"
    kept_reason = ("Sign-in record: only ids, role and status, no personal details; it lets you sign in and see "
                   "the outcome of your requests. It is deleted with the account or when you leave it.")

    def __init__(self, database: DatabaseProxy) -> None:
        self._users: ContainerProxy = database.get_container_client(schema.USERS.name)
        self._accounts: ContainerProxy = database.get_container_client(schema.ACCOUNTS.name)

    def _record(self, user_id: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = self._users.read_item(item=f"user-{user_id}", partition_key=user_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return doc

    def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
        if before is not None:
            return Page(items=[])
        docs, more = first_page(
            self._accounts,
            "SELECT c.id, c.user_id FROM c WHERE c.accountId = @a AND c.docType = 'member' AND c.id > @after"
            " ORDER BY c.id",
            [{"name": "@a", "value": account_id}, {"name": "@after", "value": continuation or ""}],
            account_id,
            limit,
        )
        refs: list[ItemRef] = []
        for d in docs:
            record = self._record(str(d["user_id"]))
            if record is not None and record.get("account_id") == account_id:
                refs.append(ItemRef(kind=self.name, partition_key=d["user_id"], doc_id=record["id"],
                                    user_id=d["user_id"]))
        return Page(items=refs, continuation=str(docs[-1]["id"]) if more else None)

    def of_user(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> Page:
        record = None if continuation else self._record(user_id)
        if record is None or record.get("account_id") != account_id:
            return Page(items=[])
        return Page(items=[ItemRef(kind=self.name, partition_key=user_id, doc_id=record["id"], user_id=user_id)])

    def delete(self, ref: ItemRef) -> bool:
        return delete_doc(self._users, ref.doc_id, ref.partition_key)

    def anonymize(self, ref: ItemRef) -> bool:
        return False

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        record = self._record(user_id)
        if record is not None and record.get("account_id") == account_id:
            yield strip_system(record)

    def count(self, *, account_id: str) -> int:
        return len(self.expired(account_id=account_id, before=None, continuation=None, limit=1000).items)


class ExportLinkKind(AccountDocKind):
    """Export ZIPs in the private `exports` blob container, found through their data requests. An export is kept
    until its download link expires; deleting it removes the blob and the link from the request."""

    def __init__(self, database: DatabaseProxy, sink: ExportSink) -> None:
        super().__init__(database, name="data-exports", doc_type="data-request", user_field="user_id",
                         description="Export files prepared for you.", export_file=None,
                         container=schema.PRIVACY.name)
        self.retention = "export-link"
        self._sink = sink

    def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
        if before is None:
            return self._page(account_id, " AND c.export_blob != null", [], continuation, limit)
        return self._page(account_id, " AND c.export_blob != null AND c.download_expires_at < @before",
                          [{"name": "@before", "value": iso(before)}], continuation, limit)

    def of_user(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> Page:
        return self._page(account_id, " AND c.export_blob != null AND c.user_id = @u",
                          [{"name": "@u", "value": user_id}], continuation, limit)

    def delete(self, ref: ItemRef) -> bool:
        try:
            doc: dict[str, Any] = self._c.read_item(item=ref.doc_id, partition_key=ref.partition_key)
        except cosmos_errors.CosmosResourceNotFoundError:
            return False
        blob = doc.get("export_blob")
        if not blob:
            return False
        self._sink.delete(str(blob))  # first the file, then the pointer: a crash in between only repeats this
        self._c.upsert_item({**strip_system(doc), "export_blob": None, "download_url": None, "id": doc["id"],
                             "docType": doc["docType"], "accountId": doc["accountId"]})
        return True

    def anonymize(self, ref: ItemRef) -> bool:
        return self.delete(ref)

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        return iter(())

    def count(self, *, account_id: str) -> int:
        return len(self.expired(account_id=account_id, before=None, continuation=None, limit=1000).items)


class UnansweredInvitationKind(AccountDocKind):
    """Invitations nobody accepted hold the address of someone who never became a user: they go a fixed number of
    days (RETENTION_INVITATIONS_DAYS) after they expired or were revoked."""

    def __init__(self, database: DatabaseProxy) -> None:
        super().__init__(database, name="unanswered-invitations", doc_type="invitation", user_field=None,
                         description="Invitations that were never accepted.", export_file=None)
        self.retention = "invitation"

    def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
        if before is None:
            return Page(items=[])  # with the account, the `invitations` kind removes them all
        return self._page(account_id, " AND c.status != 'accepted' AND c.expires_at < @before",
                          [{"name": "@before", "value": iso(before)}], continuation, limit)

    def of_user(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> Page:
        return Page(items=[])


def registered_kinds(database: DatabaseProxy, sink: ExportSink, blobs: Any = None, *, today: Any = None) -> list[Any]:
    """The kinds of personal data this build stores, in purge order. Sign-in records are found through the member
    profiles, so they go first and the profiles after them; export files go before the requests that point to
    them; the records kept longest (closure record, billing record) go last."""
    privacy = schema.PRIVACY.name
    return [
        SignInRecordKind(database),
        AccountDocKind(database, name="invitations", doc_type="invitation", user_field="accepted_by",
                       description="The invitation you accepted: the address it was sent to and when.",
                       export_file="invitations.json"),
        UnansweredInvitationKind(database),
        AccountDocKind(database, name="account-events", doc_type="event", user_field="userId",
                       description="Membership events about you (joined, removed) and when they happened.",
                       export_file="account-events.json"),
        *other_area_kinds(database, today=today),  # before the profiles: they find the account's users through them
        *(media_kinds(database, blobs) if blobs is not None else []),
        ExportLinkKind(database, sink),
        *privacy_state_kinds(database),
        AccountDocKind(database, name="privacy-requests", doc_type="data-request", user_field="user_id",
                       description="Your data-subject requests.", export_file=None,
                       kept_for="privacy-requests-and-audit", container=privacy),
        AccountDocKind(database, name="privacy-audit", doc_type="audit", user_field="subject_user_id",
                       description="The audit trail of privacy actions about you.", export_file=None,
                       kept_for="privacy-requests-and-audit", container=privacy),
        AccountDocKind(database, name="profiles", doc_type="member", user_field="user_id",
                       description="Your profile in the account: name, e-mail, phone, time zone, role, dates.",
                       export_file="profile.json", on_erasure="anonymize"),
        AccountDocKind(database, name="closure-record", doc_type="closure", user_field=None,
                       description="The record of the account's closure.", export_file=None,
                       kept_for="closure-record", container=privacy),
        *billing_kinds(database),
        AccountDocKind(database, name="billing-records", doc_type="account", user_field=None,
                       description="The account record with its billing address.", export_file=None,
                       kept_for="billing-records"),
    ]


def privacy_state_kinds(database: DatabaseProxy) -> list[Any]:
    """The account's own records in the `privacy` container that no legal category keeps: its retention settings
    (who changed them) and the pings purge's per-worker watermarks (user ids). They are not aged (account
    kinds): they go with the rest of a closed account's personal data after its window."""
    privacy = schema.PRIVACY.name
    kinds: list[Any] = [
        AccountDocKind(database, name="retention-settings", doc_type="retention", user_field=None,
                       description="The account's retention settings and who last changed them.", export_file=None,
                       container=privacy),
    ]
    if "pings" in {spec.name for spec in schema.CONTAINERS}:
        kinds.append(AccountDocKind(database, name="pings-watermarks", doc_type="pings-watermark",
                                    user_field="user_id", export_file=None, container=privacy,
                                    description="Where the purge of your location pings stopped (a day)."))
    return kinds


def billing_kinds(database: DatabaseProxy) -> list[Any]:
    """The billing area's records (`billing` container): kept with the billing records after closure."""
    if "billing" not in {spec.name for spec in schema.CONTAINERS}:
        return []
    return [
        AccountDocKind(database, name="billing-history", doc_type="billing", user_field=None, container="billing",
                       description="The account's Stripe customer and subscription ids and billing status history.",
                       export_file=None, kept_for="billing-records"),
        AccountDocKind(database, name="stripe-events", doc_type="stripe-event", user_field=None, container="billing",
                       description="Stripe events applied to the account.", export_file=None,
                       kept_for="billing-records"),
    ]


# ---------------------------------------------------------------- kinds of other areas, wired when their containers
# exist in core/schema.py. They read the document shapes those areas' adapters write; they never change them.


def _member_ids(accounts: ContainerProxy, account_id: str, *, removed_only: bool = False) -> list[str]:
    extra = " AND c.status = 'removed'" if removed_only else ""
    docs = accounts.query_items(
        "SELECT c.user_id FROM c WHERE c.accountId = @a AND c.docType = 'member'" + extra,  # noqa: S608  # nosec B608 - fixed fragment
        parameters=[{"name": "@a", "value": account_id}],
        partition_key=account_id,
    )
    return sorted(str(d["user_id"]) for d in docs)


class UserPartitionDocKind:
    """Documents of one docType in the `users` container (partition = user id) that carry `account_id`: consent
    ledger entries, tracking schedules. The account's users are found through its member profiles (any status).
    Continuation: JSON {"u": user id, "after": last document id}."""

    def __init__(self, database: DatabaseProxy, *, name: str, doc_type: str, description: str,
                 export_file: str | None, time_field: str | None = None, retention: str = "account",
                 on_erasure: str = "delete", account_field: str | None = "account_id") -> None:
        self._users: ContainerProxy = database.get_container_client(schema.USERS.name)
        self._accounts: ContainerProxy = database.get_container_client(schema.ACCOUNTS.name)
        self.name, self.doc_type, self.description, self.export_file = name, doc_type, description, export_file
        self.time_field, self.retention, self.on_erasure = time_field, retention, on_erasure
        self.account_field = account_field  # None: per-user documents (a user belongs to one account)
        self.kept_for: str | None = None
        self.kept_reason = ""

    def _docs(self, account_id: str, user_id: str, before: datetime | None, after: str | None, limit: int) -> tuple[
        list[dict[str, Any]], bool
    ]:
        extra, params = "", [{"name": "@u", "value": user_id}, {"name": "@t", "value": self.doc_type},
                             {"name": "@after", "value": after or ""}]
        if self.account_field:
            extra += f" AND c.{self.account_field} = @a"
            params.append({"name": "@a", "value": account_id})
        if before is not None and self.time_field:
            extra += f" AND c.{self.time_field} < @before"
            params.append({"name": "@before", "value": iso(before)})
        return first_page(
            self._users,
            "SELECT * FROM c WHERE c.userId = @u AND c.docType = @t AND c.id > @after"  # noqa: S608
            + extra + " ORDER BY c.id",  # nosec B608 - fixed fragment; values are parameters
            params, user_id, limit,
        )

    def _ref(self, doc: dict[str, Any]) -> ItemRef:
        return ItemRef(kind=self.name, partition_key=str(doc["userId"]), doc_id=str(doc["id"]),
                       user_id=str(doc["userId"]))

    def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
        if before is not None and not self.time_field:
            return Page(items=[])
        state = json.loads(continuation) if continuation else {}
        users = [u for u in _member_ids(self._accounts, account_id) if u >= state.get("u", "")]
        refs: list[ItemRef] = []
        for index, user in enumerate(users[:50]):  # a bounded number of partitions per call
            after = state.get("after") if user == state.get("u") else None
            docs, more = self._docs(account_id, user, before, after, limit - len(refs))
            refs += [self._ref(d) for d in docs]
            if more:
                return Page(items=refs, continuation=json.dumps({"u": user, "after": docs[-1]["id"]}))
            if len(refs) >= limit and index + 1 < len(users):
                return Page(items=refs, continuation=json.dumps({"u": users[index + 1]}))
        if len(users) > 50:
            return Page(items=refs, continuation=json.dumps({"u": users[50]}))
        return Page(items=refs)

    def of_user(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> Page:
        docs, more = self._docs(account_id, user_id, None, continuation, limit)
        return Page(items=[self._ref(d) for d in docs], continuation=str(docs[-1]["id"]) if more else None)

    def delete(self, ref: ItemRef) -> bool:
        return delete_doc(self._users, ref.doc_id, ref.partition_key)

    def anonymize(self, ref: ItemRef) -> bool:
        return self.delete(ref)

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        after: str | None = None
        while True:
            docs, more = self._docs(account_id, user_id, None, after, 200)
            for doc in docs:
                yield strip_system(doc)
            if not more or not docs:
                return
            after = str(docs[-1]["id"])

    def count(self, *, account_id: str) -> int:
        return sum(len(self._docs(account_id, u, None, None, 1000)[0]) for u in _member_ids(self._accounts, account_id))


class AccessLogKind:
    """The `access-log` container (partition /accountId; indexed: docType, subject_user_ids, at). Pages are keyset
    pages on `at` (the only ordered index); the continuation is the last `at` seen."""

    name = "access-log"
    retention = "access-log"
    kept_for: str | None = None
    description = "Who in your account read your location, photos or notes, and when."
    export_file: str | None = "access-log.json"
    on_erasure = "delete"
    kept_reason = ""

    def __init__(self, database: DatabaseProxy, container: str) -> None:
        self._c: ContainerProxy = database.get_container_client(container)

    def _docs(self, account_id: str, extra: str, params: list[dict[str, Any]], after: str | None, limit: int) -> tuple[
        list[dict[str, Any]], bool
    ]:
        return first_page(
            self._c,
            "SELECT * FROM c WHERE c.accountId = @a AND c.docType = 'access' AND c.at > @after"  # noqa: S608
            + extra + " ORDER BY c.at",  # nosec B608 - fixed fragment; values are parameters
            [{"name": "@a", "value": account_id}, {"name": "@after", "value": after or ""}, *params],
            account_id, limit,
        )

    def _page(self, account_id: str, extra: str, params: list[dict[str, Any]], after: str | None, limit: int) -> Page:
        docs, more = self._docs(account_id, extra, params, after, limit)
        refs = []
        for d in docs:
            subjects = [str(u) for u in d.get("subject_user_ids") or []]
            refs.append(ItemRef(kind=self.name, partition_key=account_id, doc_id=str(d["id"]),
                                user_id=subjects[0] if len(subjects) == 1 else None))
        return Page(items=refs, continuation=str(docs[-1]["at"]) if more else None)

    def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
        if before is None:
            return self._page(account_id, "", [], continuation, limit)
        return self._page(account_id, " AND c.at < @before", [{"name": "@before", "value": iso(before)}],
                          continuation, limit)

    def of_user(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> Page:
        return self._page(account_id, " AND ARRAY_CONTAINS(c.subject_user_ids, @u)",
                          [{"name": "@u", "value": user_id}], continuation, limit)

    def delete(self, ref: ItemRef) -> bool:
        return delete_doc(self._c, ref.doc_id, ref.partition_key)

    def anonymize(self, ref: ItemRef) -> bool:
        return self.delete(ref)

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        after: str | None = None
        while True:
            docs, more = self._docs(account_id, " AND ARRAY_CONTAINS(c.subject_user_ids, @u)",
                                    [{"name": "@u", "value": user_id}], after, 200)
            for doc in docs:
                yield strip_system(doc)
            if not more or not docs:
                return
            after = str(docs[-1]["at"])

    def count(self, *, account_id: str) -> int:
        return len(self._docs(account_id, "", [], None, 10_000)[0])


class LatestPositionKind:
    """The `latest-positions` container (partition /accountId, id = user id): one document per member. Removed
    members' positions go at the next purge; all go with the account or on erasure."""

    name = "latest-positions"
    retention = "location"
    kept_for: str | None = None
    description = "Your latest known position, as shown on the account's map."
    export_file: str | None = "latest-position.json"
    on_erasure = "delete"
    kept_reason = ""

    def __init__(self, database: DatabaseProxy, container: str) -> None:
        self._c: ContainerProxy = database.get_container_client(container)
        self._accounts: ContainerProxy = database.get_container_client(schema.ACCOUNTS.name)

    def _read(self, account_id: str, user_id: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = self._c.read_item(item=user_id, partition_key=account_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return doc

    def _refs(self, account_id: str, users: list[str]) -> list[ItemRef]:
        return [ItemRef(kind=self.name, partition_key=account_id, doc_id=u, user_id=u) for u in users
                if self._read(account_id, u) is not None]

    def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
        users = _member_ids(self._accounts, account_id, removed_only=before is not None)
        users = [u for u in users if u > (continuation or "")][:limit]
        return Page(items=self._refs(account_id, users), continuation=users[-1] if len(users) >= limit else None)

    def of_user(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> Page:
        return Page(items=[] if continuation else self._refs(account_id, [user_id]))

    def delete(self, ref: ItemRef) -> bool:
        return delete_doc(self._c, ref.doc_id, ref.partition_key)

    def anonymize(self, ref: ItemRef) -> bool:
        return self.delete(ref)

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        doc = self._read(account_id, user_id)
        if doc is not None:
            yield strip_system(doc)

    def count(self, *, account_id: str) -> int:
        return len(self._refs(account_id, _member_ids(self._accounts, account_id)))


def email_kinds(database: DatabaseProxy) -> list[Any]:
    """The e-mail and policy area's per-user documents (in `users`), wired when its containers exist."""
    names = {spec.name for spec in schema.CONTAINERS}
    policy: list[Any] = [
        UserPartitionDocKind(database, name="policy-acknowledgements", doc_type="policy-ack",
                             export_file="policy-acknowledgements.json",
                             description="Which privacy-policy versions you were shown, when, and in which app."),
    ] if "policy" in names else []
    if "outbox" not in names:
        return policy
    return [
        *policy,
        UserPartitionDocKind(database, name="email-preferences", doc_type="email-preferences", account_field=None,
                             export_file="email-preferences.json",
                             description="Which optional e-mails you want (product updates, tips) and whether opens and"
                                         " clicks may be tracked."),
        UserPartitionDocKind(database, name="email-status", doc_type="email-status", account_field=None,
                             export_file="email-address.json",
                             description="Your e-mail address as we send to it: whether and when it was verified,"
                                         " and a new address waiting for its verification link."),
    ]


def other_area_kinds(database: DatabaseProxy, *, today: Any = None) -> list[Any]:
    """The kinds of areas whose containers exist in this build (checked through core/schema.py by name)."""
    names = {spec.name for spec in schema.CONTAINERS}
    if "pings" not in names:
        return email_kinds(database)  # the location-tracking area is not in this build
    kinds: list[Any] = [
        UserPartitionDocKind(database, name="consents", doc_type="consent", export_file="consents.json",
                             description="Your consent ledger: each grant or revocation of location or camera access,"
                                         " when, from which device and app version, under which policy version."),
        UserPartitionDocKind(database, name="tracking-schedules", doc_type="tracking-schedule",
                             export_file="tracking-schedule.json",
                             description="Your tracking schedule: the days and hours (tracking windows) location is"
                                         " recorded."),
    ]
    kinds.insert(0, PingsKind(database, "pings", today=today))  # today: the app's clock (a test clock too)
    if "latest-positions" in names:
        kinds.append(LatestPositionKind(database, "latest-positions"))
    if "access-log" in names:
        kinds.append(AccessLogKind(database, "access-log"))
    from core.adapters.privacy_devices import DeviceKind  # device tokens (docs/devices.md); imports this module

    kinds.append(DeviceKind(database))
    from core.adapters.cosmos_private_zones import PrivateZoneKind, WithheldPingKind  # docs/private-zones.md

    kinds += [PrivateZoneKind(database), WithheldPingKind(database)]
    from core.adapters.privacy_coarse_history import coarse_history_kinds  # docs/coarsened-history.md

    kinds += coarse_history_kinds(database)
    kinds += job_site_kinds(database)
    return kinds + email_kinds(database)


def job_site_kinds(database: DatabaseProxy) -> list[AccountDocKind]:
    """Job sites (docs/job-sites.md), in the account's partition of `accounts`: the members' evaluated days, and the
    account's sites with their cell entries (they name assigned members by id; erasure takes the member's id out):
    removed with a closed account."""
    from core.adapters.privacy_job_sites import JobSiteKind  # imports this module

    return [
        site_visits_kind(database),
        JobSiteKind(database),
        AccountDocKind(database, name="job-site-cells", doc_type="job-site-cell", user_field=None, export_file=None,
                       description="The job sites' spatial index entries (copies of the sites)."),
    ]


def site_visits_kind(database: DatabaseProxy) -> AccountDocKind:
    """Job sites (docs/job-sites.md): each member's evaluated local days (enter/exit events, visits, stops, trips)
    in the account's partition of `accounts`. Location data: aged with the location retention by the day's start."""
    return AccountDocKind(database, name="site-visits", doc_type="site-day", user_field="user_id",
                          export_file="job-site-visits.json", retention="location", time_field="day_start_utc",
                          description="Your days at job sites: arrivals and departures, visits, stops elsewhere,"
                                      " trips and distances, computed from your location pings.")


class PingsKind:
    """The `pings` container: one partition per worker per UTC day (pk = accountId|userId|yyyy-mm-dd).

    A day is purged once it lies wholly before the cutoff (pings are kept N full days), so every query is a
    single-partition read of ids with no ordering. A watermark per worker (privacy container, docType
    `pings-watermark`) remembers the first day not yet purged, so a daily run reads only the newly expired day;
    a worker under a legal hold is skipped and their watermark does not move. Continuation: JSON {"u", "d"}.
    """

    name = "pings"
    retention = "location"
    kept_for: str | None = None
    description = "Your location pings (time, position, accuracy), one record per ping."
    export_file: str | None = "pings.json"
    on_erasure = "delete"
    kept_reason = ""
    partitions_per_call = 200

    def __init__(self, database: DatabaseProxy, container: str, *, today: Any = None) -> None:
        self._c: ContainerProxy = database.get_container_client(container)
        self._accounts: ContainerProxy = database.get_container_client(schema.ACCOUNTS.name)
        self._privacy: ContainerProxy = database.get_container_client(schema.PRIVACY.name)
        self._today = today or (lambda: datetime.now(UTC).date())

    @staticmethod
    def pk(account_id: str, user_id: str, day: date) -> str:
        return ping_partition(account_id, user_id, day)

    def _start(self, account_id: str) -> date:
        try:
            doc = self._accounts.read_item(item=f"account-{account_id}", partition_key=account_id)
            return datetime.fromisoformat(str(doc["created_at"]).replace("Z", "+00:00")).date()
        except (cosmos_errors.CosmosResourceNotFoundError, KeyError, ValueError):
            return self._today() - timedelta(days=3650)

    def _watermark(self, account_id: str, user_id: str) -> date | None:
        try:
            doc = self._privacy.read_item(item=f"pings-watermark-{user_id}", partition_key=account_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return date.fromisoformat(str(doc["first_unpurged_day"]))

    def _set_watermark(self, account_id: str, user_id: str, day: date) -> None:
        self._privacy.upsert_item({"id": f"pings-watermark-{user_id}", "docType": "pings-watermark",
                                   "accountId": account_id, "user_id": user_id, "first_unpurged_day": day.isoformat()})

    def _held(self, account_id: str) -> set[str]:
        docs = self._privacy.query_items(
            "SELECT c.user_id FROM c WHERE c.accountId = @a AND c.docType = 'hold' AND IS_NULL(c.lifted_at)",
            parameters=[{"name": "@a", "value": account_id}], partition_key=account_id)
        return {str(d["user_id"]) for d in docs if d.get("user_id")}

    def _ids(self, pk: str, limit: int) -> tuple[list[str], bool]:
        docs, more = first_page(self._c, "SELECT c.id FROM c WHERE c.pk = @pk", [{"name": "@pk", "value": pk}], pk,
                                limit)
        return [str(d["id"]) for d in docs], more

    def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
        state = json.loads(continuation) if continuation else {}
        held = self._held(account_id) if before is not None else set()
        end = before.date() if before is not None else self._today() + timedelta(days=1)  # exclusive
        start = self._start(account_id)
        users = [u for u in _member_ids(self._accounts, account_id) if u >= state.get("u", "") and u not in held]
        refs: list[ItemRef] = []
        visited = 0
        for user in users:
            if user == state.get("u") and state.get("d"):
                day = date.fromisoformat(state["d"])
            else:
                mark = self._watermark(account_id, user) if before is not None else None
                day = max(start, mark) if mark else start
            found = len(refs)
            while day < end:
                pk = self.pk(account_id, user, day)
                ids, more = self._ids(pk, limit - len(refs))
                refs += [ItemRef(kind=self.name, partition_key=pk, doc_id=i, user_id=user) for i in ids]
                visited += 1
                if more or len(refs) >= limit:
                    return Page(items=refs, continuation=json.dumps({"u": user, "d": day.isoformat()}))
                day += timedelta(days=1)
                if visited >= self.partitions_per_call:
                    if before is not None and len(refs) == found:
                        self._set_watermark(account_id, user, day)  # every day before it was found empty
                    return Page(items=refs, continuation=json.dumps({"u": user, "d": day.isoformat()}))
            # The watermark moves only past days found empty: a day listed in this call is deleted by the caller
            # after it returns, and a crash before that must find it again.
            if before is not None and len(refs) == found:
                self._set_watermark(account_id, user, max(end, start))
        return Page(items=refs)

    def of_user(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> Page:
        day = date.fromisoformat(continuation) if continuation else self._start(account_id)
        refs: list[ItemRef] = []
        while day <= self._today():
            pk = self.pk(account_id, user_id, day)
            ids, more = self._ids(pk, limit - len(refs))
            refs += [ItemRef(kind=self.name, partition_key=pk, doc_id=i, user_id=user_id) for i in ids]
            if more or len(refs) >= limit:
                return Page(items=refs, continuation=day.isoformat())
            day += timedelta(days=1)
        return Page(items=refs)

    def delete(self, ref: ItemRef) -> bool:
        return delete_doc(self._c, ref.doc_id, ref.partition_key)

    def anonymize(self, ref: ItemRef) -> bool:
        return self.delete(ref)

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        day = self._start(account_id)
        while day <= self._today():
            pk = self.pk(account_id, user_id, day)
            for doc in self._c.query_items("SELECT * FROM c WHERE c.pk = @pk", parameters=[{"name": "@pk", "value": pk}],
                                           partition_key=pk):
                yield strip_system(doc)
            day += timedelta(days=1)

    def count(self, *, account_id: str) -> int:
        return -1  # not counted: it would read every day partition of every worker

    def _day_docs(self, account_id: str, user_id: str, day: date) -> list[dict[str, Any]]:
        pk = self.pk(account_id, user_id, day)
        return list(self._c.query_items("SELECT * FROM c WHERE c.pk = @pk ORDER BY c.t",
                                        parameters=[{"name": "@pk", "value": pk}], partition_key=pk))

    def write_export(self, zf: Any, *, account_id: str, user_id: str) -> list[tuple[str, str]]:
        """pings.geojson (one FeatureCollection, written a day at a time) and one GPX file per day, through the
        tracking area's serializers; raw pings.json when they are not in this build. Memory holds one day."""
        try:
            formats = importlib.import_module("core.domain.tracking_formats")
            tracking = importlib.import_module("core.domain.tracking")
        except ImportError:
            with zf.open("pings.json", "w", force_zip64=True) as out:
                out.write(b"[")
                for i, doc in enumerate(self.export(account_id=account_id, user_id=user_id)):
                    out.write((b",\n" if i else b"") + json.dumps(doc, default=str).encode())
                out.write(b"]\n")
            return [("pings.json", self.description)]
        def tracks() -> Iterator[Any]:
            day = self._start(account_id)
            while day <= self._today():
                docs = self._day_docs(account_id, user_id, day)
                if docs:
                    points = [ping_from_doc(d) for d in docs]
                    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
                    yield tracking.Track(user_id=user_id, range_from=start, range_to=start + timedelta(days=1),
                                         points=points, raw_count=len(points))
                day += timedelta(days=1)

        with zf.open("pings.geojson", "w", force_zip64=True) as out:
            out.write(b'{"type": "FeatureCollection", "features": [')
            first = True
            for track in tracks():
                for feature in formats.to_geojson(track)["features"]:
                    out.write((b"" if first else b",\n") + json.dumps(feature).encode())
                    first = False
            out.write(b"]}\n")
        days = 0
        for track in tracks():  # a second pass: a ZIP takes one open entry at a time
            zf.writestr(f"pings-gpx/{track.range_from.date().isoformat()}.gpx", formats.to_gpx(track))
            days += 1
        return [
            ("pings.geojson", "Your location pings as GeoJSON (RFC 7946), coordinates [longitude, latitude]: for each"
                              " day a line of the track and one point per ping with its time and readings."),
            ("pings-gpx/<day>.gpx", f"Your location pings as GPX 1.1, one file per day ({days} days)."),
        ]


class OutboxKind:
    """The e-mail outbox (one partition per e-mail): finished entries (sent, suppressed, failed) and used-link
    markers older than RETENTION_OUTBOX_DAYS. A platform-wide sweep, oldest first, bounded by `limit`."""

    name = "outbox"

    def __init__(self, database: DatabaseProxy, container: str, retention_days: int) -> None:
        self._c: ContainerProxy = database.get_container_client(container)
        self.retention_days = retention_days

    def _sweep(self, query: str, before: datetime, limit: int) -> list[ItemRef]:
        docs = self._c.query_items(  # nosemgrep: cosmos-query-without-partition-key - daily sweep, bounded by limit
            query, parameters=[{"name": "@before", "value": iso(before)}], enable_cross_partition_query=True,
            max_item_count=limit,
        )
        refs: list[ItemRef] = []
        for d in docs:
            refs.append(ItemRef(kind=self.name, partition_key=str(d["outboxId"]), doc_id=str(d["id"])))
            if len(refs) >= limit:
                break
        return refs

    def expired_page(self, *, before: datetime, limit: int) -> list[ItemRef]:
        refs = self._sweep("SELECT c.id, c.outboxId FROM c WHERE c.docType = 'link-used' AND c.at < @before",
                           before, limit)
        if len(refs) < limit:
            refs += self._sweep(
                "SELECT c.id, c.outboxId FROM c WHERE c.docType = 'outbox' AND c.created_at < @before"
                " AND c.state != 'pending' AND c.state != 'sending'", before, limit - len(refs))
        return refs

    def delete(self, ref: ItemRef) -> bool:
        return delete_doc(self._c, ref.doc_id, ref.partition_key)


def platform_kinds(database: DatabaseProxy, *, outbox_days: int) -> list[Any]:
    names = {spec.name for spec in schema.CONTAINERS}
    return [OutboxKind(database, "outbox", outbox_days)] if "outbox" in names else []


class MediaKind:
    """Photos or notes in the `media` container (partition /accountId; indexed: docType, user_id, created_at...).
    Keyset pages on `created_at`. A photo's blobs ({accountId}/{userId}/{photoId}/... in the photo blob
    containers) are deleted before its document, so a crash in between only repeats the blob delete."""

    retention = "media"
    kept_for: str | None = None
    on_erasure = "delete"
    kept_reason = ""

    def __init__(self, database: DatabaseProxy, blobs: Any, *, name: str, doc_type: str, id_field: str,
                 blob_containers: tuple[str, ...], description: str, export_file: str) -> None:
        self._c: ContainerProxy = database.get_container_client("media")
        self._blobs = blobs
        self.name, self.doc_type, self.id_field = name, doc_type, id_field
        self.blob_containers, self.description, self.export_file = blob_containers, description, export_file

    def _prefix(self, doc: dict[str, Any]) -> str:
        return f"{doc['accountId']}/{doc['user_id']}/{doc[self.id_field]}/"

    def _docs(self, account_id: str, extra: str, params: list[dict[str, Any]], after: str | None, limit: int) -> tuple[
        list[dict[str, Any]], bool
    ]:
        return first_page(
            self._c,
            "SELECT * FROM c WHERE c.accountId = @a AND c.docType = @t AND c.created_at > @after"  # noqa: S608
            + extra + " ORDER BY c.created_at",  # nosec B608 - fixed fragment; values are parameters
            [{"name": "@a", "value": account_id}, {"name": "@t", "value": self.doc_type},
             {"name": "@after", "value": after or ""}, *params],
            account_id, limit,
        )

    def _page(self, account_id: str, extra: str, params: list[dict[str, Any]], after: str | None, limit: int) -> Page:
        docs, more = self._docs(account_id, extra, params, after, limit)
        refs = [ItemRef(kind=self.name, partition_key=account_id, doc_id=str(d["id"]), user_id=str(d["user_id"]),
                        blobs=[(c, self._prefix(d)) for c in self.blob_containers]) for d in docs]
        return Page(items=refs, continuation=str(docs[-1]["created_at"]) if more else None)

    def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
        if before is None:
            return self._page(account_id, "", [], continuation, limit)
        return self._page(account_id, " AND c.created_at < @before", [{"name": "@before", "value": iso(before)}],
                          continuation, limit)

    def of_user(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> Page:
        return self._page(account_id, " AND c.user_id = @u", [{"name": "@u", "value": user_id}], continuation, limit)

    def delete(self, ref: ItemRef) -> bool:
        blobs = sum(self._blobs.delete_prefix(container, prefix) for container, prefix in ref.blobs)
        return delete_doc(self._c, ref.doc_id, ref.partition_key) or blobs > 0

    def anonymize(self, ref: ItemRef) -> bool:
        return self.delete(ref)

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        after: str | None = None
        while True:
            docs, more = self._docs(account_id, " AND c.user_id = @u", [{"name": "@u", "value": user_id}], after, 200)
            for doc in docs:
                yield strip_system(doc)
            if not more or not docs:
                return
            after = str(docs[-1]["created_at"])

    def count(self, *, account_id: str) -> int:
        return len(self._docs(account_id, "", [], None, 10_000)[0])

    def write_export(self, zf: Any, *, account_id: str, user_id: str) -> list[tuple[str, str]]:
        with zf.open(self.export_file, "w", force_zip64=True) as out:
            out.write(b"[")
            for i, doc in enumerate(self.export(account_id=account_id, user_id=user_id)):
                out.write((b",\n" if i else b"") + json.dumps(doc, default=str).encode())
            out.write(b"]\n")
        files = [(self.export_file, self.description)]
        if not self.blob_containers or not self.blob_containers[0]:
            return files
        stored = self.blob_containers[0]  # the verified copies; quarantine holds nothing worth exporting
        count = 0
        for name in self._blobs.list_names(stored, f"{account_id}/{user_id}/"):
            with zf.open(f"{self.name}/{name.split('/', 2)[-1]}", "w", force_zip64=True) as out:
                for chunk in self._blobs.chunks(stored, name):
                    out.write(chunk)
            count += 1
        if count:
            files.append((f"{self.name}/<id>/...", f"The {self.name} files themselves ({count} files: original, "
                                                    "thumbnail and display copy of each)."))
        return files


def media_kinds(database: DatabaseProxy, blobs: Any) -> list[Any]:
    """Photos and notes, wired when the `media` container exists."""
    if "media" not in {spec.name for spec in schema.CONTAINERS}:
        return []
    photo_containers = tuple(getattr(schema, n) for n in ("PHOTOS_BLOB_CONTAINER", "PHOTO_QUARANTINE_BLOB_CONTAINER")
                             if hasattr(schema, n))
    return [
        MediaKind(database, blobs, name="photos", doc_type="photo", id_field="photo_id",
                  blob_containers=photo_containers, export_file="photos.json",
                  description="Your photos' metadata: capture time and place, camera, size, status, linked note."),
        MediaKind(database, blobs, name="notes", doc_type="note", id_field="note_id", blob_containers=(),
                  export_file="notes.json", description="Your notes: text, time, place and linked photo."),
    ]
