"""Cosmos DB requests the pings writer makes per 1,000 pings (docs/tracking.md, "The pings writer").

    .venv/bin/python -m bench.writer_requests [--members 10] [--messages 8] [--pings 30]

Against the running emulators, in a scratch database: `members` members each get `messages` queue messages of
`pings` pings, put in queue order (round-robin over the members, as phones call in turn) and handed over in
delivery batches of 16 (host.json batchSize), the 16 of a batch at once on 16 threads, as the host's worker runs
them. Each thread does what the queue trigger does: with this build's `PingWriter` (the group commit), or with a
build's `store_ping_message` per message when there is no `PingWriter` (the writer before the group commit), so
the same script measures both. Counted: every HTTP request to the Cosmos DB endpoint during the deliveries. Takes a
few seconds; the scratch database is dropped at the end.
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

DELIVERY = 16  # host.json batchSize

_count = 0
_lock = threading.Lock()
_send: Callable[..., Any] = requests.Session.send


def _counting_send(self: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> Any:
    global _count
    if request.url and ":8081/" in request.url:
        with _lock:
            _count += 1
    return _send(self, request, **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--messages", type=int, default=8, help="messages per member")
    parser.add_argument("--pings", type=int, default=30, help="pings per message")
    args = parser.parse_args()

    from bench.lib.people import put_store_members
    from bench.lib.stack import scratch_settings

    settings, _ = scratch_settings("writer-requests")
    from core.bootstrap import Container
    from core.domain.tracking import Ping, PingSource
    from core.domain.tracking_formats import decode_ping_message, encode_ping_messages
    from core.services.use_cases.tracking import TrackingUseCases

    c = Container(settings)
    account = f"a-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC).replace(microsecond=0)
    users = [f"u-{uuid.uuid4().hex[:8]}" for _ in range(args.members)]
    put_store_members(c, account, users, time_zone="UTC", now=now)
    start = now - timedelta(hours=2)
    queue: list[str] = []
    for k in range(args.messages):  # round-robin: every member's k-th call, then the next
        for n, u in enumerate(users):
            t0 = start + timedelta(seconds=(k * args.pings) * 10 + n)
            pings = [
                Ping(
                    ping_id=str(uuid.uuid4()),
                    t=t0 + timedelta(seconds=10 * i),
                    lat=44.9 + i * 1e-4,
                    lon=-93.2,
                    acc=5.0,
                    src=PingSource.GPS,
                )
                for i in range(args.pings)
            ]
            queue += encode_ping_messages(account, u, pings)

    handle: Callable[[str], object]
    try:
        writer = c.use_case(TrackingUseCases).writer

        def handle(text: str) -> object:
            writer.write(decode_ping_message(text))
            return None

        mode = "group commit (PingWriter)"
    except AttributeError:
        from core.services.ping_writer import store_ping_message

        def handle(text: str) -> object:
            return store_ping_message(  # type: ignore[call-arg]  # the signature of a build before the group commit
                message=decode_ping_message(text),
                pings=c.pings,
                latest_positions=c.latest_positions,
                clock=c.clock,
                accounts=c.accounts,
                reactions=c.reactions,
                private_zones=c.private_zones,
                withheld_pings=c.withheld_pings,
                expiry_plans=c.expiry_plans,
            )

        mode = "one store_ping_message per message"

    handle(queue[0])  # warm up clients and caches; not counted
    queue = queue[1:]
    requests.Session.send = _counting_send  # type: ignore[method-assign]  # counting only, in this process
    started = time.perf_counter()
    with ThreadPoolExecutor(DELIVERY) as pool:
        for i in range(0, len(queue), DELIVERY):
            list(pool.map(handle, queue[i : i + DELIVERY]))
    elapsed = time.perf_counter() - started
    requests.Session.send = _send  # type: ignore[method-assign]  # restores the real method after counting
    total = len(queue) * args.pings
    print(
        f"writer: {mode}; {args.members} members, {len(queue)} messages of {args.pings} pings in deliveries of "
        f"{DELIVERY}: {_count} Cosmos DB requests for {total} pings = {_count * 1000 / total:.0f} per 1,000 pings; "
        f"{elapsed:.1f} s"
    )
    from scripts.provision import drop

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the emulator's self-signed certificate
        drop(settings)


if __name__ == "__main__":
    main()
