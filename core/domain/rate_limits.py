"""Abuse limits (docs/abuse-limits.md): the named policies, their rates and the fixed windows they count in.

A policy counts the calls of one kind per subject: per NETWORK (the caller's truncated network, checked before
authentication) or per CALLER (the identity, principal or device, checked after it). Its rate (`count` calls per
`seconds`) is a setting (core/settings.py); the windows are fixed, aligned on the epoch, so every instance of the
app agrees on where a window starts without talking to the others. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*([1-9][0-9]{0,6})\s*/\s*([1-9][0-9]{0,3})?\s*([smhd])\s*$")


class Per(Enum):
    NETWORK = "network"  # the truncated client network (/24, /48): before authentication
    CALLER = "caller"  # the identity (registration), principal or device: after authentication


@dataclass(frozen=True)
class Rate:
    """At most `count` calls in each window of `seconds`."""

    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """`20/h`, `600/m`, `5/10m`, `3/d`: a count, a slash, an optional multiple and a unit (s, m, h, d)."""
        match = _RATE.match(text)
        if match is None:
            raise ValueError(f"not a rate: {text!r} (write e.g. 20/h, 600/m or 5/10m)")
        count, multiple, unit = match.groups()
        return cls(count=int(count), seconds=int(multiple or 1) * _UNITS[unit])

    def window(self, at: datetime) -> Window:
        """The fixed window `at` falls in (aligned on the epoch)."""
        start = math.floor(at.timestamp()) // self.seconds * self.seconds
        return Window(
            start=start, seconds=self.seconds, retry_after=max(1, math.ceil(start + self.seconds - at.timestamp()))
        )


@dataclass(frozen=True)
class Window:
    start: int  # epoch seconds
    seconds: int
    retry_after: int  # whole seconds from the time asked until the window ends (at least 1)


@dataclass(frozen=True)
class LimitPolicy:
    """One named limit. `name` is stable: it is part of each counter document's id. Its rate is a setting
    (core/bootstrap/rate_limits.py names which)."""

    name: str
    per: Per
    what: str  # for the refusal's detail: "sign-ups from your network"


SIGN_UP_PER_NETWORK = LimitPolicy("sign-up-network", Per.NETWORK, "sign-ups from your network")
SIGN_UP_PER_IDENTITY = LimitPolicy("sign-up", Per.CALLER, "sign-up attempts")
INVITATIONS = LimitPolicy("invitations", Per.CALLER, "invitations")
EMAIL_CHANGES = LimitPolicy("email-changes", Per.CALLER, "changes of your profile and verification e-mails")
DATA_REQUESTS = LimitPolicy("data-requests", Per.CALLER, "data requests")
DEVICE_TOKENS = LimitPolicy("device-tokens", Per.CALLER, "new device tokens")
PAGE_VIEWS = LimitPolicy("page-views", Per.NETWORK, "page views from your network")
INVITATION_LINKS = LimitPolicy("invitation-links", Per.NETWORK, "invitation link look-ups from your network")
INGEST_PER_DEVICE = LimitPolicy("ingest-device", Per.CALLER, "uploads from this device")
INGEST_PER_MEMBER = LimitPolicy("ingest-member", Per.CALLER, "location uploads")

POLICIES: tuple[LimitPolicy, ...] = (
    SIGN_UP_PER_NETWORK,
    SIGN_UP_PER_IDENTITY,
    INVITATIONS,
    EMAIL_CHANGES,
    DATA_REQUESTS,
    DEVICE_TOKENS,
    PAGE_VIEWS,
    INVITATION_LINKS,
    INGEST_PER_DEVICE,
    INGEST_PER_MEMBER,
)

UNKNOWN_NETWORK = "unknown"  # core/domain/client_summary.py: no address could be read


def counter_id(policy: LimitPolicy, subject: str, window: Window) -> str:
    """The counter document's id: the policy, the window (length and start: two hosts with different rates never
    share a counter) and a digest of the subject (a user or device id, or a truncated network), so the store never
    holds the subject itself."""
    digest = hashlib.sha256(f"{policy.name}\n{subject}".encode()).hexdigest()[:40]
    return f"{policy.name}.{window.seconds}.{window.start}.{digest}"


def refusal_detail(policy: LimitPolicy, rate: Rate, window: Window) -> str:
    return (
        f"Too many {policy.what}: at most {rate.count} in {_span(rate.seconds)}. Try again in {window.retry_after} s."
    )


def _span(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}s" if n != 1 else f"1 {unit}"
    return f"{seconds} seconds"
