"""Render infra/names.json: the names the Bicep templates create, taken from the code's own declarations.

    .venv/bin/python -m scripts.infra_names           # rewrite infra/names.json
    .venv/bin/python -m scripts.infra_names --check   # exit 1 when infra/names.json is out of date

Sources: core/schema.py (Cosmos DB containers with partition key, indexing policy and default TTL; queues with
their app setting and default name; blob containers), core/settings.py (the default database name) and
local.settings.sample.json (the app setting names and their sample values). infra/main.bicep reads the result with
loadJsonContent('names.json') and the modules loop over it, so a container, queue, blob container or app setting
added to the code reaches Azure by running this command and committing the JSON.

Every app setting of the sample ends in exactly one of three places:
- LOCAL_ONLY: never set in Azure (each with the reason);
- SET_BY_INFRA: set by infra/modules/functionapp.bicep with the Azure value (endpoints, identities, Key Vault
  references), plus every queue setting of core/schema.py (set to the queue's name);
- everything else is copied into the Function App with the sample's value ("appSettings" in names.json). A value
  that looks local (loopback, emulator, file path, plain http) or a name that looks secret is refused: such a
  setting needs a decision, so it must be added to LOCAL_ONLY or SET_BY_INFRA first.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from core import schema
from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "local.settings.sample.json"
NAMES_JSON = ROOT / "infra" / "names.json"

LOCAL_ONLY: dict[str, str] = {
    "AzureWebJobsStorage": "a connection string with the Azurite account key; in Azure the host and the code use "
    "AzureWebJobsStorage__accountName with the managed identity (shared-key access is disabled)",
    "COSMOS_KEY": "the emulator's key; in Azure local (key) auth is disabled and, with COSMOS_KEY absent, the code "
    "authenticates with DefaultAzureCredential (the managed identity)",
    "FUNCTIONS_WORKER_RUNTIME": "on the Flex Consumption plan the runtime is set by functionAppConfig.runtime "
    "(python 3.11), and the platform rejects this app setting",
    "STRIPE_API_BASE": "points the Stripe client at localstripe on the local stack; in Azure it is absent and the "
    "client talks to Stripe's own API",
    "TEST_CLOCK_FILE": "the local test clock (docs/test-clock.md); the app refuses to start with it set unless "
    "APP_ENVIRONMENT=local",
    "TOKEN_SIGNING_KEY_PREVIOUS": (  # nosec B105 - describes the setting; holds no secret
        "not set by the deployment: an operator sets it to a Key Vault reference of the old key's version only for "
        "the overlap of a signing-key rotation, then removes it (infra/README.md)"
    ),
}


def _key_vault_reference(secret_name: str) -> str:
    return f"Key Vault reference (secret {secret_name})"


SET_BY_INFRA: dict[str, str] = {
    "APP_ENVIRONMENT": "'azure'",
    "AzureWebJobsStorage__accountName": "the storage account's name (identity-based connection)",
    "AzureWebJobsStorage__credential": "'managedidentity' (the host's storage connection uses the runtime identity)",
    "AzureWebJobsStorage__clientId": "client id of the runtime user-assigned identity",
    "AZURE_CLIENT_ID": "client id of the runtime user-assigned identity (DefaultAzureCredential picks it)",
    "COSMOS_ENDPOINT": "the Cosmos DB account's endpoint",
    "COSMOS_DATABASE": "the database name from names.json",
    "COSMOS_VERIFY_TLS": "'true'",
    "AUTH_ISSUER": "parameter authIssuer (Microsoft Entra External ID)",
    "AUTH_AUDIENCE": "parameter authAudience",
    "AUTH_JWKS_URI": "parameter authJwksUri",
    "TOKEN_SIGNING_KEY": _key_vault_reference("token-signing-key"),
    "STRIPE_SECRET_KEY": _key_vault_reference("stripe-secret-key") + ", only when billing is enabled",
    "STRIPE_WEBHOOK_SECRET": _key_vault_reference("stripe-webhook-secret") + ", only when billing is enabled",
    "APPLICATIONINSIGHTS_CONNECTION_STRING": "the Application Insights component",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "'Authorization=AAD;ClientId=<runtime identity>' (telemetry sent "
    "with the managed identity)",
    "ACS_EMAIL_ENDPOINT": "the Azure Communication Services endpoint",
    "EMAIL_SENDER_ADDRESS": "the sender address of the Azure-managed e-mail domain",
    "LOG_FORMAT": "'json' (JSON log lines with invocation id and trace context, docs/observability.md)",
    "PYTHON_ENABLE_OPENTELEMETRY": "'true': the worker exports its own logs and spans (host.json telemetryMode "
    "OpenTelemetry), so the host does not forward them a second time (docs/observability.md)",
    "OTEL_TRACES_SAMPLER": "'microsoft.fixed_percentage': the host samples its own invocation spans by trace id, as "
    "the worker's distro does (docs/observability.md)",
    "OTEL_TRACES_SAMPLER_ARG": "TELEMETRY_SAMPLING_RATIO as the environment sets it: host and worker keep the same "
    "traces",
    "PHOTO_MALWARE_SCAN": "'defender': only Defender for Storage's 'No threats found' verdict releases a photo",
    "PORTAL_ORIGINS": "the owner portal's https origins (Static Web App host name, custom domain)",
    "PORTAL_BASE_URL": "the first portal origin: e-mailed invitation links open the portal's join page",
    "BLOB_SOFT_DELETE_DAYS": "the storage account's soft delete days (storage.bicep output): told to data subjects",
    "BLOB_VERSIONING_ENABLED": "whether the storage account keeps blob versions (storage.bicep output)",
    "BLOB_VERSION_RETENTION_DAYS": "days the lifecycle rule keeps a previous blob version (storage.bicep output)",
    "COSMOS_BACKUP_RETENTION_DAYS": "days the Cosmos DB continuous backup can restore (cosmos.bicep output)",
    "AZURE_MAPS_CLIENT_ID": "the Azure Maps account of the portal's base map (maps.bicep output)",
}

_LOCAL_VALUE = re.compile(
    r"127\.0\.0\.1|localhost|devstoreaccount1|AccountKey=|file:|\.local(/|$|:)|^http://|\[::1\]", re.IGNORECASE
)
_SECRET_WORDS = {"KEY", "SECRET", "SECRETS", "PASSWORD", "CONNECTION", "CREDENTIAL", "CREDENTIALS"}


class NamesError(ValueError):
    """The sources disagree or a setting needs a decision before it can be copied to Azure."""


def sample_values(sample_path: Path = SAMPLE) -> dict[str, str]:
    data = json.loads(sample_path.read_text(encoding="utf-8"))
    values = data.get("Values")
    if not isinstance(values, dict):
        raise NamesError(f"{sample_path.name} has no 'Values' object")
    return {str(k): str(v) for k, v in values.items()}


def _looks_secret(name: str) -> bool:
    return bool(_SECRET_WORDS.intersection(re.split(r"[_\W]+", name.upper())))


def _containers() -> list[dict[str, Any]]:
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for spec in schema.CONTAINERS:
        if spec.name in seen:
            raise NamesError(f"Cosmos DB container {spec.name!r} is declared twice in core/schema.py")
        seen.add(spec.name)
        out.append(
            {
                "name": spec.name,
                "partitionKey": spec.partition_key,
                "defaultTtl": spec.default_ttl,
                "indexingPolicy": spec.indexing_policy(),
            }
        )
    return out


def _queues() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for q in schema.QUEUES:
        out.append(
            {
                "setting": q.setting,
                "name": q.default_name,
                "poisonName": schema.poison_queue_name(q.default_name) if q.poison else None,
            }
        )
    return out


def _app_settings(values: dict[str, str], queue_settings: set[str]) -> dict[str, str]:
    copied: dict[str, str] = {}
    for name, value in values.items():
        if name in LOCAL_ONLY or name in SET_BY_INFRA or name in queue_settings:
            continue
        if name.startswith("QUEUE_"):
            raise NamesError(
                f"{name} looks like a queue setting but core/schema.py declares no queue with that setting: add a "
                "QueueSpec to schema.QUEUES (infra creates the queue from it)"
            )
        if _looks_secret(name):
            raise NamesError(
                f"{name} looks like a secret: add it to SET_BY_INFRA in scripts/infra_names.py and give it a Key "
                "Vault reference in infra/modules/functionapp.bicep (or to LOCAL_ONLY with the reason)"
            )
        if _LOCAL_VALUE.search(value):
            raise NamesError(
                f"{name}={value!r} in local.settings.sample.json looks local-only: add it to LOCAL_ONLY (with the "
                "reason) or to SET_BY_INFRA (and set its Azure value in infra/modules/functionapp.bicep)"
            )
        copied[name] = value
    return dict(sorted(copied.items()))


def build_names(values: dict[str, str] | None = None) -> dict[str, Any]:
    """The content of infra/names.json, computed from the code's declarations (no I/O but the sample file)."""
    values = sample_values() if values is None else values
    queues = _queues()
    queue_settings = {q["setting"] for q in queues}
    all_queue_names: list[str] = []
    for q in queues:
        all_queue_names.append(q["name"])
        if q["poisonName"]:
            all_queue_names.append(q["poisonName"])
    if len(set(all_queue_names)) != len(all_queue_names):
        raise NamesError(f"queue names collide: {all_queue_names}")
    if len(set(schema.BLOB_CONTAINERS)) != len(schema.BLOB_CONTAINERS):
        raise NamesError(f"blob containers declared twice: {schema.BLOB_CONTAINERS}")
    database = Settings.model_fields["cosmos_database"].default
    return {
        "$comment": "Generated by `python -m scripts.infra_names` from core/schema.py, core/settings.py and "
        "local.settings.sample.json. Do not edit: change the code and run the command again.",
        "cosmos": {"database": database, "containers": _containers()},
        "queues": queues,
        "queueNames": all_queue_names,
        "queueSettings": {q["setting"]: q["name"] for q in queues},
        "blobContainers": list(schema.BLOB_CONTAINERS),
        "appSettings": _app_settings(values, queue_settings),
        "setByInfra": sorted({*SET_BY_INFRA, *queue_settings}),
        "localOnly": dict(sorted(LOCAL_ONLY.items())),
    }


def render(names: dict[str, Any]) -> str:
    return json.dumps(names, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if infra/names.json differs")
    args = parser.parse_args(argv)
    try:
        text = render(build_names())
    except NamesError as exc:
        print(f"infra_names: {exc}", file=sys.stderr)
        return 2
    current = NAMES_JSON.read_text(encoding="utf-8") if NAMES_JSON.exists() else ""
    if args.check:
        if current != text:
            print("infra/names.json is out of date: run .venv/bin/python -m scripts.infra_names", file=sys.stderr)
            return 1
        print("infra/names.json is up to date")
        return 0
    if current == text:
        print("infra/names.json unchanged")
        return 0
    NAMES_JSON.write_text(text, encoding="utf-8")
    print(f"wrote {NAMES_JSON.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
