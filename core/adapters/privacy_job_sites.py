"""Job sites in the privacy registry (docs/job-sites.md): an erased member's id leaves every assignment list.

A job site is the account's data, but its assignment list names members by id. Erasure takes the member's id out
of every site that names it, in the site and in its cell entries (the pings writer reads the copies there). A site
whose last assigned member was erased applies to nobody (`assignees_erased`), not to everyone as an empty list
chosen by the owner does. A closed account's sites go entirely with its data after the window.

The members' evaluated days are location data, stored in two parts (core/adapters/cosmos_job_sites.py): the settled
part (`site-day`, kind `site-visits`) and the open part (`site-day-open`, kind `site-visits-open`: the open visits,
stop and trip, and the open day with the last fixes' positions, what the writer continues from). Both are aged with
the location retention by the day's start, exported, erased and removed with a closed account's data.
The sites' cell entries are copies of the sites (no export, removed with a closed account).
"""

from __future__ import annotations

from azure.cosmos import DatabaseProxy

from core.adapters.cosmos_job_sites import OPEN, SITE, CosmosJobSiteStore
from core.adapters.privacy_kinds import KeysetKind
from core.domain.job_sites import cells_covering
from core.domain.privacy import ItemRef, Page

PREFIX = f"{SITE}-"


class JobSiteKind(KeysetKind):
    def __init__(self, database: DatabaseProxy) -> None:
        super().__init__(
            database,
            name="job-sites",
            doc_type=SITE,
            export_file=None,
            on_erasure="anonymize",
            description="The account's job sites, with the ids of the members assigned to each.",
        )
        self._sites = CosmosJobSiteStore(database)

    def of_user(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> Page:
        """The sites whose assignment list names the member (what erasure changes)."""
        page = self.page(
            account_id,
            " AND ARRAY_CONTAINS(c.assigned_member_ids, @u)",
            [{"name": "@u", "value": user_id}],
            continuation,
            limit,
        )
        return Page(
            items=[r.model_copy(update={"user_id": user_id}) for r in page.items], continuation=page.continuation
        )

    def anonymize(self, ref: ItemRef) -> bool:
        """Take the member's id out of the site and its cell entries (same cells: the area does not change)."""
        site = self._sites.get_site(ref.partition_key, ref.doc_id.removeprefix(PREFIX))
        if site is None or ref.user_id is None or ref.user_id not in site.assigned_member_ids:
            return False
        self._sites.put_site(site.without_member(ref.user_id), cells_covering(site.geometry()))
        return True


def job_site_kinds(database: DatabaseProxy) -> list[KeysetKind]:
    """In the account's partition of `accounts` (what `core/adapters/cosmos_job_sites.py` writes)."""
    return [
        KeysetKind(
            database,
            name="site-visits",
            doc_type="site-day",
            user_field="user_id",
            export_file="job-site-visits.json",
            retention="location",
            time_field="day_start_utc",
            description="Your days at job sites: arrivals and departures, visits, stops elsewhere,"
            " trips and distances, computed from your location pings (a day's open part: site-visits-open).",
        ),
        KeysetKind(
            database,
            name="site-visits-open",
            doc_type=OPEN,
            user_field="user_id",
            export_file="job-site-visits-open.json",
            retention="location",
            time_field="day_start_utc",
            description="The part of each of your days at job sites that is still open: the visits, stop and trip"
            " in progress and the last positions the next upload continues from.",
        ),
        JobSiteKind(database),
        KeysetKind(
            database,
            name="job-site-cells",
            doc_type="job-site-cell",
            export_file=None,
            description="The job sites' spatial index entries (copies of the sites).",
        ),
    ]
