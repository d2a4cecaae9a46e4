"""E-mail and policy versions in the privacy registry (docs/email-and-policy.md): the per-user documents in `users`
that `core/adapters/cosmos_email.py` and `core/adapters/cosmos_policy.py` write (address status, preferences,
policy acknowledgements), and the outbox's finished entries, swept platform-wide (one partition per e-mail).
"""

from __future__ import annotations

from datetime import datetime

from azure.cosmos import ContainerProxy, DatabaseProxy

from core import schema
from core.adapters.privacy_kinds import KeysetKind, delete_doc, iso
from core.domain.privacy import ItemRef


def email_kinds(database: DatabaseProxy) -> list[KeysetKind]:
    """Policy acknowledgements (they name the account), e-mail preferences and address status (per user)."""
    users = schema.USERS.name
    return [
        KeysetKind(
            database,
            name="policy-acknowledgements",
            doc_type="policy-ack",
            container=users,
            partition="userId",
            export_file="policy-acknowledgements.json",
            description="Which privacy-policy versions you were shown, when, and in which app.",
        ),
        KeysetKind(
            database,
            name="email-preferences",
            doc_type="email-preferences",
            container=users,
            partition="userId",
            account_field=None,
            export_file="email-preferences.json",
            description="Which optional e-mails you want (product updates, tips) and whether opens and"
            " clicks may be tracked.",
        ),
        KeysetKind(
            database,
            name="email-status",
            doc_type="email-status",
            container=users,
            partition="userId",
            account_field=None,
            export_file="email-address.json",
            description="Your e-mail address as we send to it: whether and when it was verified,"
            " and a new address waiting for its verification link.",
        ),
    ]


class OutboxKind:
    """The e-mail outbox (one partition per e-mail): finished entries (sent, suppressed, failed) and used-link
    markers older than RETENTION_OUTBOX_DAYS. A platform-wide sweep, oldest first, bounded by `limit`."""

    name = "outbox"

    def __init__(self, database: DatabaseProxy, retention_days: int) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.OUTBOX.name)
        self.retention_days = retention_days

    def _sweep(self, query: str, before: datetime, limit: int) -> list[ItemRef]:
        docs = self._c.query_items(  # nosemgrep: cosmos-query-without-partition-key - daily sweep, bounded by limit
            query,
            parameters=[{"name": "@before", "value": iso(before)}],
            enable_cross_partition_query=True,
            max_item_count=limit,
        )
        refs: list[ItemRef] = []
        for d in docs:
            refs.append(ItemRef(kind=self.name, partition_key=str(d["outboxId"]), doc_id=str(d["id"])))
            if len(refs) >= limit:
                break
        return refs

    def expired_page(self, *, before: datetime, limit: int) -> list[ItemRef]:
        refs = self._sweep(
            "SELECT c.id, c.outboxId FROM c WHERE c.docType = 'link-used' AND c.at < @before", before, limit
        )
        if len(refs) < limit:
            refs += self._sweep(
                "SELECT c.id, c.outboxId FROM c WHERE c.docType = 'outbox' AND c.created_at < @before"
                " AND c.state != 'pending' AND c.state != 'sending'",
                before,
                limit - len(refs),
            )
        return refs

    def delete(self, ref: ItemRef) -> bool:
        return delete_doc(self._c, ref.doc_id, ref.partition_key)
