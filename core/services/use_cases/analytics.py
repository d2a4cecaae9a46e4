"""Optional analytics: page views of the portal and their counts (functions/analytics.py)."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.client_summary import ClientSummary
from core.domain.identity import Identity, Principal
from core.domain.page_views import PageViewCounts, PageViewIn, PageViewReceipt
from core.ports import Clock, PageViewStore
from core.services import page_views


@dataclass(frozen=True)
class AnalyticsUseCases:
    store: PageViewStore
    clock: Clock

    def record(
        self, *, event: PageViewIn, gpc: bool, client: ClientSummary, principal: Principal | None
    ) -> PageViewReceipt:
        return page_views.record_page_view(
            event=event, gpc=gpc, client=client, principal=principal, page_views=self.store, clock=self.clock
        )

    def counts(self, *, identity: Identity, days: int) -> PageViewCounts:
        return page_views.page_view_counts(identity=identity, days=days, page_views=self.store, clock=self.clock)
