"""Local hits plus the web: what the pipeline calls when `web=` is set.

`WebAugmenter("brave")` searches every time; `WebAugmenter("auto")` first asks
`needs_web` whether the local hits can answer, and searches only when the score
reaches the threshold. Web hits are fused with local hits by reciprocal-rank
fusion and near-duplicates are removed; whether the web was searched, the
score and the reason go into RetrievalMetadata, and every fault into warnings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from grounding.config import Settings
from grounding.errors import ConfigError
from grounding.retrieval.fusion import dedupe, reciprocal_rank_fusion
from grounding.retrieval.web.dynamic import DEFAULT_WEB_THRESHOLD, needs_web
from grounding.retrieval.web.registry import AUTO, auto_provider, get_web_search
from grounding.retrieval.web.search import WebSearch
from grounding.schema import RetrievalMetadata, SearchHit

__all__ = ["THRESHOLD_ENV", "Augmented", "WebAugmenter"]

THRESHOLD_ENV = "GROUNDING_WEB_THRESHOLD"


@dataclass(frozen=True)
class Augmented:
    """The fused hits, the web queries sent, warnings, and whether and why the web was used."""

    hits: list[SearchHit]
    queries: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    retrieval: RetrievalMetadata = field(default_factory=RetrievalMetadata)


class WebAugmenter:
    """Adds web hits to local hits for one provider name, `auto` or `auto:<provider>`."""

    def __init__(
        self,
        web: str | WebSearch,
        threshold: float | None = None,
        settings: Settings | None = None,
        **options: Any,
    ) -> None:
        settings = settings or Settings.from_env()
        self.auto = False
        if isinstance(web, WebSearch):
            self.search = web
        else:
            name = web.strip().lower()
            if name == AUTO or name.startswith(f"{AUTO}:"):
                self.auto = True
                name = name.partition(":")[2] or auto_provider(settings)
            options.setdefault("allow_private", settings.allow_private_urls)
            self.search = get_web_search(name, **options)
        self.threshold = _threshold(threshold, settings)

    def augment(self, question: str, local_hits: Sequence[SearchHit], k: int) -> Augmented:
        """The best `k` of local and web hits fused; local hits alone when the web is skipped."""
        score: float | None = None
        if self.auto:
            score, reason = needs_web(question, local_hits, self.threshold)
            if score < self.threshold:
                metadata = RetrievalMetadata(
                    web_search_used=False, dynamic_retrieval_score=score, reason=reason
                )
                return Augmented(hits=list(local_hits)[:k], retrieval=metadata)
        else:
            reason = f"web search requested ({self.search.provider.name})"
        found = self.search.search(question, k=k)
        fused = dedupe(reciprocal_rank_fusion([list(local_hits), found.hits], k=2 * k))[:k]
        metadata = RetrievalMetadata(
            web_search_used=True, dynamic_retrieval_score=score, reason=reason
        )
        return Augmented(
            hits=fused, queries=found.queries, warnings=found.warnings, retrieval=metadata
        )


def _threshold(value: float | None, settings: Settings) -> float:
    if value is None:
        configured = settings.web_threshold
        value = DEFAULT_WEB_THRESHOLD if configured is None else configured
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"the web search threshold must be in [0, 1], not {value}")
    return value
