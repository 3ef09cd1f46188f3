"""`grounding eval`: checker reports on labelled data, run comparisons, pipeline reports."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from grounding.cli.options import filter_option, filtered_index, ray_choice, ray_options
from grounding.core.text import one_line
from grounding.generation.decoders import DECODERS
from grounding.retrieval.rerank.base import DEFAULT_RERANKER, RERANKERS

if TYPE_CHECKING:
    from grounding.orchestration.refine import Refinement
    from grounding.retrieval.base import Retriever

__all__ = ["eval_command"]


@click.command("eval", short_help="Evaluate scorers (or the pipeline) on labelled data.")
@click.argument("data", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for metrics.json, report.html, report.md, predictions.jsonl.",
)
@click.option(
    "--scorer",
    "scorers",
    multiple=True,
    help="Scorer name; repeat to compare several (default: the default scorer).",
)
@click.option(
    "--threshold",
    default=None,
    type=click.FloatRange(0.0, 1.0),
    help="Support score below which an answer counts as unsupported "
    "(default: each scorer's recommended threshold).",
)
@click.option(
    "--fresh",
    is_flag=True,
    help="Ignore earlier predictions in --out instead of resuming from them.",
)
@click.option(
    "--compare",
    nargs=2,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Compare two earlier eval folders (DIR_A DIR_B) instead of scoring DATA.",
)
@click.option(
    "--pipeline",
    is_flag=True,
    help="DATA holds questions (id, question, expected?): run the whole pipeline.",
)
@click.option("--index", help="Index name or path for --pipeline (default: the demo index).")
@filter_option
@click.option(
    "--decoder",
    default="extractive",
    show_default=True,
    help=f"Decoder for --pipeline: {DECODERS.choices()}.",
)
@click.option(
    "--reranker",
    default=DEFAULT_RERANKER,
    show_default=True,
    help=f"Reranker for --pipeline: {RERANKERS.choices()}.",
)
@click.option(
    "--best-of",
    default=1,
    show_default=True,
    type=click.IntRange(1, 16),
    help="With --pipeline: sample N answers per question, keep the best by the reward.",
)
@click.option("--repair", is_flag=True, help="With --pipeline: repair unsupported claims.")
@click.option(
    "--export-preferences",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --pipeline --best-of N: write chosen/rejected pairs (JSONL) for DPO training.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar (default: only on a terminal).",
)
@ray_options("Score rows")
def eval_command(
    data: Path | None,
    out_dir: Path,
    scorers: tuple[str, ...],
    threshold: float | None,
    fresh: bool,
    compare: tuple[Path, Path] | None,
    pipeline: bool,
    index: str | None,
    filters: tuple[str, ...],
    decoder: str,
    reranker: str,
    best_of: int,
    repair: bool,
    export_preferences: Path | None,
    progress: bool | None,
    ray_address: str | None,
    workers: int | None,
) -> None:
    """Evaluate scorers on labelled DATA (JSONL), compare two runs, or evaluate the pipeline.

    \b
    grounding eval DATA.jsonl --out DIR [--scorer NAME ...] [--threshold X]
    grounding eval --compare DIR_A DIR_B --out DIR
    grounding eval QUESTIONS.jsonl --pipeline [--index NAME] --out DIR
    grounding eval QUESTIONS.jsonl --pipeline --decoder gemma --best-of 4 [--repair]
        --export-preferences pairs.jsonl --out DIR
    """
    if not pipeline and (best_of > 1 or repair or export_preferences or filters):
        raise click.UsageError(
            "--best-of, --repair, --export-preferences and --filter need --pipeline"
        )
    if ray_address is not None and (compare or pipeline):
        raise click.UsageError(
            "--ray scores rows of DATA; it does not go with --compare or --pipeline"
        )
    if compare:
        if data is not None or pipeline:
            raise click.UsageError("--compare takes two run folders and no DATA or --pipeline")
        _compare(compare, out_dir)
    elif data is None:
        raise click.UsageError("give DATA.jsonl (or --compare DIR_A DIR_B)")
    elif pipeline:
        from grounding.orchestration.refine import Refinement

        refinement = Refinement(best_of=best_of, repair=repair)
        chosen = filtered_index(index, filters)
        _pipeline(data, out_dir, chosen, decoder, scorers, threshold, progress, refinement,
                  export_preferences, reranker)  # fmt: skip
    else:
        ray = ray_choice(ray_address)
        _scorers(data, out_dir, scorers, threshold, not fresh, progress, ray, workers)


def _warn_skipped(errors: list[object]) -> None:
    for error in errors[:20]:
        click.echo(f"warning: skipped {one_line(str(error))}", err=True)  # rows from strangers
    if len(errors) > 20:
        click.echo(f"warning: skipped {len(errors) - 20} more row(s)", err=True)


def _scorers(
    data: Path,
    out_dir: Path,
    scorers: tuple[str, ...],
    threshold: float | None,
    resume: bool,
    progress: bool | None,
    ray: bool | str = False,
    workers: int | None = None,
) -> None:
    from grounding.evaluation.evaluate import evaluate
    from grounding.evaluation.markdown_report import table_markdown
    from grounding.evaluation.tables import headline_table

    result = evaluate(
        data, out_dir, scorers or ("",), threshold, resume, progress, ray=ray, workers=workers
    )
    _warn_skipped(list(result.skipped))
    reused = sum(run.reused for run in result.runs)
    if reused:
        click.echo(f"resumed: reused {reused} earlier prediction(s)", err=True)
    click.echo(table_markdown(headline_table(result.summaries)))
    click.echo(f"\nwrote {out_dir}/metrics.json, report.html, report.md, predictions.jsonl")


def _compare(dirs: tuple[Path, Path], out_dir: Path) -> None:
    from grounding.evaluation.compare import compare_runs

    result = compare_runs(dirs[0], dirs[1], out_dir)
    click.echo(result.summary_line())
    click.echo(f"wrote {out_dir}/comparison.json, report.html, report.md")


def _pipeline(
    data: Path,
    out_dir: Path,
    index: str | Retriever | None,
    decoder: str,
    scorers: tuple[str, ...],
    threshold: float | None,
    progress: bool | None,
    refinement: Refinement,
    export_preferences: Path | None,
    reranker: str = DEFAULT_RERANKER,
) -> None:
    from grounding.evaluation.pipeline_eval import evaluate_pipeline

    if len(scorers) > 1:
        raise click.UsageError("--pipeline takes at most one --scorer")
    result = evaluate_pipeline(
        data,
        out_dir,
        index=index,
        decoder=decoder,
        scorer=scorers[0] if scorers else None,
        threshold=threshold,
        progress=progress,
        refinement=refinement,
        export_preferences=export_preferences,
        reranker=reranker,
    )
    _warn_skipped(list(result.skipped))
    click.echo(result.summary_line())
    click.echo(f"wrote {out_dir}/metrics.json, report.html, report.md, predictions.jsonl")
    if export_preferences:
        pairs = result.metrics.get("preference_pairs", 0)
        click.echo(f"wrote {pairs} preference pair(s) to {export_preferences}")
