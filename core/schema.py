"""The storage layout the code relies on: one source of truth for provisioning scripts, infra and tests."""

from __future__ import annotations

from dataclasses import dataclass, field

# Expiry by the store (docs/privacy-and-retention.md): -1 turns time-to-live on without a container default, so only
# items that carry a positive `ttl` of their own expire (core/domain/expiry.py). Without it Cosmos DB ignores `ttl`.
EXPIRY_BY_ITEM = -1


@dataclass(frozen=True)
class ContainerSpec:
    name: str
    partition_key: str
    default_ttl: int | None = None
    included_paths: tuple[str, ...] = ("/*",)
    excluded_paths: tuple[str, ...] = ('/"_etag"/?',)
    purpose: str = ""

    def indexing_policy(self) -> dict[str, object]:
        return {
            "indexingMode": "consistent",
            "automatic": True,
            "includedPaths": [{"path": p} for p in self.included_paths],
            "excludedPaths": [{"path": p} for p in self.excluded_paths],
        }


# The arrays of a member's evaluated day, in both of its parts (`site-day`: events, closed visits, final stops and
# trips; `site-day-open`: open visits, stops and trips still open, the sites inside at its end and the open state)
# are read whole by id or with the day, never queried on: not indexed (the open part is written once per flush;
# every indexed path costs request units on each write).
SITE_DAY_UNINDEXED = ("/events/*", "/visits/*", "/stops/*", "/trips/*", "/inside_at_end/*", "/open/*")
ACCOUNTS = ContainerSpec(
    name="accounts",
    default_ttl=EXPIRY_BY_ITEM,
    partition_key="/accountId",
    excluded_paths=('/"_etag"/?', *SITE_DAY_UNINDEXED),
    purpose="Account, its members' profiles, invitations and account events; one partition per account.",
)
# Job sites (docs/job-sites.md) live in ACCOUNTS too: docTypes `job-site`, `job-site-cell` (one per geohash cell a
# site reaches), `site-day` and `site-day-open` (the settled and open parts of a member's evaluated local day).
USERS = ContainerSpec(
    name="users",
    default_ttl=EXPIRY_BY_ITEM,
    partition_key="/userId",
    purpose="Sign-in record per user (account, role, status) and per-user data; one partition per user.",
)

# Device tokens (docs/devices.md) also live in USERS: docType `device` (id `device-{deviceId}`) in the member's
# partition, and docType `device-token` whose id and partition (`userId`) are both `device-token-{sha256 of the
# token}`, so authentication finds a token's device with one point read and no query.

PRIVACY = ContainerSpec(
    name="privacy",
    default_ttl=EXPIRY_BY_ITEM,
    partition_key="/accountId",
    purpose="Retention settings, legal holds, purge runs and cursors, closure records, data requests and the privacy"
    " audit trail; one partition per account (platform-wide records use the partition '_platform').",
)

# Location tracking (docs/tracking.md). Consent entries and tracking schedules live in USERS (docTypes `consent`,
# `tracking-schedule`). Each container indexes only the paths its queries use.
PINGS = ContainerSpec(
    name="pings",
    default_ttl=EXPIRY_BY_ITEM,
    partition_key="/pk",
    included_paths=("/pk/?", "/t/?"),
    excluded_paths=("/*",),
    purpose="Location pings; one partition per worker per UTC day (pk = accountId|userId|yyyy-mm-dd), id = ping id.",
)
LATEST_POSITIONS = ContainerSpec(
    name="latest-positions",
    default_ttl=EXPIRY_BY_ITEM,
    partition_key="/accountId",
    included_paths=("/accountId/?", "/t/?"),
    excluded_paths=("/*",),
    purpose="Each member's latest position (id = userId), moved forward only; one partition per account.",
)
ACCESS_LOG = ContainerSpec(
    name="access-log",
    default_ttl=EXPIRY_BY_ITEM,
    partition_key="/accountId",
    included_paths=("/docType/?", "/subject_user_ids/[]/?", "/at/?"),
    excluded_paths=("/*",),
    purpose="Reads of a worker's location, photos and notes by someone else; one partition per account.",
)

# E-mail and policy versions (docs/email-and-policy.md). Per-user e-mail state lives in USERS (docTypes
# `email-status`, `email-preferences`, `policy-ack`).
OUTBOX = ContainerSpec(
    name="outbox",
    default_ttl=EXPIRY_BY_ITEM,
    partition_key="/outboxId",
    purpose="E-mail outbox: one document per e-mail to send (id = outboxId = partition), its state and tracking.",
)
POLICY = ContainerSpec(
    name="policy",
    partition_key="/policyId",
    purpose="Privacy policy versions (immutable once posted); one partition per policy ('privacy').",
)

CONTAINERS: tuple[ContainerSpec, ...] = (ACCOUNTS, USERS, PRIVACY, PINGS, LATEST_POSITIONS, ACCESS_LOG)
CONTAINERS += (OUTBOX, POLICY)  # e-mail and policy versions

# Photos and notes (docs/photos-and-notes.md): docTypes `photo` (id photo-{photoId}) and `note` (id note-{noteId}).
MEDIA = ContainerSpec(
    name="media",
    partition_key="/accountId",
    included_paths=("/docType/?", "/user_id/?", "/sort_at/?", "/created_at/?", "/status/?"),
    excluded_paths=("/*",),
    purpose="Photo metadata and notes; one partition per account. sort_at = capture time (photos) or creation"
    " time (notes), UTC, fixed width, for range queries.",
)
CONTAINERS += (MEDIA,)  # photos and notes

# Billing (docs/billing.md): docTypes `billing` (the account's record and status history) and `stripe-event`
# (Stripe events applied); partition `_platform` holds `grace-marker` docs (accounts in past_due) for the timer.
BILLING = ContainerSpec(
    name="billing",
    partition_key="/accountId",
    purpose="Each account's Stripe customer and subscription ids, billing status with its history, and the Stripe"
    " events applied; one partition per account (grace markers in '_platform').",
)
CONTAINERS += (BILLING,)  # billing

# Optional analytics (docs/privacy-signals.md): docType `page-view`, id = a random view id.
PAGE_VIEWS = ContainerSpec(
    name="page-views",
    default_ttl=EXPIRY_BY_ITEM,
    partition_key="/day",
    purpose="Optional analytics' page views (only with consent, never under Global Privacy Control): UTC day, time,"
    " path, browser and OS family, truncated network, and for a signed-in person their ids; one partition per day.",
)
CONTAINERS += (PAGE_VIEWS,)  # optional analytics


# Abuse limits (docs/abuse-limits.md): counters that delete themselves. defaultTtl -1: no container-wide expiry, but
# each document's own `ttl` is honoured. Point operations only, so nothing is indexed.
RATE_LIMITS = ContainerSpec(
    name="rate-limits",
    partition_key="/id",
    default_ttl=-1,
    included_paths=(),
    excluded_paths=("/*",),
    purpose="Abuse-limit counters: one document per policy, window and subject digest (no subject kept), deleted"
    " by Cosmos DB after its window (ttl).",
)
CONTAINERS += (RATE_LIMITS,)  # abuse limits


@dataclass(frozen=True)
class QueueSpec:
    setting: str
    default_name: str
    purpose: str = ""
    poison: bool = field(default=True)


ACCOUNT_EVENTS_QUEUE = QueueSpec(
    setting="QUEUE_ACCOUNT_EVENTS",
    default_name="account-events",
    purpose="Membership changes (joined, removed) processed after the HTTP call answered.",
)

DATA_REQUESTS_QUEUE = QueueSpec(
    setting="QUEUE_DATA_REQUESTS",
    default_name="data-requests",
    purpose="Data-subject requests (export, erasure) processed after the HTTP call answered.",
)

LOCATION_PINGS_QUEUE = QueueSpec(
    setting="QUEUE_LOCATION_PINGS",
    default_name="location-pings",
    purpose="Accepted location pings (compact batches under 64 KB) on their way to the pings writer.",
)

EMAIL_OUTBOX_QUEUE = QueueSpec(
    setting="QUEUE_EMAIL_OUTBOX",
    default_name="email-outbox",
    purpose="Outbox ids of e-mails to send; the sender sends each outbox entry at most once.",
)

QUEUES: tuple[QueueSpec, ...] = (ACCOUNT_EVENTS_QUEUE, DATA_REQUESTS_QUEUE, LOCATION_PINGS_QUEUE)
QUEUES += (EMAIL_OUTBOX_QUEUE,)  # e-mail outbox

PHOTO_UPLOADS_QUEUE = QueueSpec(
    setting="QUEUE_PHOTO_UPLOADS",
    default_name="photo-uploads",
    purpose="Photos to verify: the app's /complete call and, in Azure, Event Grid BlobCreated events of the"
    " quarantine container.",
)
QUEUES += (PHOTO_UPLOADS_QUEUE,)  # photos and notes

BILLING_EVENTS_QUEUE = QueueSpec(
    setting="QUEUE_BILLING_EVENTS",
    default_name="billing-events",
    purpose="Account events (registered, member joined or removed) forwarded for billing: Stripe customer,"
    " subscription and seats.",
)
QUEUES += (BILLING_EVENTS_QUEUE,)  # billing

EXPORTS_BLOB_CONTAINER = "exports"  # private: data-request ZIPs, reached only through short-lived read-only links

BLOB_CONTAINERS: tuple[str, ...] = (EXPORTS_BLOB_CONTAINER,)

# Photos (docs/photos-and-notes.md), both private. Uploads land in quarantine through a create-only SAS; only a
# verified photo is copied to `photos` (original, thumbnail, display copy). Names: {accountId}/{userId}/{photoId}/...
PHOTO_QUARANTINE_BLOB_CONTAINER = "photo-quarantine"
PHOTOS_BLOB_CONTAINER = "photos"
BLOB_CONTAINERS += (PHOTO_QUARANTINE_BLOB_CONTAINER, PHOTOS_BLOB_CONTAINER)


def poison_queue_name(queue_name: str) -> str:
    return f"{queue_name}-poison"
