"""Coarsened history: the rule, the bounded and resumable run, crashes between its steps, and the setting."""

from __future__ import annotations

import copy
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from core.domain.coarse_history import BUCKET_MINUTES, CoarseningRun, is_coarse
from core.domain.errors import ValidationFailed
from core.domain.geohash import coarse_cell
from core.domain.privacy import LegalHold, RetentionPublic, RetentionSettings, RetentionUpdate
from core.domain.tracking import Ping, PingSource
from core.services import retention
from core.services.coarsening import run_coarsening
from core.services.purge_index import COARSENING, mark_due
from core.services.retention import RetentionPolicy
from tests.unit.fakes import FakeAccountStore, FakeClock, FakeReactions, FakeUserStore
from tests.unit.fakes_privacy import FakePrivacyStore
from tests.unit.fakes_tracking import Crash, FakeCoarseHistory
from tests.unit.test_retention_service import make_account

POLICY = RetentionPolicy()
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOME = (44.9778, -93.2650)


def day_of_pings(day: date, seed: int, every_s: int = 120) -> list[Ping]:
    """A work day (07:00-16:00 UTC) walking around HOME, a ping every 2 minutes (270 a day)."""
    rng = random.Random(seed)
    lat, lon = HOME
    out: list[Ping] = []
    t = datetime(day.year, day.month, day.day, 7, tzinfo=UTC)
    while t.hour < 16:
        lat += rng.uniform(-0.0006, 0.0006)
        lon += rng.uniform(-0.0008, 0.0008)
        out.append(
            Ping(
                ping_id=f"{seed}-{t:%H%M%S}",
                t=t,
                lat=lat,
                lon=lon,
                acc=8,
                alt=250,
                spd=1.2,
                src=PingSource.GPS,
                dev="phone",
            )
        )
        t += timedelta(seconds=every_s)
    return out


World = tuple[FakeClock, FakeAccountStore, FakePrivacyStore, FakeCoarseHistory]


@pytest.fixture
def world() -> World:
    clock, accounts, users = FakeClock(NOW), FakeAccountStore(), FakeUserStore()
    privacy = FakePrivacyStore(accounts)
    make_account(accounts, users, "acc-a", NOW - timedelta(days=400), members=("m1", "m2"))
    store = FakeCoarseHistory()
    for n in range(1, 41):  # 40 days of history for each worker
        day = NOW.date() - timedelta(days=n)
        store.add("acc-a", "acc-a-m1", day_of_pings(day, n))
        store.add("acc-a", "acc-a-m2", day_of_pings(day, 100 + n))
    return clock, accounts, privacy, store


def turn_on(privacy: FakePrivacyStore, days: int = 30) -> None:
    privacy.put_retention(
        RetentionSettings(account_id="acc-a", location_days=365, access_log_days=365, coarsen_after_days=days)
    )
    # What `retention.update_retention` also does: the account enters the coarsening walk's index.
    mark_due(privacy, account_id="acc-a", at=NOW - timedelta(days=1), reason="coarsening", queue=COARSENING)


def run(world: World, max_pings: int = 1_000_000) -> CoarseningRun:
    clock, accounts, privacy, store = world
    return run_coarsening(
        store=store, privacy=privacy, accounts=accounts, clock=clock, policy=POLICY, max_pings=max_pings
    )


def test_off_by_default_nothing_changes(world: World) -> None:
    store = world[3]
    before = store.snapshot()
    result = run(world)
    assert result.complete_pass and result.receipts == [] and store.snapshot() == before


def test_old_days_become_one_centred_point_per_bucket_recent_days_stay(world: World) -> None:
    _, _, privacy, store = world
    turn_on(privacy, 30)
    originals = {k: list(v.values()) for k, v in store.pings.items()}
    result = run(world)
    assert result.complete_pass
    cutoff = NOW.date() - timedelta(days=30)  # days wholly older than 30 days end before NOW - 30 days
    for (account, user, day), stored in store.pings.items():
        points = list(stored.values())
        if day < cutoff:
            assert points and all(is_coarse(p) for p in points)
            buckets = [p.t for p in points]
            assert len(buckets) == len(set(buckets)) == 36  # 9 hours of 15-minute buckets
            for p in points:
                assert p.t.minute % BUCKET_MINUTES == 0 and p.t.second == 0
                cell = coarse_cell(p.lat, p.lon)
                assert (round(cell.centre[0], 7), round(cell.centre[1], 7)) == (p.lat, p.lon)
                assert cell.area_km2 >= 1.0 and p.alt is None and p.spd is None and p.dev is None
                # the point stands in a cell that holds some of the bucket's own pings
                own = [q for q in originals[(account, user, day)] if p.t <= q.t < p.t + timedelta(minutes=15)]
                assert any(coarse_cell(q.lat, q.lon).geohash == cell.geohash for q in own)
            assert store.markers[(account, user, day)].coarse_points == 36
        else:
            assert points == originals[(account, user, day)] and not any(is_coarse(p) for p in points)
            assert (account, user, day) not in store.markers
    old_days = sorted({d for (_, _, d) in store.pings if d < cutoff})
    assert len(old_days) == 10
    assert sorted(r.day for r in result.receipts) == old_days
    assert all(r.members == 2 and r.precise_removed == 2 * 270 and r.coarse_points == 72 for r in result.receipts)


def test_a_second_run_changes_nothing(world: World) -> None:
    _, _, privacy, store = world
    turn_on(privacy)
    run(world)
    after = store.snapshot()
    again = run(world)
    assert store.snapshot() == after and again.receipts == [] and again.days_checked == 0


def test_receipts_are_kept_90_days(world: World) -> None:
    clock, _, privacy, store = world
    turn_on(privacy)
    first = run(world)
    clock.advance(days=89)
    second = run(world)
    assert set(store.runs) == {first.run_id, second.run_id}
    clock.advance(days=2)
    third = run(world)
    assert set(store.runs) == {second.run_id, third.run_id}


@pytest.mark.parametrize(
    "step,call", [("put_point", 10), ("delete", 1), ("delete", 500), ("delete", 1500), ("marker", 3), ("watermark", 2)]
)
def test_a_crash_between_steps_is_completed_by_the_next_run(world: World, step: str, call: int) -> None:
    clock, accounts, privacy, store = world
    turn_on(privacy)
    reference = FakeCoarseHistory()
    reference.pings = {k: dict(v) for k, v in store.pings.items()}
    own_index = copy.deepcopy(privacy)  # the reference run reschedules its own copy of the index
    run_coarsening(store=reference, privacy=own_index, accounts=accounts, clock=clock, policy=POLICY, max_pings=10**6)
    store.fail_at = (step, call)
    with pytest.raises(Crash):
        run(world)
    assert store.fail_at is None  # it did crash there
    result = run(world)
    assert result.complete_pass
    assert store.snapshot() == reference.snapshot()  # never coarsened twice, no day lost or half done
    assert set(store.markers) == set(reference.markers)


def test_bounded_runs_resume_where_they_stopped(world: World) -> None:
    _, _, privacy, store = world
    turn_on(privacy)
    runs = []
    for _ in range(40):
        runs.append(run(world, max_pings=600))  # about two days of one worker per run
        if runs[-1].complete_pass:
            break
    assert runs[-1].complete_pass and len(runs) > 5
    assert sum(len(r.receipts) for r in runs) >= 10
    coarse_days = {k for k in store.markers}
    assert len(coarse_days) == 20  # 10 days x 2 workers, each once
    assert all(r.pings_read <= 600 + 270 for r in runs)


def test_a_latest_position_older_than_n_days_is_snapped_a_recent_one_stays(world: World) -> None:
    _, _, privacy, store = world
    turn_on(privacy)
    old = day_of_pings(NOW.date() - timedelta(days=35), 1)[-1]
    recent = day_of_pings(NOW.date() - timedelta(days=1), 2)[-1]
    store.latest = {("acc-a", "acc-a-m1"): old, ("acc-a", "acc-a-m2"): recent}
    run(world)
    snapped = store.latest[("acc-a", "acc-a-m1")]
    assert (snapped.lat, snapped.lon) == coarse_cell(old.lat, old.lon).centre and snapped.t == old.t
    assert store.latest[("acc-a", "acc-a-m2")] == recent


def test_legal_holds_stop_coarsening(world: World) -> None:
    _, _, privacy, store = world
    turn_on(privacy)
    privacy.put_hold(
        LegalHold(
            hold_id="h1", account_id="acc-a", user_id="acc-a-m2", reason="dispute", placed_by="admin", placed_at=NOW
        )
    )
    run(world)
    assert {u for (_, u, _) in store.markers} == {"acc-a-m1"}
    assert not any(is_coarse(p) for (_, u, _), v in store.pings.items() if u == "acc-a-m2" for p in v.values())
    privacy.put_hold(LegalHold(hold_id="h2", account_id="acc-a", reason="audit", placed_by="admin", placed_at=NOW))
    store.markers.clear()
    store.watermarks.clear()
    world[0].advance(days=1)  # the next day's run: the account was done for the day
    result = run(world)
    assert result.held_accounts == ["acc-a"] and store.markers == {}


# ---------------------------------------------------------------- the setting


def update(privacy: FakePrivacyStore, accounts: FakeAccountStore, body: dict[str, object]) -> RetentionPublic:
    from core.domain.identity import Principal, Role

    owner = Principal(user_id="acc-a-owner", email="o@example.com", account_id="acc-a", role=Role.OWNER)
    return retention.update_retention(
        enqueue_data_request=lambda message: None,
        principal=owner,
        account_id="acc-a",
        changes=RetentionUpdate.model_validate(body),
        privacy=privacy,
        reactions=FakeReactions(),
        retention_policy=POLICY,
        clock=FakeClock(NOW),
    )


@pytest.mark.parametrize(
    "body,field",
    [
        ({"coarsenAfterDays": 29}, "coarsenAfterDays"),
        ({"coarsenAfterDays": 366}, "coarsenAfterDays"),
        ({"locationDays": 90, "coarsenAfterDays": 90}, "coarsenAfterDays"),
        ({"locationDays": 60, "coarsenAfterDays": 120}, "coarsenAfterDays"),
    ],
)
def test_out_of_range_setting_names_the_field_and_stores_nothing(
    world: World, body: dict[str, object], field: str
) -> None:
    _, accounts, privacy, _ = world
    with pytest.raises(ValidationFailed) as caught:
        update(privacy, accounts, body)
    assert [e.field for e in caught.value.errors] == [field]
    assert privacy.get_retention("acc-a") is None


def test_setting_on_off_and_lowering_the_location_retention(world: World) -> None:
    _, accounts, privacy, _ = world
    answer = update(privacy, accounts, {"coarsenAfterDays": 60})
    assert answer.coarsen_after_days == 60 and answer.limits.coarsen_min_days == 30
    with pytest.raises(ValidationFailed) as caught:
        update(privacy, accounts, {"locationDays": 45})
    assert [e.field for e in caught.value.errors] == ["locationDays"]
    assert update(privacy, accounts, {"coarsenAfterDays": None}).coarsen_after_days is None
    assert update(privacy, accounts, {"locationDays": 45}).location_days == 45


def test_a_bucket_is_never_recomputed_from_part_of_its_pings(world: World) -> None:
    """A bucket split between two cells: after a crash that deleted some of the majority cell's pings, a
    recomputation would pick the other cell. The coarse point written before the crash must stay."""
    clock, accounts, privacy, _ = world
    turn_on(privacy)
    store = FakeCoarseHistory()
    day = NOW.date() - timedelta(days=40)
    t0 = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    west, east = (44.95, -93.30), (44.95, -93.10)  # cells some 16 km apart
    pings = [
        Ping(ping_id=f"a{i}", t=t0 + timedelta(minutes=2 + i), lat=east[0], lon=east[1], acc=5, src=PingSource.GPS)
        for i in range(4)
    ]
    pings += [
        Ping(ping_id=f"z{i}", t=t0 + timedelta(minutes=i), lat=west[0], lon=west[1], acc=5, src=PingSource.GPS)
        for i in range(3)
    ]
    store.add("acc-a", "acc-a-m1", pings)
    store.fail_at = ("delete", 3)  # two of the four eastern pings are gone when it crashes
    with pytest.raises(Crash):
        run_coarsening(store=store, privacy=privacy, accounts=accounts, clock=clock, policy=POLICY, max_pings=10**6)
    run_coarsening(store=store, privacy=privacy, accounts=accounts, clock=clock, policy=POLICY, max_pings=10**6)
    (point,) = store.day_pings(account_id="acc-a", user_id="acc-a-m1", day=day)
    assert coarse_cell(point.lat, point.lon).geohash == coarse_cell(*east).geohash


def test_track_answers_name_the_coarse_days() -> None:
    from core.domain.tracking import Track
    from core.domain.tracking_formats import to_geojson, to_gpx

    day = date(2026, 4, 1)
    start = datetime(2026, 4, 1, tzinfo=UTC)
    coarse = Ping(
        ping_id="coarse-0900", t=start + timedelta(hours=9), lat=44.97, lon=-93.26, acc=3400, src=PingSource.GPS
    )
    precise = day_of_pings(day + timedelta(days=1), 3)[0]
    track = Track(
        user_id="u",
        range_from=start,
        range_to=start + timedelta(days=2),
        points=[coarse, precise],
        raw_count=2,
        coarse_days=[day],
    )
    doc = to_geojson(track)
    assert doc["coarseDays"] == ["2026-04-01"]
    flags = {
        f["properties"]["id"]: f["properties"].get("coarse")
        for f in doc["features"]
        if f["properties"]["kind"] == "ping"
    }
    assert flags == {"coarse-0900": True, precise.ping_id: None}
    assert "coarse days: 2026-04-01" in to_gpx(track)
    assert to_geojson(track.model_copy(update={"coarse_days": []}))["coarseDays"] == []
