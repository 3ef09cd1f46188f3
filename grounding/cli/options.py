"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from grounding.retrieval.base import Retriever

__all__ = ["filter_option", "filtered_index", "ray_choice", "ray_options"]


def filter_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--filter tag=NAME|doc=GLOB`, repeatable: search only part of the index."""
    return click.option(
        "--filter",
        "filters",
        multiple=True,
        metavar="tag=NAME|doc=GLOB",
        help="Search only chunks with this tag (from `index build --tag`) or documents whose "
        "id matches this glob (e.g. doc='notes/travel/*'). Repeatable: every tag, any glob.",
    )(command)


def filtered_index(index: str | None, filters: tuple[str, ...]) -> str | Retriever | None:
    """`index` as is without filters; else the opened index wrapped to filter every search."""
    from grounding.retrieval.filters import FilteredRetriever, parse_filters

    chosen = parse_filters(filters)  # a bad --filter fails before the index loads
    if chosen is None:
        return index
    from grounding.cli.main import cli_settings
    from grounding.orchestration.grounder import open_index

    return FilteredRetriever(open_index(index, cli_settings()), chosen)


def ray_options(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--ray [ADDRESS]` and `--workers N`, for a command that can fan `what` out on Ray."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option(
            "--workers", type=click.IntRange(1), help="Ray workers (default: every CPU)."
        )(command)
        return click.option(
            "--ray",
            "ray_address",
            is_flag=False,
            flag_value="local",
            metavar="[ADDRESS]",
            help=f"{what} on Ray workers: alone (or 'local'), a local Ray for the run; auto, "
            "ray://HOST:10001 or HOST:6379 for a running cluster. Put it after the arguments.",
        )(command)

    return decorate


def ray_choice(address: str | None) -> bool | str:
    """--ray's value for the library: False (no Ray), True (a local Ray) or an address."""
    if address is None:
        return False
    return True if address in ("", "local") else address
