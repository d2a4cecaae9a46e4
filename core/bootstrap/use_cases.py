"""The use cases of each product area, built from the composition root's ports (core/services/use_cases/).

`Container.use_cases` is one `UseCases` per root; each area's object is built on first use and kept. A trigger
calls `call.use_cases.<area>.<method>(input)` (HTTP) or `container().use_cases.<area>.<method>(input)` (queue,
timer). Tracking and billing are wired where their own builders are (core/bootstrap/__init__.py).
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
from core.services.use_cases.test_clock import TestClockUseCases

if TYPE_CHECKING:
    from core.bootstrap import Container


class UseCases:
    """One attribute per product area; nothing is built until a trigger of that area runs."""

    def __init__(self, root: Container) -> None:
        self._root = root

    @cached_property
    def accounts(self) -> AccountUseCases:
        r = self._root
        return AccountUseCases(accounts=r.accounts, users=r.users, events=r.account_events, profiles=r.email_profiles,
                               verification=r.email_verification, clock=r.clock,
                               minimum_age=r.settings.minimum_age_years)

    @cached_property
    def members(self) -> MemberUseCases:
        r = self._root
        return MemberUseCases(accounts=r.accounts, users=r.users, events=r.account_events,
                              billing_events=r.billing_events, signer=r.signer, clock=r.clock, outbox=r.outbox,
                              profiles=r.email_profiles, billing=r.billing, invitation_ttl=r.invitation_ttl)

    @cached_property
    def email(self) -> EmailUseCases:
        r = self._root
        return EmailUseCases(accounts=r.accounts, profiles=r.email_profiles, outbox=r.outbox,
                             verification=r.email_verification, signer=r.signer, clock=r.clock)

    @cached_property
    def policy(self) -> PolicyUseCases:
        r = self._root
        return PolicyUseCases(store=r.policy, profiles=r.email_profiles, outbox=r.outbox, links=r.email_links,
                              clock=r.clock, outbox_keep_days=r.settings.retention_outbox_days)

    @cached_property
    def photos(self) -> PhotoUseCases:
        r = self._root
        return PhotoUseCases(store=r.media, blobs=r.photo_blobs, jobs=r.photo_jobs, scanner=r.malware_scanner,
                             consents=r.consents, access_log=r.access_log, zones=r.private_zones, billing=r.billing,
                             pages=r.page_tokens, limits=r.photo_limits, clock=r.clock)

    @cached_property
    def notes(self) -> NoteUseCases:
        r = self._root
        return NoteUseCases(store=r.media, consents=r.consents, access_log=r.access_log, zones=r.private_zones,
                            billing=r.billing, pages=r.page_tokens, clock=r.clock)

    @cached_property
    def job_sites(self) -> JobSiteUseCases:
        r = self._root
        return JobSiteUseCases(accounts=r.accounts, sites=r.job_sites, days=r.site_days, access_log=r.access_log,
                               pages=r.page_tokens, clock=r.clock)

    @cached_property
    def devices(self) -> DeviceUseCases:
        r = self._root
        return DeviceUseCases(devices=r.devices, accounts=r.accounts, consents=r.consents,
                              schedules=r.tracking_schedules, queue=r.ping_queue, privacy=r.privacy,
                              retention=r.retention_policy, billing=r.billing, zones=r.private_zones,
                              job_sites=r.job_sites,
                              future_skew=timedelta(seconds=r.settings.ping_future_skew_seconds), clock=r.clock,
                              gate=r.ingest_gate)

    @cached_property
    def consent(self) -> ConsentUseCases:
        r = self._root
        return ConsentUseCases(ledger=r.consents, access_log=r.access_log, accounts=r.accounts, policies=r.policy,
                               pages=r.page_tokens, clock=r.clock)

    @cached_property
    def analytics(self) -> AnalyticsUseCases:
        return AnalyticsUseCases(store=self._root.page_views, clock=self._root.clock)

    @cached_property
    def private_zones(self) -> PrivateZoneUseCases:
        r = self._root
        return PrivateZoneUseCases(zones=r.private_zones, accounts=r.accounts, pings=r.pings,
                                   positions=r.latest_positions, withheld=r.withheld_pings, media=r.media,
                                   blobs=r.photo_blobs, privacy=r.privacy, retention=r.retention_policy, clock=r.clock)

    @cached_property
    def privacy(self) -> PrivacyUseCases:
        r = self._root
        return PrivacyUseCases(accounts=r.accounts, users=r.users, privacy=r.privacy,
                               kinds=lambda: r.personal_data.kinds, sink=r.export_sink, signer=r.signer,
                               policy=r.retention_policy, subscriptions=r.privacy_subscriptions,
                               mailer=r.privacy_mailer, mail_to=r.privacy_mail_to, enqueue=r.enqueue_data_request,
                               link_ttl=timedelta(hours=r.settings.export_link_ttl_hours), clock=r.clock)

    @cached_property
    def health(self) -> HealthUseCases:
        return HealthUseCases(probes=self._root.health_probes)

    @cached_property
    def test_clock(self) -> TestClockUseCases:
        return TestClockUseCases(clock=self._root.clock, enabled=self._root.test_clock_enabled)
