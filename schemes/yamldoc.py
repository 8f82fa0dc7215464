"""YAML with line numbers, for error messages that point at the line a user must fix.

The document is composed (not constructed) with PyYAML's safe resolver and turned into plain
Python values; every value's line is kept in a side table keyed by its key path. Scalars stay
*text* (``1000.50`` is never a float, ``0012`` keeps its zeros) and the validator parses them
exactly; only ``null``/``~``/empty become ``None`` and only ``true``/``false`` become booleans
(YAML 1.1's ``yes``/``no``/``on``/``off`` stay text: too easy to write by accident).
Duplicate keys are problems (plain YAML keeps the last one silently).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from schemes.i18n import Msg
from schemes.problems import Problem

Path = tuple[str | int, ...]


def render_path(path: Path) -> str:
    """``("steps", 2, "percent") -> "steps[2].percent"``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(top)"


@dataclass
class Document:
    """A parsed YAML file: plain values plus where each came from."""

    file: str
    root: Any
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # e.g. a number without a source
    notes: dict[str, str] = field(default_factory=dict)  # key path -> source note

    def unwrap(self, value: Any, path: Path) -> tuple[Any, Path]:
        """``{value: X, source: "..."}`` -> X, recording the source note; a bare number is a
        warning (``scheme.no_source``): every number of a scheme should say where it comes from."""
        if isinstance(value, dict) and "value" in value:
            for key in sorted(set(value) - {"value", "source"}):
                self.problem(path + (key,), "yaml.unknown_key", name=key, expected=["value", "source"], hint="")
            source = value.get("source")
            if isinstance(source, str) and source.strip():
                self.notes[render_path(path)] = source.strip()
            elif source is not None:
                self.problem(path + ("source",), "yaml.need_text", found="(empty)" if not source else str(source))
            else:
                self.warn(path, "scheme.no_source")
            return value["value"], path + ("value",)
        if value is not None and not isinstance(value, (dict, list)):
            self.warn(path, "scheme.no_source")
        return value, path

    def warn(self, path: Path, key: str, /, **params: Any) -> None:
        self.warnings.append(
            Problem(Msg(key, **params), file=self.file, line=self.line_of(path), key=render_path(path))
        )

    def line_of(self, path: Path) -> int | None:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path)

    def problem(self, path: Path, key: str, /, **params: Any) -> None:
        self.problems.append(
            Problem(Msg(key, **params), file=self.file, line=self.line_of(path), key=render_path(path))
        )


def parse(text: str, file: str) -> Document:
    """Parse YAML text; syntax errors and duplicate keys become problems, not exceptions."""
    doc = Document(file=file, root=None)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = exc.problem or str(exc)
        if exc.context and exc.context_mark is not None:
            detail += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
        doc.problems.append(
            Problem(
                Msg("yaml.syntax", detail=detail),
                file=file,
                line=(mark.line + 1) if mark else None,
            )
        )
        return doc
    except yaml.YAMLError as exc:  # pragma: no cover - reader errors (bad bytes)
        doc.problems.append(Problem(Msg("yaml.syntax", detail=str(exc)), file=file))
        return doc
    if node is None:
        doc.root = None
        return doc
    doc.root = _convert(node, (), doc)
    return doc


def _bool(text: str) -> bool | str:
    low = text.lower()
    if low == "true":
        return True
    if low == "false":
        return False
    return text  # YAML 1.1 "yes"/"no"/"on"/"off" stay text: too easy to write by accident


def _convert(node: yaml.Node, path: Path, doc: Document) -> Any:
    doc.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                doc.problems.append(
                    Problem(Msg("yaml.key_not_text"), file=doc.file, line=key_node.start_mark.line + 1,
                            key=render_path(path))
                )
                continue
            key = key_node.value
            if key in out:
                doc.problems.append(
                    Problem(Msg("yaml.duplicate_key", name=key), file=doc.file,
                            line=key_node.start_mark.line + 1, key=render_path(path + (key,)))
                )
                continue
            out[key] = _convert(value_node, path + (key,), doc)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (i,), doc) for i, item in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)
    if node.style is not None and node.style != "":  # quoted scalars are always text
        return node.value
    if node.tag == "tag:yaml.org,2002:bool":
        return _bool(node.value)
    if node.tag == "tag:yaml.org,2002:null":
        return None
    return node.value  # numbers and dates stay text: the validator parses them exactly
