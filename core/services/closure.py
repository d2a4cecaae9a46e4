"""Closing an account: access ends for every user at once, the subscription is canceled, a confirmation e-mail is
sent, and the account's personal data is purged after the retention window (core/services/retention.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from core.domain.accounts import Account, AccountStatus, Member, MemberStatus
from core.domain.errors import Conflict, FieldError, Gone, NotFound, ValidationFailed
from core.domain.identity import Identity, Principal
from core.domain.privacy import (
    AdminAccountView,
    ClosurePublic,
    ClosureRecord,
    ClosureRequest,
    ClosureTerms,
    DataRequestMessage,
    KeptData,
)
from core.ports import (
    AccountStore,
    Clock,
    PersonalDataKind,
    PrivacyMailer,
    PrivacyStore,
    SubscriptionCanceller,
    UserStore,
)
from core.services import auth
from core.services.purge_index import mark_due
from core.services.retention import RetentionPolicy, audit
from core.signing import LinkSigner

log = logging.getLogger(__name__)

CLOSURE_PURPOSE = "account-closure"
CLOSURE_FOLLOW_UP = "closure-follow-up"  # request id of the queue message that retries a closure's follow-ups
PENDING = ("pending", "not-applicable")
CONFIRMATION_MINUTES = 15


def confirmation_name(account: Account, members: Sequence[Member]) -> str:
    """What the owner types to confirm a closure: the company name, or the owner's full name without one."""
    if account.company_name:
        return account.company_name
    owner = next((m for m in members if m.user_id == account.owner_user_id), None)
    return owner.full_name if owner else account.account_id


def closure_terms(
    *, principal: Principal, account_id: str, accounts: AccountStore, retention_policy: RetentionPolicy
) -> ClosureTerms:
    """Read-only: what closing would end and what the law keeps, from the same table the closure applies."""
    principal.require_owner_of(account_id)
    account = accounts.get_account(account_id)
    if account is None:
        raise NotFound()
    members = accounts.list_members(account_id)
    return ClosureTerms(
        account_id=account_id,
        status=account.status.value,
        confirmation_name=confirmation_name(account, members),
        members_losing_access=sum(1 for m in members if m.status is MemberStatus.ACTIVE),
        closed_account_days=retention_policy.closed_account_days,
        kept_after_closure=retention_policy.kept_after_closure(),
    )


def _check_typed_name(typed: str | None, account: Account, members: Sequence[Member]) -> None:
    if typed is None:
        return
    if " ".join(typed.split()).casefold() != " ".join(confirmation_name(account, members).split()).casefold():
        raise ValidationFailed(
            "The typed name is not the account's name; nothing was closed.",
            errors=[FieldError("typedName", "does not match the account's name")],
        )


def close_account(
    *,
    principal: Principal,
    account_id: str,
    data: ClosureRequest,
    accounts: AccountStore,
    users: UserStore,
    privacy: PrivacyStore,
    signer: LinkSigner,
    clock: Clock,
    retention_policy: RetentionPolicy,
    privacy_subscriptions: SubscriptionCanceller | None,
    privacy_mailer: PrivacyMailer | None,
    enqueue_data_request: Callable[[str], None],
) -> ClosurePublic:
    """Without `confirm`: answer a short-lived confirmation phrase. With it: close the account.

    Every step is idempotent, so a retry after a failure part-way finishes the job. Access ends first.
    """
    principal.require_owner_of(account_id)
    account = accounts.get_account(account_id)
    if account is None:
        raise NotFound()
    now = clock.now()
    listed = accounts.list_members(account_id)
    _check_typed_name(data.typed_name, account, listed)
    if data.confirm is None:
        phrase = signer.sign(
            CLOSURE_PURPOSE,
            {"a": account_id, "u": principal.user_id},
            expires_at=now + timedelta(minutes=CONFIRMATION_MINUTES),
        )
        return ClosurePublic(
            account_id=account_id,
            status="confirmation-required",
            confirmation_phrase=phrase,
            kept_after_closure=retention_policy.kept_after_closure(),
        )
    try:
        payload = signer.verify(CLOSURE_PURPOSE, data.confirm, now=now)
    except Gone as exc:
        raise _bad_confirmation() from exc
    if payload.get("a") != account_id or payload.get("u") != principal.user_id:
        raise _bad_confirmation()
    if account.status is AccountStatus.CLOSED:
        raise Conflict("This account is already closed.")

    # The closure record comes first: from here on the purge treats the account as closed even if a later step
    # fails. The owner's own sign-in is closed last, so until then the owner can simply retry.
    record = privacy.get_closure(account_id) or ClosureRecord(
        account_id=account_id,
        closed_by=principal.user_id,
        closed_at=now,
        reason=data.reason,
        retention_deadline=now + timedelta(days=retention_policy.closed_account_days),
    )
    privacy.put_closure(record)
    mark_due(privacy, account_id=account_id, at=record.retention_deadline, reason="account-closed")
    members = sorted(listed, key=lambda m: m.user_id == principal.user_id)
    closed_users = 0
    for member in members:
        sign_in = users.get_user(member.user_id)
        if sign_in is not None and sign_in.account_id == account_id and sign_in.status is not MemberStatus.CLOSED:
            users.put_user(sign_in.model_copy(update={"status": MemberStatus.CLOSED}))
            closed_users += 1
    accounts.put_account(account.model_copy(update={"status": AccountStatus.CLOSED, "closed_at": record.closed_at}))
    record = record.model_copy(update={"users_closed": record.users_closed + closed_users})
    privacy.put_closure(record)

    owner = next((m for m in members if m.user_id == principal.user_id), None)
    try:
        record = _follow_up(
            record,
            subscriptions=privacy_subscriptions,
            mailer=privacy_mailer,
            owner_email=owner.email if owner else None,
        )
    except Exception:  # noqa: BLE001 - access has already ended: the queue retries what is left
        log.warning("closure follow-up for %s failed; queued for retry", account_id)
        enqueue_data_request(
            DataRequestMessage(account_id=account_id, request_id=CLOSURE_FOLLOW_UP).model_dump_json(by_alias=True)
        )
    privacy.put_closure(record)
    kept = kept_under_holds(privacy, account_id)
    audit(
        privacy,
        clock,
        account_id=account_id,
        actor=principal.user_id,
        action="account.closed",
        outcome="closed",
        details={
            "usersClosed": closed_users,
            "subscription": record.subscription,
            "confirmationEmail": record.confirmation_email,
        }
        | ({"kept": [k.model_dump() for k in kept]} if kept else {}),
    )
    return ClosurePublic(
        account_id=account_id,
        status="closed",
        closed_at=record.closed_at,
        retention_deadline=record.retention_deadline,
        subscription=record.subscription,
        confirmation_email=record.confirmation_email,
        kept_after_closure=retention_policy.kept_after_closure(),
        kept=kept,
    )


def kept_under_holds(privacy: PrivacyStore, account_id: str) -> list[KeptData]:
    """What the purge after the closure window will keep (core/services/purge.py, `plan_account`): everything under
    a hold on the account, each held member's data under a hold on them. No member is named."""
    kept: list[KeptData] = []
    for hold in sorted((h for h in privacy.list_holds(account_id) if h.active), key=lambda h: h.placed_at):
        kept.append(
            KeptData(kind="all" if hold.user_id is None else "member-data", reason=f"legal-hold {hold.hold_id}")
        )
    return kept


def _follow_up(
    record: ClosureRecord,
    *,
    subscriptions: SubscriptionCanceller | None,
    mailer: PrivacyMailer | None,
    owner_email: str | None,
) -> ClosureRecord:
    """Cancel the subscription and send the confirmation, each once (both hooks are idempotent)."""
    if record.subscription in PENDING:
        if subscriptions is None:
            record = record.model_copy(update={"subscription": "not-canceled: billing is not wired in this build"})
        else:
            record = record.model_copy(update={"subscription": subscriptions.cancel_for_account(record.account_id)})
    if record.confirmation_email in PENDING:
        if mailer is None or owner_email is None:
            record = record.model_copy(update={"confirmation_email": "not-sent: the e-mail outbox is not wired"})
        else:
            mailer.send(
                key=f"closure-{record.account_id}",
                account_id=record.account_id,
                user_id=record.closed_by,
                to=owner_email,
                template="account-closed",
                data={
                    "closedAt": record.closed_at.isoformat(),
                    "retentionDeadline": record.retention_deadline.isoformat(),
                },
            )
            record = record.model_copy(update={"confirmation_email": "queued"})
    return record


def finish_closure(
    *,
    account_id: str,
    accounts: AccountStore,
    privacy: PrivacyStore,
    clock: Clock,
    subscriptions: SubscriptionCanceller | None,
    mailer: PrivacyMailer | None,
) -> ClosureRecord | None:
    """Queue work: retry the follow-ups of a closure whose first attempt failed. Errors propagate (host retries)."""
    record = privacy.get_closure(account_id)
    if record is None:
        return None
    owner = accounts.get_member(account_id, record.closed_by)
    done = _follow_up(record, subscriptions=subscriptions, mailer=mailer, owner_email=owner.email if owner else None)
    if done != record:
        privacy.put_closure(done)
        audit(
            privacy,
            clock,
            account_id=account_id,
            actor="closure",
            action="account.closure-follow-up",
            outcome="done",
            details={"subscription": done.subscription, "confirmationEmail": done.confirmation_email},
        )
    return done


def _bad_confirmation() -> ValidationFailed:
    return ValidationFailed(
        "The confirmation phrase is not valid or has expired; ask for a new one.",
        errors=[FieldError("confirm", "not valid or expired")],
    )


def admin_view_account(
    *,
    identity: Identity,
    account_id: str,
    accounts: AccountStore,
    privacy: PrivacyStore,
    personal_data_kinds: Sequence[PersonalDataKind],
    clock: Clock,
) -> AdminAccountView:
    """A platform administrator's read of an account (closed or not) for a dispute. The read is audited in the
    account's trail before anything is answered: no audit entry, no answer."""
    auth.require_platform_admin(identity)
    account = accounts.get_account(account_id)
    closure = privacy.get_closure(account_id)
    if account is None and closure is None:
        raise NotFound()
    audit(privacy, clock, account_id=account_id, actor=identity.user_id, action="admin.account-read", outcome="read")
    return AdminAccountView(
        account=account.model_dump(mode="json") if account else {},
        members=[m.model_dump(mode="json") for m in accounts.list_members(account_id)],
        closure=closure.model_dump(mode="json") if closure else None,
        holds=[h.to_public() for h in privacy.list_holds(account_id)],
        data={k.name: k.count(account_id=account_id) for k in personal_data_kinds},
    )
