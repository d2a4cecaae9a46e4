"""The e-mail outbox, profiles, mailer and renderer, the links in e-mails, address verification and the policy
versions (docs/email-and-policy.md), and the owner's opt-in job-site notices, which go through the outbox."""

from __future__ import annotations

import os
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from core.bootstrap.adapter import adapter
from core.bootstrap.clients import Clients

if TYPE_CHECKING:
    from core.adapters.cosmos_email import CosmosEmailProfiles, CosmosOutbox
    from core.adapters.cosmos_policy import CosmosPolicyStore
    from core.adapters.mail import AcsMailer, SmtpMailer
    from core.ports import EmailRenderer
    from core.services.email_verification import EmailVerification
    from core.services.outbox import Links
    from core.services.site_notices import SiteNotices


class EmailPorts(Clients):
    @adapter
    def outbox(self) -> CosmosOutbox:
        """The e-mail outbox; enqueue with core.services.outbox.enqueue_email(outbox=container().outbox, ...)."""
        from core.adapters.cosmos_email import CosmosOutbox
        from core.adapters.queues import queue_client

        return CosmosOutbox(
            self.database,
            queue_client(self.queue_service, self.settings.queue_email_outbox),
            keep_days=self.settings.retention_outbox_days,
            now=self.clock.now,
        )

    @adapter
    def email_profiles(self) -> CosmosEmailProfiles:
        from core.adapters.cosmos_email import CosmosEmailProfiles

        return CosmosEmailProfiles(self.database)

    @cached_property
    def mailer(self) -> SmtpMailer | AcsMailer:
        from core.adapters.mail import build_mailer

        return build_mailer(self.settings)

    @adapter
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

        return Links(
            base_url=self.public_base_url,
            signer=self.signer,
            portal_base_url=self.settings.portal_base_url,
            tracking_ttl=timedelta(days=self.settings.email_tracking_ttl_days),
        )

    @property
    def email_verification_ttl(self) -> timedelta:
        return timedelta(hours=self.settings.email_verification_ttl_hours)

    @cached_property
    def email_verification(self) -> EmailVerification:
        """Starts address verification (registration, address change); handed to the account services."""
        from core.services.email_verification import EmailVerification

        return EmailVerification(
            profiles=self.email_profiles,
            outbox=self.outbox,
            signer=self.signer,
            links=self.email_links,
            ttl=self.email_verification_ttl,
        )

    @property
    def policy_version_in_force(self) -> str:
        """The privacy policy version in force now, computed from the clock (e.g. for consent entries)."""
        from core.services.policy import current_policy_version

        return current_policy_version(policy=self.policy, clock=self.clock)

    @adapter
    def policy(self) -> CosmosPolicyStore:
        from core.adapters.cosmos_policy import CosmosPolicyStore

        return CosmosPolicyStore(self.database)

    @cached_property
    def site_notices(self) -> SiteNotices:
        """The Account Owner's opt-in e-mails about first arrivals and departures, queued by the pings writer."""
        from core.services.site_notices import SiteNotices

        return SiteNotices(accounts=self.accounts, profiles=self.email_profiles, outbox=self.outbox, clock=self.clock)
