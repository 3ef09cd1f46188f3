"""Local + web, fused: the composite `Retriever` the pipeline holds when `web=` is set.

`LocalAndWeb(local, web)` searches both every time; with `auto=True` it first
asks `needs_web` whether the local hits can answer, and searches the web only
when the score reaches the threshold. Web hits are fused with local hits by
reciprocal-rank fusion and near-duplicates are removed; whether the web was
searched, the score and the reason go into the `Retrieved` result's
RetrievalMetadata, and every fault into its warnings.

`open_web("brave" | "auto" | "auto:<provider>")` reads such a name and returns
what wraps a local retriever, so that a missing key fails before any index is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from grounding.config import Settings, setting
from grounding.errors import ConfigError
from grounding.retrieval.base import Retrieved, Retriever
from grounding.retrieval.fusion import dedupe, reciprocal_rank_fusion
from grounding.retrieval.web.dynamic import DEFAULT_WEB_THRESHOLD, needs_web
from grounding.retrieval.web.registry import AUTO, auto_provider, get_web_search
from grounding.schema import RetrievalMetadata, SearchHit

__all__ = ["LocalAndWeb", "open_web"]


class LocalAndWeb(Retriever):
    """`local`'s hits fused with `web`'s; with `auto`, the web only where local falls short."""

    def __init__(
        self,
        local: Retriever,
        web: Retriever,
        *,
        auto: bool = False,
        threshold: float = DEFAULT_WEB_THRESHOLD,
    ) -> None:
        self.local = local
        self.web = web
        self.auto = auto
        self.threshold = _checked(threshold)
        self.name = f"{local.name}+{web.name}"

    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        return self.retrieve(query, k).hits

    def retrieve(self, query: str, k: int = 5) -> Retrieved:
        """The best `k` of local and web hits fused; local hits alone when the web is skipped."""
        local = self.local.retrieve(query, k)
        if not self.auto:
            return self._fuse(local, self.web.retrieve(query, k), k, None)
        score, reason = needs_web(query, local.hits, self.threshold)
        if score < self.threshold:
            metadata = RetrievalMetadata(
                web_search_used=False, dynamic_retrieval_score=score, reason=reason
            )
            return Retrieved(
                hits=local.hits[:k],
                queries=local.queries,
                warnings=local.warnings,
                retrieval=metadata,
            )
        metadata = RetrievalMetadata(
            web_search_used=True, dynamic_retrieval_score=score, reason=reason
        )
        return self._fuse(local, self.web.retrieve(query, k), k, metadata)

    @staticmethod
    def _fuse(
        local: Retrieved, web: Retrieved, k: int, metadata: RetrievalMetadata | None
    ) -> Retrieved:
        fused = dedupe(reciprocal_rank_fusion([local.hits, web.hits], k=2 * k))[:k]
        return Retrieved(
            hits=fused,
            queries=[*local.queries, *web.queries],
            warnings=[*local.warnings, *web.warnings],
            retrieval=_merged(metadata, web.retrieval),
        )


def _merged(decided: RetrievalMetadata | None, searched: RetrievalMetadata) -> RetrievalMetadata:
    """Why the web was asked (auto's score and reason), with what the search really did."""
    if decided is None:
        return searched
    return decided.model_copy(
        update={
            "web_search_used": searched.web_search_used,
            "web_error": searched.web_error,
            "web_results": searched.web_results,
        }
    )


def open_web(
    web: str,
    threshold: float | None = None,
    settings: Settings | None = None,
    **options: Any,
) -> Callable[[Retriever], LocalAndWeb]:
    """What adds the web to a local retriever, for a provider name, `auto` or `auto:<provider>`.

    `options` go to `get_web_search`. A missing key or a bad threshold raises
    ConfigError here, before any local index is opened. Without `settings` (a library
    call) the three variables it needs are read alone.
    """
    name = web.strip().lower()
    auto = name == AUTO or name.startswith(f"{AUTO}:")
    if auto:
        name = name.partition(":")[2] or auto_provider(settings)
    options.setdefault("allow_private", setting("allow_private_urls", settings))
    search = get_web_search(name, **options)
    if threshold is None:
        configured = setting("web_threshold", settings)
        threshold = DEFAULT_WEB_THRESHOLD if configured is None else configured
    return partial(LocalAndWeb, web=search, auto=auto, threshold=_checked(threshold))


def _checked(threshold: float) -> float:
    if not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"the web search threshold must be in [0, 1], not {threshold}")
    return threshold
