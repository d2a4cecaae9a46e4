"""The owner's members page in one request (issue 30): a page of members, each with their last position (age and
place), sharing state and private-zone count; searched, sorted and paged by the server.

Cost per page, whatever the number of members: by name, one query on the account's member profiles (keyset by the
stored name key), one on their ingest gates (consent, windows and zones, copied there by the writes that change
them), one on their latest positions, one on the job-site cells of those positions, and one access-log entry; with `invitations`, one more on the pending
invitations (at most MAX_INVITATIONS). By
last seen, the positions come first (newest first, the store's own paging), then the profiles of those members;
members never seen follow, by name. Nothing reads the whole account. A member whose gate is missing or being
rewritten is read from the sources (consent ledger, schedule, zones): bounded by the page too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.domain.accounts import Member, MemberStatus
from core.domain.identity import Principal
from core.domain.ingest_gate import MemberGateFacts
from core.domain.job_sites import JobSite, geohash
from core.domain.member_rows import (
    MAX_INVITATIONS,
    PLACE_DECIMALS,
    LastSeenPublic,
    MemberOverview,
    MemberOverviewQuery,
    MemberRowPublic,
    PlacePublic,
    name_sort_key,
    search_key,
    sharing_public,
)
from core.domain.tracking import AccessedData, LatestPosition
from core.ports import AccessLog, Clock, JobSiteStore, MemberRowSource
from core.services.access_log import new_entry, record_read
from core.services.ingest_gate import IngestGateKeeper
from core.services.invitations import public_invitation
from core.services.paging import PageTokens, invalid_token

MAX_ROUNDS = 3  # store pages one request may read to fill a page sparse after filtering (by last seen)


def _matches(member: Member, prefix: str | None) -> bool:
    return member.status is MemberStatus.ACTIVE and (
        not prefix or search_key(member.full_name).startswith(prefix) or member.email.lower().startswith(prefix)
    )


def gate_facts(
    account_id: str, user_ids: list[str], *, member_rows: MemberRowSource, ingest_gate: IngestGateKeeper
) -> dict[str, MemberGateFacts]:
    """The members' consent, windows and zones: their gates in one query; a member whose gate is missing or being
    rewritten is read from the sources, and a missing one is rebuilt (the members page and the live map)."""
    gates = member_rows.member_gates(account_id, user_ids)
    return {u: ingest_gate.member_facts_read(account_id, u, gates.get(u)) for u in user_ids}


def _place(position: LatestPosition, sites: list[JobSite]) -> PlacePublic | None:
    if position.lat is None or position.lon is None:
        return None
    lat, lon = position.lat, position.lon
    inside = [(d, s) for d, s in ((s.geometry().signed_distance(lat, lon), s) for s in sites) if d <= 0]
    site = min(inside, key=lambda pair: pair[0])[1] if inside else None  # the deepest inside, if sites overlap
    return PlacePublic(
        site_id=site.site_id if site else None,
        site_name=site.name if site else None,
        latitude=round(lat, PLACE_DECIMALS),
        longitude=round(lon, PLACE_DECIMALS),
    )


def _sites_near(account_id: str, positions: list[LatestPosition], job_sites: JobSiteStore) -> dict[str, list[JobSite]]:
    """The sites whose cells hold each position's cell: one query for the page."""
    cells = {p.user_id: geohash(p.lat, p.lon) for p in positions if p.lat is not None and p.lon is not None}
    if not cells:
        return {}
    sites, in_cells = job_sites.sites_in_cells(account_id, sorted(set(cells.values())))
    by_id = {s.site_id: s for s in sites}
    return {
        user_id: [by_id[site_id] for site_id, site_cells in in_cells.items() if cell in site_cells and site_id in by_id]
        for user_id, cell in cells.items()
    }


def _row(
    member: Member,
    position: LatestPosition | None,
    facts: MemberGateFacts,
    sites: list[JobSite],
    now: datetime,
) -> MemberRowPublic:
    sharing = sharing_public(facts, last_fix=position.t if position else None, now=now)
    age = max(0, int((now - position.t).total_seconds())) if position else None
    return MemberRowPublic(
        user_id=member.user_id,
        full_name=member.full_name,
        email=member.email,
        role=member.role,
        status=member.status,
        joined_at=member.joined_at,
        last_seen=None
        if position is None or age is None
        else LastSeenPublic(
            timestamp=position.t,
            age_seconds=age,
            in_private_zone=position.in_private_zone,
            place=_place(position, sites),
        ),
        sharing=sharing,
        private_zones=len(facts.zones.active()),
    )


def _by_last_seen(
    account_id: str,
    prefix: str | None,
    limit: int,
    payload: dict[str, Any],
    member_rows: MemberRowSource,
) -> tuple[list[Member], dict[str, LatestPosition], dict[str, Any] | None]:
    """Stage `seen`: positions newest first, then their members; stage `never`: members by name without one."""
    stage = payload.get("s", "seen")
    cursor = payload.get("c")
    if stage not in ("seen", "never") or not (cursor is None or isinstance(cursor, str)):
        raise invalid_token()
    members: list[Member] = []
    positions: dict[str, LatestPosition] = {}
    for _ in range(MAX_ROUNDS):
        want = limit - len(members)
        if stage == "seen":
            page, cursor = member_rows.positions_by_time(account_id, cursor=cursor, limit=want)
            found = {m.user_id: m for m in member_rows.members_by_ids(account_id, [p.user_id for p in page])}
            for p in page:
                m = found.get(p.user_id)
                if m is not None and _matches(m, prefix):
                    members.append(m)
                    positions[m.user_id] = p
            if cursor is None:
                stage = "never"
        else:
            page_members = member_rows.members_by_name(account_id, prefix=prefix, after=cursor, limit=want)
            seen = member_rows.positions_of(account_id, [m.user_id for m in page_members])
            members.extend(m for m in page_members if m.user_id not in seen)
            if len(page_members) < want:
                return members, positions, None
            cursor = name_sort_key(page_members[-1].full_name, page_members[-1].user_id)
        if len(members) >= limit:
            break
    return members, positions, {"s": stage, "c": cursor}


def member_overview(
    *,
    principal: Principal,
    account_id: str,
    query: MemberOverviewQuery,
    member_rows: MemberRowSource,
    ingest_gate: IngestGateKeeper,
    job_sites: JobSiteStore,
    access_log: AccessLog,
    page_tokens: PageTokens,
    clock: Clock,
) -> MemberOverview:
    principal.require_owner_of(account_id)
    now = clock.now()
    prefix = search_key(query.q) if query.q else None
    scope = ("member-overview", account_id, query.sort, prefix)
    payload = page_tokens.open_payload(scope, query.continuation) if query.continuation else {}
    if query.continuation is None:
        member_rows.ensure_search_keys(account_id)  # one point read, once the account's profiles have their keys
    if query.sort == "name":
        after = payload.get("c")
        if not (after is None or isinstance(after, str)):
            raise invalid_token()
        found = member_rows.members_by_name(account_id, prefix=prefix, after=after, limit=query.limit + 1)
        members = found[: query.limit]
        next_payload = (
            {"c": name_sort_key(members[-1].full_name, members[-1].user_id)} if len(found) > query.limit else None
        )
        positions = member_rows.positions_of(account_id, [m.user_id for m in members])
    else:
        members, positions, next_payload = _by_last_seen(account_id, prefix, query.limit, payload, member_rows)
    ids = [m.user_id for m in members]
    facts = gate_facts(account_id, ids, member_rows=member_rows, ingest_gate=ingest_gate)
    sites = _sites_near(account_id, [positions[u] for u in ids if u in positions], job_sites)
    rows = [_row(m, positions.get(m.user_id), facts[m.user_id], sites.get(m.user_id, []), now) for m in members]
    shown = [r.user_id for r in rows if r.last_seen is not None]
    if shown:
        record_read(
            log=access_log,
            entry=new_entry(principal=principal, subject_user_ids=shown, data=AccessedData.LATEST_POSITIONS, at=now),
        )
    token = page_tokens.seal_payload(scope, next_payload) if next_payload is not None else None
    overview = MemberOverview(items=rows, continuation=token, as_of=now)
    if query.invitations and query.continuation is None:
        pending = member_rows.pending_invitations(account_id, limit=MAX_INVITATIONS + 1)
        overview.invitations = [public_invitation(i) for i in pending[:MAX_INVITATIONS] if i.expires_at > now]
        overview.invitations_complete = len(pending) <= MAX_INVITATIONS
    return overview
