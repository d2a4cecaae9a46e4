"""Consent endpoints over HTTP: ledger history, current state, validation and tenancy (each user sees only theirs)."""

from __future__ import annotations

import httpx

from tests.integration.conftest import User

BODY = {"granted": True, "deviceId": "device-1", "appVersion": "3.2.1"}


def test_grant_then_revoke_is_recorded_in_the_ledger(api: httpx.Client, member: User) -> None:
    r = api.put("/me/consents/location", json=BODY, headers=member.auth)
    assert r.status_code == 200, r.text
    assert r.json()["granted"] is True and r.json()["policyVersion"] == "2023-06-15"
    assert api.put("/me/consents/location", json=BODY, headers=member.auth).status_code == 200  # no new entry
    r = api.put("/me/consents/location", json={**BODY, "granted": False}, headers=member.auth)
    assert r.status_code == 200 and r.json()["granted"] is False
    view = api.get("/me/consents", headers=member.auth).json()
    current = {c["capability"]: c for c in view["current"]}
    assert current["location"]["granted"] is False and current["camera"]["granted"] is False
    assert [(h["capability"], h["granted"]) for h in view["history"]] == [("location", True), ("location", False)]
    assert {h["deviceId"] for h in view["history"]} == {"device-1"}
    assert {h["appVersion"] for h in view["history"]} == {"3.2.1"}


def test_invalid_consent_requests_change_nothing(api: httpx.Client, member: User) -> None:
    r = api.put("/me/consents/microphone", json=BODY, headers=member.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "capability"
    r = api.put("/me/consents/camera", json={"granted": True}, headers=member.auth)
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"deviceId", "appVersion"}
    r = api.put("/me/consents/camera", json={**BODY, "recordedAt": "2020-01-01T00:00:00Z"}, headers=member.auth)
    assert r.status_code == 422
    assert api.get("/me/consents", headers=member.auth).json()["history"] == []


def test_consents_are_per_user(api: httpx.Client, owner: User, member: User) -> None:
    assert api.put("/me/consents/camera", json=BODY, headers=member.auth).status_code == 200
    assert api.get("/me/consents", headers=owner.auth).json()["history"] == []
    assert api.get("/me/consents").status_code == 401


def test_the_portal_allows_and_withdraws_location_and_camera_with_its_source_in_the_ledger(
    api: httpx.Client, member: User
) -> None:
    """What the portal's "What I allowed" page sends (issue 29): each decision is a ledger entry with the policy
    version in force and the source `portal`; an app's entry (no source) says `app`; the ingest rules read them."""
    portal = {"deviceId": "web-portal", "appVersion": "portal", "source": "portal"}
    assert api.put("/me/consents/location", json=BODY, headers=member.auth).status_code == 200  # from the app
    for capability, granted in (("location", False), ("location", True), ("camera", True), ("camera", False)):
        r = api.put(f"/me/consents/{capability}", json={**portal, "granted": granted}, headers=member.auth)
        assert r.status_code == 200, r.text
        assert r.json()["granted"] is granted and r.json()["policyVersion"] == "2023-06-15"
    view = api.get("/me/consents", headers=member.auth).json()
    assert [(h["capability"], h["granted"], h["source"], h["policyVersion"]) for h in view["history"]] == [
        ("location", True, "app", "2023-06-15"),
        ("location", False, "portal", "2023-06-15"),
        ("location", True, "portal", "2023-06-15"),
        ("camera", True, "portal", "2023-06-15"),
        ("camera", False, "portal", "2023-06-15"),
    ]
    current = {c["capability"]: c["granted"] for c in view["current"]}
    assert current == {"location": True, "camera": False}
    r = api.put("/me/consents/camera", json={**portal, "granted": True, "source": "sms"}, headers=member.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "source"
