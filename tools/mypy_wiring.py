"""mypy plugin for core/services/wiring.py: `inject(fn)` is typed as `fn` without the parameters the composition root
fills in (those named in `Ports`), so mypy checks every trigger's call of a use case, and a port parameter whose type
does not accept what the root provides is an error where the use case is declared. `built(cls)` is checked the same
way: every constructor parameter is a port of the right type or has a default."""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import ARG_POS, TypeInfo
from mypy.plugin import FunctionContext, Plugin
from mypy.subtypes import is_subtype
from mypy.types import AnyType, CallableType, Type, TypeOfAny, get_proper_type

WIRING = "core.services.wiring"


def _ports(ctx: FunctionContext) -> dict[str, Type]:
    module = ctx.api.modules.get(WIRING)  # type: ignore[attr-defined]
    symbol = module.names.get("Ports") if module is not None else None
    info = symbol.node if symbol is not None else None
    if isinstance(info, TypeInfo) and info.typeddict_type is not None:
        return dict(info.typeddict_type.items)
    return {}


def _wired(ctx: FunctionContext) -> tuple[CallableType, list[int]] | None:
    """The function (or constructor) given, after checking its port parameters; the indexes of the others."""
    if not ctx.arg_types or not ctx.arg_types[0]:
        return None
    target = get_proper_type(ctx.arg_types[0][0])
    if not isinstance(target, CallableType):
        ctx.api.fail("wiring: inject() and built() take a function or a class", ctx.context)
        return None
    ports = _ports(ctx)
    kept: list[int] = []
    for index, name in enumerate(target.arg_names):
        if name is not None and name in ports:
            provided, wanted = ports[name], target.arg_types[index]
            if not is_subtype(provided, wanted):
                ctx.api.fail(
                    f'wiring: the root\'s port "{name}" is {provided} but {target.name or "the function"} '
                    f"takes {wanted}",
                    ctx.context,
                )
        else:
            kept.append(index)
    return target, kept


def _inject(ctx: FunctionContext) -> Type:
    wired = _wired(ctx)
    if wired is None:
        return ctx.default_return_type
    target, kept = wired
    # A class attribute of callable type is bound like a method: the first parameter stands for the area object.
    return target.copy_modified(
        arg_types=[AnyType(TypeOfAny.explicit)] + [target.arg_types[i] for i in kept],
        arg_kinds=[ARG_POS] + [target.arg_kinds[i] for i in kept],
        arg_names=["_area"] + [target.arg_names[i] for i in kept],
    )


def _built(ctx: FunctionContext) -> Type:
    wired = _wired(ctx)
    if wired is None:
        return ctx.default_return_type
    target, kept = wired
    for index in kept:
        if not target.arg_kinds[index].is_optional():
            ctx.api.fail(
                f'wiring: built() cannot fill "{target.arg_names[index]}": it is no port of the root and has no default',
                ctx.context,
            )
    return ctx.default_return_type


class WiringPlugin(Plugin):
    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        if fullname == f"{WIRING}.inject":
            return _inject
        if fullname == f"{WIRING}.built":
            return _built
        return None


def plugin(version: str) -> type[Plugin]:
    return WiringPlugin
