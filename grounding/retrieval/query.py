"""The search query for a question asked in a conversation.

"And on Windows?" after "What is os.EOL?" means "What is os.EOL on Windows?",
but alone it retrieves nothing about os.EOL. `retrieval_query` rewrites a
follow-up question with the conversation, by a fixed rule (no model):

- A question that stands alone is searched as it is: it has at least
  `STANDALONE_WORDS` content words (words that are not stopwords) and no
  pronoun that points back (it, they, those, there, ...), and it does not open
  with a follow-up phrase ("and", "what about", "how about", "also").
- A follow-up question is searched together with the user turns before it,
  nearest first, until `CONTEXT_TURNS` turns or `CONTEXT_CHARS` characters:
  "What is os.EOL? And on Windows?". Both the dense and the keyword search then
  see the earlier turn's key terms (os.EOL) next to the new ones (Windows).

Only user turns count: the assistant's answers would bring their own sources'
words back into the search, and system messages are instructions.
The decoder still sees the question and the history as they were written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from grounding.core.text import content_words
from grounding.schema import Message

__all__ = [
    "CONTEXT_CHARS",
    "CONTEXT_TURNS",
    "STANDALONE_WORDS",
    "is_follow_up",
    "retrieval_query",
]

STANDALONE_WORDS = 5  # content words a question needs to be searched on its own
CONTEXT_TURNS = 2  # earlier user turns a follow-up borrows at most
CONTEXT_CHARS = 1_000  # and at most this many characters of them

_POINTS_BACK = re.compile(  # "that", "this", "one" also start relative clauses: left out
    r"\b(it|its|they|them|their|theirs|these|those|he|him|his|she|her|"
    r"(?<!is )(?<!are )(?<!was )(?<!were )there(?!\s+(?:is|are|was|were|will)\b)|"
    r"the same|the former|the latter)\b",
    re.IGNORECASE,
)
_FOLLOW_UP_OPENING = re.compile(
    r"^\s*(and|but|or|also|so|then|what about|how about|and what about|what if|same for|"
    r"why not|why|how come)\b",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    """Whether `question` leans on the conversation before it (see the module doc)."""
    if _FOLLOW_UP_OPENING.search(question) or _POINTS_BACK.search(question):
        return True
    return len(content_words(question)) < STANDALONE_WORDS


def retrieval_query(question: str, history: Sequence[Message] = ()) -> str:
    """What to search for `question` asked after `history` (see the module doc)."""
    earlier = [m.content.strip() for m in history if m.role == "user" and m.content.strip()]
    if not earlier or not is_follow_up(question):
        return question
    context: list[str] = []
    size = 0
    for turn in reversed(earlier[-CONTEXT_TURNS:]):
        if size + len(turn) > CONTEXT_CHARS:
            turn = turn[: max(CONTEXT_CHARS - size, 0)].rsplit(" ", 1)[0]
        if not turn:
            break
        context.insert(0, turn)
        size += len(turn) + 1
        if not is_follow_up(turn):
            break  # this turn stood alone: the turns before it are another topic
    return " ".join([*context, question.strip()])
