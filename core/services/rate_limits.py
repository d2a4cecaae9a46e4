"""Abuse limits (docs/abuse-limits.md): count one call of a limited kind and refuse it (429, Retry-After) when its
subject already made as many as the policy's rate allows in the current window."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta

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


LEASE_CALLS = 10  # calls a process takes from a shared counter at once
LEASE_FROM_LIMIT = 200  # only limits of at least this many calls per window are leased (ingest: 1,200 a minute)
SWEEP_EVERY = timedelta(seconds=60)  # how often the leases of ended windows are forgotten


class LeasedRateLimiter:
    """The `rate_limiter` port as the composition root builds it, once per process, over the shared counters.

    For a generous limit (at least LEASE_FROM_LIMIT calls a window: the ingest limits) the process takes LEASE_CALLS
    calls from the shared counter in one request and counts the next ones in memory, so an ingest call makes the
    counter's request once in ten instead of every time. The shared counter never admits more than the limit: a
    lease is granted only while it fits (the store's atomic conditional increment), and once it no longer fits the
    calls are counted one by one again. What a lease costs: calls leased and not used before the window ends (at
    most LEASE_CALLS - 1 per process and subject) still count, so a subject near its limit can be refused that many
    calls early per process serving it. Limits below LEASE_FROM_LIMIT (sign-up, invitations, data requests...) are
    counted one by one, exactly, as before. Thread-safe: the host runs invocations on a thread pool."""

    def __init__(self, store: RateLimiter, *, clock: Clock, lease: int = LEASE_CALLS) -> None:
        if lease < 1:
            raise ValueError("a lease holds at least one call")
        self.store, self.clock, self.lease = store, clock, lease
        self._left: dict[str, tuple[int, datetime]] = {}  # key -> (calls leased and unused, when to forget them)
        self._full: dict[str, datetime] = {}  # keys whose window no longer fits a lease -> when to forget them
        self._lock = threading.Lock()
        self._swept_at: datetime | None = None

    def take(self, *, key: str, limit: int, expires_after_seconds: int, count: int = 1) -> bool:
        if count != 1 or self.lease == 1 or limit < max(LEASE_FROM_LIMIT, self.lease):
            return self.store.take(key=key, limit=limit, expires_after_seconds=expires_after_seconds, count=count)
        now = self.clock.now()
        with self._lock:
            self._sweep(now)
            left, forget_at = self._left.get(key, (0, now))
            if left > 0:
                self._left[key] = (left - 1, forget_at)
                return True
            near_limit = key in self._full
        if near_limit:
            return self.store.take(key=key, limit=limit, expires_after_seconds=expires_after_seconds)
        if self.store.take(key=key, limit=limit, expires_after_seconds=expires_after_seconds, count=self.lease):
            with self._lock:
                left, _ = self._left.get(key, (0, now))
                self._left[key] = (left + self.lease - 1, now + timedelta(seconds=expires_after_seconds))
            return True
        with self._lock:  # near the limit: one by one for the rest of this window
            self._full[key] = now + timedelta(seconds=expires_after_seconds)
        return self.store.take(key=key, limit=limit, expires_after_seconds=expires_after_seconds)

    def _sweep(self, now: datetime) -> None:
        if self._swept_at is not None and now - self._swept_at < SWEEP_EVERY:
            return
        self._swept_at = now
        for key in [k for k, (_, forget_at) in self._left.items() if forget_at <= now]:
            del self._left[key]
        for key in [k for k, forget_at in self._full.items() if forget_at <= now]:
            del self._full[key]
