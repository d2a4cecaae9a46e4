"""Data-subject requests: access (export), erasure, rectification and the California disclosure.

A request is always about the caller: its id is looked up in the caller's account and must be the caller's own,
so another user's request answers 404 exactly like a missing one. Exports and erasures run from a queue; both
are idempotent (a redelivered message finds the request completed and does nothing).
"""

from __future__ import annotations

import json
import logging
import uuid
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import IO, Any

from core.domain.errors import AccessEnded, NotFound
from core.domain.identity import FormerMember, Subject
from core.domain.privacy import (
    ERASED_EMAIL_DOMAIN,
    DataRequest,
    DataRequestCreate,
    DataRequestList,
    DataRequestMessage,
    DataRequestPublic,
    DataRequestStatus,
    DataRequestType,
    DeletionResidue,
    ItemRef,
    KeptCategory,
    KeptData,
    KindProgress,
    LegalHold,
)
from core.ports import (
    AccountStore,
    Clock,
    ExportSink,
    PersonalDataKind,
    PrivacyMailer,
    PrivacyStore,
    SubscriptionCanceller,
)
from core.services import data_sharing, legal_holds
from core.services.legal_holds import covering_holds
from core.services.retention import EXPECTED_KINDS, RetentionPolicy, audit

log = logging.getLogger(__name__)

NOT_EXPORTED = {
    "billing-records",
    "billing-history",
    "stripe-events",
    "outbox",
    "unanswered-invitations",
    "privacy-audit",
    "closure-record",
    "data-exports",
    "privacy-requests",
}
DUE_DAYS = {DataRequestType.CALIFORNIA_DISCLOSURE: 45}
DEFAULT_DUE_DAYS = 30
PAGE = 200
STEP_ITEMS = 5000  # items an erasure step deletes at most before it saves its cursors and queues the next step


# What a person whose access ended may still ask for about their own data (docs/privacy-and-retention.md,
# "After leaving an account"): their export and erasure.
FORMER_MEMBER_TYPES = frozenset({DataRequestType.ACCESS, DataRequestType.ERASURE})


def create_request(
    *,
    principal: Subject,
    data: DataRequestCreate,
    privacy: PrivacyStore,
    clock: Clock,
    enqueue_data_request: Callable[[str], None],
) -> DataRequestPublic:
    """`principal` is the requester: an active user, or a former member (access ended) asking for their export
    or erasure, which are always about their own data in the account they left."""
    if isinstance(principal, FormerMember) and data.type not in FORMER_MEMBER_TYPES:
        raise AccessEnded(
            "After leaving an account you can ask for your export (access) or for erasure; other requests go to "
            "the account's support."
        )
    now = clock.now()
    request = DataRequest(
        request_id=str(uuid.uuid4()),
        account_id=principal.account_id,
        user_id=principal.user_id,
        requester_role=principal.role.value,
        type=data.type,
        details=data.details,
        received_at=now,
        due_at=now + timedelta(days=DUE_DAYS.get(data.type, DEFAULT_DUE_DAYS)),
    )
    if data.type is DataRequestType.CALIFORNIA_DISCLOSURE:
        request = request.model_copy(
            update={
                "status": DataRequestStatus.COMPLETED,
                "completed_at": now,
                "disclosure": data_sharing.california_disclosure(now=now),
                "outcome": "answered from the register",
            }
        )
    elif data.type is DataRequestType.RECTIFICATION:
        request = request.model_copy(
            update={
                "outcome": "Name, e-mail, phone and time zone can be changed at once with PATCH /api/me; this request "
                "is recorded for anything else and answered by the account's support.",
            }
        )
    privacy.put_request(request)
    audit(
        privacy,
        clock,
        account_id=principal.account_id,
        actor=principal.user_id,
        action=f"data-request.{data.type.value}",
        outcome=request.status.value,
        subject_user_id=principal.user_id,
        target=request.request_id,
    )
    if data.type in (DataRequestType.ACCESS, DataRequestType.ERASURE):
        enqueue_data_request(
            DataRequestMessage(account_id=principal.account_id, request_id=request.request_id).model_dump_json(
                by_alias=True
            )
        )
    return request.to_public()


def _own_request(principal: Subject, request_id: str, privacy: PrivacyStore) -> DataRequest:
    request = privacy.get_request(principal.account_id, request_id)
    if request is None or request.user_id != principal.user_id:
        raise NotFound()
    return request


def get_request(*, principal: Subject, request_id: str, privacy: PrivacyStore) -> DataRequestPublic:
    return _own_request(principal, request_id, privacy).to_public()


def list_requests(*, principal: Subject, privacy: PrivacyStore, deletion_residue: DeletionResidue) -> DataRequestList:
    """The answer also says how long deleted data remains out of the app's reach (`deletion_residue`: the deployed
    soft delete and backup days; the privacy centre shows it)."""
    return DataRequestList(
        items=[r.to_public() for r in privacy.list_requests(principal.account_id, principal.user_id)],
        deletion=deletion_residue.notice() if deletion_residue is not None else None,
    )


# ---------------------------------------------------------------- queue work


def process_request(
    *,
    message: DataRequestMessage,
    kinds: Sequence[PersonalDataKind],
    privacy: PrivacyStore,
    sink: ExportSink,
    clock: Clock,
    policy: RetentionPolicy,
    link_ttl: timedelta,
    mailer: PrivacyMailer | None,
    mail_to: Callable[[str, str], str | None],
    accounts: AccountStore,
    residue: DeletionResidue | None = None,
    enqueue: Callable[[str], None] | None = None,
    attempt: int = 1,
    step_items: int = STEP_ITEMS,
) -> DataRequest | None:
    """An erasure first marks the member record (`erased_at`), so the pings writer stores none of
    their pings taken before it that were still on the queue (docs/tracking.md, "The pings writer"). `residue`
    (the deployed soft delete and backup days; main.bicep's defaults when not given): a completed erasure lists
    where deleted data may remain and until when (`residual_copies`), the export's README says the same.

    An erasure runs in bounded steps (`_erase`): a step that leaves work saves the request with its progress and
    the number of the next step, then queues a message for that step (`enqueue`, the data-requests queue). A
    message for another step than the request's is stale and does nothing, except a redelivered message of the step
    just saved (`attempt` > 1: the worker may have stopped before queueing the next one), which queues it again."""
    residue = residue if residue is not None else DeletionResidue()
    request = privacy.get_request(message.account_id, message.request_id)
    if request is None:
        log.warning("data request %s not found; nothing to do", message.request_id)
        return None
    if request.status is DataRequestStatus.COMPLETED:
        return request
    if request.type is DataRequestType.ERASURE and message.step != request.step:
        _stale_step(message, request, attempt=attempt, enqueue=enqueue)
        return request
    request = request.model_copy(update={"status": DataRequestStatus.PROCESSING})
    privacy.put_request(request)
    to = mail_to(request.account_id, request.user_id)  # before an erasure removes the address
    if request.type is DataRequestType.ACCESS:
        request = _export(
            request, kinds=kinds, privacy=privacy, sink=sink, clock=clock, link_ttl=link_ttl, residue=residue
        )
    elif request.type is DataRequestType.ERASURE:
        _mark_erased(accounts, request, clock.now())
        request, finished = _erase(
            request, kinds=kinds, privacy=privacy, clock=clock, policy=policy, step_items=step_items
        )
        if not finished:
            return _next_step(request, privacy=privacy, enqueue=enqueue)
        erased_at = request.completed_at or clock.now()
        request = request.model_copy(update={"residual_copies": residue.copies(erased_at)})
    else:
        return request
    email = "not-sent: the e-mail outbox is not wired"
    if to and to.endswith("@" + ERASED_EMAIL_DOMAIN):
        to, email = None, "not-sent: the address was erased"
    if mailer is not None and to:
        data = {"type": request.type.value, "requestId": request.request_id}
        if request.download_url and request.download_expires_at:
            data |= {"downloadUrl": request.download_url, "expiresAt": request.download_expires_at.isoformat()}
        mailer.send(
            key=f"data-request-{request.request_id}",
            account_id=request.account_id,
            user_id=request.user_id,
            to=to,
            template=f"data-request-{request.type.value}",
            data=data,
        )
        email = "queued"
    request = request.model_copy(update={"outcome": f"{request.outcome}; e-mail {email}", "emailed": email == "queued"})
    privacy.put_request(request)
    audit(
        privacy,
        clock,
        account_id=request.account_id,
        actor="data-requests",
        subject_user_id=request.user_id,
        action=f"data-request.{request.type.value}.completed",
        outcome="completed",
        target=request.request_id,
        details=_completion_details(request),
    )
    return request


def _completion_details(request: DataRequest) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if request.erased:
        details["erased"] = request.erased
    if request.kept:
        details["kept"] = {k.kind: k.reason for k in request.kept}
    return details


def record_failure(
    *, message: DataRequestMessage, attempt: int, max_attempts: int, privacy: PrivacyStore, clock: Clock
) -> None:
    """Queue work failed. On the last attempt (the host then moves the message to the poison queue) the request is
    marked failed and audited, so the requester sees it and support can replay the message."""
    if attempt < max_attempts:
        return
    request = privacy.get_request(message.account_id, message.request_id)
    if request is None or request.status is DataRequestStatus.COMPLETED:
        return
    privacy.put_request(
        request.model_copy(
            update={"status": DataRequestStatus.FAILED, "outcome": "processing failed; support has been alerted"}
        )
    )
    audit(
        privacy,
        clock,
        account_id=request.account_id,
        actor="data-requests",
        subject_user_id=request.user_id,
        action=f"data-request.{request.type.value}.failed",
        outcome="failed",
        target=request.request_id,
        details={"attempts": attempt},
    )


def export_blob_name(request: DataRequest) -> str:
    return f"{request.account_id}/{request.user_id}/{request.request_id}.zip"


def _export(
    request: DataRequest,
    *,
    kinds: Sequence[PersonalDataKind],
    privacy: PrivacyStore,
    sink: ExportSink,
    clock: Clock,
    link_ttl: timedelta,
    residue: DeletionResidue,
) -> DataRequest:
    blob_name = export_blob_name(request)
    files: list[tuple[str, str]] = []
    with sink.open_writer(blob_name) as raw, zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for kind in kinds:
            writer = getattr(kind, "write_export", None)
            if writer is not None:
                # A kind with its own formats (e.g. pings as GeoJSON and GPX) writes its files itself.
                files.extend(writer(zf, account_id=request.account_id, user_id=request.user_id))
            elif kind.export_file:
                with zf.open(kind.export_file, "w", force_zip64=True) as out:
                    _write_json_array(out, kind.export(account_id=request.account_id, user_id=request.user_id))
                files.append((kind.export_file, kind.description))
        own = [
            r.model_dump(mode="json", exclude={"download_url"})
            for r in privacy.list_requests(request.account_id, request.user_id)
        ]
        with zf.open("data-requests.json", "w") as out:
            _write_json_array(out, iter(own))
        files.append(("data-requests.json", "Your data-subject requests: type, dates, status and outcome."))
        zf.writestr("README.txt", _readme(files, kinds, clock.now(), residue))
    expires = clock.now() + link_ttl
    link = sink.read_only_link(blob_name, expires)
    return request.model_copy(
        update={
            "status": DataRequestStatus.COMPLETED,
            "completed_at": clock.now(),
            "export_blob": blob_name,
            "download_url": link,
            "download_expires_at": expires,
            "outcome": f"export ready; the link expires at {expires.isoformat()}",
        }
    )


def _write_json_array(out: IO[bytes], items: Iterator[dict[str, Any]]) -> None:
    """One item at a time, so memory does not grow with the history."""
    out.write(b"[")
    for i, item in enumerate(items):
        if i:
            out.write(b",\n")
        out.write(json.dumps(item, default=str, ensure_ascii=False).encode())
    out.write(b"]\n")


def _readme(
    files: list[tuple[str, str]], kinds: Sequence[PersonalDataKind], now: datetime, residue: DeletionResidue
) -> str:
    lines = [
        "IndusTrack - export of your personal data",
        f"Prepared {now.isoformat()} (UTC).",
        "",
        "Each file below is UTF-8. JSON files hold one array of records, as stored.",
        "",
    ]
    lines += [f"{name}\n    {text}" for name, text in files]
    lines.append("README.txt\n    This file.")
    present = {k.name for k in kinds}
    missing = [n for n in EXPECTED_KINDS if n not in present and n not in NOT_EXPORTED]
    if missing:
        lines += ["", "Not part of this export because this build does not store them yet: " + ", ".join(missing)]
    lines += ["", "After a deletion (an erasure, a retention purge, a photo you delete):", "    " + residue.text()]
    return "\n".join(lines) + "\n"


def _erasable(kind: PersonalDataKind, legal: dict[str, KeptCategory]) -> bool:
    """Whether an erasure removes (or anonymizes) the requester's items of this kind: not when a legal category
    keeps it (`kept_for`, or registered under a legal category's name) or the kind says "keep"."""
    category = kind.kept_for or (kind.name if kind.name in legal else None)
    return category is None and kind.on_erasure != "keep"


def _left(kind: PersonalDataKind, request: DataRequest, erased: int) -> int | None:
    """The requester's items of the kind still due (None when the kind cannot count them cheaply)."""
    counter = getattr(kind, "count_of_user", None)
    if counter is None:
        return None
    stored: int | None = counter(account_id=request.account_id, user_id=request.user_id)
    if stored is None:
        return None
    return max(stored - erased, 0) if kind.on_erasure == "anonymize" else stored


def _remove(kind: PersonalDataKind, refs: Sequence[ItemRef]) -> int:
    """Delete (or anonymize) one page; a kind that can delete a page in batches does so."""
    if kind.on_erasure == "anonymize":
        return sum(1 for ref in refs if kind.anonymize(ref))
    many = getattr(kind, "delete_many", None)
    if many is not None:
        return int(many(refs))
    return sum(1 for ref in refs if kind.delete(ref))


def _erase(
    request: DataRequest,
    *,
    kinds: Sequence[PersonalDataKind],
    privacy: PrivacyStore,
    clock: Clock,
    policy: RetentionPolicy,
    step_items: int = STEP_ITEMS,
) -> tuple[DataRequest, bool]:
    """One bounded step of an erasure: delete or anonymize at most `step_items` of the requester's items, kind
    after kind in registry order, each kind from where the previous step left it (`progress`: a keyset cursor per
    kind), and answer the request with its progress and whether every kind is done. Deleting an item that is gone
    already is a no-op, so a step redone after a crash neither fails nor counts twice.

    A kind is kept when it names a legal category (`kept_for`) or is itself registered under a legal category's
    name, whatever its other flags say. The `retained` answer lists only what was kept and holds something of the
    requester (for the Account Owner, the account's own records too), never a category read from the policy alone.
    An active legal hold on the account or the requester keeps everything of theirs: nothing is erased, and `kept`
    names each kind that holds something of theirs with the hold."""
    legal = {k.category: k for k in policy.kept_after_closure()}
    erasable = [k for k in kinds if _erasable(k, legal)]
    holds = covering_holds(privacy, request.account_id, request.user_id)
    if holds:
        held = _kept_by_hold(request, kinds=erasable, privacy=privacy, clock=clock, holds=holds)
        return held.model_copy(update={"retained": _retained(request, kinds, policy)}), True
    progress = {p.kind: p for p in request.progress}
    for kind in erasable:
        if kind.name not in progress:
            progress[kind.name] = KindProgress(kind=kind.name, left=_left(kind, request, 0))
    budget = step_items
    for kind in erasable:
        state = progress[kind.name]
        while not state.finished and budget > 0:
            page = kind.of_user(
                account_id=request.account_id,
                user_id=request.user_id,
                continuation=state.continuation,
                limit=min(PAGE, budget),
            )
            state.erased += _remove(kind, page.items)
            budget -= max(len(page.items), 1)
            if page.continuation is None:
                state.finished, state.continuation, state.left = True, None, 0
            else:
                state.continuation = page.continuation
        if not state.finished:
            state.left = _left(kind, request, state.erased)
            break
    ordered = [progress[k.name] for k in erasable]
    update: dict[str, Any] = {
        "progress": ordered,
        "erased": {p.kind: p.erased for p in ordered if p.erased},
    }
    if not all(p.finished for p in ordered):
        left = sum(p.left or 0 for p in ordered if not p.finished)
        update["outcome"] = f"erasing: {sum(p.erased for p in ordered)} item(s) done, at least {left} left"
        return request.model_copy(update=update), False
    update |= {
        "status": DataRequestStatus.COMPLETED,
        "completed_at": clock.now(),
        "retained": _retained(request, kinds, policy),
        "outcome": "personal data erased except what is listed as retained",
    }
    return request.model_copy(update=update), True


def _kept_by_hold(
    request: DataRequest,
    *,
    kinds: Sequence[PersonalDataKind],
    privacy: PrivacyStore,
    clock: Clock,
    holds: Sequence[LegalHold],
) -> DataRequest:
    """A legal hold wins over the erasure: nothing is erased; each kind holding something of the requester is
    listed as kept with the (oldest) hold, and the audit log records the holds and the kinds kept."""
    reason = legal_holds.reason(list(holds))
    kept = [
        KeptData(kind=k.name, reason=reason)
        for k in kinds
        if k.of_user(account_id=request.account_id, user_id=request.user_id, continuation=None, limit=1).items
    ]
    audit(
        privacy,
        clock,
        account_id=request.account_id,
        actor="data-requests",
        subject_user_id=request.user_id,
        action="data-request.erasure.kept",
        outcome="held",
        target=request.request_id,
        details={"holds": [h.hold_id for h in holds], "kept": {k.kind: k.reason for k in kept}},
    )
    return request.model_copy(
        update={
            "status": DataRequestStatus.COMPLETED,
            "completed_at": clock.now(),
            "kept": kept,
            "progress": [],
            "outcome": "nothing erased: a legal hold keeps your data (listed as kept) until it is lifted",
        }
    )


def _retained(request: DataRequest, kinds: Sequence[PersonalDataKind], policy: RetentionPolicy) -> list[KeptCategory]:
    legal = {k.category: k for k in policy.kept_after_closure()}
    retained: dict[str, KeptCategory] = {}
    for kind in kinds:
        if _erasable(kind, legal) or not _holds_something_of(kind, request):
            continue
        category = kind.kept_for or (kind.name if kind.name in legal else None)
        if category is None:
            retained[kind.name] = KeptCategory(category=kind.name, reason=kind.kept_reason, days=0)
        else:
            retained[category] = legal.get(category) or KeptCategory(
                category=category, reason=kind.kept_reason or "Kept by law.", days=0
            )
    # This request itself is kept (the proof that it was answered), so that category is always true.
    retained["privacy-requests-and-audit"] = KeptCategory(
        category="privacy-requests-and-audit",
        days=policy.audit_days,
        reason="Proof that your requests were answered: type, dates and outcome; nothing else about you.",
    )
    return list(retained.values())


def _next_step(request: DataRequest, *, privacy: PrivacyStore, enqueue: Callable[[str], None] | None) -> DataRequest:
    """Save the progress first, then queue the next step: a crash in between is mended by the redelivered message
    (see `_stale_step`)."""
    if enqueue is None:
        raise RuntimeError("the erasure needs another step and no queue was given")
    request = request.model_copy(update={"step": request.step + 1})
    privacy.put_request(request)
    enqueue(_step_message(request))
    log.info("erasure %s: step %d queued", request.request_id, request.step)
    return request


def _step_message(request: DataRequest) -> str:
    return DataRequestMessage(
        account_id=request.account_id, request_id=request.request_id, step=request.step
    ).model_dump_json(by_alias=True)


def _stale_step(
    message: DataRequestMessage, request: DataRequest, *, attempt: int, enqueue: Callable[[str], None] | None
) -> None:
    if message.step == request.step - 1 and attempt > 1 and enqueue is not None:
        log.info("erasure %s: step %d queued again after a redelivery", request.request_id, request.step)
        enqueue(_step_message(request))
        return
    log.info("erasure %s: message of step %d is stale (now at %d)", request.request_id, message.step, request.step)


def _mark_erased(accounts: AccountStore, request: DataRequest, now: datetime) -> None:
    """Before anything is deleted: from here on the pings writer refuses the member's pings taken until `now`."""
    member = accounts.get_member(request.account_id, request.user_id)
    if member is not None and (member.erased_at is None or member.erased_at < now):
        accounts.put_member(member.model_copy(update={"erased_at": now}))


def _holds_something_of(kind: PersonalDataKind, request: DataRequest) -> bool:
    """Whether a kept kind still holds an item of the requester: their own items, or for the Account Owner the
    account's records (the billing record and closure record are the owner's)."""
    if kind.of_user(account_id=request.account_id, user_id=request.user_id, continuation=None, limit=1).items:
        return True
    return request.requester_role == "owner" and kind.count(account_id=request.account_id) > 0


class OutboxMailer:
    """The privacy area's e-mails (closure confirmation, export ready, erasure done) through the outbox's
    idempotent enqueue (core.services.outbox.enqueue_email): one e-mail per `key`, category `account`."""

    def __init__(self, *, outbox: Any, clock: Clock) -> None:
        self._outbox = outbox
        self._clock = clock

    def send(self, *, key: str, account_id: str, user_id: str, to: str, template: str, data: dict[str, str]) -> None:
        from core.domain.email import EmailCategory
        from core.services.outbox import enqueue_email

        enqueue_email(
            outbox=self._outbox,
            category=EmailCategory.ACCOUNT,
            template=template,
            context=data,
            dedupe_key=key,
            clock=self._clock,
            to_user_id=user_id,
            to_address=to,
        )


def handle_message(
    *,
    message: DataRequestMessage,
    attempt: int,
    max_attempts: int,
    personal_data_kinds: Sequence[PersonalDataKind],
    accounts: AccountStore,
    privacy: PrivacyStore,
    export_sink: ExportSink,
    clock: Clock,
    retention_policy: RetentionPolicy,
    export_link_ttl: timedelta,
    privacy_subscriptions: SubscriptionCanceller | None,
    privacy_mailer: PrivacyMailer | None,
    privacy_mail_to: Callable[[str, str], str | None],
    deletion_residue: DeletionResidue,
    enqueue_data_request: Callable[[str], None],
) -> None:
    """Queue work of the data-requests queue: a closure follow-up or a data-subject request. A failure is recorded
    on the last attempt and re-raised, so the host retries and then poisons the message."""
    from core.services import closure

    if message.request_id == closure.CLOSURE_FOLLOW_UP:
        closure.finish_closure(
            account_id=message.account_id,
            accounts=accounts,
            privacy=privacy,
            clock=clock,
            subscriptions=privacy_subscriptions,
            mailer=privacy_mailer,
        )
        return
    try:
        process_request(
            message=message,
            kinds=personal_data_kinds,
            privacy=privacy,
            sink=export_sink,
            clock=clock,
            policy=retention_policy,
            link_ttl=export_link_ttl,
            mailer=privacy_mailer,
            mail_to=privacy_mail_to,
            accounts=accounts,
            residue=deletion_residue,
            enqueue=enqueue_data_request,
            attempt=attempt,
        )
    except Exception:
        record_failure(message=message, attempt=attempt, max_attempts=max_attempts, privacy=privacy, clock=clock)
        raise
