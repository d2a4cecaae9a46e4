"""The HTTP transport every Azure SDK client here uses (Cosmos DB, blobs, queues)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import requests
from azure.core.pipeline.transport import RequestsTransport
from requests.adapters import HTTPAdapter
from requests.hooks import default_hooks
from requests.models import PreparedRequest
from requests.structures import CaseInsensitiveDict


def transport_verify(environ: Mapping[str, str], *, verify_tls: bool) -> tuple[bool, bool | str]:
    """How the HTTP transport treats the environment: (look it up per request, what `verify` is).

    requests scans the whole environment for proxy variables on every request when asked to; in the benchmark's
    profile (bench/profiles.py, README "Ingest capacity") that was the ingest call's largest CPU cost. With no
    proxy variable set, the lookup is switched off and the one thing it could still add, a CA bundle named by
    REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, is read once here instead. With a proxy variable, nothing changes."""
    if any(name.lower().endswith("_proxy") for name in environ):
        return True, verify_tls
    bundle = environ.get("REQUESTS_CA_BUNDLE") or environ.get("CURL_CA_BUNDLE")
    return False, (bundle if verify_tls and bundle else verify_tls)


class LeanSession(requests.Session):
    """A requests session that prepares the SDK's plain requests itself (issue 31: host CPU per 1,000 pings).

    `Session.request` merges cookies, auth, parameters, hooks and the environment into every request; for an
    Azure SDK request, which carries none of them, that merging was about a fifth of a Cosmos DB point read's
    CPU. Here a request whose outcome those merges cannot change (no session cookies, no environment lookups, no
    auth, parameters, files, JSON, hooks, proxies or redirects; a body of bytes or text) is prepared with the same
    steps as requests (method, URL, headers merged over the session's, body with its length) and sent through
    `Session.send` as before. Any other request takes requests' own path unchanged."""

    def request(  # type: ignore[override]  # the SDK's keyword call; every other form goes to requests' own
        self, method: str, url: str, *, data: Any = None, headers: Any = None, **kwargs: Any
    ) -> requests.Response:
        if not self._lean(url, data, kwargs):
            return super().request(method, url, data=data, headers=headers, **kwargs)
        prepared = PreparedRequest()
        prepared.prepare_method(method)
        prepared.prepare_url(url, None)
        merged = CaseInsensitiveDict(self.headers)
        for name, value in (headers or {}).items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        prepared.prepare_headers(merged)
        prepared.prepare_body(data, None)
        prepared.hooks = default_hooks()
        verify = kwargs.get("verify")
        stream = kwargs.get("stream")
        return self.send(
            prepared,
            timeout=kwargs.get("timeout"),
            allow_redirects=False,
            proxies={},
            stream=bool(stream) if stream is not None else self.stream,
            verify=verify if verify is not None else self.verify,
            cert=kwargs.get("cert") if kwargs.get("cert") is not None else self.cert,
        )

    def _lean(self, url: str, data: Any, kwargs: dict[str, Any]) -> bool:
        plain = {"timeout", "verify", "cert", "stream", "allow_redirects", "proxies", "files", "json"}
        return (
            not self.trust_env
            and not self.cookies
            and self.auth is None
            and not self.params
            and not self.proxies
            and not any(self.hooks.values())
            and set(kwargs) <= plain
            and kwargs.get("allow_redirects") is False
            and not kwargs.get("proxies")
            and not kwargs.get("files")
            and kwargs.get("json") is None
            and (data is None or isinstance(data, (bytes, str)))
            and "@" not in url
        )


# Connections kept open per host. requests keeps 10; a worker process runs up to host.json's batch of 16 writer
# invocations next to its HTTP calls on ONE client per service, so under load every connection beyond the tenth was
# closed after its request and the next one opened anew (TCP and TLS handshake, a new SSL context): 338 times in
# one saturation run (issue 31), a visible part of the host's CPU. A pool this size only keeps what was needed.
POOL_SIZE = 64


def http_transport(*, verify_tls: bool = True) -> tuple[RequestsTransport, bool | str]:
    """A transport for one client, and the `connection_verify` value to give that client. Without per-request
    environment lookups, its session is a `LeanSession`; either way its pools keep up to POOL_SIZE connections."""
    per_request, verify = transport_verify(os.environ, verify_tls=verify_tls)
    session = requests.Session() if per_request else LeanSession()
    transport = RequestsTransport(session=session, session_owner=True, use_env_settings=per_request)
    # What RequestsTransport does to the session it makes itself (mounts its adapters without urllib3 retries,
    # sets trust_env); a session handed in is used as it is, so it is done here.
    transport._init_session(session)  # azure-core's own session setup, public in effect
    for prefix, adapter in list(session.adapters.items()):  # the same adapters, with wider pools
        if isinstance(adapter, HTTPAdapter):
            session.mount(prefix, type(adapter)(max_retries=adapter.max_retries, pool_maxsize=POOL_SIZE))
    return transport, verify
