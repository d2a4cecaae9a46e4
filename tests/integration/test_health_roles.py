"""The health probe uses only data-plane operations that the app identity's roles grant in Azure (Azurite and the
Cosmos DB emulator accept everything, so a probe needing another permission would pass here and answer 503
forever in Azure). Every request the probes send on the local stack is recorded, mapped to the permission Azure
checks for it, and compared with the data actions of the roles infra/modules/roles.bicep gives the runtime
identity (infra/builtin-roles.json)."""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.core.pipeline.transport import RequestsTransport

from core.bootstrap import Container
from core.services.health import check_health
from core.settings import Settings
from tests.infra.bicep_text import INFRA, block_after, read, strip_comments
from tests.integration.conftest import Stack

QUEUE = "Microsoft.Storage/storageAccounts/queueServices"
COSMOS = "Microsoft.DocumentDB/databaseAccounts"


def permission_for(method: str, url: str) -> str:
    """The permission Azure checks for one request of the probes (Azure Storage and Cosmos DB REST operations);
    a request not listed here fails the test until it is classified."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    path = parts.path.strip("/").split("/")
    if parts.port in (10001,) or ".queue." in (parts.hostname or ""):
        segments = path[1:] if parts.port == 10001 else path  # Azurite puts the account name first
        if query.get("restype") == "service" and query.get("comp") == "properties":
            return f"{QUEUE}/read (control plane: queue service properties)"
        if query.get("comp") == "metadata" and len(segments) == 1:
            return f"{QUEUE}/queues/metadata/read"
        if len(segments) == 2 and segments[1] == "messages" and method == "GET":
            return f"{QUEUE}/queues/messages/read"
        if not segments or segments == [""]:
            return f"{QUEUE}/read (control plane: list queues)"
    cosmos = parts.port == 8081 or ".documents.azure.com" in (parts.hostname or "")
    if cosmos and method == "GET" and (path == [""] or (len(path) == 2 and path[0] == "dbs")):
        return f"{COSMOS}/readMetadata"
    raise AssertionError(f"classify this request of the health probes: {method} {url}")


def granted_data_actions() -> list[str]:
    """Data actions of every role roles.bicep assigns to the runtime identity (principalId)."""
    table = json.loads(read(INFRA / "builtin-roles.json"))
    by_id = {e["id"]: e for group in ("azureRbac", "cosmosDataPlane") for e in table[group]}
    text = strip_comments(read(INFRA / "modules" / "roles.bicep"))
    ids = dict(re.findall(r"^\s*(\w+): '([0-9a-f-]{36})'$", block_after(text, r"^var roleIds\s*="), re.MULTILINE))
    actions: list[str] = []
    for name in re.findall(
        r"^resource (\w+) 'Microsoft\.(?:Authorization/roleAssignments|DocumentDB/"
        r"databaseAccounts/sqlRoleAssignments)@",
        text,
        re.MULTILINE,
    ):
        block = block_after(text, rf"^resource {name} ")
        if not re.search(r"^\s*principalId: principalId$", block, re.MULTILINE):
            continue
        role = re.search(r"roleIds\.(\w+)", block)
        if role:
            actions += by_id[ids[role.group(1)]].get("dataActions", [])
        elif "cosmosDataContributorId" in block:
            actions += by_id["00000000-0000-0000-0000-000000000002"]["dataActions"]
    return actions


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    seen: list[tuple[str, str]] = []
    original = RequestsTransport.send

    def send(self: RequestsTransport, request: Any, **kwargs: Any) -> Any:
        seen.append((request.method, request.url))
        return original(self, request, **kwargs)

    monkeypatch.setattr(RequestsTransport, "send", send)
    yield seen


def test_health_uses_only_operations_the_app_roles_grant(stack: Stack, recorded: list[tuple[str, str]]) -> None:
    deps = Container(Settings())
    probes = deps.health_probes
    _ = deps.database  # the Cosmos client reads the account when it is built; the probes' own calls come after
    recorded.clear()
    report = check_health(health_probes=probes)
    assert report.status == "ok", report
    ports = {urlsplit(url).port for _, url in recorded}
    assert ports >= {8081, 10001}, f"both probes' requests are recorded (Cosmos DB, Storage queues): {recorded}"
    granted = granted_data_actions()
    assert any("queues/messages/read" in a for a in granted), granted
    for method, url in recorded:
        needed = permission_for(method, url)
        assert any(fnmatch.fnmatchcase(needed, pattern) for pattern in granted), (
            f"health probe request {method} {urlsplit(url).path} needs {needed}, which no role of the app identity "
            "grants: in Azure /api/health would answer 503"
        )


def test_the_old_service_properties_probe_would_be_refused() -> None:
    needed = permission_for("GET", "http://127.0.0.1:10001/devstoreaccount1?restype=service&comp=properties")
    assert not any(fnmatch.fnmatchcase(needed, pattern) for pattern in granted_data_actions())
