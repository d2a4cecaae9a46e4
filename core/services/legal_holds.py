"""Legal holds win over every removal a person or a rule asks for (issue 28): erasure, applying a private zone to
stored history, coarsening, the purge and closure's purge keep what an active hold covers, and say what they kept
and why as `legal-hold <hold id>` (the holds themselves are placed and lifted in core/services/retention.py)."""

from __future__ import annotations

from core.domain.privacy import KeptData, LegalHold
from core.ports import PrivacyStore


def covering_holds(privacy: PrivacyStore, account_id: str, user_id: str | None) -> list[LegalHold]:
    """The active holds that cover a member's data (account-wide holds, and holds on that member), oldest first;
    with `user_id` None, the account-wide holds only."""
    return sorted((h for h in privacy.list_holds(account_id) if h.covers(user_id)), key=lambda h: h.placed_at)


def reason(holds: list[LegalHold]) -> str:
    """The reason given for what was kept: the oldest hold that covers it."""
    return f"legal-hold {holds[0].hold_id}"


def kept(kinds: list[str], holds: list[LegalHold]) -> list[KeptData]:
    return [KeptData(kind=kind, reason=reason(holds)) for kind in kinds] if holds else []
