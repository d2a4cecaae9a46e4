"""The Luhn scan of a test session's stores (proof row 11, issue 9; reused by the portal's card journey, issue 16).

`scan_session(stack)` reads, with tests/card_scan.py:
- the session's devhost log (`stack.log_path`: the API host's captured output, its request log included);
- every document of every container of the session's Cosmos database;
- every blob of the session in every blob container: the containers are shared by all sessions, so only blobs
  whose name starts with an account id stored in this session's database (every blob name does) are read;
- the session's queues and their poison queues (peeked: a peek shows at most 32 messages, so nothing is consumed
  or hidden from the host or from the other scans; the count says how many were not visible).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

from core import schema
from core.adapters.cosmos import build_cosmos_client
from core.adapters.queues import build_queue_service
from tests import card_scan
from tests.integration.conftest import Stack

PEEK_MAX = 32


@dataclass
class SessionScan:
    hits: list[card_scan.Hit] = field(default_factory=list)
    log_lines: int = 0
    documents: int = 0
    accounts: int = 0
    blobs: int = 0
    queue_names: int = 0
    messages: int = 0
    not_peeked: int = 0


def database(stack: Stack) -> DatabaseProxy:
    return build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database)


def blob_service(stack: Stack) -> BlobServiceClient:
    assert stack.settings.storage_connection_string is not None
    return BlobServiceClient.from_connection_string(stack.settings.storage_connection_string.get_secret_value())


def documents(db: DatabaseProxy) -> Iterator[tuple[str, dict[str, Any]]]:
    for props in db.list_containers():
        container: ContainerProxy = db.get_container_client(props["id"])
        for doc in container.query_items("SELECT * FROM c", enable_cross_partition_query=True):
            yield props["id"], doc


def _account_ids(docs: list[tuple[str, dict[str, Any]]]) -> set[str]:
    found: set[str] = set()
    for _, doc in docs:
        for key in ("accountId", "account_id"):
            value = doc.get(key)
            if isinstance(value, str) and value and not value.startswith("_"):
                found.add(value)
    return found


def _queue_texts(raw: str) -> list[str]:
    """A queue message as stored (base64 text, as the Functions host writes it) and decoded when it decodes."""
    texts = [raw]
    try:
        texts.append(base64.b64decode(raw, validate=True).decode("utf-8", "replace"))
    except (binascii.Error, ValueError):
        pass
    return texts


def scan_session(stack: Stack) -> SessionScan:
    out = SessionScan()
    log_bytes = stack.log_path.read_bytes()
    out.hits += card_scan.scan_bytes(f"log:{stack.log_path.name}", log_bytes)
    out.log_lines = log_bytes.count(b"\n")

    docs = list(documents(database(stack)))
    for container_name, doc in docs:
        out.hits += card_scan.scan_text(f"cosmos:{container_name}/{doc.get('id')}", json.dumps(doc, ensure_ascii=False))
    accounts = _account_ids(docs)
    out.documents, out.accounts = len(docs), len(accounts)

    service = blob_service(stack)
    existing = {c.name for c in service.list_containers()}
    blob_containers = sorted(existing & (set(schema.BLOB_CONTAINERS) | {n for n in existing if stack.suffix in n}))
    for container_name in blob_containers:
        client = service.get_container_client(container_name)
        for blob in client.list_blobs():
            if blob.name.split("/", 1)[0] not in accounts and stack.suffix not in container_name:
                continue  # another session's blob
            try:
                data = client.download_blob(blob.name).readall()
            except ResourceNotFoundError:
                continue  # deleted since it was listed (retention, a redelivered processing run)
            out.blobs += 1
            out.hits += card_scan.scan_bytes(f"blob:{container_name}/{blob.name}", data)

    queues: QueueServiceClient = build_queue_service(stack.settings)
    queue_names = [
        name
        for spec in schema.QUEUES
        for name in (os.environ[spec.setting], schema.poison_queue_name(os.environ[spec.setting]))
    ]
    out.queue_names = len(queue_names)
    for name in queue_names:
        queue = queues.get_queue_client(name)  # raw text: decoded below when it is base64
        try:
            count = queue.get_queue_properties().approximate_message_count or 0
            peeked = queue.peek_messages(max_messages=PEEK_MAX)
        except ResourceNotFoundError:
            continue
        out.messages += len(peeked)
        out.not_peeked += max(0, count - len(peeked))
        for message in peeked:
            for text in _queue_texts(str(message.content)):
                out.hits += card_scan.scan_text(f"queue:{name}/{message.id}", text)
    return out
