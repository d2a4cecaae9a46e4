"""E-mail: the outbox sender (queue), preferences, address verification, unsubscribe and open/click tracking.
See docs/email-and-policy.md."""

import logging

import azure.functions as func

from core.bootstrap import container
from core.domain.email import OutboxMessage
from core.services import outbox

bp = func.Blueprint()
log = logging.getLogger(__name__)


@bp.queue_trigger(arg_name="msg", queue_name="%QUEUE_EMAIL_OUTBOX%", connection="AzureWebJobsStorage")
def send_outbox_email(msg: func.QueueMessage) -> None:
    """Sends one outbox entry at most once; a failure raises so the host retries and then poisons the message."""
    message = OutboxMessage.model_validate_json(msg.get_body())
    d, s = container(), container().settings
    state = outbox.deliver(outbox_id=message.outbox_id, delivery=msg.dequeue_count or 1, outbox=d.outbox,
                           profiles=d.email_profiles, mailer=d.mailer, renderer=d.email_renderer,
                           links=d.email_links, clock=d.clock, max_deliveries=s.email_max_deliveries,
                           tries=s.email_send_tries, retry_base_seconds=s.email_retry_base_seconds)
    log.info("outbox message %s handled: %s", message.outbox_id, state)
