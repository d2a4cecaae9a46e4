"""Address verification: a signed, expiring, single-use link sent at registration and on every address change.

Until the current address is verified it receives only transactional e-mail (see core.domain.email.recipient_of);
legal notices go to the last verified address.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.domain.email import EmailCategory, EmailStatus, VerificationPending, VerificationResult
from core.domain.errors import Gone, NotFound
from core.domain.identity import Principal
from core.ports import AccountStore, Clock, EmailProfiles, Outbox
from core.services.outbox import Links, enqueue_email
from core.signing import LinkSigner

log = logging.getLogger(__name__)

VERIFY_PURPOSE = "email-verification"
VIA_LINK = "link"
VIA_INVITATION = "invitation"
USED_OR_REPLACED = "This link has already been used or a newer one was sent."


@dataclass(frozen=True)
class EmailVerification:
    """What starting a verification needs; built once by the container and handed to account services."""

    profiles: EmailProfiles
    outbox: Outbox
    signer: LinkSigner
    links: Links
    ttl: timedelta

    def start(
        self, *, user_id: str, account_id: str, address: str, name: str, clock: Clock, renew: bool = False
    ) -> EmailStatus:
        return start_verification(
            user_id=user_id,
            account_id=account_id,
            address=address,
            name=name,
            profiles=self.profiles,
            outbox=self.outbox,
            signer=self.signer,
            links=self.links,
            clock=clock,
            ttl=self.ttl,
            renew=renew,
        )

    def change(
        self,
        *,
        user_id: str,
        account_id: str,
        current_address: str,
        new_address: str,
        name: str,
        clock: Clock,
        renew: bool = False,
    ) -> EmailStatus:
        return request_address_change(
            user_id=user_id,
            account_id=account_id,
            current_address=current_address,
            new_address=new_address,
            name=name,
            profiles=self.profiles,
            outbox=self.outbox,
            signer=self.signer,
            links=self.links,
            clock=clock,
            ttl=self.ttl,
            renew=renew,
        )

    def cancel_change(self, *, user_id: str, clock: Clock) -> None:
        cancel_address_change(user_id=user_id, profiles=self.profiles, clock=clock)


def _link_pending(existing: EmailStatus | None, address: str, now: datetime) -> bool:
    """Whether a link for `address` is on its way and still valid (a retry then sends nothing new)."""
    return (
        existing is not None
        and existing.pending_nonce is not None
        and existing.pending_expires_at is not None
        and existing.pending_expires_at > now
        and (existing.pending_address or existing.address).lower() == address.lower()
    )


def _send_link(
    *,
    status: EmailStatus,
    address: str,
    name: str,
    outbox: Outbox,
    signer: LinkSigner,
    links: Links,
    clock: Clock,
    ttl: timedelta,
) -> None:
    assert status.pending_nonce is not None and status.pending_expires_at is not None
    token = signer.sign(
        VERIFY_PURPOSE,
        {"u": status.user_id, "e": address.lower(), "n": status.pending_nonce},
        expires_at=status.pending_expires_at,
    )
    enqueue_email(
        outbox=outbox,
        category=EmailCategory.ACCOUNT,
        template="email-verification",
        to_user_id=status.user_id,
        to_address=address,
        context={
            "name": name,
            "address": address,
            "verify_url": links.verification(token),
            "ttl_hours": int(ttl.total_seconds() // 3600),
        },
        dedupe_key=f"verify-{status.user_id}-{status.pending_nonce}",
        clock=clock,
    )


def start_verification(
    *,
    user_id: str,
    account_id: str,
    address: str,
    name: str,
    profiles: EmailProfiles,
    outbox: Outbox,
    signer: LinkSigner,
    links: Links,
    clock: Clock,
    ttl: timedelta,
    renew: bool = False,
) -> EmailStatus:
    """Make `address` the user's current (unverified) address and send it a verification link (registration, and
    "send it again" for the address in use; a change of address goes through `request_address_change`).

    Idempotent: a retry while the same link is still pending sends nothing new. A verified address that does not
    change needs no new link. An older pending link stops working (its nonce is replaced); `renew` asks for a
    new link even while one is pending (the user's "send it again").
    """
    now = clock.now()
    existing = profiles.get_status(user_id)
    same = existing is not None and existing.address.lower() == address.lower()
    if existing is not None and same and existing.verified:
        return existing
    if (
        not renew
        and same
        and existing is not None
        and existing.pending_address is None
        and _link_pending(existing, address, now)
    ):
        status = existing  # a retry: the link already on its way stays the valid one
    else:
        status = EmailStatus(
            user_id=user_id,
            account_id=account_id,
            address=address,
            verified=False,
            verified_address=existing.verified_address if existing else None,
            verified_at=existing.verified_at if existing else None,
            verified_via=existing.verified_via if existing else None,
            pending_nonce=secrets.token_urlsafe(16),
            pending_expires_at=now + ttl,
            created_at=existing.created_at if existing else now,
            updated_at=now,
        )
        profiles.put_status(status)
    _send_link(
        status=status, address=address, name=name, outbox=outbox, signer=signer, links=links, clock=clock, ttl=ttl
    )
    return status


def request_address_change(
    *,
    user_id: str,
    account_id: str,
    current_address: str,
    new_address: str,
    name: str,
    profiles: EmailProfiles,
    outbox: Outbox,
    signer: LinkSigner,
    links: Links,
    clock: Clock,
    ttl: timedelta,
    renew: bool = False,
) -> EmailStatus:
    """Keep `new_address` aside as the pending address and send it a link. The address in use (the member profile,
    the status' `address`, where account e-mail goes) does not change until that link is used (`verify_email`).

    A retry for the same new address while its link is valid sends nothing new; another new address, or `renew`,
    replaces the pending link (the older one stops working).
    """
    now = clock.now()
    existing = profiles.get_status(user_id)
    if (
        not renew
        and existing is not None
        and existing.pending_address is not None
        and _link_pending(existing, new_address, now)
    ):
        status = existing
    else:
        base = existing or EmailStatus(
            user_id=user_id, account_id=account_id, address=current_address, created_at=now, updated_at=now
        )
        status = base.model_copy(
            update={
                "pending_address": new_address,
                "pending_nonce": secrets.token_urlsafe(16),
                "pending_expires_at": now + ttl,
                "updated_at": now,
            }
        )
        profiles.put_status(status)
    _send_link(
        status=status, address=new_address, name=name, outbox=outbox, signer=signer, links=links, clock=clock, ttl=ttl
    )
    return status


def cancel_address_change(*, user_id: str, profiles: EmailProfiles, clock: Clock) -> None:
    """The user went back to the address in use: the pending change and its link are dropped."""
    existing = profiles.get_status(user_id)
    if existing is None or existing.pending_address is None:
        return
    profiles.put_status(
        existing.model_copy(
            update={
                "pending_address": None,
                "pending_nonce": None,
                "pending_expires_at": None,
                "updated_at": clock.now(),
            }
        )
    )


def _apply_to_member(*, status: EmailStatus, address: str, accounts: AccountStore, now: datetime) -> bool:
    """The member profile takes the verified address (a change becomes real only here). True when it changed."""
    member = accounts.get_member(status.account_id, status.user_id)
    if member is None or member.email.lower() == address.lower():
        return False
    accounts.put_member(member.model_copy(update={"email": address, "updated_at": now}))
    return True


def verify_email(
    *,
    token: str,
    email_profiles: EmailProfiles,
    accounts: AccountStore,
    outbox: Outbox,
    signer: LinkSigner,
    clock: Clock,
) -> VerificationResult:
    """The link's target (no login): mark the address verified; for a pending change, the new address replaces the
    one in use (member profile included) and the replaced verified address is told. A reused, replaced, tampered
    or expired link is refused with 410 Gone and changes nothing."""
    now = clock.now()
    payload = signer.verify(VERIFY_PURPOSE, token, now=now)
    user_id, address, nonce = str(payload.get("u", "")), str(payload.get("e", "")), str(payload.get("n", ""))
    status = email_profiles.get_status(user_id) if user_id else None
    if status is None or not nonce or status.pending_nonce != nonce:
        if (
            status is not None
            and status.verified
            and status.address.lower() == address
            and nonce
            and _apply_to_member(status=status, address=status.address, accounts=accounts, now=now)
        ):
            # The link was used, but the profile write after it failed: this retry completes the change.
            log.info("e-mail address change of user %s completed on a retried link", user_id)
            return VerificationResult(status="verified", email=status.address)
        raise Gone(USED_OR_REPLACED)
    target = status.pending_address or status.address
    if target.lower() != address:
        raise Gone(USED_OR_REPLACED)
    if status.pending_expires_at is None or status.pending_expires_at < now:
        raise Gone("This link has expired.")
    verified = status.model_copy(
        update={
            "address": target,
            "verified": True,
            "verified_address": target,
            "verified_at": now,
            "verified_via": VIA_LINK,
            "pending_address": None,
            "pending_nonce": None,
            "pending_expires_at": None,
            "updated_at": now,
        }
    )
    if not email_profiles.replace_status_if_unchanged(verified, expected=status):
        raise Gone(USED_OR_REPLACED)  # a second click raced this one and won
    if status.pending_address is not None:
        member = accounts.get_member(status.account_id, status.user_id)
        if status.verified and status.address.lower() != target.lower():
            # Tell the address being replaced, in case the change was not the user's own doing.
            enqueue_email(
                outbox=outbox,
                category=EmailCategory.ACCOUNT,
                template="email-changed",
                to_address=status.address,
                context={"name": member.full_name if member else "", "new_address": target},
                dedupe_key=f"email-changed-{user_id}-{nonce}",
                clock=clock,
            )
        _apply_to_member(status=verified, address=target, accounts=accounts, now=now)
        log.info("e-mail address change of user %s verified and applied", user_id)
    else:
        log.info("e-mail address verified for user %s", user_id)
    return VerificationResult(status="verified", email=target)


def record_verified_by_invitation(
    *, user_id: str, account_id: str, address: str, profiles: EmailProfiles, clock: Clock
) -> EmailStatus:
    """A member joined through the e-mailed invitation, signed in with that address: the address is proven as a
    verification link would prove it. Recorded like a verification (source `invitation`), so the member gets what
    verified addresses get, legal notices included. An address already verified is left as it is."""
    now = clock.now()
    existing = profiles.get_status(user_id)
    if existing is not None and existing.verified and existing.address.lower() == address.lower():
        return existing
    status = EmailStatus(
        user_id=user_id,
        account_id=account_id,
        address=address,
        verified=True,
        verified_address=address,
        verified_at=now,
        verified_via=VIA_INVITATION,
        created_at=existing.created_at if existing else now,
        updated_at=now,
    )
    profiles.put_status(status)
    log.info("e-mail address of user %s verified by the accepted invitation", user_id)
    return status


def resend_verification(
    *, principal: Principal, accounts: AccountStore, email_verification: EmailVerification, clock: Clock
) -> VerificationPending:
    """Send a new link: to the pending new address when a change waits for one, else to the address in use (a
    member who joined by invitation starts here)."""
    member = accounts.get_member(principal.account_id, principal.user_id)
    if member is None:
        raise NotFound()
    current = email_verification.profiles.get_status(principal.user_id)
    if current is not None and current.pending_address is not None:
        status = email_verification.change(
            user_id=principal.user_id,
            account_id=principal.account_id,
            current_address=member.email,
            new_address=current.pending_address,
            name=member.full_name,
            clock=clock,
            renew=True,
        )
        return VerificationPending(email=current.pending_address, expires_at=status.pending_expires_at)
    status = email_verification.start(
        user_id=principal.user_id,
        account_id=principal.account_id,
        address=member.email,
        name=member.full_name,
        clock=clock,
        renew=True,
    )
    return VerificationPending(email=status.address, expires_at=status.pending_expires_at)
