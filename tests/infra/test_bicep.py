"""What a Bicep compiler would catch between files (no Bicep CLI here), the parameter files, and the settings that
make the deployment secure by default, read from the Bicep text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.infra.bicep_text import (
    INFRA,
    bicepparam_values,
    block_after,
    module_params,
    modules,
    object_literal,
    outputs,
    params,
    read,
    strip_comments,
)

MAIN = INFRA / "main.bicep"
MODULES = INFRA / "modules"
PARAM_FILES = sorted((INFRA / "params").glob("*.bicepparam"))


def module_text(name: str) -> str:
    return strip_comments(read(MODULES / f"{name}.bicep"))


def test_there_is_a_parameter_file_per_environment() -> None:
    assert {p.stem for p in PARAM_FILES} >= {"dev", "prod"}


@pytest.mark.parametrize("module", sorted(modules(read(MAIN))))
def test_each_module_call_matches_the_module(module: str) -> None:
    main = read(MAIN)
    path = INFRA / modules(main)[module]
    assert path.is_file(), f"module {module}: {path} does not exist"
    declared = params(read(path))
    given = module_params(main, module)
    assert len(given) == len(set(given)), f"module {module}: a parameter is given twice"
    unknown = set(given) - set(declared)
    assert not unknown, f"module {module}: {sorted(unknown)} are not parameters of {path.name}"
    required = {name for name, p in declared.items() if p.default is None}
    assert required <= set(given), f"module {module}: required {sorted(required - set(given))} not given"


def test_module_outputs_used_in_main_exist() -> None:
    main = strip_comments(read(MAIN))
    declared = {name: outputs(read(INFRA / path)) for name, path in modules(main).items()}
    used = re.findall(r"\b(\w+)\.outputs\.(\w+)", main)
    assert used
    for module, output in used:
        assert output in declared[module], f"{module}.outputs.{output} is not an output of {modules(main)[module]}"


@pytest.mark.parametrize("param_file", PARAM_FILES, ids=lambda p: p.name)
def test_parameter_files_set_known_parameters_and_every_required_one(param_file: Path) -> None:
    text = read(param_file)
    assert re.search(r"^using '\.\./main\.bicep'$", text, re.MULTILINE)
    main_params = params(read(MAIN))
    values = bicepparam_values(text)
    unknown = set(values) - set(main_params)
    assert not unknown, f"{param_file.name} sets {sorted(unknown)}, which main.bicep does not declare"
    required = {name for name, p in main_params.items() if p.default is None}
    assert required <= set(values), f"{param_file.name} misses required {sorted(required - set(values))}"
    for secret in ("tokenSigningKey", "stripeSecretKey", "stripeWebhookSecret"):
        assert secret not in values or values[secret].startswith("readEnvironmentVariable("), (
            f"{param_file.name}: {secret} must come from the environment, never from the file"
        )


@pytest.mark.parametrize("param_file", PARAM_FILES, ids=lambda p: p.name)
def test_lifecycle_rules_are_consistent_with_the_code(param_file: Path) -> None:
    names = json.loads(read(INFRA / "names.json"))
    main = strip_comments(read(MAIN))
    deployment = re.search(r"^var deploymentContainerName = '([^']+)'", main, re.MULTILINE)
    assert deployment
    values = bicepparam_values(read(param_file))
    defaults = params(read(MAIN))
    rules = object_literal(values.get("blobDeleteAfterDays") or str(defaults["blobDeleteAfterDays"].default))
    known = set(names["blobContainers"]) | {deployment.group(1)}
    assert set(rules) <= known, f"{param_file.name}: lifecycle rules for unknown containers {set(rules) - known}"
    overrides = object_literal(values.get("appSettingOverrides", "{}"))
    assert set(overrides) <= set(names["appSettings"]), "overrides may only change settings copied from the sample"
    if "exports" in rules:
        ttl_hours = int(
            overrides.get("EXPORT_LINK_TTL_HOURS", "").strip("'") or names["appSettings"]["EXPORT_LINK_TTL_HOURS"]
        )
        assert int(rules["exports"]) * 24 > ttl_hours, "exports would be deleted before their download link expires"
    for name in ("blobSoftDeleteDays", "previousVersionRetentionDays"):
        days = int(values.get(name) or str(defaults[name].default))
        assert 1 <= days <= 30, f"{param_file.name}: {name}={days}; purged personal data stays recoverable that long"


def test_storage_is_locked_down() -> None:
    account = block_after(module_text("storage"), r"^resource storage 'Microsoft\.Storage/storageAccounts@")
    for setting in (
        "allowSharedKeyAccess: false",
        "allowBlobPublicAccess: false",
        "minimumTlsVersion: 'TLS1_2'",
        "supportsHttpsTrafficOnly: true",
        "defaultToOAuthAuthentication: true",
        "allowCrossTenantReplication: false",
    ):
        assert setting in account, setting
    text = module_text("storage")
    assert "publicAccess: 'None'" in block_after(text, r"^resource containers ")
    blob_service = block_after(text, r"^resource blobService ")
    assert "isVersioningEnabled: true" in blob_service  # a literal: checkov's policy reads it
    assert re.search(r"^var versioningEnabled = true$", text, re.MULTILINE)  # what the module's output says
    assert re.search(r"deleteRetentionPolicy:\s*\{\s*enabled: true", blob_service)
    defender = block_after(text, r"^resource defender 'Microsoft\.Security/defenderForStorageSettings@")
    assert re.search(r"malwareScanning:\s*\{\s*onUpload:\s*\{\s*isEnabled: true", defender)


def test_cosmos_is_entra_only_with_continuous_backup() -> None:
    account = block_after(module_text("cosmos"), r"^resource account ")
    for setting in ("disableLocalAuth: true", "type: 'Continuous'", "minimalTlsVersion: 'Tls12'"):
        assert setting in account, setting
    assert "EnableServerless" in account and "serverless ?" in account, "serverless is a parameter"


def test_function_app_is_flex_python_311_https_tls12_no_ftp() -> None:
    text = module_text("functionapp")
    plan = block_after(text, r"^resource plan ")
    assert "tier: 'FlexConsumption'" in plan and "name: 'FC1'" in plan
    site = block_after(text, r"^resource site ")
    for setting in (
        "type: 'UserAssigned'",
        "keyVaultReferenceIdentity: identityId",
        "httpsOnly: true",
        "minTlsVersion: '1.2'",
        "name: 'python'",
        "version: '3.11'",
        "allowedOrigins: []",  # the app answers CORS itself from PORTAL_ORIGINS (functions/_cors.py)
    ):
        assert setting in site, setting
    # FTP is off through the publishing credentials policy: Flex Consumption refuses siteConfig.ftpsState (51021).
    assert "ftpsState" not in site
    for policy in ("ftp", "scm"):
        block = block_after(text, rf"^resource {policy}Credentials ")
        assert f"name: '{policy}'" in block and "allow: false" in block


def test_cors_allows_only_the_portal() -> None:
    call = block_after(strip_comments(read(MAIN)), r"^module\s+functionApp\s+'")
    origins = re.search(r"allowedOrigins:\s*(.+)$", call, re.MULTILINE)
    assert origins
    assert re.findall(r"'(https://[^']*)'", origins.group(1)) == [
        "https://${portal.outputs.defaultHostname}",
        "https://${portal.outputs.defaultHostname}",
        "https://${portalCustomDomain}",
    ]
    assert "*" not in origins.group(1)
    assert "PORTAL_ORIGINS: join(allowedOrigins, ',')" in module_text("functionapp")


def test_blob_cors_lets_only_the_portal_put_an_upload() -> None:
    """Issue 29: the portal's pages PUT a photo to its upload grant; the blob service admits that one method from
    the portal's origins, the same list the API's CORS uses, and nothing else."""
    call = block_after(strip_comments(read(MAIN)), r"^module\s+storage\s+'")
    origins = re.search(r"uploadCorsOrigins:\s*(.+)$", call, re.MULTILINE)
    assert origins
    assert re.findall(r"'(https://[^']*)'", origins.group(1)) == [
        "https://${portal.outputs.defaultHostname}",
        "https://${portal.outputs.defaultHostname}",
        "https://${portalCustomDomain}",
    ]
    cors = block_after(module_text("storage"), r"^resource blobService ")
    assert "allowedOrigins: uploadCorsOrigins" in cors
    assert "allowedMethods: [ 'PUT' ]" in cors and "*" not in cors


def test_the_portal_is_not_linked_as_a_static_web_apps_backend() -> None:
    """Issue 15: the /api proxy would replace the bearer token, and the link is not idempotent on redeploy."""
    assert "userProvidedFunctionApps" not in read(MAIN) + "".join(
        p.read_text() for p in MAIN.parent.joinpath("modules").glob("*.bicep")
    )


def test_roles_are_scoped_to_single_resources() -> None:
    text = module_text("roles")
    assignments = re.findall(r"^resource (\w+) 'Microsoft\.Authorization/roleAssignments@", text, re.MULTILINE)
    assert set(assignments) == {
        "blobData",
        "hostBlobs",
        "hostQueues",
        "delegationKeys",
        "queueData",
        "scanResults",
        "deploymentPackage",
        "secretsUser",
        "telemetry",
        "email",
    }
    for name in assignments:
        block = block_after(text, rf"^resource {name} ")
        assert re.search(
            r"^\s*scope: (storage|vault|appInsights|communication|quarantine|deploymentContainer|"
            r"containers\[i\])$",
            block,
            re.MULTILINE,
        ), name
        assert "principalType: 'ServicePrincipal'" in block
    cosmos = block_after(text, r"^resource cosmosData 'Microsoft\.DocumentDB/databaseAccounts/sqlRoleAssignments@")
    assert "scope: cosmos.id" in cosmos and "00000000-0000-0000-0000-000000000002" in text


def test_key_vault_is_rbac_with_purge_protection() -> None:
    vault = block_after(module_text("keyvault"), r"^resource vault ")
    assert "enableRbacAuthorization: true" in vault and "enablePurgeProtection: true" in vault


def test_the_app_is_told_the_deployed_soft_delete_versioning_and_backup_values() -> None:
    """Issue 28: the erasure answer, the export's README and the privacy centre state how long deleted data stays in
    soft delete and backups. The values reach the app settings from the storage and Cosmos DB modules' own values
    (outputs of what they deploy), so they cannot drift; the settings' defaults are main.bicep's defaults."""
    from core.settings import Settings

    storage, cosmos = module_text("storage"), module_text("cosmos")
    blob_service = block_after(storage, r"^resource blobService ")
    assert re.search(r"deleteRetentionPolicy:\s*\{\s*enabled: true\s*days: softDeleteDays", blob_service)
    assert re.search(r"^output softDeleteDays int = softDeleteDays$", storage, re.MULTILINE)
    assert re.search(r"^output versioningEnabled bool = versioningEnabled$", storage, re.MULTILINE)
    assert re.search(r"^output previousVersionRetentionDays int = previousVersionRetentionDays$", storage, re.MULTILINE)
    assert "daysAfterCreationGreaterThan: previousVersionRetentionDays" in storage
    account = block_after(cosmos, r"^resource account ")
    assert re.search(r"continuousModeProperties:\s*\{\s*tier: backupTier", account)
    tiers = re.search(r"@allowed\(\[([^\]]*)\]\)\s*param backupTier string", cosmos)
    assert tiers and set(re.findall(r"'(\w+)'", tiers.group(1))) == {"Continuous7Days", "Continuous30Days"}
    assert re.search(
        r"^output backupRetentionDays int = backupTier == 'Continuous30Days' \? 30 : 7$", cosmos, re.MULTILINE
    )

    main = strip_comments(read(MAIN))
    call = block_after(main, r"^module functionApp ")
    for param, source in (
        ("blobSoftDeleteDays", "storage.outputs.softDeleteDays"),
        ("blobVersioningEnabled", "storage.outputs.versioningEnabled"),
        ("blobVersionRetentionDays", "storage.outputs.previousVersionRetentionDays"),
        ("cosmosBackupRetentionDays", "cosmos.outputs.backupRetentionDays"),
    ):
        assert re.search(rf"^\s*{param}: {re.escape(source)}$", call, re.MULTILINE), param
    assert re.search(r"^\s*softDeleteDays: blobSoftDeleteDays$", block_after(main, r"^module storage "), re.MULTILINE)
    assert re.search(r"^\s*backupTier: cosmosBackupTier$", block_after(main, r"^module cosmos "), re.MULTILINE)

    app = module_text("functionapp")
    for setting, param in (
        ("BLOB_SOFT_DELETE_DAYS", "blobSoftDeleteDays"),
        ("BLOB_VERSIONING_ENABLED", "blobVersioningEnabled"),
        ("BLOB_VERSION_RETENTION_DAYS", "blobVersionRetentionDays"),
        ("COSMOS_BACKUP_RETENTION_DAYS", "cosmosBackupRetentionDays"),
    ):
        assert re.search(rf"^\s*{setting}: string\({param}\)$", app, re.MULTILINE), setting
        field = Settings.model_fields[setting.lower()]
        assert field.validation_alias == setting

    defaults, s = params(read(MAIN)), Settings.model_fields
    assert s["blob_soft_delete_days"].default == int(str(defaults["blobSoftDeleteDays"].default))
    assert s["blob_version_retention_days"].default == int(str(defaults["previousVersionRetentionDays"].default))
    tier = str(defaults["cosmosBackupTier"].default).strip("'")
    assert s["cosmos_backup_retention_days"].default == (30 if tier == "Continuous30Days" else 7)
    assert s["blob_versioning_enabled"].default is True


def test_telemetry_has_one_export_path_and_a_daily_cap_per_environment() -> None:
    """Issue 31: the host in OpenTelemetry mode with the worker exporting its own records (no second copy through
    the host), no sampler override in infra (TELEMETRY_SAMPLING_RATIO, copied from the sample, decides), and the
    workspace capped per day by a parameter every environment sets. The host's invocation spans are sampled at
    the app's own ratio: OTEL_TRACES_SAMPLER_ARG is TELEMETRY_SAMPLING_RATIO as the environment sets it."""
    host = json.loads((INFRA.parent / "host.json").read_text(encoding="utf-8"))
    assert host["telemetryMode"] == "OpenTelemetry" and "applicationInsights" not in host["logging"]
    app = module_text("functionapp")
    assert "PYTHON_ENABLE_OPENTELEMETRY: 'true'" in app
    settings = block_after(app, r"^var infraSettings ")
    assert re.search(r"^\s*OTEL_TRACES_SAMPLER: 'microsoft\.fixed_percentage'$", settings, re.MULTILINE)
    assert re.search(r"^\s*OTEL_TRACES_SAMPLER_ARG: telemetrySamplingRatio$", settings, re.MULTILINE)
    assert re.search(r"^var appSettingsBeforeInfra = union\(copiedSettings, appSettingOverrides\)$", app, re.MULTILINE)
    assert re.search(
        r"^var telemetrySamplingRatio = contains\(appSettingsBeforeInfra, 'TELEMETRY_SAMPLING_RATIO'\)\s*"
        r"\? appSettingsBeforeInfra\.TELEMETRY_SAMPLING_RATIO\s*: '0\.05'$",
        app,
        re.MULTILINE,
    )
    assert "PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY" not in app, "the worker would configure a second distro"
    names = json.loads((INFRA / "names.json").read_text(encoding="utf-8"))
    assert float(names["appSettings"]["TELEMETRY_SAMPLING_RATIO"]) <= 0.1
    # an environment's override is a ratio too: the host reads a bad OTEL_TRACES_SAMPLER_ARG as every trace
    for param_file in PARAM_FILES:
        for value in re.findall(r"TELEMETRY_SAMPLING_RATIO\W+([^\s,}]+)", strip_comments(read(param_file))):
            assert 0.0 <= float(value.strip("'\"")) <= 1.0, f"{param_file.name}: TELEMETRY_SAMPLING_RATIO {value}"
    workspace = block_after(module_text("monitoring"), r"^resource workspace ")
    assert re.search(r"workspaceCapping:\s*\{\s*dailyQuotaGb: dailyCapGb\s*\}", workspace), workspace
    assert "dailyCapGb: logDailyCapGb" in strip_comments(read(MAIN))
    for param_file in PARAM_FILES:
        cap = bicepparam_values(read(param_file)).get("logDailyCapGb")
        assert cap is not None and 1 <= int(cap) <= 20, f"{param_file.name}: logDailyCapGb {cap}"


def test_production_autoscale_is_sized_to_the_crew_and_alerts_say_when_to_raise_it() -> None:
    """prod.bicepparam's autoscale maximum is the smallest Cosmos DB offers (1,000 RU/s, docs/scaling.md), so the
    capacity alerts must exist in every environment that is provisioned, watch the Cosmos DB account main creates,
    and reach the operator named by the deployment."""
    prod = bicepparam_values(read(INFRA / "params" / "prod.bicepparam"))
    assert prod["cosmosThroughputMode"] == "'autoscale'"
    assert 1_000 <= int(prod["cosmosAutoscaleMaxThroughput"]) <= 4_000
    assert "INDUSTRACK_OPS_ALERT_EMAIL" in prod["opsAlertEmail"]
    main = strip_comments(read(MAIN))
    call = block_after(main, r"^module\s+alerts\s+'")
    assert "cosmosAccountId: cosmos.outputs.id" in call
    assert "provisioned: cosmosThroughputMode == 'autoscale'" in call
    alerts = module_text("alerts")
    for metric in ("NormalizedRUConsumption", "TotalRequests"):
        assert f"metricName: '{metric}'" in alerts
    assert "'429'" in alerts
    assert alerts.count("actionGroupId: operators.id") == 2  # both alerts notify the operator
