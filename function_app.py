"""Composition of the function app: create it and register each area's Blueprint. No I/O here."""

import azure.functions as func

from functions import accounts, billing, consent, email, health, members, meta, notes, photos, policy, privacy, tracking
from functions import job_sites as job_sites_area  # job sites, visits and timesheets (docs/job-sites.md)

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

for area in (health, accounts, members, privacy, consent, tracking, photos, notes, email, policy, billing, meta):
    app.register_functions(area.bp)
app.register_functions(job_sites_area.bp)
