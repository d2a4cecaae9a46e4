"""The access log: who else read a worker's data (location here; photos and notes append through the same port)."""

from __future__ import annotations

import uuid
from datetime import datetime

from core.domain.identity import Principal
from core.domain.tracking import AccessedData, AccessLogEntry, AccessLogEntryPublic, AccessLogPage
from core.ports import AccessLog, AccountStore
from core.services.paging import PageTokens


def new_entry(
    *,
    principal: Principal,
    subject_user_ids: list[str],
    data: AccessedData,
    at: datetime,
    range_from: datetime | None = None,
    range_to: datetime | None = None,
    resource_id: str | None = None,
) -> AccessLogEntry | None:
    """The entry for a read by `principal`, or None when they read only their own data (not logged)."""
    others = sorted({u for u in subject_user_ids if u != principal.user_id})
    if not others:
        return None
    return AccessLogEntry(
        entry_id=f"{at.strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:12]}",
        account_id=principal.account_id,
        viewer_user_id=principal.user_id,
        viewer_role=principal.role.value,
        subject_user_ids=others,
        data=data,
        resource_id=resource_id,
        range_from=range_from,
        range_to=range_to,
        at=at,
    )


def record_read(*, log: AccessLog, entry: AccessLogEntry | None) -> None:
    if entry is not None:
        log.append(entry)


def read_my_access_log(
    *,
    principal: Principal,
    access_log: AccessLog,
    accounts: AccountStore,
    continuation: str | None,
    limit: int,
    page_tokens: PageTokens,
) -> AccessLogPage:
    """The caller's own entries only: who viewed their location, photos and notes, newest first."""
    scope = ("access-log", principal.account_id, principal.user_id)
    page = access_log.for_subject(
        account_id=principal.account_id,
        user_id=principal.user_id,
        continuation=page_tokens.open(scope, continuation),
        limit=limit,
    )
    names: dict[str, str | None] = {}
    for entry in page.entries:
        if entry.viewer_user_id not in names:
            viewer = accounts.get_member(principal.account_id, entry.viewer_user_id)
            names[entry.viewer_user_id] = viewer.full_name if viewer is not None else None
    return AccessLogPage(
        items=[
            AccessLogEntryPublic(
                viewer_user_id=e.viewer_user_id,
                viewer_name=names.get(e.viewer_user_id),
                viewer_role=e.viewer_role,
                data=e.data,
                resource_id=e.resource_id,
                range_from=e.range_from,
                range_to=e.range_to,
                at=e.at,
            )
            for e in page.entries
        ],
        continuation=page_tokens.seal(scope, page.continuation),
    )
