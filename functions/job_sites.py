"""Job sites (owner CRUD, the member's list) and timesheets (owner, worker). See docs/job-sites.md."""

import azure.functions as func

from core.domain.job_sites import JobSiteCreate, JobSiteList, JobSiteListQuery, JobSitePublic, JobSiteUpdate
from core.domain.timesheets import Timesheet, TimesheetQuery
from core.services import site_visits
from core.services.use_cases.job_sites import JobSiteUseCases
from functions._http import JSON, PAGE_HEADERS, Auth, Call, endpoint, paged_response, use_cases

bp = func.Blueprint()
job_sites = use_cases(JobSiteUseCases)
CSV = "text/csv"
SITE = "accounts/{accountId}/job-sites/{siteId}"


@endpoint(
    bp,
    "POST",
    "accounts/{accountId}/job-sites",
    auth=Auth.PRINCIPAL,
    body=JobSiteCreate,
    response=JobSitePublic,
    status=201,
    summary="Create a job site: circle or polygon (owner)",
    tag="job-sites",
)
def create_job_site(call: Call) -> JobSitePublic:
    return job_sites().create(principal=call.principal, account_id=call.route["accountId"], data=call.body)


def _page(result: JobSiteList) -> func.HttpResponse:
    return paged_response(result, result.continuation)


@endpoint(
    bp,
    "GET",
    "accounts/{accountId}/job-sites",
    auth=Auth.PRINCIPAL,
    query=JobSiteListQuery,
    response=JobSiteList,
    response_headers=PAGE_HEADERS,
    summary="The account's job sites, by id, paged: X-Continuation (owner)",
    tag="job-sites",
)
def list_job_sites(call: Call) -> func.HttpResponse:
    return _page(job_sites().list_sites(principal=call.principal, account_id=call.route["accountId"], query=call.query))


@endpoint(bp, "GET", SITE, auth=Auth.PRINCIPAL, response=JobSitePublic, summary="A job site (owner)", tag="job-sites")
def get_job_site(call: Call) -> JobSitePublic:
    return job_sites().site(principal=call.principal, account_id=call.route["accountId"], site_id=call.route["siteId"])


@endpoint(
    bp,
    "PATCH",
    SITE,
    auth=Auth.PRINCIPAL,
    body=JobSiteUpdate,
    response=JobSitePublic,
    summary="Change a job site: only the fields present (owner)",
    tag="job-sites",
)
def update_job_site(call: Call) -> JobSitePublic:
    return job_sites().update(
        principal=call.principal, account_id=call.route["accountId"], site_id=call.route["siteId"], data=call.body
    )


@endpoint(bp, "DELETE", SITE, auth=Auth.PRINCIPAL, status=204, summary="Delete a job site (owner)", tag="job-sites")
def delete_job_site(call: Call) -> None:
    job_sites().delete(principal=call.principal, account_id=call.route["accountId"], site_id=call.route["siteId"])


@endpoint(
    bp,
    "GET",
    "me/job-sites",
    auth=Auth.PRINCIPAL,
    query=JobSiteListQuery,
    response=JobSiteList,
    response_headers=PAGE_HEADERS,
    summary="The job sites that apply to me (assigned to me or to everyone), by id, paged: X-Continuation",
    tag="job-sites",
)
def my_job_sites(call: Call) -> func.HttpResponse:
    return _page(job_sites().my_sites(principal=call.principal, query=call.query))


def _answer(call: Call, sheet: Timesheet) -> Timesheet | func.HttpResponse:
    accept = (call.req.headers.get("accept") or "").lower()
    if CSV in accept and JSON not in accept:
        return func.HttpResponse(
            body=site_visits.to_csv(sheet),
            status_code=200,
            headers={"Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store"},
        )
    return sheet


@endpoint(
    bp,
    "GET",
    "accounts/{accountId}/timesheets",
    auth=Auth.PRINCIPAL,
    query=TimesheetQuery,
    response=Timesheet,
    produces=(JSON, CSV),
    summary="Time on job sites, stops elsewhere, trips and distance per member and local day (owner; logged;"
    " Accept: text/csv for CSV)",
    tag="job-sites",
)
def get_timesheets(call: Call) -> Timesheet | func.HttpResponse:
    return _answer(
        call,
        job_sites().account_timesheet(principal=call.principal, account_id=call.route["accountId"], query=call.query),
    )


@endpoint(
    bp,
    "GET",
    "me/timesheet",
    auth=Auth.PRINCIPAL,
    query=TimesheetQuery,
    response=Timesheet,
    produces=(JSON, CSV),
    summary="My timesheet per local day (Accept: text/csv for CSV)",
    tag="job-sites",
)
def get_my_timesheet(call: Call) -> Timesheet | func.HttpResponse:
    return _answer(call, job_sites().my_timesheet(principal=call.principal, query=call.query))
