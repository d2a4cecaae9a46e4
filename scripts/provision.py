"""Create the Cosmos DB database and containers, queues (with poison queues) and blob containers, idempotently.

Locally only: in Azure, infra/ creates the same resources from the same names (core/schema.py).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING

from azure.core.exceptions import ResourceExistsError
from azure.cosmos import PartitionKey

from core import schema
from core.adapters.cosmos import build_cosmos_client
from core.adapters.queues import build_queue_service
from core.settings import Settings

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient

log = logging.getLogger(__name__)


def queue_names(settings: Settings) -> list[str]:
    names: list[str] = []
    for q in schema.QUEUES:
        name = os.environ.get(q.setting, q.default_name)
        names.append(name)
        if q.poison:
            names.append(schema.poison_queue_name(name))
    return names


def provision(settings: Settings) -> None:
    client = build_cosmos_client(settings)
    database = client.create_database_if_not_exists(settings.cosmos_database)
    for spec in schema.CONTAINERS:
        database.create_container_if_not_exists(
            id=spec.name,
            partition_key=PartitionKey(path=spec.partition_key),
            indexing_policy=spec.indexing_policy(),
            default_ttl=spec.default_ttl,
        )
    queues = build_queue_service(settings)
    for name in queue_names(settings):
        try:
            queues.create_queue(name)
        except ResourceExistsError:
            pass
    if schema.BLOB_CONTAINERS:
        from azure.storage.blob import BlobServiceClient

        assert settings.storage_connection_string is not None, "local provisioning needs a connection string"
        blobs = BlobServiceClient.from_connection_string(settings.storage_connection_string.get_secret_value())
        for container_name in schema.BLOB_CONTAINERS:
            try:
                blobs.create_container(container_name)
            except ResourceExistsError:
                pass
        _allow_portal_uploads(blobs, settings)
    if settings.is_local:
        _ensure_local_stripe_plan(settings)


def _allow_portal_uploads(blobs: BlobServiceClient, settings: Settings) -> None:
    """The portal uploads a photo with a PUT to its upload grant's URL (issue 29): the blob service answers the
    browser's CORS preflight for the portal's origins (PORTAL_ORIGINS). Rules of other origins already on the
    service (a shared emulator) are kept; in Azure, infra/modules/storage.bicep sets the same rule."""
    from azure.storage.blob import CorsRule

    origins = sorted({o.strip().rstrip("/") for o in settings.portal_origins.split(",") if o.strip()})
    if not origins:
        return
    kept = [r for r in blobs.get_service_properties().get("cors") or [] if r.allowed_origins != ",".join(origins)]
    rule = CorsRule(
        allowed_origins=origins,
        allowed_methods=["PUT"],
        allowed_headers=["content-type", "x-ms-blob-type", "x-ms-version", "x-ms-client-request-id"],
        exposed_headers=["etag"],
        max_age_in_seconds=3600,
    )
    blobs.set_service_properties(cors=[*kept, rule][-5:])  # the service keeps at most five rules


def _ensure_local_stripe_plan(settings: Settings) -> None:
    """Billing (docs/billing.md): localstripe keeps nothing across restarts, so create the plan when missing."""
    from core.adapters.stripe_billing import ensure_plan

    try:
        if ensure_plan(settings):
            log.info("created Stripe plan %s", settings.stripe_plan_id)
    except Exception as exc:  # noqa: BLE001 - billing stays unavailable; everything else is provisioned
        log.warning("could not ensure the Stripe plan %s (%s)", settings.stripe_plan_id, type(exc).__name__)


def drop(settings: Settings) -> None:
    """Remove a database and queues made for one test session."""
    client = build_cosmos_client(settings)
    try:
        client.delete_database(settings.cosmos_database)
    except Exception:  # noqa: BLE001 - best effort clean-up
        log.warning("could not drop database %s", settings.cosmos_database)
    queues = build_queue_service(settings)
    for name in queue_names(settings):
        try:
            queues.delete_queue(name)
        except Exception:  # noqa: BLE001 - best effort clean-up
            log.warning("could not delete queue %s", name)


def main() -> int:
    from pathlib import Path

    from devhost.config import load_settings_file

    load_settings_file(Path(sys.argv[1] if len(sys.argv) > 1 else "local.settings.json"))
    settings = Settings()
    provision(settings)
    print(
        f"  provisioned Cosmos DB database '{settings.cosmos_database}' "
        f"({', '.join(c.name for c in schema.CONTAINERS)}), queues ({', '.join(queue_names(settings))})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
