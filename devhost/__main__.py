from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from devhost.config import load_settings_file
from devhost.server import serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devhost", description="Local Azure Functions host")
    parser.add_argument("--port", type=int, default=int(os.environ.get("FUNCTIONS_HTTP_PORT", "7071")))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--settings", default="local.settings.json")
    parser.add_argument("--app", default="function_app")
    parser.add_argument(
        "--log-file", default=None, help="also append the log to this file (make run: .local/logs/devhost.log)"
    )
    args = parser.parse_args()
    root = Path.cwd()
    load_settings_file(root / args.settings)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if args.log_file:
        log_file = Path(args.log_file)
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", handlers=handlers)
    logging.getLogger("azure").setLevel(logging.WARNING)
    sys.path.insert(0, str(root))
    asyncio.run(serve(args.app, root, args.host, args.port))


if __name__ == "__main__":
    main()
