"""Optional analytics: record a page view when the rules allow it, and count them for the platform admin.

docs/privacy-signals.md. The API applies the consent rule itself (core/domain/page_views.py `decide`): an event
without consent, or sent with `Sec-GPC: 1`, is answered and dropped, whatever the portal did.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from datetime import date, timedelta

from core.domain.client_summary import ClientSummary
from core.domain.identity import Identity, Principal
from core.domain.page_views import (
    Count,
    Decision,
    PageView,
    PageViewCounts,
    PageViewIn,
    PageViewReceipt,
    clean_path,
    decide,
)
from core.ports import Clock, PageViewStore

log = logging.getLogger(__name__)

DAY_LIMIT = 20_000  # views counted per day; a busier day is reported as truncated
TOP = 20  # rows per breakdown


def record_page_view(
    *,
    event: PageViewIn,
    gpc: bool,
    client: ClientSummary,
    principal: Principal | None,
    page_views: PageViewStore,
    clock: Clock,
) -> PageViewReceipt:
    decision = decide(consent=event.consent, gpc=gpc)
    if decision is not Decision.RECORDED:
        return PageViewReceipt(recorded=False, decision=decision)
    now = clock.now()
    page_views.add(
        PageView(
            view_id=uuid.uuid4().hex,
            day=now.date().isoformat(),
            at=now,
            path=clean_path(event.path),
            browser=client.browser,
            os=client.os,
            network=client.network,
            account_id=principal.account_id if principal else None,
            user_id=principal.user_id if principal else None,
        )
    )
    return PageViewReceipt(recorded=True, decision=decision)


def _top(counter: Counter[str]) -> list[Count]:
    return [Count(key=key, count=n) for key, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]]


def page_view_counts(*, identity: Identity, days: int, page_views: PageViewStore, clock: Clock) -> PageViewCounts:
    """Aggregate counts only (no network, no user): per day, and the top paths, browsers and systems."""
    del identity  # the endpoint is for platform admins (checked before the call)
    last = clock.now().date()
    first = last - timedelta(days=days - 1)
    by_day: list[Count] = []
    paths: Counter[str] = Counter()
    browsers: Counter[str] = Counter()
    systems: Counter[str] = Counter()
    signed_in, truncated = 0, False
    day: date = first
    while day <= last:
        rows = page_views.day_summaries(day, limit=DAY_LIMIT)
        truncated = truncated or len(rows) >= DAY_LIMIT
        by_day.append(Count(key=day.isoformat(), count=len(rows)))
        for path, browser, os_, known in rows:
            paths[path] += 1
            browsers[browser] += 1
            systems[os_] += 1
            signed_in += known
        day += timedelta(days=1)
    return PageViewCounts(
        from_day=first.isoformat(),
        to_day=last.isoformat(),
        total=sum(c.count for c in by_day),
        signed_in=signed_in,
        by_day=by_day,
        by_path=_top(paths),
        by_browser=_top(browsers),
        by_os=_top(systems),
        truncated=truncated,
    )
