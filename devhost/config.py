"""The local host's configuration: App Settings, host.json and its overrides, as the real host reads them."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SETTING = re.compile(r"%([A-Za-z0-9_]+)%")


def resolve_setting_expressions(value: str) -> str:
    """%NAME% binding expressions, resolved from App Settings (the environment) as the real host does."""

    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in os.environ:
            raise KeyError(f"app setting {name} is not set (binding expression %{name}%)")
        return os.environ[name]

    return _SETTING.sub(repl, value)


def _duration(text: str, default: float) -> float:
    if not text:
        return default
    h, m, s = text.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def apply_host_overrides(host: dict[str, Any]) -> dict[str, Any]:
    """App settings named AzureFunctionsJobHost__a__b override host.json's a.b, as on the real host."""
    prefix = "AzureFunctionsJobHost__"
    for key, value in os.environ.items():
        if not key.startswith(prefix):
            continue
        path = key[len(prefix) :].split("__")
        node = host
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return host


@dataclass
class QueueOptions:
    batch_size: int = 16
    new_batch_threshold: int = 8
    max_dequeue_count: int = 5
    visibility_timeout: float = 0.0
    max_polling_interval: float = 2.0
    function_timeout: float = 600.0
    lease_seconds: int = 600  # how long a received message stays invisible; renewed while its function runs

    @classmethod
    def from_host_json(cls, host: dict[str, Any]) -> QueueOptions:
        q = host.get("extensions", {}).get("queues", {})
        batch = int(q.get("batchSize", 16))
        return cls(
            batch_size=batch,
            new_batch_threshold=int(q.get("newBatchThreshold", batch // 2)),
            max_dequeue_count=int(q.get("maxDequeueCount", 5)),
            visibility_timeout=_duration(q.get("visibilityTimeout", ""), 0.0),
            max_polling_interval=_duration(q.get("maxPollingInterval", ""), 60.0),
            function_timeout=_duration(host.get("functionTimeout", ""), 600.0),
            lease_seconds=int(os.environ.get("DEVHOST_QUEUE_LEASE_SECONDS", "600")),
        )


def function_disabled(name: str) -> bool:
    """`AzureWebJobs.<name>.Disabled` set to true/1 in App Settings disables a function, as on the real host."""
    return os.environ.get(f"AzureWebJobs.{name}.Disabled", "").strip().lower() in ("true", "1")


def load_settings_file(path: Path) -> None:
    """Put local.settings.json Values into the environment; values already in the environment win."""
    if not path.exists():
        return
    values = json.loads(path.read_text()).get("Values", {})
    for key, value in values.items():
        os.environ.setdefault(key, str(value))
