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
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "GROUNDING_MODEL", "GROUNDING_API_KEYS",
    "SEARXNG_URL", "BRAVE_API_KEY", "GOOGLE_API_KEY", "GOOGLE_CSE_ID", "TAVILY_API_KEY",
    "SERPER_API_KEY", "GROUNDING_ALLOW_PRIVATE_URLS", "GROUNDING_DEBUG",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GROUNDING_HOME", str(tmp_path / "grounding-home"))
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture(scope="session")
def grounding_exe() -> str:
    """The installed `grounding` console script, for running the real CLI in a subprocess."""
    exe = Path(sys.executable).parent / "grounding"
    found = str(exe) if exe.exists() else shutil.which("grounding")
    assert found, "the grounding console script is not installed: pip install -e ."
    return found
