"""Job sites and the members' evaluated days (docs/job-sites.md). The owner's opt-in arrival notices, which also
need the e-mail outbox, are built with it in core/bootstrap/email.py (`site_notices`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.bootstrap.adapter import adapter
from core.bootstrap.clients import Clients

if TYPE_CHECKING:
    from core.adapters.cosmos_job_sites import CosmosJobSiteStore, CosmosSiteDayStore


class JobSitePorts(Clients):
    @adapter
    def job_sites(self) -> CosmosJobSiteStore:
        from core.adapters.cosmos_job_sites import CosmosJobSiteStore

        return CosmosJobSiteStore(self.database)

    @adapter
    def site_days(self) -> CosmosSiteDayStore:
        from core.adapters.cosmos_job_sites import CosmosSiteDayStore

        return CosmosSiteDayStore(self.database, self.expiry_stamp)
