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

import os
import re
from pathlib import Path

from grounding.config import Settings, indexes_dir
from grounding.errors import InputError
from grounding.text import has_control_characters

__all__ = ["MANIFEST", "index_dir_for_write", "list_index_dirs", "resolve_index_dir"]

MANIFEST = "manifest.json"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def _is_path(name_or_path: str | Path) -> bool:
    if isinstance(name_or_path, Path):
        return True
    text = str(name_or_path)
    return "/" in text or os.sep in text or text in {".", ".."}


def _checked_name(name: str) -> str:
    if not _NAME.fullmatch(name):  # fullmatch: `$` alone lets a trailing newline through
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
    if _is_path(name_or_path):
        if has_control_characters(str(name_or_path)):
            raise InputError(
                f"invalid index path {str(name_or_path)!r}: it holds control characters "
                "or line breaks"
            )
        return Path(name_or_path).expanduser()
    return indexes_dir(settings) / _checked_name(str(name_or_path))


def resolve_index_dir(name_or_path: str | Path, settings: Settings | None = None) -> Path:
    """The folder of an existing (or expected) index; it may not exist yet.

    InputError when a plain name is an index both under GROUNDING_HOME and in
    the working directory.
    """
    if _is_path(name_or_path):
        return Path(name_or_path).expanduser()
    name = str(name_or_path)
    local = Path(name)
    if not (local / MANIFEST).exists():
        return indexes_dir(settings) / _checked_name(name)
    if not _NAME.fullmatch(name):
        return local  # no index at home can have that name
    home = indexes_dir(settings) / name
    from grounding.retrieval.storage import reading, tidy  # storage builds on this module

    tidy(home)  # puts back a swap a killed save left half done
    with reading(home):  # the swap lock: no save is between its two renames
        at_home = (home / MANIFEST).exists()
    if not at_home:
        return local
    if local.resolve() == home.resolve():
        return home
    raise InputError(
        f"index name {local.name!r} is ambiguous: there is an index {home} and one in the "
        f"working directory; pass ./{local.name} for the folder here or {home} for the other"
    )


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
