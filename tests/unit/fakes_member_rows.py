"""The members page's reads (MemberRowSource) over the other fakes' memory: the account store's profiles, the
ingest gate store's documents and the latest positions. `calls` counts the reads, one per store request."""

from __future__ import annotations

from typing import Any

from core.domain.accounts import Invitation, InvitationStatus, Member, MemberStatus
from core.domain.ingest_gate import GateDoc
from core.domain.member_rows import name_sort_key, search_key
from core.domain.tracking import LatestPosition
from core.ports import IngestGateStore
from tests.unit.fakes import FakeAccountStore
from tests.unit.fakes_tracking import FakeLatestPositions


class FakeMemberRows:
    def __init__(self, accounts: FakeAccountStore, gates: IngestGateStore, latest: FakeLatestPositions) -> None:
        self.accounts = accounts
        self.gates = gates
        self.latest = latest
        self.calls: list[str] = []

    def ensure_search_keys(self, account_id: str) -> int:
        self.calls.append("ensure_search_keys")  # the fake store derives its keys when asked: nothing to rewrite
        return 0

    def members_by_name(self, account_id: str, *, prefix: str | None, after: str | None, limit: int) -> list[Member]:
        self.calls.append("members_by_name")
        keyed = sorted(
            (name_sort_key(m.full_name, m.user_id), m)
            for (a, _), m in self.accounts.members.items()
            if a == account_id and m.status is MemberStatus.ACTIVE
        )
        found = [
            m
            for key, m in keyed
            if (after is None or key > after)
            and (not prefix or key.startswith(prefix) or search_key(m.email).startswith(prefix))
        ]
        return found[:limit]

    def members_by_ids(self, account_id: str, user_ids: list[str]) -> list[Member]:
        self.calls.append("members_by_ids")
        return [m for u in user_ids if (m := self.accounts.members.get((account_id, u))) is not None]

    def pending_invitations(self, account_id: str, *, limit: int) -> list[Invitation]:
        self.calls.append("pending_invitations")
        pending = [
            i
            for (a, _), i in self.accounts.invitations.items()
            if a == account_id and i.status is InvitationStatus.PENDING
        ]
        return sorted(pending, key=lambda i: i.created_at)[:limit]

    def member_gates(self, account_id: str, user_ids: list[str]) -> dict[str, GateDoc]:
        self.calls.append("member_gates")
        return {u: g for u in user_ids if (g := self.gates.get(account_id=account_id, user_id=u)) is not None}

    def positions_of(self, account_id: str, user_ids: list[str]) -> dict[str, LatestPosition]:
        self.calls.append("positions_of")
        return {u: p for u in user_ids if (p := self.latest.positions.get((account_id, u))) is not None}

    def positions_by_time(
        self, account_id: str, *, cursor: str | None, limit: int
    ) -> tuple[list[LatestPosition], str | None]:
        self.calls.append("positions_by_time")
        ordered = sorted(self.latest.list_for_account(account_id), key=lambda p: (p.t, p.user_id), reverse=True)
        start = int(cursor) if cursor else 0
        page = ordered[start : start + limit]
        following: Any = start + limit if start + limit < len(ordered) else None
        return page, None if following is None else str(following)
