"""The package layout keeps to its rules: only the CLI parses arguments, and stages import one way only."""

from __future__ import annotations

import ast
from importlib.util import resolve_name
from pathlib import Path

SRC = Path(__file__).parents[1] / "src" / "wellled"
STAGES = ("check", "analysis", "report", "demo")
# A stage may import only the stages listed for it (and the shared modules at the top of the package).
MAY_IMPORT = {"check": set(), "analysis": {"check"}, "report": {"analysis", "check"}, "demo": {"check"}}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of the file (lazy imports inside functions count)."""
    found = set()
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = resolve_name("." * node.level + (node.module or ""), package) if node.level else node.module or ""
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in sorted(SRC.rglob("*.py"))}


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "wellled" and parts[1] in STAGES else None


def test_only_the_cli_parses_arguments_and_nothing_imports_the_cli():
    modules = graph()
    assert len(modules) > 30, "the walk found the package"
    assert "argparse" in modules["wellled.cli"], "the test can see an argparse import"
    offenders = {
        name: sorted(i for i in found if i == "argparse" or i == "wellled.cli" or i.startswith("wellled.cli."))
        for name, found in modules.items()
        if name != "wellled.cli"
    }
    assert {name: bad for name, bad in offenders.items() if bad} == {}


def test_stages_import_each_other_one_way_only():
    modules = graph()
    crossings = {
        (stage_of(name), stage_of(target))
        for name, found in modules.items()
        for target in found
        if stage_of(name) and stage_of(target) and stage_of(name) != stage_of(target)
    }
    assert ("analysis", "check") in crossings, "the test sees the analysis reading the clean-data seam"
    forbidden = {(a, b) for a, b in crossings if b not in MAY_IMPORT[a]}
    assert forbidden == set(), "check imports no other stage; analysis imports only check; report not demo"


def test_the_import_graph_between_modules_has_no_cycle():
    modules = graph()
    edges = {name: {t for t in found if t in modules and t != name} for name, found in modules.items()}
    assert sum(len(t) for t in edges.values()) > 50, "the graph has edges to search"
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                return [*trail, node, nxt]
            if nxt not in state and (cycle := visit(nxt, [*trail, node])):
                return cycle
        state[node] = "done"
        return None

    cycles = [c for name in sorted(edges) if name not in state and (c := visit(name, []))]
    assert cycles == []
