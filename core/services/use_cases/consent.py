"""The worker's consents and the access log of reads of their data (functions/consent.py)."""

from __future__ import annotations

from core.services import access_log, consent
from core.services.wiring import UseCases, inject


class ConsentUseCases(UseCases):
    # Appends to the ledger with the policy version in force now (computed from the clock).
    set_consent = inject(consent.record_consent)
    consents = inject(consent.get_consents)
    my_access_log = inject(access_log.read_my_access_log)
