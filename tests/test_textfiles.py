"""Files decoded one way everywhere: by their real encoding, binary content refused."""

from __future__ import annotations

import codecs
import os
import sys
from pathlib import Path

import pytest

from grounding.errors import InputError
from grounding.retrieval.index.textfiles import BinaryFileError, decode_text, read_text_file

TEXT = "Café au lait costs 3 € — naïve prices.\nSecond line.\n"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        TEXT.encode("utf-16-le"),  # no byte-order mark, as some Windows tools write it
        TEXT.encode("utf-16-be"),
        codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"),
        TEXT.encode("cp1252"),
    ],
)
def test_text_decodes_by_its_real_encoding(data: bytes) -> None:
    assert decode_text(data) == TEXT


def test_latin1_file_is_read() -> None:
    latin = "Ça coûte 3 francs; l'été à Zürich.\n"
    assert decode_text(latin.encode("latin-1")) == latin


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x02\x00>\x00", "ELF"),
        (b"\x7fELF\x02\x01", "ELF"),  # a partial ELF file: just its first bytes
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "PNG"),
        (bytes(range(256)) * 8, "NUL"),
        (bytes(b % 31 + 1 for b in range(4000)), "control characters"),
    ],
)
def test_binary_content_is_refused(data: bytes, why: str) -> None:
    with pytest.raises(BinaryFileError, match=why):
        decode_text(data, "blob.txt")


def test_the_running_python_executable_is_binary() -> None:
    with pytest.raises(BinaryFileError, match="binary"):
        read_text_file(os.path.realpath(sys.executable))


def test_a_folder_or_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder"):
        read_text_file(tmp_path)
    with pytest.raises(InputError, match="cannot read"):
        read_text_file(tmp_path / "missing.txt")
