"""Route templates as the Functions host reads them: {name}, {name:int}, {name?}, {*rest}; literal routes first."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

_CONSTRAINTS = {
    "int": r"-?\d+",
    "long": r"-?\d+",
    "guid": r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}",
    "alpha": r"[A-Za-z]+",
    "bool": r"(?:true|false|True|False)",
}
_PARAM = re.compile(r"^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?(\?)?\}$")


@dataclass
class CompiledRoute:
    template: str
    methods: frozenset[str]
    target: Any
    pattern: re.Pattern[str] = field(init=False)
    rank: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        parts: list[str] = []
        rank: list[int] = []
        for segment in [s for s in self.template.strip("/").split("/") if s]:
            m = _PARAM.match(segment)
            if m is None:
                parts.append("/" + re.escape(segment))
                rank.append(0)
                continue
            catch_all, name, constraint, optional = m.groups()
            if catch_all:
                parts.append(f"(?:/(?P<{name}>.*))?")
                rank.append(4)
            elif optional:
                parts.append(f"(?:/(?P<{name}>{_CONSTRAINTS.get(constraint or '', '[^/]+')}))?")
                rank.append(3)
            else:
                if constraint and constraint not in _CONSTRAINTS:
                    raise ValueError(f"unsupported route constraint {constraint!r} in {self.template}")
                parts.append(f"/(?P<{name}>{_CONSTRAINTS.get(constraint or '', '[^/]+')})")
                rank.append(1 if constraint else 2)
        self.pattern = re.compile("^" + "".join(parts) + "/?$", re.IGNORECASE)
        self.rank = tuple(rank)

    def match(self, path: str) -> dict[str, str] | None:
        m = self.pattern.match(path)
        if m is None:
            return None
        return {k: unquote(v) for k, v in m.groupdict().items() if v is not None}


class RouteTable:
    def __init__(self) -> None:
        self._routes: list[CompiledRoute] = []

    def add(self, template: str, methods: list[str] | None, target: Any) -> None:
        verbs = frozenset(
            str(getattr(m, "value", m)).upper()
            for m in (methods or ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
        )
        self._routes.append(CompiledRoute(template, verbs, target))
        # ASP.NET routing precedence: literal segments before parameters before optional and catch-all ones.
        self._routes.sort(key=lambda r: (r.rank, -len(r.rank)))

    def resolve(self, method: str, path: str) -> tuple[Any, dict[str, str]] | None:
        path = "/" + path.lstrip("/")
        for route in self._routes:
            if method.upper() not in route.methods:
                continue
            params = route.match(path)
            if params is not None:
                return route.target, params
        return None
