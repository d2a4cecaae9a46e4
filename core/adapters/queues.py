"""Storage queue adapters. Messages are base64 text, as the Functions host reads and writes them."""

from __future__ import annotations

from collections.abc import Iterable

from azure.storage.queue import (
    LinearRetry,
    QueueClient,
    QueueServiceClient,
    TextBase64DecodePolicy,
    TextBase64EncodePolicy,
)

from core.adapters.identity import shared_credential
from core.adapters.storage import client_options
from core.domain.accounts import AccountEvent
from core.settings import Settings

MAX_MESSAGE_BYTES = 64 * 1024


def build_queue_service(settings: Settings) -> QueueServiceClient:
    if settings.storage_connection_string is not None:
        return QueueServiceClient.from_connection_string(
            settings.storage_connection_string.get_secret_value(), **client_options(settings, LinearRetry)
        )
    if not settings.storage_account_name:
        raise RuntimeError("Set AzureWebJobsStorage or AzureWebJobsStorage__accountName")
    return QueueServiceClient(
        account_url=f"https://{settings.storage_account_name}.queue.core.windows.net",
        credential=shared_credential(),
        **client_options(settings, LinearRetry),
    )


def queue_client(service: QueueServiceClient, name: str) -> QueueClient:
    return service.get_queue_client(
        name, message_encode_policy=TextBase64EncodePolicy(), message_decode_policy=TextBase64DecodePolicy()
    )


class QueuePingSender:
    """The ingest call's hop onto the pings queue (QUEUE_LOCATION_PINGS); the writer reads it
    (functions/tracking.py `write_pings`, core/services/ping_writer.py)."""

    def __init__(self, client: QueueClient) -> None:
        self._client = client

    def send(self, message: str) -> None:
        self._client.send_message(message)


class QueueEventPublisher:
    def __init__(self, client: QueueClient) -> None:
        self._client = client

    def publish(self, events: Iterable[AccountEvent]) -> None:
        for event in events:
            self._client.send_message(event.model_dump_json(by_alias=True))


class QueueProbe:
    """Peeks one message of the app's own queue: a data-plane read that Storage Queue Data Contributor grants
    (messages/read). Reading the queue service's properties needs a control-plane permission the app's identity
    does not have, so in Azure that probe would answer 503 forever."""

    name = "storage"

    def __init__(self, queue: QueueClient) -> None:
        self._queue = queue

    def check(self) -> None:
        self._queue.peek_messages(max_messages=1, timeout=5)
