"""Entry point of the `grounding` command.

Each command group lives in its own module and is registered here. Library
errors become one line on stderr and exit status 1; bad usage exits 2 (click).
Set GROUNDING_DEBUG=1 to see tracebacks.
"""

from __future__ import annotations

import importlib
import sys

import click

from grounding.config import env_flag
from grounding.errors import GroundingError

# command name -> "module:attribute"; imported only when that command runs.
COMMANDS: dict[str, str] = {
    "ask": "grounding.cli.ask:ask",
    "index": "grounding.cli.index:index",
    "check": "grounding.cli.check:check",
    "eval": "grounding.cli.eval:eval_command",
    "serve": "grounding.cli.serve:serve",
}

_HELP = {
    "ask": "Answer a question with cited sources and a support score.",
    "index": "Build and inspect local indexes.",
    "check": "Score how well sources support an answer.",
    "eval": "Evaluate scorers (or the pipeline) on labelled data.",
    "serve": "Run the HTTP service (OpenAI-compatible).",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module_name, _, attribute = COMMANDS[name].partition(":")
        try:
            command: click.Command = getattr(importlib.import_module(module_name), attribute)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("grounding"):
                return None
            raise click.ClickException(
                f"`grounding {name}` needs {exc.name}: pip install 'grounding[all]'"
            ) from exc
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, _HELP[name]) for name in sorted(COMMANDS)])


@click.group(cls=_LazyGroup)
@click.version_option(package_name="grounding")
def cli() -> None:
    """Grounded answers with citations, and a checker that says which parts are not supported."""


def main() -> None:
    """Run the CLI, turning library errors into one line and exit status 1."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except GroundingError as exc:
        if env_flag("GROUNDING_DEBUG"):
            raise
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
