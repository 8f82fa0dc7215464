"""Plain option values converted without typer's pydantic validators (issue 13).

typer builds one pydantic ``TypeAdapter`` per parameter the first time a command parses its
options; for ``dividends compute`` that is 18 adapters and the pydantic import, ~0.4 s of every
run. A ``str``, ``int``, ``bool`` or ``Path`` option without constraints needs none of it: the
value is the argument itself, ``int("2024")`` or ``Path("households.csv")``, and a path still
goes through typer's own checks (``exists``, ``dir_okay``...). Any other value (a number with a
sign or spaces, an empty path, ``-``, a value from an environment variable that is not text) and
any other annotation go to typer's converter, built the first time it is needed, so what typer
accepts, refuses and says stays the same (``tests/dividends/test_cli_params.py`` feeds the same
values through both).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typer import core
from typer._click.exceptions import BadParameter
from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
from typer._param_types import coerce_cli_path

_DIGITS = re.compile(r"[0-9]{1,18}")
#: typer's own method, which :func:`install` replaces (the test compares the two)
TYPER_GET_RUNTIME_PARAM = core._TyperParameter.get_runtime_param


@dataclass(frozen=True)
class PlainParam(RuntimeParam):
    """A ``str``/``int``/``bool``/``Path`` parameter: the plain values converted here, the rest
    by typer's converter for the same descriptor."""

    descriptor: TypeDescriptor = field(compare=False)
    fallback: list[RuntimeParam] = field(default_factory=list, compare=False)

    def typer(self) -> RuntimeParam:
        if not self.fallback:
            self.fallback.append(build_runtime_param(self.descriptor))
        return self.fallback[0]

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        annotation, kind = self.annotation, type(value)
        if annotation is str and kind is str:
            return value
        if annotation is int:
            if kind is int:
                return value
            if kind is str and _DIGITS.fullmatch(value):
                return int(value)
        elif annotation is bool and kind is bool:
            return value
        elif annotation is Path and kind is str and value not in ("", "-") and "\x00" not in value:
            try:
                return coerce_cli_path(Path(value), self.parameter_info, path_type=Path, param=param, ctx=ctx)
            except BadParameter:
                pass  # typer's converter says it in its words (the value as given: "dir/", not "dir")
        return self.typer()._coerce_value(value, param=param, ctx=ctx)


def plain(descriptor: TypeDescriptor) -> RuntimeParam | None:
    """The :class:`PlainParam` of a descriptor it can serve, else None."""
    info = descriptor.parameter_info
    if descriptor.file_annotation is not None or info.parser is not None:
        return None
    annotation = descriptor.annotation
    if annotation in (str, bool):
        pass
    elif annotation is int:
        if info.min is not None or info.max is not None or info.clamp:
            return None
    elif annotation is Path:
        if getattr(info, "path_type", None) not in (None, Path):
            return None
    else:
        return None
    return PlainParam(parameter_info=info, annotation=annotation, descriptor=descriptor)


def runtime_param(descriptor: TypeDescriptor) -> RuntimeParam:
    """What the patched typer uses: :func:`plain`, else typer's own."""
    return plain(descriptor) or build_runtime_param(descriptor)


def _get_runtime_param(self: Any) -> RuntimeParam:
    if self._runtime_param is None:
        self._runtime_param = runtime_param(self.type_descriptor)
    return self._runtime_param


def install() -> None:
    """Make typer's parameters use :func:`runtime_param` (idempotent)."""
    core._TyperParameter.get_runtime_param = _get_runtime_param  # type: ignore[method-assign]
