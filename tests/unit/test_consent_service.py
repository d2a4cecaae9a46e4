"""Consent ledger: append-only entries, state at an instant, idempotent PUT, policy version recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.domain.consent import Capability, ConsentSource, ConsentUpdate
from core.domain.errors import ValidationFailed
from core.domain.identity import Principal, Role
from core.services import consent
from tests.unit.fakes import FakeClock, FakeReactions
from tests.unit.fakes_tracking import FakeConsentLedger

WORKER = Principal(user_id="u1", email="u1@example.com", account_id="a1", role=Role.MEMBER)


def _set(
    ledger: FakeConsentLedger,
    clock: FakeClock,
    granted: bool,
    *,
    capability: str = "location",
    device: str = "dev-1",
    version: str = "2023-06-15",
    who: Principal = WORKER,
) -> None:
    consent.set_consent(
        principal=who,
        capability=capability,
        data=ConsentUpdate(granted=granted, device_id=device, app_version="1.4.0"),
        consents=ledger,
        reactions=FakeReactions(),
        clock=clock,
        policy_version=version,
    )


def test_state_follows_the_ledger_at_each_instant() -> None:
    ledger, clock = FakeConsentLedger(), FakeClock()
    before = clock.now() - timedelta(seconds=1)
    _set(ledger, clock, True)
    granted_at = clock.now()
    clock.advance(hours=2)
    _set(ledger, clock, False)
    revoked_at = clock.now()

    def asked(at: object) -> bool:
        return consent.consent_granted_at(
            ledger=ledger,
            account_id="a1",
            user_id="u1",
            capability=Capability.LOCATION,
            at=at,  # type: ignore[arg-type]  # a naive datetime on purpose: the ledger must refuse it
        )

    assert not asked(before)
    assert asked(granted_at)
    assert asked(granted_at + timedelta(hours=1))
    assert not asked(revoked_at)
    assert not asked(revoked_at + timedelta(days=1))
    # Camera was never asked: not granted. Another account's worker with the same id: not granted.
    assert not consent.consent_granted_at(
        ledger=ledger, account_id="a1", user_id="u1", capability=Capability.CAMERA, at=granted_at
    )
    assert not consent.consent_granted_at(
        ledger=ledger, account_id="a2", user_id="u1", capability=Capability.LOCATION, at=granted_at
    )


def test_each_change_is_appended_with_device_app_and_policy_version() -> None:
    ledger, clock = FakeConsentLedger(), FakeClock()
    _set(ledger, clock, True)
    clock.advance(minutes=1)
    _set(ledger, clock, True)  # the same again: nothing new
    assert len(ledger.entries) == 1
    clock.advance(minutes=1)
    _set(ledger, clock, True, version="2026-01-01")  # a new policy version in force: recorded again
    clock.advance(minutes=1)
    _set(ledger, clock, False, device="dev-2", version="2026-01-01")
    assert [(e.granted, e.device_id, e.policy_version) for e in ledger.entries] == [
        (True, "dev-1", "2023-06-15"),
        (True, "dev-1", "2026-01-01"),
        (False, "dev-2", "2026-01-01"),
    ]
    view = consent.get_consents(principal=WORKER, consents=ledger)
    current = {c.capability: c for c in view.current}
    assert current[Capability.LOCATION].granted is False
    assert current[Capability.LOCATION].since == clock.now()
    assert current[Capability.CAMERA].granted is False and current[Capability.CAMERA].since is None
    assert [h.granted for h in view.history] == [True, True, False]


def test_unknown_capability_names_the_field() -> None:
    with pytest.raises(ValidationFailed) as err:
        _set(FakeConsentLedger(), FakeClock(), True, capability="microphone")
    assert err.value.errors[0].field == "capability"


def test_a_decision_from_the_portal_is_recorded_with_its_source_and_the_policy_version() -> None:
    ledger, clock = FakeConsentLedger(), FakeClock()
    _set(ledger, clock, True)  # the app granted location
    portal = ConsentUpdate.model_validate(
        {"granted": True, "deviceId": "web-portal", "appVersion": "portal", "source": "portal"}
    )
    for capability, granted in (("location", True), ("camera", True), ("camera", False)):
        clock.advance(minutes=1)
        consent.set_consent(
            principal=WORKER,
            capability=capability,
            data=portal.model_copy(update={"granted": granted}),
            consents=ledger,
            reactions=FakeReactions(),
            clock=clock,
            policy_version="2026-01-01",
        )
    # The same state from the portal is a new entry (another source); then camera allowed and withdrawn.
    assert [(e.capability, e.granted, e.source, e.policy_version) for e in ledger.entries] == [
        (Capability.LOCATION, True, ConsentSource.APP, "2023-06-15"),
        (Capability.LOCATION, True, ConsentSource.PORTAL, "2026-01-01"),
        (Capability.CAMERA, True, ConsentSource.PORTAL, "2026-01-01"),
        (Capability.CAMERA, False, ConsentSource.PORTAL, "2026-01-01"),
    ]
    assert [h.source for h in consent.get_consents(principal=WORKER, consents=ledger).history][-1] == "portal"
    assert not consent.consent_granted_at(
        ledger=ledger, account_id="a1", user_id="u1", capability=Capability.CAMERA, at=clock.now()
    )


def test_an_unknown_source_is_refused() -> None:
    with pytest.raises(ValueError, match="source"):
        ConsentUpdate.model_validate({"granted": True, "deviceId": "d", "appVersion": "1", "source": "email"})
