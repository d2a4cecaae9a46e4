"""Abuse limits (docs/abuse-limits.md): count one call of a limited kind and refuse it (429, Retry-After) when its
subject already made as many as the policy's rate allows in the current window."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from core.domain.errors import TooManyRequests
from core.domain.rate_limits import UNKNOWN_NETWORK, LimitPolicy, Per, Rate, counter_id, refusal_detail
from core.ports import Clock, RateLimiter

log = logging.getLogger(__name__)

EXPIRY_MARGIN_SECONDS = 60  # a counter outlives its window by this much (clocks of instances differ a little)


def enforce(
    *,
    limit: LimitPolicy,
    subject: str,
    rate_limiter: RateLimiter,
    rate_limits: Mapping[str, Rate],
    clock: Clock,
) -> None:
    """Count this call against the policy `limit` for `subject` (a network for Per.NETWORK, a user or device id
    for Per.CALLER); raise TooManyRequests when the window is full. A request whose network is unknown is not limited per network: in
    Azure the platform's front end always adds the connection's address (client_summary.client_address), so only
    a request that never passed it (the local host) has none, and one shared bucket would let any client lock
    everyone else out."""
    if limit.per is Per.NETWORK and subject == UNKNOWN_NETWORK:
        return
    rate = rate_limits[limit.name]
    window = rate.window(clock.now())
    key = counter_id(limit, subject, window)
    if rate_limiter.take(key=key, limit=rate.count, expires_after_seconds=rate.seconds + EXPIRY_MARGIN_SECONDS):
        return
    log.warning(
        "abuse limit %s reached (%d per %d s); retry after %d s",
        limit.name,
        rate.count,
        rate.seconds,
        window.retry_after,
    )
    raise TooManyRequests(refusal_detail(limit, rate, window), retry_after=window.retry_after)
