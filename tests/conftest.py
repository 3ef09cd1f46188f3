"""Hermetic tests: every test gets its own GROUNDING_HOME and no hub access."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_CLEARED = (
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "SEARXNG_URL", "BRAVE_API_KEY", "GOOGLE_API_KEY",
    "GOOGLE_CSE_ID", "TAVILY_API_KEY", "SERPER_API_KEY",
)  # fmt: skip


def settings_variables() -> set[str]:
    """Every variable the library reads: the Settings table and the web providers' own."""
    from grounding.config import VARIABLES

    return {v.name for v in VARIABLES} | set(_CLEARED)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache of converted models (ONNX exports, Gemma) for the whole run, made once,
    not once per test's GROUNDING_HOME; `$GROUNDING_MODEL_CACHE` when the caller set one."""
    given = os.environ.get("GROUNDING_MODEL_CACHE")
    return Path(given) if given else tmp_path_factory.mktemp("model-cache")


@pytest.fixture(autouse=True)
def _hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_cache: Path) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("GROUNDING_") or name in settings_variables():
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GROUNDING_HOME", str(tmp_path / "grounding-home"))
    monkeypatch.setenv("GROUNDING_MODEL_CACHE", str(model_cache))  # subprocesses inherit it
    yield


@pytest.fixture(scope="session")
def grounding_exe() -> str:
    """The installed `grounding` console script, for running the real CLI in a subprocess."""
    exe = Path(sys.executable).parent / "grounding"
    found = str(exe) if exe.exists() else shutil.which("grounding")
    assert found, "the grounding console script is not installed: pip install -e ."
    return found
