"""Record a run against a loopback OpenAI-wire server, replay it with no network at all."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.openai_server import Reply, openai_server

QUESTION = "When was the Varnholt lighthouse first lit?"
ANSWERS = [
    "The Varnholt lighthouse was first lit in 1874 [1].",  # the streamed, greedy answer
    "It was first lit in 1874 by King Haakon, who painted it red [1].",  # sampled
]


def _no_network_prefix() -> list[str]:
    """`unshare -n` when this machine allows it: a namespace with no interface up, not even lo."""
    exe = shutil.which("unshare")
    if exe and subprocess.run([exe, "-n", "true"], capture_output=True).returncode == 0:
        return [exe, "-n"]
    if exe and subprocess.run([exe, "-rn", "true"], capture_output=True).returncode == 0:
        return [exe, "-rn"]
    return []


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.slow
def test_a_replayed_run_gives_the_same_answer_without_network(
    grounding_exe: str, tmp_path: Path
) -> None:
    tape = tmp_path / "tape"
    ask = ["ask", QUESTION, "--decoder", "openai", "--best-of", "2", "--json"]
    with openai_server([Reply(a) for a in ANSWERS]) as server:
        env = {**os.environ, "OPENAI_BASE_URL": server.url, "GROUNDING_MODEL": "test-model",
               "OPENAI_API_KEY": "sk-secret"}  # fmt: skip
        recorded = _run([grounding_exe, "--record", str(tape), *ask], env)
        assert recorded.returncode == 0, recorded.stderr
        assert len(server.requests) == 2
    cassette = (tape / "http.yaml").read_text(encoding="utf-8")
    assert "sk-secret" not in cassette  # keys are filtered out of the recording

    prefix = _no_network_prefix()
    replayed = _run([*prefix, grounding_exe, "--replay", str(tape), *ask], env)
    assert replayed.returncode == 0, replayed.stderr
    first, again = json.loads(recorded.stdout), json.loads(replayed.stdout)
    for data in (first, again):
        data.pop("timings")
    assert again == first
    assert [c["answer"] for c in again["grounding_metadata"]["candidates"]] == ANSWERS

    # a request the recording has not seen is refused, in one line, and reaches no network
    other = _run([*prefix, grounding_exe, "--replay", str(tape), "ask", "Who kept the light?",
                  "--decoder", "openai"], env)  # fmt: skip
    assert other.returncode == 1 and "has no answer for a request" in other.stderr
    assert other.stderr.count("\n") == 1
    if not prefix:  # no namespace here: the server is gone, so a reached network would fail
        assert len(server.requests) == 2


def test_replay_of_a_missing_recording_fails_in_one_line(
    grounding_exe: str, tmp_path: Path
) -> None:
    out = _run([grounding_exe, "--replay", str(tmp_path / "none"), "ask", QUESTION], {**os.environ})
    assert out.returncode == 1 and "nothing to replay" in out.stderr
    both = _run([grounding_exe, "--record", "a", "--replay", "b", "ask", QUESTION], {**os.environ})
    assert both.returncode == 1 and "not both" in both.stderr
