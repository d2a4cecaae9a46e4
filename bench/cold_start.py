"""Cold start of the app's Python worker: CPU time and resident memory from an empty interpreter to a first answer.

    .venv/bin/python -m bench.cold_start [--runs 3]

Each run is a fresh child process with the sample settings (local.settings.sample.json), a scratch Cosmos DB
database and a scratch account-events queue (dropped afterwards), that notes, after each
stage, its CPU time (user + system) and resident memory: the interpreter started; `import function_app` (every
area's triggers registered and the settings read, as the Functions worker does when an instance starts); the Azure
Monitor distro configured (as in Azure, where APPLICATIONINSIGHTS_CONNECTION_STRING is set; here it points at a
closed local port, nothing is sent); a first request, GET /api/health, served through the registered trigger (the
composition root builds the Cosmos DB and queue clients and reads each once, on the local emulators). Printed per stage: CPU seconds (median of the runs, and the stage's own share),
resident MB, and the CPU time at 0.25 cores (Flex Consumption's 512 MB instance: about 4 times as long, if the
instance's CPU share is all the worker gets). The .NET Functions host, which starts before the worker, is not
measured here (Core Tools cannot be installed on this machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess  # nosec B404 - the benchmark's own child processes
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("interpreter", "import function_app", "Azure Monitor distro", "first request (GET /api/health)")


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _cpu() -> float:
    return time.process_time()


def child() -> None:
    marks = [(_cpu(), _rss_mb())]
    import function_app

    marks.append((_cpu(), _rss_mb()))
    from core.adapters import telemetry

    telemetry.ensure_azure_monitor()
    marks.append((_cpu(), _rss_mb()))
    import azure.functions as func

    handlers = {str(f.get_function_name()): f.get_user_function() for f in function_app.app.get_functions()}
    request = func.HttpRequest(method="GET", url="http://localhost/api/health", headers={}, params={}, body=b"")
    response = handlers["health"](request)
    marks.append((_cpu(), _rss_mb()))
    print(json.dumps({"marks": marks, "status": response.status_code}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    from bench.lib.stack import scratch_database
    from core.adapters.queues import build_queue_service

    settings, client, _ = scratch_database("cold")  # sets COSMOS_DATABASE and the sample settings in os.environ
    queues = build_queue_service(settings)
    events = f"{settings.cosmos_database}-events"
    queues.create_queue(events)
    env = dict(os.environ)
    env["QUEUE_ACCOUNT_EVENTS"] = events
    env["APPLICATIONINSIGHTS_CONNECTION_STRING"] = (
        "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/"
    )
    runs = []
    try:
        for _ in range(args.runs):
            done = subprocess.run(  # nosec B603 - this interpreter and module, arguments built here
                [sys.executable, "-m", "bench.cold_start", "--child"],
                check=True,
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
            )
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        queues.delete_queue(events)  # only this scratch queue and database
        client.delete_database(settings.cosmos_database)
    print(f"{args.runs} fresh processes; first request answered {sorted({r['status'] for r in runs})}")
    print(f"{'stage':<34} {'CPU s (total)':>13} {'stage s':>8} {'at 0.25 cores':>13} {'RSS MB':>7}")
    previous = 0.0
    for index, stage in enumerate(STAGES):
        cpu = statistics.median(r["marks"][index][0] for r in runs)
        rss = statistics.median(r["marks"][index][1] for r in runs)
        print(f"{stage:<34} {cpu:>13.2f} {cpu - previous:>8.2f} {cpu * 4:>11.1f} s {rss:>7.0f}")
        previous = cpu


if __name__ == "__main__":
    main()
