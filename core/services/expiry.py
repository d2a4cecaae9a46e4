"""Expiry by the store (docs/privacy-and-retention.md, "Which kinds expire how"): the expiry plan each writer stamps
its items' `ttl` from, and the re-stamp job that rewrites the `ttl` of items already stored when a legal hold is
placed or lifted or the retention changes.

The re-stamp job is a chain of queue messages on the data-requests queue (`TtlRestampMessage`): each step re-stamps
one bounded page of one kind and sends the next step with its continuation, so a crash or a retry repeats at most
one page (a re-stamp is idempotent: it writes the ttl of the plan of now). The plan is read again at every step, so
a hold lifted meanwhile is seen by the pages still to come; a later change starts a job of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from core.domain.expiry import ExpiryPlan, TtlRestampMessage
from core.ports import Clock, ExpiryPlans, PrivacyStore, TtlRestamper
from core.services.retention import RetentionPolicy, default_settings

log = logging.getLogger(__name__)

RESTAMP_PAGE = 200  # items re-stamped per queue message (one write each): well inside a queue message's time


# The plans read in the current `once()` scope, per (plans object, account). A thread starts without a scope (Python
# gives each new thread an empty context), so one flush's plans are never seen by another thread's flush.
_SCOPE: ContextVar[dict[tuple[int, str], ExpiryPlan] | None] = ContextVar("expiry_plan_scope", default=None)


@dataclass(frozen=True)
class RetentionExpiry:
    """The `ExpiryPlans` port: the account's retention settings (or the platform defaults) and active holds, one
    single-partition query of the `privacy` container per call, or per account and `once()` scope.

    When a new hold applies (docs/privacy-and-retention.md): outside a scope, to every write after it is stored.
    Inside a scope, the plan is read at the scope's first stamped write, so a hold stored before that read applies
    to every item the scope writes; a hold stored while a scope runs reaches the items it wrote through the
    re-stamp job that placing the hold starts, as it reaches every item stored before the hold. The pings writer
    opens one scope per member of a flush, after it took the flush's messages from the queue: a hold placed
    before a message is processed applies to all of that message's documents."""

    privacy: PrivacyStore
    policy: RetentionPolicy
    margin_days: int

    @contextmanager
    def once(self) -> Iterator[None]:
        if _SCOPE.get() is not None:  # nested: the outer scope's reads stand
            yield
            return
        token = _SCOPE.set({})
        try:
            yield
        finally:
            _SCOPE.reset(token)

    def for_account(self, account_id: str) -> ExpiryPlan:
        scope = _SCOPE.get()
        if scope is None:
            return self._read(account_id)
        key = (id(self), account_id)
        if key not in scope:
            scope[key] = self._read(account_id)
        return scope[key]

    def _read(self, account_id: str) -> ExpiryPlan:
        stored, all_holds = self.privacy.retention_and_holds(account_id)  # one request
        settings = stored or default_settings(account_id, self.policy)
        holds = [h for h in all_holds if h.active]
        return ExpiryPlan(
            account_id=account_id,
            location_days=settings.location_days,
            access_log_days=settings.access_log_days,
            margin_days=self.margin_days,
            account_held=any(h.user_id is None for h in holds),
            held_users=frozenset(h.user_id for h in holds if h.user_id is not None),
        )


def restamp_step(
    *,
    message: TtlRestampMessage,
    ttl_restamper: TtlRestamper,
    expiry_plans: ExpiryPlans,
    enqueue_data_request: Callable[[str], None],
    clock: Clock,
    page: int = RESTAMP_PAGE,
) -> int:
    """Re-stamp one page and queue the next step (none when every kind is done); answers the items re-stamped."""
    kinds = list(ttl_restamper.kinds)
    if message.kind >= len(kinds):
        return 0
    plan = expiry_plans.for_account(message.account_id)
    done, continuation = ttl_restamper.restamp_page(
        kind=kinds[message.kind],
        plan=plan,
        user_id=message.user_id,
        continuation=message.continuation,
        limit=page,
        now=clock.now(),
    )
    following = (
        message.model_copy(update={"continuation": continuation})
        if continuation is not None
        else message.model_copy(update={"kind": message.kind + 1, "continuation": None})
    )
    if following.kind < len(kinds):
        enqueue_data_request(following.model_dump_json(by_alias=True))
    else:
        log.info("ttl re-stamp done (%s)", message.reason)
    return done
