"""The SDK clients' transport reads the environment once unless a proxy variable asks for per-request lookups."""

from __future__ import annotations

from core.adapters.transport import transport_verify


def test_no_proxy_variable_switches_the_per_request_lookup_off_and_keeps_the_ca_bundle() -> None:
    environ = {"PATH": "/usr/bin", "REQUESTS_CA_BUNDLE": "/etc/ssl/certs/ca.pem"}
    assert transport_verify(environ, verify_tls=True) == (False, "/etc/ssl/certs/ca.pem")
    assert transport_verify({"CURL_CA_BUNDLE": "/ca.pem"}, verify_tls=True) == (False, "/ca.pem")
    assert transport_verify({}, verify_tls=True) == (False, True)


def test_tls_verification_switched_off_stays_off_whatever_the_bundle() -> None:
    assert transport_verify({"REQUESTS_CA_BUNDLE": "/ca.pem"}, verify_tls=False) == (False, False)


def test_a_proxy_variable_in_any_case_keeps_the_per_request_lookup() -> None:
    for name in ("HTTPS_PROXY", "http_proxy", "NO_PROXY", "all_proxy"):
        assert transport_verify({name: "x", "REQUESTS_CA_BUNDLE": "/ca.pem"}, verify_tls=True) == (True, True)
