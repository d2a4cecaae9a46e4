"""The personal-data registry of this build (docs/privacy-and-retention.md): every kind, in purge order, and the
platform-wide sweeps. Each kind is defined next to the adapter that writes its data; this module only orders them.

Purge order: sign-in records are found through the member profiles, so they go first and the profiles late; the
kinds that find the account's users through the profiles (per-user partitions, positions, pings) go before them;
export files go before the requests that point to them; the records kept longest (closure record, billing
records) go last. Page views (optional analytics) follow.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from azure.cosmos import DatabaseProxy

from core.adapters.blob_privacy import BlobPrefixStore
from core.adapters.cosmos_ingest_gate import ingest_gate_kinds
from core.adapters.cosmos_live_map import LiveMapVersionKind
from core.adapters.cosmos_page_views import AgedPageViewKind, PageViewKind
from core.adapters.cosmos_privacy import (
    ExportLinkKind,
    closure_record_kind,
    request_and_audit_kinds,
    retention_settings_kind,
)
from core.adapters.cosmos_private_zones import PrivateZoneKind, WithheldPingKind
from core.adapters.privacy_accounts import ProfileKind, billing_record_kind, membership_kinds
from core.adapters.privacy_billing import billing_kinds
from core.adapters.privacy_coarse_history import coarse_history_kinds
from core.adapters.privacy_devices import DeviceKind
from core.adapters.privacy_email import OutboxKind, email_kinds
from core.adapters.privacy_job_sites import job_site_kinds
from core.adapters.privacy_media import media_kinds
from core.adapters.privacy_pings import PingsKind, pings_watermark_kind
from core.adapters.privacy_tracking import AccessLogKind, LatestPositionKind, consent_and_schedule_kinds
from core.ports import ExportSink, PersonalDataKind, PlatformKind


def registered_kinds(
    database: DatabaseProxy, sink: ExportSink, blobs: BlobPrefixStore, *, today: Callable[[], date] | None = None
) -> list[PersonalDataKind]:
    """The kinds of personal data this build stores, in purge order. `today`: the app's clock (a test clock too)."""
    return [
        *membership_kinds(database),
        PingsKind(database, today=today),
        *consent_and_schedule_kinds(database),
        LatestPositionKind(database),
        LiveMapVersionKind(database),
        AccessLogKind(database),
        DeviceKind(database),
        PrivateZoneKind(database),
        WithheldPingKind(database),
        *coarse_history_kinds(database),
        *job_site_kinds(database),
        *ingest_gate_kinds(database),
        *email_kinds(database),
        *media_kinds(database, blobs),
        ExportLinkKind(database, sink),
        retention_settings_kind(database),
        pings_watermark_kind(database),
        *request_and_audit_kinds(database),
        ProfileKind(database),
        closure_record_kind(database),
        *billing_kinds(database),
        billing_record_kind(database),
        PageViewKind(database),
    ]


def platform_kinds(database: DatabaseProxy, *, outbox_days: int, page_views_days: int) -> list[PlatformKind]:
    """Personal data in no account partition, swept platform-wide at the end of each purge pass."""
    return [OutboxKind(database, outbox_days), AgedPageViewKind(database, page_views_days)]
