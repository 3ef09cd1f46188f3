"""Every setting read from the environment, in one table, read once at the edges.

The entry points call `Settings.from_env()` (or take a `Settings` they are given)
and pass it, or the values in it, down: the CLI (`cli/main.py`), the service
(`ServiceSettings.from_env`), a library caller's `Grounder`, and the registries'
`create` when a part is asked for by name without settings (`get_decoder`,
`get_scorer`, `get_reranker`). Nothing below them calls `from_env` (tests/test_settings.py
scans for it) or reads `os.environ` for these names, and importing grounding changes
no variable. The path helpers below take the `Settings` in use; called without one
(by a library user) they read only their own variables, so a bad value of another
variable does not stop them.
Web search providers read their own credentials, declared on each provider
class (`key_env`, `base_url_env`, `GROUNDING_<PROVIDER>_URL`).

    settings = Settings.from_env()
    settings.home, settings.web_threshold
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grounding.errors import ConfigError

__all__ = [
    "VARIABLES",
    "Settings",
    "Variable",
    "grounding_home",
    "indexes_dir",
    "model_cache_dir",
    "setting",
    "settings_table",
]

_TRUE = {"1", "true", "yes", "on"}


def _text(raw: str, name: str) -> str | None:
    return raw or None


def _flag(raw: str, name: str) -> bool:
    return raw.lower() in _TRUE


def _unit_float(raw: str, name: str) -> float | None:
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number in [0, 1], not {raw!r}") from exc
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name} must be a number in [0, 1], not {raw!r}")
    return value


def _seconds(raw: str, name: str) -> float:
    if not raw:
        return 5.0
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from exc
    if not value > 0:
        raise ConfigError(f"{name} must be more than 0 seconds, not {raw!r}")
    return value


def _keys(raw: str, name: str) -> frozenset[str]:
    return frozenset(key.strip() for key in raw.split(",") if key.strip())


def _backend(raw: str, name: str) -> str:
    chosen = raw.lower() or "onnx"
    if chosen not in ("onnx", "torch"):
        raise ConfigError(f"{name} must be onnx or torch, not {raw!r}")
    return chosen


def _path(raw: str, name: str) -> Path | None:
    return Path(raw).expanduser() if raw else None


def _home(raw: str, name: str) -> Path:
    return Path(raw).expanduser() if raw else Path.home() / ".grounding"


@dataclass(frozen=True)
class Variable:
    """One environment variable: the Settings field it fills, what it means, its default."""

    name: str
    attribute: str
    meaning: str
    default: str
    parse: Callable[[str, str], Any] = field(repr=False, compare=False)


VARIABLES: tuple[Variable, ...] = (
    Variable("GROUNDING_HOME", "home", "where built indexes, caches and model files live",
             "`~/.grounding`", _home),
    Variable("GROUNDING_EMBEDDING_MODEL", "embedding_model",
             "a local sentence-transformers folder to embed new indexes with",
             "`all-MiniLM-L6-v2`", _text),
    Variable("GROUNDING_EMBEDDING_BACKEND", "embedding_backend",
             "embed with `onnx` (int8 ONNX Runtime, no torch) or `torch` (sentence-transformers)",
             "`onnx`", _backend),
    Variable("GROUNDING_MODEL_CACHE", "model_cache",
             "where converted models (ONNX exports, Gemma) are cached",
             "`$GROUNDING_HOME/models`", _path),
    Variable("MILVUS_URI", "milvus_uri",
             "the Milvus server (or Zilliz Cloud) the `milvus` store writes new indexes to",
             "a Milvus Lite file in the index folder", _text),
    Variable("MILVUS_TOKEN", "milvus_token", "the token sent to that Milvus server", "none",
             _text),
    Variable("GROUNDING_CROSS_ENCODER", "cross_encoder",
             "the local model folder of the `cross-encoder` scorer", "none", _text),
    Variable("GROUNDING_RERANKER_MODEL", "reranker_model",
             "the local model folder of the `cross-encoder` reranker", "none", _text),
    Variable("OPENAI_BASE_URL", "openai_base_url",
             "the OpenAI-compatible endpoint of the `openai` decoder and `llm-judge` scorer",
             "none", _text),
    Variable("OPENAI_API_KEY", "openai_api_key", "the key sent to that endpoint", "none", _text),
    Variable("GROUNDING_MODEL", "model", "the model name asked for at that endpoint", "none",
             _text),
    Variable("GROUNDING_WEB_PROVIDER", "web_provider",
             "the provider `--web auto` uses", "the first one configured", _text),
    Variable("GROUNDING_WEB_THRESHOLD", "web_threshold",
             "`--web auto` searches when the need-for-web score reaches this", "0.5",
             _unit_float),
    Variable("GROUNDING_ALLOW_PRIVATE_URLS", "allow_private_urls",
             "`1` lets the fetcher read private and loopback addresses", "0", _flag),
    Variable("GROUNDING_API_KEYS", "api_keys",
             "comma-separated keys the service requires as `Authorization: Bearer`",
             "none (no auth)", _keys),
    Variable("GROUNDING_RECORD", "record",
             "a folder: record every outbound HTTP call of the run there (like `--record`)",
             "none", _text),
    Variable("GROUNDING_REPLAY", "replay",
             "a folder: answer HTTP calls from its recording, no network (like `--replay`)",
             "none", _text),
    Variable("GROUNDING_DEBUG", "debug",
             "`1` shows the CLI's tracebacks instead of one-line errors", "0", _flag),
    Variable("GROUNDING_PROGRESS_EVERY", "progress_every",
             "seconds between the progress lines of a long step (`index build`) when its "
             "output is not a terminal", "5", _seconds),
)  # fmt: skip


@dataclass(frozen=True)
class Settings:
    """The values of `VARIABLES`; build with `from_env()` or directly (tests, embedding)."""

    home: Path = field(default_factory=lambda: Path.home() / ".grounding")
    embedding_model: str | None = None
    embedding_backend: str = "onnx"
    model_cache: Path | None = None
    milvus_uri: str | None = None
    milvus_token: str | None = None
    cross_encoder: str | None = None
    reranker_model: str | None = None
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    model: str | None = None
    web_provider: str | None = None
    web_threshold: float | None = None
    allow_private_urls: bool = False
    api_keys: frozenset[str] = frozenset()
    record: str | None = None
    replay: str | None = None
    debug: bool = False
    progress_every: float = 5.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from `environ` (the process environment by default); bad values raise.

        Only entry points call this (see the module's docstring)."""
        return cls(**_parsed(environ, {v.attribute for v in VARIABLES}))

    @property
    def indexes_dir(self) -> Path:
        return self.home / "indexes"

    @property
    def model_cache_dir(self) -> Path:
        return self.model_cache or self.home / "models"


def _parsed(environ: Mapping[str, str] | None, attributes: set[str]) -> dict[str, Any]:
    """The parsed values of the variables that fill `attributes`, from `environ` or the process."""
    source = os.environ if environ is None else environ
    return {
        v.attribute: v.parse(source.get(v.name, "").strip(), v.name)
        for v in VARIABLES
        if v.attribute in attributes
    }


def setting(attribute: str, settings: Settings | None = None) -> Any:
    """`settings.<attribute>`; without settings (a library call with none to pass), that one
    variable read now, alone: a bad value of another variable does not stop it."""
    if settings is not None:
        return getattr(settings, attribute)
    return getattr(Settings(**_parsed(None, {attribute})), attribute)


def settings_table() -> str:
    """The Markdown table of every variable, as the README shows it."""
    rows = ["| variable | meaning | default |", "|---|---|---|"]
    rows += [f"| `{v.name}` | {v.meaning} | {v.default} |" for v in VARIABLES]
    return "\n".join(rows)


def grounding_home(settings: Settings | None = None) -> Path:
    """`$GROUNDING_HOME`, or `~/.grounding`: built indexes and caches live here, never in git."""
    home: Path = setting("home", settings)
    return home


def model_cache_dir(settings: Settings | None = None) -> Path:
    """`$GROUNDING_MODEL_CACHE`, else `$GROUNDING_HOME/models`: converted and exported models."""
    cache: Path | None = setting("model_cache", settings)
    return cache or grounding_home(settings) / "models"


def indexes_dir(settings: Settings | None = None) -> Path:
    """`$GROUNDING_HOME/indexes`: where an index given by a plain name lives."""
    return grounding_home(settings) / "indexes"
