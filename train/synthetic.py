"""Synthetic unsupported answers: perturb a supported answer and label the changed span.

Used only to train the word-level stages (`train_checker.py --synthetic`); never measured.
Each supported (label 0) row yields one perturbed copy, its kind chosen by a hash of its id:
a number swapped for another number of the sources, a name swapped for another name of the
sources, a negation inserted, or a clause from another answer appended.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["perturb_rows"]

_NUMBER = re.compile(r"\b\d[\d,.]*\b")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]{2,}\b")
_VERB = re.compile(r"\b(is|was|are|were|has|had|can|will|does|did)\b ")


def _pick(key: str, n: int) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % n


def _swap(answer: str, pattern: re.Pattern[str], pool: list[str], key: str) -> dict | None:
    found = list(pattern.finditer(answer))
    if not found:
        return None
    match = found[_pick(key + "m", len(found))]
    choices = sorted({p for p in pool if p != match.group() and p.lower() != match.group().lower()})
    if not choices:
        return None
    new = choices[_pick(key + "c", len(choices))]
    text = answer[: match.start()] + new + answer[match.end() :]
    return {"answer": text, "spans": [{"start": match.start(), "end": match.start() + len(new)}]}


def _negate(answer: str, key: str) -> dict | None:
    found = list(_VERB.finditer(answer))
    if not found:
        return None
    match = found[_pick(key, len(found))]
    at = match.end()
    rest = re.match(r"\S+", answer[at:])
    end = at + 4 + (rest.end() if rest else 0)
    text = answer[:at] + "not " + answer[at:]
    return {"answer": text, "spans": [{"start": at, "end": end}]}


def _append(answer: str, donors: list[str], key: str) -> dict | None:
    sentences = [s for d in donors for s in re.split(r"(?<=[.!?])\s+", d) if 30 < len(s) < 160]
    ends = [m.start() for m in re.finditer(r"\.(?=\s|$)", answer)]
    if not sentences or not ends:
        return None
    clause = sentences[_pick(key + "s", len(sentences))].rstrip(".!?")
    clause = clause[0].lower() + clause[1:]
    at = ends[_pick(key + "e", len(ends))]
    insert = ", and " + clause
    text = answer[:at] + insert + answer[at:]
    return {"answer": text, "spans": [{"start": at + 6, "end": at + len(insert)}]}


def _perturb_one(answer: str, source: str, donors: list[str], key: str) -> dict | None:
    """The first perturbation that applies, starting from one chosen by the row's key."""
    first = _pick(key, 4)
    for step in range(4):
        kind = (first + step) % 4
        if kind == 0:
            made = _swap(answer, _NUMBER, _NUMBER.findall(source), key)
        elif kind == 1:
            made = _swap(answer, _NAME, _NAME.findall(source), key)
        elif kind == 2:
            made = _negate(answer, key)
        else:
            made = _append(answer, donors, key)
        if made:
            return made
    return None


def perturb_rows(rows: list[dict]) -> list[dict]:
    """One synthetic unsupported copy of each supported row (when a perturbation applies)."""
    out = []
    by_task: dict[str, list[dict]] = {}
    for row in rows:
        by_task.setdefault(row["task"], []).append(row)
    for row in rows:
        if row["label"] != 0:
            continue
        key, source = row["id"], "\n".join(row["sources"])
        donors = [r["answer"] for r in by_task[row["task"]] if r["sources"] != row["sources"]]
        donors = donors[_pick(key + "d", max(len(donors), 1)) :][:5]
        made = _perturb_one(row["answer"], source, donors, key)
        if made:
            out.append({**row, **made, "id": row["id"] + "-synthetic", "label": 1})
    return out


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
_CALENDAR = re.compile(r"\b(" + "|".join(_WEEKDAYS + _MONTHS) + r")\b")


def _calendar(answer: str, key: str) -> dict | None:
    found = list(_CALENDAR.finditer(answer))
    if not found:
        return None
    match = found[_pick(key + "m", len(found))]
    pool = _WEEKDAYS if match.group() in _WEEKDAYS else _MONTHS
    return _swap(answer, re.compile(rf"\b{match.group()}\b"), list(pool), key)


def _variant(answer: str, source: str, donors: list[str], kind: int, key: str) -> dict | None:
    if kind == 0:
        return _swap(answer, _NUMBER, _NUMBER.findall(source), key)
    if kind == 1:
        return _swap(answer, _NAME, _NAME.findall(source), key)
    if kind == 2:
        return _negate(answer, key)
    if kind == 3:
        return _append(answer, donors, key)
    return _calendar(answer, key)


def _lifted(source: str, key: str, count: int) -> list[str]:
    """`count` runs of 2-4 consecutive source sentences (150-700 characters): supported text."""
    sentences = [m.strip() for m in re.split(r"(?<=[.!?])\s+", source) if len(m.strip()) > 20]
    out = []
    for k in range(count * 3):
        if len(out) == count or len(sentences) < 2:
            break
        size = 2 + _pick(f"{key}:{k}:n", 3)
        begin = _pick(f"{key}:{k}:b", max(len(sentences) - size + 1, 1))
        text = " ".join(sentences[begin : begin + size])
        if 150 <= len(text) <= 700 and text not in out:
            out.append(text)
    return out


def synthetic_rows(rows: list[dict], variants: int = 6, lifted: int = 4) -> list[dict]:
    """Many synthetic rows for training the neural tagger (`train/neural_data.py`).

    Each supported row gives up to `variants` perturbed copies (number, name, weekday or month
    swapped for one of the sources; a negation; a clause of another answer added), the changed
    span labelled. Each distinct non-record source gives `lifted` supported answers of
    consecutive source sentences, and one perturbed copy of each. Deterministic.
    """
    by_task: dict[str, list[dict]] = {}
    for row in rows:
        by_task.setdefault(row["task"], []).append(row)
    out: list[dict] = []
    seen_sources: set[str] = set()
    for row in rows:
        source = "\n".join(row["sources"])
        donors = [r["answer"] for r in by_task[row["task"]] if r["sources"] != row["sources"]]
        donors = donors[_pick(row["id"] + "d", max(len(donors), 1)) :][:8]
        bases = [row["answer"]] if row["label"] == 0 else []
        if source not in seen_sources and not source.lstrip().startswith("{"):
            seen_sources.add(source)
            for k, text in enumerate(_lifted(source, row["id"], lifted)):
                out.append({**row, "id": f"{row['id']}-lift{k}", "answer": text, "label": 0,
                            "spans": []})  # fmt: skip
                bases.append(text)
        for b, base in enumerate(bases):
            tries = variants if b == 0 and row["label"] == 0 else 1
            made_kinds: set[int] = set()
            for v in range(tries * 2):
                if len(made_kinds) >= tries and v >= tries:
                    break
                key = f"{row['id']}:{b}:{v}"
                kind = (_pick(key, 5) + v) % 5
                made = _variant(base, source, donors, kind, key)
                if made and made["answer"] not in {r["answer"] for r in out[-12:]}:
                    made_kinds.add(kind)
                    out.append({**row, **made, "id": f"{row['id']}-syn{b}.{v}", "label": 1})
                    if len(made_kinds) >= tries:
                        break
    return out
