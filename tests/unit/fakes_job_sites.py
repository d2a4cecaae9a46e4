"""In-memory fakes of the job-site ports (JobSiteStore, SiteDayStore), for unit tests only."""

from __future__ import annotations

from datetime import date

from core.domain.job_sites import JobSite
from core.domain.site_visits import SiteDay, joined, open_part, settled_part


class FakeJobSiteStore:
    """Sites in id order with the geohash cells each reaches (the real store's cell index, kept in a dict)."""

    def __init__(self) -> None:
        self.sites: dict[tuple[str, str], JobSite] = {}
        self.cells: dict[tuple[str, str], list[str]] = {}

    def _of(self, account_id: str, after: str | None = None) -> list[JobSite]:
        return sorted(
            (s for (a, i), s in self.sites.items() if a == account_id and i > (after or "")), key=lambda s: s.site_id
        )

    def get_site(self, account_id: str, site_id: str) -> JobSite | None:
        return self.sites.get((account_id, site_id))

    def put_site(self, site: JobSite, cells: list[str]) -> None:
        self.sites[(site.account_id, site.site_id)] = site
        self.cells[(site.account_id, site.site_id)] = sorted(set(cells))

    def delete_site(self, account_id: str, site_id: str) -> bool:
        self.cells.pop((account_id, site_id), None)
        return self.sites.pop((account_id, site_id), None) is not None

    def list_sites(self, account_id: str, *, after: str | None, limit: int) -> tuple[list[JobSite], str | None]:
        found = self._of(account_id, after)
        page = found[:limit]
        return page, (page[-1].site_id if len(found) > limit else None)

    def sites_for_member(self, account_id: str, user_id: str) -> list[JobSite]:
        mine = [s for s in self._of(account_id) if s.applies_to(user_id)]
        return sorted(mine, key=lambda s: (s.name.lower(), s.site_id))

    def list_sites_for_member(
        self, account_id: str, user_id: str, *, after: str | None, limit: int
    ) -> tuple[list[JobSite], str | None]:
        found = [s for s in self._of(account_id, after) if s.applies_to(user_id)]
        page = found[:limit]
        return page, (page[-1].site_id if len(found) > limit else None)

    def sites_by_id(self, account_id: str, site_ids: list[str]) -> list[JobSite]:
        return [s for s in self._of(account_id) if s.site_id in site_ids]

    def sites_in_cells(self, account_id: str, cells: list[str]) -> tuple[list[JobSite], dict[str, list[str]]]:
        wanted = set(cells)
        hits = {
            s.site_id: [c for c in self.cells[(account_id, s.site_id)] if c in wanted] for s in self._of(account_id)
        }
        hits = {site_id: found for site_id, found in hits.items() if found}
        return [s for s in self._of(account_id) if s.site_id in hits], hits


def written(stored: SiteDay | None, site_day: SiteDay, *, settled: bool) -> SiteDay:
    """The day a store holds after `put_day(site_day, settled=...)` over `stored`, as the two documents of the
    Cosmos DB adapter make it: the open part always, the settled part only with `settled` or for a new day (a
    caller that says nothing settled when something did loses it here too)."""
    if stored is None or settled or site_day.open is None:
        return site_day
    return joined(settled_part(stored), open_part(site_day))


def read_open_part(day: SiteDay | None) -> SiteDay | None:
    return None if day is None else open_part(day) if day.open is not None else day


class FakeSiteDayStore:
    """Evaluated days with a version each: a write over a version other than the one stored is refused."""

    def __init__(self) -> None:
        self.days: dict[tuple[str, str, date], tuple[int, SiteDay]] = {}

    def get_day(self, account_id: str, user_id: str, day: date) -> SiteDay | None:
        return self.read_day(account_id, user_id, day)[0]

    def read_day(self, account_id: str, user_id: str, day: date) -> tuple[SiteDay | None, str | None]:
        stored = self.days.get((account_id, user_id, day))
        return (None, None) if stored is None else (stored[1], str(stored[0]))

    def read_open(self, account_id: str, user_id: str, day: date) -> tuple[SiteDay | None, str | None]:
        found, version = self.read_day(account_id, user_id, day)
        return read_open_part(found), version

    def put_day(self, site_day: SiteDay, *, version: str | None, settled: bool) -> bool:
        key = (site_day.account_id, site_day.user_id, site_day.day)
        stored = self.days.get(key)
        if (str(stored[0]) if stored else None) != version:
            return False
        whole = written(stored[1] if stored else None, site_day, settled=settled)
        self.days[key] = ((stored[0] if stored else 0) + 1, whole)
        return True

    def list_days(self, account_id: str, *, user_id: str | None, first: date, last: date) -> list[SiteDay]:
        found = [
            d
            for (a, u, day), (_, d) in self.days.items()
            if a == account_id and (user_id is None or u == user_id) and first <= day <= last
        ]
        return sorted(found, key=lambda d: (d.day, d.user_id))
