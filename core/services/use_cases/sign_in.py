"""Who is calling, for every HTTP trigger (functions/_http.py): a bearer token, the user's sign-in record, a device
token on the tracking apps' ingest endpoints, the limits every request body is held to, and the abuse limits
(429) of the endpoints that declare them."""

from __future__ import annotations

from core.services import auth, device_auth, rate_limits
from core.services.wiring import UseCases, built, inject


class SignInUseCases(UseCases):
    identify = inject(auth.identify)
    resolve_principal = inject(auth.resolve_principal)
    resolve_subject = inject(auth.resolve_subject)
    require_platform_admin = inject(auth.require_platform_admin)
    authenticate_device = inject(device_auth.authenticate)
    limits = built(auth.RequestLimits)
    enforce_limit = inject(rate_limits.enforce)  # abuse limits (docs/abuse-limits.md)
