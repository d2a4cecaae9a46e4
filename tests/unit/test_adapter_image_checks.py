"""The image codec's checks (core/adapters/images/): magic bytes, decoding within a pixel budget, EICAR, EXIF,
rendering without metadata."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from PIL import Image

from core.adapters.images import checks, exif, formats
from core.domain.images import ExifInfo, Rejection, Verified
from core.domain.media import PhotoContentType, RejectReason, ScanVerdict, signature_verdict
from tests.fixtures import images

TAKEN = datetime(2026, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))


def _verified(
    data: bytes, declared: PhotoContentType = PhotoContentType.JPEG, max_pixels: int = 50_000_000
) -> Verified:
    result = checks.inspect(data, declared=declared, max_pixels=max_pixels)
    assert isinstance(result, Verified), result
    return result


def _rejected(
    data: bytes, declared: PhotoContentType = PhotoContentType.JPEG, max_pixels: int = 50_000_000
) -> Rejection:
    result = checks.inspect(data, declared=declared, max_pixels=max_pixels)
    assert isinstance(result, Rejection), result
    return result


def test_jpeg_metadata_is_read_from_exif() -> None:
    got = _verified(images.jpeg(size=(640, 480), taken=TAKEN, gps=(44.9778, -93.2650), orientation=6))
    assert (got.family, got.width, got.height) == ("jpeg", 480, 640)  # upright: orientation 6 turns it
    assert got.exif.captured_at == TAKEN and got.exif.captured_at.utcoffset() == timedelta(hours=-5)
    assert got.exif.camera is not None and (got.exif.camera.make, got.exif.camera.model) == ("Acme", "FieldCam 3")
    assert got.exif.orientation == 6
    assert got.exif.gps is not None
    assert got.exif.gps.latitude == pytest.approx(44.9778, abs=1e-4)
    assert got.exif.gps.longitude == pytest.approx(-93.2650, abs=1e-4)


def test_capture_time_without_an_offset_is_not_trusted() -> None:
    naive = datetime(2026, 5, 1, 9, 30)  # DateTimeOriginal without OffsetTimeOriginal: local time of unknown zone
    assert _verified(images.jpeg(taken=naive)).exif.captured_at is None
    assert exif.exif_capture_time("2026:05:01 09:30:00", "+02:00") == datetime(2026, 5, 1, 7, 30, tzinfo=UTC)
    assert exif.exif_capture_time("garbage", "+02:00") is None
    assert exif.exif_capture_time("2026:05:01 09:30:00", "+99:00") is None


def test_thumbnail_and_display_copy_are_upright_jpegs_without_metadata() -> None:
    got = _verified(images.jpeg(size=(4000, 3000), taken=TAKEN, gps=(10.0, 20.0), orientation=6))
    thumb = Image.open(io.BytesIO(got.thumbnail_jpeg))
    display = Image.open(io.BytesIO(got.display_jpeg))
    assert thumb.format == display.format == "JPEG"
    # Orientation 6 means "rotate 90° clockwise to view": the stored copies are upright (portrait).
    assert thumb.size == (240, 320) and display.size[0] < display.size[1] <= 2048
    assert display.size[1] >= 1024
    for copy in (thumb, display):
        assert not copy.getexif(), "EXIF must be stripped"
        assert "exif" not in copy.info and "xmp" not in copy.info and "icc_profile" not in copy.info


def test_small_images_keep_their_size_in_the_display_copy() -> None:
    got = _verified(images.jpeg(size=(200, 100)))
    assert Image.open(io.BytesIO(got.display_jpeg)).size == (200, 100)


def test_heic_orientation_is_reported_and_applied_once() -> None:
    import pillow_heif

    picture = Image.new("RGB", (200, 100), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    pillow_heif.from_pillow(picture).save(buf, exif=exif.tobytes())
    got = _verified(buf.getvalue(), PhotoContentType.HEIC)
    assert (got.width, got.height, got.exif.orientation) == (100, 200, 6)
    assert Image.open(io.BytesIO(got.display_jpeg)).size == (100, 200)


def test_png_and_heic_are_accepted() -> None:
    png = _verified(images.png(mode="RGBA"), PhotoContentType.PNG)
    assert (png.family, png.width, png.height) == ("png", 300, 200)
    heic = images.heic()
    assert formats.sniff(heic) == "heif"
    for declared in (PhotoContentType.HEIC, PhotoContentType.HEIF):
        got = _verified(heic, declared)
        assert (got.family, got.width, got.height) == ("heif", 256, 192)


def test_png_renamed_as_jpeg_is_a_type_mismatch() -> None:
    assert _rejected(images.png(), PhotoContentType.JPEG).reason is RejectReason.TYPE_MISMATCH
    assert _rejected(images.jpeg(), PhotoContentType.PNG).reason is RejectReason.TYPE_MISMATCH
    assert _rejected(images.heic(), PhotoContentType.JPEG).reason is RejectReason.TYPE_MISMATCH


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (b"just some text, not a picture\n" * 10, "unknown"),
        (images.ELF_HEADER, "elf-executable"),
        (images.PE_HEADER, "pe-executable"),
        (b"%PDF-1.7\n", "pdf"),
        (b"GIF89a" + b"\x00" * 20, "gif"),
    ],
)
def test_non_images_are_refused_by_their_magic_bytes(data: bytes, label: str) -> None:
    assert formats.sniff(data) == label
    got = _rejected(data)
    assert got.reason is RejectReason.NOT_AN_IMAGE and label in got.detail


def test_a_jpeg_header_on_damaged_data_does_not_decode() -> None:
    whole = images.jpeg()
    assert _rejected(whole[: len(whole) // 2]).reason is RejectReason.UNDECODABLE
    assert _rejected(b"\xff\xd8\xff\xe0" + b"\x00" * 100).reason is RejectReason.UNDECODABLE


def test_data_after_the_end_of_the_image_is_refused() -> None:
    jpeg, png = images.jpeg(), images.png()
    for data, declared in (
        (jpeg + b"PK\x03\x04zip", PhotoContentType.JPEG),
        (jpeg + b"<html></html>", PhotoContentType.JPEG),
        (png + b"PK\x03\x04zip", PhotoContentType.PNG),
        (images.heic() + b"<html></html>", PhotoContentType.HEIC),
    ):
        got = _rejected(data, declared)
        assert got.reason in (RejectReason.NOT_AN_IMAGE, RejectReason.UNDECODABLE) and "end" in got.detail
    _verified(jpeg + b"\x00" * 64)  # zero padding
    mpo = io.BytesIO()  # a JPEG followed by further complete JPEGs (MPF previews, gain maps) is a photo
    first = Image.open(io.BytesIO(jpeg))
    first.save(mpo, format="MPO", save_all=True, append_images=[first.resize((64, 48))])
    assert len(mpo.getvalue()) > len(jpeg) // 2 and _verified(mpo.getvalue()).width == 640


def test_pixel_limit_is_checked_before_decoding() -> None:
    bomb = images.png_bomb(8000, 8000)  # 64 megapixels in about 8 KB
    assert len(bomb) < 20_000
    got = _rejected(bomb, PhotoContentType.PNG, max_pixels=50_000_000)
    assert got.reason is RejectReason.TOO_MANY_PIXELS and "8000x8000" in got.detail
    # The limit is per call: the same image passes a larger budget, a small JPEG fails a tiny one.
    assert _rejected(images.jpeg(size=(200, 200)), max_pixels=10_000).reason is RejectReason.TOO_MANY_PIXELS
    assert Image.MAX_IMAGE_PIXELS != 10_000  # no global was changed


def test_heic_pixel_limit() -> None:
    assert (
        _rejected(images.heic((256, 192)), PhotoContentType.HEIC, max_pixels=10_000).reason
        is RejectReason.TOO_MANY_PIXELS
    )


def test_eicar_signature_anywhere_is_malware() -> None:
    assert signature_verdict(images.EICAR_TEXT) is ScanVerdict.INFECTED
    assert signature_verdict(images.jpeg(extra=images.EICAR_TEXT)) is ScanVerdict.INFECTED
    assert signature_verdict(images.jpeg()) is ScanVerdict.CLEAN


def test_gps_out_of_range_or_malformed_is_ignored() -> None:
    assert exif.gps_position({1: "N", 2: (91.0, 0.0, 0.0), 3: "E", 4: (10.0, 0.0, 0.0)}) is None
    assert exif.gps_position({1: "N", 2: (10.0, 0.0), 3: "E", 4: (10.0, 0.0, 0.0)}) is None
    assert exif.gps_position({1: "N", 2: ("x", 0, 0), 3: "E", 4: (10.0, 0.0, 0.0)}) is None
    south_west = exif.gps_position({1: "S", 2: (33.0, 30.0, 0.0), 3: "W", 4: (70.0, 15.0, 0.0)})
    assert south_west is not None and (south_west.latitude, south_west.longitude) == (-33.5, -70.25)


@pytest.mark.parametrize(
    ("original", "offset"),
    [
        ("0000:00:00 00:00:00", "+00:00"),  # the "unknown" value some cameras write
        ("0001:01:01 00:00:00", "+14:00"),  # UTC would be before year 1: converting it overflowed
        ("9999:12:31 23:59:59", "+14:00"),
        ("9999:12:31 23:59:59", "-14:00"),  # UTC would be after year 9999
        ("1989:12:31 23:59:59", "+00:00"),  # before digital cameras
        ("2101:01:01 00:00:00", "+00:00"),
        ("2026:02:30 10:00:00", "+01:00"),  # no such day
        ("2026:05:01 25:61:00", "+01:00"),
        ("\x00\x00\x00\x00", "+01:00"),
        ("2026:05:01 09:30:00", "+14:01"),
        ("2026:05:01 09:30:00", "Z"),
    ],
)
def test_absurd_exif_capture_times_are_ignored(original: str, offset: str) -> None:
    assert exif.exif_capture_time(original, offset) is None
    got = _verified(images.jpeg(taken_text=(original, offset)))
    assert got.exif.captured_at is None and got.exif.camera is not None


def test_plausible_capture_years_are_kept_and_always_convert_to_utc() -> None:
    for original, offset in (("1990:01:01 00:00:00", "+14:00"), ("2100:12:31 23:59:59", "-14:00")):
        got = exif.exif_capture_time(original, offset)
        assert got is not None and got.astimezone(UTC).year in (1989, 2101)


def test_damaged_exif_is_no_metadata_instead_of_a_crash() -> None:
    class Broken:
        def getexif(self) -> object:
            raise KeyError("IFD pointer to nowhere")

    assert exif.read_exif(Broken()) == ExifInfo()  # type: ignore[arg-type]  # a file-like object that fails every read, not a real file
