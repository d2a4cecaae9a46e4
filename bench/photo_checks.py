"""Photo verification cost, measured in-process (no emulator): what one queue message costs the processor.

    .venv/bin/python -m bench.photo_checks [--repeat 3]

Makes a 12-megapixel camera-like JPEG (noise, so it does not compress to nothing) with EXIF GPS, the same picture
as HEIC, a 2-megapixel PNG, and a 64-megapixel PNG decompression bomb, then times the image codec's
`checks.inspect` (core/adapters/images: magic bytes, pixel check, decode, EXIF, thumbnail and display copy) and the
EICAR scan on each. Printed: file size, best and median time per call, and the process's peak resident memory after
each case.
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from PIL import Image

from core.adapters.images import checks
from core.domain.media import PhotoContentType, signature_verdict
from tests.fixtures import images


def _camera_like(size: tuple[int, int]) -> Image.Image:
    noise = Image.effect_noise(size, 40).convert("RGB")
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    return Image.blend(base, noise, 0.5)


def _jpeg(picture: Image.Image) -> bytes:
    sample = images.jpeg(size=(8, 8), taken=datetime(2026, 5, 1, 9, 30, tzinfo=UTC), gps=(44.97, -93.26))
    exif = Image.open(io.BytesIO(sample)).getexif()
    buf = io.BytesIO()
    picture.save(buf, format="JPEG", quality=90, exif=exif)
    return buf.getvalue()


def _heic(picture: Image.Image) -> bytes:
    import pillow_heif

    buf = io.BytesIO()
    pillow_heif.from_pillow(picture).save(buf, quality=80)
    return buf.getvalue()


def _time(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return min(runs), statistics.median(runs), peak_mb


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    picture = _camera_like((4000, 3000))
    small = _camera_like((1600, 1200))
    png_buf = io.BytesIO()
    small.save(png_buf, format="PNG")
    cases = [
        ("12 MP JPEG with EXIF GPS", _jpeg(picture), PhotoContentType.JPEG),
        ("12 MP HEIC", _heic(picture), PhotoContentType.HEIC),
        ("2 MP PNG", png_buf.getvalue(), PhotoContentType.PNG),
        ("64 MP PNG bomb (rejected)", images.png_bomb(8000, 8000), PhotoContentType.PNG),
    ]
    print(
        f"{'case':<28} {'bytes':>11} {'inspect best':>13} {'median':>8} {'peak RSS MB':>12} {'EICAR scan':>11}  outcome"
    )
    for label, data, declared in cases:
        best, median, peak = _time(
            lambda d=data, t=declared: checks.inspect(
                d,
                declared=t,  # type: ignore[misc]  # the lambda's defaults bind this loop's values; mypy cannot infer a lambda default's type
                max_pixels=50_000_000,
            ),
            args.repeat,
        )
        scan = _time(lambda d=data: signature_verdict(d), args.repeat)[0]  # type: ignore[misc]  # the lambda's defaults bind this loop's values; mypy cannot infer a lambda default's type
        result = checks.inspect(data, declared=declared, max_pixels=50_000_000)
        outcome = getattr(result, "reason", None) or "verified"
        print(
            f"{label:<28} {len(data):>11,} {best * 1000:>10.0f} ms {median * 1000:>5.0f} ms {peak:>12.0f} "
            f"{scan * 1000:>8.2f} ms  {outcome}"
        )


if __name__ == "__main__":
    main()
