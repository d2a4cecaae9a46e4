"""Where the session's portal is served, and the settings that point the session's host at it.

The stack fixture applies these before the host starts, whether or not browser tests run, so every test sees the
same invitation links (the portal's join page) and the same CORS origins."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


PORTAL_PORT = _free_port()
PORTAL_URL = f"http://127.0.0.1:{PORTAL_PORT}"


def _configured_origins() -> str:
    """PORTAL_ORIGINS as the stack would read it: the environment, else local.settings.json, else the default."""
    from core.settings import Settings

    if os.environ.get("PORTAL_ORIGINS"):
        return os.environ["PORTAL_ORIGINS"]
    path = ROOT / "local.settings.json"
    if path.exists() and json.loads(path.read_text()).get("Values", {}).get("PORTAL_ORIGINS"):
        return str(json.loads(path.read_text())["Values"]["PORTAL_ORIGINS"])
    return str(Settings.model_fields["portal_origins"].default)


def apply_to_environment() -> None:
    """The test portal first among the allowed origins, and e-mailed web links (joining) pointing at it."""
    origins = [PORTAL_URL, *(o for o in _configured_origins().split(",") if o and o != PORTAL_URL)]
    os.environ["PORTAL_ORIGINS"] = ",".join(origins)
    os.environ["PORTAL_BASE_URL"] = PORTAL_URL
