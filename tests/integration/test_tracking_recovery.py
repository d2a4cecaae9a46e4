"""The pings writer failing then recovering: a message whose processing fails is retried, lands in the poison
queue, and `python -m scripts.replay_poison <queue>` brings it back; nothing accepted is lost, nothing doubled."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import warnings
from datetime import UTC, datetime, timedelta

import httpx

from core import schema
from core.adapters.cosmos import build_cosmos_client
from core.adapters.queues import build_queue_service
from scripts.provision import provision
from tests.helpers import wait_for
from tests.integration.conftest import ROOT, Stack, User
from tests.integration.tracking_helpers import latest, post, route, set_location_consent, track_ids


def test_writer_failure_goes_to_poison_and_replay_recovers(
    api: httpx.Client, stack: Stack, owner: User, member: User
) -> None:
    set_location_consent(api, member, True)
    queue_name = os.environ[schema.LOCATION_PINGS_QUEUE.setting]
    poison = build_queue_service(stack.settings).get_queue_client(schema.poison_queue_name(queue_name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the emulator's self-signed certificate
        database = build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database)
        # Break the writer's last step: without the latest-positions container every attempt fails after the
        # pings themselves were written.
        database.delete_container(schema.LATEST_POSITIONS.name)
    start = datetime.now(UTC)
    try:
        sent = route(start + timedelta(milliseconds=50), 120, timedelta(milliseconds=5))
        result = post(api, member, sent)
        assert result["accepted"] == 120

        def poisoned() -> bool:  # this test's message: other tests may have poisoned messages of their own
            marker = str(sent[0]["id"])
            return any(
                marker in base64.b64decode(m.content).decode(errors="replace")
                for m in poison.peek_messages(max_messages=32)
            )

        wait_for(poisoned, timeout=60, what="the failing message to reach the poison queue")
        window = (start - timedelta(minutes=1), start + timedelta(minutes=1))
        ids = track_ids(api, member, *window)
        assert sorted(ids) == sorted(p["id"] for p in sent)  # five attempts, each ping stored once
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            provision(stack.settings)  # the cause is fixed: the container is back

    replay = subprocess.run(
        [sys.executable, "-m", "scripts.replay_poison", queue_name],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert replay.returncode == 0, replay.stderr
    assert "moved" in replay.stderr + replay.stdout
    assert not poison.peek_messages(max_messages=32)

    newest = sent[-1]["timestamp"].replace("Z", "+00:00")

    def recovered() -> bool:
        position = latest(api, owner)[member.user_id]["position"]
        return position is not None and datetime.fromisoformat(
            position["timestamp"].replace("Z", "+00:00")
        ) == datetime.fromisoformat(newest)

    wait_for(recovered, timeout=30, what="the replayed message to move the latest position")
    ids = track_ids(api, member, start - timedelta(minutes=1), start + timedelta(minutes=1))
    assert ids == [p["id"] for p in sent]  # nothing lost, nothing doubled, in time order


def test_replay_poison_with_an_empty_or_missing_poison_queue(stack: Stack) -> None:
    name = f"replay-check-{stack.suffix}"
    service = build_queue_service(stack.settings)
    replay = subprocess.run(
        [sys.executable, "-m", "scripts.replay_poison", name],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert replay.returncode == 0 and "moved 0 message(s)" in replay.stderr + replay.stdout
    poison = service.get_queue_client(schema.poison_queue_name(name))
    target = service.get_queue_client(name)
    poison.create_queue()
    target.create_queue()
    try:
        for i in range(40):
            poison.send_message(f"bWVzc2FnZS17aX0={i}")
        replay = subprocess.run(
            [sys.executable, "-m", "scripts.replay_poison", name, "--max", "35"],
            cwd=ROOT,
            env=os.environ.copy(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert replay.returncode == 0, replay.stderr
        assert target.get_queue_properties().approximate_message_count == 35
        assert poison.get_queue_properties().approximate_message_count == 5
        moved = {m.content for m in target.receive_messages(messages_per_page=32, max_messages=35)}
        assert moved <= {f"bWVzc2FnZS17aX0={i}" for i in range(40)} and len(moved) >= 32
    finally:
        poison.delete_queue()
        target.delete_queue()
