"""The portal's base map in Azure: a short-lived Microsoft Entra ID token for Azure Maps, handed to a signed-in
member's browser so that no Azure Maps key ever reaches it (docs/portal.md, "Base map")."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from core.domain.accounts import PublicModel


class MapToken(BaseModel):
    """An access token for Azure Maps (scope https://atlas.microsoft.com/.default) and when it expires."""

    access_token: str
    expires_on: datetime


class MapTokenPublic(PublicModel):
    access_token: str = Field(alias="accessToken", description="Bearer token for Azure Maps requests")
    expires_on: datetime = Field(alias="expiresOn")
    client_id: str = Field(alias="clientId", description="The Azure Maps account, sent as x-ms-client-id")
