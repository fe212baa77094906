"""YAML loading that remembers where every value came from, so validation errors can say `file:line`.

PyYAML's composer keeps a start mark on every node; we build plain dict/list subclasses that carry those line
numbers instead of pulling in another YAML library.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import yaml

try:  # the C loader is much faster on big files, when PyYAML was built with it
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


class LineDict(dict):
    """A mapping with `line` (of the mapping) and `key_lines` (line of each key)."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A sequence with `line` (of the sequence) and `item_lines` (line of each item)."""

    line: int = 0
    item_lines: list

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


@dataclass(frozen=True)
class YamlProblem:
    line: int
    message: str


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _convert(node: yaml.Node, constructor: yaml.constructor.SafeConstructor, problems: list[YamlProblem]) -> Any:
    if isinstance(node, yaml.MappingNode):
        result = LineDict()
        result.line = _line(node)
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                problems.append(YamlProblem(_line(key_node), "khóa phải là một chuỗi đơn giản"))
                continue
            if key in result:
                problems.append(YamlProblem(_line(key_node), f"khóa '{key}' bị lặp lại"))
                continue
            result[key] = _convert(value_node, constructor, problems)
            result.key_lines[key] = _line(key_node)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = LineList()
        items.line = _line(node)
        items.item_lines = []
        for item in node.value:
            items.append(_convert(item, constructor, problems))
            items.item_lines.append(_line(item))
        return items
    try:
        return constructor.construct_object(node, deep=True)
    except ValueError:
        # e.g. a timestamp-looking scalar that is not a real date ("2026-02-30"): keep the text, validation reports it
        return node.value


def load_yaml_with_lines(text: str) -> tuple[Optional[Any], list[YamlProblem]]:
    """Parse one YAML document; returns (data, problems). Syntax errors come back as problems, never raised."""
    loader = _Loader(text)
    problems: list[YamlProblem] = []
    try:
        node = loader.get_single_node()
        if node is None:
            return None, problems
        return _convert(node, loader, problems), problems
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        problems.append(YamlProblem(line, f"YAML không hợp lệ: {error.problem or error}"))
        return None, problems
    except yaml.YAMLError as error:
        problems.append(YamlProblem(1, f"YAML không hợp lệ: {error}"))
        return None, problems
    finally:
        loader.dispose()
