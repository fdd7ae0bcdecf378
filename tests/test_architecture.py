"""The layout rules of ../shared/architecture.md, held by the suite: imports point down (core imports no domain
app), no import circle between apps, modules stay small (generated migrations excepted)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "terreau"
MAX_LINES = 500
# Modules still over the limit, each with the size it may not grow beyond: the list only shrinks.
OVERSIZE: dict[str, int] = {}


def _modules() -> list[Path]:
    return sorted(
        p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts and "__pycache__" not in p.parts
    )


def _apps() -> set[str]:
    return {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}


def app_imports(modules: list[Path] | None = None, *, root: Path = ROOT) -> dict[str, dict[str, list[str]]]:
    """For each app, the other apps it imports and where (TYPE_CHECKING imports included: they are edges too)."""
    apps = _apps()
    edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in modules if modules is not None else _modules():
        rel = path.relative_to(root)
        if len(rel.parts) < 3:
            continue
        app = rel.parts[1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.level:
                    base = list(rel.with_suffix("").parts[: -node.level])
                    names.append(".".join([*base, *node.module.split(".")]))
                else:
                    names.append(node.module)
            elif isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "terreau" and len(parts) > 1 and parts[1] != app and parts[1] in apps:
                    edges[app][parts[1]].append(f"{rel}:{node.lineno}")
    return edges


def circles(edges: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Strongly connected groups of more than one app (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(set(edges) | {w for targets in edges.values() for w in targets}):
        if v not in index:
            visit(v)
    return found


def test_core_imports_no_domain_app():
    edges = app_imports()
    assert not edges.get("core"), (
        f"core must import no domain app (they register with it): {dict(edges['core'])}"
    )


def test_no_import_circle_between_apps():
    edges = app_imports()
    found = circles(edges)
    detail = [
        f"{' <-> '.join(group)}: "
        + "; ".join(f"{a}->{b} at {edges[a][b][0]}" for a in group for b in group if b in edges.get(a, {}))
        for group in found
    ]
    assert not found, "apps import each other in a circle:\n" + "\n".join(detail)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_stays_small(path):
    lines = path.read_text(encoding="utf-8").count("\n")
    limit = OVERSIZE.get(str(path.relative_to(ROOT)), MAX_LINES)
    assert lines <= limit, (
        f"{path.relative_to(ROOT)} has {lines} lines (limit {limit}): split it by what it does"
    )


def test_the_checks_catch_what_they_guard(tmp_path):
    """The scanners themselves fail on a circle and on core importing an app."""
    edges = {
        "core": {"directory": ["terreau/core/x.py:1"]},
        "directory": {"core": ["terreau/directory/y.py:1"]},
    }
    assert circles(edges) == [["core", "directory"]]
    sample = tmp_path / "terreau" / "core" / "x.py"
    sample.parent.mkdir(parents=True)
    sample.write_text("from terreau.directory.models import Organisation\n", encoding="utf-8")
    found = app_imports([sample], root=tmp_path)
    assert "directory" in found["core"]
