"""Domain errors. Each maps to one problem type in the HTTP layer; messages never name another account's data."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    """Base class: `code` is the stable problem type, `status` the HTTP status it maps to."""

    code = "error"
    status = 400
    title = "Request failed"

    def __init__(self, detail: str | None = None, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or []


class ValidationFailed(DomainError):
    code = "validation-failed"
    status = 422
    title = "The request has invalid fields"


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401
    title = "A valid bearer token is required"


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    title = "This action is not allowed"


class NotRegistered(DomainError):
    code = "not-registered"
    status = 403
    title = "This identity has no account; register or accept an invitation first"


class AccessEnded(DomainError):
    code = "access-ended"
    status = 403
    title = "Access to this account has ended"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            detail
            or "Nothing of the account can be reached any more. What is still kept about you, your export and "
            "erasure remain available: GET /api/me/held-data and /api/me/data-requests."
        )


class NotFound(DomainError):
    code = "not-found"
    status = 404
    title = "Not found"

    def __init__(self, detail: str | None = None) -> None:
        # One fixed text for every missing or foreign resource: the answer never tells them apart.
        super().__init__("The requested resource does not exist.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    title = "The request conflicts with the current state"


class Gone(DomainError):
    code = "gone"
    status = 410
    title = "This link is no longer valid"


class InvitationExpired(Gone):
    """A genuine invitation link past its expiry (the owner can send a new one)."""

    code = "invitation-expired"
    title = "This invitation has expired"


class InvitationRevoked(Gone):
    """A genuine invitation link the owner withdrew."""

    code = "invitation-revoked"
    title = "This invitation was withdrawn"


class InvitationUsed(Gone):
    """A genuine invitation link that was already accepted."""

    code = "invitation-used"
    title = "This invitation has already been used"


class PayloadTooLarge(DomainError):
    code = "payload-too-large"
    status = 413
    title = "The request body is too large"


class UnsupportedMediaType(DomainError):
    code = "unsupported-media-type"
    status = 415
    title = "The request body must be application/json"


class InvalidSignature(DomainError):
    """A signed callback (the Stripe webhook) whose signature, timestamp or body does not verify."""

    code = "invalid-signature"
    status = 400
    title = "The request signature is not valid"


class AccountSuspended(DomainError):
    """Billing suspended the account after the payment grace period: it is read-only, nothing is deleted."""

    code = "account-suspended"
    status = 403
    title = "This account is suspended for non-payment"


class DependencyUnavailable(DomainError):
    code = "dependency-unavailable"
    status = 503
    title = "A backing service is unavailable; retry later"


class TooManyRequests(DomainError):
    """An abuse limit (docs/abuse-limits.md): this caller or network made too many calls of one kind in the current
    window. `retry_after` is the whole seconds until the window ends (the `Retry-After` header)."""

    code = "too-many-requests"
    status = 429
    title = "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)


@dataclass
class ErrorList:
    items: list[FieldError] = field(default_factory=list)

    def add(self, field_name: str, message: str) -> None:
        self.items.append(FieldError(field_name, message))

    def raise_if_any(self, detail: str | None = None) -> None:
        if self.items:
            raise ValidationFailed(detail, errors=self.items)


class BillingNotConfigured(DomainError):
    """Billing is optional in a deployment: without the Stripe secret key (and, for webhooks, the webhook secret)
    the billing routes answer this instead of failing the whole app."""

    code = "billing-not-configured"
    status = 503
    title = "Billing is not configured in this deployment"
