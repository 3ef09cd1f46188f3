"""Dynamic retrieval for `--web auto`: search the web only when it is likely to help.

Like Gemini's dynamic retrieval, a score in [0, 1] says how much a question
needs outside or fresh knowledge, and the web is searched when it reaches a
threshold the user sets. Two signals make the score:

- coverage: how well the best local hit matches the question (cosine of the
  same embeddings the index uses, so the retriever's own score scale does not
  matter); a weak best match means the local sources cannot answer;
- freshness: words that ask about now ("latest", "today", "current") or a
  recent year, which a fixed local corpus answers badly however well it matches.

score = 1 - (1 - need_from_coverage) * (1 - need_from_freshness).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from grounding.backends.embedding_model import DEFAULT_EMBEDDING_MODEL
from grounding.retrieval.web.passages import embed_texts
from grounding.schema import SearchHit

__all__ = ["DEFAULT_WEB_THRESHOLD", "GOOD_MATCH", "WEAK_MATCH", "freshness", "needs_web"]

DEFAULT_WEB_THRESHOLD = 0.5
GOOD_MATCH = 0.55  # MiniLM cosine at which a local chunk usually holds the answer
WEAK_MATCH = 0.25  # ... and below which it is about something else
FRESH_WORD_NEED = 0.6
RECENT_YEAR_NEED = 0.8

_FRESH_WORDS = re.compile(
    r"\b(latest|newest|today|tonight|yesterday|tomorrow|currently|current|right now|nowadays"
    r"|recent|recently|this (?:week|month|year)|last (?:week|month)|breaking|news|upcoming"
    r"|stock price|weather|forecast)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(19|20)\d{2}\b")


def freshness(question: str, now: datetime | None = None) -> tuple[float, str]:
    """(need in [0, 1], the words that show it) from time-sensitive cues in the question."""
    this_year = (now or datetime.now(UTC)).year
    recent = [y.group(0) for y in _YEAR.finditer(question) if int(y.group(0)) >= this_year - 1]
    if recent:
        return RECENT_YEAR_NEED, f"it asks about a recent year ({recent[0]})"
    word = _FRESH_WORDS.search(question)
    if word:
        return FRESH_WORD_NEED, f"it asks about recent events ({word.group(0)!r})"
    return 0.0, ""


def needs_web(
    question: str,
    local_hits: Sequence[SearchHit],
    threshold: float = DEFAULT_WEB_THRESHOLD,
    model: str = DEFAULT_EMBEDDING_MODEL,
) -> tuple[float, str]:
    """(score, reason): how much `question` needs the web given what the local index found."""
    reasons: list[str] = []
    if not local_hits:
        coverage_need = 1.0
        reasons.append("no local source was found")
    else:
        texts = [hit.chunk.text for hit in local_hits[:10]]
        vectors = embed_texts([question, *texts], model)
        best = float((vectors[1:] @ vectors[0]).max())
        coverage_need = min(1.0, max(0.0, (GOOD_MATCH - best) / (GOOD_MATCH - WEAK_MATCH)))
        strength = "strong" if coverage_need == 0 else "weak" if coverage_need == 1 else "partial"
        reasons.append(f"the best local source matches with similarity {best:.2f} ({strength})")
    fresh_need, fresh_reason = freshness(question)
    if fresh_reason:
        reasons.append(fresh_reason)
    score = round(1.0 - (1.0 - coverage_need) * (1.0 - fresh_need), 4)
    verdict = (
        f"web search: score {score:.2f} >= threshold {threshold:.2f}"
        if score >= threshold
        else f"no web search: score {score:.2f} < threshold {threshold:.2f}"
    )
    return score, f"{verdict}; " + "; ".join(reasons)
