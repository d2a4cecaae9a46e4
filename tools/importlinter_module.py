"""An import-linter contract type for a top-level module file, such as function_app.py.

import-linter builds its graph from `root_packages`, and a root must be a package: function_app.py is a single file
(the Functions runtime loads it by that name), so it never is in the graph. `forbidden_module` is the `forbidden`
contract with one step before the check: each source module's own imports, read from its file, are added to the
graph (a copy per contract), so the usual direct and indirect chains start from it. Its targets are the graph's
modules (an external one squashed to its package, as import-linter does); `ignore_imports` work as in `forbidden`.

Declared in pyproject.toml:

    [tool.importlinter]
    contract_types = ["forbidden_module: tools.importlinter_module.ForbiddenFromModuleContract"]
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from grimp import ImportGraph
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.domain.contract import ContractCheck


class ForbiddenFromModuleContract(ForbiddenContract):
    """`forbidden`, whose source modules may be top-level module files outside `root_packages`."""

    type_name = "forbidden_module"

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        for expression in self.source_modules:  # type: ignore[attr-defined]  # a SetField: the parsed ModuleExpressions at run time
            add_module_file(graph, str(expression))
        return super().check(graph, verbose)


def add_module_file(graph: ImportGraph, module: str) -> None:
    """Put `module` in the graph with an import of each module its file imports (lazy imports included)."""
    spec = importlib.util.find_spec(module)  # locates the file; the module is not run
    if spec is None or spec.origin is None or spec.submodule_search_locations is not None:
        raise ValueError(f"{module!r} is not a module file on the path")
    source = Path(spec.origin).read_text(encoding="utf-8")
    lines = source.splitlines()
    graph.add_module(module)
    for node in ast.walk(ast.parse(source, spec.origin)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]  # a submodule, or a name in the module
        else:
            continue
        for name in names:
            imported = _nearest_in_graph(graph, name)
            if imported is not None and imported != module:
                graph.add_import(
                    importer=module,
                    imported=imported,
                    line_number=node.lineno,
                    line_contents=lines[node.lineno - 1].strip(),
                )


def _nearest_in_graph(graph: ImportGraph, name: str) -> str | None:
    """`name` or its closest enclosing package that the graph holds (`core.bootstrap.x` -> `core.bootstrap`)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in graph.modules:
            return candidate
    return None
