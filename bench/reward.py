"""Best-of-n and repair, offline: single sample vs best-of-4 vs repair vs both.

The QA set: questions of `indexes/demo/questions.jsonl` (reference: their answer text) plus
RAGTruth QA rows of the holdout split (`bench/split_data.py`), whose supported answer is the
reference; their passages are indexed beside the demo documents. For each mode it prints the
share of answers fully supported, the share answered (not refused) and fully supported, the
refusal share, citation precision, answer F1 against the reference (content words) and
seconds per question, with differences against single-sample. A refusal claims nothing, so
the checker counts it as supported: with a decoder that often refuses, "answered and
supported" is the column that shows whether more questions got a supported answer.

    python bench/split_data.py     # once
    python bench/reward.py --decoder gemma --demo 4 --aside 4 --out /tmp/reward-gemma
    python bench/reward.py --decoder openai --record /tmp/tape --out /tmp/reward-openai
    python bench/reward.py --decoder openai --replay /tmp/tape --out /tmp/reward-openai

With `--decoder openai` a loopback server speaks the OpenAI wire format and writes scripted
answers: the reference with a marker, and for every other question (and for some samples) an
invented sentence after it. `--record` keeps every call; `--replay` runs with no server and no
network, and must print the same figures (seconds aside). Gemma's answers are generated once
and reused across the modes (`Reused`), each reuse charged the seconds it first took.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import threading
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from grounding.cli.recording import recording
from grounding.evaluation.pipeline_eval import evaluate_pipeline
from grounding.generation.base import Decoder, Finish, whole, written
from grounding.generation.decoders import get_decoder
from grounding.generation.prompt import Prompt
from grounding.orchestration.refine import Refinement
from grounding.retrieval.index.local import LocalIndex

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "eval" / "data"
MODES = {
    "single": Refinement(),
    "best-of-4": Refinement(best_of=4),
    "repair": Refinement(repair=True),
    "best-of-4 + repair": Refinement(best_of=4, repair=True),
}
INVENTED = [
    "It was later rebuilt by the Royal Navy in 1952 [1].",
    "Most experts consider this the largest example in northern Europe [1].",
    "The practice was banned by a royal decree in 1821 [1].",
]


def qa_set(work: Path, demo: int, aside: int) -> tuple[Path, Path]:
    """(questions.jsonl, corpus folder) for `demo` demo and `aside` holdout questions."""
    corpus = work / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.copytree(ROOT / "indexes" / "demo" / "docs", corpus / "demo")
    rows: list[dict[str, Any]] = []
    for line in (ROOT / "indexes" / "demo" / "questions.jsonl").read_text().splitlines()[:demo]:
        item = json.loads(line)
        rows.append({"id": item["id"], "question": item["question"],
                     "expected": item["answer_text"]})  # fmt: skip
    seen: set[str] = set()
    holdout = DATA / "ragtruth-holdout.jsonl"
    for line in holdout.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if len(seen) >= aside:
            break
        if row["task"] != "qa" or row["label"] != 0 or row["question"] in seen:
            continue
        seen.add(row["question"])
        for k, passage in enumerate(row["sources"]):
            path = corpus / "aside" / f"{row['id']}-{k}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(passage, encoding="utf-8")
        rows.append({"id": row["id"], "question": row["question"], "expected": row["answer"]})
    questions = work / "questions.jsonl"
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return questions, corpus


@contextmanager
def scripted_server(questions: Path) -> Iterator[str]:
    """An OpenAI-wire server on loopback answering each question from its reference."""
    references = {
        r["question"]: r["expected"] for r in map(json.loads, questions.read_text().splitlines())
    }

    def answer(body: dict[str, Any]) -> str:
        prompt = body["messages"][-1]["content"]
        question = next((q for q in references if q in prompt), "")
        text = references.get(question, "The sources do not say.").strip()
        first = text.split(". ")[0].rstrip(".") + " [1]."
        salt = int(hashlib.sha256(question.encode()).hexdigest()[:8], 16)
        seed = body.get("seed")
        hallucinate = salt % 2 == 0 if seed is None else (salt + seed) % 3 == 0
        return f"{first} {INVENTED[salt % 3]}" if hallucinate else first

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            content = answer(body)
            if body.get("stream"):
                delta = {"choices": [{"index": 0, "delta": {"content": content}}]}
                payload = f"data: {json.dumps(delta)}\n\ndata: [DONE]\n\n".encode()
                kind = "text/event-stream"
            else:
                message = {"role": "assistant", "content": content}
                reply = {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
                payload, kind = json.dumps(reply).encode(), "application/json"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


class Reused(Decoder):
    """A decoder whose answers are kept across the modes, each charged what it first cost.

    Every mode starts from the same greedy answer, best-of-4 + repair from best-of-4's
    samples, and repair rewrites the same claims: the answers are deterministic, so each is
    generated once. A reused answer adds the seconds it took to `charged`, so a mode's
    seconds per question are what it would cost alone.
    """

    samples = True

    def __init__(self, decoder: Any) -> None:
        self.decoder, self.name, self.context_tokens = decoder, decoder.name, decoder.context_tokens
        self.charged = 0.0
        self._kept: dict[tuple, tuple[Any, float]] = {}

    def count_tokens(self, text: str) -> int:
        return self.decoder.count_tokens(text)

    def stream(self, prompt: Prompt, max_tokens: int = 256) -> Generator[str, None, Finish | None]:
        made = self._once(("stream", max_tokens), prompt,
                          lambda: whole(written(self.decoder, prompt, max_tokens)))  # fmt: skip
        yield made.text
        return made.finish_reason

    def sample(self, prompt: Prompt, n: int, max_tokens: int = 256, temperature: float = 0.8,
               seed: int = 0) -> list[str]:  # fmt: skip
        key = ("sample", n, max_tokens, temperature, seed)
        return self._once(key, prompt, lambda: self.decoder.sample(prompt, n, max_tokens,
                                                                   temperature, seed))  # fmt: skip

    def _once(self, key: tuple, prompt: Prompt, make: Any) -> Any:
        key = (*key, prompt.completion, tuple(m.content for m in prompt.messages))
        if key in self._kept:
            value, seconds = self._kept[key]
            self.charged += seconds
            return value
        started = time.perf_counter()
        value = make()
        self._kept[key] = (value, time.perf_counter() - started)
        return value


def run(
    questions: Path, index: LocalIndex, decoder: Any, out: Path, max_tokens: int = 256
) -> dict[str, dict]:
    results = {}
    for name, refinement in MODES.items():
        if isinstance(decoder, Reused):
            decoder.charged = 0.0
        folder = out / name.replace(" ", "").replace("+", "-")
        result = evaluate_pipeline(questions, folder, index=index, decoder=decoder,
                                   refinement=refinement, progress=False,
                                   max_tokens=max_tokens)  # fmt: skip
        m = result.metrics
        results[name] = {
            "fully_supported": m["fully_supported_rate"],
            "answered_supported": m["answered_supported_rate"],
            "refused": sum(r.refused for r in result.results) / max(len(result.results), 1),
            "citation_precision": m["citation"]["precision"],
            "answer_f1": m["correctness"]["token_f1"],
            "seconds": m["latency"]["total"]["mean"]
            + getattr(decoder, "charged", 0.0) / max(m["n"], 1),
            "n": m["n"],
        }
        print(f"  {name}: {json.dumps(results[name])}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decoder", default="gemma", choices=["gemma", "openai"])
    parser.add_argument("--demo", type=int, default=4, help="demo questions")
    parser.add_argument("--aside", type=int, default=4, help="RAGTruth holdout QA questions")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--max-tokens", type=int, default=256, help="per answer")
    parser.add_argument("--record", type=Path)
    parser.add_argument("--replay", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    questions, corpus = qa_set(args.out, args.demo, args.aside)
    index = LocalIndex.build([corpus], args.out / "index", progress=False)
    if args.decoder == "gemma":
        results = run(questions, index, Reused(get_decoder("gemma")), args.out, args.max_tokens)
    elif args.replay:  # no server: the recorded endpoint's address answers from the tape
        url = (args.replay / "endpoint.txt").read_text().strip()
        with recording(replay=args.replay):
            decoder = get_decoder("openai", base_url=url, model="scripted")
            results = run(questions, index, decoder, args.out)
    else:
        with scripted_server(questions) as url, recording(record=args.record):
            if args.record:
                (args.record / "endpoint.txt").write_text(url)
            decoder = get_decoder("openai", base_url=url, model="scripted")
            results = run(questions, index, decoder, args.out)
    base = results["single"]
    print(f"\n{args.decoder}: {base['n']} questions ({args.demo} demo + {args.aside} aside QA), "
          f"max {args.max_tokens} tokens an answer")  # fmt: skip
    print(f"{'mode':<20} {'supported':>9} {'answered+supp':>13} {'refused':>7} {'cit.prec':>8} "
          f"{'F1':>6} {'s/q':>7} {'Δsupp':>7} {'Δans+supp':>9} {'ΔF1':>6}")  # fmt: skip
    for name, r in results.items():
        print(f"{name:<20} {r['fully_supported']:9.3f} {r['answered_supported']:13.3f} "
              f"{r['refused']:7.3f} {r['citation_precision']:8.3f} "
              f"{r['answer_f1']:6.3f} {r['seconds']:7.2f} "
              f"{r['fully_supported'] - base['fully_supported']:+7.3f} "
              f"{r['answered_supported'] - base['answered_supported']:+9.3f} "
              f"{r['answer_f1'] - base['answer_f1']:+6.3f}")  # fmt: skip
    (args.out / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
