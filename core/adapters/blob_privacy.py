"""The private `exports` blob container: ZIPs written as a stream of staged blocks, read through short-lived
read-only links. Memory holds one block at a time, whatever the size of the export."""

from __future__ import annotations

import base64
import io
import uuid
from datetime import datetime
from typing import IO, Any

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import BlobBlock, BlobClient, BlobSasPermissions, BlobServiceClient, generate_blob_sas

from core import schema
from core.adapters.blob_versions import purge_previous_versions
from core.settings import Settings

BLOCK_BYTES = 4 * 1024 * 1024


class BlockWriter(io.RawIOBase):
    """A write-only, non-seekable stream that uploads each full block and commits the block list on close."""

    def __init__(self, blob: BlobClient, content_type: str = "application/zip") -> None:
        super().__init__()
        self._blob = blob
        self._buffer = bytearray()
        self._blocks: list[BlobBlock] = []
        self._position = 0
        self._content_type = content_type

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._position

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._buffer.extend(chunk)
        self._position += len(chunk)
        while len(self._buffer) >= BLOCK_BYTES:
            self._stage(bytes(self._buffer[:BLOCK_BYTES]))
            del self._buffer[:BLOCK_BYTES]
        return len(chunk)

    def _stage(self, data: bytes) -> None:
        block_id = base64.b64encode(uuid.uuid4().hex.encode()).decode()
        self._blob.stage_block(block_id=block_id, data=data, length=len(data))
        self._blocks.append(BlobBlock(block_id=block_id))

    def close(self) -> None:
        if self.closed:
            return
        if self._buffer:
            self._stage(bytes(self._buffer))
            self._buffer.clear()
        from azure.storage.blob import ContentSettings

        self._blob.commit_block_list(self._blocks, content_settings=ContentSettings(content_type=self._content_type))
        super().close()


class BlobExportSink:
    def __init__(self, service: BlobServiceClient, settings: Settings) -> None:
        self._service = service
        self._settings = settings
        self._container = service.get_container_client(schema.EXPORTS_BLOB_CONTAINER)

    def open_writer(self, blob_name: str) -> IO[bytes]:
        return io.BufferedWriter(BlockWriter(self._container.get_blob_client(blob_name)), buffer_size=64 * 1024)

    def read_only_link(self, blob_name: str, expires_at: datetime) -> str:
        blob = self._container.get_blob_client(blob_name)
        account_name = self._service.account_name or ""
        if self._settings.storage_connection_string is not None:
            key = self._service.credential.account_key
            sas = generate_blob_sas(
                account_name,
                schema.EXPORTS_BLOB_CONTAINER,
                blob_name,
                account_key=key,
                permission=BlobSasPermissions(read=True),
                expiry=expires_at,
            )
        else:
            delegation = self._service.get_user_delegation_key(
                key_start_time=datetime.now(expires_at.tzinfo), key_expiry_time=expires_at
            )
            sas = generate_blob_sas(
                account_name,
                schema.EXPORTS_BLOB_CONTAINER,
                blob_name,
                user_delegation_key=delegation,
                permission=BlobSasPermissions(read=True),
                expiry=expires_at,
            )
        return f"{blob.url}?{sas}"

    def delete(self, blob_name: str) -> bool:
        try:
            self._container.delete_blob(blob_name)
        except ResourceNotFoundError:
            return False
        return True


class BlobPrefixStore:
    """Other areas' private blob containers, by name prefix: delete everything under a prefix (idempotent), and
    stream each blob's content in chunks (for exports)."""

    def __init__(self, service: BlobServiceClient, *, purge_versions: bool = True) -> None:
        """`purge_versions`: the storage account keeps blob versions; a delete also deletes every previous version
        (core/adapters/blob_versions.py)."""
        self._service = service
        self._purge_versions = purge_versions

    def delete_prefix(self, container: str, prefix: str) -> int:
        """Answers how many current blobs were deleted. Previous versions go too, also those of a blob whose current
        version an earlier, interrupted run already deleted."""
        client = self._service.get_container_client(container)
        deleted = 0
        try:
            listed = list(
                client.list_blobs(name_starts_with=prefix, include=["versions"] if self._purge_versions else None)
            )
        except ResourceNotFoundError:
            return 0
        for name in [b.name for b in listed if not b.version_id or b.is_current_version]:
            try:
                client.delete_blob(name)
                deleted += 1
            except ResourceNotFoundError:
                pass
        if self._purge_versions:
            for name in sorted({b.name for b in listed}):
                purge_previous_versions(client, name)
        return deleted

    def list_names(self, container: str, prefix: str) -> list[str]:
        try:
            return [b.name for b in self._service.get_container_client(container).list_blobs(name_starts_with=prefix)]
        except ResourceNotFoundError:
            return []

    def chunks(self, container: str, name: str) -> Any:
        return self._service.get_container_client(container).download_blob(name).chunks()
