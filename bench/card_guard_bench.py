"""How long the card-data guard takes on request bodies of typical and maximal size (prints figures).

.venv/bin/python -m bench.card_guard_bench
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

from bench.lib.cli import whole_numbers
from core.services.card_guard import find_card_number


def _pings(n: int) -> bytes:
    start = datetime.now(UTC)
    return json.dumps(
        {
            "pings": [
                {
                    "id": str(uuid.uuid4()),
                    "timestamp": (start + timedelta(seconds=i)).isoformat(),
                    "latitude": 44.9778 + i * 1e-5,
                    "longitude": -93.265 + i * 1e-5,
                    "horizontalAccuracy": 8.5,
                    "altitude": 260.0,
                    "speed": 1.4,
                    "heading": 45.0,
                    "batteryLevel": 80,
                    "source": "gps",
                    "deviceId": "device-" + uuid.uuid4().hex,
                }
                for i in range(n)
            ]
        }
    ).encode()


def _note(chars: int) -> bytes:
    words = "crew finished the north fence line, 120 m of posts, gate 3 hinge replaced at 14:35 " * (chars // 80 + 1)
    return json.dumps({"text": words[:chars]}).encode()


def measure(name: str, body: bytes, rounds: int) -> None:
    started = time.perf_counter()
    for _ in range(rounds):
        assert find_card_number(body) is None
    per_call = (time.perf_counter() - started) / rounds
    print(
        f"{name:32} {len(body) / 1024:8.1f} KiB  {per_call * 1000:8.2f} ms per body  "
        f"{len(body) / per_call / 1_048_576:7.1f} MiB/s"
    )


def main() -> None:
    whole_numbers(__doc__)  # no arguments; --help describes it
    measure("profile update", json.dumps({"fullName": "Ada Owner", "phone": "+1 612 746 4017"}).encode(), 20_000)
    measure("note, 2,000 characters", _note(2000), 2_000)
    measure("100 pings", _pings(100), 200)
    measure("1,000 pings (batch limit)", _pings(1000), 20)
    measure("note, 1 MiB (body limit)", _note(1_000_000), 5)


if __name__ == "__main__":
    main()
