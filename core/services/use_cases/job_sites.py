"""Job sites (owner CRUD, the member's list) and timesheets (functions/job_sites.py)."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.identity import Principal
from core.domain.job_sites import JobSiteCreate, JobSiteList, JobSiteListQuery, JobSitePublic, JobSiteUpdate
from core.domain.timesheets import Timesheet, TimesheetQuery
from core.ports import AccessLog, AccountStore, Clock, JobSiteStore, SiteDayStore
from core.services import job_sites, site_visits
from core.services.paging import PageTokens


@dataclass(frozen=True)
class JobSiteUseCases:
    accounts: AccountStore
    sites: JobSiteStore
    days: SiteDayStore
    access_log: AccessLog
    pages: PageTokens
    clock: Clock

    def create(self, *, principal: Principal, account_id: str, data: JobSiteCreate) -> JobSitePublic:
        return job_sites.create_site(
            principal=principal,
            account_id=account_id,
            data=data,
            accounts=self.accounts,
            job_sites=self.sites,
            clock=self.clock,
        )

    def list_sites(self, *, principal: Principal, account_id: str, query: JobSiteListQuery) -> JobSiteList:
        return job_sites.list_sites(
            principal=principal, account_id=account_id, query=query, job_sites=self.sites, page_tokens=self.pages
        )

    def site(self, *, principal: Principal, account_id: str, site_id: str) -> JobSitePublic:
        return job_sites.get_site(principal=principal, account_id=account_id, site_id=site_id, job_sites=self.sites)

    def update(self, *, principal: Principal, account_id: str, site_id: str, data: JobSiteUpdate) -> JobSitePublic:
        return job_sites.update_site(
            principal=principal,
            account_id=account_id,
            site_id=site_id,
            data=data,
            accounts=self.accounts,
            job_sites=self.sites,
            clock=self.clock,
        )

    def delete(self, *, principal: Principal, account_id: str, site_id: str) -> None:
        job_sites.delete_site(principal=principal, account_id=account_id, site_id=site_id, job_sites=self.sites)

    def my_sites(self, *, principal: Principal, query: JobSiteListQuery) -> JobSiteList:
        return job_sites.my_sites(principal=principal, query=query, job_sites=self.sites, page_tokens=self.pages)

    def account_timesheet(self, *, principal: Principal, account_id: str, query: TimesheetQuery) -> Timesheet:
        return site_visits.account_timesheet(
            principal=principal,
            account_id=account_id,
            query=query,
            accounts=self.accounts,
            job_sites=self.sites,
            site_days=self.days,
            access_log=self.access_log,
            clock=self.clock,
        )

    def my_timesheet(self, *, principal: Principal, query: TimesheetQuery) -> Timesheet:
        return site_visits.my_timesheet(
            principal=principal,
            query=query,
            accounts=self.accounts,
            job_sites=self.sites,
            site_days=self.days,
            clock=self.clock,
        )
