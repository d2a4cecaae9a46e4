"""The base map's Azure Maps token (core/services/maps.py, core/adapters/azure_maps.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError

from core.adapters.azure_maps import AZURE_MAPS_SCOPE, EntraMapTokens
from core.domain.errors import DependencyUnavailable, NotFound
from core.domain.identity import Principal, Role
from core.services.maps import issue_map_token
from tests.unit.fakes import FakeMapTokens

WORKER = Principal(user_id="u1", email="w@example.com", account_id="a1", role=Role.MEMBER)


class Credential:
    def __init__(self, *, fail: bool = False) -> None:
        self.scopes: list[tuple[str, ...]] = []
        self.fail = fail
        self.now = 1_000_000

    def get_token(self, *scopes: str, **_: object) -> AccessToken:
        self.scopes.append(scopes)
        if self.fail:
            raise ClientAuthenticationError("no identity endpoint")
        return AccessToken(f"token-{len(self.scopes)}", self.now + 3600)


def test_a_member_gets_the_token_and_the_maps_account() -> None:
    tokens = FakeMapTokens()
    answer = issue_map_token(principal=WORKER, map_tokens=tokens, maps_client_id="maps-account-id")
    assert answer.access_token == "map-token-for-tests"
    assert answer.client_id == "maps-account-id"
    assert answer.model_dump(by_alias=True).keys() == {"accessToken", "expiresOn", "clientId"}


def test_without_an_azure_maps_account_there_is_no_token() -> None:
    tokens = FakeMapTokens()
    for unset in (None, ""):
        with pytest.raises(NotFound):
            issue_map_token(principal=WORKER, map_tokens=tokens, maps_client_id=unset)
    assert tokens.issued == 0  # the identity is never asked for a token nobody may use


def test_one_token_per_process_until_five_minutes_before_it_expires() -> None:
    credential = Credential()
    wall = [float(credential.now)]
    tokens = EntraMapTokens(credential, wall_time=lambda: wall[0])
    first = tokens.current()
    wall[0] += 3600 - 301
    assert tokens.current() is first
    assert credential.scopes == [(AZURE_MAPS_SCOPE,)]
    wall[0] += 2  # now within five minutes of the expiry
    second = tokens.current()
    assert second.access_token == "token-2"
    assert second.expires_on == datetime.fromtimestamp(credential.now + 3600, tz=UTC)


def test_a_failing_identity_is_a_dependency_outage_not_a_crash() -> None:
    tokens = EntraMapTokens(Credential(fail=True))
    with pytest.raises(DependencyUnavailable):
        tokens.current()
