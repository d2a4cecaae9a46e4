"""Pure verification of an uploaded photo: what the bytes are (magic bytes, never the name or a header), whether
they decode as an image of an accepted type within a pixel budget, the malware signature check, EXIF metadata,
and the rendering of the thumbnail and the display copy (EXIF stripped).

No I/O and no process-wide state: the pixel limit is passed on each call (Pillow's global MAX_IMAGE_PIXELS is
left as it is), HEIF files are read through pillow_heif directly (no opener is registered globally).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError

from core.domain.media import PhotoContentType, RejectReason, signature_verdict
from core.services.exif_metadata import ExifInfo, exif_capture_time, gps_position, orientation_of, read_exif

__all__ = [
    "ExifInfo",
    "Rejection",
    "Verified",
    "exif_capture_time",
    "gps_position",
    "inspect",
    "read_exif",
    "render",
    "signature_verdict",
    "sniff",
    "trailing_data",
]

THUMBNAIL_PX = 320
DISPLAY_PX = 2048
THUMBNAIL_QUALITY = 80
DISPLAY_QUALITY = 85

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


# ---------------------------------------------------------------- decoding


@dataclass
class Rejection:
    reason: RejectReason
    detail: str


@dataclass
class Verified:
    family: str
    width: int
    height: int
    exif: ExifInfo
    thumbnail_jpeg: bytes = field(repr=False)
    display_jpeg: bytes = field(repr=False)


def inspect(data: bytes, *, declared: PhotoContentType, max_pixels: int) -> Verified | Rejection:
    """Check the bytes against the declared type, decode them within `max_pixels`, read EXIF, render the copies."""
    found = sniff(data)
    if found not in ("jpeg", "png", "heif"):
        return Rejection(RejectReason.NOT_AN_IMAGE, f"the file is not a JPEG, PNG or HEIC/HEIF image ({found})")
    if found != declared.family:
        return Rejection(RejectReason.TYPE_MISMATCH, f"declared {declared.value} but the file is {found}")
    opened = _open(data, found, max_pixels)
    if isinstance(opened, Rejection):
        return opened
    image, width, height = opened
    if (trailing := trailing_data(data, found)) is not None:
        return trailing
    try:
        exif = read_exif(image)
        thumbnail, display = render(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        return Rejection(RejectReason.UNDECODABLE, f"the image data is damaged ({type(exc).__name__})")
    if found == "heif":
        # libheif hands the picture over already upright and resets the tag; keep what the file said.
        original = image.info.get("original_orientation")
        exif.orientation = original if isinstance(original, int) and 1 <= original <= 8 else exif.orientation
    elif exif.orientation in (5, 6, 7, 8):
        width, height = height, width  # dimensions as the picture is seen upright
    return Verified(family=found, width=width, height=height, exif=exif, thumbnail_jpeg=thumbnail, display_jpeg=display)


def _too_many(width: int, height: int, max_pixels: int) -> Rejection | None:
    if width <= 0 or height <= 0:
        return Rejection(RejectReason.UNDECODABLE, "the image has no pixels")
    if width * height > max_pixels:
        return Rejection(
            RejectReason.TOO_MANY_PIXELS,
            f"{width}x{height} is more than the limit of {max_pixels} pixels (decompression bomb?)",
        )
    return None


def _open(data: bytes, family: str, max_pixels: int) -> tuple[Image.Image, int, int] | Rejection:
    """Read the header, check the pixel count, then decode. Only the plugin of the sniffed type is tried."""
    try:
        if family == "heif":
            import pillow_heif

            heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
            width, height = heif.size
            if (refused := _too_many(width, height, max_pixels)) is not None:
                return refused
            image = heif.to_pillow()  # decodes
        else:
            image = Image.open(io.BytesIO(data), formats=["JPEG" if family == "jpeg" else "PNG"])
            width, height = image.size
            if (refused := _too_many(width, height, max_pixels)) is not None:
                return refused
            if family == "jpeg":
                # Decode at a reduced DCT scale when that still leaves at least half the display size on the
                # short side: every byte is still read (damage is still found), at a fraction of the cost.
                image.draft("RGB", (DISPLAY_PX // 2, DISPLAY_PX // 2))
            image.load()
    except Image.DecompressionBombError:
        return Rejection(RejectReason.TOO_MANY_PIXELS, "more pixels than Pillow allows (decompression bomb)")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, RuntimeError) as exc:
        return Rejection(RejectReason.UNDECODABLE, f"the file does not decode as {family} ({type(exc).__name__})")
    return image, width, height


# ---------------------------------------------------------------- where the image ends

_MAX_EMBEDDED_JPEGS = 16  # MPF / Ultra HDR files append a few secondary JPEGs (previews, gain maps) after the first


def _jpeg_end(data: bytes, start: int) -> int | None:
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


def _png_end(data: bytes) -> int | None:
    pos, size = 8, len(data)
    while pos + 12 <= size:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return pos if pos <= size else None
    return None


def _heif_end(data: bytes) -> int | None:
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
        end = _jpeg_end(data, 0)
        for _ in range(_MAX_EMBEDDED_JPEGS):
            if end is None or not data.startswith(b"\xff\xd8\xff", end):
                break
            end = _jpeg_end(data, end)
    elif family == "png":
        end = _png_end(data)
    else:
        end = _heif_end(data)
    if end is None:
        return Rejection(RejectReason.UNDECODABLE, f"the {family} structure does not end cleanly")
    rest = data[end:]
    if rest.strip(b"\x00"):
        return Rejection(
            RejectReason.NOT_AN_IMAGE,
            f"{len(rest)} bytes of other data follow the end of the {family} image (polyglot file?)",
        )
    return None


# ---------------------------------------------------------------- rendering


def _rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


# EXIF orientation -> the transposition that makes the picture upright (as ImageOps.exif_transpose does).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _fit(image: Image.Image, box: int) -> Image.Image:
    """A resized copy that fits a box x box square (the image itself when it already fits)."""
    width, height = image.size
    if max(width, height) <= box:
        return image
    scale = box / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def _encode(image: Image.Image, orientation: int | None, quality: int) -> bytes:
    out = _rgb(image)  # always a new image: the original is never changed
    if orientation in _UPRIGHT:
        out = out.transpose(_UPRIGHT[orientation])
    out.info = {}  # no EXIF, XMP, ICC or comments: nothing of the original's metadata is carried over
    buf = io.BytesIO()
    out.save(buf, format="JPEG", quality=quality, optimize=True)
    return buf.getvalue()


def render(image: Image.Image) -> tuple[bytes, bytes]:
    """The thumbnail (THUMBNAIL_PX box) and the display copy (DISPLAY_PX box), upright, as JPEG without metadata.
    Resizing comes first (the thumbnail from the display copy), turning after, so the full image is read once."""
    orientation = orientation_of(image)
    display = _fit(image, DISPLAY_PX)
    thumbnail = _fit(display, THUMBNAIL_PX)
    return _encode(thumbnail, orientation, THUMBNAIL_QUALITY), _encode(display, orientation, DISPLAY_QUALITY)
