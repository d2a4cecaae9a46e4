from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from devhost.server import load_settings_file, serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devhost", description="Local Azure Functions host")
    parser.add_argument("--port", type=int, default=int(os.environ.get("FUNCTIONS_HTTP_PORT", "7071")))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--settings", default="local.settings.json")
    parser.add_argument("--app", default="function_app")
    args = parser.parse_args()
    root = Path.cwd()
    load_settings_file(root / args.settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s",
                        stream=sys.stderr)
    logging.getLogger("azure").setLevel(logging.WARNING)
    sys.path.insert(0, str(root))
    asyncio.run(serve(args.app, root, args.host, args.port))


if __name__ == "__main__":
    main()
