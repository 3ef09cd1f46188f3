"""`grounding check`: score how well sources support an answer, claim by claim."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import click

from grounding.core.text import one_line, printable
from grounding.schema import RewardReport, SupportReport

__all__ = ["check", "render_report", "render_reward"]


FAIL_UNDER_EXIT = 3  # `--fail-under`: the support score is below the bar


@click.command(short_help="Score how well sources support an answer.")
@click.option("--answer", help="The answer text to check.")
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="FILE",
    help="A source file, read as `index build` reads it (any text encoding, .html, .pdf). "
    "Repeat for more. A missing path is an error; a value with spaces that names no file "
    "is taken as inline text, as before --text existed.",
)
@click.option(
    "--text",
    "texts",
    multiple=True,
    metavar="TEXT",
    help="A source given inline. Repeat for more; numbered after the --source ones.",
)
@click.option("--scorer", help="Scorer name (default: the learned offline scorer).")
@click.option(
    "--scorer-option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Scorer setting, e.g. model=/models/nli for cross-encoder. Repeatable.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    help="Support below this is unsupported (default: the scorer's own).",
)
@click.option(
    "--reward",
    "reward_weights",
    is_flag=False,
    flag_value="default",
    metavar="[NAME=WEIGHT,...]",
    help="Also score the reward (support, citation precision and recall, concision); "
    "optional weights, e.g. support=1,citation_precision=0.5. With --json it is the "
    '"reward" field.',
)
@click.option("--question", help="The question the answer replies to (for the reward).")
@click.option("--json", "as_json", is_flag=True, help="Print the support report as JSON.")
@click.option(
    "--fail-under",
    type=click.FloatRange(0.0, 1.0),
    metavar="SCORE",
    help=f"Exit with status {FAIL_UNDER_EXIT} when the support score is below SCORE "
    "(the report is printed first); for scripts and CI. Without it an unsupported answer "
    "still exits 0.",
)
@click.option("--list-scorers", is_flag=True, help="List the scorers and exit.")
def check(
    answer: str | None,
    sources: tuple[str, ...],
    texts: tuple[str, ...],
    scorer: str | None,
    options: tuple[str, ...],
    threshold: float | None,
    reward_weights: str | None,
    question: str | None,
    as_json: bool,
    fail_under: float | None,
    list_scorers: bool,
) -> None:
    """Check which parts of an answer its sources support.

    Exit status: 0 when checked, 1 for bad input (one line on stderr), 2 for bad
    usage, 3 when --fail-under is given and the support score is below it.
    """
    from grounding.checking import check as run_check
    from grounding.checking import get_scorer
    from grounding.checking import list_scorers as scorers
    from grounding.checking.registry import DEFAULT_SCORER, SCORERS
    from grounding.errors import InputError

    if list_scorers:
        for name in scorers():
            mark = " (default)" if name == DEFAULT_SCORER else ""
            click.echo(f"{name}{mark}: {SCORERS.describe(name)}")
        return
    if not answer or not answer.strip():
        raise InputError('the answer is empty: pass --answer "TEXT"')
    if not sources and not texts:
        raise InputError('no sources given: pass --source FILE or --text "TEXT" at least once')
    from grounding.generation.prompt import require_length

    require_length(answer, "the answer")
    texts = (*[_read(s) for s in sources], *texts)  # files first: a typo fails before models load
    from grounding.cli.main import cli_settings

    chosen = get_scorer(scorer, cli_settings(), **_options(options))
    report = run_check(answer, list(texts), scorer=chosen, threshold=threshold)
    scored = None
    if reward_weights is not None:
        from grounding.checking.reward import reward

        scored = reward(
            question or "", answer, list(texts), reward_weights, chosen, threshold, report
        )
    if as_json:
        data = report.model_dump(mode="json")
        if scored is not None:
            data["reward"] = scored.model_dump(mode="json")
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        color = sys.stdout.isatty()
        click.echo(render_report(answer, report, color=color))
        if scored is not None:
            click.echo(render_reward(scored))
    if fail_under is not None and report.score < fail_under:
        click.echo(f"support {report.score:.2f} is below --fail-under {fail_under:g}", err=True)
        sys.exit(FAIL_UNDER_EXIT)


def render_reward(scored: RewardReport) -> str:
    """The reward's total and each objective with its weight."""
    lines = ["", f"Reward {scored.total:.2f}"]
    for name, value in scored.objectives.items():
        lines.append(f"  {name:<19} {value:.2f}  (weight {scored.weights.get(name, 0.0):g})")
    return "\n".join(lines)


def _options(pairs: tuple[str, ...]) -> dict[str, str]:
    from grounding.errors import InputError

    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--scorer-option {pair!r} is not KEY=VALUE, e.g. model=/models/nli")
        out[key.strip().replace("-", "_")] = value
    return out


_PATH_LIKE = re.compile(r"\S+|.{0,255}\.(txt|md|markdown|html?|pdf|rst|json|csv|log)", re.I)


def _read(source: str) -> str:
    """The text of the file `source` names, extracted as `index build` extracts it.

    A value that names no file is an error when it looks like a path (no spaces,
    or a file name ending); otherwise it is inline text, as before --text existed.
    """
    from grounding.errors import InputError
    from grounding.retrieval.index.loaders import SourceFile, load_document
    from grounding.retrieval.index.textfiles import MAX_SOURCE_FILE_BYTES, require_regular_file

    path = Path(source)
    try:  # lexists: a broken link or a symlink loop is there, and refused by name below
        exists = "\n" not in source and len(source) < 4096 and os.path.lexists(path)
    except (OSError, ValueError):
        exists = False
    if exists:
        if path.is_dir():
            raise InputError(f"--source {source} is a folder; name a file (or use --text)")
        require_regular_file(path, MAX_SOURCE_FILE_BYTES)  # not /dev/zero, a FIFO, a loop
        return load_document(SourceFile(path, path.name), sha256="-").text
    if _PATH_LIKE.fullmatch(source.strip()):
        raise InputError(f'no such source file: {source} (for inline text use --text "...")')
    return source


def render_report(answer: str, report: SupportReport, color: bool = False) -> str:
    """The verdict, each claim with its score and sources, and the unsupported spans."""
    verdict = "supported" if report.supported else "NOT supported"
    lines = [
        _style(f"Support {report.score:.2f}: {verdict}", color, bold=True,
               fg="green" if report.supported else "red"),
        f"scorer: {report.checker}",
        "",
    ]  # fmt: skip
    for claim in report.claims:
        mark = "ok " if claim.supported else "NO "
        cited = "".join(f"[{i}]" for i in claim.citations) or "-"
        text = one_line(" ".join(claim.text.split()))
        line = f"  {mark} {claim.score:.2f} {cited:<8} {text}"
        lines.append(line if claim.supported else _style(line, color, fg="red"))
    if report.unsupported_spans:
        lines += ["", "Unsupported:"]
        if color:
            lines.append(_highlight(answer, report))
        else:
            lines += [
                f'  {s.start}-{s.end}: "{one_line(s.text)}"' for s in report.unsupported_spans
            ]
    return "\n".join(lines)


def _highlight(answer: str, report: SupportReport) -> str:
    parts, at = [], 0
    for span in report.unsupported_spans:
        parts.append(printable(answer[at : span.start]))
        parts.append(
            click.style(printable(answer[span.start : span.end]), fg="red", underline=True)
        )
        at = span.end
    parts.append(printable(answer[at:]))
    return "".join(parts)  # the answer's own escapes are gone (printable) before styling


def _style(text: str, color: bool, **styles: object) -> str:
    # click.style's own keyword arguments (fg=, bold=...), passed through
    return click.style(text, **styles) if color else text  # type: ignore[arg-type]
