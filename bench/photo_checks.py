"""Photo verification cost, measured in-process (no emulator): what one queue message costs the processor, in time
and in memory.

    .venv/bin/python -m bench.photo_checks [--repeat 3] [--quick]

Makes a 12-megapixel camera-like JPEG (noise, so it does not compress to nothing) with EXIF GPS, the same picture
as HEIC, a 2-megapixel PNG, the largest JPEG and RGBA PNG the default pixel limit (PHOTO_MAX_PIXELS) accepts, the
largest single-picture HEIC the decoder takes (35.5 MP, `HEIC_LARGEST`), and a 64-megapixel PNG decompression
bomb. `--quick` leaves out the three largest (encoding the largest HEIC takes a minute on one core).

Each case runs in a fresh child process, so one case's peak is not another's (nor the benchmark's own, which
generates the images): the parent writes the file to a temporary directory, the child imports the codec (Pillow,
pillow-heif, core/adapters/images), reads the file, notes its resident memory and resets the kernel's peak
(`/proc/self/clear_refs`, Linux), runs `checks.inspect` once and reads the peak back (`VmHWM`). The growth over the
baseline is what one verification adds to a process that is already running. The child then repeats the call for
the timings and notes its resident memory after all of them (what the allocator keeps). Printed per case: file
size, best and median time per call, resident memory after imports, the peak of the first call and its growth
over the baseline, that growth per megapixel of the file, what the decode budget reserves for it from the header
(`checks.decode_cost`, which must not be below the growth), the resident memory after the repeats, the EICAR scan's
time, and the outcome. Timings on a shared machine
are noisy; memory figures are not.

Then a queue batch: 24 photos (host.json's batchSize 16 and newBatchThreshold 8), the 12 MP JPEG and HEIC in turn,
through the codec (`PillowImageCodec`, with its `DecodeBudget`) on 6 threads, in a fresh process per row: with a
budget of 160 MB and of 768 MB (the default), each with glibc's default allocator and with freed blocks given back
(`return_large_blocks_on_free`, as the composition root sets it). Printed: the most the budget granted at once, the
growth of the peak resident memory, what the process kept after the batch, and the wall time.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess  # nosec B404 - the benchmark's own child processes
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pillow_heif
from PIL import Image

from bench.lib.measure import reset_peak, status_kb
from core.adapters.images import checks
from core.adapters.images.budget import DecodeBudget, return_large_blocks_on_free
from core.adapters.images.codec import PillowImageCodec
from core.adapters.images.formats import sniff
from core.domain.media import PhotoContentType, signature_verdict
from core.settings import Settings
from tests.fixtures import images

MB = 1024 * 1024
BATCH, THREADS = (
    24,
    6,
)  # host.json's batchSize 16 + newBatchThreshold 8; the Python worker's threads on a small instance


def child(path: str, declared_value: str, max_pixels: int, repeat: int) -> None:
    """One case in this (fresh) process (pillow-heif, which the codec imports on the first HEIC, is imported already,
    at the top of this module); prints one JSON line."""
    after_imports_kb = status_kb("VmRSS")
    data = Path(path).read_bytes()
    declared = PhotoContentType(declared_value)
    baseline_kb = status_kb("VmRSS")
    reset_peak()
    started = time.perf_counter()
    result = checks.inspect(data, declared=declared, max_pixels=max_pixels)
    runs = [time.perf_counter() - started]
    peak_kb = status_kb("VmHWM")
    for _ in range(repeat - 1):
        started = time.perf_counter()
        checks.inspect(data, declared=declared, max_pixels=max_pixels)
        runs.append(time.perf_counter() - started)
    started = time.perf_counter()
    signature_verdict(data)
    scan = time.perf_counter() - started
    print(
        json.dumps(
            {
                "after_imports_mb": after_imports_kb / 1024,
                "baseline_mb": baseline_kb / 1024,
                "peak_mb": peak_kb / 1024,
                "growth_mb": (peak_kb - baseline_kb) / 1024,
                "after_repeats_mb": status_kb("VmRSS") / 1024,
                "best_s": min(runs),
                "median_s": statistics.median(runs),
                "scan_s": scan,
                "outcome": str(getattr(result, "reason", None) or "verified"),
            }
        )
    )


def batch_child(budget_mb: int, threads: int, freed: str, paths: list[str]) -> None:
    """A queue batch in this (fresh) process: BATCH photos (the files in turn) through the codec on `threads`
    threads, with a decode budget of `budget_mb`, and freed blocks given back when `freed` is "on" (as the
    composition root does); prints one JSON line."""
    if freed == "on":
        return_large_blocks_on_free()
    files = [
        (Path(path).read_bytes(), PhotoContentType(declared))
        for path, declared in zip(paths[::2], paths[1::2], strict=True)
    ]
    codec = PillowImageCodec(DecodeBudget(budget_mb * MB))
    jobs = [files[i % len(files)] for i in range(BATCH)]
    baseline_kb = status_kb("VmRSS")
    reset_peak()
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda job: codec.inspect(job[0], declared=job[1], max_pixels=50_000_000), jobs))
    print(
        json.dumps(
            {
                "growth_mb": (status_kb("VmHWM") - baseline_kb) / 1024,
                "most_held_mb": codec.budget.most_held / MB,
                "kept_mb": (status_kb("VmRSS") - baseline_kb) / 1024,
                "seconds": time.perf_counter() - started,
                "verified": sum(1 for r in results if not hasattr(r, "reason")),
            }
        )
    )


# ---------------------------------------------------------------- the parent: inputs


def _camera_like(size: tuple[int, int], noise: float = 0.5) -> Image.Image:
    grain = Image.effect_noise(size, 40).convert("RGB")
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    return Image.blend(base, grain, noise)


def _jpeg(picture: Image.Image) -> bytes:
    sample = images.jpeg(size=(8, 8), taken=datetime(2026, 5, 1, 9, 30, tzinfo=UTC), gps=(44.97, -93.26))
    exif = Image.open(io.BytesIO(sample)).getexif()
    buf = io.BytesIO()
    picture.save(buf, format="JPEG", quality=90, exif=exif)
    return buf.getvalue()


def _heic(picture: Image.Image) -> bytes:
    buf = io.BytesIO()
    pillow_heif.from_pillow(picture).save(buf, quality=80)
    return buf.getvalue()


def _png(picture: Image.Image) -> bytes:
    buf = io.BytesIO()
    picture.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _largest(max_pixels: int) -> tuple[int, int]:
    """The largest 4:3 size within the pixel limit."""
    width = int((max_pixels * 4 / 3) ** 0.5)
    height = max_pixels // width
    return width, height


# The largest 4:3 single-picture HEIC here that libde265 decodes: HEVC level 6.2 allows 35,651,584 luma samples a
# picture, and a 50 MP one encoded as one picture does not decode ("undecodable"). Phones write larger HEICs as a
# grid of tiles, which pillow-heif does not write; the cost per megapixel of this one is what the budget uses.
HEIC_LARGEST = (6880, 5160)


def cases(max_pixels: int, quick: bool) -> list[tuple[str, bytes, str]]:
    twelve = _camera_like((4000, 3000))
    small = _camera_like((1600, 1200))
    listed = [
        ("12 MP JPEG with EXIF GPS", _jpeg(twelve), "image/jpeg"),
        ("12 MP HEIC", _heic(twelve), "image/heic"),
        ("2 MP PNG", _png(small), "image/png"),
    ]
    if not quick:
        size = _largest(max_pixels)
        mp, heic_mp = size[0] * size[1] / 1e6, HEIC_LARGEST[0] * HEIC_LARGEST[1] / 1e6
        # Less grain than the 12 MP picture (none in the PNG), so each file stays under PHOTO_MAX_BYTES (20 MiB) as
        # an upload must; decoding costs the same whatever the content.
        flat = _camera_like(size, noise=0.0)
        rgba = flat.convert("RGBA")
        rgba.putalpha(Image.linear_gradient("L").resize(size))
        listed += [
            (f"{mp:.0f} MP JPEG (limit)", _jpeg(_camera_like(size, noise=0.15)), "image/jpeg"),
            (f"{heic_mp:.1f} MP HEIC (libde265)", _heic(_camera_like(HEIC_LARGEST, noise=0.03)), "image/heic"),
            (f"{mp:.0f} MP RGBA PNG (limit)", _png(rgba), "image/png"),
        ]
    listed.append(("64 MP PNG bomb (rejected)", images.png_bomb(8000, 8000), "image/png"))
    return listed


def _in_child(*args: str) -> dict[str, Any]:
    done = subprocess.run(  # nosec B603 - this interpreter and module, arguments built here
        [sys.executable, "-m", "bench.photo_checks", *args], check=True, capture_output=True, text=True
    )
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


def measure(data: bytes, declared: str, max_pixels: int, repeat: int, workdir: str) -> dict[str, Any]:
    path = os.path.join(workdir, "input")
    Path(path).write_bytes(data)
    return _in_child("--child", path, declared, str(max_pixels), str(repeat))


def batches(listed: list[tuple[str, bytes, str]], workdir: str) -> None:
    """The 12 MP JPEG and HEIC in turn, as a queue batch on the worker's threads, with and without the budget's
    allocator setting."""
    paths: list[str] = []
    for index, (_, data, declared) in enumerate(listed[:2]):
        path = os.path.join(workdir, f"batch-{index}")
        Path(path).write_bytes(data)
        paths += [path, declared]
    print(
        f"\na queue batch: {BATCH} photos (the 12 MP JPEG and HEIC in turn) on {THREADS} threads, each batch in a fresh"
        " process"
    )
    print(
        f"{'decode budget':>13} {'freed blocks':>12} {'most held':>9} {'growth':>7} {'kept':>6} {'wall':>7}  verified"
    )
    for budget_mb, freed in ((160, "off"), (160, "on"), (768, "off"), (768, "on")):
        m = _in_child("--batch", str(budget_mb), str(THREADS), freed, *paths)
        print(
            f"{budget_mb:>10} MB {('given back' if freed == 'on' else 'glibc default'):>12} {m['most_held_mb']:>9.0f}"
            f" {m['growth_mb']:>7.0f} {m['kept_mb']:>6.0f} {m['seconds']:>5.1f} s  {m['verified']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="leave out the cases at the pixel limit")
    parser.add_argument("--child", nargs=4, metavar=("PATH", "TYPE", "MAX_PIXELS", "REPEAT"), help=argparse.SUPPRESS)
    parser.add_argument("--batch", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        path, declared, max_pixels, repeat = args.child
        child(path, declared, int(max_pixels), int(repeat))
        return
    if args.batch:
        budget_mb, threads, freed, *paths = args.batch
        batch_child(int(budget_mb), int(threads), freed, paths)
        return
    max_pixels = int(Settings.model_fields["photo_max_pixels"].default)
    print(f"PHOTO_MAX_PIXELS (default) = {max_pixels:,}; each case in a fresh process; MB = MiB")
    print(
        f"{'case':<27} {'bytes':>11} {'best':>8} {'median':>8} {'RSS imports':>11} {'peak':>6} {'growth':>7} "
        f"{'MB/MP':>6} {'budget':>6} {'after':>6} {'EICAR':>8}  outcome"
    )
    with tempfile.TemporaryDirectory() as workdir:
        listed = cases(max_pixels, args.quick)
        for label, data, declared in listed:
            m = measure(data, declared, max_pixels, args.repeat, workdir)
            pixels = _pixels(data)
            need = checks.decode_cost(data, declared=PhotoContentType(declared), max_pixels=max_pixels) / MB
            per_mp = f"{m['growth_mb'] / (pixels / 1e6):6.1f}" if pixels and m["outcome"] == "verified" else "     -"
            print(
                f"{label:<27} {len(data):>11,} {m['best_s'] * 1000:>5.0f} ms {m['median_s'] * 1000:>5.0f} ms "
                f"{m['after_imports_mb']:>11.0f} {m['peak_mb']:>6.0f} {m['growth_mb']:>7.0f} {per_mp} {need:>6.0f} "
                f"{m['after_repeats_mb']:>6.0f} {m['scan_s'] * 1000:>5.2f} ms  {m['outcome']}"
            )
        batches(listed, workdir)


def _pixels(data: bytes) -> int:
    if sniff(data) == "heif":
        width, height = pillow_heif.open_heif(io.BytesIO(data)).size
    else:
        width, height = Image.open(io.BytesIO(data)).size
    return int(width * height)


if __name__ == "__main__":
    main()
