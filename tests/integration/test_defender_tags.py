"""Defender for Storage's verdict read from real blob index tags (Azurite stores and answers them as Azure does)."""

from __future__ import annotations

import uuid

from core.adapters.blobs import BlobPhotoStore, DefenderScanner
from core.domain.media import ScanVerdict
from tests.fixtures import images
from tests.integration.conftest import Stack

TAG = "Malware Scanning scan result"


def test_defender_scanner_reads_the_verdict_from_the_blob_index_tag(stack: Stack) -> None:
    store = BlobPhotoStore.from_settings(stack.settings)
    scanner = DefenderScanner(store)
    data = images.jpeg()
    name = f"defender-test/{uuid.uuid4()}.jpg"
    blob = store._quarantine.get_blob_client(name)
    blob.upload_blob(data)
    try:
        assert scanner.scan(blob_name=name, data=data) is ScanVerdict.PENDING  # not scanned yet: no tag
        for tag, verdict in [
            ("Malicious", ScanVerdict.INFECTED),
            ("No threats found", ScanVerdict.CLEAN),
            ("Error", ScanVerdict.ERROR),
        ]:
            blob.set_blob_tags({TAG: tag, "Malware Scanning scan time UTC": "2026-12-01 10:00:00Z"})
            assert scanner.scan(blob_name=name, data=data) is verdict, tag
        blob.delete_blob()
        assert scanner.scan(blob_name=name, data=data) is ScanVerdict.ERROR  # removed under us
    finally:
        store.delete_quarantine(name)
