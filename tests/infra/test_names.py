"""One source of truth for names: infra/names.json is what scripts/infra_names.py renders from the code today, the
Bicep reads it, and every app setting of local.settings.sample.json reaches Azure or is local-only with a reason.

Everything is read at test time (core/schema.py, the sample, the Bicep text), so containers, queues, blob
containers and settings added later are covered without editing this file.
"""

from __future__ import annotations

import json
import re

import pytest

from core import schema
from scripts import infra_names
from tests.infra.bicep_text import INFRA, ROOT, block_after, params, read, strip_comments, top_level_keys

MAIN = INFRA / "main.bicep"
FUNCTION_APP = INFRA / "modules" / "functionapp.bicep"
STORAGE = INFRA / "modules" / "storage.bicep"
COSMOS = INFRA / "modules" / "cosmos.bicep"
REGENERATE = ".venv/bin/python -m scripts.infra_names"


@pytest.fixture(scope="module")
def names() -> dict[str, object]:
    data: dict[str, object] = json.loads(read(INFRA / "names.json"))
    return data


@pytest.fixture(scope="module")
def sample() -> dict[str, str]:
    return infra_names.sample_values()


def infra_setting_keys() -> list[str]:
    """Settings functionapp.bicep sets itself: infraSettings, plus the Stripe references (set when billing is on)."""
    text = read(FUNCTION_APP)
    return top_level_keys(block_after(text, r"^var infraSettings\s*=")) + top_level_keys(
        block_after(text, r"^var stripeReferences\s*=")
    )


def test_names_json_is_what_the_code_renders_today() -> None:
    expected = infra_names.render(infra_names.build_names())
    assert read(INFRA / "names.json") == expected, f"infra/names.json is out of date: run {REGENERATE}"


def test_every_cosmos_container_of_the_schema_is_in_names_json(names: dict[str, object]) -> None:
    cosmos = names["cosmos"]
    assert isinstance(cosmos, dict)
    by_name = {c["name"]: c for c in cosmos["containers"]}
    assert set(by_name) == {spec.name for spec in schema.CONTAINERS}
    for spec in schema.CONTAINERS:
        entry = by_name[spec.name]
        assert entry["partitionKey"] == spec.partition_key, spec.name
        assert entry["defaultTtl"] == spec.default_ttl, spec.name
        assert entry["indexingPolicy"] == spec.indexing_policy(), spec.name


def test_every_queue_and_its_poison_queue_is_in_names_json(names: dict[str, object]) -> None:
    queue_names = names["queueNames"]
    queue_settings = names["queueSettings"]
    assert isinstance(queue_names, list) and isinstance(queue_settings, dict)
    for q in schema.QUEUES:
        assert q.default_name in queue_names
        assert queue_settings[q.setting] == q.default_name
        if q.poison:
            assert schema.poison_queue_name(q.default_name) in queue_names
    assert len(queue_names) == len(set(queue_names))


def test_blob_containers_are_the_schema_ones_and_the_deployment_container_stays_infra_only(
    names: dict[str, object],
) -> None:
    assert names["blobContainers"] == list(schema.BLOB_CONTAINERS)
    main = strip_comments(read(MAIN))
    m = re.search(r"^var deploymentContainerName = '([^']+)'", main, re.MULTILINE)
    assert m, "main.bicep names the deployment-package container in var deploymentContainerName"
    assert m.group(1) not in schema.BLOB_CONTAINERS, "the deployment package container is infra-only"


def test_main_reads_names_json_and_hands_each_list_to_its_module() -> None:
    main = strip_comments(read(MAIN))
    assert "loadJsonContent('names.json')" in main
    storage = block_after(main, r"^module\s+storage\s+'")
    assert re.search(r"blobContainers:\s*names\.blobContainers", storage)
    assert re.search(r"queueNames:\s*names\.queueNames", storage)
    cosmos = block_after(main, r"^module\s+cosmos\s+'")
    assert re.search(r"containers:\s*names\.cosmos\.containers", cosmos)
    assert re.search(r"databaseName:\s*names\.cosmos\.database", cosmos)
    function_app = block_after(main, r"^module\s+functionApp\s+'")
    assert re.search(r"copiedSettings:\s*names\.appSettings", function_app)
    assert re.search(r"queueSettings:\s*names\.queueSettings", function_app)
    assert re.search(r"cosmosDatabase:\s*names\.cosmos\.database", function_app)


def test_modules_loop_over_the_names_instead_of_listing_them() -> None:
    storage = strip_comments(read(STORAGE))
    assert re.search(r"=\s*\[for name in queueNames:", storage)
    assert re.search(
        r"var containerNames = concat\(blobContainers, \[deploymentContainerName, deadLetterContainerName\], "
        r"hostContainerNames\)",
        storage,
    )
    assert re.search(r"=\s*\[for name in containerNames:", storage)
    cosmos = strip_comments(read(COSMOS))
    assert re.search(r"=\s*\[for c in containers:", cosmos)
    for text in (storage, cosmos):
        for literal in [q.default_name for q in schema.QUEUES] + [c.name for c in schema.CONTAINERS]:
            assert f"'{literal}'" not in text, f"{literal!r} is hard-coded in a module; it must come from names.json"


def test_every_sample_setting_reaches_the_function_app_or_is_local_only_with_a_reason(
    names: dict[str, object], sample: dict[str, str]
) -> None:
    copied = names["appSettings"]
    queue_settings = names["queueSettings"]
    local_only = names["localOnly"]
    assert isinstance(copied, dict) and isinstance(queue_settings, dict) and isinstance(local_only, dict)
    in_bicep = set(infra_setting_keys())
    missing = []
    for key in sample:
        if key in local_only:
            assert len(str(local_only[key])) > 20, f"{key} is local-only without a real reason"
            continue
        if key in copied or key in queue_settings or key in in_bicep:
            continue
        missing.append(key)
    assert not missing, (
        f"settings of local.settings.sample.json that Azure would not get: {missing}; run {REGENERATE} "
        "(or classify them in scripts/infra_names.py)"
    )


def test_copied_settings_keep_the_sample_values(names: dict[str, object], sample: dict[str, str]) -> None:
    copied = names["appSettings"]
    assert isinstance(copied, dict)
    for key, value in copied.items():
        assert sample.get(key) == value, f"{key}: names.json has {value!r}, the sample {sample.get(key)!r}"


def test_the_function_app_settings_are_built_from_all_four_sources() -> None:
    text = strip_comments(read(FUNCTION_APP))
    assert re.search(
        r"^var allSettings = union\(copiedSettings, appSettingOverrides, queueSettings, infraSettings, billingSettings\)$",
        text,
        re.MULTILINE,
    ), "infra settings must come last so that an override cannot replace them"
    assert re.search(r"\[for setting in items\(allSettings\):", text)
    site_config = block_after(text, r"^\s*siteConfig\s*:")
    assert re.search(r"^\s*appSettings:\s*appSettings\s*$", site_config, re.MULTILINE)


def test_infra_settings_are_exactly_the_ones_the_renderer_knows() -> None:
    in_bicep = set(infra_setting_keys())
    assert in_bicep == set(infra_names.SET_BY_INFRA), (
        "infraSettings in infra/modules/functionapp.bicep and SET_BY_INFRA in scripts/infra_names.py differ: "
        f"only in Bicep {sorted(in_bicep - set(infra_names.SET_BY_INFRA))}, "
        f"only in the script {sorted(set(infra_names.SET_BY_INFRA) - in_bicep)}"
    )


def test_azure_gets_identities_not_keys(names: dict[str, object]) -> None:
    settings = set(infra_setting_keys())
    local_only = names["localOnly"]
    assert isinstance(local_only, dict)
    assert not settings & set(local_only), "a local-only setting is set in Azure"
    assert "COSMOS_KEY" not in settings and "AzureWebJobsStorage" not in settings
    assert "AzureWebJobsStorage__accountName" in settings
    block = block_after(read(FUNCTION_APP), r"^var infraSettings\s*=")
    assert re.search(r"^\s*COSMOS_VERIFY_TLS:\s*'true'\s*$", block, re.MULTILINE)
    assert re.search(r"^\s*APP_ENVIRONMENT:\s*'azure'\s*$", block, re.MULTILINE)
    assert re.search(r"^\s*TOKEN_SIGNING_KEY:\s*'@Microsoft\.KeyVault\(VaultName=", block, re.MULTILINE)
    stripe = block_after(read(FUNCTION_APP), r"^var stripeReferences\s*=")
    for secret in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
        assert re.search(rf"^\s*{secret}:\s*'@Microsoft\.KeyVault\(VaultName=", stripe, re.MULTILINE), secret
    for path in sorted(INFRA.rglob("*.bicep")):
        text = strip_comments(read(path))
        for pattern in ("listKeys(", "AccountKey=", "primaryMasterKey", "listConnectionStrings("):
            assert pattern not in text, f"{path.relative_to(ROOT)} uses {pattern}: keys are off everywhere"


def test_photo_upload_events_are_wired_when_the_code_declares_them(names: dict[str, object]) -> None:
    main_params = params(read(MAIN))
    setting = (main_params["photoUploadQueueSetting"].default or "").strip("'")
    container = (main_params["photoBlobContainer"].default or "").strip("'")
    queue_settings = names["queueSettings"]
    blob_containers = names["blobContainers"]
    assert isinstance(queue_settings, dict) and isinstance(blob_containers, list)
    photo_like = [s for s in queue_settings if "PHOTO" in s.upper()]
    for other in photo_like:
        assert other == setting, (
            f"core/schema.py declares {other}; set photoUploadQueueSetting in infra/main.bicep to it so that the "
            "Blob Created -> Event Grid -> queue subscription targets that queue"
        )
    if setting in queue_settings or container in blob_containers:
        assert setting in queue_settings and container in blob_containers, (
            f"the photo-upload subscription needs both queue setting {setting} and blob container {container!r} "
            "in core/schema.py; with only one of them it is not deployed"
        )
    wiring = block_after(read(MAIN), r"^module\s+photoEvents\s+'")
    assert re.search(r"blobContainerName:\s*photoBlobContainer", wiring)
    assert re.search(r"queueName:\s*photoQueueName", wiring)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"SMTP_HOST": "127.0.0.1"}, "looks local-only"),
        ({"PARTNER_API_BASE": "http://localhost:9000"}, "looks local-only"),
        ({"ISSUER_KEYS": "file:.local/keys.json"}, "looks local-only"),
        ({"SOME_API_KEY": "abc"}, "looks like a secret"),
        ({"QUEUE_NOT_IN_SCHEMA": "nope"}, "no queue with that setting"),
    ],
)
def test_the_renderer_refuses_settings_that_need_a_decision(values: dict[str, str], message: str) -> None:
    with pytest.raises(infra_names.NamesError, match=message):
        infra_names.build_names(values)


def test_the_renderer_copies_an_ordinary_new_setting() -> None:
    rendered = infra_names.build_names({"PHOTO_MAX_BYTES": "10485760", "COSMOS_KEY": "emulator-key"})
    assert rendered["appSettings"] == {"PHOTO_MAX_BYTES": "10485760"}
    assert "COSMOS_KEY" in rendered["localOnly"]


# Expiry by the store (docs/privacy-and-retention.md, "Which kinds expire how"): Cosmos DB ignores an item's `ttl`
# unless its container has a defaultTtl, so every container that holds items stamped with one must have -1.
EXPIRING_CONTAINERS = (
    "pings",
    "latest-positions",
    "users",
    "accounts",
    "privacy",
    "access-log",
    "outbox",
    "page-views",
)


def test_every_container_holding_expiring_items_has_time_to_live_on(names: dict[str, object]) -> None:
    by_name = {c["name"]: c for c in names["cosmos"]["containers"]}  # type: ignore[index]  # the JSON document's shape, checked by the tests above
    for name in EXPIRING_CONTAINERS:
        assert by_name[name]["defaultTtl"] == -1, name
    bicep = read(INFRA / "modules" / "cosmos.bicep")
    assert "defaultTtl: c.defaultTtl" in bicep
