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
