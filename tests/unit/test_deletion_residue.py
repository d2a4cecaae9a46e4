"""Issue 28, honest deletion: the erasure answer, the export's README and the data-request list say where deleted
data remains (storage soft delete, database backup) and until when, with the deployed values; photo blobs deleted
or overwritten also lose their previous versions (blob versioning)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from core.adapters.blob_privacy import BlobPrefixStore
from core.adapters.blob_versions import purge_previous_versions
from core.adapters.blobs import BlobPhotoStore
from core.domain.privacy import DataRequestMessage, DataRequestType, DeletionResidue
from core.services import data_requests
from core.services.retention import RetentionPolicy
from tests.unit.test_data_requests_service import ME, World

DEPLOYED = DeletionResidue(blob_soft_delete_days=14, blob_versioning_enabled=True, backup_retention_days=30)


def work(w: World, residue: DeletionResidue) -> None:
    while w.queue:
        data_requests.process_request(
            message=DataRequestMessage.model_validate_json(w.queue.pop(0)),
            kinds=[w.profiles, w.pings, w.billing],
            privacy=w.privacy,
            sink=w.sink,
            clock=w.clock,
            policy=RetentionPolicy(),
            link_ttl=timedelta(hours=24),
            mailer=w.mailer,
            mail_to=lambda a, u: f"{u}@example.com",
            accounts=w.accounts,
            residue=residue,
        )


def test_the_erasure_answer_lists_the_residual_copies_with_their_end() -> None:
    w = World()
    request = w.ask(ME, DataRequestType.ERASURE)
    work(w, DEPLOYED)
    done = data_requests.get_request(principal=ME, request_id=request.request_id, privacy=w.privacy)
    assert done.status == "completed" and done.completed_at is not None
    body = done.model_dump(by_alias=True, mode="json")
    copies = {c["where"]: c for c in body["residualCopies"]}
    assert set(copies) == {"photo-files-soft-delete", "database-backup"}
    assert copies["photo-files-soft-delete"]["days"] == 14
    assert copies["database-backup"]["days"] == 30
    assert datetime.fromisoformat(copies["database-backup"]["until"]) == done.completed_at + timedelta(days=30)
    assert "cannot be purged early" in copies["photo-files-soft-delete"]["what"]


def test_no_soft_delete_and_no_backup_leave_nothing_to_tell() -> None:
    assert DeletionResidue(blob_soft_delete_days=0, backup_retention_days=0).copies(datetime.now(UTC)) == []


def test_an_access_request_has_no_residual_copies_and_its_readme_states_the_days() -> None:
    w = World()
    request = w.ask(ME, DataRequestType.ACCESS)
    work(w, DEPLOYED)
    done = data_requests.get_request(principal=ME, request_id=request.request_id, privacy=w.privacy)
    assert done.residual_copies == []
    import io
    import zipfile

    blob = next(v for k, v in w.sink.blobs.items() if k.endswith(f"{request.request_id}.zip"))
    readme = zipfile.ZipFile(io.BytesIO(blob)).read("README.txt").decode()
    assert "for 14 days (storage soft delete)" in readme
    assert "restorable for 30 days" in readme
    assert "an original that still had its position" in readme


def test_the_request_list_carries_the_deployed_values_for_the_privacy_centre() -> None:
    w = World()
    listed = data_requests.list_requests(principal=ME, privacy=w.privacy, deletion_residue=DEPLOYED)
    notice = listed.model_dump(by_alias=True)["deletion"]
    assert (notice["blobSoftDeleteDays"], notice["blobVersioningEnabled"], notice["backupRetentionDays"]) == (
        14,
        True,
        30,
    )
    assert "14 days" in notice["text"] and "30" in notice["text"]


# ---------------------------------------------------------------- previous versions (a fake of the SDK's container)


@dataclass
class Listed:
    name: str
    version_id: str | None
    is_current_version: bool | None


@dataclass
class FakeContainer:
    """Blob versioning as Azure keeps it: each overwrite or delete turns the current content into a previous
    version. `versioning=False` answers as Azurite does (no version ids)."""

    versioning: bool = True
    current: dict[str, bytes] = field(default_factory=dict)
    versions: dict[str, dict[str, bytes]] = field(default_factory=dict)
    deleted_versions: list[tuple[str, str]] = field(default_factory=list)
    serial: int = 0

    def _keep(self, name: str) -> None:
        if self.versioning and name in self.current:
            self.serial += 1
            self.versions.setdefault(name, {})[f"v{self.serial}"] = self.current[name]

    def upload(self, name: str, data: bytes) -> None:
        self._keep(name)
        self.current[name] = data

    def list_blobs(self, name_starts_with: str = "", include: Any = None) -> Iterator[Listed]:
        with_versions = self.versioning and include is not None and "versions" in include
        for name in sorted(set(self.current) | set(self.versions)):
            if not name.startswith(name_starts_with):
                continue
            if with_versions:
                for vid in self.versions.get(name, {}):
                    yield Listed(name, vid, False)
            if name in self.current:
                yield Listed(name, "current" if with_versions else None, True if with_versions else None)

    def delete_blob(self, name: str, version_id: str | None = None) -> None:
        if version_id is None:
            if name not in self.current:
                raise ResourceNotFoundError("gone")
            self._keep(name)
            del self.current[name]
            return
        if version_id not in self.versions.get(name, {}):
            raise ResourceNotFoundError("gone")
        del self.versions[name][version_id]
        self.deleted_versions.append((name, version_id))

    def get_blob_client(self, name: str) -> Any:
        container = self

        class Client:
            def upload_blob(self, data: bytes, **_: Any) -> None:
                container.upload(name, data)

        return Client()


class FakeService:
    def __init__(self, container: FakeContainer) -> None:
        self.container = container
        self.account_name = "fake"

    def get_container_client(self, _: str) -> FakeContainer:
        return self.container


def test_purge_deletes_only_previous_versions_of_exactly_that_blob() -> None:
    c = FakeContainer()
    c.upload("a/p1/original", b"with position")
    c.upload("a/p1/original", b"stripped")
    c.upload("a/p1/original.bak", b"other blob")
    c.upload("a/p1/original.bak", b"other blob 2")
    assert purge_previous_versions(c, "a/p1/original") == 1  # type: ignore[arg-type]  # a fake of the SDK's client, not the client
    assert c.current["a/p1/original"] == b"stripped" and c.versions["a/p1/original"] == {}
    assert len(c.versions["a/p1/original.bak"]) == 1  # shares the prefix: untouched


def test_a_rewritten_original_keeps_no_version_with_the_position() -> None:
    c = FakeContainer()
    store = BlobPhotoStore(FakeService(c), account_key="k")  # type: ignore[arg-type]  # a fake of the SDK's client, not the client
    store.put_photo_blob("a/p1/original", b"with position", content_type="image/jpeg")
    store.put_photo_blob("a/p1/original", b"stripped", content_type="image/jpeg")
    assert c.current["a/p1/original"] == b"stripped"
    assert all(b"with position" not in data for data in c.versions.get("a/p1/original", {}).values())
    assert c.deleted_versions == [("a/p1/original", "v1")]


def test_a_deleted_photo_keeps_no_version_and_a_retry_finishes_the_versions() -> None:
    c = FakeContainer()
    store = BlobPhotoStore(FakeService(c), account_key="k")  # type: ignore[arg-type]  # a fake of the SDK's client, not the client
    c.upload("a/p1/display", b"one")
    c.upload("a/p1/display", b"two")
    assert store.delete_photo_blob("a/p1/display") is True
    assert "a/p1/display" not in c.current and c.versions["a/p1/display"] == {}
    c.versions["a/p1/display"] = {"v9": b"left by a crash after the delete"}
    assert store.delete_photo_blob("a/p1/display") is False  # already gone, but its versions are purged
    assert c.versions["a/p1/display"] == {}


def test_erasure_by_prefix_deletes_current_blobs_and_every_version() -> None:
    c = FakeContainer()
    for name in ("acc/u1/p1/original", "acc/u1/p2/original"):
        c.upload(name, b"x")
        c.upload(name, b"y")
    c.versions["acc/u1/p3/original"] = {"v7": b"only a version left"}
    c.upload("acc/u2/p9/original", b"someone else")
    c.upload("acc/u2/p9/original", b"someone else 2")
    store = BlobPrefixStore(FakeService(c))  # type: ignore[arg-type]  # a fake of the SDK's client, not the client
    assert store.delete_prefix("photos", "acc/u1/") == 2
    assert not any(n.startswith("acc/u1/") for n in c.current)
    assert all(not v for n, v in c.versions.items() if n.startswith("acc/u1/"))
    assert len(c.versions["acc/u2/p9/original"]) == 1 and "acc/u2/p9/original" in c.current


def test_without_versioning_nothing_more_is_asked() -> None:
    """As on Azurite (no versions) or with BLOB_VERSIONING_ENABLED false: deletes work as before."""
    c = FakeContainer(versioning=False)
    c.upload("acc/u1/p1/original", b"x")
    assert BlobPrefixStore(FakeService(c), purge_versions=False).delete_prefix("photos", "acc/u1/") == 1  # type: ignore[arg-type]  # a fake of the SDK's client, not the client
    c.upload("acc/u1/p2/original", b"x")
    assert BlobPrefixStore(FakeService(c)).delete_prefix("photos", "acc/u1/") == 1  # type: ignore[arg-type]  # a fake of the SDK's client, not the client
    assert c.current == {} and c.deleted_versions == []
