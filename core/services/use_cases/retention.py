"""Retention settings, legal holds and the purge runs' log (functions/privacy.py). The daily purge timer's work is
`daily_purge`."""

from __future__ import annotations

from core.services import expiry, purge, retention
from core.services.wiring import UseCases, inject


class RetentionUseCases(UseCases):
    settings = inject(retention.get_retention)
    update = inject(retention.update_retention)
    place_hold = inject(retention.place_hold)
    holds = inject(retention.list_holds)
    lift_hold = inject(retention.lift_hold)
    purge_runs = inject(purge.list_runs)
    # Queue work on the data-requests queue: one step of a ttl re-stamp job (core/services/expiry.py).
    restamp_step = inject(expiry.restamp_step)
    # The daily timer: one bounded purge run, then one of the coarsened history.
    daily_purge = inject(purge.daily_purge)
