"""Blob Storage client construction, shared by every adapter that reads or writes blobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from azure.storage.blob import BlobServiceClient, LinearRetry

from core.adapters.identity import shared_credential
from core.adapters.transport import http_transport
from core.settings import Settings


def client_options(settings: Settings, linear_retry: Callable[..., Any] = LinearRetry) -> dict[str, Any]:
    """Bounded waits for every Storage client (blobs and queues): an unreachable Storage fails a call in about 4 s
    (connection refused: two retries about 2 s apart) or 3 x STORAGE_READ_TIMEOUT_SECONDS + 4 s (no answer), so an
    API call answers 503 instead of waiting through the SDK's default backoffs (15 s, 18 s, 24 s: about 80 s).
    Each Storage package brings its own retry classes: the queue adapters pass azure.storage.queue's LinearRetry."""
    transport, verify = http_transport()  # the environment read once, not per request (core/adapters/transport.py)
    return {
        "retry_policy": linear_retry(backoff=2, random_jitter_range=1, retry_total=2),
        "connection_timeout": 5,
        "read_timeout": settings.storage_read_timeout_seconds,
        "transport": transport,
        "connection_verify": verify,
    }


def build_blob_service(settings: Settings) -> BlobServiceClient:
    """A connection string locally (Azurite); the account name with the managed identity in Azure."""
    if settings.storage_connection_string is not None:
        return BlobServiceClient.from_connection_string(
            settings.storage_connection_string.get_secret_value(), **client_options(settings)
        )
    if not settings.storage_account_name:
        raise RuntimeError("Set AzureWebJobsStorage or AzureWebJobsStorage__accountName")
    return BlobServiceClient(
        account_url=f"https://{settings.storage_account_name}.blob.core.windows.net",
        credential=shared_credential(),
        **client_options(settings),
    )
