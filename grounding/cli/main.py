"""Entry point of the `grounding` command.

Each command group lives in its own module and is registered as a
`grounding.commands` entry point (a plugin may add one the same way). Library
errors become one line on stderr and exit status 1; bad usage exits 2 (click).
Set GROUNDING_DEBUG=1 to see tracebacks.

This is the CLI's entry point for settings: `cli_settings()` reads every variable
once per run and each command passes that `Settings` down.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys

import click

from grounding.config import Settings, setting
from grounding.core.text import one_line
from grounding.errors import ConfigError, GroundingError
from grounding.plugins import Registry

COMMANDS: Registry[click.Command] = Registry("grounding.commands", "command")


class _LazyGroup(click.Group):
    """Commands from the `grounding.commands` entry points, imported when run or listed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return COMMANDS.names()

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        try:
            command: click.Command = COMMANDS.load(name)
        except ModuleNotFoundError as exc:
            hint = missing_extra_hint(exc)
            if hint is None:
                raise
            raise click.ClickException(hint) from exc
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names), default=0)
        rows = []
        for name in names:
            try:
                command = self.get_command(ctx, name)
            except (click.ClickException, ConfigError) as exc:
                rows.append((name, f"(unavailable: {exc})"))
                continue
            if command is not None:
                rows.append((name, command.get_short_help_str(limit=limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"show_default": True})  # every subcommand
@click.version_option(package_name="grounding")
@click.option(
    "--record",
    type=click.Path(file_okay=False),
    help="Record every outbound HTTP call (search, fetch, LLM endpoint) to this folder.",
)
@click.option(
    "--replay",
    type=click.Path(file_okay=False),
    help="Replay the calls recorded in this folder; any other request fails (no network).",
)
@click.pass_context
def cli(ctx: click.Context, record: str | None, replay: str | None) -> None:
    """Grounded answers with citations, and a checker that says which parts are not supported."""
    from grounding.core.progress import show_notes

    show_notes()  # what slow first steps are doing, and build progress, on stderr
    if not (record or replay):
        settings = cli_settings()
        record, replay = settings.record, settings.replay
    if record or replay:
        from grounding.cli.recording import recording

        ctx.with_resource(recording(record, replay))


_SETTINGS = "grounding.settings"  # where the run's Settings are kept: the root context's meta


def cli_settings() -> Settings:
    """The `Settings` of this run: every variable read once, at the first command that
    needs them, and kept on the root click context for the others."""
    meta = click.get_current_context().find_root().meta
    if _SETTINGS not in meta:
        meta[_SETTINGS] = Settings.from_env()
    settings: Settings = meta[_SETTINGS]
    return settings


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
        if _debug():
            raise
        click.echo(f"error: {one_line(str(exc))}", err=True)  # one line, whatever it names
        sys.exit(1)
    except ModuleNotFoundError as exc:
        hint = missing_extra_hint(exc)
        if hint is None or _debug():
            raise  # one of our own modules, or a broken install: a bug to see in full
        click.echo(f"error: {hint}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)


def _debug() -> bool:
    """GROUNDING_DEBUG, read alone: another variable's bad value does not hide the error."""
    debug: bool = setting("debug")
    return debug


_REQUIREMENT = re.compile(
    r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)[^;]*;\s*extra\s*==\s*[\"']([\w-]+)[\"']"
)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def missing_extra_hint(exc: ModuleNotFoundError) -> str | None:
    """The install line for a third-party module an optional extra provides, else None."""
    top = (exc.name or "").partition(".")[0]
    if not top or top == "grounding":
        return None
    try:
        requirements = importlib.metadata.requires("grounding") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for requirement in requirements:
        found = _REQUIREMENT.match(requirement)
        if found and found[2] not in {"all", "dev"} and _normal(found[1]) == _normal(top):
            return f'{top} is not installed; it comes with: pip install "grounding[{found[2]}]"'
    return None
