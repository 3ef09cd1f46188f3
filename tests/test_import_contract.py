"""The import contract, read from the source: a module's layer is its folder.

    ground floor (errors, schema, config, plugins)  <  core/  <  backends/
      <  stages (retrieval/, generation/, checking/)  <  orchestration/
      <  top (cli/, service/, evaluation/, and the facade `grounding/__init__.py`)

- no module imports a module of a higher layer;
- the three stages never import each other;
- there are no import cycles between modules;
- every module is under 350 lines.

Every import counts: at module level, inside a function, and under `if TYPE_CHECKING:`.
(import-linter is not among the dependencies; this scan of the source does its job.)
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "grounding"
GROUND_FLOOR = ("errors", "schema", "config", "plugins")
STAGES = ("retrieval", "generation", "checking")
ORCHESTRATION = ("orchestration",)
TOP = ("cli", "service", "evaluation")
LAYERS = ("ground floor", "core", "backends", "stage", "orchestration", "top")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ["grounding", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(module: str, path: Path) -> set[str]:
    """The grounding modules `module` imports anywhere in its file (a package's submodule
    named by `from` counts as that submodule)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
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


def _layer(module: str) -> str | None:
    """The layer of `module`, from its folder (or, on the ground floor, its name); None for
    a module in no layer."""
    parts = module.split(".")
    if len(parts) == 1:
        return "top"  # `grounding/__init__.py`: the public facade
    name = parts[1]
    if name in GROUND_FLOOR and len(parts) == 2:
        return "ground floor"
    if name in ("core", "backends"):
        return name
    if name in STAGES:
        return "stage"
    if name in ORCHESTRATION:
        return "orchestration"
    if name in TOP:
        return "top"
    return None


def _rank(module: str) -> int:
    layer = _layer(module)
    assert layer is not None, module
    return LAYERS.index(layer)


def _upward(graph: dict[str, set[str]]) -> list[str]:
    """Each import of `graph` from a lower layer into a higher one."""
    return [
        f"{module} ({_layer(module)}) imports {imported} ({_layer(imported)})"
        for module, imports in graph.items()
        for imported in imports
        if _rank(imported) > _rank(module)
    ]


def _crossing(graph: dict[str, set[str]]) -> list[str]:
    """Each import of `graph` from one stage into another."""
    return [
        f"{module} imports {imported}"
        for module, imports in graph.items()
        for imported in imports
        if _layer(module) == _layer(imported) == "stage"
        and module.split(".")[1] != imported.split(".")[1]
    ]


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of `graph`: its strongly connected components of two or more (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(graph[module]):
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
    return sorted(cycles)


def test_the_graph_is_read() -> None:
    assert "grounding.checking.base" in GRAPH["grounding.checking.registry"]
    assert "grounding.plugins" in GRAPH["grounding.generation.decoders"]
    # an import inside a function counts, and so does one under `if TYPE_CHECKING:`
    assert "grounding.backends.encoder" in GRAPH["grounding.backends.pair"]
    assert "grounding.retrieval.stores.base" in GRAPH["grounding.retrieval.index.building"]
    # `from package import module` names the module
    assert "grounding.backends.embedding_model" in GRAPH["grounding.retrieval.rerank.sentence"]


def test_every_module_sits_in_a_layer() -> None:
    """A new module goes in a folder (or is added to the ground floor on purpose)."""
    assert [module for module in MODULES if _layer(module) is None] == []
    assert _layer("grounding.schema") == "ground floor"
    assert _layer("grounding.core.text") == "core"
    assert _layer("grounding.retrieval.index.local") == "stage"
    assert _layer("grounding.cli.recording") == "top"


def test_nothing_imports_a_higher_layer() -> None:
    assert _upward(GRAPH) == []


def test_the_stages_never_import_each_other() -> None:
    assert _crossing(GRAPH) == []


def test_the_contract_checks_find_what_they_look_for() -> None:
    """The checks fail on the faults they are for: an upward import, a stage importing
    another and a cycle, each put in a copy of the graph, are found."""
    text = "grounding.core.text"
    assert _upward({**GRAPH, text: GRAPH[text] | {"grounding.orchestration.grounder"}}) == [
        "grounding.core.text (core) imports grounding.orchestration.grounder (orchestration)"
    ]
    prompt = "grounding.generation.prompt"
    assert _crossing({**GRAPH, prompt: GRAPH[prompt] | {"grounding.checking.base"}}) == [
        "grounding.generation.prompt imports grounding.checking.base"
    ]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}) == [
        ["a", "b", "c"]
    ]
    local, building = "grounding.retrieval.index.local", "grounding.retrieval.index.building"
    put_back = _cycles({**GRAPH, building: GRAPH[building] | {local}})
    assert any({local, building} <= set(cycle) for cycle in put_back)


def test_there_are_no_import_cycles() -> None:
    """Counting every import. Best-of-n (`orchestration.refine`) names the Grounder; the
    Grounder takes a `Refiner` by protocol and never names `refine`."""
    assert "grounding.orchestration.grounder" in GRAPH["grounding.orchestration.refine"]
    assert _cycles(GRAPH) == []


MAX_LINES = 350  # a module that reaches this is split along a seam, not cut


def test_every_module_is_under_350_lines() -> None:
    lines = {
        module: len(path.read_text(encoding="utf-8").splitlines())
        for module, path in MODULES.items()
    }
    assert {module: n for module, n in lines.items() if n >= MAX_LINES} == {}
