"""Gather the six documentation corpora of eval/docs300 from this machine's Debian packages.

Nothing here was written by this project: the files are documentation that Debian
packages install under /usr/share/doc and /usr/share/man. They are copied (man pages
rendered to plain text with groff) into a folder given on the command line, not into
git, so each stays with its own licence file on the system that installed it.

    apt-get install python3-doc postgresql-doc-15 apache2-doc diffutils-doc \
        coreutils openssh-client groff-base
    python eval/docs300/gather.py eval/out/docs300      # then:
    grounding index build eval/out/docs300 --name docs300

The selection is fixed (explicit file lists below), so two machines with the same
package versions gather the same bytes. MANIFEST.json names every file, where it came
from, its package version and SHA-256. (The GNU diffutils manual is split by chapter:
its per-section pages are only redirects to a chapter, so the chapters are taken.) When
a source file is missing, the script says which apt package provides it and exits with
status 1 after gathering the rest.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DOC = Path("/usr/share/doc")
MAN = Path("/usr/share/man")


@dataclass(frozen=True)
class Corpus:
    name: str
    package: str  # the Debian package that installs the files
    licence: str
    root: Path  # the folder the file names are relative to
    files: tuple[str, ...]  # relative paths; ".N.gz" man pages are rendered to text
    flat: bool = True  # keep only the file name (else the relative path) in the output


def _names(text: str, suffix: str = "") -> tuple[str, ...]:
    return tuple(f"{name}{suffix}" for name in text.split())


CORPORA = (
    Corpus(
        "diffutils",
        "diffutils-doc",
        "GFDL-1.3+ (GNU diffutils manual)",
        DOC / "diffutils",
        _names(
            """Adjusting-Output Comparing-Directories Comparing-Three-Files Comparison
            Incomplete-Lines Interactive-Merging Invoking-cmp Invoking-diff Invoking-diff3
            Invoking-patch Invoking-sdiff Making-Patches Merging-with-patch Output-Formats
            Overview Projects Standards-conformance Translations diff-Performance
            diff3-Merging""",
            ".html",
        ),
    ),
    Corpus(
        "postgresql",
        "postgresql-doc-15",
        "PostgreSQL licence (PostgreSQL 15 documentation)",
        DOC / "postgresql-doc-15/html",
        _names(
            """app-clusterdb app-createdb app-createuser app-dropdb app-dropuser app-ecpg
            app-initdb app-pg-ctl app-pg-dumpall app-pg-isready app-pgamcheck
            app-pgbasebackup app-pgchecksums app-pgconfig app-pgcontroldata app-pgreceivewal
            app-pgrecvlogical app-pgresetwal app-pgrestore app-pgrewind app-pgverifybackup
            app-postgres app-reindexdb app-vacuumdb sql-analyze sql-checkpoint sql-cluster
            sql-comment sql-createdatabase sql-discard sql-listen sql-lock sql-notify
            sql-reindex sql-truncate sql-vacuum datatype-boolean datatype-money
            datatype-uuid functions-sequence""",
            ".html",
        ),
    ),
    Corpus(
        "python-stdlib",
        "python3-doc",
        "PSF-2.0 (Python 3.11 documentation)",
        DOC / "python3-doc/html/library",
        _names(
            """array atexit base64 binascii bisect bz2 colorsys compileall contextvars copy
            fileinput filecmp fnmatch fractions gc getopt getpass glob graphlib grp gzip
            heapq hmac keyword linecache mimetypes netrc platform pwd py_compile queue
            reprlib rlcompleter sched secrets selectors shelve syslog tabnanny textwrap
            timeit tomllib tty uuid webbrowser zipapp zlib""",
            ".html",
        ),
    ),
    Corpus(
        "apache-httpd",
        "apache2-doc",
        "Apache-2.0 (Apache HTTP Server 2.4 documentation)",
        DOC / "apache2-doc/manual/en",
        tuple(
            f"programs/{name}.html"
            for name in """ab apachectl dbmmanage fcgistarter htcacheclean htdbm htdigest
            htpasswd httpd httxt2dbm logresolve rotatelogs split-logfile suexec""".split()
        )
        + tuple(
            f"mod/mod_{name}.html"
            for name in """actions alias asis auth_basic authn_file authz_host brotli buffer
            cgi data deflate dialup dir echo env expires headers info macro ratelimit
            reqtimeout sed speling status substitute unique_id userdir usertrack version
            vhost_alias""".split()
        ),
        flat=False,
    ),
    Corpus(
        "coreutils-man",
        "coreutils",
        "GPL-3+ (GNU coreutils manual pages)",
        MAN / "man1",
        _names(
            """base64 basename cat chgrp chmod chown cp csplit cut date df dirname du env fmt
            fold head install join ln ls md5sum mkdir mktemp mv nl nohup numfmt od paste
            printenv readlink realpath rm rmdir seq sha256sum shuf sleep sort split stat
            tail tee timeout touch tr truncate uniq wc""",
            ".1.gz",
        ),
    ),
    Corpus(
        "openssh-man",
        "openssh-client",
        "BSD (OpenSSH manual pages)",
        MAN,
        (
            "man1/ssh.1.gz",
            "man5/ssh_config.5.gz",
            "man1/scp.1.gz",
            "man1/sftp.1.gz",
            "man1/ssh-add.1.gz",
            "man1/ssh-agent.1.gz",
            "man1/ssh-keygen.1.gz",
            "man1/ssh-keyscan.1.gz",
            "man1/ssh-copy-id.1.gz",
        ),
    ),
)


def _version(package: str) -> str:
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True
    )
    return out.stdout.strip()


def render_man(path: Path) -> bytes:
    """A man page as plain ASCII text: no hyphenation, ragged right, no overstrikes."""
    source = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    env = {**os.environ, "LC_ALL": "C"}
    out = subprocess.run(
        ["groff", "-t", "-man", "-Tascii", "-rHY=0", "-dAD=l", "-rLL=100n", "-P-cbou"],
        input=source,
        capture_output=True,
        check=True,
        env=env,
    )
    return out.stdout


def _files(corpus: Corpus) -> Iterator[tuple[str, Path, bytes | None]]:
    """(output name, source path, bytes or None when missing) for each file of a corpus."""
    for relative in corpus.files:
        path = corpus.root / relative
        name = Path(relative).name if corpus.flat else relative
        if relative.endswith(".gz"):  # a man page: ls.1.gz -> ls.1.txt
            name = name[: -len(".gz")] + ".txt"
        if not path.exists():
            yield name, path, None
        elif relative.endswith(".gz"):
            yield name, path, render_man(path)
        else:
            yield name, path, path.read_bytes()


def gather(out: Path) -> tuple[dict[str, list[dict[str, str]]], set[str]]:
    """Write every corpus under `out`; return the manifest and the packages that were missing."""
    manifest: dict[str, list[dict[str, str]]] = {}
    missing: set[str] = set()
    for corpus in CORPORA:
        version = _version(corpus.package)
        entries = []
        for name, path, data in _files(corpus):
            if data is None:
                print(f"{corpus.name}: missing {path}", file=sys.stderr)
                missing.add(corpus.package)
                continue
            target = out / corpus.name / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            entries.append(
                {
                    "file": f"{corpus.name}/{name}",
                    "origin": str(path),
                    "version": f"{corpus.package} {version}".strip(),
                    "licence": corpus.licence,
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
        manifest[corpus.name] = entries
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest, missing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the corpora into")
    args = parser.parse_args()
    manifest, missing = gather(args.out)
    total = sum(len(entries) for entries in manifest.values())
    print(f"{total} files in {len(manifest)} corpora under {args.out}")
    if missing:
        print(f"missing files: apt-get install {' '.join(sorted(missing))}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
