"""Create local.settings.json from the sample, or add to it the settings the sample gained since (never overwrites)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sync(sample_path: Path, local_path: Path) -> list[str]:
    sample = json.loads(sample_path.read_text())
    if not local_path.exists():
        local_path.write_text(json.dumps(sample, indent=2) + "\n")
        return list(sample.get("Values", {}))
    local = json.loads(local_path.read_text())
    values = local.setdefault("Values", {})
    added = [k for k in sample.get("Values", {}) if k not in values]
    for key in added:
        values[key] = sample["Values"][key]
    if added:
        local_path.write_text(json.dumps(local, indent=2) + "\n")
    return added


def main() -> int:
    existed = (ROOT / "local.settings.json").exists()
    added = sync(ROOT / "local.settings.sample.json", ROOT / "local.settings.json")
    if not existed:
        print("  created local.settings.json from the sample")
    elif added:
        print(f"  local.settings.json: added new settings from the sample: {', '.join(added)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
