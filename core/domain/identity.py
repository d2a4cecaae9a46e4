"""Who is calling: the verified token identity and the resolved principal."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.domain.errors import Forbidden, NotFound


class Role(StrEnum):
    OWNER = "owner"
    MEMBER = "member"


@dataclass(frozen=True)
class Identity:
    """A verified bearer token: subject, e-mail and platform roles. No account yet."""

    user_id: str
    email: str | None
    is_platform_admin: bool = False


@dataclass(frozen=True)
class Principal:
    """An identity resolved to its account and role."""

    user_id: str
    email: str | None
    account_id: str
    role: Role
    is_platform_admin: bool = False

    @property
    def is_owner(self) -> bool:
        return self.role is Role.OWNER

    def require_account(self, account_id: str) -> None:
        """Any resource of another account answers exactly like one that does not exist."""
        if account_id != self.account_id:
            raise NotFound()

    def require_owner_of(self, account_id: str) -> None:
        self.require_account(account_id)
        if not self.is_owner:
            raise Forbidden("Only the Account Owner can do this.")

    def require_self_or_owner(self, account_id: str, user_id: str) -> None:
        self.require_account(account_id)
        if not self.is_owner and user_id != self.user_id:
            raise NotFound()


@dataclass(frozen=True)
class FormerMember:
    """A user whose access to their account ended (removed, left, or the account was closed) while their sign-in
    record is still kept. Not a Principal, so no use case of the account accepts one: only the few that serve a
    person's own rights after leaving (functions/_http.py `Auth.FORMER_OR_PRINCIPAL`) take it."""

    user_id: str
    email: str | None
    account_id: str
    role: Role  # the role they had
    ended: str  # why access ended: the sign-in record's status ("removed" or "closed")


Subject = Principal | FormerMember  # the person a request about their own data is from
