from __future__ import annotations

import json
from pathlib import Path

from scripts.local_settings import sync


def test_sync_creates_then_only_adds_missing_settings(tmp_path: Path) -> None:
    sample, local = tmp_path / "sample.json", tmp_path / "local.json"
    sample.write_text(json.dumps({"Values": {"A": "1", "B": "2"}}))
    assert sync(sample, local) == ["A", "B"]
    data = json.loads(local.read_text())
    data["Values"]["A"] = "mine"
    local.write_text(json.dumps(data))
    sample.write_text(json.dumps({"Values": {"A": "1", "B": "2", "C": "3"}}))
    assert sync(sample, local) == ["C"]
    assert json.loads(local.read_text())["Values"] == {"A": "mine", "B": "2", "C": "3"}
    assert sync(sample, local) == []
