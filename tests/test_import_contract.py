"""The import contract, read from the source:

- the stages (retrieval, generation, checking) never import each other;
- nothing imports upward: base modules < stages < orchestration (pipeline, attribution,
  improve) < top (CLI, service, evaluation, the `grounding` package itself);
- there are no cycles between modules at run time.

The first two count every import, `TYPE_CHECKING` ones included; the cycle check leaves
those out (an annotation may name the caller's type; importing it at run time may not).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "grounding"
STAGES = ("retrieval", "generation", "checking")
ORCHESTRATION = ("pipeline", "attribution", "improve")
TOP = ("cli", "service", "evaluation")
RANK = {"base": 0, "stage": 1, "orchestration": 2, "top": 3}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ["grounding", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _typing_only(tree: ast.Module) -> set[int]:
    """ids of the import nodes inside `if TYPE_CHECKING:` blocks."""
    return {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for statement in node.body
        for inner in ast.walk(statement)
    }


def _imports(module: str, path: Path, typing: bool = True) -> set[str]:
    """The grounding modules `module` imports (a package's submodule named by `from` counts)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set() if typing else _typing_only(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module if path.name == "__init__.py" else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}" if base else package
            for alias in node.names:
                name = f"{base}.{alias.name}"
                found.add(name if name in MODULES else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in MODULES and name != module}


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}
RUNTIME = {module: _imports(module, path, typing=False) for module, path in MODULES.items()}


def _layer(module: str) -> tuple[str, str | None]:
    """(layer, stage name or None)."""
    parts = module.split(".")
    if len(parts) == 1:
        return "top", None  # `grounding/__init__.py`: the public facade
    if parts[1] in STAGES:
        return "stage", parts[1]
    if parts[1] in ORCHESTRATION:
        return "orchestration", None
    if parts[1] in TOP:
        return "top", None
    return "base", None


def test_the_graph_is_read() -> None:
    assert "grounding.checking.base" in GRAPH["grounding.checking.registry"]
    assert "grounding.plugins" in GRAPH["grounding.generation.decoders"]
    typed = {m for m, imports in GRAPH.items() for i in imports if i not in RUNTIME[m]}
    assert "grounding.retrieval.stores.base" in typed  # `if TYPE_CHECKING:` imports are told apart


def test_the_stages_never_import_each_other() -> None:
    crossing = [
        (module, imported)
        for module, imports in GRAPH.items()
        for imported in imports
        if _layer(module)[0] == _layer(imported)[0] == "stage"
        and _layer(module)[1] != _layer(imported)[1]
    ]
    assert crossing == []


def test_nothing_imports_upward() -> None:
    upward = [
        f"{module} ({_layer(module)[0]}) imports {imported} ({_layer(imported)[0]})"
        for module, imports in GRAPH.items()
        for imported in imports
        if RANK[_layer(imported)[0]] > RANK[_layer(module)[0]]
    ]
    assert upward == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of `graph`: its strongly connected components of two or more (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph[module]:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def test_the_cycle_check_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [["a", "b", "c"]]
    # the cycles issue 12 named, put back, are found (a lazy import inside a function counts)
    index, building = "grounding.retrieval.index.local", "grounding.retrieval.index.building"
    assert "grounding.retrieval.index.building" in RUNTIME["grounding.retrieval.index.updating"]
    assert "grounding.retrieval.index.updating" in RUNTIME[index]
    put_back = _cycles({**RUNTIME, building: RUNTIME[building] | {index}})
    assert any({index, building} <= set(cycle) for cycle in put_back)


def test_there_are_no_import_cycles_at_run_time() -> None:
    assert _cycles(RUNTIME) == []
