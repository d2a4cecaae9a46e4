"""Row 3 of issue 9: messages that always fail land in `<queue>-poison` after maxDequeueCount attempts, good
messages keep flowing meanwhile, and the replay moves them back for another round (still failing, still kept)."""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from core import schema
from core.adapters.queues import build_queue_service
from scripts.replay_poison import replay
from tests.helpers import wait_for
from tests.integration.conftest import Stack, User
from tests.integration.tracking_helpers import post, route, set_location_consent, wait_for_stored

INJECTED = 4


def test_always_failing_messages_are_poisoned_while_the_rest_flow(
    api: httpx.Client, stack: Stack, member: User, figure: Callable[..., None]
) -> None:
    set_location_consent(api, member, True)
    queue_name = os.environ[schema.LOCATION_PINGS_QUEUE.setting]
    service = build_queue_service(stack.settings)
    queue = service.get_queue_client(queue_name)
    poison = service.get_queue_client(schema.poison_queue_name(queue_name))
    markers = {f"always-fails-{uuid.uuid4().hex}" for _ in range(INJECTED)}
    # Well-formed JSON that no version of the writer accepts: a message schema it does not know.
    for marker in markers:
        queue.send_message(base64.b64encode(json.dumps({"kind": marker, "pings": "none"}).encode()).decode())
    start = datetime.now(UTC)
    sent: list[dict[str, object]] = []
    for batch in range(3):
        pings = route(start + timedelta(milliseconds=50 + batch * 200), 20, timedelta(milliseconds=5))
        assert post(api, member, pings)["accepted"] == 20
        sent.extend(pings)
    window = (start - timedelta(minutes=1), start + timedelta(minutes=1))
    stored = wait_for_stored(api, member, {str(p["id"]) for p in sent}, *window, timeout=60)

    def poisoned_markers() -> set[str]:
        found = set()
        for m in poison.peek_messages(max_messages=32):
            text = base64.b64decode(m.content).decode()
            found |= {marker for marker in markers if marker in text}
        return found

    wait_for(
        lambda: poisoned_markers() == markers,
        timeout=90,
        interval=0.5,
        what=f"the {INJECTED} failing messages in the poison queue",
    )
    moved = replay(stack.settings, queue_name)  # every poisoned message of the session: others' too, if any
    assert moved >= INJECTED
    assert not poisoned_markers()
    # Replayed, they are tried again; the cause is not fixed, so they come back to the poison queue, none lost.
    wait_for(lambda: poisoned_markers() == markers, timeout=90, interval=0.5, what="the replayed messages back")
    moved_lines = [
        line
        for line in stack.host_log().splitlines()
        if f"queue {queue_name}: message" in line and "poison after 5 attempts" in line
    ]
    figure(
        3,
        f"{INJECTED} always-failing messages injected, {len(poisoned_markers())} poisoned after "
        f"maxDequeueCount attempts; {len(stored)}/{len(sent)} good pings stored meanwhile; replay moved "
        f"{INJECTED} of ours back, all poisoned again",
        injected=INJECTED,
        poisoned=len(poisoned_markers()),
        good_sent=len(sent),
        good_stored=len(stored),
        replayed=moved,
    )
    assert len(stored) == len(sent)
    # Clean up: the session's other tests share this poison queue.
    for message in poison.receive_messages(max_messages=32, visibility_timeout=30):
        if any(marker in base64.b64decode(message.content).decode(errors="replace") for marker in markers):
            poison.delete_message(message)
    assert not poisoned_markers()
    assert len(moved_lines) >= 2 * INJECTED  # both rounds: each failing message tried maxDequeueCount (5) times
