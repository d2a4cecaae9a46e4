"""Privacy and retention (docs/privacy-and-retention.md): the export sink, the retention policy from settings, the
personal-data registry, the data-request queue, the privacy store (whose retention changes the ingest gate follows:
core/services/reactions.py), and what closure and data requests take from billing and e-mail."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from core.bootstrap.adapter import adapter
from core.bootstrap.billing import BillingPorts
from core.bootstrap.reactions import ReactionPorts

if TYPE_CHECKING:
    from collections.abc import Sequence

    from azure.storage.blob import BlobServiceClient
    from azure.storage.queue import QueueClient

    from core.adapters.blob_privacy import BlobExportSink
    from core.adapters.cosmos_privacy import CosmosPrivacyStore
    from core.domain.privacy import DeletionResidue
    from core.ports import PersonalDataKind, PrivacyMailer, SubscriptionCanceller
    from core.services.retention import Registry, RetentionPolicy


class PrivacyPorts(BillingPorts, ReactionPorts):
    @adapter
    def privacy(self) -> CosmosPrivacyStore:
        """Retention settings, legal holds, data requests, closures, purge runs and the audit trail."""
        from core.adapters.cosmos_privacy import CosmosPrivacyStore

        return CosmosPrivacyStore(self.database)

    @cached_property
    def privacy_blob_service(self) -> BlobServiceClient:
        return self.blob_service

    @adapter
    def export_sink(self) -> BlobExportSink:
        from core.adapters.blob_privacy import BlobExportSink

        return BlobExportSink(self.privacy_blob_service, self.settings)

    @cached_property
    def retention_policy(self) -> RetentionPolicy:
        from core.services.retention import RetentionPolicy

        return RetentionPolicy.from_settings(self.settings)

    @cached_property
    def deletion_residue(self) -> DeletionResidue:
        """The deployed soft delete and backup days (set from the same Bicep parameters as the accounts)."""
        from core.domain.privacy import DeletionResidue

        return DeletionResidue(
            blob_soft_delete_days=self.settings.blob_soft_delete_days,
            blob_versioning_enabled=self.settings.blob_versioning_enabled,
            backup_retention_days=self.settings.cosmos_backup_retention_days,
            blob_version_retention_days=self.settings.blob_version_retention_days,
        )

    @property
    def personal_data_kinds(self) -> Sequence[PersonalDataKind]:
        """The registry's kinds, read at each use (the registry is built on first use)."""
        return self.personal_data.kinds

    @cached_property
    def personal_data(self) -> Registry:
        """The personal-data registry: one entry per kind of personal data that exists in this build."""
        from core.adapters.blob_privacy import BlobPrefixStore
        from core.adapters.privacy_registry import platform_kinds, registered_kinds
        from core.services.retention import Registry

        return Registry(
            kinds=registered_kinds(
                self.database,
                self.export_sink,
                BlobPrefixStore(self.privacy_blob_service, purge_versions=self.settings.blob_versioning_enabled),
                today=lambda: self.clock.now().date(),
            ),
            platform=platform_kinds(
                self.database,
                outbox_days=self.settings.retention_outbox_days,
                page_views_days=self.settings.retention_page_views_days,
            ),
        )

    @cached_property
    def data_request_queue(self) -> QueueClient:
        from core.adapters.queues import queue_client

        return queue_client(self.queue_service, self.settings.queue_data_requests)

    def enqueue_data_request(self, message: str) -> None:
        self.data_request_queue.send_message(message)

    @cached_property
    def privacy_subscriptions(self) -> SubscriptionCanceller | None:
        """Hook for account closure: the billing area's subscription cancel."""
        from core.services.billing import SubscriptionCancellation

        return SubscriptionCancellation(
            store=self.billing, reactions=self.reactions, gateway=self.stripe, clock=self.clock
        )

    @cached_property
    def privacy_mailer(self) -> PrivacyMailer | None:
        """Closure and data-request e-mails, through the outbox's idempotent enqueue."""
        from core.services.data_requests import OutboxMailer

        return OutboxMailer(outbox=self.outbox, clock=self.clock)

    def privacy_mail_to(self, account_id: str, user_id: str) -> str | None:
        member = self.accounts.get_member(account_id, user_id)
        return member.email if member is not None else None
