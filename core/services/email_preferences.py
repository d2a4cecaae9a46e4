"""A user's e-mail preferences: optional categories can be turned off (in the app or by a one-click link);
`account` and `legal` e-mail is transactional and always sent."""

from __future__ import annotations

import logging

from core.domain.email import (
    OPT_IN,
    OWNER_ONLY,
    TRANSACTIONAL,
    CategoryPreference,
    EmailCategory,
    EmailPreferences,
    EmailPreferencesPublic,
    EmailPreferencesUpdate,
    UnsubscribeResult,
)
from core.domain.errors import ErrorList, Gone
from core.domain.identity import Principal
from core.ports import Clock, EmailProfiles, Outbox
from core.services.outbox import UNSUBSCRIBE_PURPOSE
from core.signing import LinkSigner

log = logging.getLogger(__name__)


def _public(prefs: EmailPreferences, profiles: EmailProfiles, principal: Principal) -> EmailPreferencesPublic:
    """Owner-only categories (job-site visits) are listed for Account Owners only."""
    status = profiles.get_status(principal.user_id)
    return EmailPreferencesPublic(
        email=status.address if status else None,
        verified=bool(status and status.verified),
        categories=[
            CategoryPreference(category=c, subscribed=prefs.allows(c), transactional=c in TRANSACTIONAL)
            for c in EmailCategory
            if principal.is_owner or c not in OWNER_ONLY
        ],
        updated_at=prefs.updated_at,
    )


def get_preferences(*, principal: Principal, email_profiles: EmailProfiles) -> EmailPreferencesPublic:
    prefs = email_profiles.get_preferences(principal.user_id) or EmailPreferences(user_id=principal.user_id)
    return _public(prefs, email_profiles, principal)


def update_preferences(
    *, principal: Principal, data: EmailPreferencesUpdate, email_profiles: EmailProfiles, clock: Clock
) -> EmailPreferencesPublic:
    """Apply the categories named in the body; the others keep their setting. Transactional ones cannot be off;
    opt-in ones (job-site visits) are off until turned on, and only an Account Owner may turn them on."""
    errors = ErrorList()
    for category, subscribed in data.categories.items():
        if category in TRANSACTIONAL and not subscribed:
            errors.add(f"categories.{category.value}", "transactional e-mail is always sent and cannot be turned off")
        if category in OWNER_ONLY and subscribed and not principal.is_owner:
            errors.add(f"categories.{category.value}", "only the Account Owner receives these e-mails")
    errors.raise_if_any()
    prefs = email_profiles.get_preferences(principal.user_id) or EmailPreferences(user_id=principal.user_id)
    opted_out, opted_in = set(prefs.opted_out), set(prefs.opted_in)
    for category, subscribed in data.categories.items():
        if category in TRANSACTIONAL:
            continue
        if category in OPT_IN:
            (opted_in.add if subscribed else opted_in.discard)(category)
        elif subscribed:
            opted_out.discard(category)
        else:
            opted_out.add(category)
    updated = EmailPreferences(
        user_id=principal.user_id, opted_out=sorted(opted_out), opted_in=sorted(opted_in), updated_at=clock.now()
    )
    email_profiles.put_preferences(updated)
    return _public(updated, email_profiles, principal)


def unsubscribe(
    *, token: str, outbox: Outbox, email_profiles: EmailProfiles, signer: LinkSigner, clock: Clock
) -> UnsubscribeResult:
    """One-click unsubscribe (no login): the signed link turns off the category of the e-mail it came in. Each link
    works once; a tampered, foreign or reused link is refused with 410 Gone."""
    now = clock.now()
    payload = signer.verify(UNSUBSCRIBE_PURPOSE, token, now=now)
    outbox_id, user_id, raw_category = str(payload.get("o", "")), str(payload.get("u", "")), payload.get("c")
    try:
        category = EmailCategory(str(raw_category))
    except ValueError as exc:
        raise Gone("This link is not valid.") from exc
    if not outbox_id or not user_id or category in TRANSACTIONAL:
        raise Gone("This link is not valid.")
    if not outbox.mark_link_used(outbox_id, "unsubscribe", now):
        raise Gone("This unsubscribe link has already been used.")
    prefs = email_profiles.get_preferences(user_id) or EmailPreferences(user_id=user_id)
    if category in OPT_IN and category in prefs.opted_in:
        email_profiles.put_preferences(
            prefs.model_copy(update={"opted_in": sorted(set(prefs.opted_in) - {category}), "updated_at": now})
        )
    elif category not in OPT_IN and category not in prefs.opted_out:
        email_profiles.put_preferences(
            prefs.model_copy(update={"opted_out": sorted({*prefs.opted_out, category}), "updated_at": now})
        )
    log.info("user %s unsubscribed from %s e-mail", user_id, category.value)
    return UnsubscribeResult(status="unsubscribed", category=category)
