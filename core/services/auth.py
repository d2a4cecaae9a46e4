"""From a bearer token to a principal: authentication here, authorization in each use case."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.accounts import MemberStatus
from core.domain.errors import AccessEnded, Forbidden, NotRegistered, Unauthenticated
from core.domain.identity import FormerMember, Identity, Principal, Subject
from core.ports import TokenVerifier, UserStore


def identify(*, authorization: str | None, token_verifier: TokenVerifier) -> Identity:
    if not authorization:
        raise Unauthenticated("Send Authorization: Bearer <token>.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Send Authorization: Bearer <token>.")
    return token_verifier.verify(token.strip())


def resolve_principal(*, identity: Identity, users: UserStore) -> Principal:
    record = users.get_user(identity.user_id)
    if record is None or record.registering:
        raise NotRegistered()
    if record.status is not MemberStatus.ACTIVE:
        raise AccessEnded()
    return Principal(
        user_id=identity.user_id,
        email=identity.email,
        account_id=record.account_id,
        role=record.role,
        is_platform_admin=identity.is_platform_admin,
    )


def resolve_subject(*, identity: Identity, users: UserStore) -> Subject:
    """The active user as a Principal, or a user whose access ended (removed, left, account closed) as a
    FormerMember, for the endpoints that serve a person's rights about their own data after leaving."""
    record = users.get_user(identity.user_id)
    if record is None or record.registering:
        raise NotRegistered()
    if record.status is MemberStatus.ACTIVE:
        return resolve_principal(identity=identity, users=users)
    return FormerMember(
        user_id=identity.user_id,
        email=identity.email,
        account_id=record.account_id,
        role=record.role,
        ended=record.status.value,
    )


def require_platform_admin(identity: Identity) -> None:
    if not identity.is_platform_admin:
        raise Forbidden("This operation is for platform administrators.")


@dataclass(frozen=True)
class RequestLimits:
    """What every HTTP request is held to before its body is read (functions/_http.py)."""

    max_body_bytes: int
