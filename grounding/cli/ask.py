"""`grounding ask`: a grounded answer with numbered sources and its support score."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from grounding.checking.relevance import RELEVANT_AT
from grounding.cli.options import filter_option, filtered_index
from grounding.core.text import one_line, printable
from grounding.generation.decoders import DECODERS
from grounding.retrieval.rerank.base import DEFAULT_RERANKER, RERANKERS
from grounding.retrieval.web import WEB_PROVIDERS
from grounding.schema import GroundedAnswer, Source

__all__ = ["ask", "render_answer"]


@click.command(short_help="Answer a question with cited sources and a support score.")
@click.argument("question")
@click.option("--index", "index", help="Index name or path (default: the bundled demo index).")
@click.option("--web", help=f"Also search the web: {WEB_PROVIDERS.choices('auto')}.")
@click.option(
    "--web-threshold",
    type=click.FloatRange(0.0, 1.0),
    help="With --web auto: search when the need-for-web score reaches this (default 0.5).",
)
@click.option("--decoder", default="extractive", show_default=True, help=f"{DECODERS.choices()}.")
@click.option(
    "--reranker", default=DEFAULT_RERANKER, show_default=True, help=f"{RERANKERS.choices()}."
)
@click.option("--scorer", help="Checker scorer name (see `grounding check --list-scorers`).")
@click.option(
    "-k", "k", default=5, show_default=True, type=click.IntRange(1, 50), help="Sources to use."
)
@click.option(
    "--best-of",
    default=1,
    show_default=True,
    type=click.IntRange(1, 16),
    help="Sample N answers (gemma, openai) and return the one with the best reward.",
)
@click.option(
    "--repair",
    is_flag=True,
    help="Re-search for each unsupported claim: cite new evidence, rewrite or remove it.",
)
@click.option(
    "--reward",
    "reward_weights",
    metavar="NAME=WEIGHT,...",
    help="Reward weights for --best-of, e.g. support=1,citation_precision=0.5.",
)
@filter_option
@click.option("--json", "as_json", is_flag=True, help="Print the answer JSON.")
def ask(
    question: str,
    index: str | None,
    web: str | None,
    web_threshold: float | None,
    decoder: str,
    reranker: str,
    scorer: str | None,
    k: int,
    best_of: int,
    repair: bool,
    reward_weights: str | None,
    filters: tuple[str, ...],
    as_json: bool,
) -> None:
    """Answer QUESTION from an index (and the web), with citations and a support score."""
    from grounding.cli.main import cli_settings
    from grounding.generation.prompt import require_length, require_question
    from grounding.orchestration.grounder import Grounder
    from grounding.orchestration.refine import Refinement

    require_length(require_question(question), "the question")  # before models load
    refinement = Refinement(best_of=best_of, repair=repair, weights=reward_weights)
    grounder = Grounder(
        index=filtered_index(index, filters), web=web, decoder=decoder, scorer=scorer, k=k,
        web_threshold=web_threshold, refiner=refinement, reranker=reranker,
        settings=cli_settings(),
    )  # fmt: skip
    result = grounder.ask(question)
    if as_json:
        click.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        click.echo(render_answer(result, color=sys.stdout.isatty()))


def render_answer(result: GroundedAnswer, color: bool = False) -> str:
    """The answer, its numbered sources and its support, as a person reads them."""

    def style(text: str, **styles: Any) -> str:
        return click.style(text, **styles) if color else text

    lines = [printable(result.answer), "", style("Sources", bold=True)]
    lines += _source_lines(result)
    support = result.support
    lines.append("")
    if not result.answered:
        lines.append(style(f"Not answered: {one_line(result.reason)}", fg="yellow"))
    else:
        lines.append(style(_summary(result), fg="green" if _trusted(result) else "red"))
    for span in support.unsupported_spans:
        lines.append(style(f"  unsupported: {span.text!r}", fg="red"))
    web_line = one_line(_web_line(result))
    if web_line:
        lines.append(style(web_line, fg="yellow") if "FAILED" in web_line else web_line)
    metadata = result.grounding_metadata
    if metadata.candidates:
        lines.append(f"  best of {len(metadata.candidates)}: rewards "
                     + ", ".join(f"{c.reward.total:.2f}{'*' if c.chosen else ''}"
                                 for c in metadata.candidates))  # fmt: skip
    if metadata.repair is not None:
        for step in metadata.repair.steps:
            lines.append(f"  repair: {step.action} {step.claim[:60]!r}")
        if metadata.repair.note:
            lines.append(f"  repair: {metadata.repair.note}")
    if result.reward is not None:
        lines.append(f"  reward {result.reward.total:.2f}: " + ", ".join(
            f"{k} {v:.2f}" for k, v in result.reward.objectives.items()))  # fmt: skip
    for warning in result.warnings:
        lines.append(style(f"  warning: {one_line(warning)}", fg="yellow"))
    return "\n".join(lines)


def _web_line(result: GroundedAnswer) -> str:
    """What the web search really did: not asked, failed, or found N passages (M used)."""
    retrieval = result.grounding_metadata.retrieval_metadata
    if retrieval.web_error:
        return f"  web: search FAILED ({retrieval.web_error}); sources are local only"
    if not retrieval.reason:
        return ""
    if not retrieval.web_search_used:
        return f"  web: not searched ({retrieval.reason})"
    used = sum(source.origin == "web" for source in result.sources)
    return (
        f"  web: searched, {retrieval.web_results} passages found, {used} among the sources "
        f"({retrieval.reason})"
    )


def _trusted(result: GroundedAnswer) -> bool:
    relevant = result.relevance is None or result.relevance >= RELEVANT_AT
    return result.support.supported and relevant


def _summary(result: GroundedAnswer) -> str:
    """ "Support 1.00: supported · Relevance 0.80: answers the question (checker: ...)"."""
    support = result.support
    verdict = "supported" if support.supported else "NOT fully supported"
    line = f"Support {support.score:.2f}: {verdict}"
    if result.relevance is not None:
        addresses = result.relevance >= RELEVANT_AT
        said = "answers the question" if addresses else "may NOT answer the question"
        line += f" · Relevance {result.relevance:.2f}: {said}"
    return f"{line} (checker: {support.checker})"


def _source_lines(result: GroundedAnswer) -> list[str]:
    """One line per document (and PDF page) in the order the answer first cites it, with
    the numbers cited from it; its uncited numbers on a "(not cited)" line after them."""
    supports = sorted(result.grounding_metadata.grounding_supports,
                      key=lambda s: s.segment.start_index)  # fmt: skip
    first = list(dict.fromkeys(i for s in supports for i in s.grounding_chunk_indices))
    cited_at = {number: position for position, number in enumerate(first)}
    documents: dict[tuple[str, str, int | None], list[Source]] = {}
    for source in result.sources:
        documents.setdefault((source.uri, source.title, source.page), []).append(source)
    cited_rows, other_rows = [], []
    for group in documents.values():
        cited = sorted((s for s in group if s.index in cited_at), key=lambda s: cited_at[s.index])
        if cited:
            cited_rows.append((cited_at[cited[0].index], _source_line(cited, "")))
        others = [s for s in group if s.index not in cited_at]
        if others:
            other_rows.append((others[0].index, _source_line(others, "  (not cited)")))
    return [line for _, line in sorted(cited_rows)] + [line for _, line in sorted(other_rows)]


def _source_line(sources: list[Source], note: str) -> str:
    """ "  [1, 3] Title, page 4 (local: file:///...)" for sources of one document."""
    first = sources[0]
    marks = ", ".join(str(s.index) for s in sources)
    page = f", page {first.page}" if first.page is not None else ""
    where = "web" if first.origin == "web" else "local"
    return f"  [{marks}] {one_line(first.title)}{page} ({where}: {one_line(first.uri)}){note}"
