"""The extractive decoder: answers with the source sentences that best answer the question.

No generation, so nothing can be invented: every sentence is copied from a
source and cited. Deterministic for a given model and input.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from grounding import models
from grounding.generation.prompt import Prompt
from grounding.text import content_words, sentence_spans

__all__ = ["ExtractiveDecoder"]

NO_ANSWER = "The sources do not answer this question."


class ExtractiveDecoder:
    name = "extractive"
    context_tokens = 8192

    def __init__(
        self, max_sentences: int = 3, min_score: float = 0.25, relative_cutoff: float = 0.8
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
        candidates = [
            (source.text[s:e], source.index, rank)
            for rank, source in enumerate(prompt.sources)
            for s, e in sentence_spans(source.text)
            if len(content_words(source.text[s:e])) >= 3
        ]
        if not candidates:
            return []
        scores = self._scores(prompt.question, [text for text, _, _ in candidates])
        scores -= 0.01 * np.array([rank for _, _, rank in candidates])  # prefer better sources
        order = np.argsort(-scores, kind="stable")
        best = float(scores[order[0]])
        if best < self.min_score:
            return []
        chosen: list[tuple[str, int]] = []
        chosen_words: list[set[str]] = []
        used_tokens = 0
        for i in order[: 4 * self.max_sentences]:
            text, index, _ = candidates[int(i)]
            words = set(content_words(text))
            if scores[i] < self.relative_cutoff * best or len(chosen) == self.max_sentences:
                break
            if any(len(words & other) / max(len(words | other), 1) > 0.6 for other in chosen_words):
                continue
            used_tokens += self.count_tokens(text)
            if chosen and used_tokens > max_tokens:
                break
            chosen.append((text, index))
            chosen_words.append(words)
        return chosen

    def _scores(self, question: str, sentences: list[str]) -> np.ndarray:
        """0.7 * cosine similarity + 0.3 * share of the question's content words present."""
        encoder = models.embedder()
        vectors = encoder.encode([question, *sentences], normalize_embeddings=True)
        cosine = vectors[1:] @ vectors[0]
        asked = set(content_words(question))
        lexical = np.array(
            [len(asked & set(content_words(s))) / max(len(asked), 1) for s in sentences]
        )
        return np.asarray(0.7 * cosine + 0.3 * lexical, dtype=np.float64)


def _cite(sentence: str, index: int) -> str:
    """The sentence with its marker before the final punctuation: "... in 1874 [2]."."""
    sentence = " ".join(sentence.split())
    body = sentence.rstrip(".!?;:")
    ending = sentence[len(body) :][:1] or "."
    return f"{body} [{index}]{ending}"
