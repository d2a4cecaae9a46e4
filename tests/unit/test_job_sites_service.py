"""Job-site assignments with fakes: only active members of the account may be assigned; an id a site already
names may stay after that member was removed (the owner's list sent back unchanged still saves)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

import pytest

from core.domain.accounts import Member, MemberStatus
from core.domain.errors import ValidationFailed
from core.domain.identity import Principal, Role
from core.domain.job_sites import JobSite, JobSiteCreate, JobSiteUpdate
from core.services import job_sites
from tests.unit.fakes import FakeAccountStore, FakeClock
from tests.unit.test_site_visits import T0

if TYPE_CHECKING:
    from core.ports import JobSiteStore

OWNER = Principal(user_id="o1", email="o1@example.com", account_id="a1", role=Role.OWNER)


class Sites:
    def __init__(self) -> None:
        self.sites: dict[str, JobSite] = {}

    def put_site(self, site: JobSite, cells: list[str]) -> None:
        self.sites[site.site_id] = site

    def get_site(self, account_id: str, site_id: str) -> JobSite | None:
        return self.sites.get(site_id)


def test_removed_members_cannot_be_assigned_but_may_stay_on_a_site() -> None:
    # A partial fake: only the store methods these use cases call (cast to the port for the type checker).
    accounts, sites, clock = FakeAccountStore(), cast("JobSiteStore", Sites()), FakeClock()
    for user_id in ("w1", "w2"):
        accounts.put_member(
            Member(
                account_id="a1",
                user_id=user_id,
                role=Role.MEMBER,
                full_name="W",
                email=f"{user_id}@example.com",
                time_zone="UTC",
                joined_at=T0,
                updated_at=T0,
            )
        )
    area = {"kind": "circle", "centre": {"latitude": 1, "longitude": 1}}
    site = job_sites.create_site(
        principal=OWNER,
        account_id="a1",
        accounts=accounts,
        job_sites=sites,
        clock=clock,
        data=JobSiteCreate.model_validate({"name": "Yard", "area": area, "assignedMemberIds": ["w1"]}),
    )
    removed = accounts.get_member("a1", "w2")
    assert removed is not None
    accounts.put_member(removed.model_copy(update={"status": MemberStatus.REMOVED}))
    calls: tuple[Callable[[], object], ...] = (
        lambda: job_sites.create_site(
            principal=OWNER,
            account_id="a1",
            accounts=accounts,
            job_sites=sites,
            clock=clock,
            data=JobSiteCreate.model_validate({"name": "B", "area": area, "assignedMemberIds": ["w1", "w2"]}),
        ),
        lambda: job_sites.update_site(
            principal=OWNER,
            account_id="a1",
            site_id=site.site_id,
            accounts=accounts,
            job_sites=sites,
            clock=clock,
            data=JobSiteUpdate.model_validate({"assignedMemberIds": ["w1", "w2"]}),
        ),
    )
    for call in calls:
        with pytest.raises(ValidationFailed) as err:
            call()
        assert [e.field for e in err.value.errors] == ["assignedMemberIds.1"]
    first = accounts.get_member("a1", "w1")
    assert first is not None
    accounts.put_member(first.model_copy(update={"status": MemberStatus.REMOVED}))
    kept = job_sites.update_site(
        principal=OWNER,
        account_id="a1",
        site_id=site.site_id,
        accounts=accounts,
        job_sites=sites,
        clock=clock,
        data=JobSiteUpdate.model_validate({"name": "Depot", "assignedMemberIds": ["w1"]}),
    )
    assert kept.name == "Depot" and kept.assigned_member_ids == ["w1"]
