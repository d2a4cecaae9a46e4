"""How a use case gets its ports: by parameter name, from the composition root (issue 26).

A service function names each port it needs after the root's port of that name (`media: MediaStore`,
`private_zones: PrivateZoneStore`, `clock: Clock`; the names and types are `Ports` below). A product area lists
the functions its triggers may call, one line each:

    class NoteUseCases(UseCases):
        create = inject(notes.create_note)

`NoteUseCases(root).create(principal=..., data=...)` calls `notes.create_note` with every parameter whose name is a
port filled in from the root, and the caller's arguments for the rest. There is no forwarding code to keep in step:
adding a port to a service function is adding the parameter (and, for a new port, one entry in `Ports` and its
builder in core/bootstrap/). mypy still checks every call from a trigger: the plugin `tools/mypy_wiring.py` gives
`inject(fn)` the signature of `fn` without its ports, and fails when a port parameter's type is not the type the
root provides. An object with state of its own (the pings writer's group commit) is `built(cls)` once per root,
its constructor's ports filled in the same way.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypedDict, TypeVar, cast

from core.ports import (
    AccessLog,
    AccountStore,
    BillingNotifier,
    BillingStore,
    Clock,
    CoarseHistoryStore,
    ConsentLedger,
    DeviceStore,
    EmailProfiles,
    EmailRenderer,
    EventPublisher,
    ExpiryPlans,
    ExportSink,
    HealthProbe,
    ImageCodec,
    JobSiteStore,
    LatestPositionStore,
    LiveMapVersions,
    Mailer,
    MalwareScanner,
    MapTokens,
    MediaStore,
    MemberRowSource,
    Outbox,
    PageViewStore,
    PersonalDataKind,
    PhotoBlobs,
    PhotoJobs,
    PingQueue,
    PingStore,
    PolicyStore,
    PrivacyMailer,
    PrivacyStore,
    PrivateZoneStore,
    RateLimiter,
    Reactions,
    SiteDayStore,
    StoreClock,
    StripeGateway,
    SubscriptionCanceller,
    TokenVerifier,
    TrackingScheduleStore,
    TtlRestamper,
    UserStore,
    WithheldPingStore,
)

if TYPE_CHECKING:
    from core.domain.billing import BillingPolicy
    from core.domain.privacy import DeletionResidue
    from core.domain.rate_limits import Rate
    from core.services.email_verification import EmailVerification
    from core.services.ingest_gate import IngestGateKeeper
    from core.services.outbox import Links
    from core.services.paging import PageTokens
    from core.services.photos import PhotoLimits
    from core.services.retention import Registry, RetentionPolicy
    from core.services.site_notices import SiteNotices
    from core.signing import LinkSigner

R = TypeVar("R")
T = TypeVar("T")
U = TypeVar("U", bound="UseCases")


class Ports(TypedDict, total=False):
    """Every port the composition root provides, by the name a service function's parameter uses for it."""

    clock: Clock
    token_verifier: TokenVerifier
    accounts: AccountStore
    users: UserStore
    account_events: EventPublisher
    billing_events: EventPublisher
    privacy: PrivacyStore
    personal_data: Registry  # the kinds of personal data the purge, export and erasure walk
    personal_data_kinds: Sequence[PersonalDataKind]
    export_sink: ExportSink
    consents: ConsentLedger
    ingest_gate: IngestGateKeeper  # what ingest decides with (docs/tracking.md, "The ingest gate")
    reactions: Reactions  # raise a domain event; the reactions are the table in core/services/reactions.py
    access_log: AccessLog
    tracking_schedules: TrackingScheduleStore
    private_zones: PrivateZoneStore
    withheld_pings: WithheldPingStore
    coarse_history: CoarseHistoryStore
    pings: PingStore
    latest_positions: LatestPositionStore
    live_map_versions: LiveMapVersions  # one point read per live-map poll (docs/tracking.md)
    ping_queue: PingQueue
    page_views: PageViewStore
    devices: DeviceStore
    job_sites: JobSiteStore
    member_rows: MemberRowSource  # the owner's members page: one bounded read per store per page
    site_days: SiteDayStore
    site_notices: SiteNotices
    outbox: Outbox
    email_profiles: EmailProfiles
    email_verification: EmailVerification
    email_links: Links
    mailer: Mailer
    email_renderer: EmailRenderer
    policy: PolicyStore
    media: MediaStore
    photo_blobs: PhotoBlobs
    photo_jobs: PhotoJobs
    photo_limits: PhotoLimits
    malware_scanner: MalwareScanner
    image_codec: ImageCodec
    billing: BillingStore
    billing_policy: BillingPolicy
    billing_notifier: BillingNotifier | None
    billing_configured: bool
    stripe: StripeGateway
    stripe_webhook_secret: str
    health_probes: list[HealthProbe]
    retention_policy: RetentionPolicy
    deletion_residue: DeletionResidue  # what soft delete and backups keep after a deletion (issue 28)
    expiry_plans: ExpiryPlans  # expiry by the store (core/services/expiry.py)
    ttl_restamper: TtlRestamper
    store_clock: StoreClock | None  # local only: the local Cosmos DB server's clock follows the test clock
    privacy_subscriptions: SubscriptionCanceller | None
    privacy_mailer: PrivacyMailer | None
    privacy_mail_to: Callable[[str, str], str | None]
    enqueue_data_request: Callable[[str], None]
    page_tokens: PageTokens
    signer: LinkSigner
    test_clock_enabled: bool
    rate_limiter: RateLimiter  # abuse limits' counters (docs/abuse-limits.md)
    rate_limits: Mapping[str, Rate]  # each abuse limit's rate, by policy name (from the settings)
    map_tokens: MapTokens  # Azure Maps tokens for the portal's base map (core/adapters/azure_maps.py)
    maps_client_id: str | None  # the Azure Maps account (x-ms-client-id); None: no Azure Maps (the local stack)
    # settings values, named for what they are
    invitation_ttl: timedelta
    export_link_ttl: timedelta
    future_skew: timedelta  # how far ahead of the server's clock a ping's time may be
    minimum_age: int  # years, for registering an account
    outbox_keep_days: int
    max_body_bytes: int
    purge_batch_size: int
    purge_max_items: int
    email_max_deliveries: int
    email_send_tries: int
    email_retry_base_seconds: float


PORT_NAMES: frozenset[str] = frozenset(Ports.__annotations__)


class PortSource(Protocol):
    """The composition root as the use cases see it: a port by its name (`Ports`)."""

    def port(self, name: str) -> Any: ...


def ports_of(fn: Callable[..., Any]) -> tuple[str, ...]:
    """The parameters of `fn` that the root fills in: those named after a port."""
    return tuple(name for name in inspect.signature(fn).parameters if name in PORT_NAMES)


class UseCases:
    """A product area's use cases: the service functions its triggers call, each `inject(...)`ed; built by the
    root (`Container.use_case(cls)`) once per root, or in a unit test from a root of fakes (`root_with`)."""

    def __init__(self, ports: PortSource) -> None:
        self._ports = ports


class _Injected:
    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.names = ports_of(fn)
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]  # the descriptor carries the function's name and docs

    def __get__(self, area: UseCases | None, owner: type[Any] | None = None) -> Any:
        if area is None:
            return self
        # Resolved at each call: a port the root builds lazily is built on first use, and a root's port that is a
        # per-call value (the registry's kinds) is read fresh.
        ports = area._ports
        return functools.partial(self.fn, **{name: ports.port(name) for name in self.names})


def inject(fn: Callable[..., R]) -> Callable[..., R]:
    """`fn` as a use case of an area: its port parameters come from the root. Typed by the mypy plugin
    (tools/mypy_wiring.py) as `fn` without those parameters."""
    return cast("Callable[..., R]", _Injected(fn))


class _Built(Generic[T]):
    def __init__(self, cls: Callable[..., T]) -> None:
        self.cls = cls
        self.names = ports_of(cls)
        self.attr = ""
        self.lock = threading.Lock()

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.attr = name

    def __get__(self, area: UseCases | None, owner: type[Any] | None = None) -> Any:
        if area is None:
            return self
        with self.lock:  # once per area object, so once per root, even when two invocations ask at once
            if self.attr not in area.__dict__:
                ports = area._ports
                area.__dict__[self.attr] = self.cls(**{name: ports.port(name) for name in self.names})
            return area.__dict__[self.attr]


def built(cls: Callable[..., T]) -> T:
    """An object with state of its own, built once per root with its constructor's ports filled in (every other
    constructor parameter keeps its default; the mypy plugin checks both)."""
    return cast("T", _Built(cls))
