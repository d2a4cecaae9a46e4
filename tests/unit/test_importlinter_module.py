"""The `forbidden_module` import-linter contract (tools/importlinter_module.py) that keeps function_app.py off the
adapters: run by lint-imports on a small tree of its own, it reports a module file's direct and lazy imports of a
forbidden package, follows chains through the package, honours ignore_imports, and keeps a clean file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

CONFIG = """
[importlinter]
root_packages =
    pkg
contract_types =
    forbidden_module: tools.importlinter_module.ForbiddenFromModuleContract

[importlinter:contract:app]
name = app reaches pkg.adapters only through pkg.root
type = forbidden_module
source_modules =
    app
forbidden_modules =
    pkg.adapters
ignore_imports =
    pkg.root -> pkg.adapters
"""


def _lint(tmp_path: Path, app: str) -> subprocess.CompletedProcess[str]:
    package = tmp_path / "pkg"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "adapters.py").write_text("VALUE = 1\n")
    (package / "root.py").write_text("from pkg import adapters\n")
    (package / "views.py").write_text("from pkg import adapters\n")
    (tmp_path / "app.py").write_text(app)
    (tmp_path / ".importlinter").write_text(CONFIG)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tmp_path / ".importlinter")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="lint-imports is not installed next to this interpreter")
def test_a_module_file_that_reaches_the_adapters_only_through_the_root_is_kept(tmp_path: Path) -> None:
    done = _lint(tmp_path, "import os\n\nfrom pkg.root import adapters\n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="lint-imports is not installed next to this interpreter")
@pytest.mark.parametrize(
    ("app", "chain"),
    [
        ("from pkg.adapters import VALUE\n", "app -> pkg.adapters (l.1)"),
        ("import os\n\n\ndef later() -> None:\n    import pkg.adapters\n", "app -> pkg.adapters (l.5)"),
        ("from pkg import views\n", "app -> pkg.views (l.1)"),
    ],
    ids=["direct", "lazy", "through-another-module"],
)
def test_a_module_file_that_reaches_the_adapters_otherwise_breaks_the_contract(
    tmp_path: Path, app: str, chain: str
) -> None:
    done = _lint(tmp_path, app)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "app is not allowed to import pkg.adapters" in done.stdout
    assert chain in done.stdout
