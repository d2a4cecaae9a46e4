"""Owner e-mails when a member first enters or leaves a job site on a local day (opt-in; docs/job-sites.md).

Called by the pings writer's job-site step for each evaluated day whose result changed, before the day document
is written: a (site, kind) whose first event of the day is new against the stored day is queued through the outbox
under the dedupe key (member, site, kind, day). So re-delivered, out-of-order and late pings, a writer that lost
the race and evaluated again, and a message retried after a crash never make a second e-mail; a crash after the
enqueue and before the day's write only finds the entry already there on the retry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from core.domain.accounts import AccountStatus
from core.domain.email import EmailCategory
from core.domain.job_sites import JobSite
from core.domain.site_visits import EventKind, SiteDay, SiteEvent
from core.ports import AccountStore, Clock, EmailProfiles, Outbox
from core.services.outbox import enqueue_email_once

log = logging.getLogger(__name__)

CATEGORY = EmailCategory.JOB_SITE_VISITS
TEMPLATE = "job-site-visit"
MAX_AGE = timedelta(hours=24)  # an event older than this when it is first seen (a phone's backlog) is not e-mailed


@dataclass(frozen=True)
class SiteNotices:
    """What the writer needs to queue these e-mails (wired in core/bootstrap/)."""

    accounts: AccountStore
    profiles: EmailProfiles
    outbox: Outbox
    clock: Clock


def first_events(day: SiteDay | None) -> dict[tuple[str, EventKind], SiteEvent]:
    """The day's first enter and first exit of each site."""
    first: dict[tuple[str, EventKind], SiteEvent] = {}
    for event in sorted(day.events if day else [], key=lambda e: e.at):
        first.setdefault((event.site_id, event.kind), event)
    return first


def dedupe_key(account_id: str, user_id: str, site_id: str, kind: EventKind, day: str) -> str:
    return f"site-visit:{account_id}:{user_id}:{site_id}:{kind.value}:{day}"


def notify_first_events(
    *, notices: SiteNotices, before: SiteDay | None, after: SiteDay, member_name: str, sites: dict[str, JobSite]
) -> int:
    """Queue one e-mail to the Account Owner per new first enter/exit of the day, if the owner turned these
    e-mails on. Answers how many entries were created. Costs nothing more while no first event is new; then one
    account read and one preferences read, and one outbox write per e-mail."""
    known = first_events(before)
    now = notices.clock.now()
    new = [e for k, e in first_events(after).items() if k not in known and now - e.at <= MAX_AGE]
    if not new:
        return 0
    account = notices.accounts.get_account(after.account_id)
    if account is None or account.status is not AccountStatus.ACTIVE or account.owner_user_id == after.user_id:
        return 0  # nobody to tell, or the owner's own visits
    prefs = notices.profiles.get_preferences(account.owner_user_id)
    if prefs is None or not prefs.allows(CATEGORY):
        return 0  # checked again when sending: an opt-out in between suppresses the e-mail
    zone = ZoneInfo(after.time_zone)
    created = 0
    for event in new:
        site = sites.get(event.site_id)
        context = {
            "member_name": member_name or "A worker",
            "site_name": site.name if site else "a job site",
            "kind": event.kind.value,
            "local_time": event.at.astimezone(zone).strftime("%H:%M"),
            "date": after.day.isoformat(),
            "time_zone": after.time_zone,
        }
        _, fresh = enqueue_email_once(
            outbox=notices.outbox,
            category=CATEGORY,
            template=TEMPLATE,
            context=context,
            clock=notices.clock,
            dedupe_key=dedupe_key(after.account_id, after.user_id, event.site_id, event.kind, after.day.isoformat()),
            to_user_id=account.owner_user_id,
        )
        created += fresh
    log.info("job-site visit e-mails: %d new first event(s), %d queued", len(new), created)
    return created
