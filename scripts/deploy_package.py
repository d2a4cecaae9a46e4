"""Build the function app's deployment package: a clean folder (and optionally a zip) holding only what the app
needs at run time, instead of publishing the repository filtered by .funcignore (`respect-funcignore` is reported
broken for Flex Consumption Python deploys, Azure/functions-action#266, which would ship tests, docs and the portal
sources; azd's own packaging does not read .funcignore from a dist folder either).

    python -m scripts.deploy_package --out .local/package/api [--zip .local/package/api.zip]

Standard library only (the GitHub workflow runs it before installing anything). What goes in:
- PACKAGE_FILES: function_app.py (the entry point), host.json (host configuration), requirements.txt (Flex builds
  the dependencies remotely from it);
- PACKAGE_FOLDERS: core/ (domain, services, adapters, composition root, and core/templates: the e-mail templates
  that core/adapters/email_templates.py reads), functions/ (the triggers), policy/ (the privacy policy text that
  core/services/policy.py seeds).
Left out inside those folders: caches, compiled files and anything that looks like a key or local environment.
tests/infra/test_deploy_package.py builds it and imports function_app from it alone.
"""

from __future__ import annotations

import argparse
import fnmatch
import shutil
import sys
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_FILES = ("function_app.py", "host.json", "requirements.txt")
PACKAGE_FOLDERS = ("core", "functions", "policy")
EXCLUDED = (
    "__pycache__",
    "*.pyc",
    "*.pyo",
    ".DS_Store",
    "*.pem",
    "*.key",
    ".env",
    ".env.*",
    "local.settings.json",
)
# A fixed timestamp for every zip entry (the earliest a zip can hold): the same sources give the same zip.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


def _excluded(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in EXCLUDED)


def package_files(root: Path = ROOT) -> Iterator[Path]:
    """Every file of the package, relative to `root`, in a stable order."""
    for name in PACKAGE_FILES:
        path = root / name
        if not path.is_file():
            raise FileNotFoundError(f"{name} is missing: the package cannot be built without it")
        yield Path(name)
    for folder in PACKAGE_FOLDERS:
        base = root / folder
        if not base.is_dir():
            raise FileNotFoundError(f"{folder}/ is missing: the package cannot be built without it")
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(root)
            if path.is_dir() or any(_excluded(part) for part in rel.parts):
                continue
            yield rel


def build(out: Path, root: Path = ROOT, zip_path: Path | None = None) -> list[Path]:
    """Write the package into `out` (emptied first) and, when asked, the same files into `zip_path`."""
    out = out.resolve()
    inside_sources = any(out.is_relative_to((root / folder).resolve()) for folder in PACKAGE_FOLDERS)
    if root.resolve().is_relative_to(out) or inside_sources:
        raise ValueError(f"refusing to write the package into {out}: it holds or is inside the sources")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    files = list(package_files(root))
    for rel in files:
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / rel, target)
    if zip_path is not None:
        zip_path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for rel in files:
                info = zipfile.ZipInfo(rel.as_posix(), date_time=ZIP_TIMESTAMP)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, (root / rel).read_bytes())
    return files


def main(argv: Sequence[str] | None = None) -> int:
    cli = argparse.ArgumentParser(description="Build the function app's deployment package (a clean folder).")
    cli.add_argument("--out", type=Path, required=True, help="folder to write (emptied first)")
    cli.add_argument("--zip", type=Path, default=None, help="also write the package as this zip file")
    args = cli.parse_args(argv)
    files = build(args.out, zip_path=args.zip)
    size = sum((ROOT / f).stat().st_size for f in files)
    print(
        f"function app package: {len(files)} files, {size / 1024:.0f} KiB in {args.out}"
        + (f" and {args.zip}" if args.zip else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
