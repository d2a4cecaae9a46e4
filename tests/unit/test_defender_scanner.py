"""Defender for Storage's verdict (blob index tag `Malware Scanning scan result`) and what each does to a photo."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from core.adapters.blobs import DefenderScanner, verdict_of
from core.domain.consent import Capability
from core.domain.media import PhotoStatus, ScanVerdict
from core.services import photos
from tests.fixtures import images
from tests.unit.test_photos_service import WORKER, World


@pytest.mark.parametrize(
    ("tag", "verdict"),
    [
        (None, ScanVerdict.PENDING),
        ("No threats found", ScanVerdict.CLEAN),
        ("  no threats FOUND ", ScanVerdict.CLEAN),
        ("Malicious", ScanVerdict.INFECTED),
        ("MALICIOUS", ScanVerdict.INFECTED),
        ("Error", ScanVerdict.ERROR),
        ("Scan failed - internal service error", ScanVerdict.ERROR),
        ("Scan aborted - the file size exceeds the limit", ScanVerdict.CAP_REACHED),
        ("Monthly capping limit reached", ScanVerdict.CAP_REACHED),
        ("Not scanned", ScanVerdict.NOT_SCANNED),
        ("", ScanVerdict.NOT_SCANNED),
        ("No threats found (partially)", ScanVerdict.NOT_SCANNED),  # only the exact clean text is clean
    ],
)
def test_every_defender_tag_maps_to_its_verdict(tag: str | None, verdict: ScanVerdict) -> None:
    assert verdict_of(tag) is verdict


class Tags:
    """Stands in for BlobPhotoStore.scan_result_tag: a tag per blob, or an error to raise."""

    def __init__(self, tag: str | None = None, error: Exception | None = None) -> None:
        self.tag, self.error, self.asked = tag, error, 0

    def scan_result_tag(self, blob_name: str) -> str | None:
        self.asked += 1
        if self.error is not None:
            raise self.error
        return self.tag


def _scanner(tags: Tags) -> DefenderScanner:
    scanner: Any = DefenderScanner(tags)  # type: ignore[arg-type]  # only scan_result_tag is used
    return scanner  # type: ignore[no-any-return]  # the scanner is built around a fake blob client typed as Any


def test_the_signature_check_wins_over_a_clean_tag() -> None:
    tags = Tags("No threats found")
    assert _scanner(tags).scan(blob_name="b", data=images.EICAR_TEXT) is ScanVerdict.INFECTED
    assert _scanner(tags).scan(blob_name="b", data=images.jpeg()) is ScanVerdict.CLEAN


@pytest.mark.parametrize("error", [ResourceNotFoundError("gone"), HttpResponseError("throttled")])
def test_an_unreadable_tag_is_an_error_never_clean(error: Exception) -> None:
    assert _scanner(Tags("No threats found", error)).scan(blob_name="b", data=images.jpeg()) is ScanVerdict.ERROR


@pytest.mark.parametrize(
    ("tag", "status", "reason", "upload_kept"),
    [
        ("Malicious", PhotoStatus.REJECTED, "malware", False),
        ("Error", PhotoStatus.QUARANTINED, "scan-error", True),
        ("Scan aborted - the file size exceeds the limit", PhotoStatus.QUARANTINED, "scan-cap-reached", True),
        ("Not scanned", PhotoStatus.QUARANTINED, "not-scanned", True),
        ("No threats found", PhotoStatus.READY, None, False),
    ],
)
def test_each_tag_through_the_photo_processor(
    tag: str, status: PhotoStatus, reason: str | None, upload_kept: bool
) -> None:
    w = World()
    w.grant(WORKER, Capability.CAMERA)
    w.clock.advance(minutes=1)
    w.scanner = _scanner(Tags(tag))  # type: ignore[assignment]  # a DefenderScanner over fake blobs replaces the world's scanner
    photo_id = w.request(WORKER, images.jpeg())
    w.upload(WORKER, photo_id, images.jpeg())
    w.process(WORKER, photo_id)
    photo = w.photo(WORKER, photo_id)
    assert (photo.status, photo.reason) == (status, reason)
    assert (photo.quarantine_blob in w.blobs.quarantine) is upload_kept
    # Only a clean verdict ever puts anything where photos are served from.
    assert bool(w.blobs.photos) is (status is PhotoStatus.READY)


def test_no_tag_yet_is_asked_again_later() -> None:
    w = World()
    w.grant(WORKER, Capability.CAMERA)
    w.clock.advance(minutes=1)
    w.scanner = _scanner(Tags(None))  # type: ignore[assignment]  # a DefenderScanner over fake blobs replaces the world's scanner
    photo_id = w.request(WORKER, images.jpeg())
    w.upload(WORKER, photo_id, images.jpeg())
    assert w.process(WORKER, photo_id) == "scan-pending"
    assert w.jobs.sent[-1][1] == photos.SCAN_RECHECK_SECONDS and w.blobs.photos == {}
