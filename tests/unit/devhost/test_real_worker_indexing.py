"""Real-host fidelity: the Azure Functions Python language worker's own indexing code (azure-functions-runtime's
handle_event.load_function_metadata -> loader.index_function_app -> Registry.add_indexed_function) accepts every
function of function_app.app, as it does when the host starts the app in Azure. Only the gRPC message classes are
stood in for (the host's protobufs); everything the worker validates (binding directions, parameter names and
annotations against the bindings, return types, duplicate names) runs unchanged.

The package is installed from requirements-worker.txt with --no-deps --ignore-requires-python (it declares Python
3.13+, the worker generation that ships it; its indexing code runs on 3.11). docs/deployment-fidelity.md lists what
the local host and this test do not cover."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import azure.functions as func
import pytest

from tests.infra.bicep_text import ROOT

try:
    import azure_functions_runtime  # noqa: F401 - installed by make install from requirements-worker.txt
except ImportError as exc:  # a clear failure, not a skip: the check must run wherever the suite runs
    raise ImportError("azure-functions-runtime is missing: run `make install` (requirements-worker.txt)") from exc

# Runs in a fresh interpreter, as the worker process does: it imports function_app itself (a second
# FunctionApp.get_functions() in one process registers the blueprints twice).
WORKER = r"""
import json, sys
from types import SimpleNamespace
from azure_functions_runtime import handle_event
from azure_functions_runtime.bindings import meta

class BindingInfo:
    in_, out, inout, undefined = 0, 1, 2, 3
    def __init__(self, **fields):
        self.__dict__.update(fields)

class Protos:
    BindingInfo = BindingInfo
    RpcFunctionMetadata = staticmethod(lambda **fields: SimpleNamespace(**fields))
    RpcRetryOptions = staticmethod(lambda **fields: SimpleNamespace(**fields))

handle_event.protos = Protos
meta.load_binding_registry()
handle_event.load_function_metadata(sys.argv[1], caller_info="test")
result = handle_event._metadata_result
metadata = result[0] if isinstance(result, tuple) else result
registry = handle_event._functions
out = []
for m in metadata:
    info = registry.get_function(m.function_id)
    out.append({"name": m.name, "registered": info is not None and info.name == m.name,
                "http": bool(info and info.is_http_func), "script": m.script_file, "language": m.language,
                "raw": [json.loads(b) for b in m.raw_bindings]})
from functions._http import ENDPOINTS
import function_app
areas = {id(m): m for m in vars(function_app).values() if hasattr(m, "bp")}.values()
declared = [fb._function.get_function_name() for area in areas for fb in area.bp._function_builders]
print(json.dumps({"functions": out, "routes": {e.name: e.route for e in ENDPOINTS}, "declared": declared}))
"""


class BindingInfo:
    """Stands in for protos.BindingInfo: the direction constants and the message's fields."""

    in_, out, inout, undefined = 0, 1, 2, 3

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


class Protos:
    BindingInfo = BindingInfo

    @staticmethod
    def RpcFunctionMetadata(**fields: Any) -> SimpleNamespace:  # noqa: N802 - the protobuf message's name
        return SimpleNamespace(**fields)


@pytest.fixture(scope="module")
def indexed() -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(ROOT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, f"the worker refused the app:\n{done.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_worker_indexes_every_function_of_the_app(indexed: dict[str, Any]) -> None:
    names = [f["name"] for f in indexed["functions"]]
    assert len(names) == len(set(names)), "two functions share a name"
    assert sorted(names) == sorted(indexed["declared"]) and len(names) > 50
    for f in indexed["functions"]:
        assert f["registered"], f["name"]
        assert f["script"].endswith(".py") and f["language"] == "python", f["name"]


def test_http_triggers_are_recognised_with_their_routes_and_queue_triggers_with_their_settings(
    indexed: dict[str, Any],
) -> None:
    routes = indexed["routes"]
    kinds: dict[str, int] = {}
    for f in indexed["functions"]:
        trigger = next(b for b in f["raw"] if b["type"].endswith("Trigger"))
        kinds[trigger["type"]] = kinds.get(trigger["type"], 0) + 1
        if trigger["type"] == "httpTrigger":
            assert f["http"], f["name"]
            expected = routes.get(f["name"], "{*path}")  # unknown_route, cors_preflight: catch-alls outside endpoint()
            assert trigger["route"] == expected and trigger["authLevel"] == "ANONYMOUS", f["name"]
        elif trigger["type"] == "queueTrigger":
            assert trigger["queueName"].startswith("%") and trigger["connection"] == "AzureWebJobsStorage", f["name"]
        else:
            assert trigger["type"] == "timerTrigger", f["name"]
    assert set(kinds) == {"httpTrigger", "queueTrigger", "timerTrigger"}, kinds
    assert kinds["httpTrigger"] == len(routes) + 2


bad_app = func.FunctionApp()


@bad_app.queue_trigger(arg_name="msg", queue_name="q", connection="AzureWebJobsStorage")
def misnamed(message: func.QueueMessage) -> None:  # the binding says `msg`
    return None


def test_the_worker_refuses_what_the_real_host_would_refuse() -> None:
    """The check can fail: a queue function whose parameter is not named like its binding is refused."""
    from azure_functions_runtime.bindings import meta
    from azure_functions_runtime.functions import Registry

    meta.load_binding_registry()
    with pytest.raises(Exception, match=r"msg|message"):
        Registry().add_indexed_function(function=bad_app.get_functions()[0], protos=Protos)
