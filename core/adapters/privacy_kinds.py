"""Building blocks of the personal-data registry's kinds (`core.ports.PersonalDataKind`).

A kind reads the documents another area's adapter writes, in the shapes that adapter writes them; it never changes
them except to delete (or, for a few kinds, anonymize) what the registry asks. `KeysetKind` is the one generic
kind: a docType in a container, found in the account's partition or in each member's partition of `users`, in
keyset pages (`c.<order> > @after ORDER BY c.<order>`), so a page boundary survives deletions and a crash: resuming
after the last key seen neither skips nor repeats an item. Areas subclass it only where their data needs more
(blobs to delete first, a secret to leave out of the export, an id to take out of a list).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import IO, Any, Literal

from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos import strip_system
from core.domain.privacy import ItemRef, Page

Partition = Literal["accountId", "userId"]
Param = dict[str, Any]
EXPORT_PAGE = 200


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def first_page(
    container: ContainerProxy, query: str, params: list[Param], pk: str, limit: int
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


BATCH_LIMIT = 100  # operations in one Cosmos DB transactional batch (all on one partition key)


def batch_delete(container: ContainerProxy, refs: Sequence[ItemRef]) -> int:
    """Delete items in transactional batches (`execute_item_batch`, up to 100 deletes on one partition key): one
    request per batch instead of one per item. A batch fails as a whole when one of its items is already gone (or the
    server has no batches, like the local emulator): then that batch's items are deleted one by one, which skips the
    missing ones. Answers how many items were deleted."""
    by_pk: dict[str, list[str]] = {}
    for ref in refs:
        by_pk.setdefault(ref.partition_key, []).append(ref.doc_id)
    deleted = 0
    for pk, ids in by_pk.items():
        for start in range(0, len(ids), BATCH_LIMIT):
            chunk = ids[start : start + BATCH_LIMIT]
            if len(chunk) > 1 and _batch(container, pk, chunk):
                deleted += len(chunk)
            else:
                deleted += sum(1 for doc_id in chunk if delete_doc(container, doc_id, pk))
    return deleted


_NO_BATCHES: set[str] = set()  # containers whose server answered a batch with an error of its own (no batches)


def _batch(container: ContainerProxy, pk: str, ids: list[str]) -> bool:
    if container.id in _NO_BATCHES:
        return False
    try:
        container.execute_item_batch(batch_operations=[("delete", (doc_id,)) for doc_id in ids], partition_key=pk)
    except cosmos_errors.CosmosBatchOperationError:
        return False  # an item of the batch was already gone: nothing of it was applied
    except cosmos_errors.CosmosHttpResponseError:
        _NO_BATCHES.add(container.id)  # e.g. the local emulator: one by one from now on
        return False
    return True


def member_ids(accounts: ContainerProxy, account_id: str, *, removed_only: bool = False) -> list[str]:
    """The user ids of the account's member profiles (any status, or removed members only), sorted."""
    extra = " AND c.status = 'removed'" if removed_only else ""
    docs = accounts.query_items(
        "SELECT c.user_id FROM c WHERE c.accountId = @a AND c.docType = 'member'" + extra,  # noqa: S608  # nosec B608 - fixed fragment
        parameters=[{"name": "@a", "value": account_id}],
        partition_key=account_id,
    )
    return sorted(str(d["user_id"]) for d in docs)


def write_json_array(out: IO[bytes], docs: Iterator[dict[str, Any]]) -> int:
    """Stream documents as one JSON array (one document in memory at a time); answer how many."""
    out.write(b"[")
    count = 0
    for doc in docs:
        out.write((b",\n" if count else b"") + json.dumps(doc, default=str).encode())
        count += 1
    out.write(b"]\n")
    return count


class KeysetKind:
    """One docType of one container, in keyset pages.

    * partition "accountId": the account's partition. `user_field` names the member a document is about (its
      items for export and erasure); without it the kind is the account's data (no export, nothing on erasure).
    * partition "userId": each member's partition of `users` (members found through the account's profiles, any
      status, `users_per_call` partitions per call; continuation JSON {"u": user id, "after": last key}). The
      document names its account in `account_field`, or None for per-user documents (a user has one account).

    `scope` is a fixed fragment every query adds (e.g. only requests with an export file). `time_field` (ISO-8601
    UTC text) ages the kind when `retention` names an account setting; without it the kind is kept while the
    account exists. Counts are `SELECT VALUE COUNT(1)` queries, never reads of the documents.
    """

    users_per_call = 50

    def __init__(
        self,
        database: DatabaseProxy,
        *,
        name: str,
        doc_type: str,
        description: str,
        export_file: str | None,
        container: str = schema.ACCOUNTS.name,
        partition: Partition = "accountId",
        order: str = "id",
        user_field: str | None = None,
        scope: str = "",
        time_field: str | None = None,
        retention: str = "account",
        kept_for: str | None = None,
        on_erasure: str = "delete",
        kept_reason: str = "",
        account_field: str | None = "account_id",
    ) -> None:
        self._c: ContainerProxy = database.get_container_client(container)
        self._accounts: ContainerProxy = database.get_container_client(schema.ACCOUNTS.name)
        self.name, self.doc_type, self.description, self.export_file = name, doc_type, description, export_file
        self.partition, self.order, self.scope = partition, order, scope
        self.user_field = "userId" if partition == "userId" else user_field
        self.time_field, self.retention, self.kept_for = time_field, retention, kept_for
        self.on_erasure, self.kept_reason = on_erasure, kept_reason
        self.account_field = account_field if partition == "userId" else None

    # ------------------------------------------------------------ queries (one partition each)

    def _filters(self, account_id: str, extra: str, params: list[Param]) -> tuple[str, list[Param]]:
        if self.account_field:
            return f"{self.scope} AND c.{self.account_field} = @a{extra}", [
                {"name": "@a", "value": account_id},
                *params,
            ]
        return self.scope + extra, params

    def docs(
        self, account_id: str, pk: str, extra: str, params: list[Param], after: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        """One keyset page of the partition `pk` (the account, or a member of it), and whether more may follow."""
        part = "c.accountId = @pk" if self.partition == "accountId" else "c.userId = @pk"
        where, params = self._filters(account_id, extra, params)
        order = self.order
        query = f"SELECT * FROM c WHERE {part} AND c.docType = @t{where} AND c.{order} > @after ORDER BY c.{order}"  # noqa: S608  # nosec B608 - fixed fragments of this module and its callers
        return first_page(
            self._c,
            query,
            [
                {"name": "@pk", "value": pk},
                {"name": "@t", "value": self.doc_type},
                {"name": "@after", "value": after or ""},
                *params,
            ],
            pk,
            limit,
        )

    def _count(self, account_id: str, pk: str, extra: str = "", extra_params: list[Param] | None = None) -> int:
        part = "c.accountId = @pk" if self.partition == "accountId" else "c.userId = @pk"
        where, params = self._filters(account_id, extra, extra_params or [])
        rows: list[Any] = list(
            self._c.query_items(
                f"SELECT VALUE COUNT(1) FROM c WHERE {part} AND c.docType = @t{where}",  # noqa: S608  # nosec B608 - fixed fragments
                parameters=[{"name": "@pk", "value": pk}, {"name": "@t", "value": self.doc_type}, *params],
                partition_key=pk,
            )
        )
        return int(rows[0]) if rows else 0

    def all_docs(self, account_id: str, pk: str, extra: str, params: list[Param]) -> Iterator[dict[str, Any]]:
        after: str | None = None
        while True:
            docs, more = self.docs(account_id, pk, extra, params, after, EXPORT_PAGE)
            yield from docs
            if not more or not docs:
                return
            after = str(docs[-1][self.order])

    # ------------------------------------------------------------ what a kind may change

    def user_filter(self, user_id: str) -> tuple[str, list[Param]]:
        """The fragment that finds one member's items, with its parameter; none when the partition is theirs."""
        if self.partition == "userId":
            return "", []
        return f" AND c.{self.user_field} = @u", [{"name": "@u", "value": user_id}]

    def ref(self, doc: dict[str, Any]) -> ItemRef:
        pk = str(doc["accountId"] if self.partition == "accountId" else doc["userId"])
        user = doc.get(self.user_field) if self.user_field else None
        return ItemRef(kind=self.name, partition_key=pk, doc_id=str(doc["id"]), user_id=str(user) if user else None)

    def page(
        self, account_id: str, extra: str, params: list[Param], after: str | None, limit: int, pk: str | None = None
    ) -> Page:
        docs, more = self.docs(account_id, pk or account_id, extra, params, after, limit)
        return Page(items=[self.ref(d) for d in docs], continuation=str(docs[-1][self.order]) if more else None)

    def _aged(self, before: datetime | None) -> tuple[str, list[Param]]:
        if before is None or self.time_field is None:
            return "", []
        return f" AND c.{self.time_field} < @before", [{"name": "@before", "value": iso(before)}]

    # ------------------------------------------------------------ PersonalDataKind

    def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
        if before is not None and self.time_field is None:
            return Page(items=[])  # kept while the account exists; removed with the account or on erasure
        extra, params = self._aged(before)
        if self.partition == "accountId":
            return self.page(account_id, extra, params, continuation, limit)
        state = json.loads(continuation) if continuation else {}
        users = [u for u in member_ids(self._accounts, account_id) if u >= state.get("u", "")]
        refs: list[ItemRef] = []
        for index, user in enumerate(users[: self.users_per_call]):
            after = state.get("after") if user == state.get("u") else None
            docs, more = self.docs(account_id, user, extra, params, after, limit - len(refs))
            refs += [self.ref(d) for d in docs]
            if more:
                return Page(items=refs, continuation=json.dumps({"u": user, "after": docs[-1][self.order]}))
            if len(refs) >= limit and index + 1 < len(users):
                return Page(items=refs, continuation=json.dumps({"u": users[index + 1]}))
        if len(users) > self.users_per_call:
            return Page(items=refs, continuation=json.dumps({"u": users[self.users_per_call]}))
        return Page(items=refs)

    def of_user(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> Page:
        if self.user_field is None:
            return Page(items=[])
        pk = user_id if self.partition == "userId" else account_id
        return self.page(account_id, *self.user_filter(user_id), continuation, limit, pk=pk)

    def delete(self, ref: ItemRef) -> bool:
        return delete_doc(self._c, ref.doc_id, ref.partition_key)

    def delete_many(self, refs: Sequence[ItemRef]) -> int:
        """In transactional batches (BatchDeletes), unless a subclass deletes more than the document (blobs)."""
        if type(self).delete is not KeysetKind.delete:
            return sum(1 for ref in refs if self.delete(ref))
        return batch_delete(self._c, refs)

    def anonymize(self, ref: ItemRef) -> bool:
        return self.delete(ref)

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        if self.user_field is None:
            return
        pk = user_id if self.partition == "userId" else account_id
        for doc in self.all_docs(account_id, pk, *self.user_filter(user_id)):
            yield strip_system(doc)

    def count_of_user(self, *, account_id: str, user_id: str) -> int:
        """The member's items in one COUNT query (what is still held about them, core/services/held_data.py)."""
        if self.user_field is None:
            return 0
        if type(self).of_user is not KeysetKind.of_user:  # a kind that finds a member's items its own way
            total, after = 0, None
            while True:
                page = self.of_user(account_id=account_id, user_id=user_id, continuation=after, limit=EXPORT_PAGE)
                total += len(page.items)
                if page.continuation is None:
                    return total
                after = page.continuation
        pk = user_id if self.partition == "userId" else account_id
        return self._count(account_id, pk, *self.user_filter(user_id))

    def count(self, *, account_id: str) -> int:
        if self.partition == "accountId":
            return self._count(account_id, account_id)
        return sum(self._count(account_id, user) for user in member_ids(self._accounts, account_id))
