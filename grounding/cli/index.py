"""`grounding index`: build, list and inspect local indexes."""

from __future__ import annotations

import json

import click

from grounding.cli.options import ray_choice, ray_options
from grounding.core.text import one_line
from grounding.retrieval.index.chunking import DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE

__all__ = ["index"]


@click.group(short_help="Build and inspect local indexes.")
def index() -> None:
    """Build and inspect local indexes (stored under $GROUNDING_HOME/indexes)."""


@index.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--name", required=True, help="Index name, or a folder path containing '/'.")
@click.option(
    "--tag",
    "tags",
    multiple=True,
    help="Tag every chunk (repeatable); ask, serve and eval search by it: --filter tag=NAME.",
)
@click.option("--force", is_flag=True, help="Re-embed everything instead of only changed files.")
@click.option(
    "--replace",
    is_flag=True,
    help="Allow dropping the documents of folders or files this build does not name "
    "(without it, building an existing index from other paths is refused).",
)
@click.option(
    "--index-type",
    type=click.Choice(["auto", "flat", "hnsw"]),
    default="auto",
    show_default=True,
    help="FAISS index: exact (flat), graph (hnsw), or by size (auto).",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(50, 20_000),
    default=DEFAULT_CHUNK_SIZE,
    help="Characters per chunk.",
)
@click.option(
    "--chunk-overlap",
    type=click.IntRange(0, 5_000),
    default=DEFAULT_CHUNK_OVERLAP,
    help="Characters of overlap.",
)
@click.option("--no-hybrid", is_flag=True, help="Dense search only (no BM25 keyword index).")
@click.option("--embedding-model", help="Sentence-transformers model folder (default: MiniLM).")
@click.option(
    "--store",
    help="Where chunks and vectors go: faiss (a folder), or milvus ($MILVUS_URI, else a "
    "Milvus Lite file in the index folder). Default: the index's current store, else faiss.",
)
@ray_options("Load, chunk and embed")
def build(
    paths: tuple[str, ...],
    name: str,
    tags: tuple[str, ...],
    force: bool,
    replace: bool,
    index_type: str,
    chunk_size: int,
    chunk_overlap: int,
    no_hybrid: bool,
    embedding_model: str | None,
    store: str | None,
    ray_address: str | None,
    workers: int | None,
) -> None:
    """Index the .txt, .md, .html and .pdf files under PATHS as NAME.

    Re-running over a changed folder embeds only new and changed files. Text is
    decoded by its real encoding (BOM, UTF-16, UTF-8, else Windows-1252/Latin-1);
    binary files, files with no text and files of other types are skipped and
    listed by name. Building an existing NAME from other paths is refused unless
    --replace is given.
    """
    from grounding.cli.main import cli_settings
    from grounding.retrieval.index.updating import build_index
    from grounding.retrieval.stores.base import current_store

    settings = cli_settings()
    built = build_index(
        paths,
        name,
        store or current_store(name, settings),
        replace=replace,
        tags=tags,
        embedding_model=embedding_model,
        index_type=index_type,
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        hybrid=not no_hybrid,
        force=force,
        ray=ray_choice(ray_address),
        workers=workers,
        settings=settings,
    )
    click.echo(f"index {one_line(name)!r} at {one_line(str(built.index.directory))}")
    click.echo(built.report.summary())


@index.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_command(as_json: bool) -> None:
    """List the indexes under $GROUNDING_HOME/indexes."""
    from grounding.cli.main import cli_settings
    from grounding.config import indexes_dir
    from grounding.errors import IndexStoreError
    from grounding.retrieval.index.locations import list_index_dirs
    from grounding.retrieval.index.storage import read_manifest

    settings = cli_settings()
    rows: list[dict[str, object]] = []
    for folder in list_index_dirs(settings):
        try:
            manifest = read_manifest(folder, folder.name)
        except IndexStoreError as exc:  # one broken index does not hide the others
            click.echo(f"warning: {one_line(folder.name)}: {one_line(str(exc))}", err=True)
            rows.append({"name": folder.name, "error": str(exc)})
            continue
        rows.append(
            {
                "name": folder.name,
                "documents": manifest.documents,
                "chunks": manifest.chunks,
                "index_type": manifest.index_type,
                "store": manifest.store,
                "embedding_model": manifest.embedding_model,
                "updated_at": manifest.updated_at,
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif not rows:
        click.echo(f"no indexes in {indexes_dir(settings)}; make one with `grounding index build`")
    else:
        for row in rows:
            if "error" in row:
                click.echo(f"{one_line(str(row['name'])):<20} unreadable (rebuild it with --force)")
                continue
            click.echo(
                one_line(
                    f"{row['name']!s:<20} {row['documents']!s:>6} docs {row['chunks']!s:>8} "
                    f"chunks  {row['store']:<6} {row['index_type']:<5} {row['embedding_model']}  "
                    f"{row['updated_at']}"
                )
            )


@index.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
def info(name: str, as_json: bool) -> None:
    """Show an index's settings and files."""
    from grounding.cli.main import cli_settings
    from grounding.retrieval.index.storage import read_manifest, resolve_index_dir

    folder = resolve_index_dir(name, cli_settings())
    manifest = read_manifest(folder, name)
    if as_json:
        click.echo(manifest.model_dump_json(indent=2))
        return
    click.echo(f"index       {one_line(name)} ({one_line(str(folder))})")
    click.echo(
        one_line(
            f"model       {manifest.embedding_model} ({manifest.dimension}-d, "
            f"{manifest.embedding_backend} backend)"
        )
    )
    search = "hybrid (dense + BM25)" if manifest.hybrid else "dense"
    ef = f", efSearch {manifest.ef_search}" if manifest.index_type == "hnsw" else ""
    click.echo(one_line(f"type        {manifest.index_type}{ef}; search {search}"))
    if manifest.milvus is not None:
        where = manifest.milvus.uri or "Milvus Lite file in the index folder"
        click.echo(
            one_line(f"store       milvus, collection {manifest.milvus.collection} at {where}")
        )
    click.echo(f"chunks      {manifest.chunks} from {manifest.documents} documents")
    click.echo(f"chunking    {manifest.chunk_size} chars, {manifest.chunk_overlap} overlap")
    click.echo(one_line(f"updated     {manifest.updated_at}"))
    for doc_id, record in sorted(manifest.files.items()):
        tags = f" [{', '.join(record.tags)}]" if record.tags else ""
        click.echo(one_line(f"  {doc_id}  {record.chunks} chunks{tags}  {record.title}"))
