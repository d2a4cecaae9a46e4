"""The composition root: builds settings, SDK clients and stores once per process, lazily, on first use."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import cached_property, wraps
from typing import TYPE_CHECKING, Any

from core.bootstrap.clients import Clients
from core.bootstrap.job_sites import JobSitePorts
from core.bootstrap.overrides import Ports, root_with
from core.bootstrap.photos import PhotoPorts
from core.settings import get_settings

__all__ = ["Container", "Ports", "container", "current_invocation_id", "root_with", "serving", "traced_http"]

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient
    from azure.storage.queue import QueueClient

    from core.adapters.blob_privacy import BlobExportSink
    from core.adapters.cosmos_billing import CosmosBillingStore
    from core.adapters.cosmos_coarse_history import CosmosCoarseHistoryStore
    from core.adapters.cosmos_devices import CosmosDeviceStore
    from core.adapters.cosmos_email import CosmosEmailProfiles, CosmosOutbox
    from core.adapters.cosmos_page_views import CosmosPageViewStore
    from core.adapters.cosmos_policy import CosmosPolicyStore
    from core.adapters.cosmos_privacy import CosmosPrivacyStore
    from core.adapters.cosmos_private_zones import CosmosPrivateZoneStore, CosmosWithheldPingStore
    from core.adapters.cosmos_tracking import (
        CosmosAccessLog,
        CosmosConsentLedger,
        CosmosLatestPositionStore,
        CosmosPingStore,
        CosmosTrackingScheduleStore,
    )
    from core.adapters.mail import AcsMailer, SmtpMailer
    from core.adapters.queues import QueueEventPublisher, QueuePingSender
    from core.adapters.stripe_billing import StripeBillingGateway
    from core.bootstrap.use_cases import UseCases
    from core.domain.billing import BillingPolicy
    from core.ports import BillingNotifier, EmailRenderer, HealthProbe, PrivacyMailer, SubscriptionCanceller
    from core.services.billing_unconfigured import UnconfiguredStripeGateway
    from core.services.email_verification import EmailVerification
    from core.services.ingest_gate import (
        GateKeepingBillingStore,
        GateKeepingConsentLedger,
        GateKeepingPrivacyStore,
        GateKeepingScheduleStore,
        GateKeepingZoneStore,
        IngestGateKeeper,
    )
    from core.services.outbox import Links
    from core.services.retention import Registry, RetentionPolicy
    from core.services.site_notices import SiteNotices


class Container(PhotoPorts, JobSitePorts, Clients):
    """The root: the shared clients (core/bootstrap/clients.py), each area's ports (here and in
    core/bootstrap/<area>.py) and the use cases built from them (core/bootstrap/use_cases.py)."""

    # ---- privacy and retention (docs/privacy-and-retention.md)
    @cached_property
    def privacy(self) -> GateKeepingPrivacyStore:
        """Retention changes keep the ingest gate current (core/services/ingest_gate.py)."""
        from core.services.ingest_gate import GateKeepingPrivacyStore

        return GateKeepingPrivacyStore(self._privacy_source, self.ingest_gate)

    @cached_property
    def _privacy_source(self) -> CosmosPrivacyStore:
        from core.adapters.cosmos_privacy import CosmosPrivacyStore

        return CosmosPrivacyStore(self.database)

    @cached_property
    def privacy_blob_service(self) -> BlobServiceClient:
        return self.blob_service

    @cached_property
    def export_sink(self) -> BlobExportSink:
        from core.adapters.blob_privacy import BlobExportSink

        return BlobExportSink(self.privacy_blob_service, self.settings)

    @cached_property
    def retention_policy(self) -> RetentionPolicy:
        from core.services.retention import RetentionPolicy

        return RetentionPolicy.from_settings(self.settings)

    @cached_property
    def personal_data(self) -> Registry:
        """The personal-data registry: one entry per kind of personal data that exists in this build."""
        from core.adapters.blob_privacy import BlobPrefixStore
        from core.adapters.privacy_registry import platform_kinds, registered_kinds
        from core.services.retention import Registry

        return Registry(kinds=registered_kinds(self.database, self.export_sink,
                                               BlobPrefixStore(self.privacy_blob_service),
                                               today=lambda: self.clock.now().date()),
                        platform=platform_kinds(self.database, outbox_days=self.settings.retention_outbox_days,
                                                page_views_days=self.settings.retention_page_views_days))

    @cached_property
    def data_request_queue(self) -> QueueClient:
        from core.adapters.queues import queue_client

        return queue_client(self.queue_service, self.settings.queue_data_requests)

    def enqueue_data_request(self, message: str) -> None:
        self.data_request_queue.send_message(message)

    @property
    def privacy_subscriptions(self) -> SubscriptionCanceller | None:
        """Hook for account closure: the billing area's subscription cancel."""
        from core.services.billing import SubscriptionCancellation

        return SubscriptionCancellation(store=self.billing, gateway=self.stripe, clock=self.clock)

    @property
    def privacy_mailer(self) -> PrivacyMailer | None:
        """Closure and data-request e-mails, through the outbox's idempotent enqueue."""
        from core.services.data_requests import OutboxMailer

        return OutboxMailer(outbox=self.outbox, clock=self.clock)

    def privacy_mail_to(self, account_id: str, user_id: str) -> str | None:
        member = self.accounts.get_member(account_id, user_id)
        return member.email if member is not None else None

    # ---- consent and location tracking (docs/tracking.md)
    @cached_property
    def consents(self) -> GateKeepingConsentLedger:
        """The consent ledger (append-only); ask it with core.services.consent.consent_granted_at. Appends keep the
        ingest gate current."""
        from core.services.ingest_gate import GateKeepingConsentLedger

        return GateKeepingConsentLedger(self._consent_source, self.ingest_gate)

    @cached_property
    def _consent_source(self) -> CosmosConsentLedger:
        from core.adapters.cosmos_tracking import CosmosConsentLedger

        return CosmosConsentLedger(self.database)

    @cached_property
    def ingest_gate(self) -> IngestGateKeeper:
        """What the ingest call decides with, in one request (docs/tracking.md, "The ingest gate"); built from the
        undecorated stores (the sources of truth)."""
        from core.adapters.cosmos_ingest_gate import CosmosIngestGateStore
        from core.services.ingest_gate import IngestGateKeeper

        return IngestGateKeeper(store=CosmosIngestGateStore(self.database), billing=self._billing_source,
                                privacy=self._privacy_source, consents=self._consent_source,
                                schedules=self._schedule_source, zones=self._zone_source, clock=self.clock)

    @cached_property
    def access_log(self) -> CosmosAccessLog:
        """Reads of a worker's location, photos and notes by someone else; append a core.domain.tracking
        AccessLogEntry."""
        from core.adapters.cosmos_tracking import CosmosAccessLog

        return CosmosAccessLog(self.database)

    @cached_property
    def tracking_schedules(self) -> GateKeepingScheduleStore:
        from core.services.ingest_gate import GateKeepingScheduleStore

        return GateKeepingScheduleStore(self._schedule_source, self.ingest_gate)

    @cached_property
    def _schedule_source(self) -> CosmosTrackingScheduleStore:
        from core.adapters.cosmos_tracking import CosmosTrackingScheduleStore

        return CosmosTrackingScheduleStore(self.database)

    @cached_property
    def private_zones(self) -> GateKeepingZoneStore:
        """Members' private zones (docs/private-zones.md); saves keep the ingest gate current."""
        from core.services.ingest_gate import GateKeepingZoneStore

        return GateKeepingZoneStore(self._zone_source, self.ingest_gate)

    @cached_property
    def _zone_source(self) -> CosmosPrivateZoneStore:
        from core.adapters.cosmos_private_zones import CosmosPrivateZoneStore

        return CosmosPrivateZoneStore(self.database)

    @cached_property
    def withheld_pings(self) -> CosmosWithheldPingStore:
        """Pings withheld inside private zones: id and time, no position (docs/private-zones.md)."""
        from core.adapters.cosmos_private_zones import CosmosWithheldPingStore

        return CosmosWithheldPingStore(self.database)

    @cached_property
    def coarse_history(self) -> CosmosCoarseHistoryStore:
        """Coarsened history (docs/coarsened-history.md)."""
        from core.adapters.cosmos_coarse_history import CosmosCoarseHistoryStore

        return CosmosCoarseHistoryStore(self.database)

    @cached_property
    def pings(self) -> CosmosPingStore:
        from core.adapters.cosmos_tracking import CosmosPingStore

        return CosmosPingStore(self.database)

    @cached_property
    def latest_positions(self) -> CosmosLatestPositionStore:
        from core.adapters.cosmos_tracking import CosmosLatestPositionStore

        return CosmosLatestPositionStore(self.database)

    @cached_property
    def page_views(self) -> CosmosPageViewStore:
        """Optional analytics' page views (docs/privacy-signals.md)."""
        from core.adapters.cosmos_page_views import CosmosPageViewStore

        return CosmosPageViewStore(self.database)

    @cached_property
    def devices(self) -> CosmosDeviceStore:
        """Device tokens of existing tracking apps (docs/devices.md)."""
        from core.adapters.cosmos_devices import CosmosDeviceStore

        return CosmosDeviceStore(self.database)

    @cached_property
    def ping_queue(self) -> QueuePingSender:
        from core.adapters.queues import QueuePingSender, queue_client

        return QueuePingSender(queue_client(self.queue_service, self.settings.queue_location_pings))

    # ---- job sites, visits and timesheets (docs/job-sites.md; the stores: core/bootstrap/job_sites.py)
    @cached_property
    def site_notices(self) -> SiteNotices:
        """The Account Owner's opt-in e-mails about first arrivals and departures, queued by the pings writer."""
        from core.services.site_notices import SiteNotices

        return SiteNotices(accounts=self.accounts, profiles=self.email_profiles, outbox=self.outbox, clock=self.clock)

    # ---- e-mail outbox and policy versions (docs/email-and-policy.md)
    @cached_property
    def outbox(self) -> CosmosOutbox:
        """The e-mail outbox; enqueue with core.services.outbox.enqueue_email(outbox=container().outbox, ...)."""
        from core.adapters.cosmos_email import CosmosOutbox
        from core.adapters.queues import queue_client

        return CosmosOutbox(self.database, queue_client(self.queue_service, self.settings.queue_email_outbox))

    @cached_property
    def email_profiles(self) -> CosmosEmailProfiles:
        from core.adapters.cosmos_email import CosmosEmailProfiles

        return CosmosEmailProfiles(self.database)

    @cached_property
    def mailer(self) -> SmtpMailer | AcsMailer:
        from core.adapters.mail import build_mailer

        return build_mailer(self.settings)

    @cached_property
    def email_renderer(self) -> EmailRenderer:
        """The outbox's renderer (core.ports.EmailRenderer): the Jinja2 templates under core/templates."""
        from core.adapters.email_templates import JinjaEmailRenderer

        return JinjaEmailRenderer()

    @property
    def public_base_url(self) -> str:
        """Where links in e-mails point: PUBLIC_BASE_URL, else the Function App's own host name in Azure."""
        s = self.settings
        if s.public_base_url:
            return s.public_base_url.rstrip("/")
        hostname = os.environ.get("WEBSITE_HOSTNAME")  # set by the platform on every Function App
        if hostname:
            return f"https://{hostname}"
        return "http://localhost:7071"

    @cached_property
    def email_links(self) -> Links:
        from core.services.outbox import Links

        return Links(base_url=self.public_base_url, signer=self.signer, portal_base_url=self.settings.portal_base_url,
                     tracking_ttl=timedelta(days=self.settings.email_tracking_ttl_days))

    @property
    def email_verification_ttl(self) -> timedelta:
        return timedelta(hours=self.settings.email_verification_ttl_hours)

    @cached_property
    def email_verification(self) -> EmailVerification:
        """Starts address verification (registration, address change); handed to the account services."""
        from core.services.email_verification import EmailVerification

        return EmailVerification(profiles=self.email_profiles, outbox=self.outbox, signer=self.signer,
                                 links=self.email_links, ttl=self.email_verification_ttl)

    @property
    def policy_version_in_force(self) -> str:
        """The privacy policy version in force now, computed from the clock (e.g. for consent entries)."""
        from core.services.policy import current_policy_version

        return current_policy_version(store=self.policy, clock=self.clock)

    @cached_property
    def policy(self) -> CosmosPolicyStore:
        from core.adapters.cosmos_policy import CosmosPolicyStore

        return CosmosPolicyStore(self.database)

    # ---- billing (docs/billing.md)
    @cached_property
    def billing(self) -> GateKeepingBillingStore:
        """Billing records; status changes (suspension and its end) keep the ingest gate current."""
        from core.services.ingest_gate import GateKeepingBillingStore

        return GateKeepingBillingStore(self._billing_source, self.ingest_gate)

    @cached_property
    def _billing_source(self) -> CosmosBillingStore:
        from core.adapters.cosmos_billing import CosmosBillingStore

        return CosmosBillingStore(self.database)

    @cached_property
    def stripe(self) -> StripeBillingGateway | UnconfiguredStripeGateway:
        """Stripe, or (no STRIPE_SECRET_KEY in Azure) a gateway answering 503 billing-not-configured."""
        if not self.settings.billing_configured:
            from core.services.billing_unconfigured import UnconfiguredStripeGateway

            return UnconfiguredStripeGateway()
        from core.adapters.stripe_billing import StripeBillingGateway, build_client

        return StripeBillingGateway(build_client(self.settings))

    @property
    def billing_configured(self) -> bool:
        return self.settings.billing_configured

    @cached_property
    def billing_policy(self) -> BillingPolicy:
        from core.domain.billing import BillingPolicy

        s = self.settings
        return BillingPolicy(plan_id=s.stripe_plan_id, trial_days=s.billing_trial_days,
                             grace=timedelta(days=s.billing_grace_days))

    @property
    def stripe_webhook_secret(self) -> str:
        from core.adapters.stripe_billing import webhook_secret

        return webhook_secret(self.settings)

    @cached_property
    def billing_events(self) -> QueueEventPublisher:
        """Account events forwarded to billing's own queue (QUEUE_BILLING_EVENTS)."""
        from core.adapters.queues import QueueEventPublisher, queue_client

        return QueueEventPublisher(queue_client(self.queue_service, self.settings.queue_billing_events))

    @property
    def billing_notifier(self) -> BillingNotifier | None:
        """The payment-failed e-mail to the owner, through the outbox (once per dedupe key). The need is recorded
        on the billing record first (`payment_failed_notice`), so returning None here only delays the e-mail."""
        from core.services.billing import OutboxPaymentNotifier

        return OutboxPaymentNotifier(outbox=self.outbox, accounts=self.accounts, clock=self.clock)

    @cached_property
    def health_probes(self) -> list[HealthProbe]:
        from core.adapters.cosmos import CosmosProbe
        from core.adapters.queues import QueueProbe, queue_client

        return [CosmosProbe(self.database),
                QueueProbe(queue_client(self.queue_service, self.settings.queue_account_events))]

    # ---- the use cases the triggers call, one object per area (core/bootstrap/use_cases.py)
    @cached_property
    def use_cases(self) -> UseCases:
        from core.bootstrap.use_cases import UseCases

        return UseCases(self)


# The mailer keeps the mail service's own errors: the outbox counts any failure as "not sent" and records its type for
# the admin's outbox view ("ConnectionRefusedError", docs/email-and-policy.md).
_OWN_ERRORS = frozenset({"mailer"})


def _raising_core_errors(build: Callable[[Container], Any]) -> Callable[[Container], Any]:
    @wraps(build)
    def built(root: Container) -> Any:
        port = build(root)
        if not type(port).__module__.startswith("core.adapters.") or build.__name__ in _OWN_ERRORS:
            return port  # SDK clients, settings values and the services' own objects stay as they are
        from core.adapters.errors import raising_core_errors

        return raising_core_errors(port)

    return built


# Every adapter the root builds is handed out raising the core's DependencyUnavailable where its SDK reports an
# unreachable service (core/adapters/errors.py): services and triggers never see an SDK exception type.
for _part in Container.__mro__:
    for _name, _built in list(vars(_part).items()):
        if isinstance(_built, cached_property):
            _guarded = cached_property(_raising_core_errors(_built.func))
            _guarded.__set_name__(_part, _name)
            setattr(_part, _name, _guarded)

_lock = threading.Lock()
_container: Container | None = None


def container() -> Container:
    global _container
    if _container is None:
        with _lock:
            if _container is None:
                _container = Container(get_settings())
    return _container


@contextmanager
def serving(root: Container) -> Iterator[Container]:
    """Make `root` the process's composition root for the duration (tests: a root built by `root_with`)."""
    global _container
    previous, _container = _container, root
    try:
        yield root
    finally:
        _container = previous


def traced_http(name: str, route: str, method: str, handler: Any) -> Any:
    """The HTTP trigger wrapped in its invocation span and metrics (core/adapters/telemetry.py)."""
    from core.adapters import telemetry

    return telemetry.traced_http(name, route, method, handler)


def current_invocation_id() -> str | None:
    """The id of the invocation this thread is serving (the request log line names it), if any."""
    from core.adapters import telemetry

    invocation = telemetry.current()
    return invocation.invocation_id if invocation else None


def current_cosmos_requests() -> int:
    """How many Cosmos DB requests the invocation this thread is serving has sent so far (each try counts)."""
    from core.adapters import telemetry

    return telemetry.cosmos_requests()
