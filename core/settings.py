"""One typed settings object, read from the environment (App Settings in Azure, local.settings.json locally)."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.domain.rate_limits import Rate

log = logging.getLogger(__name__)
KEY_VAULT_REFERENCE = "@Microsoft.KeyVault("
# Share of traces the app exports by default (TELEMETRY_SAMPLING_RATIO; core/adapters/telemetry.py reads it too).
DEFAULT_TELEMETRY_SAMPLING_RATIO = 0.05


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    environment: str = Field(default="local", validation_alias="APP_ENVIRONMENT")

    # Storage: a connection string locally (Azurite), an account name with managed identity in Azure.
    storage_connection_string: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("AzureWebJobsStorage", "STORAGE_CONNECTION_STRING")
    )
    storage_account_name: str | None = Field(
        default=None,
        validation_alias=AliasChoices("AzureWebJobsStorage__accountName", "STORAGE_ACCOUNT_NAME"),
    )

    # Cosmos DB: a key locally (emulator), managed identity in Azure when the key is empty.
    cosmos_endpoint: str = Field(default="https://127.0.0.1:8081", validation_alias="COSMOS_ENDPOINT")
    cosmos_key: SecretStr | None = Field(default=None, validation_alias="COSMOS_KEY")
    cosmos_database: str = Field(default="industrack", validation_alias="COSMOS_DATABASE")
    cosmos_verify_tls: bool = Field(default=True, validation_alias="COSMOS_VERIFY_TLS")
    # How long one Cosmos DB request waits for an answer (the SDK's own default is 65 s); with one retry this bounds
    # what an API call waits on an unresponsive Cosmos DB before answering 503.
    cosmos_read_timeout_seconds: float = Field(default=5.0, gt=0, le=65, validation_alias="COSMOS_READ_TIMEOUT_SECONDS")

    # Queues (the names are App Settings because queue triggers name them as %SETTING%).
    queue_account_events: str = Field(default="account-events", validation_alias="QUEUE_ACCOUNT_EVENTS")
    # How long one Storage (queue, blob) request waits for an answer; two retries about 2 s apart (the SDK's own
    # policy waits 15 s, 18 s and 24 s between tries, which left an ingest call hanging ~80 s when Storage was down).
    storage_read_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, validation_alias="STORAGE_READ_TIMEOUT_SECONDS"
    )

    # Authentication (OpenID Connect issuer; locally the development issuer under .local/).
    auth_issuer: str = Field(default="https://dev-issuer.industrack.local/", validation_alias="AUTH_ISSUER")
    auth_audience: str = Field(default="api://industrack", validation_alias="AUTH_AUDIENCE")
    auth_jwks_uri: str = Field(default="file:.local/dev-issuer/jwks.json", validation_alias="AUTH_JWKS_URI")
    auth_leeway_seconds: int = Field(default=60, ge=0, le=300, validation_alias="AUTH_LEEWAY_SECONDS")
    auth_admin_role: str = Field(default="platform-admin", validation_alias="AUTH_ADMIN_ROLE")

    # Signing key for invitations and other signed links (Key Vault reference in Azure).
    token_signing_key: SecretStr = Field(
        default=SecretStr("local-development-signing-key-change-me"), validation_alias="TOKEN_SIGNING_KEY"
    )
    # During a rotation the previous key still verifies links it signed (it never signs new ones).
    token_signing_key_previous: SecretStr | None = Field(default=None, validation_alias="TOKEN_SIGNING_KEY_PREVIOUS")
    invitation_ttl_hours: int = Field(default=72, ge=1, le=24 * 30, validation_alias="INVITATION_TTL_HOURS")

    # Privacy and retention (docs/privacy-and-retention.md): platform defaults, minimums and maximums, in days.
    queue_data_requests: str = Field(default="data-requests", validation_alias="QUEUE_DATA_REQUESTS")
    retention_location_days: int = Field(default=365, ge=1, validation_alias="RETENTION_LOCATION_DAYS")
    retention_location_min_days: int = Field(default=30, ge=1, validation_alias="RETENTION_LOCATION_MIN_DAYS")
    retention_location_max_days: int = Field(default=1095, ge=1, validation_alias="RETENTION_LOCATION_MAX_DAYS")
    retention_access_log_days: int = Field(default=365, ge=1, validation_alias="RETENTION_ACCESS_LOG_DAYS")
    retention_access_log_min_days: int = Field(default=90, ge=1, validation_alias="RETENTION_ACCESS_LOG_MIN_DAYS")
    retention_access_log_max_days: int = Field(default=1095, ge=1, validation_alias="RETENTION_ACCESS_LOG_MAX_DAYS")
    # Reads of a worker's data by someone else are logged once per viewer, worker, kind and window of this many
    # minutes, with the first and last read and a count (docs/tracking.md, "The access log").
    access_log_window_minutes: int = Field(default=10, ge=1, le=24 * 60, validation_alias="ACCESS_LOG_WINDOW_MINUTES")
    retention_media_min_days: int = Field(default=30, ge=1, validation_alias="RETENTION_MEDIA_MIN_DAYS")
    retention_media_max_days: int = Field(default=3650, ge=1, validation_alias="RETENTION_MEDIA_MAX_DAYS")
    retention_closed_account_days: int = Field(default=90, ge=0, validation_alias="RETENTION_CLOSED_ACCOUNT_DAYS")
    retention_billing_records_days: int = Field(default=2555, ge=0, validation_alias="RETENTION_BILLING_RECORDS_DAYS")
    retention_closure_record_days: int = Field(default=2555, ge=0, validation_alias="RETENTION_CLOSURE_RECORD_DAYS")
    retention_audit_days: int = Field(default=1095, ge=0, validation_alias="RETENTION_AUDIT_DAYS")
    retention_invitations_days: int = Field(default=30, ge=1, validation_alias="RETENTION_INVITATIONS_DAYS")
    retention_outbox_days: int = Field(default=90, ge=1, validation_alias="RETENTION_OUTBOX_DAYS")
    # Optional analytics' page views (docs/privacy-signals.md), signed in or not, are kept this many whole UTC days.
    retention_page_views_days: int = Field(default=90, ge=1, le=400, validation_alias="RETENTION_PAGE_VIEWS_DAYS")
    retention_coarsen_min_days: int = Field(default=30, ge=1, validation_alias="RETENTION_COARSEN_MIN_DAYS")
    # What the platform keeps after a deletion (issue 28, docs/privacy-and-retention.md "Deleted is not gone at
    # once"): set in Azure from the same Bicep parameters as the storage and Cosmos DB accounts
    # (infra/modules/functionapp.bicep; tests/infra checks they agree); the defaults are main.bicep's.
    blob_soft_delete_days: int = Field(default=7, ge=0, le=365, validation_alias="BLOB_SOFT_DELETE_DAYS")
    blob_versioning_enabled: bool = Field(default=True, validation_alias="BLOB_VERSIONING_ENABLED")
    blob_version_retention_days: int = Field(default=7, ge=0, validation_alias="BLOB_VERSION_RETENTION_DAYS")
    cosmos_backup_retention_days: int = Field(default=7, ge=0, validation_alias="COSMOS_BACKUP_RETENTION_DAYS")
    retention_coarsen_max_days: int = Field(default=365, ge=1, validation_alias="RETENTION_COARSEN_MAX_DAYS")
    purge_batch_size: int = Field(default=500, ge=1, le=10_000, validation_alias="PURGE_BATCH_SIZE")
    purge_max_items_per_run: int = Field(default=20_000, ge=1, validation_alias="PURGE_MAX_ITEMS_PER_RUN")
    # Expiry by the store: every account-aged item's ttl ends this many days after its retention end, the time a
    # new legal hold's re-stamp has to reach the items already stored (the purge deletes at the exact cutoff).
    retention_ttl_margin_days: int = Field(default=1, ge=1, le=30, validation_alias="RETENTION_TTL_MARGIN_DAYS")
    export_link_ttl_hours: int = Field(default=24, ge=1, le=24 * 7, validation_alias="EXPORT_LINK_TTL_HOURS")

    # Consent and location tracking (docs/tracking.md).
    queue_location_pings: str = Field(default="location-pings", validation_alias="QUEUE_LOCATION_PINGS")
    ping_future_skew_seconds: int = Field(default=300, ge=0, le=3600, validation_alias="PING_FUTURE_SKEW_SECONDS")

    # E-mail and policy versions (docs/email-and-policy.md).
    queue_email_outbox: str = Field(default="email-outbox", validation_alias="QUEUE_EMAIL_OUTBOX")
    smtp_host: str = Field(default="", validation_alias="SMTP_HOST")  # empty: 127.0.0.1
    smtp_port: int = Field(default=1025, ge=1, le=65535, validation_alias="SMTP_PORT")
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120, validation_alias="SMTP_TIMEOUT_SECONDS")
    acs_email_endpoint: str | None = Field(default=None, validation_alias="ACS_EMAIL_ENDPOINT")
    email_sender_address: str = Field(default="no-reply@industrack.local", validation_alias="EMAIL_SENDER_ADDRESS")
    public_base_url: str | None = Field(default=None, validation_alias="PUBLIC_BASE_URL")
    # The web portal's base URL for links to portal pages (the invitation); empty: the API's documented path.
    portal_base_url: str | None = Field(default=None, validation_alias="PORTAL_BASE_URL")
    email_verification_ttl_hours: int = Field(
        default=24, ge=1, le=24 * 7, validation_alias="EMAIL_VERIFICATION_TTL_HOURS"
    )
    email_send_tries: int = Field(default=3, ge=1, le=10, validation_alias="EMAIL_SEND_TRIES")
    email_retry_base_seconds: float = Field(default=0.5, ge=0, le=60, validation_alias="EMAIL_RETRY_BASE_SECONDS")
    email_max_deliveries: int = Field(default=5, ge=1, le=100, validation_alias="EMAIL_MAX_DELIVERIES")
    email_tracking_ttl_days: int = Field(default=180, ge=1, le=3650, validation_alias="EMAIL_TRACKING_TTL_DAYS")

    # Photos and notes (docs/photos-and-notes.md).
    queue_photo_uploads: str = Field(default="photo-uploads", validation_alias="QUEUE_PHOTO_UPLOADS")
    photo_max_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, le=200 * 1024 * 1024, validation_alias="PHOTO_MAX_BYTES"
    )
    photo_max_pixels: int = Field(default=50_000_000, ge=10_000, le=200_000_000, validation_alias="PHOTO_MAX_PIXELS")
    # Memory the photo verifications of one process may hold at once for decoding (MiB; core/adapters/images/
    # budget.py): each waits until its decode's need, estimated from the header, is free; one that needs more than
    # the whole budget runs alone. Sized against functionInstanceMemoryMB (docs/scaling.md, "Instance memory").
    photo_decode_budget_mb: int = Field(default=768, ge=16, le=16_384, validation_alias="PHOTO_DECODE_BUDGET_MB")
    photo_upload_url_ttl_seconds: int = Field(
        default=600, ge=1, le=600, validation_alias="PHOTO_UPLOAD_URL_TTL_SECONDS"
    )
    photo_read_url_ttl_seconds: int = Field(default=300, ge=1, le=300, validation_alias="PHOTO_READ_URL_TTL_SECONDS")
    photo_malware_scan: Literal["signature", "defender"] = Field(
        default="signature", validation_alias="PHOTO_MALWARE_SCAN"
    )

    # Billing with Stripe (docs/billing.md). Secrets: Key Vault references in Azure, never logged.
    stripe_secret_key: SecretStr = Field(
        default=SecretStr(""), validation_alias=AliasChoices("STRIPE_SECRET_KEY", "STRIPE_API_KEY")
    )
    stripe_api_base: str | None = Field(default=None, validation_alias="STRIPE_API_BASE")
    stripe_webhook_secret: SecretStr = Field(default=SecretStr(""), validation_alias="STRIPE_WEBHOOK_SECRET")
    stripe_plan_id: str = Field(default="industrack-seat-monthly", min_length=1, validation_alias="STRIPE_PLAN_ID")
    stripe_timeout_seconds: float = Field(default=20.0, gt=0, le=80, validation_alias="STRIPE_TIMEOUT_SECONDS")
    billing_trial_days: int = Field(default=14, ge=0, le=730, validation_alias="BILLING_TRIAL_DAYS")
    billing_grace_days: float = Field(default=7, ge=0, le=60, validation_alias="BILLING_GRACE_DAYS")
    queue_billing_events: str = Field(default="billing-events", validation_alias="QUEUE_BILLING_EVENTS")

    # The portal's base map in Azure (docs/portal.md, "Base map"): the Azure Maps account's client id (its uniqueId,
    # sent as x-ms-client-id). Unset (the local stack): GET /api/maps/token answers 404 and the portal draws its
    # offline base map.
    azure_maps_client_id: str | None = Field(default=None, validation_alias="AZURE_MAPS_CLIENT_ID")

    # Test clock (docs/test-clock.md): a file holding an offset or a frozen time for the app's clock. Local only:
    # the app refuses to start with it set when APP_ENVIRONMENT is anything but `local`.
    test_clock_file: str | None = Field(default=None, validation_alias="TEST_CLOCK_FILE")

    # Observability (docs/observability.md): `json` adds JSON log lines on stderr (core/adapters/telemetry.py).
    log_format: Literal["text", "json"] = Field(default="text", validation_alias="LOG_FORMAT")
    # Share of traces exported to Application Insights (whole traces, by trace id): 1 exports everything (an
    # investigation), the default keeps telemetry at a few records per hundred calls (docs/observability.md).
    telemetry_sampling_ratio: float = Field(
        default=DEFAULT_TELEMETRY_SAMPLING_RATIO, ge=0, le=1, validation_alias="TELEMETRY_SAMPLING_RATIO"
    )

    # Owner portal (issue 15, functions/_cors.py): the browser origins allowed to call the API, comma-separated.
    portal_origins: str = Field(default="http://localhost:4280", validation_alias="PORTAL_ORIGINS")

    # Abuse limits (docs/abuse-limits.md): calls of one kind per caller or per network in a fixed window, written
    # `count/window` (`20/h`, `600/m`, `5/10m`; units s, m, h, d). Generous: normal use never meets them.
    rate_limit_sign_up_per_network: str = Field(default="30/h", validation_alias="RATE_LIMIT_SIGN_UP_PER_NETWORK")
    rate_limit_sign_up_per_identity: str = Field(default="60/h", validation_alias="RATE_LIMIT_SIGN_UP_PER_IDENTITY")
    rate_limit_invitations: str = Field(default="200/h", validation_alias="RATE_LIMIT_INVITATIONS")
    rate_limit_email_changes: str = Field(default="20/h", validation_alias="RATE_LIMIT_EMAIL_CHANGES")
    rate_limit_data_requests: str = Field(default="20/d", validation_alias="RATE_LIMIT_DATA_REQUESTS")
    rate_limit_device_tokens: str = Field(default="30/h", validation_alias="RATE_LIMIT_DEVICE_TOKENS")
    rate_limit_page_views_per_network: str = Field(
        default="600/m", validation_alias="RATE_LIMIT_PAGE_VIEWS_PER_NETWORK"
    )
    rate_limit_invitation_links_per_network: str = Field(
        default="300/h", validation_alias="RATE_LIMIT_INVITATION_LINKS_PER_NETWORK"
    )
    rate_limit_ingest_per_device: str = Field(default="1200/m", validation_alias="RATE_LIMIT_INGEST_PER_DEVICE")
    rate_limit_ingest_per_member: str = Field(default="1200/m", validation_alias="RATE_LIMIT_INGEST_PER_MEMBER")

    max_body_bytes: int = Field(default=1_048_576, ge=1024, validation_alias="MAX_BODY_BYTES")
    minimum_age_years: int = Field(default=13, ge=13, validation_alias="MINIMUM_AGE_YEARS")

    @field_validator("stripe_secret_key", "stripe_webhook_secret", mode="before")
    @classmethod
    def _optional_stripe_secret(cls, value: Any) -> Any:
        """Billing is optional: an unresolved Stripe reference (secret missing from the vault, or the role not yet
        granted) leaves billing unconfigured (503 billing-not-configured on its routes) instead of stopping the app."""
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(raw, str) and raw.strip().startswith(KEY_VAULT_REFERENCE):
            log.error("a Stripe secret is an unresolved Key Vault reference: billing is not configured")
            return ""
        return value

    @field_validator(
        "rate_limit_sign_up_per_network",
        "rate_limit_sign_up_per_identity",
        "rate_limit_invitations",
        "rate_limit_email_changes",
        "rate_limit_data_requests",
        "rate_limit_device_tokens",
        "rate_limit_page_views_per_network",
        "rate_limit_ingest_per_device",
        "rate_limit_ingest_per_member",
    )
    @classmethod
    def _a_rate(cls, value: str) -> str:
        Rate.parse(value)  # ValueError: the app does not start with a limit it cannot read
        return value.strip()

    @model_validator(mode="after")
    def _no_unresolved_key_vault_references(self) -> Settings:
        """An App Setting whose Key Vault reference could not be resolved arrives as its literal text; refuse to start
        with it rather than sign links with a publicly known string."""
        for name, value in self:
            raw = value.get_secret_value() if isinstance(value, SecretStr) else value
            if isinstance(raw, str) and raw.strip().startswith(KEY_VAULT_REFERENCE):
                raise ValueError(f"setting {name} is an unresolved Key Vault reference")
        return self

    @model_validator(mode="after")
    def _test_clock_only_locally(self) -> Settings:
        if not self.test_clock_file:
            self.test_clock_file = None
        elif not self.is_local:
            raise ValueError("TEST_CLOCK_FILE (the test clock) is accepted only when APP_ENVIRONMENT=local")
        return self

    @property
    def is_local(self) -> bool:
        return self.environment == "local"

    @property
    def billing_configured(self) -> bool:
        """Stripe calls can be made: a secret key is set, or the local stack (localstripe accepts any key)."""
        return self.is_local or bool(self.stripe_secret_key.get_secret_value())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
