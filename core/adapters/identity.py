"""The Function App's one Azure credential: the managed identity, shared by every Azure client of the process.

Cosmos DB (without COSMOS_KEY), Storage queues and blobs (without a connection string), ACS Email and Azure Monitor
all take this one object, created on first use: one token cache and one managed-identity endpoint client per
process instead of one per client. `DefaultAzureCredential` picks the user-assigned identity named by
AZURE_CLIENT_ID in Azure (infra/modules/functionapp.bicep) and a developer's sign-in elsewhere.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

_lock = threading.Lock()
_credential: TokenCredential | None = None


def shared_credential() -> TokenCredential:
    global _credential
    if _credential is None:
        with _lock:
            if _credential is None:
                from azure.identity import DefaultAzureCredential

                _credential = DefaultAzureCredential()
    return _credential
