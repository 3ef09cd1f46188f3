"""`grounding serve`: the OpenAI-compatible HTTP service, on uvicorn.

Models and the index are loaded before the port opens, so the first request
is as fast as the rest. Clients get only what the operator allowed: the
decoder, index and scorer the server was started with, plus those named in
`--allow-decoders`, `--allow-indexes` and `--allow-scorers` (all loaded at start);
web search only if the server was started with `--web`.
"""

from __future__ import annotations

import logging

import click

from grounding.cli.options import filter_option
from grounding.generation.decoders import DECODERS
from grounding.retrieval.web import WEB_PROVIDERS

__all__ = ["serve"]


@click.command(short_help="Run the HTTP service (OpenAI-compatible).")
@click.option("--index", "index", help="Index name or path (default: the bundled demo index).")
@click.option("--web", help=f"Also search the web: {WEB_PROVIDERS.choices('auto')}.")
@click.option("--decoder", default="extractive", show_default=True, help=f"{DECODERS.choices()}.")
@click.option("--scorer", help="Checker scorer name (see `grounding check --list-scorers`).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--max-concurrent",
    default=4,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Generations run at once; more wait in a queue, and past it get 429.",
)
@click.option(
    "--timeout",
    "timeout_s",
    default=120.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a request may take, waiting included (504/503 past it).",
)
@click.option(
    "--allow-decoders",
    metavar="NAME,...",
    help="Other decoders clients may ask for (default: only --decoder).",
)
@click.option(
    "--allow-indexes",
    metavar="NAME,...",
    help="Other index names clients may ask for (default: only --index).",
)
@click.option(
    "--allow-scorers",
    metavar="NAME,...",
    help="Other scorers /v1/check clients may ask for (default: only --scorer).",
)
@filter_option
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
def serve(
    index: str | None,
    web: str | None,
    decoder: str,
    scorer: str | None,
    host: str,
    port: int,
    max_concurrent: int,
    timeout_s: float,
    allow_decoders: str | None,
    allow_indexes: str | None,
    allow_scorers: str | None,
    filters: tuple[str, ...],
    log_level: str,
) -> None:
    """Serve grounded answers over HTTP: POST /v1/chat/completions, /v1/ground, /v1/check.

    Set GROUNDING_API_KEYS (comma separated) to require `Authorization: Bearer <key>`.
    """
    import uvicorn

    from grounding.retrieval.filters import parse_filters
    from grounding.service import Engine, ServiceSettings, create_app

    settings = ServiceSettings.from_env(
        index=index,
        web=web,
        decoder=decoder,
        scorer=scorer,
        max_concurrent=max_concurrent,
        request_timeout_s=timeout_s,
        allowed_decoders=_names(allow_decoders),
        allowed_indexes=_names(allow_indexes),
        allowed_scorers=_names(allow_scorers),
        filters=parse_filters(filters),
    )
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("grounding").setLevel(log_level.upper())
    engine = Engine(settings)
    engine.load()  # a bad index or decoder fails here, as one line, before the port opens
    app = create_app(engine=engine)
    # uvicorn's own access log would repeat ours without the request id and stages.
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)


def _names(listed: str | None) -> frozenset[str]:
    return frozenset(name.strip() for name in (listed or "").split(",") if name.strip())
