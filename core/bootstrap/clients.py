"""The composition root's shared part: settings, the one clock, the SDK clients every area's adapters use, and the
sign-in and account stores, token verifier and link signer that every area needs. Each SDK client authenticates with
the process's one managed-identity credential in Azure (core/adapters/identity.py)."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.bootstrap.adapter import adapter
from core.clock import FileTestClock, SystemClock
from core.services.wiring import PORT_NAMES
from core.settings import Settings
from core.signing import LinkSigner

if TYPE_CHECKING:
    from azure.cosmos import CosmosClient, DatabaseProxy
    from azure.storage.blob import BlobServiceClient
    from azure.storage.queue import QueueServiceClient

    from core.adapters.cosmos import CosmosAccountStore, CosmosUserStore
    from core.adapters.cosmos_expiry import CosmosTtlRestamper, Stamp
    from core.adapters.queues import QueueEventPublisher
    from core.adapters.tokens import JwksTokenVerifier
    from core.ports import StoreClock
    from core.services.expiry import RetentionExpiry
    from core.services.paging import PageTokens


class Clients:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # The one clock of the process. A test clock only locally (Settings refuses TEST_CLOCK_FILE elsewhere; the
        # check is repeated here so that no other construction path can slip one into Azure).
        self.clock: SystemClock | FileTestClock = SystemClock()
        if settings.test_clock_file:
            if not settings.is_local:
                raise RuntimeError("the test clock is accepted only when APP_ENVIRONMENT=local")
            self.clock = FileTestClock(Path(settings.test_clock_file))

    def port(self, name: str) -> Any:
        """The port a service function's parameter of this name receives (`Ports` in core/services/wiring.py)."""
        if name not in PORT_NAMES:
            raise TypeError(f"the composition root has no port named {name!r}")
        return getattr(self, name)

    @property
    def test_clock_enabled(self) -> bool:
        return isinstance(self.clock, FileTestClock)

    @cached_property
    def cosmos_client(self) -> CosmosClient:
        from core.adapters.cosmos import build_cosmos_client

        return build_cosmos_client(self.settings)

    @cached_property
    def database(self) -> DatabaseProxy:
        return self.cosmos_client.get_database_client(self.settings.cosmos_database)

    @cached_property
    def queue_service(self) -> QueueServiceClient:
        from core.adapters.queues import build_queue_service

        return build_queue_service(self.settings)

    @cached_property
    def blob_service(self) -> BlobServiceClient:
        """One Blob Storage client for every blob adapter (photos, exports)."""
        from core.adapters.storage import build_blob_service

        return build_blob_service(self.settings)

    # ---- expiry by the store (docs/privacy-and-retention.md, "Which kinds expire how")
    @cached_property
    def expiry_plans(self) -> RetentionExpiry:
        """Each account's retention and active holds, read at each write that stamps a ttl."""
        from core.adapters.cosmos_privacy import CosmosPrivacyStore
        from core.services.expiry import RetentionExpiry
        from core.services.retention import RetentionPolicy

        return RetentionExpiry(
            privacy=CosmosPrivacyStore(self.database),
            policy=RetentionPolicy.from_settings(self.settings),
            margin_days=self.settings.retention_ttl_margin_days,
        )

    @cached_property
    def expiry_stamp(self) -> Stamp:
        """What the writer adapters stamp `ttl` with (the plans and the app's clock)."""
        from core.adapters.cosmos_expiry import Stamp

        return Stamp(plans=self.expiry_plans, now=self.clock.now)

    @adapter
    def ttl_restamper(self) -> CosmosTtlRestamper:
        from core.adapters.cosmos_expiry import CosmosTtlRestamper

        return CosmosTtlRestamper(
            self.database, members=lambda account_id: [m.user_id for m in self.accounts.list_members(account_id)]
        )

    @cached_property
    def store_clock(self) -> StoreClock | None:
        """Local only, with the test clock: the local Cosmos DB server's clock follows it. None anywhere else."""
        if not (self.settings.is_local and self.test_clock_enabled):
            return None
        from core.adapters.cosmos_expiry import EmulatorStoreClock

        return EmulatorStoreClock(self.settings.cosmos_endpoint)

    @adapter
    def accounts(self) -> CosmosAccountStore:
        from core.adapters.cosmos import CosmosAccountStore

        return CosmosAccountStore(self.database)

    @adapter
    def users(self) -> CosmosUserStore:
        from core.adapters.cosmos import CosmosUserStore

        return CosmosUserStore(self.database)

    @adapter
    def account_events(self) -> QueueEventPublisher:
        from core.adapters.queues import QueueEventPublisher, queue_client

        return QueueEventPublisher(queue_client(self.queue_service, self.settings.queue_account_events))

    @adapter
    def token_verifier(self) -> JwksTokenVerifier:
        from core.adapters.tokens import JwksTokenVerifier

        s = self.settings
        return JwksTokenVerifier(
            jwks_uri=s.auth_jwks_uri,
            issuer=s.auth_issuer,
            audience=s.auth_audience,
            leeway_seconds=s.auth_leeway_seconds,
            admin_role=s.auth_admin_role,
        )

    @cached_property
    def signer(self) -> LinkSigner:
        previous = self.settings.token_signing_key_previous
        return LinkSigner(
            self.settings.token_signing_key.get_secret_value().encode(),
            previous_keys=[previous.get_secret_value().encode()] if previous and previous.get_secret_value() else [],
        )

    @cached_property
    def page_tokens(self) -> PageTokens:
        from core.services.paging import PageTokens

        return PageTokens(self.signer)

    @property
    def invitation_ttl(self) -> timedelta:
        return timedelta(hours=self.settings.invitation_ttl_hours)

    # ---- settings values that services take as ports (core/services/wiring.py, `Ports`)
    @property
    def future_skew(self) -> timedelta:
        return timedelta(seconds=self.settings.ping_future_skew_seconds)

    @property
    def minimum_age(self) -> int:
        return self.settings.minimum_age_years

    @property
    def export_link_ttl(self) -> timedelta:
        return timedelta(hours=self.settings.export_link_ttl_hours)

    @property
    def outbox_keep_days(self) -> int:
        return self.settings.retention_outbox_days

    @property
    def max_body_bytes(self) -> int:
        return self.settings.max_body_bytes

    @property
    def purge_batch_size(self) -> int:
        return self.settings.purge_batch_size

    @property
    def purge_max_items(self) -> int:
        return self.settings.purge_max_items_per_run

    @property
    def email_max_deliveries(self) -> int:
        return self.settings.email_max_deliveries

    @property
    def email_send_tries(self) -> int:
        return self.settings.email_send_tries

    @property
    def email_retry_base_seconds(self) -> float:
        return self.settings.email_retry_base_seconds
