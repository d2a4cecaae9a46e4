"""Every endpoint that takes an account or user id, every verb, called by account A with account B's ids:
the answer must be indistinguishable from the answer for ids that do not exist."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx

import function_app  # noqa: F401 - registers every endpoint
from functions._http import ENDPOINTS
from tests.integration.conftest import add_member, register_owner

_PARAM = re.compile(r"\{\*?([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\??\}")


def _fill(route: str, values: dict[str, str]) -> str:
    return "/" + _PARAM.sub(lambda m: values.get(m.group(1), values["_other"]), route)


def _comparable(r: httpx.Response) -> tuple[int, str, Any]:
    try:
        body: Any = r.json()
    except ValueError:
        body = r.text
    return r.status_code, r.headers.get("content-type", ""), body


def test_no_endpoint_reveals_another_accounts_ids(api: httpx.Client, figure: Callable[..., None]) -> None:
    a_owner, b_owner = register_owner(api), register_owner(api)
    a_member, b_member = add_member(api, a_owner), add_member(api, b_owner)
    before = api.get(f"/accounts/{b_owner.account_id}/members", headers=b_owner.auth).json()
    missing = str(uuid.uuid4())
    targets = [e for e in ENDPOINTS if {"accountId", "userId"} & set(_PARAM.findall(e.route))]
    assert targets, "no endpoint takes an account or user id"
    tried, leaks = 0, []
    for spec in targets:
        for caller in (a_owner, a_member):
            for b_user in (b_owner, b_member):
                foreign = {"accountId": b_owner.account_id, "userId": b_user.user_id, "_other": missing}
                absent = {"accountId": missing, "userId": missing, "_other": missing}
                body = {} if spec.body is not None else None
                r_foreign = api.request(spec.method, _fill(spec.route, foreign), json=body, headers=caller.auth)
                r_absent = api.request(spec.method, _fill(spec.route, absent), json=body, headers=caller.auth)
                tried += 1
                if _comparable(r_foreign) != _comparable(r_absent) or r_foreign.status_code < 400:
                    leaks.append(f"{spec.method} {spec.route} as {(caller is a_owner and 'owner') or 'member'}: "
                                 f"{r_foreign.status_code} vs {r_absent.status_code}")
    # A's own account path with B's user ids must not reach B's members either.
    for spec in [e for e in targets if "userId" in e.route and "accountId" in e.route]:
        ids = {"accountId": a_owner.account_id, "userId": b_member.user_id, "_other": missing}
        r = api.request(spec.method, _fill(spec.route, ids), json={} if spec.body else None, headers=a_owner.auth)
        tried += 1
        if r.status_code < 400:
            leaks.append(f"{spec.method} {spec.route} with B's user under A's account: {r.status_code}")
    figure(5, f"{tried} combinations tried (account and user ids), {len(leaks)} leaks", tried=tried, leaks=len(leaks))
    assert not leaks, leaks
    assert api.get(f"/accounts/{b_owner.account_id}/members", headers=b_owner.auth).json() == before
    assert api.get("/me", headers=b_member.auth).status_code == 200
