"""E-mail preferences, address verification, unsubscribe and open/click tracking, and the small pages those links
answer a browser with (functions/email.py). The outbox queue's sender is `deliver`."""

from __future__ import annotations

from core.services import email_preferences, email_tracking, email_verification, outbox
from core.services.wiring import UseCases, inject


class EmailUseCases(UseCases):
    preferences = inject(email_preferences.get_preferences)
    update_preferences = inject(email_preferences.update_preferences)
    resend_verification = inject(email_verification.resend_verification)
    verify = inject(email_verification.verify_email)
    unsubscribe = inject(email_preferences.unsubscribe)
    record_open = inject(email_tracking.record_open)
    # The signed target to redirect to.
    record_click = inject(email_tracking.record_click)
    outbox_entry = inject(outbox.admin_view)
    # The HTML page a link opened in a browser answers with (confirm, unsubscribe).
    page = inject(email_tracking.link_page)
    # Queue work: send one outbox message; the hourly safety net queues stuck ones again.
    deliver = inject(outbox.deliver_message)
    redispatch_stuck = inject(outbox.redispatch_stuck_messages)
