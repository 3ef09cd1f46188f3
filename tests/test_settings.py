"""One Settings table: every variable listed, read at the edges, nothing written on import."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from grounding.config import VARIABLES, Settings, settings_table
from grounding.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "grounding"
# Modules allowed to read the environment: the settings table, the web providers' own
# credentials (each provider class declares its variables), and the Ray support that
# forwards this process's environment to its workers unread.
ENV_READERS = {"config.py", "retrieval/web/provider.py", "ray_support.py"}


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
        "import os; before = dict(os.environ); import grounding, grounding.models, "
        "grounding.pipeline; print(sorted(set(os.environ.items()) ^ set(before.items())))"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_OFFLINE")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_hermetic_fixture_cleared_every_variable() -> None:
    present = {v.name for v in VARIABLES if v.name in os.environ}
    # set by the fixture: a temp folder, and the run's one cache of exported models
    assert present == {"GROUNDING_HOME", "GROUNDING_MODEL_CACHE"}
