"""What is still held about a person in their account, per kind of personal data, with how long it is kept.

Open to a current user and to a former one (removed, left, or the account closed: `FormerMember`), so that after
leaving a person can still see what is kept about them before asking for their export or erasure
(docs/privacy-and-retention.md, "After leaving an account"). Only the caller's own items are counted (the
registry's `of_user`, or a kind's own `count_of_user` query); nothing of the account or of anyone else is read
into the answer. The retention rules are the purge's (core/services/purge.py `_plan`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from core.domain.identity import FormerMember, Subject
from core.domain.privacy import ClosureRecord, HeldData, HeldKind, RetentionSettings
from core.ports import PersonalDataKind, PrivacyStore
from core.services.retention import RetentionPolicy, effective_settings

COUNT_PAGE = 1000
MAX_COUNTED = 20_000  # a kind without its own count query is paged this far at most, then reported "at least"


def count_of_user(kind: PersonalDataKind, *, account_id: str, user_id: str) -> tuple[int, bool]:
    """(items of the user, whether counting stopped early). A kind with a `count_of_user` query answers in one
    request; any other is paged through `of_user`, bounded by MAX_COUNTED."""
    counter = getattr(kind, "count_of_user", None)
    counted = counter(account_id=account_id, user_id=user_id) if callable(counter) else None
    if counted is not None:  # None: the kind has no count query of its own
        return int(counted), False
    total, after = 0, None
    while True:
        page = kind.of_user(account_id=account_id, user_id=user_id, continuation=after, limit=COUNT_PAGE)
        total += len(page.items)
        if page.continuation is None:
            return total, False
        if total >= MAX_COUNTED:
            return total, True
        after = page.continuation


def _rule(
    kind: PersonalDataKind,
    *,
    settings: RetentionSettings,
    closure: ClosureRecord | None,
    policy: RetentionPolicy,
) -> tuple[int | None, datetime | None, str]:
    """(kept days, kept until, the rule in words) as the purge applies it."""
    legal = kind.kept_for or None
    legal_days = _legal_days(legal, policy) if legal is not None else None
    if closure is not None:
        if legal is not None:
            if legal_days is None:
                return None, None, f"Kept by law ({legal}). {kind.kept_reason}".strip()
            until = closure.closed_at + timedelta(days=legal_days)
            return legal_days, until, f"Kept by law ({legal}) after the account closed."
        return (
            None,
            closure.retention_deadline,
            "The account is closed: deleted when its retention window ends, unless you ask for erasure first.",
        )
    if legal is not None:
        return legal_days, None, f"Kept by law ({legal}) for {legal_days} days after the account closes."
    rolling = {
        "location": settings.location_days,
        "media": settings.media_days,
        "access-log": settings.access_log_days,
        "invitation": policy.invitations_days,
    }
    if kind.on_erasure == "keep" and kind.kept_reason:
        extra = " " + kind.kept_reason
    else:
        extra = " An erasure request deletes it sooner."
    rolling_days = rolling.get(kind.retention)
    if rolling_days is not None:
        return (
            rolling_days,
            None,
            f"Each item is deleted {rolling_days} days after it was recorded (the account's setting).{extra}",
        )
    if kind.retention == "export-link":
        return 0, None, "Deleted at the next daily purge after its download link expired."
    return (
        None,
        None,
        f"Kept while the account exists, then {policy.closed_account_days} days after it closes.{extra}",
    )


def _legal_days(category: str, policy: RetentionPolicy) -> int | None:
    try:
        return policy.category_days(category)
    except KeyError:
        return None


def held_data(
    *,
    principal: Subject,
    personal_data_kinds: Sequence[PersonalDataKind],
    privacy: PrivacyStore,
    retention_policy: RetentionPolicy,
) -> HeldData:
    """Kinds that hold at least one item of the caller, with counts and how long each is kept."""
    account_id, user_id = principal.account_id, principal.user_id
    closure = privacy.get_closure(account_id)
    settings = effective_settings(account_id, privacy, retention_policy)
    kinds: list[HeldKind] = []
    for kind in personal_data_kinds:
        items, at_least = count_of_user(kind, account_id=account_id, user_id=user_id)
        if not items:
            continue
        days, until, rule = _rule(kind, settings=settings, closure=closure, policy=retention_policy)
        kinds.append(
            HeldKind(
                kind=kind.name,
                description=kind.description,
                items=items,
                items_at_least=at_least,
                kept_days=days,
                kept_until=until,
                rule=rule,
            )
        )
    return HeldData(
        account_id=account_id,
        user_id=user_id,
        access=principal.ended if isinstance(principal, FormerMember) else "active",
        account_closed_at=closure.closed_at if closure is not None else None,
        kinds=kinds,
    )
