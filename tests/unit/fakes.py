"""In-memory fakes of the ports, for unit tests of core services only."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from core.domain.accounts import Account, AccountEvent, Invitation, Member, Units, UserRecord
from core.domain.errors import Unauthenticated
from core.domain.events import Change, Fact
from core.domain.expiry import ExpiryPlan
from core.domain.identity import Identity
from core.domain.maps import MapToken
from core.ports import Clock

TOKEN_PREFIX = "fake-token."


class FakeClock:
    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, **kwargs: float) -> None:
        self.at += timedelta(**kwargs)


class FakeAccountStore:
    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.members: dict[tuple[str, str], Member] = {}
        self.invitations: dict[tuple[str, str], Invitation] = {}
        self.events: dict[str, AccountEvent] = {}

    def get_account(self, account_id: str) -> Account | None:
        return self.accounts.get(account_id)

    def put_account(self, account: Account) -> None:
        self.accounts[account.account_id] = account

    def set_units(self, account_id: str, units: Units) -> Account | None:
        account = self.accounts.get(account_id)
        if account is None:
            return None
        self.accounts[account_id] = account = account.model_copy(update={"units": units})
        return account

    def get_member(self, account_id: str, user_id: str) -> Member | None:
        return self.members.get((account_id, user_id))

    def put_member(self, member: Member) -> None:
        self.members[(member.account_id, member.user_id)] = member

    def list_members(self, account_id: str) -> list[Member]:
        return [m for (a, _), m in self.members.items() if a == account_id]

    def get_invitation(self, account_id: str, invitation_id: str) -> Invitation | None:
        return self.invitations.get((account_id, invitation_id))

    def list_invitations(self, account_id: str) -> list[Invitation]:
        return [i for (a, _), i in self.invitations.items() if a == account_id]

    def create_invitation(self, invitation: Invitation) -> None:
        self.invitations[(invitation.account_id, invitation.invitation_id)] = invitation

    def replace_invitation_if_unchanged(self, invitation: Invitation, *, expected: Invitation) -> bool:
        key = (invitation.account_id, invitation.invitation_id)
        if self.invitations.get(key) != expected:
            return False
        self.invitations[key] = invitation
        return True

    def list_expired_pending_invitations(self, now: datetime, limit: int) -> list[Invitation]:
        found = [i for i in self.invitations.values() if i.status == "pending" and i.expires_at < now]
        return found[:limit]

    def record_event(self, event: AccountEvent) -> bool:
        if event.event_id in self.events:
            return False
        self.events[event.event_id] = event
        return True

    def list_events(self, account_id: str) -> list[AccountEvent]:
        return [e for e in self.events.values() if e.account_id == account_id]


class FakeUserStore:
    def __init__(self) -> None:
        self.users: dict[str, UserRecord] = {}
        self.markers: dict[str, datetime] = {}

    def get_user(self, user_id: str) -> UserRecord | None:
        return self.users.get(user_id)

    def create_user(self, record: UserRecord) -> bool:
        if record.user_id in self.users:
            return False
        self.users[record.user_id] = record
        return True

    def put_user(self, record: UserRecord) -> None:
        self.users[record.user_id] = record

    def has_refusal_marker(self, marker_id: str) -> bool:
        return marker_id in self.markers

    def put_refusal_marker(self, marker_id: str, at: datetime) -> None:
        self.markers[marker_id] = at


class FakePublisher:
    def __init__(self, fail_times: int = 0) -> None:
        self.published: list[AccountEvent] = []
        self.fail_times = fail_times

    def publish(self, events: Iterable[AccountEvent]) -> None:
        if self.fail_times > 0:
            self.fail_times -= 1
            raise ConnectionError("queue unreachable")
        self.published.extend(events)


def fake_token(user_id: str, *, email: str | None = None, admin: bool = False) -> str:
    """A bearer token that FakeTokenVerifier accepts: who it names is readable, nothing is signed."""
    claims = {"sub": user_id, "email": email if email is not None else f"{user_id}@example.com", "admin": admin}
    return TOKEN_PREFIX + base64.urlsafe_b64encode(json.dumps(claims).encode()).decode()


class FakeTokenVerifier:
    """Accepts the tokens of `fake_token` (and refuses every other string as the real verifier refuses an invalid
    one); `refused` names subjects whose tokens it refuses (an expired or revoked sign-in)."""

    def __init__(self) -> None:
        self.refused: set[str] = set()
        self.verified: list[str] = []

    def verify(self, token: str) -> Identity:
        if not token.startswith(TOKEN_PREFIX):
            raise Unauthenticated("The token is not valid.")
        try:
            claims = json.loads(base64.urlsafe_b64decode(token[len(TOKEN_PREFIX) :].encode()))
        except (binascii.Error, ValueError):
            raise Unauthenticated("The token is not valid.") from None
        if claims["sub"] in self.refused:
            raise Unauthenticated("The token has expired.")
        self.verified.append(claims["sub"])
        return Identity(user_id=claims["sub"], email=claims["email"], is_platform_admin=bool(claims["admin"]))


class FakeHealthProbe:
    """A dependency that answers, or (with `error`) one that does not."""

    def __init__(self, name: str, error: Exception | None = None) -> None:
        self.name = name
        self.error = error
        self.checks = 0

    def check(self) -> None:
        self.checks += 1
        if self.error is not None:
            raise self.error


class FakeReactions:
    """The `reactions` port without the table: records each event raised. `under_way` holds the Changes whose
    write is in progress (entered, not yet left), so a fake store can check that its write is inside one."""

    def __init__(self) -> None:
        self.raised: list[Change | Fact] = []
        self.under_way: list[Change] = []

    @contextmanager
    def changing(self, event: Change) -> Iterator[None]:
        self.raised.append(event)
        self.under_way.append(event)
        try:
            yield
        finally:
            self.under_way.remove(event)

    def happened(self, event: Fact) -> None:
        self.raised.append(event)


class FakeExpiryPlans:
    """The `expiry_plans` port: a plan without holds (365 days) per account; counts the reads (`reads`) and the
    `once()` scopes entered (`scopes`), and reads once per account inside a scope, as the real one."""

    def __init__(self) -> None:
        self.reads = 0
        self.scopes = 0
        self._scope: dict[str, ExpiryPlan] | None = None

    def for_account(self, account_id: str) -> ExpiryPlan:
        if self._scope is not None and account_id in self._scope:
            return self._scope[account_id]
        self.reads += 1
        plan = ExpiryPlan(account_id=account_id, location_days=365, access_log_days=365, margin_days=1)
        if self._scope is not None:
            self._scope[account_id] = plan
        return plan

    @contextmanager
    def once(self) -> Iterator[None]:
        self.scopes += 1
        outer, self._scope = self._scope, self._scope if self._scope is not None else {}
        try:
            yield
        finally:
            self._scope = outer


class FakeMapTokens:
    """Azure Maps tokens in memory: a fixed token valid for an hour after the clock's now; `issued` counts asks."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or FakeClock()
        self.issued = 0

    def current(self) -> MapToken:
        self.issued += 1
        return MapToken(access_token="map-token-for-tests", expires_on=self.clock.now() + timedelta(hours=1))


class FakeRateLimiter:
    """Abuse limits' counters in memory: `calls[key]` counted calls (leases included), `expiries[key]` the seconds
    asked for."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.expiries: dict[str, int] = {}
        self.requests = 0  # take() calls: what the shared store would be asked

    def take(self, *, key: str, limit: int, expires_after_seconds: int, count: int = 1) -> bool:
        self.requests += 1
        if count < 1 or self.calls.get(key, 0) + count > limit:
            return False
        self.calls[key] = self.calls.get(key, 0) + count
        self.expiries[key] = expires_after_seconds
        return True
