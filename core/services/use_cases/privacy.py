"""Account closure, data-subject requests and the platform admin's view of an account (functions/privacy.py).
Retention settings, legal holds and the purge are wired with the retention service (core/services/retention.py)."""

from __future__ import annotations

from core.services import closure, data_requests, held_data
from core.services.wiring import UseCases, inject


class PrivacyUseCases(UseCases):
    closure_terms = inject(closure.closure_terms)
    close_account = inject(closure.close_account)
    create_request = inject(data_requests.create_request)
    my_requests = inject(data_requests.list_requests)
    my_request = inject(data_requests.get_request)
    held_data = inject(held_data.held_data)  # what is still held about the caller, also after leaving
    admin_view_account = inject(closure.admin_view_account)
    # Queue work: an export, erasure or closure follow-up; failures propagate (the host retries, then
    # poisons; the last attempt records the failure).
    handle_request_message = inject(data_requests.handle_message)
