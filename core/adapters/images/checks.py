"""Verification of an uploaded photo: whether the bytes (their magic bytes, formats.py) decode as an image of the
declared type within a pixel budget and end where the image ends, its EXIF metadata (exif.py), and the rendering of
the thumbnail and the display copy (metadata stripped).

No I/O and no process-wide state: the pixel limit is passed on each call (Pillow's global MAX_IMAGE_PIXELS is
left as it is), HEIF files are read through pillow_heif directly (no opener is registered globally).
"""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from core.adapters.images.exif import orientation_of, read_exif
from core.adapters.images.formats import sniff, trailing_data
from core.domain.images import Rejection, Verified
from core.domain.media import PhotoContentType, RejectReason

THUMBNAIL_PX = 320
DISPLAY_PX = 2048
THUMBNAIL_QUALITY = 80
DISPLAY_QUALITY = 85


# Memory one verification holds at its peak, over the bytes of the decoded picture (Pillow keeps 4 bytes a pixel
# for RGB, RGBA and LA, 1 for L and P): the decoded picture and one full-size copy (the premultiplied-alpha copy
# Pillow resizes an RGBA picture through; libheif's planes for HEIC), plus up to 32 MiB for the display copy (at
# most 2048 px a side), its RGB conversion and the JPEG encoders (a noisy 1600x1200 JPEG, shown at full size,
# adds 48 MiB in all). Fitted above the figures of `python -m bench.photo_checks` (each case in a fresh process,
# docs/scaling.md "Instance memory"); HEIF also keeps a copy of the file while it decodes.
PEAK_PER_DECODED_BYTE = 2.3
RENDERING_BYTES = 32 * 1024 * 1024


# ---------------------------------------------------------------- decoding


def decode_cost(data: bytes, *, declared: PhotoContentType, max_pixels: int) -> int:
    """The memory, in bytes, `inspect` will hold at its peak for these bytes, from the header alone (nothing is
    decoded): 0 when `inspect` refuses the file before decoding it. For the decode budget (budget.py)."""
    found = sniff(data)
    if found not in ("jpeg", "png", "heif") or found != declared.family:
        return 0
    try:
        if found == "heif":
            import pillow_heif

            heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
            (width, height), mode, copied = heif.size, heif.mode, len(data)
        else:
            image = Image.open(io.BytesIO(data), formats=["JPEG" if found == "jpeg" else "PNG"])
            width, height = image.size
            if _too_many(width, height, max_pixels) is None and found == "jpeg":
                _draft(image)  # the size the decoder will produce (configures the decoder, decodes nothing)
            (width, height), mode, copied = image.size, image.mode, 0
    except (
        Image.DecompressionBombError,
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
        RuntimeError,
    ):
        return 0  # `inspect` refuses it from the same header
    if _too_many(width, height, max_pixels) is not None:
        return 0
    pixel_bytes = 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4
    return int(width * height * pixel_bytes * PEAK_PER_DECODED_BYTE) + RENDERING_BYTES + copied


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
                _draft(image)
            image.load()
    except Image.DecompressionBombError:
        return Rejection(RejectReason.TOO_MANY_PIXELS, "more pixels than Pillow allows (decompression bomb)")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, RuntimeError) as exc:
        return Rejection(RejectReason.UNDECODABLE, f"the file does not decode as {family} ({type(exc).__name__})")
    return image, width, height


def _draft(image: Image.Image) -> None:
    """Have a JPEG decoded at a reduced DCT scale when that still leaves at least half the display size on the short
    side: every byte is still read (damage is still found), at a fraction of the cost."""
    image.draft("RGB", (DISPLAY_PX // 2, DISPLAY_PX // 2))


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
