"""The library's exceptions.

Every error the library raises on purpose is a `GroundingError`; errors from
third-party packages are converted at the adapter (`raise ... from exc`), and
every message says what to do about it.

    GroundingError
    ├── ConfigError            bad or missing configuration (a key, a URL, a setting)
    │   └── NotRegisteredError no decoder, scorer, provider... registered under a name
    ├── InputError             bad input from the caller (empty question, empty sources, bad file)
    ├── IndexStoreError        an index cannot be found, read, or used as asked
    │   ├── IndexNotFoundError
    │   └── EmbeddingMismatchError
    ├── ModelError             a model cannot be loaded or run
    ├── DecoderError           a decoder failed to produce an answer (endpoint down, bad reply)
    ├── RetrievalError         a retriever failed (web provider down, garbage reply)
    │   └── FetchRefusedError  a URL refused by the fetcher's safety rules
    └── ScorerError            a scorer failed (judge returned invalid JSON after retries)
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DecoderError",
    "EmbeddingMismatchError",
    "FetchRefusedError",
    "GroundingError",
    "IndexNotFoundError",
    "IndexStoreError",
    "InputError",
    "ModelError",
    "NotRegisteredError",
    "RetrievalError",
    "ScorerError",
]


class GroundingError(Exception):
    """Base class of every error the library raises on purpose."""


class ConfigError(GroundingError):
    """Configuration is missing or invalid."""


class NotRegisteredError(ConfigError):
    """No implementation is registered under the name asked for (a caller's choice)."""


class InputError(GroundingError):
    """The caller's input cannot be used."""


class IndexStoreError(GroundingError):
    """An index cannot be found, read or used as asked."""


class IndexNotFoundError(IndexStoreError):
    """No index exists under the given name or path."""


class EmbeddingMismatchError(IndexStoreError):
    """The index was built with another embedding model than the one configured."""


class ModelError(GroundingError):
    """A model cannot be loaded or run."""


class DecoderError(GroundingError):
    """A decoder failed to produce an answer."""


class RetrievalError(GroundingError):
    """A retriever failed."""


class FetchRefusedError(RetrievalError):
    """A URL was refused by the fetcher's safety rules."""


class ScorerError(GroundingError):
    """A scorer failed to score."""
