"""`grounding check`: score how well sources support an answer, claim by claim."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from grounding.schema import RewardReport, SupportReport

__all__ = ["check", "render_report", "render_reward"]


@click.command(short_help="Score how well sources support an answer.")
@click.option("--answer", help="The answer text to check.")
@click.option(
    "--source",
    "sources",
    multiple=True,
    help="A source: a file path (read from the file) or inline text. Repeat for more.",
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
@click.option("--list-scorers", is_flag=True, help="List the scorers and exit.")
def check(
    answer: str | None,
    sources: tuple[str, ...],
    scorer: str | None,
    options: tuple[str, ...],
    threshold: float | None,
    reward_weights: str | None,
    question: str | None,
    as_json: bool,
    list_scorers: bool,
) -> None:
    """Check which parts of an answer its sources support."""
    from grounding.checking import check as run_check
    from grounding.checking import get_scorer
    from grounding.checking import list_scorers as scorers
    from grounding.checking.registry import DEFAULT_SCORER
    from grounding.errors import InputError

    if list_scorers:
        for name, description in scorers().items():
            mark = " (default)" if name == DEFAULT_SCORER else ""
            click.echo(f"{name}{mark}: {description}")
        return
    if not answer or not answer.strip():
        raise InputError('the answer is empty: pass --answer "TEXT"')
    if not sources:
        raise InputError("no sources given: pass --source FILE_OR_TEXT at least once")
    chosen = get_scorer(scorer, **_options(options))
    texts = [_read(s) for s in sources]
    report = run_check(answer, texts, scorer=chosen, threshold=threshold)
    scored = None
    if reward_weights is not None:
        from grounding.checking.reward import reward

        scored = reward(question or "", answer, texts, reward_weights, chosen, threshold, report)
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


def _read(source: str) -> str:
    """A source that names an existing file is read from it; anything else is inline text."""
    from grounding.errors import InputError

    path = Path(source)
    try:
        is_file = len(source) < 4096 and "\n" not in source and path.is_file()
    except OSError:
        is_file = False
    if not is_file:
        return source
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read source file {source}: {exc}") from exc


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
        text = " ".join(claim.text.split())
        line = f"  {mark} {claim.score:.2f} {cited:<8} {text}"
        lines.append(line if claim.supported else _style(line, color, fg="red"))
    if report.unsupported_spans:
        lines += ["", "Unsupported:"]
        if color:
            lines.append(_highlight(answer, report))
        else:
            lines += [f'  {s.start}-{s.end}: "{s.text}"' for s in report.unsupported_spans]
    return "\n".join(lines)


def _highlight(answer: str, report: SupportReport) -> str:
    parts, at = [], 0
    for span in report.unsupported_spans:
        parts.append(answer[at : span.start])
        parts.append(click.style(answer[span.start : span.end], fg="red", underline=True))
        at = span.end
    parts.append(answer[at:])
    return "".join(parts)


def _style(text: str, color: bool, **styles: object) -> str:
    return click.style(text, **styles) if color else text  # type: ignore[arg-type]
