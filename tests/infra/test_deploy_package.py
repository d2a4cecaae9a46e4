"""The function app's deployment package (scripts/deploy_package.py), which the workflow and azd deploy instead of the
repository filtered by .funcignore (`respect-funcignore` is reported broken for Flex Python deploys,
Azure/functions-action#266): built here, it holds what the app reads at run time and nothing of the development
tree, and function_app imports from it alone."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scripts import deploy_package
from tests.infra.bicep_text import ROOT

NEVER_SHIPPED = (
    "tests",
    "docs",
    "portal",
    "bench",
    ".local",
    "devhost",
    "scripts",
    "infra",
    "tools",
    ".github",
    ".venv",
    "node_modules",
    "local.settings.json",
    "local.settings.sample.json",
    "package.json",
    "Makefile",
    "README.md",
    "requirements-dev.txt",
    "pyproject.toml",
)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("package")
    out, archive = base / "api", base / "api.zip"
    done = subprocess.run(
        [sys.executable, "-m", "scripts.deploy_package", "--out", str(out), "--zip", str(archive)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return out, archive


def files_in(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_the_package_holds_what_the_app_reads_at_run_time(package: tuple[Path, Path]) -> None:
    out, _ = package
    files = files_in(out)
    for needed in ("function_app.py", "host.json", "requirements.txt", "policy/privacy-policy-2023-06-15.md"):
        assert needed in files, needed
    tracked = subprocess.run(
        ["git", "ls-files", "core", "functions", "policy"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked and set(tracked) <= files, sorted(set(tracked) - files)[:5]
    assert any(f.startswith("core/templates/") and f.endswith(".html") for f in files), "the e-mail templates"


def test_nothing_of_the_development_tree_is_shipped(package: tuple[Path, Path]) -> None:
    out, archive = package
    tops = {f.split("/", 1)[0] for f in files_in(out)}
    assert tops == {"function_app.py", "host.json", "requirements.txt", "core", "functions", "policy"}, tops
    for name in NEVER_SHIPPED:
        assert not (out / name).exists(), name
    for f in files_in(out):
        assert "__pycache__" not in f and not f.endswith((".pyc", ".pem", ".key")) and "/.env" not in f, f
    with zipfile.ZipFile(archive) as zf:
        assert set(zf.namelist()) == files_in(out)


def test_function_app_imports_from_the_package_alone(package: tuple[Path, Path]) -> None:
    """A fresh interpreter in the package folder: every project module function_app loads comes from the package (a
    module the package lacks would be found nowhere, or would show up from elsewhere)."""
    out, _ = package
    code = (
        "import json, sys, function_app\n"
        "root = sys.argv[1]\n"
        "mods = {n: getattr(m, '__file__', None) or '' for n, m in list(sys.modules.items())}\n"
        "own = {n: f for n, f in mods.items() if n.split('.')[0] in ('core', 'functions', 'function_app')}\n"
        "print(json.dumps({'own': own, 'outside': sorted(n for n, f in own.items() if not f.startswith(root))}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, '.'); exec({code!r})", str(out)],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert "function_app" in report["own"] and len(report["own"]) > 20
    assert report["outside"] == [], report["outside"]


def test_the_zip_is_the_same_for_the_same_sources(package: tuple[Path, Path], tmp_path: Path) -> None:
    _, archive = package
    again = tmp_path / "again.zip"
    deploy_package.build(tmp_path / "api", zip_path=again)
    assert again.read_bytes() == archive.read_bytes()


@pytest.mark.parametrize("target", [".", "core/package", "functions"])
def test_the_package_is_never_written_over_the_sources(target: str) -> None:
    with pytest.raises(ValueError, match="inside the sources"):
        deploy_package.build(ROOT / target)


def test_a_stray_cache_or_key_inside_a_package_folder_is_left_out(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for name in deploy_package.PACKAGE_FILES:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text("x")
    for folder in deploy_package.PACKAGE_FOLDERS:
        (src / folder / "__pycache__").mkdir(parents=True)
        (src / folder / "mod.py").write_text("x")
        (src / folder / "__pycache__" / "mod.cpython-311.pyc").write_text("x")
        (src / folder / "signing.pem").write_text("x")
    files = {p.as_posix() for p in deploy_package.package_files(src)}
    assert files == {*deploy_package.PACKAGE_FILES, *(f"{f}/mod.py" for f in deploy_package.PACKAGE_FOLDERS)}
