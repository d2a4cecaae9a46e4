"""Which SDK failures mean 'a backing service is unreachable' (answer 503 and retry), kept next to the SDKs."""

from __future__ import annotations

from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.cosmos.exceptions import CosmosClientTimeoutError, CosmosHttpResponseError


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (ServiceRequestError, ServiceResponseError, CosmosClientTimeoutError, ConnectionError,
                        TimeoutError)):
        return True
    if isinstance(exc, CosmosHttpResponseError):
        return exc.status_code in (408, 429, 500, 503)
    return False
