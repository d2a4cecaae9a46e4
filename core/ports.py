"""The interfaces services depend on. Adapters implement them; unit tests use fakes of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import IO, Any, Protocol

from core.domain.accounts import Account, AccountEvent, Invitation, Member, Units, UserRecord
from core.domain.billing import (
    BillingRecord,
    CustomerDetails,
    GraceMarker,
    ProcessedEvent,
    StripeCustomer,
    StripeInvoice,
    StripePaymentMethod,
    StripePlan,
    StripeSetupIntent,
    StripeSubscription,
)
from core.domain.coarse_history import CoarseDay, CoarseningCursor, CoarseningRun
from core.domain.consent import Capability, ConsentEntry
from core.domain.devices import AppProtocol, Device, DeviceCounters, DeviceTokenLookup
from core.domain.email import EmailPreferences, EmailStatus, OutboxEntry, OutgoingEmail, RenderedEmail
from core.domain.events import Change, Fact
from core.domain.expiry import ExpiryPlan
from core.domain.identity import Identity
from core.domain.images import Rejection, Verified
from core.domain.ingest_gate import GateDoc, GateRead
from core.domain.job_sites import JobSite
from core.domain.maps import MapToken
from core.domain.media import BlobInfo, Note, NoteSlice, Photo, PhotoContentType, PhotoJob, PhotoSlice, ScanVerdict
from core.domain.page_views import PageView
from core.domain.policy import PolicyAcknowledgement, PolicyVersion
from core.domain.privacy import (
    AuditEntry,
    ClosureRecord,
    DataRequest,
    ItemRef,
    LegalHold,
    Page,
    PurgeCursor,
    PurgeDue,
    PurgeRun,
    RetentionSettings,
)
from core.domain.private_zones import PrivateZones, WithheldPing
from core.domain.site_visits import SiteDay
from core.domain.tracking import (
    AccessLogEntry,
    AccessLogSlice,
    LatestPosition,
    Ping,
    PingSlice,
    ScheduleVersion,
    TrackingSchedule,
)


class Clock(Protocol):
    def now(self) -> datetime: ...


class TokenVerifier(Protocol):
    def verify(self, token: str) -> Identity: ...


class AccountStore(Protocol):
    """Everything in one account's partition: the account, its members and invitations."""

    def get_account(self, account_id: str) -> Account | None: ...
    def put_account(self, account: Account) -> None: ...
    def set_units(self, account_id: str, units: Units) -> Account | None:
        """Change the account's units alone (a partial update: a closure written meanwhile is kept); the account
        as stored after it, or None when there is none."""
        ...

    def get_member(self, account_id: str, user_id: str) -> Member | None: ...
    def put_member(self, member: Member) -> None: ...
    def list_members(self, account_id: str) -> list[Member]: ...
    def get_invitation(self, account_id: str, invitation_id: str) -> Invitation | None: ...
    def create_invitation(self, invitation: Invitation) -> None: ...
    def replace_invitation_if_unchanged(self, invitation: Invitation, *, expected: Invitation) -> bool:
        """Replace only if nobody changed it since `expected` was read (optimistic concurrency)."""
        ...

    def list_invitations(self, account_id: str) -> list[Invitation]: ...
    def list_expired_pending_invitations(self, now: datetime, limit: int) -> list[Invitation]: ...
    def record_event(self, event: AccountEvent) -> bool:
        """Store the event once; answer False when it was already recorded."""
        ...

    def list_events(self, account_id: str) -> list[AccountEvent]: ...


class UserStore(Protocol):
    def get_user(self, user_id: str) -> UserRecord | None: ...
    def create_user(self, record: UserRecord) -> bool:
        """Create the record; answer False when one already exists."""
        ...

    def put_user(self, record: UserRecord) -> None: ...
    def has_refusal_marker(self, marker_id: str) -> bool: ...
    def put_refusal_marker(self, marker_id: str, at: datetime) -> None: ...


class EventPublisher(Protocol):
    def publish(self, events: Iterable[AccountEvent]) -> None: ...


class Reactions(Protocol):
    """Cross-area reactions to domain events (core/domain/events.py), listed in core/services/reactions.py."""

    def changing(self, event: Change) -> AbstractContextManager[None]:
        """Around the write the event names: `with reactions.changing(event): write`."""
        ...

    def happened(self, event: Fact) -> None:
        """After the fact; an error of a reaction reaches the caller."""
        ...


class HealthProbe(Protocol):
    name: str

    def check(self) -> None:
        """Raise when the dependency does not answer."""
        ...


# ---------------------------------------------------------------- privacy and retention (docs/privacy-and-retention.md)


class PrivacyStore(Protocol):
    """Retention settings, legal holds, purge cursor and runs, closure records, data requests, audit trail."""

    def get_retention(self, account_id: str) -> RetentionSettings | None: ...
    def put_retention(self, settings: RetentionSettings) -> None: ...
    def put_hold(self, hold: LegalHold) -> None: ...
    def get_hold(self, account_id: str, hold_id: str) -> LegalHold | None: ...
    def list_holds(self, account_id: str) -> list[LegalHold]: ...
    def retention_and_holds(self, account_id: str) -> tuple[RetentionSettings | None, list[LegalHold]]:
        """`get_retention` and `list_holds` read together, in one request (the expiry plan the writers stamp from)."""
        ...

    def get_cursor(self) -> PurgeCursor | None: ...
    def put_cursor(self, cursor: PurgeCursor) -> None: ...
    def put_run(self, run: PurgeRun) -> None: ...
    def list_runs(self, limit: int) -> list[PurgeRun]: ...
    def prune_runs(self, before: datetime, limit: int) -> int:
        """Delete purge-run records started before `before`, at most `limit`; answer how many."""
        ...

    def get_closure(self, account_id: str) -> ClosureRecord | None: ...
    def put_closure(self, record: ClosureRecord) -> None: ...
    def put_request(self, request: DataRequest) -> None: ...
    def get_request(self, account_id: str, request_id: str) -> DataRequest | None: ...
    def list_requests(self, account_id: str, user_id: str) -> list[DataRequest]: ...
    def audit(self, entry: AuditEntry) -> None: ...
    def list_audit(self, account_id: str) -> list[AuditEntry]: ...
    def accounts_after(self, after: str | None, limit: int) -> list[str]:
        """Account ids in id order after `after`: the purge's platform-wide walk, one bounded page at a time."""
        ...

    # The work indexes (docs/privacy-and-retention.md, "The purge"): `queue` is "purge" or "coarsening".
    def get_due(self, queue: str, account_id: str) -> PurgeDue | None: ...
    def put_due(self, entry: PurgeDue) -> None: ...
    def delete_due(self, queue: str, account_id: str) -> None: ...
    def due_page(self, queue: str, now: datetime, after: str | None, limit: int) -> list[PurgeDue]:
        """Entries due at `now` (due_at <= now) in account id order after `after`: one query on the index's
        partition, bounded by `limit`."""
        ...

    def due_entries(self, queue: str, account_ids: Sequence[str]) -> set[str]:
        """Which of these accounts have an entry in the index (due or not): one query on its partition."""
        ...


class ExportSink(Protocol):
    """The private exports blob container: streamed writes and short-lived read-only links."""

    def open_writer(self, blob_name: str) -> IO[bytes]: ...
    def read_only_link(self, blob_name: str, expires_at: datetime) -> str: ...
    def delete(self, blob_name: str) -> bool: ...


class SubscriptionCanceller(Protocol):
    def cancel_for_account(self, account_id: str) -> str:
        """Cancel the account's subscription; answer what happened (e.g. canceled, none)."""
        ...


class PrivacyMailer(Protocol):
    def send(self, *, key: str, account_id: str, user_id: str, to: str, template: str, data: dict[str, str]) -> None:
        """Enqueue one e-mail once per `key` (idempotent)."""
        ...


class PersonalDataKind(Protocol):
    """One entry of the personal-data registry (core/services/retention.py): one kind of stored personal data.

    `retention` names the account setting that ages it ("location", "media", "access-log"), or "account" when it
    lives as long as the account (removed at closure or on erasure). `kept_for` names the legal retention
    category that keeps it after closure (e.g. "billing-records"), or None. `on_erasure` says what an erasure
    request does to the user's items: "delete", "anonymize" (strip the personal fields, keep the item) or "keep"
    (with `kept_reason`).

    Two optional members the purge looks for (core/services/purge.py): `expires_by_ttl = True` when the store
    removes the kind's aged items by itself (Cosmos DB time-to-live stamped at write), so an active account does not
    need the purge for it; and `delete_many(refs) -> int` (`BatchDeletes`), which deletes a page of items in
    batches (answering how many were there) instead of one request per item.
    """

    name: str
    retention: str
    kept_for: str | None
    description: str
    export_file: str | None
    on_erasure: str
    kept_reason: str

    def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
        """Items older than `before` (all of the account's items when None), one bounded page."""
        ...

    def of_user(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> Page: ...

    def delete(self, ref: ItemRef) -> bool:
        """Delete the item and its blobs; answer False when it was already gone (deleting twice is a no-op)."""
        ...

    def anonymize(self, ref: ItemRef) -> bool: ...

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]: ...

    def count(self, *, account_id: str) -> int: ...


class BatchDeletes(Protocol):
    """A kind that deletes a page of items in batches (Cosmos DB transactional batches: up to 100 operations on one
    partition key). Items already gone are skipped; answers how many were deleted."""

    def delete_many(self, refs: Sequence[ItemRef]) -> int: ...


class PlatformKind(Protocol):
    """Personal data that belongs to no account partition (e.g. the e-mail outbox, one partition per e-mail):
    swept platform-wide at the end of each pass, oldest first, in bounded pages."""

    name: str
    retention_days: int

    def expired_page(self, *, before: datetime, limit: int) -> list[ItemRef]: ...
    def delete(self, ref: ItemRef) -> bool: ...


# ---------------------------------------------------------------- consent and location tracking (docs/tracking.md)


class ConsentLedger(Protocol):
    """Append-only record of each worker's grants and revocations (no update, no delete; retention purges aside)."""

    def append(self, entry: ConsentEntry) -> None: ...

    def history(self, *, account_id: str, user_id: str) -> list[ConsentEntry]:
        """Every entry of the user in this account, oldest first."""
        ...

    def state_at(self, *, account_id: str, user_id: str, capability: Capability, at: datetime) -> bool:
        """Whether the capability was granted at that instant (never asked counts as not granted)."""
        ...


class AccessLog(Protocol):
    """Reads of a worker's data by someone else (location by the tracking area, photos and notes by theirs)."""

    def append(self, entry: AccessLogEntry) -> None: ...

    def for_subject(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> AccessLogSlice:
        """Entries naming `user_id` among the subjects, newest first, one page."""
        ...


class AccessLogStore(AccessLog, Protocol):
    """The stored access log under the coalescing of core/services/access_log.py (`AccessLogWindows`)."""

    def create_many(self, entries: Sequence[AccessLogEntry]) -> list[bool]:
        """Create each entry by its id (one account's entries, in batches); per entry True when created, False when
        an entry with its id existed (another process logged that window first)."""
        ...

    def add_reads(
        self,
        *,
        account_id: str,
        entry_id: str,
        reads: int,
        last_at: datetime,
        range_from: datetime | None,
        range_to: datetime | None,
    ) -> bool:
        """Add `reads` to the stored entry's count, move its last read to `last_at` if later and widen its range;
        False when the entry is gone (erased or expired)."""
        ...


class TrackingScheduleStore(Protocol):
    """The current schedule. A put (in force from its `updated_at`) and a delete (from the store's clock) each keep
    the previous states as versions (`TrackingScheduleVersions`)."""

    def get_schedule(self, *, account_id: str, user_id: str) -> TrackingSchedule | None: ...
    def put_schedule(self, schedule: TrackingSchedule) -> None: ...
    def delete_schedule(self, *, account_id: str, user_id: str) -> None: ...


class TrackingScheduleVersions(Protocol):
    """A worker's windows over time, oldest first: every version that may still judge a ping (what the ingest gate
    copies)."""

    def schedule_versions(self, *, account_id: str, user_id: str) -> list[ScheduleVersion]: ...


class IngestGateStore(Protocol):
    """The ingest gate documents (core/domain/ingest_gate.py): `user_id` None names the account's gate."""

    def read(self, *, account_id: str, user_id: str) -> GateRead:
        """The account record, the account's gate and the member's gate: ONE request."""
        ...

    def read_member(self, *, account_id: str, user_id: str) -> tuple[Member | None, GateDoc | None]:
        """The member record (as `AccountStore.get_member` answers it) and the member's gate: ONE request (the
        pings writer's erasure check, time zone and private zones)."""
        ...

    def get(self, *, account_id: str, user_id: str | None) -> GateDoc | None: ...
    def save(
        self,
        *,
        account_id: str,
        user_id: str | None,
        facts: dict[str, Any] | None,
        pending: dict[str, datetime],
        etag: str | None,
    ) -> bool:
        """Create (etag None) or replace the version read (etag); False when someone else wrote it meanwhile."""
        ...

    def delete(self, *, account_id: str, user_id: str | None) -> None: ...


class PrivateZoneStore(Protocol):
    """A member's private zones, one document (docs/private-zones.md)."""

    def get_zones(self, *, account_id: str, user_id: str) -> PrivateZones:
        """The member's zones (none: an empty set with version None); one point read."""
        ...

    def save_zones(self, zones: PrivateZones) -> None:
        """Write zones read with get_zones; Conflict when they changed since (read again)."""
        ...


class WithheldPingStore(Protocol):
    """Pings withheld inside private zones: id and time only, in the member's partition (docs/private-zones.md)."""

    def record(self, *, account_id: str, user_id: str, withheld: list[WithheldPing]) -> None:
        """Store each once (a replay stores nothing twice; an existing record is kept)."""
        ...

    def times_between(self, *, account_id: str, user_id: str, start: datetime, end: datetime) -> list[datetime]:
        """Times of withheld pings with start <= t < end, in time order."""
        ...

    def count_applied(self, *, account_id: str, user_id: str, zone_id: str) -> int:
        """How many stored pings the application of this zone to history removed (recorded)."""
        ...


class PingQueue(Protocol):
    def send(self, message: str) -> None:
        """Put one message (text under the queue's size limit) on the pings queue."""
        ...


class PingStore(Protocol):
    """Pings, one partition per worker per UTC day; the ping id is the document id."""

    def stored_ids(self, *, account_id: str, user_id: str, day: date, ids: list[str]) -> set[str]:
        """Which of these ping ids are already stored in that day's partition."""
        ...

    def write_day(self, *, account_id: str, user_id: str, day: date, pings: list[Ping]) -> None:
        """Store the pings of one day; idempotent (a replay stores nothing twice)."""
        ...

    def read_day(
        self,
        *,
        account_id: str,
        user_id: str,
        day: date,
        start: datetime,
        end: datetime,
        continuation: str | None,
        limit: int,
    ) -> PingSlice:
        """Pings of that day with start <= t < end, in time order, one page."""
        ...

    def delete_day(self, *, account_id: str, user_id: str, day: date, ids: list[str]) -> None:
        """Delete these pings of that day (ids already gone are fine)."""
        ...

    def in_box(
        self, *, account_id: str, user_id: str, day: date, south: float, west: float, north: float, east: float
    ) -> list[Ping]:
        """The member's stored pings of that day inside this latitude/longitude box (one partition)."""
        ...


class LiveMapVersions(Protocol):
    """The account's live-map version (core/adapters/cosmos_live_map.py): a value that changes after any write that
    may change the owner's live map (positions, members, consents, schedules)."""

    def current(self, account_id: str) -> str | None:
        """One point read; None while no change was ever recorded."""
        ...


class LatestPositionStore(Protocol):
    def advance(self, position: LatestPosition) -> bool:
        """Move the member's latest position to this one only if it is newer; answer whether it moved."""
        ...

    def list_for_account(self, account_id: str) -> list[LatestPosition]: ...

    def withhold_if(
        self, *, account_id: str, user_id: str, inside: Callable[[float, float], bool], at: datetime
    ) -> bool:
        """Drop the position (keep the time) when `inside(lat, lon)`; answer whether it did."""
        ...


# ---------------------------------------------------------------- e-mail outbox and policy versions (docs/email-and-policy.md)


class Outbox(Protocol):
    """The durable e-mail outbox (one document per e-mail) and the queue that wakes the sender."""

    def create_if_absent(self, entry: OutboxEntry) -> bool:
        """Store the entry; answer False (and change nothing) when an entry with its id exists."""
        ...

    def get(self, outbox_id: str) -> OutboxEntry | None: ...
    def replace_if_unchanged(self, entry: OutboxEntry, *, expected: OutboxEntry) -> bool:
        """Replace only if nobody changed it since `expected` was read (optimistic concurrency)."""
        ...

    def dispatch(self, outbox_id: str) -> None:
        """Put a message for the sender on the outbox queue."""
        ...

    def mark_link_used(self, outbox_id: str, purpose: str, at: datetime) -> bool:
        """Record the single use of a link minted for this entry; answer False when it was used before."""
        ...

    def list_stuck(self, before: datetime, limit: int) -> list[OutboxEntry]:
        """Pending entries last dispatched (or created) before `before`: their queue message may be lost."""
        ...

    def ids_with_prefix(self, prefix: str) -> set[str]:
        """Ids of the entries whose id starts with `prefix` (e.g. every notice of one policy version)."""
        ...


class EmailProfiles(Protocol):
    """Per user: the address and its verification state, and the e-mail preferences."""

    def get_status(self, user_id: str) -> EmailStatus | None: ...
    def put_status(self, status: EmailStatus) -> None: ...
    def replace_status_if_unchanged(self, status: EmailStatus, *, expected: EmailStatus) -> bool: ...
    def get_preferences(self, user_id: str) -> EmailPreferences | None: ...
    def put_preferences(self, preferences: EmailPreferences) -> None: ...
    def verified_recipients(self) -> Iterator[EmailStatus]:
        """Every user with a verified (current or earlier) address: the notice timer's platform-wide walk."""
        ...

    def member_address(self, user_id: str) -> str | None:
        """The address on the user's member profile (for users with no e-mail status yet), or None."""
        ...


class Mailer(Protocol):
    def send(self, email: OutgoingEmail) -> str:
        """Hand the message to the mail service; answer its message id. Raise when it was not accepted."""
        ...


class EmailRenderer(Protocol):
    """Turns an outbox entry's template and context into the e-mail's subject, text and HTML (HTML escaped), and
    draws the small pages that links opened in a browser answer with."""

    def render(self, template: str, context: Mapping[str, Any]) -> RenderedEmail:
        """Raise ValueError for a template it does not have."""
        ...

    def page(self, *, title: str, message: str, button: str | None = None) -> str: ...


class PolicyStore(Protocol):
    def create_version(self, version: PolicyVersion) -> bool:
        """Store a new version; answer False when the id exists (a posted version is never replaced)."""
        ...

    def get_version(self, version_id: str) -> PolicyVersion | None: ...
    def list_versions(self) -> list[PolicyVersion]: ...
    def put_acknowledgement(self, ack: PolicyAcknowledgement) -> None: ...
    def list_acknowledgements(self, user_id: str) -> list[PolicyAcknowledgement]: ...


# ---------------------------------------------------------------- photos and notes (docs/photos-and-notes.md)


class MediaStore(Protocol):
    """Photo documents and notes, one partition per account. Lists are newest first, one page at a time;
    `start` is inclusive and `end` exclusive (capture time for photos, creation time for notes)."""

    def create_photo(self, photo: Photo) -> None: ...
    def get_photo(self, account_id: str, photo_id: str) -> Photo | None: ...
    def replace_photo_if_unchanged(self, photo: Photo, *, expected: Photo) -> bool:
        """Replace only if nobody changed it since `expected` was read (optimistic concurrency)."""
        ...

    def list_photos(
        self,
        *,
        account_id: str,
        user_id: str | None,
        start: datetime | None,
        end: datetime | None,
        continuation: str | None,
        limit: int,
    ) -> PhotoSlice: ...
    def create_note(self, note: Note) -> None: ...
    def get_note(self, account_id: str, note_id: str) -> Note | None: ...
    def replace_note_if_unchanged(self, note: Note, *, expected: Note) -> bool: ...
    def delete_note(self, account_id: str, note_id: str) -> bool:
        """Answer False when it was already gone."""
        ...

    def list_notes(
        self,
        *,
        account_id: str,
        user_id: str | None,
        start: datetime | None,
        end: datetime | None,
        continuation: str | None,
        limit: int,
    ) -> NoteSlice: ...


class PhotoBlobs(Protocol):
    """The private quarantine and photos blob containers, and the narrow SAS links into them."""

    def upload_url(self, blob_name: str, *, expires_at: datetime) -> str:
        """A link that can create exactly this one quarantine blob, once: no read, no overwrite, no other name."""
        ...

    def read_url(self, blob_name: str, *, expires_at: datetime) -> str:
        """A read-only link to exactly this blob of the photos container."""
        ...

    def quarantine_info(self, blob_name: str) -> BlobInfo | None: ...
    def read_quarantine(self, blob_name: str, *, max_bytes: int) -> bytes:
        """At most `max_bytes` of the upload."""
        ...

    def delete_quarantine(self, blob_name: str) -> bool:
        """Answer False when it was already gone."""
        ...

    def put_photo_blob(self, blob_name: str, data: bytes, *, content_type: str) -> None:
        """Write (or overwrite: names are fixed per photo, so a retry never adds a blob) into the photos container."""
        ...

    def delete_photo_blob(self, blob_name: str) -> bool: ...
    def read_photo_blob(self, blob_name: str) -> bytes | None:
        """A verified photo file (None when it is gone)."""
        ...


class MalwareScanner(Protocol):
    """The one place a malware scanner plugs in: locally the EICAR signature, in Azure also Defender for Storage."""

    def scan(self, *, blob_name: str, data: bytes) -> ScanVerdict: ...


class PhotoJobs(Protocol):
    def enqueue(self, job: PhotoJob, *, delay_seconds: int = 0) -> None: ...


class ImageCodec(Protocol):
    """Reading and rewriting photo files (core/adapters/images/): the photo services never decode an image."""

    def inspect(self, data: bytes, *, declared: PhotoContentType, max_pixels: int) -> Verified | Rejection:
        """Everything processing needs to know of an upload, or why it is refused: the type its bytes say (which
        must be the declared one), that it decodes within `max_pixels` and nothing follows the image, its size as
        seen upright, its EXIF metadata (capture time, camera, orientation, position), and the thumbnail and display
        copy, rendered upright as JPEG without metadata."""
        ...

    def without_location(self, data: bytes, *, declared: PhotoContentType) -> bytes:
        """The file with every position removed from its metadata and the picture untouched, checked by reading it
        back. Raises LocationNotRemovable (core/domain/images.py) when that cannot be done or proven."""
        ...


# ---------------------------------------------------------------- billing (docs/billing.md)


class BillingStore(Protocol):
    """The `billing` container: one record per account (with its status history) and the Stripe events applied."""

    def get(self, account_id: str) -> BillingRecord | None: ...
    def create_if_absent(self, record: BillingRecord) -> bool:
        """Store the record; answer False (and change nothing) when the account already has one."""
        ...

    def replace_if_unchanged(self, record: BillingRecord, *, expected: BillingRecord) -> bool:
        """Replace only if nobody changed it since `expected` was read (optimistic concurrency)."""
        ...

    def is_processed(self, account_id: str, event_id: str) -> bool: ...
    def mark_processed(self, event: ProcessedEvent) -> bool:
        """Record the event once; answer False when it was recorded before."""
        ...

    def put_grace_marker(self, marker: GraceMarker) -> None: ...
    def delete_grace_marker(self, account_id: str) -> None: ...
    def grace_markers_before(self, cutoff: datetime, limit: int) -> list[GraceMarker]:
        """Accounts that entered past_due before `cutoff` (the suspension timer's one-partition read)."""
        ...


class StripeGateway(Protocol):
    """The payment provider. Answers domain models; raises when Stripe cannot be reached (the caller retries)."""

    def find_customer(self, *, account_id: str, email: str) -> StripeCustomer | None:
        """A live customer created for this account (metadata accountId), looked up by the owner's e-mail."""
        ...

    def create_customer(self, details: CustomerDetails, *, idempotency_key: str) -> StripeCustomer: ...
    def get_customer(self, customer_id: str) -> StripeCustomer | None:
        """None when the customer does not exist (or not at this provider)."""
        ...

    def delete_customer(self, customer_id: str) -> None: ...
    def list_subscriptions(self, customer_id: str) -> list[StripeSubscription]:
        """The customer's subscriptions that are not canceled, newest first."""
        ...

    def get_subscription(self, subscription_id: str) -> StripeSubscription | None: ...
    def create_subscription(
        self,
        *,
        customer_id: str,
        account_id: str,
        plan_id: str,
        quantity: int,
        trial_days: int,
        idempotency_key: str,
    ) -> StripeSubscription: ...
    def set_quantity(self, subscription: StripeSubscription, quantity: int) -> StripeSubscription: ...
    def cancel_subscription(self, subscription_id: str) -> str:
        """Cancel now; answer the subscription's status afterwards (an already canceled one stays canceled)."""
        ...

    def get_invoice(self, invoice_id: str) -> StripeInvoice | None: ...
    def get_plan(self, plan_id: str) -> StripePlan | None:
        """The plan (price per seat) subscriptions are made on; None when the provider has no such plan."""
        ...

    def get_payment_method(self, payment_method_id: str) -> StripePaymentMethod | None: ...
    def create_setup_intent(self, *, customer_id: str, account_id: str) -> str:
        """Create a SetupIntent for saving a card off-session; answer its client secret."""
        ...

    def get_setup_intent(self, setup_intent_id: str) -> StripeSetupIntent | None: ...
    def set_default_payment_method(self, *, customer_id: str, payment_method_id: str) -> None:
        """Attach the payment method to the customer when needed and make it the default for invoices."""
        ...


class BillingNotifier(Protocol):
    """Tells the owner that a payment failed (the e-mail outbox's idempotent enqueue, keyed by `dedupe_key`)."""

    def payment_failed(
        self, *, account_id: str, owner_user_id: str, dedupe_key: str, invoice_id: str | None
    ) -> None: ...


# ---------------------------------------------------------------- device tokens (docs/devices.md)


class DeviceStore(Protocol):
    """Device records in each member's partition, and the lookup of a token's hash (one point read)."""

    def create(self, device: Device) -> None: ...
    def lookup(self, token_hash: str) -> DeviceTokenLookup | None: ...
    def get(self, *, user_id: str, device_id: str) -> Device | None: ...
    def list_for_user(self, user_id: str) -> list[Device]: ...
    def list_for_account(self, account_id: str, *, after: str | None, limit: int) -> tuple[list[Device], str | None]:
        """The account's devices by device id, from just after `after`; the cursor of the next page or None."""
        ...

    def revoke(self, device: Device) -> None:
        """Store the device (revoked) and delete its token lookup."""
        ...

    def record_use(
        self,
        *,
        user_id: str,
        device_id: str,
        counters: DeviceCounters,
        at: datetime,
        protocol: AppProtocol,
        waypoints_version: str | None = None,
        battery: tuple[float, datetime] | None = None,
    ) -> bool:
        """Add to the device's counters and move its last-seen time forward, in the one write the call makes. With
        `battery` (percent, taken at), record it when it is newer than the one kept. With `waypoints_version`,
        record it too, answering True only when this call changed it (of concurrent calls, exactly one sees the
        change)."""
        ...


# ---------------------------------------------------------------- job sites (docs/job-sites.md)


class JobSiteStore(Protocol):
    """Job sites in the account's partition, with one index entry per geohash cell a site reaches."""

    def get_site(self, account_id: str, site_id: str) -> JobSite | None: ...
    def put_site(self, site: JobSite, cells: list[str]) -> None:
        """Create or replace the site and its cell entries (entries of cells it no longer reaches go)."""
        ...

    def delete_site(self, account_id: str, site_id: str) -> bool: ...
    def list_sites(self, account_id: str, *, after: str | None, limit: int) -> tuple[list[JobSite], str | None]: ...
    def sites_for_member(self, account_id: str, user_id: str) -> list[JobSite]:
        """Sites assigned to the member or to everyone."""
        ...

    def list_sites_for_member(
        self, account_id: str, user_id: str, *, after: str | None, limit: int
    ) -> tuple[list[JobSite], str | None]:
        """`sites_for_member` by site id, one page; the cursor is the last site id of the page."""
        ...

    def sites_by_id(self, account_id: str, site_ids: list[str]) -> list[JobSite]: ...
    def sites_in_cells(self, account_id: str, cells: list[str]) -> tuple[list[JobSite], dict[str, list[str]]]:
        """The sites reaching any of these cells (one query), and the cells of each that were asked for."""
        ...


class SiteDayStore(Protocol):
    """Each member's evaluated local days (events, visits, stops, trips), each stored in two parts
    (core/domain/site_visits.py `settled_part`, `open_part`): the day's version is its open part's."""

    def get_day(self, account_id: str, user_id: str, day: date) -> SiteDay | None: ...
    def read_day(self, account_id: str, user_id: str, day: date) -> tuple[SiteDay | None, str | None]:
        """The whole day (both parts joined) and its version (ETag), or (None, None)."""
        ...

    def read_open(self, account_id: str, user_id: str, day: date) -> tuple[SiteDay | None, str | None]:
        """The day's open part only (`open_part`: no events, no closed visits, no final stops or trips) and the
        day's version, or (None, None): what a flush continues from, its size flat through the day."""
        ...

    def put_day(self, site_day: SiteDay, *, version: str | None, settled: bool) -> bool:
        """Write the whole day `site_day` only over the version read (None: only if absent); False when someone
        wrote in between. Its open part is always written; its settled part only with `settled` (the caller
        says it changed, or the day is new), in the same transaction as the open part."""
        ...

    def list_days(self, account_id: str, *, user_id: str | None, first: date, last: date) -> list[SiteDay]: ...


class PageViewStore(Protocol):
    """Optional analytics (docs/privacy-signals.md): page views in one partition per UTC day."""

    def add(self, view: PageView) -> None: ...
    def day_summaries(self, day: date, *, limit: int) -> list[tuple[str, str, str, bool]]:
        """(path, browser family, os family, signed in) of at most `limit` views of one day."""
        ...


class CoarseHistoryStore(Protocol):
    """Coarsened history (docs/coarsened-history.md): a member's stored day of pings, its coarse points, the day
    markers, the per-member watermark and the run's cursor and receipts."""

    def day_pings(self, *, account_id: str, user_id: str, day: date) -> list[Ping]: ...
    def put_points(self, *, account_id: str, user_id: str, day: date, points: list[Ping]) -> None:
        """Create or replace (deterministic ids: writing the same point twice leaves one)."""
        ...

    def delete_pings(self, *, account_id: str, user_id: str, day: date, ping_ids: list[str]) -> int:
        """Delete; an id already gone is skipped. Answers how many were deleted."""
        ...

    def get_marker(self, *, account_id: str, user_id: str, day: date) -> CoarseDay | None: ...
    def put_marker(self, marker: CoarseDay) -> None: ...
    def coarse_days(self, *, account_id: str, user_id: str, first: date, last: date) -> list[date]: ...
    def get_watermark(self, *, account_id: str, user_id: str) -> date | None:
        """The first day of the member not yet coarsened (or found empty)."""
        ...

    def put_watermark(self, *, account_id: str, user_id: str, day: date) -> None: ...
    def get_cursor(self) -> CoarseningCursor | None: ...
    def put_cursor(self, cursor: CoarseningCursor) -> None: ...
    def put_run(self, run: CoarseningRun) -> None: ...
    def prune_runs(self, before: datetime, limit: int) -> int: ...
    def coarsen_latest(self, *, account_id: str, user_id: str, before: datetime) -> bool:
        """Snap the member's latest position to its coarse cell when it was taken before `before` (it is a copy
        of a ping); keep its time and id, so the pings writer still moves it forward. True when changed."""
        ...


class ExpiryPlans(Protocol):
    """The expiry of an account's items (core/domain/expiry.py): its retention and active legal holds, read at
    each call (a new hold applies to the next write), or once per account inside `once()`."""

    def for_account(self, account_id: str) -> ExpiryPlan: ...
    def once(self) -> AbstractContextManager[None]:
        """A scope (on this thread) in which each account's plan is read at most once, at its first use: the pings
        writer's scope of one member's flush (docs/privacy-and-retention.md, "When a new hold applies")."""
        ...


class StoreClock(Protocol):
    """Local only: moves the store's own clock with the app's test clock, so items expire under a moved clock."""

    def move(self, *, offset_seconds: float) -> None: ...


class TtlRestamper(Protocol):
    """Rewrites the `ttl` of an account's (or one member's) stored items, one bounded page at a time."""

    @property
    def kinds(self) -> Sequence[str]:
        """The kinds a job walks, in order."""
        ...

    def restamp_page(
        self,
        *,
        kind: str,
        plan: ExpiryPlan,
        user_id: str | None,
        continuation: str | None,
        limit: int,
        now: datetime,
    ) -> tuple[int, str | None]:
        """Re-stamp up to `limit` items of `kind`; answers how many and the continuation (None: the kind is done)."""


class RateLimiter(Protocol):
    """Abuse limits' counters (docs/abuse-limits.md): one small document per key and window, which deletes itself
    (`ttl`) after its window."""

    def take(self, *, key: str, limit: int, expires_after_seconds: int, count: int = 1) -> bool:
        """Count `count` calls against the counter `key` (a policy, a window and a subject's digest) unless it
        would then hold more than `limit`: True when counted, False when refused (then nothing changes). Atomic
        across instances. The counter is deleted by the store about `expires_after_seconds` after its last change."""
        ...


class MapTokens(Protocol):
    """Tokens for Azure Maps obtained with the app's managed identity (core/adapters/azure_maps.py)."""

    def current(self) -> MapToken:
        """A token valid for at least a few more minutes (a cached one while it is)."""
        ...


class MemberRowSource(Protocol):
    """The owner's members page (core/services/member_rows.py): single-partition reads of the account's member
    profiles, member ingest gates (`accounts`) and latest positions (`latest-positions`), each bounded by a page."""

    def ensure_search_keys(self, account_id: str) -> int:
        """Profiles written before the search keys existed get them, once per account (a marker remembers it; one
        point read on every later call). Answers how many profiles were rewritten."""
        ...

    def members_by_name(self, account_id: str, *, prefix: str | None, after: str | None, limit: int) -> list[Member]:
        """Active members by their name sort key (core/domain/member_rows.py), after `after`, at most `limit`;
        `prefix` (a search key) matches the start of the name key or of the lowercased e-mail."""
        ...

    def members_by_ids(self, account_id: str, user_ids: list[str]) -> list[Member]: ...
    def pending_invitations(self, account_id: str, *, limit: int) -> list[Invitation]:
        """Invitations with status pending (also those past expiry: the caller drops them), oldest first."""
        ...

    def member_gates(self, account_id: str, user_ids: list[str]) -> dict[str, GateDoc]:
        """The members' ingest gate documents (copies of consent, windows and zones), by user id; absent: missing."""
        ...

    def positions_of(self, account_id: str, user_ids: list[str]) -> dict[str, LatestPosition]: ...
    def positions_by_time(
        self, account_id: str, *, cursor: str | None, limit: int
    ) -> tuple[list[LatestPosition], str | None]:
        """Latest positions newest first, one page of at most `limit`, and the store's cursor (None: the last)."""
        ...
