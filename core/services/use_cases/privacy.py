"""Account closure, data-subject requests and the platform admin's view of an account (functions/privacy.py).
Retention settings, legal holds and the purge are wired with the retention service (core/services/retention.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from core.domain.identity import Identity, Principal
from core.domain.privacy import (
    AdminAccountView,
    ClosurePublic,
    ClosureRequest,
    ClosureTerms,
    DataRequestCreate,
    DataRequestList,
    DataRequestMessage,
    DataRequestPublic,
)
from core.ports import (
    AccountStore,
    Clock,
    ExportSink,
    PersonalDataKind,
    PrivacyMailer,
    PrivacyStore,
    SubscriptionCanceller,
    UserStore,
)
from core.services import closure, data_requests
from core.services.retention import RetentionPolicy
from core.signing import LinkSigner


@dataclass(frozen=True)
class PrivacyUseCases:
    accounts: AccountStore
    users: UserStore
    privacy: PrivacyStore
    kinds: Callable[[], Sequence[PersonalDataKind]]  # the registry's kinds, built on first use
    sink: ExportSink
    signer: LinkSigner
    policy: RetentionPolicy
    subscriptions: SubscriptionCanceller | None
    mailer: PrivacyMailer | None
    mail_to: Callable[[str, str], str | None]
    enqueue: Callable[[str], None]  # the data-requests queue
    link_ttl: timedelta
    clock: Clock

    def closure_terms(self, *, principal: Principal, account_id: str) -> ClosureTerms:
        return closure.closure_terms(
            principal=principal, account_id=account_id, accounts=self.accounts, retention_policy=self.policy
        )

    def close_account(self, *, principal: Principal, account_id: str, data: ClosureRequest) -> ClosurePublic:
        return closure.close_account(
            principal=principal,
            account_id=account_id,
            data=data,
            accounts=self.accounts,
            users=self.users,
            privacy=self.privacy,
            signer=self.signer,
            clock=self.clock,
            retention_policy=self.policy,
            privacy_subscriptions=self.subscriptions,
            privacy_mailer=self.mailer,
            enqueue_data_request=self.enqueue,
        )

    def create_request(self, *, principal: Principal, data: DataRequestCreate) -> DataRequestPublic:
        return data_requests.create_request(
            principal=principal, data=data, privacy=self.privacy, clock=self.clock, enqueue_data_request=self.enqueue
        )

    def my_requests(self, *, principal: Principal) -> DataRequestList:
        return data_requests.list_requests(principal=principal, privacy=self.privacy)

    def my_request(self, *, principal: Principal, request_id: str) -> DataRequestPublic:
        return data_requests.get_request(principal=principal, request_id=request_id, privacy=self.privacy)

    def admin_view_account(self, *, identity: Identity, account_id: str) -> AdminAccountView:
        return closure.admin_view_account(
            identity=identity,
            account_id=account_id,
            accounts=self.accounts,
            privacy=self.privacy,
            personal_data_kinds=self.kinds(),
            clock=self.clock,
        )

    def handle_request_message(self, *, message: DataRequestMessage, attempt: int, max_attempts: int) -> None:
        """Queue work: an export, erasure or closure follow-up; failures propagate (the host retries, then
        poisons; the last attempt records the failure)."""
        data_requests.handle_message(
            message=message,
            attempt=attempt,
            max_attempts=max_attempts,
            personal_data_kinds=self.kinds(),
            accounts=self.accounts,
            privacy=self.privacy,
            export_sink=self.sink,
            clock=self.clock,
            retention_policy=self.policy,
            export_link_ttl=self.link_ttl,
            privacy_subscriptions=self.subscriptions,
            privacy_mailer=self.mailer,
            privacy_mail_to=self.mail_to,
        )
