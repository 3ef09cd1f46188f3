"""An example plugin: a decoder, a scorer, a web search provider and a CLI command."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import click

from grounding.checking import ClaimScore, Scorer
from grounding.generation.base import Decoder
from grounding.generation.prompt import Prompt
from grounding.retrieval.web.provider import ProviderRequest, SearchProvider, WebResult


class EchoDecoder(Decoder):
    """Answers with the first sentence of source [1], cited."""

    name = "echo"
    context_tokens = 4096

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream(self, prompt: Prompt, max_tokens: int = 256) -> Iterator[str]:
        first = prompt.sources[0]
        yield first.text.split(". ")[0].rstrip(".") + f" [{first.index}]."


class AlwaysScorer(Scorer):
    """Says every claim is supported by source 1."""

    name = "always"
    description = "every claim supported by source 1 (an example plugin)"

    def score(self, claims: Sequence[str], sources: Sequence[str]) -> list[ClaimScore]:
        return [ClaimScore(support=1.0, citations=(1,)) for _ in claims]


class ExampleProvider(SearchProvider):
    name = "example-web"
    default_base_url = None
    path = "/search"
    base_url_env = "EXAMPLE_WEB_URL"
    auto_preference = 1  # preferred by `--web auto` when configured

    def build_request(self, query: str, count: int) -> ProviderRequest:
        return ProviderRequest("GET", self.endpoint, params={"q": query})

    def parse(self, payload: Any) -> list[WebResult]:
        return [WebResult(r["title"], r["url"], r["snippet"], i) for i, r in enumerate(payload, 1)]


@click.command()
def hello() -> None:
    """Say hello from a plugin."""
    click.echo("hello from grounding-example-plugin")
