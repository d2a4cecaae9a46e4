"""The SMTP server is down: the sender retries (in the function with backoff, then by redelivery), the message
ends in the poison queue with the outbox entry marked failed, and a replay after the server is back delivers the
e-mail exactly once, even when the message is delivered again afterwards.

The shared SMTP server is never stopped: a second local host runs with SMTP_PORT pointing at a free port where
nothing listens (and its own queues, so it competes with nobody), and this test starts its own aiosmtpd server on
that port only after the failures.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller

from core import schema
from core.adapters.queues import build_queue_service, queue_client
from core.bootstrap import Container
from core.domain.email import EmailCategory
from core.services.outbox import enqueue_email
from core.settings import Settings
from devhost.launch import free_port, start_local_host
from scripts.replay_poison import replay
from scripts.smtp_server import MaildirHandler
from tests.helpers import rid, wait_for
from tests.integration.conftest import ROOT, Stack, User, new_identity
from tests.integration.test_email import mails_to, wait_for_mail


@dataclass
class SecondHost:
    url: str
    smtp_port: int
    outbox_queue: str
    settings: Settings


@pytest.fixture(scope="module")
def second_host(stack: Stack) -> Iterator[SecondHost]:
    tag = rid("b")[:7]
    queues = {q.setting: f"{q.default_name}-{stack.suffix}-{tag}" for q in schema.QUEUES}
    smtp_port = free_port()  # nothing listens here until the test starts its own server
    env = {
        **os.environ,
        **queues,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_TIMEOUT_SECONDS": "2",
        "EMAIL_SEND_TRIES": "2",
        "EMAIL_RETRY_BASE_SECONDS": "0.05",
    }
    settings = Settings()
    service = build_queue_service(settings)
    names = [n for name in queues.values() for n in (name, schema.poison_queue_name(name))]
    for name in names:
        service.create_queue(name)
    host = start_local_host(log_path=ROOT / ".local" / "logs" / f"devhost-test-{stack.suffix}-{tag}.log", env=env)
    try:
        host.wait_until_answering()
        outbox_queue = queues["QUEUE_EMAIL_OUTBOX"]
        yield SecondHost(host.base, smtp_port, outbox_queue, Settings(queue_email_outbox=outbox_queue))
    finally:
        host.stop()
        for name in names:
            with contextlib.suppress(Exception):
                service.delete_queue(name)


def _state(api: httpx.Client, admin: User, outbox_id: str) -> dict[str, object]:
    r = api.get(f"/admin/email/outbox/{outbox_id}", headers=admin.auth)
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def _queue_empty(settings: Settings, name: str) -> bool:
    props = queue_client(build_queue_service(settings), name).get_queue_properties()
    return props.approximate_message_count == 0


@pytest.mark.slow
def test_smtp_down_retries_then_poison_then_replay_delivers_once(
    api: httpx.Client, second_host: SecondHost, tmp_path: Path
) -> None:
    admin = new_identity(admin=True)
    deps = Container(second_host.settings)
    address = f"{rid('down-')}@example.com"
    entry = enqueue_email(
        outbox=deps.outbox,
        category=EmailCategory.ACCOUNT,
        template="payment-failed",
        to_address=address,
        context={"name": "Ada", "amount": "$49.00"},
        dedupe_key=rid("payment-failed-"),
        clock=deps.clock,
    )
    poison = queue_client(deps.queue_service, schema.poison_queue_name(second_host.outbox_queue))

    wait_for(
        lambda: poison.get_queue_properties().approximate_message_count == 1,
        timeout=90,
        interval=0.5,
        what="the message to reach the poison queue",
    )
    state = _state(api, admin, entry.outbox_id)
    assert state["state"] == "failed" and state["attempts"] == 5  # host.json maxDequeueCount deliveries
    assert state["lastError"] == "ConnectionRefusedError"
    maildir = tmp_path / "mail"
    controller = Controller(MaildirHandler(maildir), hostname="127.0.0.1", port=second_host.smtp_port)
    controller.start()
    try:
        assert mails_to(address, maildir) == []
        assert replay(second_host.settings, second_host.outbox_queue) == 1
        [mail] = wait_for_mail(address, maildir=maildir, subject="payment did not go through", timeout=30)
        assert "$49.00" in mail.text
        wait_for(lambda: _state(api, admin, entry.outbox_id)["state"] == "sent", what="the entry to be sent")
        # The queue delivers the message again (a duplicate, a second replay): still one e-mail.
        deps.outbox.dispatch(entry.outbox_id)
        deps.outbox.dispatch(entry.outbox_id)
        wait_for(
            lambda: _queue_empty(second_host.settings, second_host.outbox_queue),
            timeout=30,
            what="the redelivered messages to be handled",
        )
        assert replay(second_host.settings, second_host.outbox_queue) == 0
        assert len(mails_to(address, maildir)) == 1
        assert mails_to(address) == []  # and nothing went to the shared server
        assert _state(api, admin, entry.outbox_id)["attempts"] == 6
    finally:
        controller.stop()
