"""Record every outbound HTTP call of a run to a folder, and replay it later with no network.

Every client in grounding speaks HTTP through `requests` (search APIs, page fetches, the
OpenAI-compatible endpoint), so vcrpy's cassettes capture them all. Replay answers each request
from the cassette and refuses any request it has not seen: a replayed run cannot reach the
network. Chosen by `grounding --record DIR ...` / `--replay DIR`, or GROUNDING_RECORD /
GROUNDING_REPLAY.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from grounding.errors import ConfigError, InputError

__all__ = ["CASSETTE", "recording"]

CASSETTE = "http.yaml"
_SECRET_HEADERS = ["authorization", "x-api-key", "x-subscription-token", "api-key"]
_SECRET_PARAMS = ["key", "api_key", "apikey", "cx"]


@contextlib.contextmanager
def recording(record: str | Path | None = None, replay: str | Path | None = None) -> Iterator[None]:
    """Record to `record`, or replay from `replay`, every HTTP call made inside the block."""
    if record and replay:
        raise InputError("give --record or --replay, not both")
    chosen = record or replay
    if not chosen:
        yield
        return
    try:
        import vcr
        from vcr.errors import CannotOverwriteExistingCassetteException
    except ImportError as exc:
        raise ConfigError("recording needs vcrpy: pip install 'grounding[record]'") from exc
    folder = Path(chosen)
    if replay and not (folder / CASSETTE).is_file():
        raise InputError(f"nothing to replay: {folder / CASSETTE} does not exist (--record first)")
    if record:
        folder.mkdir(parents=True, exist_ok=True)
    cassette = vcr.VCR(
        cassette_library_dir=str(folder),
        record_mode="all" if record else "none",
        match_on=["method", "scheme", "host", "port", "path", "query", "body"],
        filter_headers=_SECRET_HEADERS,
        filter_query_parameters=_SECRET_PARAMS,
        decode_compressed_response=True,
    )
    try:
        with cassette.use_cassette(CASSETTE, allow_playback_repeats=True):
            yield
    except CannotOverwriteExistingCassetteException as exc:
        raise InputError(
            f"the replay in {folder} has no answer for a request of this run: {_first_line(exc)}"
        ) from exc


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
