"""A composition root for unit tests: every port an in-memory fake unless the test gives its own.

    root = fake_root(accounts=accounts, clock=FakeClock(AT))   # the fakes the test reads; the rest are defaults
    with serving(root):                                        # core.bootstrap.serving
        answer = trigger(request)                              # called as the Functions host calls it

Which port gets what (`Ports`, core/services/wiring.py):
- every port the root builds from an SDK client or an adapter gets a fake of tests/unit/fakes*.py;
- the ingest gate is kept as the root keeps it: an IngestGateKeeper over a fake gate store and the undecorated
  stores (given or fake), and the consent ledger, schedules, private zones, retention and billing stores are handed
  out wrapped so that their writes keep the gate current (core/bootstrap/ingest_gate.py);
- the objects the root composes from other ports (site notices, address verification, links in e-mails, paging
  tokens, the link signer, the payment-failed notifier, closure's subscription cancel and mailer, the e-mail address
  of a member) are composed by the root itself over these fakes (a test may still give its own);
- settings values (`future_skew`, `max_body_bytes`, ...) come from the settings, by default `unit_settings()`.
Nothing here constructs an Azure client (tests/unit/http/test_areas_*.py hold the root to that).
"""

from __future__ import annotations

from typing import Any, Unpack

from core.bootstrap import Container, Ports, root_with
from core.ports import AccountStore
from core.services.expiry import RetentionExpiry
from core.services.ingest_gate import IngestGateKeeper
from core.services.retention import Registry, RetentionPolicy
from core.settings import Settings
from tests.unit.fakes import (
    FakeAccountStore,
    FakeClock,
    FakeHealthProbe,
    FakeMapTokens,
    FakePublisher,
    FakeRateLimiter,
    FakeTokenVerifier,
    FakeUserStore,
)
from tests.unit.fakes_billing import FakeBillingStore, FakeStripe
from tests.unit.fakes_devices import FakeDeviceStore
from tests.unit.fakes_email import FakeEmailProfiles, FakeEmailRenderer, FakeMailer, FakeOutbox, FakePolicyStore
from tests.unit.fakes_job_sites import FakeJobSiteStore, FakeSiteDayStore
from tests.unit.fakes_media import FakeImageCodec, FakeMediaStore, FakePhotoBlobs, FakePhotoJobs, FakeScanner
from tests.unit.fakes_member_rows import FakeMemberRows
from tests.unit.fakes_privacy import FakeDataRequestQueue, FakeExportSink, FakePrivacyStore, FakeTtlRestamper
from tests.unit.fakes_tracking import (
    FakeAccessLog,
    FakeCoarseHistory,
    FakeConsentLedger,
    FakeIngestGateStore,
    FakeLatestPositions,
    FakeLiveMapVersions,
    FakePageViews,
    FakePingQueue,
    FakePingStore,
    FakePrivateZoneStore,
    FakeScheduleStore,
    FakeWithheldPingStore,
)

ISSUER = "https://issuer.test/tenant/v2.0"
AUDIENCE = "api://industrack-test"
ADMIN_ROLE = "platform-admin"

_UNIT_SETTINGS: dict[str, str] = {
    "APP_ENVIRONMENT": "local",
    "AUTH_ISSUER": ISSUER,
    "AUTH_AUDIENCE": AUDIENCE,
    "AUTH_ADMIN_ROLE": ADMIN_ROLE,
    "AUTH_JWKS_URI": "file:/nonexistent/unit-tests-never-read-keys.json",
    "TOKEN_SIGNING_KEY": "unit-test-signing-key-0123456789abcdef",
    "STRIPE_WEBHOOK_SECRET": "whsec_unit_test",
    "PUBLIC_BASE_URL": "https://api.industrack.test",
    "PORTAL_BASE_URL": "https://portal.industrack.test",
    "COSMOS_ENDPOINT": "https://cosmos.invalid:8081",  # never dialled: every Cosmos-backed port is a fake
}


def unit_settings(**overrides: Any) -> Settings:
    """Settings for unit tests: the issuer, audience and admin role the HTTP tests' signed tokens carry
    (tests/unit/http/conftest.py), a test signing key and webhook secret, and `overrides` by their environment names
    (e.g. MAX_BODY_BYTES="2048")."""
    return Settings(**{**_UNIT_SETTINGS, **overrides})


def fake_root(settings: Settings | None = None, **ports: Unpack[Ports]) -> Container:
    """A root whose every port is an in-memory fake (see the module's docstring) unless given here."""
    clock = ports.get("clock") or FakeClock()
    accounts: AccountStore = ports.get("accounts") or FakeAccountStore()
    listed = accounts if isinstance(accounts, FakeAccountStore) else FakeAccountStore()  # the purge's account walk

    # The sources of the ingest gate (given or fake); the root's reactions (core/services/reactions.py) keep the gate
    # current when a service writes them.
    billing = ports.get("billing") or FakeBillingStore()
    privacy = ports.get("privacy") or FakePrivacyStore(listed)
    consents = ports.get("consents") or FakeConsentLedger()
    # a given schedule store must also answer `schedule_versions` (the gate copies the windows over time)
    schedules: Any = ports.get("tracking_schedules") or FakeScheduleStore(clock)
    zones = ports.get("private_zones") or FakePrivateZoneStore()
    gate = ports.get("ingest_gate") or IngestGateKeeper(
        store=FakeIngestGateStore(accounts),
        billing=billing,
        privacy=privacy,
        consents=consents,
        schedules=schedules,
        zones=zones,
        clock=clock,
    )
    queue = FakeDataRequestQueue()
    latest = ports.get("latest_positions") or FakeLatestPositions()
    rows_of: Any = latest if isinstance(latest, FakeLatestPositions) else FakeLatestPositions()
    fakes: Ports = {
        "clock": clock,
        "token_verifier": FakeTokenVerifier(),
        "accounts": accounts,
        "users": FakeUserStore(),
        "account_events": FakePublisher(),
        "billing_events": FakePublisher(),
        "personal_data": Registry(kinds=[], expected=()),
        "export_sink": FakeExportSink(),
        "enqueue_data_request": queue.send,
        "expiry_plans": RetentionExpiry(privacy=privacy, policy=RetentionPolicy(), margin_days=1),
        "ttl_restamper": FakeTtlRestamper(),
        "store_clock": None,
        "access_log": FakeAccessLog(),
        "withheld_pings": FakeWithheldPingStore(),
        "coarse_history": FakeCoarseHistory(),
        "pings": FakePingStore(),
        "latest_positions": latest,
        "member_rows": FakeMemberRows(listed, gate.store, rows_of),
        "ping_queue": FakePingQueue(),
        "page_views": FakePageViews(),
        "devices": FakeDeviceStore(),
        "job_sites": FakeJobSiteStore(),
        "site_days": FakeSiteDayStore(),
        "outbox": FakeOutbox(),
        "email_profiles": FakeEmailProfiles(),
        "mailer": FakeMailer(),
        "email_renderer": FakeEmailRenderer(),
        "policy": FakePolicyStore(),
        "media": FakeMediaStore(),
        "photo_blobs": FakePhotoBlobs(),
        "photo_jobs": FakePhotoJobs(),
        "malware_scanner": FakeScanner(),
        "image_codec": FakeImageCodec(),
        "stripe": FakeStripe(clock),
        "health_probes": [FakeHealthProbe("cosmos"), FakeHealthProbe("storage")],
        "rate_limiter": FakeRateLimiter(),
        "map_tokens": FakeMapTokens(clock),
    }
    fakes.update(ports)
    if "live_map_versions" not in ports:
        fakes["live_map_versions"] = FakeLiveMapVersions(
            fakes["latest_positions"],
            fakes["accounts"],
            consents if isinstance(consents, FakeConsentLedger) else None,
            schedules if isinstance(schedules, FakeScheduleStore) else None,
        )
    fakes.update(
        {
            "ingest_gate": gate,
            "privacy": privacy,
            "consents": consents,
            "tracking_schedules": schedules,
            "private_zones": zones,
            "billing": billing,
        }
    )
    return root_with(settings or unit_settings(), **fakes)
