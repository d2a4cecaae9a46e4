"""Offline checks of what would stop a first deployment before any code runs in Azure (`make infra-check`):

    .venv/bin/python -m scripts.deploy_checks

1. **Flex Consumption site config**: every `Microsoft.Web/sites` resource with a `functionAppConfig` (a Flex
   Consumption site) sets only the site-config properties in FLEX_SITE_CONFIG_ALLOWED, and so does any
   `Microsoft.Web/sites/config` resource named `web`. Azure refuses the others on Flex (error 51021, for example
   FtpsState, LinuxFxVersion, AlwaysOn, FunctionAppScaleLimit), region by region as the rule is rolled out.
2. **Workflow variables**: every variable a `.bicepparam` file reads with `readEnvironmentVariable` is in the deploy
   job's `env` of .github/workflows/deploy.yml. A repository variable that is not defined reaches the job as an
   empty string, and `readEnvironmentVariable` returns '' (not its default) for a variable that is set but empty;
   so a variable whose default is not '' must be `${{ vars.X || '<the same default>' }}`, a variable without a
   default must be listed in REQUIRED of the step that fails early, and one read through `bool()` in BOOLEANS.
3. **azd hooks**: azure.yaml declares the preprovision hook, its script exists and is executable, and it names
   every value infra/main.parameters.json takes from the azd environment without a default.

Prints one line per problem and a summary; exit status 1 when there is a problem.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"
AZURE_YAML = ROOT / "azure.yaml"
AZD_PARAMETERS = INFRA / "main.parameters.json"

# The site-config properties this project sets on its Flex Consumption site: the app settings (the one site-config
# property of Microsoft's Flex Consumption samples), the minimum TLS version and the CORS list (empty: the app answers
# CORS itself); neither of the last two is in any reported 51021 rejection. Add a property only with evidence that
# Flex accepts it: Azure rejects the whole deployment otherwise.
FLEX_SITE_CONFIG_ALLOWED = frozenset({"appSettings", "cors", "minTlsVersion"})

# Values azd asks for itself (they are not the project's to check in a hook).
AZD_OWN_VALUES = frozenset({"AZURE_LOCATION", "AZURE_ENV_NAME", "AZURE_SUBSCRIPTION_ID"})

_READ_ENV = re.compile(
    r"(?P<bool>bool\(\s*)?readEnvironmentVariable\(\s*'(?P<name>[A-Za-z0-9_]+)'\s*(?:,\s*'(?P<default>[^']*)'\s*)?\)"
)
_WORKFLOW_VALUE = re.compile(
    r"^\$\{\{\s*(?P<source>vars|secrets)\.(?P<name>[A-Za-z0-9_]+)\s*(?:\|\|\s*'(?P<default>[^']*)'\s*)?\}\}$"
)


# ---- 1. Flex Consumption site config


def _parser() -> Any:
    import tree_sitter
    import tree_sitter_bicep

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bicep.language()))


def _text(node: Any, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8")


def _walk(node: Any) -> Iterator[Any]:
    yield node
    for child in node.children:
        yield from _walk(child)


def _first(node: Any, kind: str) -> Any | None:
    return next((n for n in _walk(node) if n.type == kind), None)


def _properties(obj: Any, source: bytes) -> dict[str, Any]:
    """Key -> value node of a Bicep object literal (its own keys only)."""
    out: dict[str, Any] = {}
    for prop in (c for c in obj.children if c.type == "object_property"):
        key = prop.children[0]
        name = _text(key, source).strip("'") if key.type in ("identifier", "string") else _text(key, source)
        value = prop.children[-1]
        out[name] = value
    return out


@dataclass(frozen=True)
class Resource:
    symbol: str
    type: str
    body: dict[str, Any]  # top-level keys of the resource body
    line: int


def _resources(source: bytes, parser: Any) -> Iterator[Resource]:
    tree = parser.parse(source)
    for decl in (n for n in _walk(tree.root_node) if n.type == "resource_declaration"):
        symbol = decl.children[1]
        type_node = next((c for c in decl.children if c.type == "string"), None)
        body = _first(decl, "object")
        if type_node is None or body is None:
            continue
        yield Resource(
            symbol=_text(symbol, source),
            type=_text(type_node, source).strip("'"),
            body=_properties(body, source),
            line=decl.start_point[0] + 1,
        )


def _object_keys(node: Any, source: bytes) -> list[str] | None:
    return list(_properties(node, source)) if node.type == "object" else None


def flex_site_config_problems(paths: Sequence[Path], allowed: frozenset[str] = FLEX_SITE_CONFIG_ALLOWED) -> list[str]:
    parser = _parser()
    problems: list[str] = []
    for path in paths:
        source = path.read_bytes()
        for res in _resources(source, parser):
            base = res.type.split("@", 1)[0]
            where = f"{_shown(path)}:{res.line} resource {res.symbol}"
            if base == "Microsoft.Web/sites":
                props = res.body.get("properties")
                if props is None or props.type != "object":
                    continue
                inner = _properties(props, source)
                if "functionAppConfig" not in inner or "siteConfig" not in inner:
                    continue
                keys = _object_keys(inner["siteConfig"], source)
                if keys is None:
                    problems.append(f"{where}: siteConfig of a Flex Consumption site must be an object literal")
                    continue
                problems += [
                    f"{where}: siteConfig.{k} is not accepted on Flex Consumption sites (allowed: "
                    f"{', '.join(sorted(allowed))}; Azure error 51021)"
                    for k in keys
                    if k not in allowed
                ]
            elif base == "Microsoft.Web/sites/config":
                name = res.body.get("name")
                props = res.body.get("properties")
                if name is None or _text(name, source).strip("'") != "web" or props is None:
                    continue
                keys = _object_keys(props, source)
                if keys is None:
                    problems.append(f"{where}: the web config must be an object literal")
                    continue
                problems += [
                    f"{where}: web config property {k} is not accepted on Flex Consumption sites"
                    for k in keys
                    if k not in allowed
                ]
    return problems


# ---- 2. Workflow variables


def _without_comment(line: str) -> str:
    """The line up to a // comment that is outside a string ('api://...' is not a comment)."""
    in_string = False
    for i, ch in enumerate(line):
        if ch == "'":
            in_string = not in_string
        elif not in_string and line.startswith("//", i):
            return line[:i]
    return line


@dataclass(frozen=True)
class EnvRead:
    name: str
    default: str | None  # None: no default (required)
    boolean: bool
    file: str


def environment_reads(param_files: Sequence[Path]) -> list[EnvRead]:
    reads: list[EnvRead] = []
    for path in param_files:
        text = "\n".join(_without_comment(line) for line in path.read_text(encoding="utf-8").splitlines())
        for m in _READ_ENV.finditer(text):
            reads.append(EnvRead(m.group("name"), m.group("default"), m.group("bool") is not None, path.name))
    return reads


def _deploy_job(flow: dict[str, Any]) -> dict[str, Any]:
    jobs = flow.get("jobs") or {}
    job = jobs.get("deploy")
    if not isinstance(job, dict):
        raise ValueError("the workflow has no `deploy` job")
    return job


def _early_check(job: dict[str, Any]) -> tuple[set[str], set[str]]:
    """REQUIRED and BOOLEANS of the deploy job's step that checks the variables before anything else."""
    for step in job.get("steps") or []:
        env = step.get("env") or {}
        if "REQUIRED" in env:
            return set(str(env["REQUIRED"]).split()), set(str(env.get("BOOLEANS", "")).split())
    return set(), set()


def workflow_variable_problems(workflow: Path, param_files: Sequence[Path]) -> list[str]:
    flow = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    job = _deploy_job(flow)
    env = {str(k): str(v) for k, v in (job.get("env") or {}).items()}
    required, booleans = _early_check(job)
    problems: list[str] = []
    where = _shown(workflow)
    if not required:
        problems.append(f"{where}: no step of the deploy job lists REQUIRED variables to fail early on")
    defaults: dict[str, set[str | None]] = {}
    for read in environment_reads(param_files):
        defaults.setdefault(read.name, set()).add(read.default)
        if read.boolean and read.name not in booleans:
            problems.append(f"{where}: {read.name} is read with bool() by {read.file}; list it in BOOLEANS")
    for name, seen in sorted(defaults.items()):
        if len(seen) > 1:
            problems.append(f"{name}: the parameter files give it different defaults {sorted(map(str, seen))}")
            continue
        default = next(iter(seen))
        raw = env.get(name)
        if raw is None:
            problems.append(f"{where}: {name} is read by a parameter file but is not in the deploy job's env")
            continue
        m = _WORKFLOW_VALUE.match(raw.strip())
        if m is None or m.group("name") != name:
            problems.append(f"{where}: env {name} must be ${{{{ vars.{name} ... }}}} or secrets.{name}, not {raw!r}")
            continue
        given = m.group("default")
        if default is None:
            if name not in required:
                problems.append(f"{where}: {name} has no default; list it in REQUIRED so that the run fails early")
        elif given is None and default != "":
            problems.append(
                f"{where}: an undefined {m.group('source')}.{name} becomes '' and readEnvironmentVariable returns "
                f"'' instead of its default: write ${{{{ {m.group('source')}.{name} || '{default}' }}}}"
            )
        elif given is not None and given != default:
            problems.append(f"{where}: {name} defaults to {given!r} here but to {default!r} in the parameter files")
    return problems


# ---- 3. azd hooks


def azd_hook_problems(azure_yaml: Path = AZURE_YAML, parameters: Path = AZD_PARAMETERS) -> list[str]:
    spec = yaml.safe_load(azure_yaml.read_text(encoding="utf-8"))
    hook = (spec.get("hooks") or {}).get("preprovision")
    where = _shown(azure_yaml)
    if not isinstance(hook, dict):
        return [f"{where}: no preprovision hook (required secrets and values are asked for there)"]
    posix = hook.get("posix", hook)
    run = posix.get("run") if isinstance(posix, dict) else None
    if not run or posix.get("shell") != "sh":
        return [f"{where}: the preprovision hook must run a POSIX shell script (shell: sh, run: <path>)"]
    script = (azure_yaml.parent / str(run)).resolve()
    if not script.is_file():
        return [f"{where}: preprovision script {run} does not exist"]
    problems: list[str] = []
    if not os.access(script, os.X_OK):
        problems.append(f"{_shown(script)}: not executable (git update-index --chmod=+x)")
    text = script.read_text(encoding="utf-8")
    entries = json.loads(parameters.read_text(encoding="utf-8"))["parameters"]
    for param, entry in entries.items():
        m = re.fullmatch(r"\$\{([A-Z0-9_]+)\}", str(entry.get("value", "")))
        if m and m.group(1) not in AZD_OWN_VALUES and not re.search(rf"\b{m.group(1)}\b", text):
            problems.append(f"{_shown(script)}: does not check {m.group(1)} (parameter {param} has no default)")
    if "INDUSTRACK_TOKEN_SIGNING_KEY" not in text:
        problems.append(f"{_shown(script)}: does not provide the token signing key on a first provision")
    return problems


# ----


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    del argv
    bicep = sorted(INFRA.rglob("*.bicep"))
    params = sorted((INFRA / "params").glob("*.bicepparam"))
    checks = {
        "Flex site config": flex_site_config_problems(bicep),
        "workflow variables": workflow_variable_problems(WORKFLOW, params),
        "azd hooks": azd_hook_problems(),
    }
    total = 0
    for name, problems in checks.items():
        for problem in problems:
            print(f"{name}: {problem}")
        total += len(problems)
    print(
        f"deploy checks: {len(bicep)} Bicep files, {len(params)} parameter files, {_shown(WORKFLOW)}, "
        f"{_shown(AZURE_YAML)}: {total} problems"
    )
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
