"""Relevance: does the answer address the question? A score in [0, 1].

Support says whether the sources back the answer; it says nothing about whether
the answer answers. Relevance does, from the question and the answer alone.

`relevance` is the pair model's answer head (`grounding.backends.pair`, trained here on
SQuAD 2.0, QNLI and TrecQA): P(the answer, citation markers left out, answers the question).

`lexical_relevance` is the score before the pair model, from words alone:

- coverage: the share of the question's key terms that the answer contains,
  weighted so that identifiers (`os.EOL`, `ffi_prep_cif`, `--posix`) and
  numbers count twice as much as plain words; words match on a shared stem;
- answer type: a question that asks for a number, a date, a version, an option,
  an environment variable, a function or a person needs one in the answer
  ("When was 1.12 released?" is not answered without a date or version), and three
  narrower asks need theirs: "how many passengers" a number next to "passengers"
  (not any number), opening times or hours a time of day or a weekday, "which
  platform" (architecture, operating system) a name the question does not give, and
  "which function" a function name the question does not give (a C type such as
  `size_t` is not one);
- a terse answer (at most four words) of the asked-for type covers the question in full:
  "142 [1]." answers "How many steps lead to the lantern room?";
- a refusal ("The sources do not answer this question.") scores 0.

    relevance = coverage * (1 if the expected type is present or none is expected
                            else TYPE_MISSING_FACTOR)

Pure Python (no model, no torch), deterministic, a few microseconds per call.
`RELEVANT_AT` is the cut below which an answer is shown as not addressing the
question; below `ANSWERED_AT` the Grounder withholds it and refuses (answered false).
Both were chosen on the tune part of eval/realdocs and the demo questions: at 0.2 every
tune question the corpus cannot answer is refused and no right answer is lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from grounding.core.answer_types import answer_type, has_answer_type, is_refusal
from grounding.core.text import STOPWORDS
from grounding.schema import CITATION_MARKER

__all__ = [
    "ANSWERED_AT",
    "LEXICAL_ANSWERED_AT",
    "LEXICAL_RELEVANT_AT",
    "RELEVANT_AT",
    "answer_type",
    "is_refusal",
    "lexical_relevance",
    "relevance",
]  # answer_type, is_refusal: from answer_types

# The answer head's cuts (`relevance`): below RELEVANT_AT an answer is shown as not addressing
# the question; below ANSWERED_AT the Grounder withholds it and refuses. Chosen on the tune
# parts of eval/realdocs, eval/docs300 and eval/squad2e2e (bench/answerable.py sweep).
RELEVANT_AT = 0.5
ANSWERED_AT = 0.06
# The same cuts for `lexical_relevance` (chosen on eval/realdocs tune and the demo questions).
LEXICAL_RELEVANT_AT = 0.4
LEXICAL_ANSWERED_AT = 0.2
TYPE_MISSING_FACTOR = 0.3
TERSE_WORDS = 4  # an answer this short that has the asked-for type answers in full
# The narrower asks read a few words around the answer, so a miss there halves the score
# (it shows as "may not address") rather than cutting it towards a refusal.
NARROW_MISSING_FACTOR = 0.5

# Question words that say what kind of answer is wanted but are not its content.
_CUE_WORDS = frozenset(
    """version versions release releases option options flag flags variable variables
    environment function functions command commands program value values name named called
    number default kind kinds type way ways mean means stand stands happen happens
    tell say says new""".split()
)
_TOKEN = re.compile(r"[A-Za-z0-9_$~][\w.$/~+-]*(?<![.\-/])|--?[A-Za-z][\w-]*")


def relevance(question: str, answer: str, refusal: bool | None = None) -> float:
    """P(`answer` answers `question`) by the pair model's answer head, in [0, 1]; 0 for a
    refusal. Citation markers are left out of what the model reads. `refusal` is the
    caller's decision whether `answer` is a refusal, when it has made it (None: decided here).
    """
    if is_refusal(answer) if refusal is None else refusal:
        return 0.0
    from grounding.backends.pair import pair_model

    text = " ".join(CITATION_MARKER.sub(" ", answer).split())
    return round(float(pair_model().answer_scores(question, [text])[0]), 4)


def lexical_relevance(
    question: str,
    answer: str,
    similarity: Callable[[str, str], float] | None = None,
) -> float:
    """The previous relevance, from words alone: how well `answer` addresses `question`,
    in [0, 1] (see the module docstring).

    `similarity`, when given, is a semantic similarity in [0, 1] (e.g. embedding
    cosine) averaged in with the lexical coverage, which helps paraphrases.
    """
    if is_refusal(answer):
        return 0.0
    text = CITATION_MARKER.sub(" ", answer)
    typed = has_answer_type(question, text)
    terms = _key_terms(question)
    answer_stems = _stems(text)
    total = sum(terms.values())
    coverage = (
        sum(w for term, w in terms.items() if _stem(term) in answer_stems) / total if total else 1.0
    )
    if len(text.split()) <= TERSE_WORDS and typed:
        coverage = 1.0  # "142 [1]." answers "How many steps ...?" without repeating it
    elif similarity is not None:
        coverage = 0.5 * coverage + 0.5 * min(max(similarity(question, answer), 0.0), 1.0)
    return round(min(max(coverage * _type_factor(question, text, typed), 0.0), 1.0), 4)


def _type_factor(question: str, text: str, typed: bool | None) -> float:
    """`typed`: `has_answer_type(question, text)`, which the caller already has."""
    if typed is False:
        return TYPE_MISSING_FACTOR
    if any(rule(question, text) is False for rule in _NARROW_ASKS):
        return NARROW_MISSING_FACTOR
    return 1.0


_HOW_MANY = re.compile(r"\bhow many ((?:[\w'-]+ ?){1,3})", re.IGNORECASE)
_COUNT = re.compile(
    r"(?<![A-Za-z_])\d[\d,.]*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve|once|twice|thrice|dozens?|hundreds?|thousands?|millions?|several|no)\b",
    re.IGNORECASE,
)


def _counted(question: str, text: str) -> bool | None:
    """A count up to three words before what "how many" asks about ("180 passengers",
    "41 fishermen" for men), not any number; None when not asked."""
    asked = _HOW_MANY.search(question)
    if not asked:
        return None
    nouns = {_stem(w) for w in _tokens(asked.group(1)) if w.lower() not in STOPWORDS}
    if not nouns:
        return None
    words = text.split()
    if len(words) <= TERSE_WORDS and any(_COUNT.fullmatch(w.strip("(~.,;:")) for w in words):
        return True  # "142." says the count alone
    for i, word in enumerate(words):
        if not _COUNT.fullmatch(word.strip("(~")):
            continue
        for after in words[i + 1 : i + 4]:  # "41 fishermen", "about 300 grey seals"
            if any(_stem(after.strip("()[]{},;:!?'\"*")).endswith(n) for n in nouns):
                return True
            if after[-1] in ",;:.!?":
                break
    return False


_TIMES_ASKED = re.compile(
    r"\b(?:opening|closing) (?:times?|hours)\b|\bwhat time\b|\bwhich hours\b", re.IGNORECASE
)
_TIME_OF_DAY = re.compile(  # a clock time, "at 9", a part of the day, a weekday, "daily"
    r"\b\d{1,2}[:.]\d\d\b|\b\d{1,2} ?(?:am|pm|a\.m\.|p\.m\.)|\bat \d{1,2}\b|o'clock|\bnoon\b|"
    r"\bmidnight\b|\b(?:morning|afternoon|evening|night|dawn|dusk|sunrise|sunset)s?\b|"
    r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b|\bdaily\b|\bevery day\b|\b24 hours\b",
    re.IGNORECASE,
)


def _timed(question: str, text: str) -> bool | None:
    """Opening times, hours, "what time": a time of day or a weekday; None when not asked."""
    if not _TIMES_ASKED.search(question):
        return None
    return bool(_TIME_OF_DAY.search(text))


# "which", "what is the", "which two x86" ... then the kind of thing asked for
_WHICH = r"\b(?:which|what) (?:(?:is|are|was|were) )?(?:(?:the|a|an) )?(?:[\w.+-]+ ){0,2}?"
_PLATFORM_ASKED = re.compile(
    _WHICH + r"(?:platforms?|architectures?|operating systems?|OS|CPUs?|processors?)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"(?<![\w.-])[A-Za-z][\w.+-]*[A-Z0-9][\w.+-]*|(?<![\w.-])[A-Z][a-z]+")


def _platform(question: str, text: str) -> bool | None:
    """A "which platform" question needs a name it does not give itself ("PowerPC",
    "x86-64", "Windows"), not a capitalised word that only starts a sentence; None when
    not asked."""
    if not _PLATFORM_ASKED.search(question):
        return None
    given = {w.lower() for w in _tokens(question)}
    for match in _NAME.finditer(text):
        before = text[: match.start()].rstrip()
        starts_sentence = not before or before[-1] in ".!?:"
        word = match.group().rstrip(".").lower()
        if word not in given and not (starts_sentence and match.group().istitle()):
            return True
    return False


_FUNCTION_ASKED = re.compile(_WHICH + r"(?:functions?|methods?|macros?)\b", re.IGNORECASE)
_FUNCTION_NAME = re.compile(  # called "f(", snake_case, camelCase or dotted "os.type"
    r"[A-Za-z_]\w*(?= ?\()|\b[A-Za-z]\w*_\w+\b|\b[a-z]+[A-Z]\w*\b|\b[A-Za-z_]\w*\.[A-Za-z_]\w*\b"
)


def _function(question: str, text: str) -> bool | None:
    """A "which function" question needs a function name (called, snake_case, camelCase
    or dotted) that it does not give itself and that is not a C type (`size_t`); None when
    not asked."""
    if not _FUNCTION_ASKED.search(question):
        return None
    given = {w.lower() for w in _tokens(question)}
    return any(
        name.lower() not in given and not name.endswith("_t")
        for name in _FUNCTION_NAME.findall(text)
    )


_NARROW_ASKS = (_counted, _timed, _platform, _function)


def _key_terms(question: str) -> dict[str, float]:
    """The question's content terms with their weights (identifiers and numbers weigh 2)."""
    terms: dict[str, float] = {}
    for token in _tokens(question):
        word = token.lower()
        if word in STOPWORDS or word in _CUE_WORDS or len(word) < 2:
            continue
        identifier = bool(re.search(r"[\d_.$/-]", token)) or (
            token != token.lower() and token != token.capitalize()
        )
        terms[word] = max(terms.get(word, 0.0), 2.0 if identifier else 1.0)
    return terms


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _stems(text: str) -> set[str]:
    """Stems of the words of `text`, and of the parts of its identifiers (`LIBFFI_TMPDIR`)."""
    stems = set()
    for token in _tokens(text):
        stems.add(_stem(token))
        stems.update(_stem(part) for part in re.split(r"[_./-]+", token) if len(part) > 1)
    return stems


def _stem(word: str) -> str:
    """A crude English stem, enough to match "installs" with "installed"."""
    word = word.lower().strip(".`'\"").lstrip("$")  # $VAR is VAR
    if re.search(r"[\d_.$/-]", word):
        return word
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word
