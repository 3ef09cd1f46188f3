"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

__all__ = ["ray_choice", "ray_options"]


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
