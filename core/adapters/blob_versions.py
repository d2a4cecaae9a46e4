"""Blob versioning and soft delete, as the privacy promises meet them (issue 28, docs/privacy-and-retention.md,
"Deleted is not gone at once").

With versioning on, every overwrite and every delete of a blob keeps the content it replaced as a previous version
(until the lifecycle rule deletes it, `previousVersionRetentionDays`). So erasing a photo or rewriting an original
without its position would leave the old bytes, position included, in a version. `purge_previous_versions` deletes
them explicitly, right away. With soft delete on, a deleted version is itself kept, soft-deleted, for the soft
delete days: the app cannot shorten that (only a permanent delete, when the account allows it, could).

Azurite keeps no versions: a listing with versions answers the base blob only, so nothing is purged locally
(README, emulator gaps)."""

from __future__ import annotations

import logging

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import ContainerClient

log = logging.getLogger(__name__)


def purge_previous_versions(container: ContainerClient, blob_name: str) -> int:
    """Delete every previous version of exactly `blob_name` (never the current one, never another blob sharing the
    prefix); answers how many were deleted. A version already gone is skipped (a retry does no harm)."""
    purged = 0
    listed = list(container.list_blobs(name_starts_with=blob_name, include=["versions"]))  # read, then delete
    for item in listed:
        if item.name != blob_name or not item.version_id or item.is_current_version:
            continue
        try:
            container.delete_blob(blob_name, version_id=item.version_id)
        except ResourceNotFoundError:
            continue
        purged += 1
    if purged:
        log.info("purged %d previous versions of a blob", purged)
    return purged
