"""Training and aside pairs for the pair model (support and answer heads), as JSONL.

    python train/pair_data.py [--data ../shared/data] [--out train/out/pair]

Reads `../shared/data/pairs/` (its README gives each set's origin, licence and paper) and the
tune split of `ragtruth-dev` and QAGS (`bench/split_data.py`'s side; the holdout is never read).
Every row becomes one or more pairs `{"a": evidence, "b": claim or question, "task": "support"
| "answer", "y": 1 if b follows from / is answered by a, "set", "synthetic"}`:

- support: each answer sentence against `select_evidence` of its sources (the same selection
  the checker makes at run time). A supported answer gives positives; an answer with marked
  spans gives a negative for each sentence a span touches; an unsupported answer without spans
  counts only when it is short (one sentence, or under 300 characters).
- answer: the question against the passage's evidence for it (SQuAD 2.0: the answer's sentence
  is kept in; also the answer sentence alone as a positive and another sentence as a negative),
  and the QNLI and TrecQA sentences as they are.
- synthetic negatives (train side only): a supported claim with a number, name, weekday or
  month swapped for another of its evidence, a negation added or removed, an antonym, or a
  count changed ("twice" to "three times").

Split by source document, never by row: a hash of the premise, article, page or question (SQuAD
by article title; QNLI with the SQuAD article its sentence comes from) sends ASIDE_SHARE of the
documents aside, for measuring only. Deterministic.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from split_data import is_holdout  # noqa: E402

from grounding.backends.evidence import select_evidence, sentences_of  # noqa: E402
from grounding.checking.scorers.pair import evidence_units  # noqa: E402
from grounding.core.text import sentence_spans  # noqa: E402

ASIDE_SHARE = 0.15
CLAIM_CHARS = 300
SUPPORT_FILES = ("mnli", "fever-nli", "summedits", "frank", "xsum-faith", "factcc", "wice",
                 "begin", "faithdial", "q2", "cogensumm")  # fmt: skip
ANSWER_FILES = ("squad2", "qnli", "trecqa")


def _hash(text: str) -> float:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF


def is_aside(key: str) -> bool:
    return _hash("pair-aside:" + key) < ASIDE_SHARE


def support_pairs(row: dict, name: str) -> Iterator[dict]:
    units = evidence_units(row["sources"])
    if not units:
        return
    answer, spans = row["answer"], row.get("spans") or []
    sentences = sentence_spans(answer) or [(0, len(answer))]
    labelled: list[tuple[str, int]] = []
    if row["label"] == 0:
        labelled = [(answer[s:e], 1) for s, e in sentences[:4]]
    elif spans:
        for s, e in sentences:
            hit = any(s < sp["end"] and sp["start"] < e for sp in spans)
            labelled.append((answer[s:e], 0 if hit else 1))
    elif len(sentences) == 1 or len(answer) <= CLAIM_CHARS:
        labelled = [(answer, 0)]
    for claim, y in labelled:
        if 8 <= len(claim) <= CLAIM_CHARS:
            yield {"a": select_evidence(units, claim), "b": claim, "task": "support", "y": y,
                   "set": name}  # fmt: skip


def squad_pairs(row: dict) -> Iterator[dict]:
    passage, question = row["passage"], row["question"]
    units = sentences_of(passage)
    if row["answerable"] and row["answers"]:
        holding = [u for u in units if row["answers"][0] in u]
        evidence = select_evidence(units, question + " " + (holding[0] if holding else ""))
        if holding and holding[0] not in evidence:
            evidence = holding[0]
        yield {"a": evidence, "b": question, "task": "answer", "y": 1, "set": "squad2"}
        if holding:
            yield {"a": holding[0], "b": question, "task": "answer", "y": 1, "set": "squad2-sent"}
            others = [u for u in units if row["answers"][0] not in u and len(u) > 30]
            if others:
                pick = others[int(_hash(row["id"]) * len(others))]
                yield {"a": pick, "b": question, "task": "answer", "y": 0, "set": "squad2-sent"}
    else:
        yield {"a": select_evidence(units, question), "b": question, "task": "answer", "y": 0,
               "set": "squad2"}  # fmt: skip


# Synthetic negatives: small edits that change what a claim says.
_ANTONYMS = [("enabled", "disabled"), ("open", "closed"), ("before", "after"),
             ("increase", "decrease"), ("increased", "decreased"), ("more", "fewer"),
             ("larger", "smaller"), ("higher", "lower"), ("first", "last"),
             ("allowed", "forbidden"), ("always", "never"), ("accepted", "rejected"),
             ("won", "lost"), ("rose", "fell"),
             ("north", "south"), ("east", "west"), ("required", "optional"), ("true", "false"),
             ("minimum", "maximum"), ("older", "younger"), ("earlier", "later"),
             ("supports", "lacks"), ("start", "end"), ("above", "below")]  # fmt: skip
_COUNTS = ["once", "twice", "three times", "four times"]
_NUMBER = re.compile(r"\b\d[\d,.]*\d\b|\b\d\b")
_NAME = re.compile(r"(?<=\s)[A-Z][a-z]{2,}(?:\s[A-Z][a-z]{2,})?")
_WEEK = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_YEAR = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
         "October", "November", "December"]  # fmt: skip
_CALENDAR = re.compile(r"\b(" + "|".join(_WEEK + _YEAR) + r")\b")
_AUX = re.compile(r"\b(is|was|are|were|has|had|can|will|does|did|could|should)( not)?\b")


def _choose(key: str, n: int) -> int:
    return int(_hash(key) * n) % max(n, 1)


def perturb(claim: str, evidence: str, key: str) -> str | None:
    """One edit of `claim` that its evidence no longer backs, or None when none applies."""
    start = _choose(key, 6)
    for step in range(6):
        kind = (start + step) % 6
        made: str | None = None
        if kind == 0:
            found = [m for m in _NUMBER.finditer(claim)]
            pool = sorted({n for n in _NUMBER.findall(evidence)} - {m.group() for m in found})
            if found and pool:
                m = found[_choose(key + "n", len(found))]
                made = claim[: m.start()] + pool[_choose(key + "p", len(pool))] + claim[m.end() :]
            elif found:
                m = found[_choose(key + "n", len(found))]
                value = m.group().replace(",", "")
                if value.isdigit():
                    other = str(int(value) + 1 + _choose(key, 9))
                    made = claim[: m.start()] + other + claim[m.end() :]
        elif kind == 1:
            found = list(_NAME.finditer(claim))
            pool = sorted({n for n in _NAME.findall(" " + evidence)} - {m.group() for m in found})
            if found and pool:
                m = found[_choose(key + "n", len(found))]
                made = claim[: m.start()] + pool[_choose(key + "p", len(pool))] + claim[m.end() :]
        elif kind == 2:
            m = _AUX.search(claim)
            if m:
                made = (claim[: m.start()] + m.group(1) + claim[m.end() :] if m.group(2)
                        else claim[: m.end()] + " not" + claim[m.end() :])  # fmt: skip
        elif kind == 3:
            for a, b in _ANTONYMS:
                for x, y in ((a, b), (b, a)):
                    if re.search(rf"\b{x}\b", claim):
                        made = re.sub(rf"\b{x}\b", y, claim, count=1)
                        break
                if made:
                    break
        elif kind == 4:
            for i, word in enumerate(_COUNTS):
                if re.search(rf"\b{word}\b", claim):
                    other = _COUNTS[(i + 1 + _choose(key, 3)) % len(_COUNTS)]
                    made = re.sub(rf"\b{word}\b", other, claim, count=1)
                    break
        else:
            m = _CALENDAR.search(claim)
            if m:
                week = _WEEK if m.group() in _WEEK else _YEAR
                other = week[(week.index(m.group()) + 1 + _choose(key, len(week) - 1)) % len(week)]
                made = claim[: m.start()] + other + claim[m.end() :]
        if made and made != claim:
            return made
    return None


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "train" / "out" / "pair")
    parser.add_argument(
        "--synthetic-share",
        type=float,
        default=0.35,
        help="share of train-side supported claims that get a synthetic negative",
    )
    args = parser.parse_args()
    pairs_dir = args.data / "pairs"
    train: list[dict] = []
    aside: list[dict] = []

    def put(pair: dict, key: str, synthetic: bool = False) -> None:
        pair["synthetic"] = synthetic
        (aside if is_aside(key) else train).append(pair)

    for name in SUPPORT_FILES:
        for row in load(pairs_dir / f"support-{name}.jsonl"):
            key = "\n".join(row["sources"])[:2000]
            for pair in support_pairs(row, name):
                put(pair, key)
    for stem in ("ragtruth-dev", "qags"):
        for row in load(args.data / f"{stem}.jsonl"):
            if is_holdout(row["sources"]):  # the checker's measured holdout: never read
                continue
            for pair in support_pairs(row, stem):
                train.append({**pair, "synthetic": False})
    squad = load(pairs_dir / "answer-squad2.jsonl")
    aside_text = " ".join(r["passage"] for r in squad if is_aside(r["origin"]["title"]))
    train_text = " ".join(r["passage"] for r in squad if not is_aside(r["origin"]["title"]))
    for row in squad:
        for pair in squad_pairs(row):
            put(pair, row["origin"]["title"])
    for row in load(pairs_dir / "answer-qnli.jsonl"):
        side = "aside" if row["passage"] in aside_text else (
            "train" if row["passage"] in train_text else None)  # fmt: skip
        pair = {"a": row["passage"], "b": row["question"], "task": "answer",
                "y": int(row["answerable"]), "set": "qnli", "synthetic": False}  # fmt: skip
        if side is None:
            put(pair, row["question"])
        else:
            (aside if side == "aside" else train).append(pair)
    for row in load(pairs_dir / "answer-trecqa.jsonl"):
        put({"a": row["passage"], "b": row["question"], "task": "answer",
             "y": int(row["answerable"]), "set": "trecqa"}, row["question"])  # fmt: skip
    made = []
    for k, pair in enumerate(train):
        if pair["task"] == "support" and pair["y"] == 1 and \
                _hash(f"syn:{k}:{pair['b']}") < args.synthetic_share:  # fmt: skip
            edited = perturb(pair["b"], pair["a"], f"{k}:{pair['b']}")
            if edited:
                made.append({**pair, "b": edited, "y": 0, "set": "synthetic", "synthetic": True})
    train.extend(made)
    args.out.mkdir(parents=True, exist_ok=True)
    for part, rows in (("train", train), ("aside", aside)):
        with (args.out / f"{part}.jsonl").open("w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    for part, rows in (("train", train), ("aside", aside)):
        counts: dict[str, list[int]] = {}
        for row in rows:
            counts.setdefault(row["set"], [0, 0])[row["y"]] += 1
        print(part, len(rows), {k: f"{v[1]}+/{v[0]}-" for k, v in sorted(counts.items())})


if __name__ == "__main__":
    main()
