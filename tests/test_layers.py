"""The package layering of docs/architecture.md: base → domain packages → actions and bot; an arrow never points up.

Every import is read from the source (module level and inside functions alike), so an import hidden in a function
to dodge a cycle is caught too.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("base", "knowledge", "dossiers", "handoff", "analytics", "review", "actions", "bot")
# What each package may import (besides itself and third-party libraries).
ALLOWED = {
    "base": set(),
    "knowledge": {"base"},
    "dossiers": {"base", "knowledge"},
    "handoff": {"base", "knowledge"},
    "review": {"base", "knowledge", "analytics"},  # judges the dashboard's turns of the stored events
    "analytics": {"base", "knowledge", "dossiers", "handoff"},  # read-only figures for the operators' dashboard
    "actions": {"base", "knowledge", "dossiers", "handoff"},
    "bot": {"base", "knowledge", "dossiers", "handoff", "analytics", "review", "actions"},
}


def imports_of(package: str) -> dict[str, set[str]]:
    """Project packages imported by `package`, each with the files that import it."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in PACKAGES and top != package:
                    found[top].add(str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_only_point_down(package):
    upward = {target: sorted(files) for target, files in imports_of(package).items() if target not in ALLOWED[package]}
    assert not upward, f"{package} imports packages above it: {upward}"


def test_package_graph_has_no_cycle():
    graph = {package: set(imports_of(package)) for package in PACKAGES}
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "active"
        for target in graph[node]:
            assert state.get(target) != "active", f"import cycle: {' → '.join(path + [target])}"
            if target not in state:
                visit(target, path + [target])
        state[node] = "done"

    for package in PACKAGES:
        if package not in state:
            visit(package, [package])
