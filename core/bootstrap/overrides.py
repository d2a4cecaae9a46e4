"""A composition root with some ports given (in-memory fakes in unit tests) instead of built from the settings.

    root = root_with(settings, accounts=FakeAccountStore(), clock=FixedClock(...))
    with serving(root):          # core.bootstrap.serving: the process's root while the block runs
        trigger(request)         # the trigger's use case now runs on the fakes

Each name is the root's attribute of that port; a port not given is built as usual on first use (and would reach
Azure or the emulators). An area's use-case object is built whole, so a unit test gives every port of that area's
object (core/bootstrap/use_cases.py lists them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict, Unpack

from core.ports import (
    AccessLog,
    AccountStore,
    BillingStore,
    Clock,
    CoarseHistoryStore,
    ConsentLedger,
    DeviceStore,
    EmailProfiles,
    EmailRenderer,
    EventPublisher,
    ExportSink,
    HealthProbe,
    JobSiteStore,
    LatestPositionStore,
    Mailer,
    MalwareScanner,
    MediaStore,
    Outbox,
    PageViewStore,
    PhotoBlobs,
    PhotoJobs,
    PingQueue,
    PingStore,
    PolicyStore,
    PrivacyStore,
    PrivateZoneStore,
    SiteDayStore,
    StripeGateway,
    TokenVerifier,
    TrackingScheduleStore,
    UserStore,
    WithheldPingStore,
)
from core.settings import Settings

if TYPE_CHECKING:
    from core.bootstrap import Container
    from core.services.ingest_gate import IngestGateKeeper
    from core.services.retention import Registry


class Ports(TypedDict, total=False):
    clock: Clock
    token_verifier: TokenVerifier
    accounts: AccountStore
    users: UserStore
    account_events: EventPublisher
    billing_events: EventPublisher
    privacy: PrivacyStore
    personal_data: Registry  # the kinds of personal data the purge, export and erasure walk
    export_sink: ExportSink
    consents: ConsentLedger
    ingest_gate: IngestGateKeeper  # what ingest decides with (tracking and device ingest build it)
    access_log: AccessLog
    tracking_schedules: TrackingScheduleStore
    private_zones: PrivateZoneStore
    withheld_pings: WithheldPingStore
    coarse_history: CoarseHistoryStore
    pings: PingStore
    latest_positions: LatestPositionStore
    ping_queue: PingQueue
    page_views: PageViewStore
    devices: DeviceStore
    job_sites: JobSiteStore
    site_days: SiteDayStore
    outbox: Outbox
    email_profiles: EmailProfiles
    mailer: Mailer
    email_renderer: EmailRenderer
    policy: PolicyStore
    media: MediaStore
    photo_blobs: PhotoBlobs
    photo_jobs: PhotoJobs
    malware_scanner: MalwareScanner
    billing: BillingStore
    stripe: StripeGateway
    health_probes: list[HealthProbe]


def root_with(settings: Settings, **ports: Unpack[Ports]) -> Container:
    """A root for `settings` whose given ports are these objects (typed: each must implement its port)."""
    from core.bootstrap import Container

    root = Container(settings)
    for name, port in ports.items():
        if name != "clock" and not hasattr(Container, name):
            raise TypeError(f"the composition root has no port named {name!r}")
        root.__dict__[name] = port  # a cached_property reads the instance's own value first: never built
    return root
