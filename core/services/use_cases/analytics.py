"""Optional analytics: page views of the portal and their counts (functions/analytics.py)."""

from __future__ import annotations

from core.services import page_views
from core.services.wiring import UseCases, inject


class AnalyticsUseCases(UseCases):
    record = inject(page_views.record_page_view)
    counts = inject(page_views.page_view_counts)
