"""scripts/deploy_checks.py (part of `make infra-check`): the project passes it, and each check fails on the mistake it
exists for: a site-config property Flex Consumption refuses (Azure error 51021), a workflow variable that reaches
readEnvironmentVariable as '' instead of its default, a required one not checked early, a missing azd hook."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scripts import deploy_checks
from tests.infra.bicep_text import INFRA, ROOT, read

PARAM_FILES = sorted((INFRA / "params").glob("*.bicepparam"))
WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"

FLEX_SITE = """
resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: 'x'
  properties: {
    siteConfig: {
      minTlsVersion: '1.2'
      %s
      appSettings: []
    }
    functionAppConfig: {
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}
"""


def bicep(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sample.bicep"
    path.write_text(text, encoding="utf-8")
    return path


def test_make_infra_check_runs_the_deploy_checks_and_they_pass() -> None:
    assert ".venv/bin/python -m scripts.deploy_checks" in read(INFRA / "check.sh")
    done = subprocess.run(
        [sys.executable, "-m", "scripts.deploy_checks"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith(": 0 problems")


def test_the_function_app_sets_only_site_config_properties_flex_accepts() -> None:
    assert deploy_checks.flex_site_config_problems(sorted(INFRA.rglob("*.bicep"))) == []


@pytest.mark.parametrize(
    "line",
    ["ftpsState: 'Disabled'", "linuxFxVersion: 'PYTHON|3.11'", "alwaysOn: false", "functionAppScaleLimit: 100"],
)
def test_a_site_config_property_flex_refuses_is_reported(tmp_path: Path, line: str) -> None:
    problems = deploy_checks.flex_site_config_problems([bicep(tmp_path, FLEX_SITE % line)])
    assert len(problems) == 1 and line.split(":")[0] in problems[0] and "51021" in problems[0], problems


def test_the_old_function_app_module_would_have_been_caught(tmp_path: Path) -> None:
    """The module as it was before issue 32: ftpsState and three more properties outside the allow-list."""
    old = read(INFRA / "modules" / "functionapp.bicep").replace(
        "      minTlsVersion: '1.2'\n",
        "      minTlsVersion: '1.2'\n      scmMinTlsVersion: '1.2'\n      ftpsState: 'Disabled'\n"
        "      http20Enabled: true\n      remoteDebuggingEnabled: false\n",
        1,
    )
    problems = deploy_checks.flex_site_config_problems([bicep(tmp_path, old)])
    assert sorted(p.split("siteConfig.")[1].split()[0] for p in problems) == [
        "ftpsState",
        "http20Enabled",
        "remoteDebuggingEnabled",
        "scmMinTlsVersion",
    ]


def test_a_site_that_is_not_flex_and_a_web_config_resource(tmp_path: Path) -> None:
    not_flex = FLEX_SITE.replace("functionAppConfig", "otherConfig") % "ftpsState: 'Disabled'"
    assert deploy_checks.flex_site_config_problems([bicep(tmp_path, not_flex)]) == []
    web_config = """
resource web 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'web'
  properties: {
    minTlsVersion: '1.2'
    use32BitWorkerProcess: false
  }
}
"""
    problems = deploy_checks.flex_site_config_problems([bicep(tmp_path, web_config)])
    assert len(problems) == 1 and "use32BitWorkerProcess" in problems[0]


def test_a_site_config_that_is_not_a_literal_cannot_be_checked_and_is_reported(tmp_path: Path) -> None:
    text = FLEX_SITE.replace("siteConfig: {", "siteConfig: someVariable\n    unused: {") % ""
    problems = deploy_checks.flex_site_config_problems([bicep(tmp_path, text)])
    assert problems and "object literal" in problems[0]


# ---- workflow variables


def workflow_variant(tmp_path: Path, edit: str, replacement: str) -> Path:
    text = read(WORKFLOW)
    assert edit in text, edit
    path = tmp_path / "deploy.yml"
    path.write_text(text.replace(edit, replacement, 1), encoding="utf-8")
    return path


def test_every_variable_the_parameter_files_read_has_its_default_in_the_workflow() -> None:
    reads = deploy_checks.environment_reads(PARAM_FILES)
    assert {r.name for r in reads} >= {
        "INDUSTRACK_AUTH_AUDIENCE",
        "INDUSTRACK_STRIPE_BILLING",
        "INDUSTRACK_AUTH_ISSUER",
    }
    assert deploy_checks.workflow_variable_problems(WORKFLOW, PARAM_FILES) == []
    env = yaml.safe_load(read(WORKFLOW))["jobs"]["deploy"]["env"]
    assert env["INDUSTRACK_AUTH_AUDIENCE"] == "${{ vars.INDUSTRACK_AUTH_AUDIENCE || 'api://industrack' }}"
    assert env["INDUSTRACK_STRIPE_BILLING"] == "${{ vars.INDUSTRACK_STRIPE_BILLING || 'false' }}"


@pytest.mark.parametrize(
    ("edit", "replacement", "expected"),
    [
        (  # the original bug: an undefined variable arrives as '' and bool('') fails build-params
            "${{ vars.INDUSTRACK_STRIPE_BILLING || 'false' }}",
            "${{ vars.INDUSTRACK_STRIPE_BILLING }}",
            "readEnvironmentVariable returns '' instead of its default",
        ),
        (  # an empty audience would make every token fail
            "${{ vars.INDUSTRACK_AUTH_AUDIENCE || 'api://industrack' }}",
            "${{ vars.INDUSTRACK_AUTH_AUDIENCE }}",
            "INDUSTRACK_AUTH_AUDIENCE || 'api://industrack'",
        ),
        (
            "${{ vars.INDUSTRACK_AUTH_AUDIENCE || 'api://industrack' }}",
            "${{ vars.INDUSTRACK_AUTH_AUDIENCE || 'api://other' }}",
            "defaults to 'api://other' here",
        ),
        (
            "INDUSTRACK_AUTH_ISSUER INDUSTRACK_AUTH_JWKS_URI",
            "INDUSTRACK_AUTH_JWKS_URI",
            "INDUSTRACK_AUTH_ISSUER has no default; list it in REQUIRED",
        ),
        (
            "BOOLEANS: INDUSTRACK_STRIPE_BILLING ",
            "BOOLEANS: ",
            "INDUSTRACK_STRIPE_BILLING is read with bool()",
        ),
        (
            "      INDUSTRACK_KEY_VAULT_NAME: ${{ vars.INDUSTRACK_KEY_VAULT_NAME }}\n",
            "",
            "INDUSTRACK_KEY_VAULT_NAME is read by a parameter file but is not in the deploy job's env",
        ),
        (
            "INDUSTRACK_PORTAL_CLIENT_ID: ${{ vars.INDUSTRACK_PORTAL_CLIENT_ID }}",
            "INDUSTRACK_PORTAL_CLIENT_ID: fixed-value",
            "env INDUSTRACK_PORTAL_CLIENT_ID must be",
        ),
    ],
)
def test_a_workflow_variable_without_its_safe_default_is_reported(
    tmp_path: Path, edit: str, replacement: str, expected: str
) -> None:
    problems = deploy_checks.workflow_variable_problems(workflow_variant(tmp_path, edit, replacement), PARAM_FILES)
    assert any(expected in p for p in problems), problems


def test_a_new_parameter_file_variable_must_reach_the_workflow(tmp_path: Path) -> None:
    extra = tmp_path / "extra.bicepparam"
    extra.write_text(
        "using '../main.bicep'\nparam logRetentionDays = int(readEnvironmentVariable('INDUSTRACK_NEW', '30'))\n"
    )
    problems = deploy_checks.workflow_variable_problems(WORKFLOW, [*PARAM_FILES, extra])
    assert any("INDUSTRACK_NEW" in p for p in problems), problems


def test_the_workflow_checks_required_variables_before_signing_in() -> None:
    steps = yaml.safe_load(read(WORKFLOW))["jobs"]["deploy"]["steps"]
    check_at = next(i for i, s in enumerate(steps) if "REQUIRED" in (s.get("env") or {}))
    login_at = next(i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("azure/login@"))
    assert check_at < login_at
    required = set(steps[check_at]["env"]["REQUIRED"].split())
    assert {"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP"} <= required
    key_at = next(i for i, s in enumerate(steps) if "INDUSTRACK_TOKEN_SIGNING_KEY" in str(s.get("run", "")))
    create_at = next(i for i, s in enumerate(steps) if "az deployment group create" in str(s.get("run", "")))
    assert login_at < key_at < create_at, "the token signing key is checked before the first deployment"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "AZURE_CLIENT_ID is not set"),
        ({"INDUSTRACK_STRIPE_BILLING": "yes"}, "INDUSTRACK_STRIPE_BILLING must be true or false"),
        ({"INDUSTRACK_STRIPE_BILLING": "true"}, "set INDUSTRACK_STRIPE_PUBLISHABLE_KEY"),
    ],
)
def test_the_early_check_step_fails_with_a_clear_message(env: dict[str, str], expected: str) -> None:
    """Run the step's script as GitHub would (bash -e), with the job's defaults applied to undefined variables."""
    bash = shutil.which("bash")
    assert bash
    step = next(
        s for s in yaml.safe_load(read(WORKFLOW))["jobs"]["deploy"]["steps"] if "REQUIRED" in (s.get("env") or {})
    )
    complete = {name: "x" for name in step["env"]["REQUIRED"].split()} | {
        name: "false" for name in step["env"]["BOOLEANS"].split()
    }
    complete |= {"INDUSTRACK_STRIPE_PUBLISHABLE_KEY": ""}
    run_env = {"PATH": os.environ["PATH"], "REQUIRED": step["env"]["REQUIRED"], "BOOLEANS": step["env"]["BOOLEANS"]}
    ok = subprocess.run([bash, "-e", "-c", step["run"]], env=run_env | complete, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = complete | env if env else {k: v for k, v in complete.items() if k != "AZURE_CLIENT_ID"}
    done = subprocess.run([bash, "-e", "-c", step["run"]], env=run_env | broken, capture_output=True, text=True)
    assert done.returncode != 0 and expected in done.stdout, done.stdout + done.stderr


# ---- azd hooks


def test_azure_yaml_declares_the_preprovision_hook_and_its_script_is_executable() -> None:
    assert deploy_checks.azd_hook_problems() == []
    hook = yaml.safe_load(read(ROOT / "azure.yaml"))["hooks"]["preprovision"]
    assert hook["shell"] == "sh" and hook["interactive"] is True and hook["continueOnError"] is False
    script = ROOT / hook["run"]
    assert os.access(script, os.X_OK)


def test_a_missing_hook_a_lost_execute_bit_or_an_unchecked_value_are_reported(tmp_path: Path) -> None:
    spec = yaml.safe_load(read(ROOT / "azure.yaml"))
    hooks = spec.pop("hooks")
    (tmp_path / "azure.yaml").write_text(yaml.safe_dump(spec))
    params = INFRA / "main.parameters.json"
    assert "no preprovision hook" in deploy_checks.azd_hook_problems(tmp_path / "azure.yaml", params)[0]

    script = tmp_path / "hook.sh"
    script.write_text(read(ROOT / hooks["preprovision"]["run"]))
    script.chmod(0o644)
    spec["hooks"] = {"preprovision": {"shell": "sh", "run": "hook.sh"}}
    (tmp_path / "azure.yaml").write_text(yaml.safe_dump(spec))
    problems = deploy_checks.azd_hook_problems(tmp_path / "azure.yaml", params)
    assert len(problems) == 1 and "not executable" in problems[0], problems

    script.chmod(0o755)
    more = json.loads(read(params))
    more["parameters"]["someNewValue"] = {"value": "${INDUSTRACK_SOMETHING_NEW}"}
    (tmp_path / "params.json").write_text(json.dumps(more))
    problems = deploy_checks.azd_hook_problems(tmp_path / "azure.yaml", tmp_path / "params.json")
    assert len(problems) == 1 and "INDUSTRACK_SOMETHING_NEW" in problems[0], problems
