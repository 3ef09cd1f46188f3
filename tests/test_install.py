"""Installed, not only checked out: a wheel answers from another folder with its own corpus.

The wheel is built from this checkout and installed (without dependencies) into a fresh
virtual environment that borrows the dependencies of the running one, so nothing is
downloaded and the test stays fast; the question is asked from an empty temporary folder.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_a_wheel_installed_elsewhere_answers_from_the_packaged_demo_corpus(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", "-w", str(wheels), str(ROOT)],
        check=True, cwd=tmp_path,
    )  # fmt: skip
    (wheel,) = wheels.glob("grounding-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "grounding/demo_corpus/recipe.json" in names
    assert "grounding/demo_corpus/docs/lighthouse-keepers.md" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    own_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # The running environment's packages, after the fresh one's (a path line in a .pth file
    # runs none of that folder's own .pth files, so its editable grounding stays out).
    borrowed = [sysconfig.get_path("purelib"), *site.getsitepackages()]
    Path(own_site, "borrowed.pth").write_text("\n".join(dict.fromkeys(borrowed)) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         "--no-index", str(wheel)],
        check=True,
    )  # fmt: skip

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "GROUNDING_HOME": str(tmp_path / "home")}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [str(venv / "bin" / "grounding"), "ask", "When was the Varnholt lighthouse first lit?",
         "--json"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert "1874" in answer["answer"]
    where = subprocess.run(
        [str(python), "-c", "import grounding; print(grounding.__file__)"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert where.startswith(own_site), where  # the installed wheel, not this checkout
    assert all(str(ROOT) not in source["uri"] for source in answer["sources"])
