"""The walks the purge and the coarsening timer make (docs/privacy-and-retention.md, "The purge").

`DueWalk` goes over the accounts a work index (core/services/purge_index.py) says are due, in account id order,
reading entries a page at a time (one query on the index's partition per page). `AccountWalk` goes over every
account id (one query per page of ids): only the enrolment sweep uses it.
"""

from __future__ import annotations

from datetime import datetime

from core.domain.privacy import PurgeDue
from core.ports import PrivacyStore
from core.services.purge_index import DUE_PAGE

ACCOUNT_PAGE = 100  # account ids read by one query of the enrolment sweep


class AccountWalk:
    """The next account id after a given one. When the ids read ahead run out it asks the store again, so the walk
    ends only on an empty answer (an account made during the walk after the last page read is still reached)."""

    def __init__(self, privacy: PrivacyStore, page: int = ACCOUNT_PAGE) -> None:
        self._privacy, self._page = privacy, page
        self._ahead: list[str] = []

    def next_after(self, after: str | None) -> str | None:
        self._ahead = [a for a in self._ahead if after is None or a > after]
        if not self._ahead:
            self._ahead = self._privacy.accounts_after(after, self._page)
        return self._ahead.pop(0) if self._ahead else None


class DueWalk:
    """The next due entry of one index after a given account id; None at the end of the due entries."""

    def __init__(self, privacy: PrivacyStore, queue: str, now: datetime, page: int = DUE_PAGE) -> None:
        self._privacy, self._queue, self._now, self._page = privacy, queue, now, page
        self._ahead: list[PurgeDue] = []
        self.queries = 0

    def next_after(self, after: str | None) -> PurgeDue | None:
        self._ahead = [e for e in self._ahead if after is None or e.account_id > after]
        if not self._ahead:
            self.queries += 1
            self._ahead = self._privacy.due_page(self._queue, self._now, after, self._page)
        return self._ahead.pop(0) if self._ahead else None
