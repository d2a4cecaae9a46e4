"""The platform-wide walk over account ids in id order that the purge and the coarsening timer make: ids are read a
page at a time (one query per page instead of one per account)."""

from __future__ import annotations

from core.ports import PrivacyStore

ACCOUNT_PAGE = 100  # account ids read by one query of the walk


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
