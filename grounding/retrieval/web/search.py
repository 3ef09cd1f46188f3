"""WebSearch: a `Retriever` over the web; one question in, ranked web passages out.

The steps: ask the provider; drop duplicate URLs; fetch every result page in
parallel (each URL, and each redirect, through the URL guard); read the main
text; pick each page's best passages against the question. A result whose URL
is refused is dropped whole, snippet too; a page that cannot be fetched falls
back to the provider's snippet. Nothing but a configuration error raises: an
answer can always be given from the local sources. `retrieve` returns the hits
with the query sent and every fault as a warning; `search` returns the hits alone.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from grounding.backends.embedding_model import DEFAULT_EMBEDDING_MODEL
from grounding.errors import RetrievalError
from grounding.retrieval.base import Retrieved, Retriever
from grounding.retrieval.web.fetch import Fetcher, FetchFailure, FetchOutcome, Page
from grounding.retrieval.web.passages import (
    DEFAULT_CANDIDATES_PER_PAGE,
    SUSPECT_TAG,
    WebDocument,
    embed_texts,
    select_passages,
)
from grounding.retrieval.web.provider import SearchProvider, WebResult
from grounding.schema import RetrievalMetadata, SearchHit

__all__ = ["WebSearch"]


class WebSearch(Retriever):
    """A provider, a fetcher and passage selection behind one retriever."""

    def __init__(
        self,
        provider: SearchProvider,
        *,
        fetcher: Fetcher | None = None,
        fetch_pages: bool = True,
        passages_per_page: int = 1,
        candidates_per_page: float = DEFAULT_CANDIDATES_PER_PAGE,
        embedding_model: str = DEFAULT_EMBEDDING_MODEL,
    ) -> None:
        self.provider = provider
        self.name = f"web:{provider.name}"
        self.fetcher = fetcher or Fetcher()
        self.fetch_pages = fetch_pages
        self.passages_per_page = passages_per_page
        self.candidates_per_page = max(candidates_per_page, passages_per_page)
        self.embedding_model = embedding_model

    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        """At most `k` results' best passages for `query`; never raises for a fault."""
        return self.retrieve(query, k).hits

    def retrieve(self, query: str, k: int = 5) -> Retrieved:
        """At most `k` results' best passages, the query sent, and every fault as a warning."""
        used = RetrievalMetadata(
            web_search_used=True, reason=f"web search requested ({self.provider.name})"
        )
        query = " ".join(query.split())
        if not query:
            skipped = ["web search skipped: the question is empty"]
            return Retrieved(hits=[], warnings=skipped, retrieval=used)
        try:
            results = _unique(self.provider.search(query, k))
        except RetrievalError as exc:
            failed = [f"web search failed: {exc}"]
            error = used.model_copy(update={"web_search_used": False, "web_error": str(exc)})
            return Retrieved(hits=[], queries=[query], warnings=failed, retrieval=error)
        with ThreadPoolExecutor(max_workers=1) as pool:  # the CPU is idle while pages load
            question = pool.submit(embed_texts, [query], self.embedding_model) if results else None
            outcomes: list[FetchOutcome | None] = (
                list(self.fetcher.fetch_many([result.url for result in results]))
                if self.fetch_pages
                else [None] * len(results)
            )
        documents: list[WebDocument] = []
        warnings: list[str] = []
        for result, outcome in zip(results, outcomes, strict=True):
            document = _document(result, outcome, warnings)
            if document is not None:
                documents.append(document)
        question_vector = question.result()[0] if question is not None and documents else None
        try:
            hits = select_passages(
                query,
                documents,
                retriever=self.name,
                per_page=self.passages_per_page,
                candidates_per_page=self.candidates_per_page,
                model=self.embedding_model,
                question_vector=question_vector,
            )
        except ValueError as exc:  # a page whose text cannot be chunked; not expected
            warnings.append(f"web pages could not be split into passages: {exc}")
            hits = []
        warnings.extend(
            f"{hit.chunk.uri} contains text that reads like instructions to the model; "
            "it is used only as quoted evidence"
            for hit in hits
            if SUSPECT_TAG in hit.chunk.tags
        )
        found = used.model_copy(update={"web_results": len(hits)})
        return Retrieved(hits=hits, queries=[query], warnings=warnings, retrieval=found)


def _document(
    result: WebResult, outcome: FetchOutcome | None, warnings: list[str]
) -> WebDocument | None:
    """The text to rank for one result; None when the result must be dropped."""
    if isinstance(outcome, FetchFailure) and outcome.refused:
        warnings.append(f"dropped web result {result.url}: {outcome.reason}")
        return None
    if isinstance(outcome, Page) and outcome.text:
        title = outcome.title or result.title
        return WebDocument(outcome.final_url, title, outcome.text, result.rank)
    if isinstance(outcome, FetchFailure):
        reason = outcome.reason.removeprefix(f"{result.url} ")
        warnings.append(f"could not fetch {result.url} ({reason}); using its snippet")
    elif isinstance(outcome, Page):
        warnings.append(f"no readable text at {result.url}; using its snippet")
    if not result.snippet:
        return None
    return WebDocument(result.url, result.title, result.snippet, result.rank, is_snippet=True)


def _unique(results: list[WebResult]) -> list[WebResult]:
    """Results with repeated URLs (ignoring a trailing slash or #fragment) dropped."""
    seen: set[str] = set()
    unique: list[WebResult] = []
    for result in results:
        key = result.url.split("#", 1)[0].rstrip("/")
        if key not in seen:
            seen.add(key)
            unique.append(result)
    return unique
