"""The HTTP transport every Azure SDK client here uses (Cosmos DB, blobs, queues)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from azure.core.pipeline.transport import RequestsTransport


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


def http_transport(*, verify_tls: bool = True) -> tuple[RequestsTransport, bool | str]:
    """A transport for one client, and the `connection_verify` value to give that client."""
    per_request, verify = transport_verify(os.environ, verify_tls=verify_tls)
    return RequestsTransport(use_env_settings=per_request), verify
