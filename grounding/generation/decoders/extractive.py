"""The extractive decoder: answers with the source sentences that best answer the question.

No generation, so nothing can be invented: every sentence is copied from a
source and cited. Deterministic for a given model and input.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import numpy as np

from grounding import models
from grounding.generation.prompt import Prompt
from grounding.text import content_words, looks_like_instructions, sentence_spans

__all__ = ["ExtractiveDecoder"]

NO_ANSWER = "The sources do not answer this question."


class ExtractiveDecoder:
    name = "extractive"
    context_tokens = 8192

    def __init__(
        self, max_sentences: int = 3, min_score: float = 0.25, relative_cutoff: float = 0.95
    ) -> None:
        self.max_sentences = max_sentences
        self.min_score = min_score
        self.relative_cutoff = relative_cutoff

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream(self, prompt: Prompt, max_tokens: int = 256) -> Iterator[str]:
        chosen = self._choose(prompt, max_tokens)
        if not chosen:
            yield NO_ANSWER
            return
        for position, (sentence, index) in enumerate(chosen):
            yield ("" if position == 0 else " ") + _cite(sentence, index)

    def _choose(self, prompt: Prompt, max_tokens: int) -> list[tuple[str, int]]:
        """Greedy: the most relevant sentence, then those that answer more of the question.

        A later sentence must add question words not yet covered (weighted by
        rarity), unless it is nearly as relevant as the best one.
        """
        candidates = [
            (_plain(source.text[s:e]), source.index, rank)
            for rank, source in enumerate(prompt.sources)
            for s, e in sentence_spans(source.text)
            if not source.text[s:e].lstrip().startswith("#")
            and len(content_words(source.text[s:e])) >= 2
            and not looks_like_instructions(source.text[s:e])  # orders are never an answer
        ]
        if not candidates:
            return []
        words = [set(content_words(text)) for text, _, _ in candidates]
        weight = _question_weights(prompt.question, words)
        titles = {source.index: source.title for source in prompt.sources}
        in_context = [f"{titles[index]}: {text}" for text, index, _ in candidates]
        relevance = self._relevance(prompt.question, in_context, words, weight)
        relevance -= 0.01 * np.array([rank for _, _, rank in candidates])  # prefer better sources
        best = float(relevance.max())
        if best < self.min_score:
            return []
        chosen: list[int] = []
        covered: set[str] = set()
        used_tokens = 0
        for i in np.argsort(-relevance, kind="stable")[: 20 * self.max_sentences]:
            if len(chosen) == self.max_sentences:
                break
            new = sum(weight[w] for w in words[i] - covered if w in weight)
            strong = relevance[i] >= self.relative_cutoff * best
            if chosen and not (strong or (new > 0 and relevance[i] >= 0.65 * best)):
                continue
            if any(_jaccard(words[i], words[j]) > 0.5 for j in chosen):
                continue
            used_tokens += self.count_tokens(candidates[i][0])
            if chosen and used_tokens > max_tokens:
                break
            chosen.append(int(i))
            covered |= words[i]
        return [(candidates[i][0], candidates[i][1]) for i in chosen]

    def _relevance(
        self, question: str, sentences: list[str], words: list[set[str]], weight: dict[str, float]
    ) -> np.ndarray:
        """0.6 * cosine similarity + 0.4 * idf-weighted share of the question's words present."""
        vectors = models.embed([question, *sentences])
        cosine = vectors[1:] @ vectors[0]
        total = sum(weight.values()) or 1.0
        lexical = np.array([sum(weight.get(w, 0.0) for w in ws) / total for ws in words])
        return np.asarray(0.6 * cosine + 0.4 * lexical, dtype=np.float64)


def _question_weights(question: str, sentence_words: list[set[str]]) -> dict[str, float]:
    """Each content word of the question weighted by its rarity among the candidate sentences."""
    count = len(sentence_words)
    return {
        word: math.log(1 + count / (1 + sum(word in ws for ws in sentence_words)))
        for word in set(content_words(question))
    }


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(len(a | b), 1)


def _plain(sentence: str) -> str:
    """The sentence without Markdown emphasis, list bullets or line breaks."""
    sentence = re.sub(r"(\*\*|__|`)", "", sentence)
    sentence = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", sentence)
    return " ".join(sentence.split())


def _cite(sentence: str, index: int) -> str:
    """The sentence with its marker before the final punctuation: "... in 1874 [2]."."""
    sentence = " ".join(sentence.split())
    body = sentence.rstrip(".!?;:")
    ending = sentence[len(body) :][:1] or "."
    return f"{body} [{index}]{ending}"
