"""Privacy policy versions, acknowledgements and the daily notice timer (functions/policy.py)."""

from __future__ import annotations

from core.services import policy
from core.services.wiring import UseCases, inject


class PolicyUseCases(UseCases):
    now = inject(policy.policy_now)
    versions = inject(policy.list_versions)
    version = inject(policy.get_version)
    post_version = inject(policy.post_version)
    acknowledge = inject(policy.acknowledge)
    # Timer work: one notice per (user, version); answers how many were queued.
    send_notices = inject(policy.send_policy_notices)
