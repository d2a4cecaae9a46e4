"""OwnTracks: the member's job sites go back in the ingest answer as a `setWaypoints` command, only when they
changed since the device last received them (docs/devices.md, docs/job-sites.md)."""

from __future__ import annotations

import math
from datetime import timedelta

from core.domain.device_protocols import MAX_WAYPOINTS, ParsedPings, owntracks_waypoints, parse_owntracks
from core.domain.devices import AppProtocol
from core.domain.job_sites import JobSite, PolygonArea
from core.services import devices
from core.services.retention import RetentionPolicy
from tests.unit.test_devices_service import World
from tests.unit.test_site_visits import T0, circle_site, offset


class MemberSites:
    def __init__(self, sites: list[JobSite]) -> None:
        self.sites = sites
        self.queries = 0

    def sites_for_member(self, account_id: str, user_id: str) -> list[JobSite]:
        self.queries += 1
        return [s for s in self.sites if s.account_id == account_id and s.applies_to(user_id)]


def send(w: World, device: tuple[str, str], sites: MemberSites, body: object | None = None) -> list[dict]:  # type: ignore[type-arg]  # OwnTracks commands are free-form JSON objects
    caller = w.auth(query=device[1])
    parsed = parse_owntracks(body, device[0]) if body is not None else ParsedPings(ignored=1)
    done = devices.ingest_from_device(
        caller=caller,
        parsed=parsed,
        protocol=AppProtocol.OWNTRACKS,
        devices=w.devices,
        job_sites=sites,  # type: ignore[arg-type]  # the member's sites fake implements only the JobSiteStore reads ingest uses
        ingest_gate=w.gate.keeper,
        retention_policy=RetentionPolicy(),
        ping_queue=w.queue,
        clock=w.clock,
        future_skew=timedelta(minutes=5),
    )
    return done.commands


def square(site_id: str) -> JobSite:
    corners = [offset(x, y) for x, y in [(0, 0), (300, 0), (300, 400), (0, 400)]]
    ring = [[lon, lat] for lat, lon in [*corners, corners[0]]]
    area = PolygonArea.model_validate({"kind": "polygon", "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return JobSite(site_id=site_id, account_id="a1", name="Yard", area=area, created_at=T0, updated_at=T0)


def test_the_command_is_owntracks_json_with_one_region_per_site() -> None:
    yard = square("s2")
    command = owntracks_waypoints([circle_site("s1", radius=120), yard])
    assert command is not None and command["_type"] == "cmd" and command["action"] == "setWaypoints"
    assert command["waypoints"]["_type"] == "waypoints"
    first, second = command["waypoints"]["waypoints"]
    assert first == {
        "_type": "waypoint",
        "rid": "s1",
        "desc": "s1",
        "lat": round(offset(0, 0)[0], 6),
        "lon": round(offset(0, 0)[1], 6),
        "rad": 120,
        "tst": int(T0.timestamp()),
    }
    assert second["rid"] == "s2" and second["tst"] == first["tst"] + 1  # same creation second: still unique keys
    assert second["rad"] == math.ceil(math.hypot(150, 200))  # a polygon as the circle holding it (farthest corner)
    assert owntracks_waypoints([]) is None
    many = [circle_site(f"s{i:03}", dx=1000.0 * i) for i in range(MAX_WAYPOINTS + 20)]
    capped = owntracks_waypoints(many, near=offset(119_000, 0))
    assert capped is not None and len(capped["waypoints"]["waypoints"]) == MAX_WAYPOINTS
    assert "s119" in {w["rid"] for w in capped["waypoints"]["waypoints"]}  # the nearest ones
    assert "s000" not in {w["rid"] for w in capped["waypoints"]["waypoints"]}


def test_changed_sites_are_sent_once_and_unchanged_ones_not_at_all() -> None:
    w = World()
    device = w.make()
    sites = MemberSites([circle_site("s1"), circle_site("s9", assigned=["someone-else"])])
    [command] = send(w, device, sites)
    assert [p["rid"] for p in command["waypoints"]["waypoints"]] == ["s1"]  # only the sites that apply
    assert send(w, device, sites) == []  # unchanged: nothing
    location = {"_type": "location", "lat": 41.88, "lon": -87.63, "tst": int(w.clock.now().timestamp()), "acc": 5}
    assert send(w, device, sites, location) == []
    sites.sites[0] = sites.sites[0].model_copy(update={"name": "Depot"})  # the owner renamed the site
    [command] = send(w, device, sites, location)
    assert command["waypoints"]["waypoints"][0]["desc"] == "Depot"
    assert send(w, device, sites) == []
    other = w.make(name="Second phone")  # another device of the same member has received nothing yet
    assert len(send(w, other, sites)) == 1 and send(w, device, sites) == []
    nothing = MemberSites([])
    fresh = w.make(name="Third phone")
    assert send(w, fresh, nothing) == []  # no sites: no command
