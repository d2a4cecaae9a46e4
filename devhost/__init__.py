"""A small local stand-in for the Azure Functions host (Core Tools cannot be installed here).

It loads `function_app.app` and serves its HTTP, queue and timer triggers with the real host's semantics.
Nothing in `functions/` or `core/` imports this package. `AzureWebJobs.<function>.Disabled=true` turns a function
off as on the real host; `DEVHOST_FAULT_KILL_BEFORE_DELETE=N` (tests only) makes the host SIGKILL itself after its
N-th successful queue invocation, before deleting that message (see devhost/faults.py).
"""
