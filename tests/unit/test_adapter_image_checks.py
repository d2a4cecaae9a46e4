"""The image codec's checks (core/adapters/images/): magic bytes, decoding within a pixel budget, EICAR, EXIF,
rendering without metadata, and the process's decode memory budget."""

from __future__ import annotations

import io
import os
import random
import subprocess  # nosec B404 - a fresh interpreter measures its own memory
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image

from core.adapters.images import checks, exif, formats
from core.adapters.images.budget import DecodeBudget
from core.adapters.images.codec import PillowImageCodec
from core.domain.images import ExifInfo, Rejection, Verified
from core.domain.media import PhotoContentType, RejectReason, ScanVerdict, signature_verdict
from tests.fixtures import images

ROOT = Path(__file__).resolve().parents[2]
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


# ---------------------------------------------------------------- the decode budget (budget.py, codec.py)

MIB = 1024 * 1024


def test_decode_cost_is_read_from_the_header_and_covers_the_decoded_pixels() -> None:
    png = images.png((1000, 800), "RGBA")
    cost = checks.decode_cost(png, declared=PhotoContentType.PNG, max_pixels=50_000_000)
    assert cost == int(1000 * 800 * 4 * checks.PEAK_PER_DECODED_BYTE) + checks.RENDERING_BYTES
    # A JPEG is decoded at a reduced scale (half the display size is enough): 4000x3000 costs what 2000x1500 does.
    big_jpeg = images.jpeg(size=(4000, 3000))
    assert checks.decode_cost(big_jpeg, declared=PhotoContentType.JPEG, max_pixels=50_000_000) == (
        int(2000 * 1500 * 4 * checks.PEAK_PER_DECODED_BYTE) + checks.RENDERING_BYTES
    )
    heic = images.heic((256, 192))
    assert checks.decode_cost(heic, declared=PhotoContentType.HEIC, max_pixels=50_000_000) == (
        int(256 * 192 * 4 * checks.PEAK_PER_DECODED_BYTE) + checks.RENDERING_BYTES + len(heic)
    )
    # What `inspect` refuses before decoding costs nothing.
    assert checks.decode_cost(images.png_bomb(8000, 8000), declared=PhotoContentType.PNG, max_pixels=50_000_000) == 0
    assert checks.decode_cost(png, declared=PhotoContentType.JPEG, max_pixels=50_000_000) == 0
    assert checks.decode_cost(b"%PDF-1.7 not an image", declared=PhotoContentType.PNG, max_pixels=50_000_000) == 0


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in 10 s"
        time.sleep(0.001)


def _hold_in_thread(budget: DecodeBudget, need: int, release: threading.Event, entered: list[int]) -> threading.Thread:
    def run() -> None:
        with budget.holding(need) as granted:
            entered.append(need)
            assert budget.held <= budget.capacity and granted <= budget.capacity
            assert release.wait(10)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_decode_budget_waits_in_line_and_runs_a_photo_larger_than_the_budget_alone() -> None:
    budget, entered = DecodeBudget(100), list[int]()
    releases = {name: threading.Event() for name in ("small", "big", "later")}
    first = _hold_in_thread(budget, 30, releases["small"], entered)
    _wait_until(lambda: budget.held == 30)
    big = _hold_in_thread(budget, 500, releases["big"], entered)  # more than the whole budget: waits to run alone
    _wait_until(lambda: budget.waiting == 1)
    later = _hold_in_thread(budget, 10, releases["later"], entered)  # would fit, but waits behind the big one
    _wait_until(lambda: budget.waiting == 2)
    assert entered == [30] and budget.held == 30
    releases["small"].set()
    _wait_until(lambda: entered == [30, 500])
    assert budget.held == 100 and budget.waiting == 1  # the big one alone, granted the whole budget
    releases["big"].set()
    _wait_until(lambda: entered == [30, 500, 10])
    releases["later"].set()
    for thread in (first, big, later):
        thread.join(10)
        assert not thread.is_alive()
    assert budget.held == 0 and budget.most_held == 100


def test_decode_budget_gives_its_share_back_when_the_decode_fails() -> None:
    budget = DecodeBudget(100)
    with pytest.raises(RuntimeError), budget.holding(80):
        raise RuntimeError("the decoder crashed")
    assert budget.held == 0
    with budget.holding(100) as granted:  # the whole budget is free again at once
        assert granted == 100


def test_concurrent_decodes_never_hold_more_than_the_budget_and_none_is_lost() -> None:
    """A fake decode on 24 threads at once, needs drawn between 1 % and 150 % of the budget: the bytes of the decodes
    running at any moment stay within the budget, a decode above it runs alone, and every one finishes."""
    budget, lock = DecodeBudget(1000), threading.Lock()
    running: list[int] = []
    most, most_running, done = 0, 0, []
    draw = random.Random(31)
    needs = [draw.randint(10, 1500) for _ in range(24)]

    def fake_decode(index: int, need: int) -> None:
        nonlocal most, most_running
        with budget.holding(need) as granted:
            with lock:
                running.append(granted)
                most, most_running = max(most, sum(running)), max(most_running, len(running))
                assert need <= budget.capacity or running == [budget.capacity], running  # alone when too large
            time.sleep(0.002)  # the decode's work
            with lock:
                running.remove(granted)
        done.append(index)

    threads = [threading.Thread(target=fake_decode, args=(i, need), daemon=True) for i, need in enumerate(needs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads), "a decode never got its share"
    assert sorted(done) == list(range(24)) and budget.held == 0 and budget.waiting == 0
    assert most <= budget.capacity and budget.most_held == most
    assert most_running >= 2  # decodes did run side by side


def test_the_codec_verifies_concurrent_photos_within_its_budget() -> None:
    """The real codec on 8 threads, with a budget of one and a half photos: one verification at a time, all done."""
    photo = images.jpeg(size=(1200, 900), taken=TAKEN)
    need = checks.decode_cost(photo, declared=PhotoContentType.JPEG, max_pixels=50_000_000)
    codec = PillowImageCodec(DecodeBudget(need + need // 2))
    with ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(lambda _: codec.inspect(photo, declared=PhotoContentType.JPEG, max_pixels=50_000_000), range(8))
        )
    assert [type(result) for result in results] == [Verified] * 8
    assert codec.budget.most_held == need and codec.budget.held == 0


_FREED_SCRIPT = """
import io, sys
from concurrent.futures import ThreadPoolExecutor
from PIL import Image
from core.adapters.images import checks
from core.adapters.images.budget import DecodeBudget, return_large_blocks_on_free
from core.adapters.images.codec import PillowImageCodec
from core.domain.media import PhotoContentType

def kb(field):
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(field + ":"))

if sys.argv[1] == "on":
    assert return_large_blocks_on_free()
buf = io.BytesIO()
Image.effect_noise((1600, 1200), 60).convert("RGB").save(buf, format="JPEG", quality=95)
data, jpeg = buf.getvalue(), PhotoContentType.JPEG
codec = PillowImageCodec(DecodeBudget(checks.decode_cost(data, declared=jpeg, max_pixels=50_000_000)))
base = kb("VmRSS")
open("/proc/self/clear_refs", "w").write("5")
with ThreadPoolExecutor(4) as pool:
    assert all(pool.map(lambda _: codec.inspect(data, declared=jpeg, max_pixels=50_000_000), range(12)))
print(codec.budget.capacity // 1024, kb("VmHWM") - base, kb("VmRSS") - base)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="measures the Linux kernel's peak RSS")
def test_decodes_add_no_more_than_the_budget_to_the_process_and_give_it_back() -> None:
    """A fresh process verifies 12 photos on 4 threads, one at a time (the budget holds one): with freed blocks given
    back (as the root sets it) its peak grows by about the budget and it ends where it started; with glibc's
    default, the threads' heaps keep the freed decode buffers."""

    def run(mode: str) -> tuple[int, int, int]:
        done = subprocess.run(  # nosec B603 - this interpreter, the script above
            [sys.executable, "-c", _FREED_SCRIPT, mode], check=True, capture_output=True, text=True, cwd=ROOT
        )
        budget_kb, growth_kb, kept_kb = (int(v) for v in done.stdout.split())
        return budget_kb, growth_kb, kept_kb

    budget_kb, growth_kb, kept_kb = run("on")
    assert growth_kb <= budget_kb + 8 * 1024 and kept_kb < 16 * 1024, (budget_kb, growth_kb, kept_kb)
    _, default_growth_kb, default_kept_kb = run("off")
    assert default_kept_kb > kept_kb + 16 * 1024, (default_growth_kb, default_kept_kb)  # what the setting changes
