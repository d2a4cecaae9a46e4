"""Job sites: the owner's CRUD and the member's list of the sites that apply to them. See docs/job-sites.md."""

from __future__ import annotations

import uuid

from core.domain.accounts import MemberStatus
from core.domain.errors import FieldError, NotFound, ValidationFailed
from core.domain.identity import Principal
from core.domain.job_sites import (
    JobSite,
    JobSiteCreate,
    JobSiteList,
    JobSiteListQuery,
    JobSitePublic,
    JobSiteUpdate,
    cells_covering,
)
from core.ports import AccountStore, Clock, JobSiteStore
from core.services.paging import PageTokens


def _check_members(
    account_id: str, member_ids: list[str], accounts: AccountStore, kept: frozenset[str] = frozenset()
) -> None:
    """Assigned members must be active members of the account (another account's user answers like an unknown
    one; a removed member cannot be assigned). Ids the site already names (`kept`) may stay, so sending a site's
    list back unchanged works after one of them was removed."""
    if not member_ids:
        return
    known = {m.user_id for m in accounts.list_members(account_id) if m.status is MemberStatus.ACTIVE} | kept
    for i, member_id in enumerate(member_ids):
        if member_id not in known:
            raise ValidationFailed(errors=[FieldError(f"assignedMemberIds.{i}", "is not a member of the account")])


def _save(site: JobSite, sites: JobSiteStore) -> JobSitePublic:
    sites.put_site(site, cells_covering(site.geometry()))
    return site.to_public()


def create_site(
    *,
    principal: Principal,
    account_id: str,
    data: JobSiteCreate,
    accounts: AccountStore,
    job_sites: JobSiteStore,
    clock: Clock,
) -> JobSitePublic:
    principal.require_owner_of(account_id)
    _check_members(account_id, data.assigned_member_ids, accounts)
    now = clock.now()
    site = JobSite(
        site_id=str(uuid.uuid4()),
        account_id=account_id,
        name=data.name,
        address=data.address,
        area=data.area,
        assigned_member_ids=data.assigned_member_ids,
        active_hours=data.active_hours,
        created_at=now,
        updated_at=now,
    )
    return _save(site, job_sites)


def _existing(account_id: str, site_id: str, sites: JobSiteStore) -> JobSite:
    site = sites.get_site(account_id, site_id)
    if site is None:
        raise NotFound()
    return site


def get_site(*, principal: Principal, account_id: str, site_id: str, job_sites: JobSiteStore) -> JobSitePublic:
    principal.require_owner_of(account_id)
    return _existing(account_id, site_id, job_sites).to_public()


def update_site(
    *,
    principal: Principal,
    account_id: str,
    site_id: str,
    data: JobSiteUpdate,
    accounts: AccountStore,
    job_sites: JobSiteStore,
    clock: Clock,
) -> JobSitePublic:
    """Only the fields present change. Days already evaluated keep their visits; pings stored from now on are
    evaluated against the new area."""
    principal.require_owner_of(account_id)
    site = _existing(account_id, site_id, job_sites)
    changes = data.model_dump(exclude_unset=True, by_alias=False)
    if "assigned_member_ids" in changes:
        _check_members(account_id, data.assigned_member_ids or [], accounts, frozenset(site.assigned_member_ids))
    for name in ("name", "address", "area", "active_hours"):
        if name in changes:
            if name == "name" and data.name is None:
                raise ValidationFailed(errors=[FieldError("name", "may not be null")])
            if name == "area" and data.area is None:
                raise ValidationFailed(errors=[FieldError("area", "may not be null")])
            setattr(site, name, getattr(data, name))
    if "assigned_member_ids" in changes:
        site.assigned_member_ids = data.assigned_member_ids or []
        site.assignees_erased = False  # the owner decided again: empty means everyone
    site.updated_at = clock.now()
    return _save(site, job_sites)


def delete_site(*, principal: Principal, account_id: str, site_id: str, job_sites: JobSiteStore) -> None:
    """Visits already recorded keep the site's id (timesheets then show it without a name)."""
    principal.require_owner_of(account_id)
    if not job_sites.delete_site(account_id, site_id):
        raise NotFound()


def list_sites(
    *, principal: Principal, account_id: str, query: JobSiteListQuery, job_sites: JobSiteStore, page_tokens: PageTokens
) -> JobSiteList:
    """By site id, paged; the continuation is sealed for this account's list (core/services/paging.py)."""
    principal.require_owner_of(account_id)
    scope = ("job-sites", account_id)
    items, after = job_sites.list_sites(
        account_id, after=page_tokens.open(scope, query.continuation), limit=query.limit
    )
    return JobSiteList(items=[s.to_public() for s in items], continuation=page_tokens.seal(scope, after))


def my_sites(
    *, principal: Principal, query: JobSiteListQuery, job_sites: JobSiteStore, page_tokens: PageTokens
) -> JobSiteList:
    """The sites that apply to the caller (assigned to them, or to everyone), by site id, paged like the owner's
    list; a token is bound to the caller's own list."""
    scope = ("my-job-sites", principal.account_id, principal.user_id)
    items, after = job_sites.list_sites_for_member(
        principal.account_id, principal.user_id, after=page_tokens.open(scope, query.continuation), limit=query.limit
    )
    return JobSiteList(items=[s.to_public() for s in items], continuation=page_tokens.seal(scope, after))
