"""One Azure credential per process (core/adapters/identity.py): in Azure every client authenticates with the same
managed-identity credential object instead of building its own."""

from __future__ import annotations

from typing import Any

import pytest

from core.adapters import cosmos, mail
from core.adapters.identity import shared_credential
from core.adapters.queues import build_queue_service
from core.adapters.storage import build_blob_service
from core.settings import Settings


def _azure() -> Settings:
    """As in Azure: no key and no connection string, so every client needs the managed identity."""
    return Settings().model_copy(
        update={
            "storage_connection_string": None,
            "storage_account_name": "industrackst",
            "cosmos_key": None,
            "cosmos_endpoint": "https://industrack.documents.test",
            "acs_email_endpoint": "https://industrack.communication.test",
        }
    )


def test_cosmos_storage_and_mail_share_one_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    given: dict[str, Any] = {}

    def cosmos_client(url: str, credential: Any, **options: Any) -> object:  # the real one calls Cosmos DB at once
        given["cosmos"] = credential
        return object()

    monkeypatch.setattr(cosmos, "CosmosClient", cosmos_client)
    settings = _azure()
    cosmos.build_cosmos_client(settings)
    queues, blobs = build_queue_service(settings), build_blob_service(settings)
    acs = mail.build_mailer(settings)
    assert isinstance(acs, mail.AcsMailer)

    credential = shared_credential()
    assert given["cosmos"] is credential
    assert queues.credential is credential and blobs.credential is credential
    sdk_policy: Any = acs._client._config.authentication_policy  # the SDK has no public accessor
    assert sdk_policy._credential is credential
    assert shared_credential() is credential
