"""Track views: simplification in metres, stops, GeoJSON and GPX structure, paging over day partitions, tenancy,
latest positions and the access log."""

from __future__ import annotations

import itertools
import json
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.domain.accounts import Member, MemberStatus
from core.domain.consent import ConsentUpdate
from core.domain.errors import Forbidden, NotFound, ValidationFailed
from core.domain.identity import Principal, Role
from core.domain.sharing import SharingState
from core.domain.tracking import (
    WEEKDAYS,
    AccessedData,
    LatestPosition,
    LiveMapAnswer,
    Ping,
    PingSource,
    Track,
    TrackingScheduleUpdate,
    TrackQuery,
)
from core.domain.tracking_geo import detect_stops, distance_m, project, segment_distance, simplify
from core.services import access_log, consent, tracks
from core.services.use_cases.tracking import TrackingUseCases
from tests.unit.fakes import FakeAccountStore, FakeClock
from tests.unit.fakes_paging import page_tokens
from tests.unit.fakes_tracking import (
    FakeAccessLog,
    FakeCoarseHistory,
    FakeLatestPositions,
    FakePingStore,
    FakeWithheldPingStore,
)
from tests.unit.roots import fake_root

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
OWNER = Principal(user_id="o1", email="o@example.com", account_id="a1", role=Role.OWNER)
WORKER = Principal(user_id="u1", email="u1@example.com", account_id="a1", role=Role.MEMBER)
OTHER_WORKER = Principal(user_id="u2", email="u2@example.com", account_id="a1", role=Role.MEMBER)
STRANGER = Principal(user_id="o9", email="o9@example.com", account_id="a9", role=Role.OWNER)
ADMIN_OWNER = Principal(user_id="o2", email="o2@example.com", account_id="a1", role=Role.OWNER)  # another viewer
GPX = "{http://www.topografix.com/GPX/1/1}"


def p(t: datetime, lat: float, lon: float) -> Ping:
    return Ping(ping_id=str(uuid.uuid4()), t=t, lat=lat, lon=lon, acc=5, src=PingSource.GPS, alt=200.0)


def line(n: int, start: datetime = NOW - timedelta(hours=2)) -> list[Ping]:
    return [p(start + timedelta(seconds=30 * i), 45.0 + i * 0.001, -93.0) for i in range(n)]


def test_distance_is_in_metres() -> None:
    assert distance_m(45.0, -93.0, 45.001, -93.0) == pytest.approx(111.2, abs=0.5)
    assert distance_m(0, 179.9995, 0, -179.9995) == pytest.approx(111.3, abs=0.5)


def test_douglas_peucker_tolerance_in_metres() -> None:
    straight = line(50)
    assert simplify(straight, 1.0) == [straight[0], straight[-1]]
    bent = [*line(10), p(NOW, 45.0095, -92.999)]  # ~78 m off the line at the end
    kept = simplify(bent, 50)
    assert bent[-1] in kept and kept[0] == bent[0]
    zigzag = [p(NOW + timedelta(seconds=i), 45.0 + i * 0.001, -93.0 + (0.0003 if i % 2 else 0)) for i in range(20)]
    assert len(simplify(zigzag, 10)) == 20  # each ~24 m off: all kept at 10 m
    assert len(simplify(zigzag, 30)) == 2
    assert simplify(zigzag, 0) == zigzag
    assert [q.t for q in simplify(zigzag, 10)] == sorted(q.t for q in simplify(zigzag, 10))


def test_douglas_peucker_keeps_every_point_within_the_tolerance_and_stays_fast() -> None:
    import random
    import time

    rng = random.Random(3)
    lat, lon, track = 45.0, -93.0, []
    for i in range(2_000):
        lat += rng.gauss(0, 2e-4)
        lon += rng.gauss(1e-4, 2e-4)
        track.append(p(NOW + timedelta(seconds=i), lat, lon))
    for tolerance in (3.0, 25.0, 200.0):
        kept = simplify(track, tolerance)
        xy = project(track)
        index = {id(q): i for i, q in enumerate(track)}
        positions = [index[id(q)] for q in kept]
        assert positions[0] == 0 and positions[-1] == len(track) - 1 and positions == sorted(positions)
        for a, b in itertools.pairwise(positions):
            for i in range(a + 1, b):
                assert segment_distance(xy[i], xy[a], xy[b]) <= tolerance + 1e-6
    # An unlucky shape (a sawtooth) at the largest page size: quadratic without the runs of CHUNK points.
    saw = [p(NOW + timedelta(seconds=i), 45.0 + (i % 7) * 1e-4, -93.0 + i * 1e-5) for i in range(10_000)]
    started = time.perf_counter()
    assert 2 <= len(simplify(saw, 5)) <= 10_000
    assert time.perf_counter() - started < 20  # about a second; quadratic took over a minute


def test_stops_need_radius_and_duration() -> None:
    start = NOW - timedelta(hours=1)
    drive = [p(start + timedelta(minutes=i), 45.0 + i * 0.01, -93.0) for i in range(5)]
    t1 = start + timedelta(minutes=5)
    stay = [p(t1 + timedelta(minutes=i), 45.05 + (i % 3) * 0.0001, -93.0) for i in range(12)]  # 11 min, ~20 m
    t2 = t1 + timedelta(minutes=12)
    drive2 = [p(t2 + timedelta(minutes=i), 45.06 + i * 0.01, -93.0) for i in range(3)]
    short = [p(t2 + timedelta(minutes=3 + i), 45.1, -93.0) for i in range(3)]  # 2 min only
    stops = detect_stops([*drive, *stay, *drive2, *short], radius_m=50, min_minutes=5)
    assert len(stops) == 1
    stop = stops[0]
    assert stop.arrival == stay[0].t and stop.departure == stay[-1].t and stop.points == 12
    assert distance_m(stop.lat, stop.lon, 45.0501, -93.0) < 15
    assert detect_stops([*drive, *stay], radius_m=50, min_minutes=15) == []
    assert detect_stops(stay, radius_m=5, min_minutes=5) == []
    still = [p(start + timedelta(seconds=8 * i), 45.0 + (i % 5) * 1e-5, -93.0) for i in range(10_000)]  # 22 h
    assert detect_stops(still, radius_m=50, min_minutes=1440) == []  # not quadratic: returns at once
    [whole] = detect_stops(still, radius_m=50, min_minutes=60)
    assert whole.points == 10_000 and whole.arrival == still[0].t and whole.departure == still[-1].t


def _track(points: list[Ping], **kw: Any) -> Track:
    return Track(
        user_id="u1", range_from=NOW - timedelta(days=1), range_to=NOW, points=points, raw_count=len(points), **kw
    )


def test_geojson_is_a_feature_collection_with_a_line_and_points() -> None:
    from core.domain.tracking_formats import to_geojson

    pts = line(3)
    doc = json.loads(json.dumps(to_geojson(_track(pts))))
    assert doc["type"] == "FeatureCollection"
    [track, *points] = doc["features"]
    assert track["geometry"] == {"type": "LineString", "coordinates": [[-93.0, 45.0], [-93.0, 45.001], [-93.0, 45.002]]}
    assert len(track["properties"]["times"]) == 3
    assert [f["geometry"]["type"] for f in points] == ["Point"] * 3
    assert points[0]["properties"]["id"] == pts[0].ping_id and points[0]["properties"]["altitude"] == 200.0
    single = to_geojson(_track(pts[:1]))
    assert [f["geometry"]["type"] for f in single["features"]] == ["Point"]  # a LineString needs two positions


def test_gpx_is_gpx_1_1_in_schema_order() -> None:
    from core.domain.tracking_formats import to_gpx

    stops = detect_stops(
        [p(NOW - timedelta(minutes=10 - i), 45.0, -93.0) for i in range(10)], radius_m=20, min_minutes=5
    )
    root = ET.fromstring(to_gpx(_track(line(4), stops=stops)))  # noqa: S314 - our own output
    assert root.tag == f"{GPX}gpx" and root.get("version") == "1.1"
    assert [c.tag for c in root] == [f"{GPX}metadata", f"{GPX}wpt", f"{GPX}trk"]
    pts = root.findall(f"{GPX}trk/{GPX}trkseg/{GPX}trkpt")
    assert len(pts) == 4 and [c.tag for c in pts[0]] == [f"{GPX}ele", f"{GPX}time", f"{GPX}src"]
    assert pts[1].get("lat") == "45.0010000" and pts[1].get("lon") == "-93.0000000"


class World:
    def __init__(self) -> None:
        self.accounts = FakeAccountStore()
        for user, role in (("o1", Role.OWNER), ("u1", Role.MEMBER), ("u2", Role.MEMBER)):
            self.accounts.put_member(
                Member(
                    account_id="a1",
                    user_id=user,
                    role=role,
                    full_name=user.upper(),
                    email=f"{user}@example.com",
                    time_zone="UTC",
                    joined_at=NOW,
                    updated_at=NOW,
                )
            )
        self.accounts.put_member(
            Member(
                account_id="a9",
                user_id="u9",
                role=Role.MEMBER,
                full_name="U9",
                email="u9@example.com",
                time_zone="UTC",
                joined_at=NOW,
                updated_at=NOW,
            )
        )
        self.pings = FakePingStore()
        self.log = FakeAccessLog()
        self.positions = FakeLatestPositions()
        self.withheld = FakeWithheldPingStore()
        self.coarse = FakeCoarseHistory()
        self.clock = FakeClock(NOW)
        self.root = fake_root(clock=self.clock, accounts=self.accounts, latest_positions=self.positions)
        self.member_rows, self.ingest_gate = self.root.port("member_rows"), self.root.port("ingest_gate")
        self.versions: Any = self.root.port("live_map_versions")  # also moved by consents and schedules

    def store(self, user: str, points: list[Ping], account: str = "a1") -> None:
        for q in points:
            self.pings.write_day(account_id=account, user_id=user, day=q.day, pings=[q])

    def member_track(self, who: Principal, user: str, account: str = "a1", **query: Any) -> Any:
        return tracks.read_member_track(
            principal=who,
            account_id=account,
            user_id=user,
            query=TrackQuery.model_validate(query),
            accounts=self.accounts,
            pings=self.pings,
            access_log=self.log,
            clock=self.clock,
            page_tokens=page_tokens(),
            withheld_pings=self.withheld,
            coarse_history=self.coarse,
        )


def test_paging_walks_the_day_partitions_in_time_order() -> None:
    w = World()
    start = NOW - timedelta(days=2, hours=1)
    points = [p(start + timedelta(hours=5 * i), 45.0 + i * 0.01, -93.0) for i in range(10)]  # 3 days
    w.store("u1", points)
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        q: dict[str, Any] = {"from": start, "to": NOW, "limit": 3}
        if token:
            q["continuation"] = token
        doc = tracks.read_my_track(
            principal=WORKER,
            query=TrackQuery.model_validate(q),
            pings=w.pings,
            clock=w.clock,
            page_tokens=page_tokens(),
            withheld_pings=w.withheld,
            coarse_history=w.coarse,
        )
        body = json.loads(doc.body)
        seen += [f["properties"]["id"] for f in body["features"] if f["properties"]["kind"] == "ping"]
        pages += 1
        token = doc.continuation
        assert body.get("continuation") == token
        if not token:
            break
    assert seen == [q.ping_id for q in points] and pages == 4
    first = tracks.read_my_track(
        principal=WORKER,
        query=TrackQuery.model_validate({"from": start, "to": NOW, "limit": 3}),
        pings=w.pings,
        clock=w.clock,
        page_tokens=page_tokens(),
        withheld_pings=w.withheld,
        coarse_history=w.coarse,
    ).continuation
    assert first is not None
    with pytest.raises(ValidationFailed) as err:  # a token of another range
        tracks.read_my_track(
            principal=WORKER,
            pings=w.pings,
            clock=w.clock,
            page_tokens=page_tokens(),
            withheld_pings=w.withheld,
            coarse_history=w.coarse,
            query=TrackQuery.model_validate(
                {"from": start - timedelta(hours=1), "to": NOW, "limit": 3, "continuation": first}
            ),
        )
    assert err.value.errors[0].field == "query.continuation"
    with pytest.raises(ValidationFailed) as err:  # another worker's track, same range
        tracks.read_my_track(
            principal=OTHER_WORKER,
            pings=w.pings,
            clock=w.clock,
            page_tokens=page_tokens(),
            withheld_pings=w.withheld,
            coarse_history=w.coarse,
            query=TrackQuery.model_validate({"from": start, "to": NOW, "limit": 3, "continuation": first}),
        )
    assert err.value.errors[0].field == "query.continuation"


def test_range_is_bounded_and_defaults_to_a_day() -> None:
    w = World()
    w.store("u1", [p(NOW - timedelta(hours=23), 45, -93), p(NOW - timedelta(hours=25), 45, -93)])
    doc = tracks.read_my_track(
        principal=WORKER,
        query=TrackQuery(),
        pings=w.pings,
        clock=w.clock,
        page_tokens=page_tokens(),
        withheld_pings=w.withheld,
        coarse_history=w.coarse,
    )
    assert json.loads(doc.body)["features"][0]["properties"]["kind"] == "ping"
    assert len(json.loads(doc.body)["features"]) == 1
    with pytest.raises(ValidationFailed):
        tracks.read_my_track(
            principal=WORKER,
            pings=w.pings,
            clock=w.clock,
            page_tokens=page_tokens(),
            withheld_pings=w.withheld,
            coarse_history=w.coarse,
            query=TrackQuery.model_validate({"from": NOW - timedelta(days=32), "to": NOW}),
        )


def test_track_tenancy_and_access_log() -> None:
    w = World()
    w.store("u1", line(5))
    w.store("u9", line(5), account="a9")
    with pytest.raises(NotFound):
        w.member_track(OTHER_WORKER, "u1")  # a member reading another member's track
    with pytest.raises(NotFound):
        w.member_track(STRANGER, "u1")  # the owner of another account
    with pytest.raises(NotFound):
        w.member_track(OWNER, "u9")  # another account's member under my account
    with pytest.raises(NotFound):
        w.member_track(OWNER, "nobody")
    assert w.log.entries == []
    doc = w.member_track(WORKER, "u1", format="gpx")  # my own, through the owner path: not logged
    assert doc.media_type == "application/gpx+xml" and w.log.entries == []
    doc = w.member_track(OWNER, "u1", simplify=1)
    assert doc.points == 2
    [entry] = w.log.entries
    assert (entry.viewer_user_id, entry.subject_user_ids, entry.data) == ("o1", ["u1"], AccessedData.LOCATION_TRACK)
    assert entry.range_to == NOW and entry.range_from == NOW - timedelta(days=1)
    page = access_log.read_my_access_log(
        principal=WORKER, access_log=w.log, accounts=w.accounts, continuation=None, limit=10, page_tokens=page_tokens()
    )
    assert [(i.viewer_name, i.data) for i in page.items] == [("O1", AccessedData.LOCATION_TRACK)]
    assert (
        access_log.read_my_access_log(
            principal=OTHER_WORKER,
            access_log=w.log,
            accounts=w.accounts,
            continuation=None,
            limit=10,
            page_tokens=page_tokens(),
        ).items
        == []
    )


def live_map(w: World, principal: Principal, if_none_match: str | None = None) -> LiveMapAnswer:
    return tracks.latest_positions(
        principal=principal,
        account_id="a1",
        if_none_match=if_none_match,
        accounts=w.accounts,
        latest_positions=w.positions,
        live_map_versions=w.versions,
        member_rows=w.member_rows,
        ingest_gate=w.ingest_gate,
        access_log=w.log,
        clock=w.clock,
    )


def test_latest_positions_for_the_owner_with_age_and_access_log() -> None:
    w = World()
    w.positions.advance(
        LatestPosition(
            account_id="a1",
            user_id="u1",
            ping_id="x",
            t=NOW - timedelta(minutes=3),
            lat=45,
            lon=-93,
            acc=5,
            src=PingSource.FUSED,
            updated_at=NOW,
        )
    )
    w.positions.advance(
        LatestPosition(
            account_id="a9", user_id="u9", ping_id="y", t=NOW, lat=1, lon=1, acc=5, src=PingSource.GPS, updated_at=NOW
        )
    )
    removed = w.accounts.get_member("a1", "u2")
    assert removed is not None
    w.accounts.put_member(removed.model_copy(update={"status": MemberStatus.REMOVED}))
    answer = live_map(w, OWNER)
    view = answer.positions
    assert view is not None
    by_user = {i.user_id: i for i in view.items}
    assert set(by_user) == {"o1", "u1"}
    position = by_user["u1"].position
    assert position is not None and position.age_seconds == 180 and by_user["o1"].position is None
    [entry] = w.log.entries
    assert entry.subject_user_ids == ["u1"] and entry.data is AccessedData.LATEST_POSITIONS
    with pytest.raises(Forbidden):
        live_map(w, WORKER)
    with pytest.raises(NotFound):
        live_map(w, STRANGER)


class CountingMembers(FakeAccountStore):
    def __init__(self, inner: FakeAccountStore) -> None:
        super().__init__()
        self.__dict__.update(inner.__dict__)
        self.listed = 0

    def list_members(self, account_id: str) -> list[Member]:
        self.listed += 1
        return super().list_members(account_id)


class StoredVersion:
    """The version document as the writers keep it: a value moved by `bump`, read with `current`."""

    def __init__(self) -> None:
        self.value: str | None = None
        self.reads = 0

    def current(self, account_id: str) -> str | None:
        self.reads += 1
        return self.value

    def bump(self) -> None:
        self.value = uuid.uuid4().hex


def _moved(w: World, user: str, minutes: float, expires_at: datetime | None = None) -> None:
    w.positions.advance(
        LatestPosition(
            account_id="a1",
            user_id=user,
            ping_id=f"p{minutes}",
            t=NOW + timedelta(minutes=minutes),
            lat=45,
            lon=-93,
            acc=5,
            src=PingSource.GPS,
            updated_at=NOW,
            expires_at=expires_at,
        )
    )


def test_an_unchanged_live_map_is_one_version_read_no_member_read_and_no_log() -> None:
    w = World()
    w.accounts = members = CountingMembers(w.accounts)
    w.versions = version = StoredVersion()
    _moved(w, "u1", 0)
    version.bump()
    first = live_map(w, OWNER)
    assert first.positions is not None and first.etag.startswith('"') and len(w.log.entries) == 1
    reads, listed = version.reads, members.listed
    w.clock.advance(seconds=15)
    again = live_map(w, OWNER, if_none_match=first.etag)
    assert again.positions is None and again.etag == first.etag
    assert (version.reads - reads, members.listed - listed, len(w.log.entries)) == (1, 0, 1)
    # a list of tags, a weak comparison, and the same tag with another viewer's or version's digest
    assert live_map(w, OWNER, if_none_match=f'"x.0", W/{first.etag}').positions is None
    assert live_map(w, ADMIN_OWNER, if_none_match=first.etag).positions is not None
    _moved(w, "u1", 1)
    version.bump()  # what the position's writer does after its write
    moved = live_map(w, OWNER, if_none_match=first.etag)
    assert moved.positions is not None and moved.etag != first.etag


def test_the_live_maps_etag_lapses_when_a_shown_position_expires() -> None:
    w = World()
    _moved(w, "u1", 0, expires_at=NOW + timedelta(minutes=30))
    first = live_map(w, OWNER)
    w.clock.advance(minutes=29)
    assert live_map(w, OWNER, if_none_match=first.etag).positions is None
    w.clock.advance(minutes=1)
    assert live_map(w, OWNER, if_none_match=first.etag).positions is not None


def test_the_live_map_moves_with_members_on_the_fakes_digest() -> None:
    w = World()
    first = live_map(w, OWNER)
    assert live_map(w, OWNER, if_none_match=first.etag).positions is None
    u2 = w.accounts.get_member("a1", "u2")
    assert u2 is not None
    w.accounts.put_member(u2.model_copy(update={"full_name": "Renamed"}))
    assert live_map(w, OWNER, if_none_match=first.etag).positions is not None


def _consent(w: World, user: str, granted: bool) -> None:
    consent.set_consent(
        principal=Principal(user_id=user, email=f"{user}@example.com", account_id="a1", role=Role.MEMBER),
        capability="location",
        data=ConsentUpdate(granted=granted, device_id="d1", app_version="1.0"),
        consents=w.root.port("consents"),
        reactions=w.root.port("reactions"),
        clock=w.clock,
        policy_version="2023-06-15",
    )


def test_each_member_has_a_sharing_state_and_the_etag_lapses_when_a_tracking_window_closes() -> None:
    w = World()
    _consent(w, "u1", True)
    w.root.use_case(TrackingUseCases).put_schedule(
        principal=WORKER,  # NOW is 14:00 in Berlin (CEST): inside 08:00-14:30 on every day
        data=TrackingScheduleUpdate.model_validate(
            {"timeZone": "Europe/Berlin", "windows": [{"days": list(WEEKDAYS), "start": "08:00", "end": "14:30"}]}
        ),
    )
    first = live_map(w, OWNER)
    assert first.positions is not None
    states = {i.user_id: i.sharing.state for i in first.positions.items}
    assert states == {"o1": SharingState.NOT_ASKED, "u1": SharingState.NO_FIX, "u2": SharingState.NOT_ASKED}
    w.clock.advance(minutes=29, seconds=59)
    assert live_map(w, OWNER, if_none_match=first.etag).positions is None  # still inside the window
    w.clock.advance(seconds=1)  # 14:30 in Berlin: the window closed, with nothing written
    closed = live_map(w, OWNER, if_none_match=first.etag)
    assert closed.positions is not None and closed.etag != first.etag
    assert {i.user_id: i.sharing.state for i in closed.positions.items}["u1"] is SharingState.OUTSIDE_HOURS
    w.clock.advance(hours=2)
    assert live_map(w, OWNER, if_none_match=closed.etag).positions is None  # nothing changes until the next boundary

    _moved(w, "u1", 150)  # a fix at 14:30 UTC, now (16:30 in Berlin) outside the window: the map moves
    _consent(w, "u1", False)  # a withdrawal moves the version too
    withdrawn = live_map(w, OWNER, if_none_match=closed.etag)
    assert withdrawn.positions is not None
    [u1] = [i for i in withdrawn.positions.items if i.user_id == "u1"]
    assert u1.sharing.state is SharingState.NOT_SHARING and u1.sharing.since == w.clock.now()


def test_the_etag_lapses_when_a_shown_fix_grows_old() -> None:
    w = World()
    _consent(w, "u1", True)  # no schedule: sharing while the fix is fresh, then no fix
    _moved(w, "u1", -5)
    first = live_map(w, OWNER)
    assert first.positions is not None
    [u1] = [i for i in first.positions.items if i.user_id == "u1"]
    assert u1.sharing.state is SharingState.SHARING and u1.sharing.no_fix_minutes is None
    w.clock.advance(minutes=9, seconds=59)
    assert live_map(w, OWNER, if_none_match=first.etag).positions is None
    w.clock.advance(seconds=2)
    old = live_map(w, OWNER, if_none_match=first.etag).positions
    assert old is not None
    [u1] = [i for i in old.items if i.user_id == "u1"]
    assert u1.sharing.state is SharingState.NO_FIX and u1.sharing.no_fix_minutes == 15
