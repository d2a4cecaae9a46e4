"""What makes the first deployment fail or leave a broken app, read from the Bicep text (no Bicep CLI here): role ids
that are not built-in, role assignment names that collide after an identity change, a site created before its
roles, identity connections without the identity's client id, Stripe references to secrets that may not exist,
an unreadable scan verdict, a second Event Grid system topic, undeliverable events dropped, a Key Vault name that
cannot be reused, e-mail with keys or outside Europe, and roles wider than the containers the app uses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from core import schema
from tests.infra.bicep_text import INFRA, bicepparam_values, block_after, params, read, strip_comments, top_level_keys

MAIN = INFRA / "main.bicep"
MODULES = INFRA / "modules"
ROLES_TABLE = INFRA / "builtin-roles.json"
BICEP_FILES = sorted(INFRA.rglob("*.bicep"))
PARAM_FILES = sorted((INFRA / "params").glob("*.bicepparam"))
GUID = re.compile(r"'([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})'")


def module_text(name: str) -> str:
    return strip_comments(read(MODULES / f"{name}.bicep"))


def role_table() -> dict[str, dict[str, object]]:
    data = json.loads(read(ROLES_TABLE))
    return {entry["id"]: entry for group in ("azureRbac", "cosmosDataPlane") for entry in data[group]}


def squash(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def names_the_role(holder: str, role_name: str) -> bool:
    """`cosmosDataContributorId` names "Cosmos DB Built-in Data Contributor": its letters, less a trailing
    Id/Role, appear in order in the role's name."""
    short = re.sub(r"(roleid|id|role)$", "", squash(holder))
    letters = iter(squash(role_name))
    return bool(short) and all(ch in letters for ch in short)


def test_the_role_table_names_a_source_for_each_role() -> None:
    for role_id, entry in role_table().items():
        assert str(entry["source"]).startswith("https://learn.microsoft.com/"), role_id
        assert entry["name"], role_id


@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: p.name)
def test_every_role_id_in_infra_is_a_listed_built_in_role_under_its_own_name(path: Path) -> None:
    """A GUID literal in a template is a role id (nothing else in infra/ is a literal GUID); it must be in
    infra/builtin-roles.json, and the variable or key that holds it must be that role's name."""
    table = role_table()
    text = strip_comments(read(path))
    for line in text.splitlines():
        for role_id in GUID.findall(line):
            assert role_id in table, (
                f"{path.name}: {role_id} is not in infra/builtin-roles.json; a wrong role id fails the deployment "
                f"(RoleDefinitionDoesNotExist). Line: {line.strip()}"
            )
            holder = re.match(r"^\s*(?:var\s+)?(\w+)\s*[:=]", line)
            assert holder, f"{path.name}: give {role_id} a name (var or object key): {line.strip()}"
            assert names_the_role(holder.group(1), str(table[role_id]["name"])), (
                f"{path.name}: {holder.group(1)} holds {role_id}, which is {table[role_id]['name']}"
            )


def test_monitoring_metrics_publisher_is_the_built_in_id() -> None:
    assert "monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'" in module_text("roles")


@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: p.name)
def test_role_assignment_names_are_seeded_from_the_principal_id(path: Path) -> None:
    text = strip_comments(read(path))
    headers = re.findall(
        r"^resource (\w+) '(?:Microsoft\.Authorization/roleAssignments|Microsoft\.DocumentDB/databaseAccounts/"
        r"sqlRoleAssignments)@",
        text,
        re.MULTILINE,
    )
    for name in headers:
        block = block_after(text, rf"^resource {name} ")
        seed = re.search(r"^\s*name: guid\((.+)\)\s*$", block, re.MULTILINE)
        assert seed, f"{path.name} {name}: the assignment name is not a guid()"
        assert re.search(r"\b(\w*principalId|\w*PrincipalId)\b", seed.group(1)), (
            f"{path.name} {name}: seed the name with the principal id, or a new identity collides with the old "
            f"assignment: guid({seed.group(1)})"
        )
        assert "functionAppName" not in seed.group(1) and "appName" not in seed.group(1)


def test_the_site_is_created_after_its_identity_and_roles() -> None:
    main = strip_comments(read(MAIN))
    roles = block_after(main, r"^module\s+roles\s+'")
    assert re.search(r"^\s*principalId: identity\.outputs\.appPrincipalId$", roles, re.MULTILINE)
    assert "functionApp.outputs" not in roles, "roles must not wait for the site: the site waits for them"
    site_call = block_after(main, r"^module\s+functionApp\s+'")
    depends = re.search(r"dependsOn:\s*\[([^\]]*)\]", site_call)
    assert depends and "roles" in depends.group(1).split(), "the Function App module must depend on the roles"
    assert "identityId: identity.outputs.appIdentityId" in site_call
    assert "identityClientId: identity.outputs.appClientId" in site_call


def test_the_site_uses_its_user_assigned_identity_for_references_and_every_connection() -> None:
    text = module_text("functionapp")
    site = block_after(text, r"^resource site ")
    assert "type: 'UserAssigned'" in site and "SystemAssigned" not in site
    assert re.search(r"^\s*keyVaultReferenceIdentity: identityId$", site, re.MULTILINE)
    deployment = block_after(site, r"^\s*authentication\s*:")
    assert "type: 'UserAssignedIdentity'" in deployment
    assert "userAssignedIdentityResourceId: deploymentIdentityId" in deployment
    settings_block = block_after(text, r"^var infraSettings\s*=")
    settings = dict(
        (m.group(1), m.group(2).strip()) for m in re.finditer(r"^\s*(\w+):\s*(.+)$", settings_block, re.MULTILINE)
    )
    connections = {
        k.split("__")[0]
        for k in settings
        if re.search(
            r"__(accountName|\w*ServiceUri|endpoint|"
            r"fullyQualifiedNamespace)$",
            k,
        )
    }
    assert connections, "no identity-based connection found"
    # The host's storage connection has its own identity (Storage Blob Data Owner on the account); every other
    # connection is the runtime identity's.
    expected = {"AzureWebJobsStorage": "hostIdentityClientId"}
    for conn in connections:
        assert settings.get(f"{conn}__credential") == "'managedidentity'", f"{conn}__credential"
        assert settings.get(f"{conn}__clientId") == expected.get(conn, "identityClientId"), f"{conn}__clientId"
    identities = block_after(site, r"^\s*userAssignedIdentities\s*:")
    for attached in ("identityId", "hostIdentityId", "deploymentIdentityId"):
        assert f"'${{{attached}}}': {{}}" in identities, f"{attached} is not attached to the site"
    assert settings.get("AZURE_CLIENT_ID") == "identityClientId", "the SDK clients' DefaultAzureCredential"
    assert "ClientId=${identityClientId}" in settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]


def test_stripe_references_exist_only_when_billing_is_enabled() -> None:
    text = module_text("functionapp")
    assert "STRIPE" not in block_after(text, r"^var infraSettings\s*=")
    assert re.search(r"^var billingSettings = stripeBillingEnabled \? stripeReferences : \{\}$", text, re.MULTILINE)
    main = strip_comments(read(MAIN))
    assert re.search(r"^var billingEnabled = stripeBillingEnabled \|\| !empty\(stripeSecretKey\)$", main, re.MULTILINE)
    assert "stripeBillingEnabled: billingEnabled" in block_after(main, r"^module\s+functionApp\s+'")
    assert params(read(MAIN))["stripeBillingEnabled"].default == "false"


def test_the_scan_verdict_is_readable_in_the_quarantine_container_only() -> None:
    text = module_text("roles")
    definition = block_after(text, r"^resource scanResultReader 'Microsoft\.Authorization/roleDefinitions@")
    listed = re.search(r"dataActions:\s*\[([^\]]*)\]", definition)
    assert listed
    assert re.findall(r"'([^']+)'", listed.group(1)) == [
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags/read"
    ]
    assert re.search(r"actions:\s*\[\s*\]", definition), "no control-plane action"
    assignment = block_after(text, r"^resource scanResults ")
    assert re.search(r"^\s*scope: quarantine$", assignment, re.MULTILINE)
    main = strip_comments(read(MAIN))
    assert "quarantineContainerName: photoBlobContainer" in block_after(main, r"^module\s+roles\s+'")


def test_blob_roles_are_scoped_to_containers_and_the_package_is_not_writable_by_the_app() -> None:
    text = module_text("roles")
    blob = block_after(text, r"^resource blobData ")
    assert re.search(r"^\s*scope: containers\[i\]$", blob, re.MULTILINE)
    assert "for (containerName, i) in appBlobContainers" in text
    main = strip_comments(read(MAIN))
    roles_call = block_after(main, r"^module\s+roles\s+'")
    assert "appBlobContainers: names.blobContainers" in roles_call
    assert "deploymentContainerName" not in re.search(r"appBlobContainers:.*", roles_call).group(0)  # type: ignore[union-attr]  # a missing match fails the test with AttributeError, which is the point
    package = block_after(text, r"^resource deploymentPackage ")
    assert "principalId: deploymentPrincipalId" in package and "scope: deploymentContainer" in package
    for name in re.findall(r"^resource (\w+) 'Microsoft\.Authorization/roleAssignments@", text, re.MULTILINE):
        block = block_after(text, rf"^resource {name} ")
        if "deploymentContainer" in block:
            assert "principalId: deploymentPrincipalId" in block, f"{name}: the app identity on the package"
        if "storageBlobDataContributor" in block and name != "deploymentPackage":
            assert "scope: storage" not in block, f"{name}: a blob data role on the whole account"
    assert "deployment-package" not in schema.BLOB_CONTAINERS


def test_an_existing_event_grid_system_topic_can_be_used() -> None:
    main = strip_comments(read(MAIN))
    assert params(read(MAIN))["existingEventGridSystemTopicName"].default == "''"
    assert re.search(
        r"^var systemTopicName = empty\(existingEventGridSystemTopicName\) \? '[^']+' : "
        r"existingEventGridSystemTopicName$",
        main,
        re.MULTILINE,
    )
    assert "systemTopicName: systemTopicName" in block_after(main, r"^module\s+storage\s+'")
    topic = block_after(module_text("storage"), r"^resource systemTopic ")
    assert re.search(r"^\s*name: systemTopicName$", topic, re.MULTILINE)


def test_undelivered_photo_events_are_dead_lettered_with_the_topic_identity() -> None:
    text = module_text("eventgrid")
    subscription = block_after(text, r"^resource uploadsToQueue ")
    dead_letter = block_after(subscription, r"^\s*deadLetterWithResourceIdentity\s*:")
    assert "type: 'SystemAssigned'" in dead_letter
    assert "endpointType: 'StorageBlob'" in dead_letter
    assert "blobContainerName: deadLetterContainerName" in dead_letter
    writer = block_after(text, r"^resource deadLetterWriter ")
    assert "scope: deadLetterContainer" in writer and "principalId: topicPrincipalId" in writer
    main = strip_comments(read(MAIN))
    assert "deadLetterContainerName: deadLetterContainerName" in block_after(main, r"^module\s+photoEvents\s+'")
    assert "deadLetterContainerName: deadLetterContainerName" in block_after(main, r"^module\s+storage\s+'")


def test_the_key_vault_name_is_a_parameter_and_a_soft_deleted_vault_can_be_recovered() -> None:
    main_params = params(read(MAIN))
    assert main_params["keyVaultName"].default == "''"
    assert main_params["keyVaultRecoverSoftDeleted"].default == "false"
    main = strip_comments(read(MAIN))
    assert "vaultName: vaultName" in block_after(main, r"^module\s+keyVault\s+'")
    vault = block_after(module_text("keyvault"), r"^resource vault ")
    assert "createMode: recoverSoftDeleted ? 'recover' : 'default'" in vault


def test_email_accepts_no_keys_keeps_data_in_europe_and_takes_an_own_domain() -> None:
    text = module_text("email")
    header = re.search(
        r"^resource communication 'Microsoft\.Communication/communicationServices@([\d-]+)'", text, re.MULTILINE
    )
    assert header and header.group(1) >= "2025-05-01", "disableLocalAuth needs API version 2025-05-01 or later"
    communication = block_after(text, r"^resource communication ")
    assert "disableLocalAuth: true" in communication
    assert params(read(MAIN))["emailDataLocation"].default == "'Europe'"
    for path in PARAM_FILES:
        assert bicepparam_values(read(path)).get("emailDataLocation") == "'Europe'", path.name
    assert "emailCustomDomain" in params(read(MAIN))
    assert "customDomain: emailCustomDomain" in block_after(strip_comments(read(MAIN)), r"^module\s+email\s+'")


def test_the_function_app_module_gets_every_identity_parameter() -> None:
    call = top_level_keys(
        block_after("x" + block_after(strip_comments(read(MAIN)), r"^module\s+functionApp\s+'"), r"^\s*params\s*:")
    )
    for name in ("identityId", "identityClientId", "deploymentIdentityId", "stripeBillingEnabled"):
        assert name in call, name


@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: p.name)
def test_resource_names_are_known_when_the_deployment_starts(path: Path) -> None:
    """Bicep refuses (BCP120) a resource name built from a runtime property (`x.properties...`, `x.identity...`,
    a module output): such values reach a module as parameters instead."""
    text = strip_comments(read(path))
    for header in re.findall(r"^resource (\w+) '", text, re.MULTILINE):
        block = block_after(text, rf"^resource {header} ")
        first = re.search(r"^  name: (.+)$", block, re.MULTILINE)
        if first is None:
            continue
        assert not re.search(r"\.(properties|identity|outputs)\.", first.group(1)), (
            f"{path.name} {header}: name uses a runtime value: {first.group(1)}"
        )


def role_assignments(text: str) -> dict[str, str]:
    """Assignment symbol -> its block, for every roleAssignments resource of a Bicep text."""
    names = re.findall(r"^resource (\w+) 'Microsoft\.Authorization/roleAssignments@", text, re.MULTILINE)
    return {name: block_after(text, rf"^resource {name} ") for name in names}


def test_host_storage_identity_owns_the_account_blobs_and_the_app_identity_does_not() -> None:
    """Identity-based AzureWebJobsStorage needs Storage Blob Data Owner on the storage account (Microsoft's Flex
    Consumption samples assign it there), plus queue access for the queue triggers. It goes to the host identity
    only: with it, the app's own identity could write blob index tags, i.e. forge the malware scan verdict."""
    text = module_text("roles")
    owner_id = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
    assert role_table()[owner_id]["name"] == "Storage Blob Data Owner"
    assert f"storageBlobDataOwner: '{owner_id}'" in text
    assignments = role_assignments(text)
    owners = {name: block for name, block in assignments.items() if "roleIds.storageBlobDataOwner" in block}
    assert set(owners) == {"hostBlobs"}, owners.keys()
    host = owners["hostBlobs"]
    assert re.search(r"^\s*scope: storage$", host, re.MULTILINE), "on the account, not on containers"
    assert re.search(r"^\s*principalId: hostPrincipalId$", host, re.MULTILINE)
    queues = assignments["hostQueues"]
    assert "roleIds.storageQueueDataContributor" in queues and "principalId: hostPrincipalId" in queues
    assert re.search(r"^\s*scope: storage$", queues, re.MULTILINE)
    for name, block in assignments.items():
        if "principalId: hostPrincipalId" in block:
            assert name in {"hostBlobs", "hostQueues"}, f"{name}: the host identity needs storage roles only"
    main = strip_comments(read(MAIN))
    assert "hostPrincipalId: identity.outputs.hostPrincipalId" in block_after(main, r"^module\s+roles\s+'")
    site_call = block_after(main, r"^module\s+functionApp\s+'")
    assert "hostIdentityClientId: identity.outputs.hostClientId" in site_call
    assert "hostIdentityId: identity.outputs.hostIdentityId" in site_call
    settings = block_after(module_text("functionapp"), r"^var infraSettings\s*=")
    assert re.search(r"^\s*AzureWebJobsStorage__clientId: hostIdentityClientId$", settings, re.MULTILINE)
    assert re.search(r"^\s*AZURE_CLIENT_ID: identityClientId$", settings, re.MULTILINE)
