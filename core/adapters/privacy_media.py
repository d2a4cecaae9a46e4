"""Photos and notes in the privacy registry (docs/photos-and-notes.md): the `media` container that
`core/adapters/cosmos_media.py` writes, and a photo's files in the photo blob containers (`core/adapters/blobs.py`).

Keyset pages on `created_at` (indexed). A photo's blobs ({accountId}/{userId}/{photoId}/... in the verified and
the quarantine container) are deleted before its document, so a crash in between only repeats the blob delete.
"""

from __future__ import annotations

from typing import Any
from zipfile import ZipFile

from azure.cosmos import DatabaseProxy

from core import schema
from core.adapters.blob_privacy import BlobPrefixStore
from core.adapters.privacy_kinds import KeysetKind, delete_doc, write_json_array
from core.domain.privacy import ItemRef


class MediaKind(KeysetKind):
    def __init__(
        self,
        database: DatabaseProxy,
        blobs: BlobPrefixStore,
        *,
        name: str,
        doc_type: str,
        id_field: str,
        blob_containers: tuple[str, ...],
        description: str,
        export_file: str,
    ) -> None:
        super().__init__(
            database,
            name=name,
            doc_type=doc_type,
            container=schema.MEDIA.name,
            order="created_at",
            user_field="user_id",
            time_field="created_at",
            retention="media",
            export_file=export_file,
            description=description,
        )
        self._blobs = blobs
        self.id_field, self.blob_containers = id_field, blob_containers

    def ref(self, doc: dict[str, Any]) -> ItemRef:
        prefix = f"{doc['accountId']}/{doc['user_id']}/{doc[self.id_field]}/"
        return ItemRef(
            kind=self.name,
            partition_key=str(doc["accountId"]),
            doc_id=str(doc["id"]),
            user_id=str(doc["user_id"]),
            blobs=[(c, prefix) for c in self.blob_containers],
        )

    def delete(self, ref: ItemRef) -> bool:
        blobs = sum(self._blobs.delete_prefix(container, prefix) for container, prefix in ref.blobs)
        return delete_doc(self._c, ref.doc_id, ref.partition_key) or blobs > 0

    def write_export(self, zf: ZipFile, *, account_id: str, user_id: str) -> list[tuple[str, str]]:
        """The documents as one JSON file, then the files themselves (the verified copies: quarantine holds
        nothing worth exporting), one ZIP entry per blob, streamed in chunks."""
        export_file = str(self.export_file)
        with zf.open(export_file, "w", force_zip64=True) as out:
            write_json_array(out, self.export(account_id=account_id, user_id=user_id))
        files = [(export_file, self.description)]
        if not self.blob_containers:
            return files
        stored = self.blob_containers[0]
        count = 0
        for name in self._blobs.list_names(stored, f"{account_id}/{user_id}/"):
            with zf.open(f"{self.name}/{name.split('/', 2)[-1]}", "w", force_zip64=True) as out:
                for chunk in self._blobs.chunks(stored, name):
                    out.write(chunk)
            count += 1
        if count:
            files.append(
                (
                    f"{self.name}/<id>/...",
                    f"The {self.name} files themselves ({count} files: original, thumbnail and display copy of each).",
                )
            )
        return files


def media_kinds(database: DatabaseProxy, blobs: BlobPrefixStore) -> list[MediaKind]:
    return [
        MediaKind(
            database,
            blobs,
            name="photos",
            doc_type="photo",
            id_field="photo_id",
            blob_containers=(schema.PHOTOS_BLOB_CONTAINER, schema.PHOTO_QUARANTINE_BLOB_CONTAINER),
            export_file="photos.json",
            description="Your photos' metadata: capture time and place, camera, size, status, linked note.",
        ),
        MediaKind(
            database,
            blobs,
            name="notes",
            doc_type="note",
            id_field="note_id",
            blob_containers=(),
            export_file="notes.json",
            description="Your notes: text, time, place and linked photo.",
        ),
    ]
