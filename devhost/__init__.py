"""A small local stand-in for the Azure Functions host (Core Tools cannot be installed here).

It loads `function_app.app` and serves its HTTP, queue and timer triggers with the real host's semantics.
Nothing in `functions/` or `core/` imports this package.
"""
