"""The use cases of each product area, built from the composition root's ports (core/services/use_cases/).

`Container.use_cases` is one `UseCases` per root; each area's object is built on first use and kept. A trigger
calls `call.use_cases.<area>.<method>(input)` (HTTP) or `container().use_cases.<area>.<method>(input)` (queue,
timer). The queue and timer work of some areas is one object of its service module (the pings writer, billing's
`AccountBilling`, the Stripe webhook, the daily purge, the outbox sender); it is built here all the same.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from core.services.use_cases.accounts import AccountUseCases
from core.services.use_cases.analytics import AnalyticsUseCases
from core.services.use_cases.consent import ConsentUseCases
from core.services.use_cases.devices import DeviceUseCases
from core.services.use_cases.email import EmailUseCases
from core.services.use_cases.health import HealthUseCases
from core.services.use_cases.job_sites import JobSiteUseCases
from core.services.use_cases.members import MemberUseCases
from core.services.use_cases.notes import NoteUseCases
from core.services.use_cases.photos import PhotoUseCases
from core.services.use_cases.policy import PolicyUseCases
from core.services.use_cases.privacy import PrivacyUseCases
from core.services.use_cases.private_zones import PrivateZoneUseCases
from core.services.use_cases.retention import RetentionUseCases
from core.services.use_cases.test_clock import TestClockUseCases
from core.services.use_cases.tracking import TrackingUseCases

if TYPE_CHECKING:
    from core.bootstrap import Container
    from core.services.account_billing import AccountBilling
    from core.services.billing_webhook import StripeWebhook
    from core.services.outbox import OutboxSender
    from core.services.ping_writer import PingWriter
    from core.services.purge import DailyPurge


class UseCases:
    """One attribute per product area; nothing is built until a trigger of that area runs."""

    def __init__(self, root: Container) -> None:
        self._root = root

    @cached_property
    def accounts(self) -> AccountUseCases:
        r = self._root
        return AccountUseCases(
            accounts=r.accounts,
            users=r.users,
            events=r.account_events,
            profiles=r.email_profiles,
            verification=r.email_verification,
            clock=r.clock,
            minimum_age=r.settings.minimum_age_years,
        )

    @cached_property
    def members(self) -> MemberUseCases:
        r = self._root
        return MemberUseCases(
            accounts=r.accounts,
            users=r.users,
            events=r.account_events,
            billing_events=r.billing_events,
            signer=r.signer,
            clock=r.clock,
            outbox=r.outbox,
            profiles=r.email_profiles,
            billing=r.billing,
            invitation_ttl=r.invitation_ttl,
        )

    @cached_property
    def email(self) -> EmailUseCases:
        r = self._root
        return EmailUseCases(
            accounts=r.accounts,
            profiles=r.email_profiles,
            outbox=r.outbox,
            verification=r.email_verification,
            signer=r.signer,
            clock=r.clock,
            renderer=r.email_renderer,
        )

    @cached_property
    def outbox_sender(self) -> OutboxSender:
        """The outbox queue's sender and the hourly re-dispatch, with the send settings."""
        from core.services.outbox import OutboxSender

        r, s = self._root, self._root.settings
        return OutboxSender(
            outbox=r.outbox,
            profiles=r.email_profiles,
            mailer=r.mailer,
            renderer=r.email_renderer,
            links=r.email_links,
            clock=r.clock,
            max_deliveries=s.email_max_deliveries,
            tries=s.email_send_tries,
            retry_base_seconds=s.email_retry_base_seconds,
        )

    @cached_property
    def policy(self) -> PolicyUseCases:
        r = self._root
        return PolicyUseCases(
            store=r.policy,
            profiles=r.email_profiles,
            outbox=r.outbox,
            links=r.email_links,
            clock=r.clock,
            outbox_keep_days=r.settings.retention_outbox_days,
        )

    @cached_property
    def photos(self) -> PhotoUseCases:
        r = self._root
        return PhotoUseCases(
            store=r.media,
            blobs=r.photo_blobs,
            jobs=r.photo_jobs,
            scanner=r.malware_scanner,
            consents=r.consents,
            access_log=r.access_log,
            zones=r.private_zones,
            billing=r.billing,
            pages=r.page_tokens,
            limits=r.photo_limits,
            clock=r.clock,
        )

    @cached_property
    def notes(self) -> NoteUseCases:
        r = self._root
        return NoteUseCases(
            store=r.media,
            consents=r.consents,
            access_log=r.access_log,
            zones=r.private_zones,
            billing=r.billing,
            pages=r.page_tokens,
            clock=r.clock,
        )

    @cached_property
    def job_sites(self) -> JobSiteUseCases:
        r = self._root
        return JobSiteUseCases(
            accounts=r.accounts,
            sites=r.job_sites,
            days=r.site_days,
            access_log=r.access_log,
            pages=r.page_tokens,
            clock=r.clock,
        )

    @cached_property
    def devices(self) -> DeviceUseCases:
        r = self._root
        return DeviceUseCases(
            devices=r.devices,
            accounts=r.accounts,
            consents=r.consents,
            schedules=r.tracking_schedules,
            queue=r.ping_queue,
            privacy=r.privacy,
            retention=r.retention_policy,
            billing=r.billing,
            zones=r.private_zones,
            job_sites=r.job_sites,
            future_skew=timedelta(seconds=r.settings.ping_future_skew_seconds),
            clock=r.clock,
            gate=r.ingest_gate,
        )

    @cached_property
    def tracking(self) -> TrackingUseCases:
        r = self._root
        return TrackingUseCases(
            accounts=r.accounts,
            consents=r.consents,
            schedules=r.tracking_schedules,
            queue=r.ping_queue,
            privacy=r.privacy,
            retention=r.retention_policy,
            billing=r.billing,
            zones=r.private_zones,
            gate=r.ingest_gate,
            pings=r.pings,
            positions=r.latest_positions,
            access_log=r.access_log,
            withheld=r.withheld_pings,
            coarse=r.coarse_history,
            pages=r.page_tokens,
            future_skew=timedelta(seconds=r.settings.ping_future_skew_seconds),
            clock=r.clock,
        )

    @cached_property
    def ping_writer(self) -> PingWriter:
        """The pings writer's group commit: deliberately ONE per process (one root, one `UseCases` per process), so
        the queue invocations of one delivery batch, which the host runs concurrently in this process, share it and
        their messages are written together (core/services/ping_writer.py, docs/tracking.md "The pings writer")."""
        from core.services.ping_writer import PingWriter, WriterStores

        r = self._root
        return PingWriter(
            WriterStores(
                pings=r.pings,
                positions=r.latest_positions,
                clock=r.clock,
                accounts=r.accounts,
                job_sites=r.job_sites,
                site_days=r.site_days,
                zones=r.private_zones,
                withheld=r.withheld_pings,
                notices=r.site_notices,
            )
        )

    @cached_property
    def consent(self) -> ConsentUseCases:
        r = self._root
        return ConsentUseCases(
            ledger=r.consents,
            access_log=r.access_log,
            accounts=r.accounts,
            policies=r.policy,
            pages=r.page_tokens,
            clock=r.clock,
        )

    @cached_property
    def analytics(self) -> AnalyticsUseCases:
        return AnalyticsUseCases(store=self._root.page_views, clock=self._root.clock)

    @cached_property
    def private_zones(self) -> PrivateZoneUseCases:
        r = self._root
        return PrivateZoneUseCases(
            zones=r.private_zones,
            accounts=r.accounts,
            pings=r.pings,
            positions=r.latest_positions,
            withheld=r.withheld_pings,
            media=r.media,
            blobs=r.photo_blobs,
            privacy=r.privacy,
            retention=r.retention_policy,
            clock=r.clock,
        )

    @cached_property
    def privacy(self) -> PrivacyUseCases:
        r = self._root
        return PrivacyUseCases(
            accounts=r.accounts,
            users=r.users,
            privacy=r.privacy,
            kinds=lambda: r.personal_data.kinds,
            sink=r.export_sink,
            signer=r.signer,
            policy=r.retention_policy,
            subscriptions=r.privacy_subscriptions,
            mailer=r.privacy_mailer,
            mail_to=r.privacy_mail_to,
            enqueue=r.enqueue_data_request,
            link_ttl=timedelta(hours=r.settings.export_link_ttl_hours),
            clock=r.clock,
        )

    @cached_property
    def retention(self) -> RetentionUseCases:
        r = self._root
        return RetentionUseCases(privacy=r.privacy, accounts=r.accounts, policy=r.retention_policy, clock=r.clock)

    @cached_property
    def purge(self) -> DailyPurge:
        """The daily timer's purge (then the coarsened history), with the run budget from settings."""
        from core.services.purge import DailyPurge

        r = self._root
        return DailyPurge(
            registry=r.personal_data,
            privacy=r.privacy,
            accounts=r.accounts,
            coarse_history=r.coarse_history,
            clock=r.clock,
            policy=r.retention_policy,
            batch_size=r.settings.purge_batch_size,
            max_items=r.settings.purge_max_items_per_run,
        )

    @cached_property
    def billing(self) -> AccountBilling:
        """The owner's billing endpoints, the billing-events queue and the grace timer."""
        from core.services.account_billing import AccountBilling

        r = self._root
        return AccountBilling(
            accounts=r.accounts,
            store=r.billing,
            gateway=r.stripe,
            clock=r.clock,
            policy=r.billing_policy,
            notifier=r.billing_notifier,
            configured=r.billing_configured,
        )

    @cached_property
    def stripe_webhook(self) -> StripeWebhook:
        from core.services.billing_webhook import StripeWebhook

        r = self._root
        return StripeWebhook(
            secret=r.stripe_webhook_secret,
            accounts=r.accounts,
            store=r.billing,
            gateway=r.stripe,
            clock=r.clock,
            policy=r.billing_policy,
            notifier=r.billing_notifier,
            max_bytes=r.settings.max_body_bytes,
        )

    @cached_property
    def health(self) -> HealthUseCases:
        return HealthUseCases(probes=self._root.health_probes)

    @cached_property
    def test_clock(self) -> TestClockUseCases:
        return TestClockUseCases(clock=self._root.clock, enabled=self._root.test_clock_enabled)
