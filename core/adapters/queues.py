"""Storage queue adapters. Messages are base64 text, as the Functions host reads and writes them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from azure.storage.queue import (
    LinearRetry,
    QueueClient,
    QueueServiceClient,
    TextBase64DecodePolicy,
    TextBase64EncodePolicy,
)

from core.domain.accounts import AccountEvent
from core.settings import Settings

MAX_MESSAGE_BYTES = 64 * 1024


def client_options(settings: Settings) -> dict[str, Any]:
    """Bounded waits: an unreachable Storage fails a call in about 4 s (connection refused: two retries about 2 s
    apart) or 3 x STORAGE_READ_TIMEOUT_SECONDS + 4 s (no answer), so an API call answers 503 instead of waiting
    through the SDK's default backoffs (15 s, 18 s, 24 s: about 80 s)."""
    return {
        "retry_policy": LinearRetry(backoff=2, random_jitter_range=1, retry_total=2),
        "connection_timeout": 5,
        "read_timeout": settings.storage_read_timeout_seconds,
    }


def build_queue_service(settings: Settings) -> QueueServiceClient:
    if settings.storage_connection_string is not None:
        return QueueServiceClient.from_connection_string(settings.storage_connection_string.get_secret_value(),
                                                         **client_options(settings))
    if not settings.storage_account_name:
        raise RuntimeError("Set AzureWebJobsStorage or AzureWebJobsStorage__accountName")
    from azure.identity import DefaultAzureCredential

    return QueueServiceClient(
        account_url=f"https://{settings.storage_account_name}.queue.core.windows.net",
        credential=DefaultAzureCredential(),
        **client_options(settings),
    )


def queue_client(service: QueueServiceClient, name: str) -> QueueClient:
    return service.get_queue_client(
        name, message_encode_policy=TextBase64EncodePolicy(), message_decode_policy=TextBase64DecodePolicy()
    )


class QueueEventPublisher:
    def __init__(self, client: QueueClient) -> None:
        self._client = client

    def publish(self, events: Iterable[AccountEvent]) -> None:
        for event in events:
            self._client.send_message(event.model_dump_json(by_alias=True))


class QueueProbe:
    name = "storage"

    def __init__(self, service: QueueServiceClient) -> None:
        self._service = service

    def check(self) -> None:
        self._service.get_service_properties(timeout=5)
