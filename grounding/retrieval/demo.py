"""The bundled demo index: built from the packaged corpus on first use, then cached.

The corpus ships inside the package (`grounding/demo_corpus/`, also reachable as
`indexes/demo/` in a checkout), so an installed wheel has it; the built index
lives under $GROUNDING_HOME/indexes/demo and is never committed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from grounding.config import Settings, indexes_dir
from grounding.core.progress import note
from grounding.errors import ConfigError, IndexNotFoundError

if TYPE_CHECKING:
    from grounding.retrieval.stores.base import Index

__all__ = ["demo_corpus_dir", "demo_index"]


def demo_corpus_dir() -> Path:
    """The demo corpus shipped in the package."""
    folder = Path(__file__).resolve().parents[1] / "demo_corpus"
    if not (folder / "recipe.json").exists():
        raise ConfigError(
            f"the demo corpus is missing from {folder.parent}: reinstall grounding, "
            "or pass --index NAME"
        )
    return folder


def demo_index(settings: Settings | None = None) -> Index:
    """The demo index, built on first use from the corpus's `recipe.json`, under the
    `$GROUNDING_HOME` of `settings` (without them, that variable read alone)."""
    from grounding.retrieval.index.local import LocalIndex
    from grounding.retrieval.stores.base import open_store

    target = indexes_dir(settings) / "demo"
    try:
        return open_store(target, settings)
    except IndexNotFoundError:
        pass
    folder = demo_corpus_dir()
    recipe = json.loads((folder / "recipe.json").read_text(encoding="utf-8"))
    paths = [folder / path for path in recipe["paths"]]
    note(f"building the demo index in {target} (first use only; later runs load it)")
    return LocalIndex.build(
        paths,
        target,
        chunk_size=recipe.get("chunk_size"),
        chunk_overlap=recipe.get("chunk_overlap"),
        settings=settings,
    )
