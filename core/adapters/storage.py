"""Blob Storage client construction, shared by every adapter that reads or writes blobs."""

from __future__ import annotations

from azure.storage.blob import BlobServiceClient

from core.settings import Settings


def build_blob_service(settings: Settings) -> BlobServiceClient:
    """A connection string locally (Azurite); the account name with the managed identity in Azure."""
    if settings.storage_connection_string is not None:
        return BlobServiceClient.from_connection_string(settings.storage_connection_string.get_secret_value())
    if not settings.storage_account_name:
        raise RuntimeError("Set AzureWebJobsStorage or AzureWebJobsStorage__accountName")
    from azure.identity import DefaultAzureCredential

    return BlobServiceClient(
        account_url=f"https://{settings.storage_account_name}.blob.core.windows.net",
        credential=DefaultAzureCredential(),
    )
