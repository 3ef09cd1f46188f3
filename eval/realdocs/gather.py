"""Gather the real-documentation corpora of eval/realdocs from this machine.

Nothing here was written by this project: the files are the documentation that
Debian packages install under /usr/share/doc and that Python packages ship as
their long description. Their licences allow copying, but the files are
gathered rather than copied into git so that each stays with its own licence
file on the system that installed it (see CORPORA.md).

    python eval/realdocs/gather.py eval/out/realdocs        # then:
    grounding index build eval/out/realdocs --name realdocs

Each corpus is one sub-folder. MANIFEST.json names every file, where it came
from, its package version and SHA-256, so a run can say which versions its
questions were answered from. A corpus whose sources are missing is skipped
with a message (the questions about it then cannot be answered).
"""

from __future__ import annotations

import argparse
import email
import gzip
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

DOC = Path("/usr/share/doc")


@dataclass(frozen=True)
class Corpus:
    name: str
    licence: str
    package: str  # a Debian package, or "python:<dist>,<dist>..."
    files: tuple[str, ...]  # globs under /usr/share/doc/<package>, or dist names


CORPORA = (
    Corpus("libffi", "MIT (libffi)", "libffi8", ("html/*.html",)),
    Corpus("dpkg-spec", "GPL-2+ (dpkg)", "dpkg", ("spec/*.txt",)),
    Corpus("gnu-news", "GPL-3+ (gzip, tar)", "gzip,tar", ("NEWS.gz",)),
    Corpus("git-relnotes", "GPL-2 (git)", "git", ("RelNotes/2.39.*.txt",)),
    Corpus("bash", "GPL-3+ / GFDL-1.3 (bash manual)", "bash", ("RBASH", "POSIX.gz", "COMPAT.gz")),
    Corpus("base-passwd", "GPL-2 (base-passwd)", "base-passwd", ("users-and-groups.txt.gz",)),
    Corpus("systemd-env", "LGPL-2.1+ (systemd)", "systemd", ("ENVIRONMENT.md.gz",)),
    Corpus("zstd", "BSD-3-clause or GPL-2 (zstd)", "zstd", ("README.md.gz",)),
    Corpus(
        "python-readmes",
        "MPL-2.0 AND MIT (tqdm), MIT (faiss-cpu, bm25s), Apache-2.0 (trafilatura)",
        "python",
        ("tqdm", "faiss-cpu", "bm25s", "trafilatura"),
    ),
)


def _debian_version(package: str) -> str:
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return ""
    return out.stdout.strip()


def _debian_files(corpus: Corpus) -> Iterator[tuple[str, bytes, str, str]]:
    """(file name, text bytes, origin path, package version) for each file of a Debian corpus."""
    for package in corpus.package.split(","):
        version = _debian_version(package)
        for pattern in corpus.files:
            for path in sorted((DOC / package).glob(pattern)):
                data = path.read_bytes()
                name = path.name
                if name.endswith(".gz"):
                    data, name = gzip.decompress(data), name[: -len(".gz")]
                if "." not in name or name.endswith((".Debian", ".news")):
                    name += ".txt"
                if corpus.package.count(",") > 0:
                    name = f"{package}-{name}"
                yield name, data, str(path), f"{package} {version}".strip()


def _python_files(corpus: Corpus) -> Iterator[tuple[str, bytes, str, str]]:
    for dist in corpus.files:
        try:
            meta = metadata.distribution(dist)
        except metadata.PackageNotFoundError:
            print(f"{corpus.name}: {dist} is not installed: skipped", file=sys.stderr)
            continue
        raw = meta.read_text("METADATA") or ""
        message = email.message_from_string(raw)
        body = message.get_payload()
        kind = message.get("Description-Content-Type", "")
        suffix = ".md" if "markdown" in kind else ".txt"
        yield f"{dist}{suffix}", str(body).encode("utf-8"), f"{dist} METADATA", meta.version


def gather(out: Path) -> dict[str, list[dict[str, str]]]:
    """Write every corpus under `out` and return the manifest."""
    manifest: dict[str, list[dict[str, str]]] = {}
    for corpus in CORPORA:
        files = _python_files(corpus) if corpus.package == "python" else _debian_files(corpus)
        entries = []
        folder = out / corpus.name
        for name, data, origin, version in files:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
            entries.append(
                {
                    "file": f"{corpus.name}/{name}",
                    "origin": origin,
                    "version": version,
                    "licence": corpus.licence,
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
        if not entries:
            print(f"{corpus.name}: no source files on this machine: skipped", file=sys.stderr)
        manifest[corpus.name] = entries
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the corpora into")
    args = parser.parse_args()
    manifest = gather(args.out)
    total = sum(len(entries) for entries in manifest.values())
    print(f"{total} files in {len(manifest)} corpora under {args.out}")


if __name__ == "__main__":
    main()
