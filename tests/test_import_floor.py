"""Importing the ground floor loads nothing above it: `grounding/__init__.py` is a lazy facade."""

from __future__ import annotations

import subprocess
import sys

import grounding

GROUND_FLOOR = {"grounding", "grounding.errors"}


def _imported(code: str) -> list[str]:
    """The modules `python -X importtime -c code` imported, in order."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in run.stderr.splitlines() if line.startswith("import time:")]
    return [line.rsplit("|", 1)[1].strip() for line in lines[1:]]  # [0] is the header


def test_importing_errors_loads_only_the_ground_floor() -> None:
    startup = set(_imported("pass"))  # the interpreter's own start (site, .pth hooks)
    loaded = _imported("import grounding.errors")
    assert "grounding.errors" in loaded  # the scan reads importtime's output
    stdlib = sys.stdlib_module_names
    extra = [
        name
        for name in loaded
        if name not in startup
        and name not in GROUND_FLOOR
        and name.split(".")[0].lstrip("_") not in stdlib
        and name.split(".")[0] not in stdlib
    ]
    assert extra == [], f"import grounding.errors also loaded {extra}"


def test_the_facade_still_exports_every_public_name() -> None:
    for name in grounding.__all__:
        assert getattr(grounding, name) is not None
    from grounding import Grounder, check  # the documented way still works

    assert Grounder.__name__ == "Grounder" and callable(check)
    assert set(grounding.__all__) <= set(dir(grounding))
