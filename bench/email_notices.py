"""Policy-notice timer and e-mail rendering, measured on the local emulators (loopback only).

    .venv/bin/python -m bench.email_notices [--users 1000]

Makes a scratch Cosmos DB database and outbox queue, stores N users with a verified address, posts a policy version
and runs the notice timer's service three times in a row, as an overlapping or repeated daily run would: the first
run writes N outbox entries and N queue messages, the next two write nothing. Printed: time per run, entries and
queue messages after each run, and rendering time per e-mail (both parts, Jinja2 with autoescape). The scratch
database and queue are dropped at the end. Figures from the emulator are relative (it is not the cloud service).
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
import warnings
from datetime import UTC, datetime
from pathlib import Path

from core import schema
from core.adapters.email_templates import JinjaEmailRenderer
from core.adapters.queues import queue_client
from core.bootstrap import Container
from core.domain.email import EmailCategory, EmailStatus, OutboxEntry
from core.domain.identity import Identity
from core.domain.policy import PolicyVersionCreate
from core.services import policy
from core.services.outbox import compose
from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1000)
    args = parser.parse_args()
    for key, value in json.loads((ROOT / "local.settings.sample.json").read_text())["Values"].items():
        import os

        os.environ.setdefault(key, str(value))
    suffix = uuid.uuid4().hex[:8]
    settings = Settings(COSMOS_DATABASE=f"bench-email-{suffix}", QUEUE_EMAIL_OUTBOX=f"bench-outbox-{suffix}")
    warnings.simplefilter("ignore")
    deps = Container(settings)
    database = deps.cosmos_client.create_database_if_not_exists(settings.cosmos_database)
    from azure.cosmos import PartitionKey

    for spec in (schema.USERS, schema.OUTBOX, schema.POLICY):
        database.create_container_if_not_exists(id=spec.name, partition_key=PartitionKey(path=spec.partition_key))
    queue = queue_client(deps.queue_service, settings.queue_email_outbox)
    queue.create_queue()
    try:
        now = deps.clock.now()
        started = time.perf_counter()
        for i in range(args.users):
            deps.email_profiles.put_status(
                EmailStatus(
                    user_id=f"bench-u{i}",
                    account_id="bench-a",
                    address=f"u{i}@example.com",
                    verified=True,
                    verified_address=f"u{i}@example.com",
                    created_at=now,
                    updated_at=now,
                )
            )
        print(f"stored {args.users} verified users in {time.perf_counter() - started:.1f} s")
        policy.post_version(
            identity=Identity("bench-admin", None, True),
            policy=deps.policy,
            clock=deps.clock,
            data=PolicyVersionCreate(text="# Policy\n\nA new version for the benchmark.", summary="Benchmark version."),
        )
        print(f"{'run':>4} {'seconds':>8} {'new notices':>12} {'queue messages':>15} {'users/s':>8}")
        for run in (1, 2, 3):
            started = time.perf_counter()
            written = policy.send_policy_notices(
                policy=deps.policy,
                email_profiles=deps.email_profiles,
                outbox=deps.outbox,
                email_links=deps.email_links,
                clock=deps.clock,
                outbox_keep_days=deps.outbox_keep_days,
            )
            seconds = time.perf_counter() - started
            messages = queue.get_queue_properties().approximate_message_count
            print(f"{run:>4} {seconds:>8.2f} {written:>12} {messages:>15} {args.users / seconds:>8.0f}")
        renderer = JinjaEmailRenderer()
        entry = OutboxEntry(
            outbox_id="bench",
            dedupe_key="bench",
            category=EmailCategory.TIPS,
            template="tips",
            to_user_id="u",
            context={"title": "T", "body": "b" * 500, "name": "<b>Ada</b>", "url": "https://industrack.com/x"},
            created_at=now,
        )
        n = 2000
        started = time.perf_counter()
        for _ in range(n):
            compose(
                entry=entry,
                address="a@example.com",
                tracked=True,
                renderer=renderer,
                links=deps.email_links,
                now=datetime.now(UTC),
            )
        print(
            f"render+sign one tracked optional e-mail (text+HTML): {(time.perf_counter() - started) / n * 1e6:.0f} us"
        )
    finally:
        queue.delete_queue()
        deps.cosmos_client.delete_database(settings.cosmos_database)


if __name__ == "__main__":
    main()
