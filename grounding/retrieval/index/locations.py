"""Index names and where they live.

A plain name (`notes`) means `$GROUNDING_HOME/indexes/notes/`; anything with a
path separator (`./build/idx`, `/srv/idx`) is used as the folder itself. When
reading, a plain name that is not under GROUNDING_HOME but is an index folder
in the working directory is accepted too; a name that is an index in both
places is refused as ambiguous (`./NAME` names the folder). The home index is
looked for under its swap lock, so a save in progress never makes a reader
take the folder in the working directory instead.

Each function takes the `Settings` in use for where `$GROUNDING_HOME` is; without
them (a library call) that one variable is read alone.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

from grounding.config import Settings, indexes_dir
from grounding.core.text import has_control_characters
from grounding.errors import InputError

__all__ = [
    "INDEX_NAME",
    "MANIFEST",
    "checked_name",
    "did_you_mean",
    "index_dir_for_write",
    "is_path",
    "list_index_dirs",
]

MANIFEST = "manifest.json"
INDEX_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def is_path(name_or_path: str | Path) -> bool:
    if isinstance(name_or_path, Path):
        return True
    text = str(name_or_path)
    return "/" in text or os.sep in text or text in {".", ".."}


def checked_name(name: str) -> str:
    if not INDEX_NAME.fullmatch(name):  # fullmatch: `$` alone lets a trailing newline through
        raise InputError(
            f"invalid index name {name!r}: use letters, digits, '.', '_' or '-' "
            "(or give a path containing '/')"
        )
    return name


def index_dir_for_write(name_or_path: str | Path, settings: Settings | None = None) -> Path:
    """The folder an index named or located by `name_or_path` is written to.

    A name must be letters, digits, '.', '_' or '-'; a path must not hold control
    characters or line breaks (it is printed in one line by `index list` and `info`).
    """
    if is_path(name_or_path):
        if has_control_characters(str(name_or_path)):
            raise InputError(
                f"invalid index path {str(name_or_path)!r}: it holds control characters "
                "or line breaks"
            )
        return Path(name_or_path).expanduser()
    return indexes_dir(settings) / checked_name(str(name_or_path))


def list_index_dirs(settings: Settings | None = None) -> list[Path]:
    """Folders of the indexes under `$GROUNDING_HOME/indexes`, by name."""
    root = indexes_dir(settings)
    if not root.is_dir():
        return []
    return sorted(
        child
        for child in root.iterdir()
        if child.is_dir() and not child.name.startswith(".") and (child / MANIFEST).exists()
    )


def did_you_mean(name: str) -> str:
    """ "; did you mean 'notes'?" when a plain index name is close to existing ones, else ""."""
    if is_path(name):
        return ""
    names = [folder.name for folder in list_index_dirs() if folder.name != name]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(found) for found in close) + "?"
