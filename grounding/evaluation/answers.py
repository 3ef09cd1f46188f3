"""Is the answer right? Answer matching, the right document, refusals.

Answer matching follows SQuAD's normalisation (lower case, punctuation and
articles dropped, whitespace collapsed) with citation markers removed first:

- exact: the normalised answer equals the normalised expected answer;
- contains: the normalised expected answer occurs in the normalised answer;
- token F1: the harmonic mean of token precision and recall between the two.

A question is *answerable* when its row has an expected answer (or says
`"answerable": true`); a refusal is an answer with `answered` false.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from grounding.schema import CITATION_MARKER

__all__ = ["AnswerMatch", "cites_document", "match_answer", "normalize_answer"]

_PUNCTUATION = set(string.punctuation) | set("“”‘’«»–—…")
_KEPT = set("+#%$._-~/()[]")  # keep in tokens: versions, options, paths, function calls
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """Lower case, without citation markers, quotes, articles or surrounding punctuation."""
    text = CITATION_MARKER.sub(" ", text).lower()
    text = "".join(" " if c in _PUNCTUATION and c not in _KEPT else c for c in text)
    tokens = [token.strip(".,;:()[]") for token in _ARTICLES.sub(" ", text).split()]
    return " ".join(token for token in tokens if token)


@dataclass(frozen=True)
class AnswerMatch:
    """How an answer compares with the expected one."""

    exact: bool
    contains: bool
    f1: float


def match_answer(answer: str, expected: str) -> AnswerMatch:
    """Exact match, containment and token F1 of `answer` against `expected`."""
    got, want = normalize_answer(answer), normalize_answer(expected)
    if not want:
        raise ValueError("the expected answer is empty after normalisation")
    return AnswerMatch(
        exact=got == want,
        contains=f" {want} " in f" {got} ",
        f1=_token_f1(got.split(), want.split()),
    )


def _token_f1(got: list[str], want: list[str]) -> float:
    common = sum((Counter(got) & Counter(want)).values())
    if not common:
        return 0.0
    precision, recall = common / len(got), common / len(want)
    return 2 * precision * recall / (precision + recall)


def cites_document(cited_uris: Iterable[str], document: str) -> bool:
    """Whether a cited source's URI or id ends with the expected `document` path."""
    wanted = document.strip("/")
    return any(uri == wanted or uri.endswith("/" + wanted) for uri in cited_uris)
