"""What the bytes of an upload are and where the image in them ends, read from the bytes alone: the magic bytes
(never the name or a header), and the container structure of JPEG, PNG and HEIF walked to its end (no decoding).
Used by the checks (a polyglot file is refused) and by the position removal (every JPEG of a multi-picture file)."""

from __future__ import annotations

from core.domain.images import Rejection
from core.domain.media import RejectReason

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"heif"}


# ---------------------------------------------------------------- magic bytes


def sniff(data: bytes) -> str:
    """What the first bytes say the file is: jpeg, png, heif (accepted) or a label for what it is not."""
    head = data[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        if head[8:12] in _HEIF_BRANDS:
            return "heif"
        if head[8:12] in (b"avif", b"avis"):
            return "avif"
        return "iso-media"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"MZ"):
        return "pe-executable"
    if head.startswith(b"\x7fELF"):
        return "elf-executable"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    return "unknown"


# ---------------------------------------------------------------- where the image ends

MAX_EMBEDDED_JPEGS = 16  # MPF / Ultra HDR files append a few secondary JPEGs (previews, gain maps) after the first


def jpeg_end(data: bytes, start: int) -> int | None:
    """The offset just past the EOI of the JPEG starting at `start` (segments walked, entropy data skipped), or
    None when its structure does not end cleanly."""
    if data[start : start + 3] != b"\xff\xd8\xff":
        return None
    pos, size = start + 2, len(data)
    while pos < size:  # every step moves pos forward
        if data[pos] != 0xFF:
            return None
        while pos < size and data[pos] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos >= size:
            return None
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            return pos
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # RSTn, TEM: no length
            continue
        if pos + 2 > size:
            return None
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2:
            return None
        pos += length
        if marker == 0xDA:  # SOS: entropy-coded data up to the next marker other than a stuffed 00 or an RSTn
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= size:
                    return None
                following = data[pos + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    pos += 1 if following == 0xFF else 2
                    continue
                break
    return None


def png_end(data: bytes) -> int | None:
    pos, size = 8, len(data)
    while pos + 12 <= size:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return pos if pos <= size else None
    return None


def heif_end(data: bytes) -> int | None:
    """ISO media files are a sequence of top-level boxes that must cover the file exactly."""
    pos, size = 0, len(data)
    while pos < size:
        if pos + 8 > size:
            return None
        box = int.from_bytes(data[pos : pos + 4], "big")
        if box == 0:  # the last box runs to the end of the file
            return size
        if box == 1:
            if pos + 16 > size:
                return None
            box = int.from_bytes(data[pos + 8 : pos + 16], "big")
        if box < 8 or pos + box > size:
            return None
        pos += box
    return pos


def trailing_data(data: bytes, family: str) -> Rejection | None:
    """Refuse bytes after the end of the image: a ZIP, JAR, HTML or script appended to a picture makes a polyglot
    (a GIFAR-like file that another program reads as something else), and the original is stored as uploaded.
    A JPEG may be followed by further complete JPEGs (MPF previews, Ultra HDR gain maps); zero padding is allowed.
    A file whose structure does not end cleanly is refused as damaged."""
    if family == "jpeg":
        end = jpeg_end(data, 0)
        for _ in range(MAX_EMBEDDED_JPEGS):
            if end is None or not data.startswith(b"\xff\xd8\xff", end):
                break
            end = jpeg_end(data, end)
    elif family == "png":
        end = png_end(data)
    else:
        end = heif_end(data)
    if end is None:
        return Rejection(RejectReason.UNDECODABLE, f"the {family} structure does not end cleanly")
    rest = data[end:]
    if rest.strip(b"\x00"):
        return Rejection(
            RejectReason.NOT_AN_IMAGE,
            f"{len(rest)} bytes of other data follow the end of the {family} image (polyglot file?)",
        )
    return None
