"""Device tokens: shown once and stored as a hash, accepted as Basic, Bearer or ?token=, refused once revoked, for
a removed member or a closed account; pings from an app go through the ingest use case and are counted."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import pytest

from core.domain.accounts import Account, BillingAddress, Member, MemberStatus, UserRecord
from core.domain.billing import BillingRecord, BillingStatus
from core.domain.consent import ConsentUpdate
from core.domain.device_protocols import ParsedPings, parse_overland, parse_traccar_params
from core.domain.devices import (
    TOKEN_PREFIX,
    AccountDeviceList,
    AccountDeviceQuery,
    AppProtocol,
    DeviceCreate,
    token_hash,
)
from core.domain.errors import (
    AccessEnded,
    AccountSuspended,
    Conflict,
    Forbidden,
    NotFound,
    Unauthenticated,
    ValidationFailed,
)
from core.domain.identity import Principal, Role
from core.domain.job_sites import JobSite
from core.services import consent, device_auth, devices
from core.services.retention import RetentionPolicy
from tests.unit.fakes import FakeAccountStore, FakeClock, FakeUserStore
from tests.unit.fakes_devices import FakeDeviceStore
from tests.unit.fakes_member_rows import FakeMemberRows
from tests.unit.fakes_paging import page_tokens
from tests.unit.fakes_tracking import FakeIngestGate, FakeLatestPositions, FakePingQueue

if TYPE_CHECKING:
    from core.ports import JobSiteStore

AT = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
OWNER = Principal(user_id="o1", email="o1@example.com", account_id="a1", role=Role.OWNER)
WORKER = Principal(user_id="u1", email="u1@example.com", account_id="a1", role=Role.MEMBER)
OTHER_OWNER = Principal(user_id="o2", email="o2@example.com", account_id="a2", role=Role.OWNER)


class World:
    def __init__(self) -> None:
        self.clock = FakeClock(AT)
        self.accounts, self.users, self.devices = FakeAccountStore(), FakeUserStore(), FakeDeviceStore()
        for account_id, owner in (("a1", "o1"), ("a2", "o2")):
            self.accounts.put_account(
                Account(
                    account_id=account_id,
                    owner_user_id=owner,
                    company_name="Co",
                    time_zone="UTC",
                    billing_address=BillingAddress(line1="1 Main", city="X", postal_code="55441", country="US"),
                    created_at=AT - timedelta(days=100),
                )
            )
        for p in (OWNER, WORKER, OTHER_OWNER):
            self.users.put_user(UserRecord(user_id=p.user_id, account_id=p.account_id, role=p.role, created_at=AT))
            self.accounts.put_member(
                Member(
                    account_id=p.account_id,
                    user_id=p.user_id,
                    role=p.role,
                    full_name="N",
                    email=p.email or "",
                    time_zone="UTC",
                    joined_at=AT,
                    updated_at=AT,
                )
            )
        self.queue = FakePingQueue()
        # The ingest gate over in-memory sources, as in production: consents and billing records are written
        # through `gate.consents` and `gate.billing` (the root's stores), and every ingest reads `gate.keeper`.
        self.gate = FakeIngestGate(accounts=self.accounts, clock=self.clock)
        self.member_rows = FakeMemberRows(self.accounts, self.gate.store, FakeLatestPositions())

    def make(self, who: Principal = WORKER, name: str = "Pixel") -> tuple[str, str]:
        created = devices.create_device(
            principal=who, data=DeviceCreate(name=name), devices=self.devices, clock=self.clock
        )
        return created.device_id, created.token

    def account_devices(
        self, who: Principal, account_id: str, limit: int = 100, continuation: str | None = None
    ) -> AccountDeviceList:
        return devices.list_account_devices(
            principal=who,
            account_id=account_id,
            query=AccountDeviceQuery(limit=limit, continuation=continuation),
            devices=self.devices,
            member_rows=self.member_rows,
            page_tokens=page_tokens(),
        )

    def auth(self, authorization: str | None = None, query: str | None = None) -> device_auth.DeviceCaller:
        return device_auth.authenticate(
            authorization=authorization, query_token=query, devices=self.devices, users=self.users
        )

    def ingest(self, caller: device_auth.DeviceCaller, parsed: ParsedPings) -> None:
        devices.ingest_from_device(
            caller=caller,
            parsed=parsed,
            protocol=AppProtocol.OVERLAND,
            devices=self.devices,
            job_sites=cast("JobSiteStore", NoJobSites()),  # a partial fake: the one read ingest makes
            ingest_gate=self.gate.keeper,
            retention_policy=RetentionPolicy(),
            ping_queue=self.queue,
            clock=self.clock,
            future_skew=timedelta(minutes=5),
        )


class NoJobSites:
    """The job sites of an account without any (only the OwnTracks answer reads them)."""

    def sites_for_member(self, account_id: str, user_id: str) -> list[JobSite]:
        return []


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_token_is_shown_once_long_enough_and_stored_only_as_a_hash() -> None:
    w = World()
    device_id, token = w.make()
    assert token.startswith(TOKEN_PREFIX) and len(token) - len(TOKEN_PREFIX) >= 43  # 32 bytes base64url: 256 bits
    stored = w.devices.get(user_id="u1", device_id=device_id)
    assert stored is not None and stored.token_hash == token_hash(token)
    assert token not in stored.model_dump_json() and token not in str(w.devices.lookups)
    listed = devices.list_my_devices(principal=WORKER, devices=w.devices).model_dump(by_alias=True)
    assert "token" not in str(listed) and listed["items"][0]["deviceId"] == device_id
    assert w.make()[1] != token


@pytest.mark.parametrize("form", ["basic", "bearer", "query"])
def test_each_form_of_the_token_finds_its_member(form: str) -> None:
    w = World()
    device_id, token = w.make()
    caller = {
        "basic": lambda: w.auth(basic(device_id, token)),
        "bearer": lambda: w.auth(f"Bearer {token}"),
        "query": lambda: w.auth(query=token),
    }[form]()
    assert (caller.principal.user_id, caller.principal.account_id, caller.device_id) == ("u1", "a1", device_id)


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Basic !!!", "Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig", "Digest x", "Bearer itd_not-a-real-token"],
)
def test_anything_but_a_valid_device_token_is_401(authorization: str | None) -> None:
    w = World()
    w.make()
    with pytest.raises(Unauthenticated):
        w.auth(authorization)


def test_basic_user_name_must_be_the_device_id() -> None:
    w = World()
    device_id, token = w.make()
    other_id, _ = w.make()
    with pytest.raises(Unauthenticated):
        w.auth(basic(other_id, token))
    assert w.auth(basic(device_id, token)).device_id == device_id


def test_revoked_token_is_refused_on_the_next_call_and_others_keep_working() -> None:
    w = World()
    device_id, token = w.make()
    _, second = w.make()
    devices.revoke_my_device(principal=WORKER, device_id=device_id, devices=w.devices, clock=w.clock)
    with pytest.raises(Unauthenticated):
        w.auth(f"Bearer {token}")
    assert w.auth(f"Bearer {second}").principal.user_id == "u1"
    listed = devices.list_my_devices(principal=WORKER, devices=w.devices).items
    assert [d.revoked_at is not None for d in listed] == [True, False]


@pytest.mark.parametrize("status", [MemberStatus.REMOVED, MemberStatus.CLOSED])
def test_removed_member_or_closed_account_ends_every_token(status: MemberStatus) -> None:
    w = World()
    tokens = [w.make()[1] for _ in range(3)]
    record = w.users.get_user("u1")
    assert record is not None
    w.users.put_user(record.model_copy(update={"status": status}))
    for token in tokens:
        with pytest.raises(AccessEnded):
            w.auth(f"Bearer {token}")


def test_owner_lists_and_revokes_members_devices_only_in_their_account() -> None:
    w = World()
    device_id, token = w.make()
    w.make(OTHER_OWNER)
    listed = w.account_devices(OWNER, "a1")
    assert [(d.device_id, d.member_name) for d in listed.items] == [(device_id, "N")]
    with pytest.raises(NotFound):
        w.account_devices(OTHER_OWNER, "a1")
    with pytest.raises(Forbidden):
        w.account_devices(WORKER, "a1")
    for who, account, user in ((OTHER_OWNER, "a2", "u1"), (OTHER_OWNER, "a1", "u1"), (OWNER, "a1", "o2")):
        with pytest.raises((NotFound, Forbidden)):
            devices.revoke_member_device(
                principal=who,
                account_id=account,
                user_id=user,
                device_id=device_id,
                accounts=w.accounts,
                devices=w.devices,
                clock=w.clock,
            )
    assert w.auth(f"Bearer {token}").device_id == device_id
    devices.revoke_member_device(
        principal=OWNER,
        account_id="a1",
        user_id="u1",
        device_id=device_id,
        accounts=w.accounts,
        devices=w.devices,
        clock=w.clock,
    )
    with pytest.raises(Unauthenticated):
        w.auth(f"Bearer {token}")


def test_another_members_device_id_answers_404() -> None:
    w = World()
    device_id, _ = w.make()
    with pytest.raises(NotFound):
        devices.revoke_my_device(principal=OWNER, device_id=device_id, devices=w.devices, clock=w.clock)


def test_device_limit() -> None:
    w = World()
    for _ in range(20):
        w.make()
    with pytest.raises(Conflict):
        w.make()


def test_pings_without_consent_are_dropped_and_counted_with_consent_queued() -> None:
    w = World()
    device_id, token = w.make()
    caller = w.auth(f"Bearer {token}")
    t = AT - timedelta(minutes=10)
    feats: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [2.0, 1.0 + i / 1000]},
            "properties": {"timestamp": (t + timedelta(seconds=i)).isoformat(), "horizontal_accuracy": 5},
        }
        for i in range(3)
    ]
    batch = parse_overland({"locations": [*feats, {"bad": 1}]}, device_id)
    w.ingest(caller, batch)
    assert w.queue.messages == []
    consent.set_consent(
        principal=WORKER,
        capability="location",
        data=ConsentUpdate(granted=True, device_id=device_id, app_version="overland"),
        consents=w.gate.consents,
        reactions=w.gate.reactions,
        clock=w.clock,
        policy_version="2023-06-15",
    )
    w.clock.advance(seconds=1)
    later = parse_overland(
        {
            "locations": [
                {**f, "properties": {**f["properties"], "timestamp": (AT + timedelta(seconds=i)).isoformat()}}
                for i, f in enumerate(feats)
            ]
        },
        device_id,
    )
    w.ingest(caller, later)
    assert len(w.queue.messages) == 1
    [shown] = devices.list_my_devices(principal=WORKER, devices=w.devices).items
    assert (shown.received, shown.stored, shown.dropped.no_consent, shown.dropped.rejected) == (7, 3, 3, 1)
    assert shown.last_seen_at == AT + timedelta(seconds=1) and shown.last_protocol is AppProtocol.OVERLAND


@pytest.mark.parametrize("parsed", [ParsedPings(ignored=1), None])
def test_a_suspended_account_is_refused_as_for_the_api(parsed: ParsedPings | None) -> None:
    w = World()
    device_id, token = w.make()
    w.gate.billing.create_if_absent(
        BillingRecord(
            account_id="a1",
            customer_id="cus_1",
            status=BillingStatus.SUSPENDED,
            status_since=AT,
            updated_at=AT,
            created_at=AT,
        )
    )
    batch = parsed or parse_overland(
        {
            "locations": [
                {
                    "type": "Feature",
                    "geometry": {"coordinates": [2.0, 1.0]},
                    "properties": {"timestamp": AT.isoformat()},
                }
            ]
        },
        device_id,
    )
    with pytest.raises(AccountSuspended):
        w.ingest(w.auth(f"Bearer {token}"), batch)
    assert w.queue.messages == []
    [shown] = devices.list_my_devices(principal=WORKER, devices=w.devices).items
    assert shown.received == 0


class CrashAfterMarking(FakeDeviceStore):
    """A store that dies between revocation's two writes: the device is marked revoked, the token's lookup stays
    (what a crash of the host between the upsert and the lookup's delete leaves in Cosmos DB)."""

    def __init__(self) -> None:
        super().__init__()
        self.crash = True

    def revoke(self, device: Any) -> None:
        self.devices[(device.user_id, device.device_id)] = device
        if self.crash:
            raise ConnectionError("host stopped between the two writes")
        self.lookups.pop(device.token_hash, None)


def test_a_revocation_cut_between_its_writes_already_refuses_the_token_and_a_retry_completes_it() -> None:
    """Issue 28: the token is refused on the next request even when its lookup survived a crash (this kills the
    mutant that drops `not device.active` in device_auth.authenticate), and revoking again finishes the job
    (the lookup goes) without changing when or by whom it was revoked."""
    w = World()
    w.devices = CrashAfterMarking()
    device_id, token = w.make()
    assert w.auth(f"Bearer {token}").device_id == device_id
    with pytest.raises(ConnectionError):
        devices.revoke_my_device(principal=WORKER, device_id=device_id, devices=w.devices, clock=w.clock)
    assert w.devices.lookup(token_hash(token)) is not None  # the crash left the lookup behind
    for form in (f"Bearer {token}", basic(device_id, token)):
        with pytest.raises(Unauthenticated):
            w.auth(form)
    with pytest.raises(Unauthenticated):
        w.auth(query=token)
    first = w.devices.get(user_id="u1", device_id=device_id)
    assert first is not None and first.revoked_at == AT
    w.devices.crash = False
    w.clock.advance(minutes=5)
    devices.revoke_my_device(principal=WORKER, device_id=device_id, devices=w.devices, clock=w.clock)
    assert w.devices.lookup(token_hash(token)) is None
    again = w.devices.get(user_id="u1", device_id=device_id)
    assert again is not None and (again.revoked_at, again.revoked_by) == (AT, "u1")
    with pytest.raises(Unauthenticated):
        w.auth(f"Bearer {token}")


def _grant(w: World, device_id: str) -> None:
    consent.set_consent(
        principal=WORKER,
        capability="location",
        data=ConsentUpdate(granted=True, device_id=device_id, app_version="traccar"),
        consents=w.gate.consents,
        reactions=w.gate.reactions,
        clock=w.clock,
        policy_version="2023-06-15",
    )
    w.clock.advance(seconds=1)


def test_a_heartbeat_moves_last_seen_and_battery_and_stores_no_ping() -> None:
    w = World()
    device_id, token = w.make()
    caller = w.auth(f"Bearer {token}")
    _grant(w, device_id)
    beat = parse_traccar_params({"id": "48241179", "timestamp": str(int(w.clock.now().timestamp())), "batt": "64"}, "d")
    w.ingest(caller, beat)
    assert w.queue.messages == []
    [shown] = devices.list_my_devices(principal=WORKER, devices=w.devices).items
    assert (shown.heartbeats, shown.received, shown.stored, shown.last_battery) == (1, 0, 0, 64)
    assert shown.last_seen_at == w.clock.now() and shown.last_battery_at == w.clock.now().replace(microsecond=0)


def test_a_heartbeat_without_consent_is_counted_but_its_battery_is_not_kept() -> None:
    w = World()
    _, token = w.make()
    w.ingest(w.auth(f"Bearer {token}"), parse_traccar_params({"batt": "64"}, "d"))
    [shown] = devices.list_my_devices(principal=WORKER, devices=w.devices).items
    assert (shown.heartbeats, shown.last_battery, shown.last_seen_at) == (1, None, AT)


def test_battery_comes_from_the_newest_stored_ping_and_drops_are_split_by_reason() -> None:
    w = World()
    device_id, token = w.make()
    caller = w.auth(f"Bearer {token}")
    _grant(w, device_id)
    now = w.clock.now()

    def fix(t: datetime, battery: float) -> dict[str, Any]:
        props = {"timestamp": t.isoformat(), "horizontal_accuracy": 5, "battery_level": battery}
        return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [2.0, 1.0]}, "properties": props}

    batch = [
        fix(now + timedelta(seconds=5), 0.40),  # the newest stored fix
        fix(now + timedelta(seconds=1), 0.90),
        fix(now + timedelta(hours=1), 0.10),  # in the future
        fix(now - timedelta(days=400), 0.20),  # older than retention
        {"type": "Feature", "geometry": None, "properties": {}},  # unreadable
    ]
    w.ingest(caller, parse_overland({"locations": batch}, device_id))
    [shown] = devices.list_my_devices(principal=WORKER, devices=w.devices).items
    assert (shown.received, shown.stored, shown.last_battery) == (5, 2, 40)
    d = shown.dropped
    assert (d.rejected, d.too_old, d.in_future, d.unreadable) == (3, 1, 1, 1)
    # an older battery arriving later does not move it back
    w.ingest(caller, parse_overland({"locations": [fix(now + timedelta(seconds=2), 0.95)]}, device_id))
    [shown] = devices.list_my_devices(principal=WORKER, devices=w.devices).items
    assert (shown.stored, shown.last_battery) == (3, 40)


def test_the_owners_list_is_paged_names_members_and_leaves_out_removed_ones() -> None:
    w = World()
    made = sorted(w.make(name=f"phone {i}")[0] for i in range(3))
    w.make(OTHER_OWNER)
    first = w.account_devices(OWNER, "a1", limit=2)
    assert [d.device_id for d in first.items] == made[:2] and first.continuation
    second = w.account_devices(OWNER, "a1", limit=2, continuation=first.continuation)
    assert [d.device_id for d in second.items] == made[2:] and second.continuation is None
    with pytest.raises(ValidationFailed):
        w.account_devices(OTHER_OWNER, "a2", continuation=first.continuation)  # a token of another list
    member = w.accounts.get_member("a1", "u1")
    assert member is not None
    w.accounts.put_member(member.model_copy(update={"status": MemberStatus.REMOVED}))
    assert w.account_devices(OWNER, "a1").items == []
    assert w.member_rows.calls.count("members_by_ids") == 3  # one bounded read per page answered (not the refused one)
