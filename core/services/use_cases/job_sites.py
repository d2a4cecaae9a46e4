"""Job sites (owner CRUD, the member's list) and timesheets (functions/job_sites.py)."""

from __future__ import annotations

from core.services import job_sites, site_visits
from core.services.wiring import UseCases, inject


class JobSiteUseCases(UseCases):
    create = inject(job_sites.create_site)
    list_sites = inject(job_sites.list_sites)
    site = inject(job_sites.get_site)
    update = inject(job_sites.update_site)
    delete = inject(job_sites.delete_site)
    my_sites = inject(job_sites.my_sites)
    account_timesheet = inject(site_visits.account_timesheet)
    my_timesheet = inject(site_visits.my_timesheet)
