"""Registration, the account's settings and the caller's own personal information (functions/accounts.py)."""

from __future__ import annotations

from core.services import accounts
from core.services.wiring import UseCases, inject


class AccountUseCases(UseCases):
    register = inject(accounts.register_account)
    me = inject(accounts.get_me)
    update_me = inject(accounts.update_me)
    update_account = inject(accounts.update_account)
