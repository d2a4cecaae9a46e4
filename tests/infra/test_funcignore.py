""".funcignore keeps secrets, environments and development files out of the published package, and keeps everything
the function app needs at run time in it. Matched with gitignore semantics (pathspec), as Core Tools does."""

from __future__ import annotations

import json
import subprocess
import sys

import pathspec
import pytest

from tests.infra.bicep_text import ROOT

FUNCIGNORE = ROOT / ".funcignore"


def spec() -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(FUNCIGNORE.read_text(encoding="utf-8").splitlines())


def published(paths: list[str]) -> set[str]:
    ignored = spec()
    return {p for p in paths if not ignored.match_file(p)}


def repo_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in out.splitlines() if line]


@pytest.mark.parametrize(
    "path",
    [
        ".local/dev-issuer/key.pem",
        ".local/dev-issuer/jwks.json",
        ".local/azurite/__azurite_db_queue__.json",
        ".local/mail/new/1.eml",
        "local.settings.json",
        ".venv/lib/python3.11/site-packages/stripe/__init__.py",
        ".venv/bin/python",
        "node_modules/azurite/package.json",
        "tests/integration/conftest.py",
        "devhost/__main__.py",
        "scripts/dev_issuer.py",
        "infra/main.bicep",
        "portal/src/App.tsx",
        "core/__pycache__/settings.cpython-311.pyc",
        ".git/config",
        ".github/workflows/deploy.yml",
        "requirements-dev.txt",
        "README.md",
    ],
)
def test_secrets_environments_and_development_files_are_not_published(path: str) -> None:
    assert spec().match_file(path), f"{path} would be uploaded by a publish"


def test_the_development_issuer_key_in_this_checkout_is_not_published() -> None:
    keys = [str(p.relative_to(ROOT)) for p in (ROOT / ".local").rglob("*") if p.is_file() and p.suffix == ".pem"]
    for key in keys:
        assert spec().match_file(key), key


def test_what_the_app_needs_at_run_time_is_published() -> None:
    files = published(repo_files())
    for needed in ("function_app.py", "host.json", "requirements.txt", "policy/privacy-policy-2023-06-15.md"):
        assert needed in files, needed
    for folder in ("functions", "core", "core/templates"):
        tracked = [f for f in repo_files() if f.startswith(folder + "/") and "__pycache__" not in f]
        assert tracked and set(tracked) <= files, f"{folder}: {sorted(set(tracked) - files)[:5]} not published"


def test_every_module_the_function_app_imports_is_published() -> None:
    """Import function_app in a fresh interpreter and list the project files it loaded."""
    code = (
        "import json, sys, function_app\n"
        "root = sys.argv[1]\n"
        "files = sorted({m.__file__ for m in list(sys.modules.values())\n"
        "                if getattr(m, '__file__', None) and m.__file__.startswith(root + '/')\n"
        "                and '/.venv/' not in m.__file__})\n"
        "print(json.dumps([f[len(root) + 1:] for f in files]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT)], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    ).stdout
    loaded = json.loads(out.splitlines()[-1])
    assert "function_app.py" in loaded and any(f.startswith("core/") for f in loaded)
    missing = [f for f in loaded if spec().match_file(f)]
    assert not missing, f"imported at startup but excluded from the package: {missing}"


def test_a_key_anywhere_is_caught_by_the_pattern_not_by_luck() -> None:
    ignored = spec()
    assert ignored.match_file("some/dir/signing.pem") and ignored.match_file("some/.env")
    assert not ignored.match_file("core/settings.py")
