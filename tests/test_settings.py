"""One Settings table: every variable listed, read at the edges, nothing written on import."""

from __future__ import annotations

import ast
import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from grounding.checking import get_scorer
from grounding.config import VARIABLES, Settings, indexes_dir, model_cache_dir, settings_table
from grounding.errors import ConfigError, IndexNotFoundError, ModelError
from grounding.generation.decoders import get_decoder
from grounding.orchestration.grounder import open_index
from grounding.retrieval.index.storage import resolve_index_dir
from grounding.retrieval.rerank.base import get_reranker

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "grounding"
# Modules allowed to read the environment: the settings table, the web providers' own
# credentials (each provider class declares its variables), and the Ray support that
# forwards this process's environment to its workers unread.
ENV_READERS = {"config.py", "retrieval/web/provider.py", "backends/ray_cluster.py"}


def test_the_table_and_the_dataclass_agree() -> None:
    assert sorted(v.attribute for v in VARIABLES) == sorted(
        f.name for f in dataclasses.fields(Settings)
    )
    assert len({v.name for v in VARIABLES}) == len(VARIABLES)


def test_the_readme_and_the_architecture_show_the_table() -> None:
    assert settings_table() in (ROOT / "README.md").read_text(encoding="utf-8")
    assert settings_table() in (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")


def test_values_are_parsed_and_bad_ones_named() -> None:
    settings = Settings.from_env(
        {
            "GROUNDING_HOME": "~/somewhere",
            "GROUNDING_API_KEYS": " a, b ,,",
            "GROUNDING_DEBUG": "yes",
            "GROUNDING_WEB_THRESHOLD": "0.25",
        }
    )
    assert settings.home == Path("~/somewhere").expanduser()
    assert settings.api_keys == frozenset({"a", "b"})
    assert settings.debug and not settings.allow_private_urls
    assert settings.web_threshold == 0.25 and settings.embedding_model is None
    assert Settings.from_env({}) == Settings()
    with pytest.raises(ConfigError, match="GROUNDING_WEB_THRESHOLD"):
        Settings.from_env({"GROUNDING_WEB_THRESHOLD": "1.5"})


def _sources() -> list[tuple[str, str]]:
    return [
        (path.relative_to(PACKAGE).as_posix(), path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
    ]


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = {name for name, text in _sources() if re.search(r"os\.environ|os\.getenv", text)}
    assert readers <= ENV_READERS


def test_every_variable_named_in_the_code_is_in_the_table() -> None:
    listed = {v.name for v in VARIABLES}
    named = {m for _, text in _sources() for m in re.findall(r"\bGROUNDING_[A-Z][A-Z_]*\b", text)}
    assert named - listed == set()


def test_importing_the_library_changes_no_variable() -> None:
    code = (
        "import os; before = dict(os.environ); import grounding, "
        "grounding.backends.embedding_model, grounding.orchestration.grounder; "
        "print(sorted(set(os.environ.items()) ^ set(before.items())))"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_OFFLINE")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_hermetic_fixture_cleared_every_variable() -> None:
    present = {v.name for v in VARIABLES if v.name in os.environ}
    # set by the fixture: a temp folder, and the run's one cache of exported models
    assert present == {"GROUNDING_HOME", "GROUNDING_MODEL_CACHE"}


# Where settings may be read from the environment: the entry points, function by function.
# Every other part takes the `Settings` (or the value) its caller passes.
ENTRY_POINTS = {
    ("cli/main.py", "cli_settings"),  # the CLI: once per run, kept on the click context
    ("cli/serve.py", "serve"),  # `grounding serve`: the service's settings
    ("service/settings.py", "ServiceSettings.from_env"),  # the service
    ("service/app.py", "create_app"),  # the service's app made without settings
    (
        "orchestration/grounder.py",
        "Grounder.__init__",
    ),  # a library caller's Grounder without settings
    ("plugins.py", "Registry.create"),  # get_decoder/get_scorer/get_reranker called bare
}


def _settings_reads(tree: ast.AST) -> list[tuple[str, int]]:
    """(qualified function name, line) of every `<...>Settings.from_env(...)` call."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, scope: tuple[str, ...]) -> None:
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                inner = (*scope, child.name)
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr == "from_env"
            ):
                found.append((".".join(scope), child.lineno))
            visit(child, inner)

    visit(tree, ())
    return found


def test_settings_are_read_only_at_the_entry_points() -> None:
    calls = {
        (name, scope): line
        for name, text in _sources()
        for scope, line in _settings_reads(ast.parse(text))
    }
    assert ("cli/main.py", "cli_settings") in calls  # the scan finds the calls it allows
    below = sorted(f"{name}:{line} in {scope or 'the module'}" for (name, scope), line in
                   calls.items() if (name, scope) not in ENTRY_POINTS)  # fmt: skip
    assert below == [], "Settings.from_env() below the entry points; take settings instead"


def test_the_scan_sees_a_call_added_below_the_entry_points() -> None:
    tree = ast.parse("def helper():\n    return Settings.from_env().home\n")
    assert _settings_reads(tree) == [("helper", 2)]


def test_a_bad_variable_does_not_stop_a_helper_that_does_not_read_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GROUNDING_HOME", str(tmp_path))
    monkeypatch.setenv("GROUNDING_WEB_THRESHOLD", "abc")
    assert indexes_dir() == tmp_path / "indexes"
    assert model_cache_dir() == Path(os.environ["GROUNDING_MODEL_CACHE"])
    assert resolve_index_dir("notes") == tmp_path / "indexes" / "notes"
    with pytest.raises(ConfigError, match="GROUNDING_WEB_THRESHOLD"):
        Settings.from_env()  # an entry point still names the bad variable


def test_the_settings_a_caller_passes_are_the_ones_used(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path / "elsewhere",
        openai_base_url="http://127.0.0.1:9/v1",
        model="from-settings",
        reranker_model=str(tmp_path / "no-model"),
    )
    assert indexes_dir(settings) == tmp_path / "elsewhere" / "indexes"
    assert model_cache_dir(settings) == tmp_path / "elsewhere" / "models"
    assert resolve_index_dir("notes", settings) == tmp_path / "elsewhere" / "indexes" / "notes"
    with pytest.raises(IndexNotFoundError, match="elsewhere"):
        open_index("notes", settings)
    decoder = get_decoder("openai", settings)  # no OPENAI_BASE_URL in the environment
    assert decoder.endpoint.model == "from-settings"  # type: ignore[attr-defined]
    judge = get_scorer("llm-judge", settings)
    assert judge.endpoint.base_url == "http://127.0.0.1:9/v1"  # type: ignore[attr-defined]
    with pytest.raises(ModelError, match="no-model"):
        get_reranker("cross-encoder", settings)
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL"):
        get_decoder("openai")  # without settings: the environment's, which has none
