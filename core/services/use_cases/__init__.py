"""The use cases as the triggers call them, one object per product area.

Each object is a frozen dataclass holding the ports and settings its area needs, built once per process by the
composition root (`core.bootstrap.Container.use_cases`). A method takes only the request's own input (who calls,
route values, the parsed body or query) and calls the area's service functions with the ports filled in, so a
trigger in `functions/` parses, calls one method and maps the answer. Unit tests build these objects (or the whole
root, `core.bootstrap.root_with`) from in-memory fakes of the ports.
"""
