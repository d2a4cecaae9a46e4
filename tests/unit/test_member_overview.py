"""The members page in one request (core/services/member_rows.py): search, sort, paging, sharing states, zone
counts, places, the access log, tenancy, and a cost that follows the page size, not the number of members."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.domain.accounts import InvitationCreate, Member
from core.domain.consent import Capability, ConsentEntry, ConsentUpdate
from core.domain.errors import Forbidden, NotFound, ValidationFailed
from core.domain.identity import Principal, Role
from core.domain.job_sites import JobSiteCreate
from core.domain.member_rows import MemberOverview, MemberOverviewQuery, next_sharing_change, sharing_state
from core.domain.private_zones import PrivateZoneIn
from core.domain.sharing import SharingState
from core.domain.tracking import (
    WEEKDAYS,
    LatestPosition,
    PingSource,
    ScheduleVersion,
    TrackingScheduleUpdate,
    TrackingWindow,
    next_window_change,
    windows_allow,
)
from core.services import consent
from core.services.use_cases.job_sites import JobSiteUseCases
from core.services.use_cases.members import MemberUseCases
from core.services.use_cases.private_zones import PrivateZoneUseCases
from core.services.use_cases.tracking import TrackingUseCases
from tests.unit.fakes import FakeAccountStore, FakeClock
from tests.unit.fakes_member_rows import FakeMemberRows
from tests.unit.fakes_tracking import FakeAccessLog, FakeLatestPositions
from tests.unit.roots import fake_root

A = "acct-1"
OWNER = Principal("owner", "owner@example.com", A, Role.OWNER)
NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.clock = FakeClock(NOW)
        self.accounts = FakeAccountStore()
        self.latest = FakeLatestPositions()
        self.access_log = FakeAccessLog()
        self.root = fake_root(
            clock=self.clock, accounts=self.accounts, latest_positions=self.latest, access_log=self.access_log
        )
        self.add("owner", "Olga Owner", role=Role.OWNER)
        self.grants = 0

    @property
    def rows(self) -> FakeMemberRows:
        source = self.root.port("member_rows")
        assert isinstance(source, FakeMemberRows)
        return source

    def add(self, user_id: str, name: str, *, role: Role = Role.MEMBER, email: str | None = None) -> None:
        self.accounts.put_member(
            Member(
                account_id=A,
                user_id=user_id,
                role=role,
                full_name=name,
                email=email or f"{user_id}@example.com",
                time_zone="America/Chicago",
                joined_at=NOW - timedelta(days=3),
                updated_at=NOW - timedelta(days=3),
            )
        )

    def fix(self, user_id: str, ago: timedelta, lat: float | None = 44.98, lon: float | None = -93.27) -> None:
        self.latest.advance(
            LatestPosition(
                account_id=A,
                user_id=user_id,
                ping_id=f"p-{user_id}-{ago.total_seconds()}",
                t=NOW - ago,
                lat=lat,
                lon=lon,
                acc=None if lat is None else 8.0,
                src=None if lat is None else PingSource.GPS,
                updated_at=NOW,
            )
        )

    def member(self, user_id: str) -> Principal:
        return Principal(user_id, f"{user_id}@example.com", A, Role.MEMBER)

    def grant(self, user_id: str, granted: bool = True) -> None:
        self.grants += 1  # each entry a second later than the one before, all before NOW
        self.clock.at = NOW - timedelta(hours=1) + timedelta(seconds=self.grants)
        consent.set_consent(
            principal=self.member(user_id),
            capability="location",
            data=ConsentUpdate(granted=granted, device_id="d1", app_version="1.0"),
            consents=self.root.port("consents"),
            reactions=self.root.port("reactions"),
            clock=self.clock,
            policy_version="2023-06-15",
        )
        self.clock.at = NOW

    def overview(self, principal: Principal = OWNER, **query: object) -> MemberOverview:
        return self.root.use_case(MemberUseCases).overview(
            principal=principal, account_id=A, query=MemberOverviewQuery.model_validate(query)
        )


def _names(result: MemberOverview) -> list[str]:
    return [r.full_name for r in result.items]


def test_by_name_paged_with_a_sealed_token_and_no_member_twice() -> None:
    w = World()
    for i, name in enumerate(["bob", "Alice", "Carol", "alice", "Dave"]):
        w.add(f"u{i}", name)
    first = w.overview(limit=3)
    assert _names(first) == ["Alice", "alice", "bob"]
    second = w.overview(limit=3, continuation=first.continuation)
    assert _names(second) == ["Carol", "Dave", "Olga Owner"]
    assert second.continuation is None
    with pytest.raises(ValidationFailed):  # a token of the name order is not one of the last-seen order
        w.overview(limit=3, sort="lastSeen", continuation=first.continuation)


def test_search_is_a_case_insensitive_prefix_of_name_or_email() -> None:
    w = World()
    w.add("u1", "Zoë Brown", email="zb@site.example")
    w.add("u2", "Adam Zimmer", email="adam@example.com")
    assert _names(w.overview(q="zo")) == ["Zoë Brown"]
    assert _names(w.overview(q="ZB@")) == ["Zoë Brown"]
    assert _names(w.overview(q="ADAM")) == ["Adam Zimmer"]
    assert _names(w.overview(q="x")) == []


def test_by_last_seen_newest_first_then_never_seen_by_name_across_pages() -> None:
    w = World()
    for i, name in enumerate(["Ann", "Ben", "Cid", "Dot", "Eve"]):
        w.add(f"u{i}", name)
    w.fix("u3", timedelta(minutes=1))
    w.fix("u1", timedelta(minutes=5))
    w.fix("u4", timedelta(hours=2))
    names: list[str] = []
    token = None
    for _ in range(6):
        page = w.overview(sort="lastSeen", limit=2, continuation=token)
        names += _names(page)
        token = page.continuation
        if token is None:
            break
    assert names == ["Dot", "Ben", "Eve", "Ann", "Cid", "Olga Owner"]


def test_sharing_state_zone_count_place_and_access_log() -> None:
    w = World()
    w.add("u1", "Fresh")
    w.add("u2", "Quiet")
    w.add("u3", "Off")
    w.add("u4", "Never asked")
    w.grant("u1")
    w.grant("u2")
    w.grant("u3")
    w.grant("u3", granted=False)
    w.fix("u1", timedelta(minutes=2))
    w.fix("u2", timedelta(minutes=40))
    zones = w.root.use_case(PrivateZoneUseCases)
    zone = PrivateZoneIn.model_validate({"latitude": 10, "longitude": 10, "radiusMeters": 200})
    zones.add(principal=w.member("u1"), data=zone)
    w.fix("u3", timedelta(minutes=3), lat=45.5, lon=-93.0)
    w.root.use_case(JobSiteUseCases).create(
        principal=OWNER,
        account_id=A,
        data=JobSiteCreate.model_validate(
            {"name": "Depot", "area": {"kind": "circle", "centre": {"latitude": 44.98, "longitude": -93.27}}}
        ),
    )
    rows = {r.user_id: r for r in w.overview().items}
    assert rows["u1"].sharing.state is SharingState.SHARING
    assert rows["u1"].private_zones == 1
    places = {u: r.last_seen.place if r.last_seen else None for u, r in rows.items()}
    assert places["u1"] is not None and places["u1"].site_name == "Depot"
    assert places["u3"] is not None and places["u3"].site_name is None and places["u3"].latitude == 45.5
    assert rows["u2"].sharing.state is SharingState.NO_FIX and rows["u2"].sharing.no_fix_minutes == 40
    assert rows["u3"].sharing.state is SharingState.NOT_SHARING
    assert rows["u4"].sharing.state is SharingState.NOT_ASKED and rows["u4"].last_seen is None
    assert sorted(w.access_log.entries[-1].subject_user_ids) == ["u1", "u2", "u3"]


def test_outside_tracking_hours() -> None:
    w = World()
    w.add("u1", "Night")
    w.grant("u1")
    w.fix("u1", timedelta(minutes=1))
    w.root.use_case(TrackingUseCases).put_schedule(
        principal=w.member("u1"),
        data=TrackingScheduleUpdate.model_validate(
            {"timeZone": "America/Chicago", "windows": [{"days": ["sun"], "start": "01:00", "end": "02:00"}]}
        ),
    )
    (row,) = [r for r in w.overview().items if r.user_id == "u1"]
    assert row.sharing.state is SharingState.OUTSIDE_HOURS


def test_only_the_owner_of_the_account() -> None:
    w = World()
    w.add("u1", "Worker")
    with pytest.raises(Forbidden):
        w.overview(principal=w.member("u1"))
    with pytest.raises((Forbidden, NotFound)):
        w.overview(principal=Principal("o9", None, "acct-9", Role.OWNER))


def test_store_requests_per_page_do_not_grow_with_the_account() -> None:
    w = World()
    for i in range(300):
        w.add(f"u{i:03d}", f"Worker {i:03d}")
        w.grant(f"u{i:03d}")
        w.fix(f"u{i:03d}", timedelta(seconds=i))
    for sort in ("name", "lastSeen"):
        w.rows.calls.clear()
        page = w.overview(sort=sort, limit=50)
        assert len(page.items) == 50
        assert len(w.rows.calls) <= 4, w.rows.calls


def test_the_rule_of_sharing_states() -> None:
    assert sharing_state(location_consents=[], schedule_versions=[], last_fix=None, now=NOW) is SharingState.NOT_ASKED


def _entry(at: datetime, granted: bool = True) -> ConsentEntry:
    return ConsentEntry(
        entry_id=f"e-{at.isoformat()}",
        account_id=A,
        user_id="u1",
        capability=Capability.LOCATION,
        granted=granted,
        recorded_at=at,
        device_id="d1",
        app_version="1.0",
        policy_version="2023-06-15",
    )


def _hours(zone: str, start: str, end: str, days: list[str] | None = None) -> list[ScheduleVersion]:
    window = TrackingWindow.model_validate({"days": days or list(WEEKDAYS), "start": start, "end": end})
    return [ScheduleVersion(since=None, time_zone=zone, windows=[window])]


def _state_and_change(
    consents: list[ConsentEntry], hours: list[ScheduleVersion], last_fix: datetime | None, now: datetime
) -> tuple[SharingState, datetime | None]:
    kw = {"location_consents": consents, "schedule_versions": hours, "last_fix": last_fix, "now": now}
    return sharing_state(**kw), next_sharing_change(**kw)  # type: ignore[arg-type]  # the same four arguments


def test_the_next_change_of_a_state_by_the_clock_alone_and_that_no_state_changes_before_it() -> None:
    granted = [_entry(NOW - timedelta(days=1))]
    berlin = _hours("Europe/Berlin", "08:00", "16:30")  # NOW is 16:00 in Berlin (CET, UTC+1) on a Monday
    cases = [
        # inside the hours with a fresh fix: the fix grows old (15 minutes) before the window closes (30 minutes)
        (granted, berlin, NOW - timedelta(minutes=5), SharingState.SHARING, NOW + timedelta(minutes=10)),
        # no fix: the window closing is the next change; then the window opening the next morning
        (granted, berlin, None, SharingState.NO_FIX, NOW + timedelta(minutes=30)),
        # no consent entry: nothing changes with the clock; a withdrawal likewise (only a new entry changes it)
        ([], berlin, None, SharingState.NOT_ASKED, None),
        ([*granted, _entry(NOW - timedelta(hours=1), False)], berlin, None, SharingState.NOT_SHARING, None),
        # an entry recorded ahead of now (a device clock) takes effect at its time
        ([_entry(NOW + timedelta(minutes=3))], berlin, None, SharingState.NOT_SHARING, NOW + timedelta(minutes=3)),
        # no schedule: sharing turns into no fix and stays so
        (granted, [], NOW - timedelta(minutes=1), SharingState.SHARING, NOW + timedelta(minutes=14)),
        (granted, [], NOW - timedelta(hours=1), SharingState.NO_FIX, None),
    ]
    for consents, hours, fix, state, change in cases:
        got_state, got_change = _state_and_change(consents, hours, fix, NOW)
        assert got_state is state
        if change is None:
            assert got_change is None
            continue
        assert got_change is not None and change <= got_change < change + timedelta(seconds=1)
        before = _state_and_change(consents, hours, fix, got_change - timedelta(seconds=1))[0]
        after = _state_and_change(consents, hours, fix, got_change + timedelta(seconds=1))[0]
        assert before is state and after is not state, (state, got_change)


def test_the_next_window_change_never_comes_after_a_real_one_also_across_clock_changes() -> None:
    """Walks minute by minute through the March and November clock changes of Chicago and Berlin with windows that
    start or end in the skipped or repeated hour: between `now` and the answer, the windows never answer otherwise."""
    for zone, days in (
        ("America/Chicago", [date(2027, 3, 14), date(2027, 11, 7)]),
        ("Europe/Berlin", [date(2027, 3, 28), date(2027, 10, 31)]),
    ):
        for start, end, on in (
            ("02:30", "09:00", None),
            ("01:30", "02:15", None),
            ("22:00", "02:30", None),
            ("22:00", "02:30", ["sat"]),  # into the night of the clock change, not the next (no change at midnight)
            ("00:00", "24:00", ["sun"]),
        ):
            hours = _hours(zone, start, end, on)
            for day in days:
                first = datetime.combine(day, datetime.min.time(), UTC) - timedelta(hours=6)
                minutes = [first + timedelta(minutes=m) for m in range(26 * 60)]
                flips = [
                    t for t in minutes[1:] if windows_allow(hours, t) != windows_allow(hours, t - timedelta(minutes=1))
                ]
                for at in minutes[: 20 * 60 : 7]:
                    change = next_window_change(hours, at)
                    real = min((t for t in flips if t > at), default=datetime.max.replace(tzinfo=UTC))
                    assert change is not None and at < change <= real, (zone, start, end, at, change, real)
    assert next_window_change([], NOW) is None
    assert next_window_change([ScheduleVersion(since=NOW + timedelta(hours=2))], NOW) == NOW + timedelta(hours=2)


def test_the_first_page_can_carry_the_pending_invitations() -> None:
    w = World()
    w.add("u1", "Worker")
    members = w.root.use_case(MemberUseCases)
    members.invite(principal=OWNER, account_id=A, data=InvitationCreate.model_validate({"email": "new@example.com"}))
    first = w.overview(limit=1, invitations=True)
    assert [i.email for i in first.invitations or []] == ["new@example.com"] and first.invitations_complete
    assert w.overview(limit=1).invitations is None
    assert w.overview(limit=1, invitations=True, continuation=first.continuation).invitations is None
