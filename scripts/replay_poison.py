"""Move messages from a queue's poison queue back to the queue, once the cause of the failures is fixed.

    python -m scripts.replay_poison <queue-name> [--max N] [--settings local.settings.json]
    make replay-poison QUEUE=location-pings

<queue-name> is the queue's name (e.g. location-pings) or its setting (e.g. QUEUE_LOCATION_PINGS). Each message is
sent to the queue first and deleted from the poison queue second, so a crash in between replays it twice at worst:
every queue-triggered function here is idempotent. The message text is moved as it is (still base64).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from azure.core.exceptions import ResourceNotFoundError

from core import schema
from core.adapters.queues import build_queue_service
from core.settings import Settings

log = logging.getLogger("replay_poison")


def resolve_queue_name(name: str) -> str:
    """A setting name (QUEUE_...) is looked up in the environment; anything else is the queue's own name."""
    for spec in schema.QUEUES:
        if name == spec.setting:
            return os.environ.get(spec.setting, spec.default_name)
    return name


def replay(settings: Settings, queue_name: str, *, max_messages: int | None = None) -> int:
    """Move up to `max_messages` (all when None) messages from `<queue_name>-poison` to `queue_name`."""
    service = build_queue_service(settings)
    poison = service.get_queue_client(schema.poison_queue_name(queue_name))
    target = service.get_queue_client(queue_name)
    moved = 0
    while max_messages is None or moved < max_messages:
        want = 32 if max_messages is None else min(32, max_messages - moved)
        try:
            batch = list(poison.receive_messages(messages_per_page=want, max_messages=want, visibility_timeout=120))
        except ResourceNotFoundError:
            break  # no poison queue: nothing ever failed
        if not batch:
            break
        for message in batch:
            target.send_message(message.content)
            poison.delete_message(message)
            moved += 1
    return moved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Move messages from <queue>-poison back to <queue>.")
    parser.add_argument("queue", help="queue name (e.g. location-pings) or its setting (e.g. QUEUE_LOCATION_PINGS)")
    parser.add_argument("--max", type=int, default=None, help="move at most this many messages")
    parser.add_argument("--settings", default="local.settings.json", help="settings file for local runs")
    args = parser.parse_args(argv)
    if not args.queue:
        parser.error("name the queue: make replay-poison QUEUE=<name>")
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    from devhost.config import load_settings_file

    load_settings_file(Path(args.settings))
    queue_name = resolve_queue_name(args.queue)
    moved = replay(Settings(), queue_name, max_messages=args.max)
    log.info("moved %d message(s) from %s back to %s", moved, schema.poison_queue_name(queue_name), queue_name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
