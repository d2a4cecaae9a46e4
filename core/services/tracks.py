"""Location tracking, read side: a worker's track (owner or the worker), the latest positions (owner).

Every read by someone else than the worker appends to the access log before the data is answered.
"""

from __future__ import annotations

import contextvars
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

from core.domain.accounts import MemberStatus
from core.domain.errors import FieldError, NotFound, ValidationFailed
from core.domain.identity import Principal
from core.domain.member_rows import next_sharing_change, sharing_public
from core.domain.private_zones import PrivateGap, private_gaps
from core.domain.tracking import (
    MAX_TRACK_DAYS,
    AccessedData,
    LatestPositionList,
    LiveMapAnswer,
    MemberPositionPublic,
    Ping,
    PositionPublic,
    Track,
    TrackDocument,
    TrackQuery,
    live_map_etag,
    live_map_tag,
    unchanged_etag,
)
from core.domain.tracking_formats import GEOJSON_MEDIA_TYPE, GPX_MEDIA_TYPE, to_geojson, to_gpx
from core.domain.tracking_geo import detect_stops, simplify
from core.ports import (
    AccessLog,
    AccountStore,
    Clock,
    CoarseHistoryStore,
    LatestPositionStore,
    LiveMapVersions,
    MemberRowSource,
    PingStore,
    WithheldPingStore,
)
from core.services.access_log import new_entry, record_read
from core.services.ingest_gate import IngestGateKeeper
from core.services.member_rows import gate_facts
from core.services.paging import PageTokens, invalid_token

DEFAULT_RANGE = timedelta(hours=24)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(errors=[FieldError(field, message)])


def _range(query: TrackQuery, now: datetime) -> tuple[datetime, datetime]:
    end = query.to or now
    start = query.from_ or end - DEFAULT_RANGE
    if start >= end:
        raise _invalid("query.from", "must be before `to`")
    if end - start > timedelta(days=MAX_TRACK_DAYS):
        raise _invalid("query.to", f"the range may span at most {MAX_TRACK_DAYS} days")
    return start, end


def _days(start: datetime, end: datetime) -> list[date]:
    first, last = start.date(), (end - timedelta(milliseconds=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _open_token(
    pages: PageTokens, scope: tuple[object, ...], token: str, days: list[date]
) -> tuple[int, str | None, datetime | None]:
    """The day, the store's cursor and where the previous page ended, from a token sealed for this track and range
    (core/services/paging.py)."""
    payload = pages.open_payload(scope, token)
    try:
        day = date.fromisoformat(payload["d"])
        continuation = payload["c"]
        after = datetime.fromisoformat(payload["t"]) if payload.get("t") else None
        valid = day in days and (continuation is None or isinstance(continuation, str))
    except (ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        raise invalid_token()
    return days.index(day), continuation, after


def _read_points(
    *,
    pings: PingStore,
    account_id: str,
    user_id: str,
    start: datetime,
    end: datetime,
    query: TrackQuery,
    pages: PageTokens,
) -> tuple[list[Ping], str | None, tuple[datetime, datetime]]:
    """Up to `limit` points in time order, walking the day partitions of the range; the token resumes after. The
    span is the part of the range this page covers (for the private gaps): pages cover the range without overlap."""
    days = _days(start, end)
    scope = ("track", account_id, user_id, start.isoformat(), end.isoformat())
    index, continuation, after = (
        (0, None, None) if query.continuation is None else _open_token(pages, scope, query.continuation, days)
    )
    points: list[Ping] = []
    while index < len(days):
        page = pings.read_day(
            account_id=account_id,
            user_id=user_id,
            day=days[index],
            start=start,
            end=end,
            continuation=continuation,
            limit=query.limit - len(points),
        )
        points.extend(page.pings)
        if page.continuation:
            continuation = page.continuation
        else:
            index, continuation = index + 1, None
        if len(points) >= query.limit:
            break
    more = index < len(days)
    span_start = after or start
    if not more:
        return points, None, (span_start, end)
    span_end = points[-1].t + timedelta(milliseconds=1) if points else span_start
    token = pages.seal_payload(scope, {"d": days[index].isoformat(), "c": continuation, "t": span_end.isoformat()})
    return points, token, (span_start, span_end)


def _gaps(
    withheld: WithheldPingStore,
    account_id: str,
    user_id: str,
    span: tuple[datetime, datetime],
    points: list[Ping],
) -> list[PrivateGap]:
    times = withheld.times_between(account_id=account_id, user_id=user_id, start=span[0], end=span[1])
    return private_gaps(times, [p.t for p in points])


def _coarse_days(
    coarse: CoarseHistoryStore, account_id: str, user_id: str, start: datetime, end: datetime
) -> list[date]:
    """The range's UTC days that hold only coarse points (docs/coarsened-history.md): one query."""
    days = _days(start, end)
    return coarse.coarse_days(account_id=account_id, user_id=user_id, first=days[0], last=days[-1])


def _document(
    query: TrackQuery,
    user_id: str,
    start: datetime,
    end: datetime,
    points: list[Ping],
    token: str | None,
    gaps: list[PrivateGap],
    coarse_days: list[date],
) -> TrackDocument:
    stops = detect_stops(points, radius_m=query.stop_radius, min_minutes=query.stop_minutes) if query.stops else None
    shown = simplify(points, query.simplify) if query.simplify else points
    track = Track(
        user_id=user_id,
        range_from=start,
        range_to=end,
        points=shown,
        raw_count=len(points),
        simplified=query.simplify or None,
        stops=stops,
        continuation=token,
        private_gaps=gaps,
        coarse_days=coarse_days,
    )
    if query.format == "gpx":
        return TrackDocument(media_type=GPX_MEDIA_TYPE, body=to_gpx(track), continuation=token, points=len(shown))
    body = json.dumps(to_geojson(track), separators=(",", ":"))
    return TrackDocument(media_type=GEOJSON_MEDIA_TYPE, body=body, continuation=token, points=len(shown))


def read_member_track(
    *,
    principal: Principal,
    account_id: str,
    user_id: str,
    query: TrackQuery,
    accounts: AccountStore,
    pings: PingStore,
    access_log: AccessLog,
    clock: Clock,
    page_tokens: PageTokens,
    withheld_pings: WithheldPingStore,
    coarse_history: CoarseHistoryStore,
) -> TrackDocument:
    """The owner reads a member's track (or a worker their own through this path); a member reading someone
    else's, or any id of another account, answers 404. The owner's read is logged before it is answered."""
    principal.require_self_or_owner(account_id, user_id)
    if accounts.get_member(account_id, user_id) is None:
        raise NotFound()
    now = clock.now()
    start, end = _range(query, now)
    points, token, span = _read_points(
        pings=pings, account_id=account_id, user_id=user_id, start=start, end=end, query=query, pages=page_tokens
    )
    gaps = _gaps(withheld_pings, account_id, user_id, span, points)
    record_read(
        log=access_log,
        entry=new_entry(
            principal=principal,
            subject_user_ids=[user_id],
            data=AccessedData.LOCATION_TRACK,
            at=now,
            range_from=start,
            range_to=end,
        ),
    )
    return _document(
        query, user_id, start, end, points, token, gaps, _coarse_days(coarse_history, account_id, user_id, start, end)
    )


def read_my_track(
    *,
    principal: Principal,
    query: TrackQuery,
    pings: PingStore,
    clock: Clock,
    page_tokens: PageTokens,
    withheld_pings: WithheldPingStore,
    coarse_history: CoarseHistoryStore,
) -> TrackDocument:
    start, end = _range(query, clock.now())
    points, token, span = _read_points(
        pings=pings,
        account_id=principal.account_id,
        user_id=principal.user_id,
        start=start,
        end=end,
        query=query,
        pages=page_tokens,
    )
    gaps = _gaps(withheld_pings, principal.account_id, principal.user_id, span, points)
    return _document(
        query,
        principal.user_id,
        start,
        end,
        points,
        token,
        gaps,
        _coarse_days(coarse_history, principal.account_id, principal.user_id, start, end),
    )


def latest_positions(
    *,
    principal: Principal,
    account_id: str,
    if_none_match: str | None,
    accounts: AccountStore,
    latest_positions: LatestPositionStore,
    live_map_versions: LiveMapVersions,
    member_rows: MemberRowSource,
    ingest_gate: IngestGateKeeper,
    access_log: AccessLog,
    clock: Clock,
) -> LiveMapAnswer:
    """Every active member with their latest position and its age, for the owner's live map.

    First ONE point read: the account's live-map version (core/adapters/cosmos_live_map.py). When the caller's
    If-None-Match names that version (and the caller), nothing moved: the answer is its ETag alone, with no other
    read and no write (a 304; that read was logged when it was answered). Otherwise one query of the members and one
    of the positions (one document per member: the cost does not depend on how much history is stored), and the
    read is logged before it is answered. The version is read BEFORE the data, and every writer bumps it AFTER its
    write, so an answer is never kept under a version newer than its data.

    Each member's sharing state (the members page's rule) needs one more query, of their ingest gates. A state may
    also change with nothing written (a tracking window opens or closes, a fix grows old): the ETag lapses at the
    earliest such moment of the members shown, as it lapses when a shown position expires."""
    principal.require_owner_of(account_id)
    version = live_map_versions.current(account_id)
    now = clock.now()
    tag = live_map_tag(account_id=account_id, viewer_user_id=principal.user_id, version=version)
    still = unchanged_etag(if_none_match, tag=tag, now=now)
    if still is not None:
        return LiveMapAnswer(etag=still)
    # Independent reads overlap, each in the invocation's context (its requests counted and traced with it): the
    # positions query (its own container) beside the members query; then the members' gates query beside the
    # access-log write of the workers shown, which is stored before anything is answered.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-map") as pool:
        positions = pool.submit(contextvars.copy_context().run, latest_positions.list_for_account, account_id)
        members = sorted(
            (m for m in accounts.list_members(account_id) if m.status is MemberStatus.ACTIVE),
            key=lambda m: (m.full_name.lower(), m.user_id),
        )
        ids = [m.user_id for m in members]
        latest = {p.user_id: p for p in positions.result()}
        gates = pool.submit(
            contextvars.copy_context().run,
            gate_facts,
            account_id,
            ids,
            member_rows=member_rows,
            ingest_gate=ingest_gate,
        )
        shown = [u for u in ids if u in latest]
        if shown:
            record_read(
                log=access_log,
                entry=new_entry(
                    principal=principal, subject_user_ids=shown, data=AccessedData.LATEST_POSITIONS, at=now
                ),
            )
        facts = gates.result()
    items: list[MemberPositionPublic] = []
    expiries: list[datetime] = []
    for m in members:
        p = latest.get(m.user_id)
        if p is not None and p.expires_at is not None:
            expiries.append(p.expires_at)
        f, last_fix = facts[m.user_id], p.t if p is not None else None
        change = next_sharing_change(
            location_consents=f.location_consents, schedule_versions=f.schedule_versions, last_fix=last_fix, now=now
        )
        if change is not None:
            expiries.append(change)
        position = (
            None
            if p is None
            else PositionPublic(
                timestamp=p.t,
                latitude=p.lat,
                longitude=p.lon,
                horizontal_accuracy=p.acc,
                source=p.src,
                age_seconds=max(0, int((now - p.t).total_seconds())),
                in_private_zone=p.in_private_zone,
            )
        )
        items.append(
            MemberPositionPublic(
                user_id=m.user_id,
                full_name=m.full_name,
                position=position,
                sharing=sharing_public(f, last_fix=last_fix, now=now),
            )
        )
    return LiveMapAnswer(
        etag=live_map_etag(tag, min(expiries) if expiries else None),
        positions=LatestPositionList(items=items, as_of=now),
    )
