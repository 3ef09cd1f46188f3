"""Load test of the HTTP service against the same pipeline called in-process.

`grounding serve` (extractive decoder, demo index) runs in a subprocess; CLIENTS
threads each POST /v1/chat/completions in a loop for DURATION seconds. The
baseline is the same Grounder called in this process by the same number of
threads for the same time (and, for reference, by one thread). The two
alternate in ROUNDS slices so that load from elsewhere on the machine falls on
both alike. Goal: zero errors and a service p50 at most 1.5x the in-process p50.

    python bench/service.py [--duration 60] [--clients 16] [--rounds 4]
                            [--max-concurrent 4] [--home DIR]

GROUNDING_HOME is a temporary folder unless --home is given (the demo index is
built there on first use, before any timing starts).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    json.loads(line)["question"]
    for line in (ROOT / "indexes" / "demo" / "questions.jsonl").read_text().splitlines()
    if line.strip()
]


@dataclass
class Run:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, latency: float, error: str | None) -> None:
        with self.lock:
            if error is None:
                self.latencies.append(latency)
            else:
                self.errors.append(error)

    def add(self, other: Run) -> None:
        self.seconds += other.seconds
        self.latencies += other.latencies
        self.errors += other.errors

    def row(self) -> str:
        done = len(self.latencies)
        p50, p99 = _percentile(self.latencies, 50), _percentile(self.latencies, 99)
        return (
            f"{self.name:<34} {done:>6} {done / self.seconds:>8.2f} "
            f"{p50 * 1000:>9.1f} {p99 * 1000:>9.1f} {len(self.errors):>7}"
        )


def _percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def hammer(name: str, clients: int, duration: float, call: Callable[[int, str], None]) -> Run:
    """`clients` threads call `call(client, question)` back to back for `duration` seconds."""
    run = Run(name)
    start = time.perf_counter()
    stop_at = start + duration

    def worker(client: int) -> None:
        turn = client
        while time.perf_counter() < stop_at:
            question = QUESTIONS[turn % len(QUESTIONS)]
            turn += 1
            began = time.perf_counter()
            try:
                call(client, question)
            except Exception as exc:  # every failure counts, whatever it is
                run.record(0.0, f"{type(exc).__name__}: {exc}"[:200])
            else:
                run.record(time.perf_counter() - began, None)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - start
    return run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(home: Path, max_concurrent: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    exe = Path(sys.executable).parent / "grounding"
    command = [str(exe), "serve", "--decoder", "extractive", "--port", str(port),
               "--max-concurrent", str(max_concurrent)]  # fmt: skip
    env = {**os.environ, "GROUNDING_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"grounding serve exited {process.returncode}:\n{log.read_text()}")
        try:
            if requests.get(f"{url}/healthz", timeout=2).ok:
                return process, url
        except requests.ConnectionError:
            time.sleep(0.25)
    process.kill()
    sys.exit("grounding serve did not start within 300 s")


def service_caller(url: str, clients: int) -> Callable[[int, str], None]:
    sessions = [requests.Session() for _ in range(clients)]

    def call(client: int, question: str) -> None:
        body = {"model": "grounding", "messages": [{"role": "user", "content": question}]}
        response = sessions[client].post(f"{url}/v1/chat/completions", json=body, timeout=120)
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:120]}")
        if not response.json()["choices"][0]["message"]["content"]:
            raise RuntimeError("empty answer")

    return call


def in_process_caller() -> Callable[[int, str], None]:
    from grounding.orchestration.grounder import Grounder

    grounder = Grounder(decoder="extractive")

    def call(client: int, question: str) -> None:
        if not grounder.ask(question).answer:
            raise RuntimeError("empty answer")

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per timed run")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=4, help="alternating slices per run")
    parser.add_argument("--max-concurrent", type=int, default=4, help="the server's worker pool")
    parser.add_argument("--home", type=Path, help="GROUNDING_HOME (default: a temp folder)")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="grounding-bench-"))
    os.environ["GROUNDING_HOME"] = str(home)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    log = home / "service-bench.log"

    process, url = start_server(home, args.max_concurrent, log)
    try:
        over_http, in_process = service_caller(url, args.clients), in_process_caller()
        for question in QUESTIONS[:3]:  # warm-up, untimed
            over_http(0, question)
            in_process(0, question)
        service = Run(f"service, {args.clients} HTTP clients")
        threaded = Run(f"in-process, {args.clients} threads")
        single = Run("in-process, 1 thread")
        slice_s = args.duration / args.rounds
        for _ in range(args.rounds):
            service.add(hammer(service.name, args.clients, slice_s, over_http))
            threaded.add(hammer(threaded.name, args.clients, slice_s, in_process))
            single.add(hammer(single.name, 1, slice_s / 4, in_process))
    finally:
        process.terminate()
        process.wait(timeout=30)

    print(
        f"cpus={os.cpu_count()} load={os.getloadavg()[0]:.1f} duration={args.duration:g}s "
        f"x{args.rounds} slices clients={args.clients} "
        f"server --max-concurrent {args.max_concurrent}; extractive decoder, demo index"
    )
    print(f"{'run':<34} {'done':>6} {'req/s':>8} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}")
    for run in (service, threaded, single):
        print(run.row())
    ratio = _percentile(service.latencies, 50) / _percentile(threaded.latencies, 50)
    verdict = "met" if ratio <= 1.5 and not service.errors else "NOT met"
    print(
        f"p50 service / p50 in-process ({args.clients} threads) = {ratio:.2f}x "
        f"(goal <= 1.5x and zero errors: {verdict})"
    )
    for error in sorted(set(service.errors))[:5]:
        print(f"  error: {error}")


if __name__ == "__main__":
    main()
