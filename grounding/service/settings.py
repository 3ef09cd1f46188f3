"""The service's settings: what it serves and the limits that keep it standing."""

from __future__ import annotations

from dataclasses import dataclass, field

from grounding.config import Settings
from grounding.errors import ConfigError
from grounding.generation.prompt import MAX_MESSAGE_CHARS
from grounding.retrieval.base import Filter

__all__ = ["ServiceSettings", "parse_api_keys"]


def parse_api_keys(raw: str | None) -> frozenset[str]:
    """Keys from `GROUNDING_API_KEYS` (comma separated); empty means no auth."""
    return frozenset(key.strip() for key in (raw or "").split(",") if key.strip())


@dataclass(frozen=True)
class ServiceSettings:
    """Everything `create_app` needs; limits are per request unless said otherwise.

    `model_name` is the id clients put in `model`; `index`, `web`, `decoder` and
    `scorer` configure the default Grounder, loaded once at start-up. A client may
    ask for another decoder, index or scorer only if it is in `allowed_decoders`,
    `allowed_indexes` or `allowed_scorers` (all loaded at start-up too), and for
    web search only as the server was started: with `web`, or not at all.
    `environment` is the `Settings` read once by `from_env` (the service's entry point)
    and passed to every Grounder and scorer it builds; None when made directly, and
    then each of them reads the environment itself.
    """

    index: str | None = None
    web: str | None = None
    decoder: str = "extractive"
    scorer: str | None = None
    k: int = 5
    model_name: str = "grounding"
    api_keys: frozenset[str] = field(default_factory=frozenset)
    preload: bool = True
    max_body_bytes: int = 1_000_000
    max_messages: int = 64
    max_message_chars: int = MAX_MESSAGE_CHARS  # the CLI's limit too
    max_tokens: int = 4096
    max_sources: int = 64  # per /v1/check request
    max_source_chars: int = 20_000  # per source of a /v1/check request
    max_concurrent: int = 4
    max_queue: int = 64
    request_timeout_s: float = 120.0
    max_cached_grounders: int = 4
    allowed_decoders: frozenset[str] = field(default_factory=frozenset)
    allowed_indexes: frozenset[str] = field(default_factory=frozenset)
    allowed_scorers: frozenset[str] = field(default_factory=frozenset)
    filters: Filter | None = None  # `--filter`: every index searched keeps only these chunks
    environment: Settings | None = field(default=None, repr=False)  # keys inside: not shown

    def __post_init__(self) -> None:
        positive = {
            "max_body_bytes": self.max_body_bytes,
            "max_messages": self.max_messages,
            "max_message_chars": self.max_message_chars,
            "max_tokens": self.max_tokens,
            "max_sources": self.max_sources,
            "max_source_chars": self.max_source_chars,
            "max_concurrent": self.max_concurrent,
            "max_cached_grounders": self.max_cached_grounders,
            "request_timeout_s": self.request_timeout_s,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ConfigError(f"service setting {name} must be positive, got {value}")
        if self.max_queue < 0:
            raise ConfigError(f"service setting max_queue must be >= 0, got {self.max_queue}")

    @classmethod
    def from_env(cls, **overrides: object) -> ServiceSettings:
        """Settings with API keys read from `GROUNDING_API_KEYS`, then `overrides`; every
        variable is read here, once, and kept as `environment`."""
        environment = Settings.from_env()
        values: dict[str, object] = {"api_keys": environment.api_keys, "environment": environment}
        values.update({name: value for name, value in overrides.items() if value is not None})
        # field names with values of their types; __post_init__ checks the limits
        return cls(**values)  # type: ignore[arg-type]
