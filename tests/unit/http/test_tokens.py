"""Bearer tokens at the seam: RS256 from the issuer's JWKS only; `none`, HS256 keyed with the public key, foreign
keys, wrong issuer or audience, expired or not yet valid tokens are refused with 401 problem+json."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from core.adapters.tokens import JwksTokenVerifier
from core.domain.errors import Unauthenticated
from tests.unit.http.conftest import (
    LEEWAY,
    MEMBER,
    OTHER_KEY,
    hs256_with_public_key,
    problem_of,
    request,
    token,
    unsigned_token,
)
from tests.unit.http.test_seam import seam
from tests.unit.roots import ADMIN_ROLE

NOW = int(time.time())
BAD_TOKENS: dict[str, Callable[[], str]] = {
    "alg none": lambda: unsigned_token("none"),
    "alg None": lambda: unsigned_token("None"),
    "HS256 keyed with the public key": hs256_with_public_key,
    "signed by another key, same kid": lambda: token(key=OTHER_KEY),
    "unknown kid": lambda: token(kid="k-unknown"),
    "wrong issuer": lambda: token(iss="https://evil.test/"),
    "wrong audience": lambda: token(aud="api://someone-else"),
    "expired beyond the leeway": lambda: token(exp=int(time.time()) - LEEWAY - 5),
    "not yet valid beyond the leeway": lambda: token(nbf=int(time.time()) + LEEWAY + 60),
    "no exp": lambda: token(exp=None),
    "no sub": lambda: token(sub=None),
    "sub with a slash": lambda: token(sub="a/b"),
    "not a JWT": lambda: "not-a-token",
}


@pytest.mark.parametrize("name", sorted(BAD_TOKENS))
def test_the_verifier_refuses(name: str, verifier: JwksTokenVerifier) -> None:
    with pytest.raises(Unauthenticated):
        verifier.verify(BAD_TOKENS[name]())


def test_the_verifier_takes_a_good_token_and_tolerates_small_skew(verifier: JwksTokenVerifier) -> None:
    identity = verifier.verify(token())
    assert (identity.user_id, identity.email, identity.is_platform_admin) == (MEMBER, "m@example.com", False)
    assert verifier.verify(token(exp=int(time.time()) - LEEWAY + 20)).user_id == MEMBER  # within the leeway
    assert verifier.verify(token(roles=[ADMIN_ROLE])).is_platform_admin
    assert not verifier.verify(token(roles="platform-admin")).is_platform_admin  # roles must be a list


def test_an_expired_token_says_so(verifier: JwksTokenVerifier) -> None:
    with pytest.raises(Unauthenticated, match="expired"):
        verifier.verify(token(exp=int(time.time()) - LEEWAY - 5))


@pytest.mark.parametrize("name", sorted(BAD_TOKENS))
def test_every_bad_token_is_401_problem_json_at_the_seam(name: str, deps: object) -> None:
    response = seam()["seam_me"](request("GET", "/api/seam/me", bearer=BAD_TOKENS[name]()))
    problem_of(response, 401, "unauthenticated")


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer  ", "Basic dXNlcjpwYXNz", "Token abc"])
def test_a_missing_or_malformed_authorization_header_is_401(header: str | None, deps: object) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = seam()["seam_me"](request("GET", "/api/seam/me", headers=headers))
    assert "Bearer" in problem_of(response, 401, "unauthenticated")["detail"]
