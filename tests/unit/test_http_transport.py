"""The SDK clients' transport reads the environment once unless a proxy variable asks for per-request lookups."""

from __future__ import annotations

import os
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest

from core.adapters.transport import POOL_SIZE, LeanSession, http_transport, transport_verify


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


class _Recorder(HTTPAdapter):
    """Answers every request with 200 and keeps what was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[PreparedRequest, dict[str, Any]]] = []

    def send(self, request: PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]  # records instead of sending: the test double takes any keywords
        self.sent.append((request, kwargs))
        response = requests.Response()
        response.status_code = 200
        response._content = b"{}"
        response.request = request
        response.url = request.url or ""
        return response


def _session(cls: type[requests.Session]) -> tuple[requests.Session, _Recorder]:
    session = cls()
    session.trust_env = False
    adapter = _Recorder()
    session.mount("https://", adapter)
    return session, adapter


def _sdk_call(session: requests.Session, method: str, body: Any) -> None:
    # what azure-core's RequestsTransport passes (core/adapters/transport.py)
    headers: dict[str, Any] = {"x-ms-date": "now", "Content-Type": "application/json", "Accept-Encoding": None}
    session.request(
        method,
        "https://db.example:8081/dbs/d/colls/c/docs/x%20y?q=1",
        headers=headers,
        data=body,
        files=None,
        verify="/ca.pem",
        timeout=(5, 10),
        cert=None,
        allow_redirects=False,
        proxies=None,
    )


def test_the_lean_session_sends_what_requests_own_path_sends() -> None:
    for method, body in [("GET", None), ("POST", '{"id": "é"}'), ("PUT", b'{"a": 1}'), ("DELETE", None)]:
        plain, plain_sent = _session(requests.Session)
        lean, lean_sent = _session(LeanSession)
        _sdk_call(plain, method, body)
        _sdk_call(lean, method, body)
        (want, want_kwargs), (got, got_kwargs) = plain_sent.sent[0], lean_sent.sent[0]
        assert (got.method, got.url, got.body) == (want.method, want.url, want.body)
        assert dict(got.headers) == dict(want.headers)  # session defaults merged, a None value removes one
        assert "Accept-Encoding" not in got.headers
        assert got_kwargs == want_kwargs  # timeout, verify, cert, proxies, stream as requests passes them


def test_the_lean_session_leaves_anything_else_to_requests() -> None:
    lean, sent = _session(LeanSession)
    lean.cookies.set("affinity", "1")  # a cookie the server set must go back: requests' own path
    prepared: list[PreparedRequest] = []
    original = requests.Session.prepare_request

    def spy(self: requests.Session, request: requests.Request) -> PreparedRequest:
        prepared.append(original(self, request))
        return prepared[-1]

    requests.Session.prepare_request = spy  # type: ignore[method-assign]  # restored below
    try:
        _sdk_call(lean, "GET", None)
        lean.cookies.clear()
        _sdk_call(lean, "GET", None)  # no cookie: the lean path, requests' preparation not used
    finally:
        requests.Session.prepare_request = original  # type: ignore[method-assign]  # puts back the method the test replaced
    assert len(prepared) == 1
    assert sent.sent[0][0].headers["Cookie"] == "affinity=1"
    assert "Cookie" not in sent.sent[1][0].headers


def test_without_a_proxy_variable_the_sdk_transport_uses_the_lean_session(monkeypatch: Any) -> None:
    for name in [n for n in os.environ if n.lower().endswith("_proxy")]:
        monkeypatch.delenv(name)
    transport, _ = http_transport()
    assert isinstance(transport.session, LeanSession)
    assert transport.session.trust_env is False
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    transport, _ = http_transport()
    transport.open()
    assert type(transport.session) is requests.Session
    assert transport.session.trust_env is True


def test_the_sdk_transports_keep_a_connection_per_concurrent_invocation() -> None:
    transport, _ = http_transport()
    assert transport.session is not None
    for prefix in ("https://", "http://"):
        adapter = transport.session.get_adapter(prefix + "db.example")
        assert isinstance(adapter, HTTPAdapter)
        assert adapter.poolmanager.connection_pool_kw["maxsize"] == POOL_SIZE >= 32  # host batch 16 + HTTP calls
        assert adapter.max_retries.total is False  # azure-core's: the SDK's own retry policy retries
