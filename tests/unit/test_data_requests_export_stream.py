"""The export stream: a ZIP written through staged blocks, never held whole in memory."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from core.adapters import blob_privacy
from core.adapters.blob_privacy import BlockWriter


class RecordingBlob:
    def __init__(self) -> None:
        self.staged: dict[str, bytes] = {}
        self.largest = 0
        self.committed: bytes | None = None

    def stage_block(self, *, block_id: str, data: bytes, length: int) -> None:
        self.staged[block_id] = data
        self.largest = max(self.largest, length)

    def commit_block_list(self, blocks: list[Any], **_: Any) -> None:
        self.committed = b"".join(self.staged[b.id] for b in blocks)


def test_zip_streams_in_bounded_blocks_and_reads_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blob_privacy, "BLOCK_BYTES", 64 * 1024)
    blob = RecordingBlob()
    writer = io.BufferedWriter(BlockWriter(blob), buffer_size=8 * 1024)  # type: ignore[arg-type]  # BlockWriter is a raw stream; typeshed wants io.RawIOBase for BufferedWriter
    with writer as raw, zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_STORED) as zf:
        with zf.open("pings.json", "w", force_zip64=True) as out:
            out.write(b"[")
            for i in range(40_000):
                out.write(b'{"lat": 45.0, "lon": -93.0, "i": %d},' % i)
            out.write(b"{}]")
        assert blob.committed is None  # nothing is committed before the end
        assert len(blob.staged) > 10  # blocks went out while the file was written
    assert blob.largest <= 64 * 1024
    assert blob.committed is not None and len(blob.committed) > 1_000_000
    names = zipfile.ZipFile(io.BytesIO(blob.committed)).namelist()
    assert names == ["pings.json"]
