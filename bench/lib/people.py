"""The people of the benchmarks: identities signed by the dev issuer, an account opened over the API with members
who accepted their invitation and granted the location consent, workers walking a plausible route, and accounts
seeded straight into Cosmos DB (no API call) for the read-side benchmarks."""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from core.domain.accounts import Account

BATCH_OPS = 100  # operations per Cosmos DB transactional batch (the service's limit)


@dataclass
class Identity:
    user_id: str
    email: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def identity(prefix: str, *, minutes: int = 60) -> Identity:
    """A new user `<prefix>-<random>` with a dev-issuer token valid for `minutes`."""
    from scripts import dev_issuer

    user_id = f"{prefix}-{uuid.uuid4().hex[:12]}"
    email = f"{user_id}@example.com"
    return Identity(user_id, email, dev_issuer.mint(user_id, email, minutes=minutes))


def open_account(
    client: httpx.Client, owner: Identity, *, company: str = "Bench Co", owner_name: str = "Bench Owner"
) -> str:
    """Sign `owner` up with a new account (POST /accounts); answers its id."""
    body = {
        "fullLegalName": owner_name,
        "companyName": company,
        "email": owner.email,
        "timeZone": "UTC",
        "dateOfBirth": "1980-01-01",
        "billingAddress": {"line1": "1 Main St", "city": "Plymouth", "postalCode": "55441", "country": "US"},
    }
    r = client.post("/accounts", json=body, headers=owner.auth)
    r.raise_for_status()
    return str(r.json()["account"]["accountId"])


def add_member(
    client: httpx.Client, account_id: str, owner: Identity, member: Identity, *, device_id: str, app_version: str
) -> None:
    """The owner invites `member`, who accepts and grants the location consent from that device."""
    r = client.post(f"/accounts/{account_id}/invitations", json={"email": member.email}, headers=owner.auth)
    r.raise_for_status()
    client.post(f"/invitations/{r.json()['token']}/accept", json={}, headers=member.auth).raise_for_status()
    client.put(
        "/me/consents/location",
        json={"granted": True, "deviceId": device_id, "appVersion": app_version},
        headers=member.auth,
    ).raise_for_status()


# ---------------------------------------------------------------- workers and routes


class Route:
    """A plausible field day: walking, driving and standing still, with GPS/Wi-Fi/fused fixes of varying accuracy."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lat = 44.95 + rng.uniform(-0.1, 0.1)
        self.lon = -93.2 + rng.uniform(-0.1, 0.1)
        self.heading = rng.uniform(0, 360)
        self.mode, self.left = "walk", 0
        self.battery = rng.uniform(40, 100)
        self.last_t: datetime | None = None  # the newest ping time sent on this route (route_pings)

    def step(self, seconds: float = 10.0) -> dict[str, Any]:
        if self.left <= 0:
            self.mode = self.rng.choice(["walk", "drive", "drive", "stay"])
            self.left = self.rng.randint(6, 40)
        self.left -= 1
        speed = {"walk": 1.4, "drive": 13.0, "stay": 0.0}[self.mode] * self.rng.uniform(0.7, 1.2)
        self.heading = (self.heading + self.rng.gauss(0, 12)) % 360
        metres = speed * seconds
        self.lat += metres * math.cos(math.radians(self.heading)) / 111_320
        self.lon += metres * math.sin(math.radians(self.heading)) / (111_320 * math.cos(math.radians(self.lat)))
        self.battery = max(5.0, self.battery - 0.01)
        source = self.rng.choices(["gps", "fused", "wifi", "cell"], [6, 3, 2, 1])[0]
        accuracy = {"gps": 5, "fused": 10, "wifi": 30, "cell": 400}[source] * self.rng.uniform(0.6, 1.6)
        jitter = accuracy / 111_320 * 0.3
        return {
            "latitude": round(self.lat + self.rng.gauss(0, jitter), 7),
            "longitude": round(self.lon + self.rng.gauss(0, jitter), 7),
            "horizontalAccuracy": round(accuracy, 1),
            "altitude": round(260 + self.rng.gauss(0, 3), 1),
            "speed": round(speed, 2),
            "heading": round(self.heading, 1),
            "batteryLevel": round(self.battery),
            "source": source,
        }


@dataclass
class Worker(Identity):
    route: Route


def iso(t: datetime) -> str:
    """RFC 3339 in UTC with milliseconds and a Z, as the phones send it."""
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def route_pings(route: Route, device_id: str, count: int, *, apart_ms: int) -> list[dict[str, Any]]:
    """`count` API pings along the route ending now, `apart_ms` apart in time while the route advances 10 s per
    ping (a compressed field day). A phone's pings never go back in time: when the route's previous call reaches
    into that span (calls closer than `count` x `apart_ms`), the pings are spread over the time since its newest
    ping instead, at least 1 ms apart (issue 31: overlapping calls made every flush a late ping that re-evaluated
    the member's whole day in the writer, a cost no phone causes)."""
    now = datetime.now(UTC)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # as sent: milliseconds
    times = [now - timedelta(milliseconds=apart_ms * (count - i)) for i in range(count)]
    last = route.last_t
    if last is not None and times[0] <= last:
        step = max(timedelta(milliseconds=1), (now - last) / (count + 1))
        step = timedelta(milliseconds=max(1, int(step.total_seconds() * 1000)))
        times = [last + step * (i + 1) for i in range(count)]
    route.last_t = times[-1]
    return [{"id": str(uuid.uuid4()), "timestamp": iso(t), **route.step(), "deviceId": device_id} for t in times]


def setup_workers(client: httpx.Client, n: int, rng: random.Random) -> tuple[Worker, list[Worker], str]:
    """Over the API: an owner's account and `n` consenting members, each on a route: (owner, workers, account id)."""
    me = identity("bench")
    owner = Worker(me.user_id, me.email, me.token, Route(rng))
    account_id = open_account(client, owner)
    workers = []
    for _ in range(n):
        me = identity("bench")
        worker = Worker(me.user_id, me.email, me.token, Route(rng))
        add_member(client, account_id, owner, worker, device_id=f"dev-{worker.user_id}", app_version="5.0.0")
        workers.append(worker)
    return owner, workers, account_id


# ---------------------------------------------------------------- seeded straight into Cosmos DB


def bare_account(
    account_id: str, created_at: datetime, *, owner_user_id: str = "bench", time_zone: str = "UTC", closed: bool = False
) -> Account:
    """An account as the store-level benchmarks seed it: no company name, a placeholder address; `closed`: closed
    at `created_at`."""
    from core.domain.accounts import Account, AccountStatus, BillingAddress

    return Account(
        account_id=account_id,
        owner_user_id=owner_user_id,
        company_name=None,
        billing_address=BillingAddress(line1="1", city="c", postal_code="1", country="US"),
        time_zone=time_zone,
        created_at=created_at,
        status=AccountStatus.CLOSED if closed else AccountStatus.ACTIVE,
        closed_at=created_at if closed else None,
    )


def put_store_members(container: Any, account_id: str, users: list[str], *, time_zone: str, now: datetime) -> None:
    """Members put straight into the store (the writer benchmarks), each with its ingest gate built as the ingest
    call builds it before any of the member's pings reaches the queue (when the build has the ingest gate)."""
    from core.domain.accounts import Member
    from core.domain.identity import Role

    for user_id in users:
        container.accounts.put_member(
            Member(
                account_id=account_id,
                user_id=user_id,
                role=Role.MEMBER,
                full_name="Worker",
                email=f"{user_id}@example.com",
                time_zone=time_zone,
                joined_at=now,
                updated_at=now,
            )
        )
    gate = getattr(container, "ingest_gate", None)
    for user_id in users:
        if gate is not None:
            gate.facts_for_ingest(account_id=account_id, user_id=user_id)


def write_in_batches(container: Any, pk: str, docs: list[dict[str, Any]]) -> None:
    """Create the documents of one partition, BATCH_OPS per transactional batch."""
    for start in range(0, len(docs), BATCH_OPS):
        container.execute_item_batch(
            batch_operations=[("create", (d,)) for d in docs[start : start + BATCH_OPS]], partition_key=pk
        )


def seed_account(db: Any, members: int, tag: str = "growth") -> tuple[str, dict[str, str], list[str]]:
    """An account with `members` members, each with a latest position, written straight to Cosmos DB:
    (account id, the owner's auth header, [owner id, member ids...])."""
    from core import schema
    from core.adapters.cosmos import CosmosAccountStore, CosmosUserStore, to_doc
    from core.domain.accounts import Account, BillingAddress, Member, UserRecord
    from core.domain.identity import Role
    from scripts import dev_issuer

    now = datetime.now(UTC)
    account_id = f"bench-{tag}-{uuid.uuid4().hex[:8]}"
    owner_id = f"bench-owner-{uuid.uuid4().hex[:8]}"
    accounts, users = CosmosAccountStore(db), CosmosUserStore(db)
    accounts.put_account(
        Account(
            account_id=account_id,
            owner_user_id=owner_id,
            company_name="Growth Co",
            billing_address=BillingAddress(line1="1 Main", city="Plymouth", postal_code="55441", country="US"),
            time_zone="UTC",
            created_at=now,
        )
    )
    users.create_user(UserRecord(user_id=owner_id, account_id=account_id, role=Role.OWNER, created_at=now))
    owner_auth = {"Authorization": f"Bearer {dev_issuer.mint(owner_id, f'{owner_id}@example.com')}"}
    member_ids = [owner_id] + [f"bench-m-{i:04d}-{uuid.uuid4().hex[:6]}" for i in range(members)]
    docs = [
        to_doc(
            Member(
                account_id=account_id,
                user_id=u,
                role=Role.OWNER if u == owner_id else Role.MEMBER,
                full_name=f"Worker {i}",
                email=f"{u}@example.com",
                time_zone="UTC",
                joined_at=now,
                updated_at=now,
            ),
            doc_id=f"member-{u}",
            doc_type="member",
            accountId=account_id,
        )
        for i, u in enumerate(member_ids)
    ]
    write_in_batches(db.get_container_client(schema.ACCOUNTS.name), account_id, docs)
    rng = random.Random(7)
    latest = [
        {
            "id": u,
            "accountId": account_id,
            "docType": "latest-position",
            "user_id": u,
            "ping_id": str(uuid.uuid4()),
            "t": int((now - timedelta(seconds=rng.randint(5, 3600))).timestamp() * 1000),
            "lat": 44.9 + rng.random() / 10,
            "lon": -93.2 + rng.random() / 10,
            "acc": 8.0,
            "src": "gps",
            "updated_at": now.isoformat(),
        }
        for u in member_ids[1:]
    ]
    write_in_batches(db.get_container_client(schema.LATEST_POSITIONS.name), account_id, latest)
    return account_id, owner_auth, member_ids
