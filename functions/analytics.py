"""Optional analytics (docs/privacy-signals.md): page views from the portal, and their counts for platform admins."""

import azure.functions as func

from core.domain.page_views import PageViewCounts, PageViewIn, PageViewQuery, PageViewReceipt, gpc_signal
from core.domain.rate_limits import PAGE_VIEWS
from core.services.use_cases.analytics import AnalyticsUseCases
from functions._http import Auth, Call, endpoint, use_cases

bp = func.Blueprint()
analytics = use_cases(AnalyticsUseCases)


@endpoint(
    bp,
    "POST",
    "analytics/page-views",
    auth=Auth.OPTIONAL,
    tag="analytics",
    body=PageViewIn,
    response=PageViewReceipt,
    status=202,
    summary="Record a page view of the portal: only with consent and never with a `Sec-GPC: 1` header (then"
    " answered and dropped). A bearer token is optional; with one, the view is the person's own"
    " (in their export, gone with an erasure).",
    limits=(PAGE_VIEWS,),
)
def record_page_view(call: Call) -> PageViewReceipt:
    return analytics().record(
        event=call.body, gpc=gpc_signal(call.req.headers.get("sec-gpc")), client=call.client, principal=call.principal_
    )


@endpoint(
    bp,
    "GET",
    "admin/analytics/page-views",
    auth=Auth.ADMIN,
    tag="analytics",
    query=PageViewQuery,
    response=PageViewCounts,
    summary="Platform admins: page-view counts of the last days (per day, top paths, browsers and systems);"
    " aggregates only, no network or person.",
)
def page_view_counts(call: Call) -> PageViewCounts:
    return analytics().counts(identity=call.identity, days=call.query.days)
