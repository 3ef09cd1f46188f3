"""Reading text files one way everywhere: by their real encoding, refusing binary content.

`index build` and `grounding check --source FILE` both read files through
`read_text_file`, so a file one accepts the other accepts too.

The encoding is decided in this order, and the first that fits wins:

1. a byte-order mark: UTF-8, UTF-16 (LE/BE) or UTF-32 (LE/BE);
2. UTF-16 without a mark, when NUL bytes fill every other position (Windows tools);
3. UTF-8;
4. Windows-1252 (a superset of Latin-1's printable characters), else Latin-1.

Content is binary, and refused with `BinaryFileError`, when it starts with a
known binary signature (ELF, PDF, ZIP, gzip, PNG, ...), or holds NUL bytes
outside UTF-16, or more than 5% of its characters are control characters other
than tab, line breaks and form feed once decoded.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from grounding.errors import InputError

__all__ = ["BinaryFileError", "decode_text", "read_text_file"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose mark it starts with
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SIGNATURES = {
    b"\x7fELF": "an ELF executable",
    b"%PDF-": "a PDF document",
    b"PK\x03\x04": "a ZIP archive",
    b"\x1f\x8b": "gzip data",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"MZ": "a Windows executable",
    b"\xca\xfe\xba\xbe": "a Mach-O or Java class file",
    b"\xcf\xfa\xed\xfe": "a Mach-O executable",
    b"SQLite format 3\x00": "an SQLite database",
    b"\x28\xb5\x2f\xfd": "zstd data",
    b"BZh": "bzip2 data",
    b"\xfd7zXZ\x00": "xz data",
}
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v\x1b")  # \x1b: colour codes in terminal logs
_MAX_CONTROL_SHARE = 0.05


class BinaryFileError(InputError):
    """A file whose content is not text (an executable, an image, random bytes...).

    `reason` says why, without the file's name: "binary (an ELF executable), not text".
    """

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name} is {reason}")
        self.reason = reason


def read_text_file(path: str | Path) -> str:
    """The text of the file at `path`, decoded by its real encoding (see the module doc).

    Raises InputError when the file cannot be read, BinaryFileError when it is not text.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise InputError(f"{path} is a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return decode_text(data, str(path))


def decode_text(data: bytes, name: str = "the file") -> str:
    """`data` as text (a leading byte-order mark removed); BinaryFileError when it is not text."""
    for mark, encoding in _BOMS:
        if data.startswith(mark):
            return _checked(_decode(data[len(mark) :], encoding, name), name)
    for signature, kind in _SIGNATURES.items():
        if data.startswith(signature) and not (signature == b"MZ" and b"\x00" not in data[:64]):
            raise BinaryFileError(name, f"binary ({kind}), not text")
    if b"\x00" in data:
        wide = _utf16_without_mark(data)
        if wide is None:
            raise BinaryFileError(name, "binary (it holds NUL bytes), not text")
        return _checked(_decode(data, wide, name), name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")  # never fails: every byte is a character
    return _checked(text, name)


def _utf16_without_mark(data: bytes) -> str | None:
    """utf-16-le or -be when NULs sit at odd or even positions only (mostly ASCII text)."""
    sample = data[: 1 << 16]
    if len(sample) < 2 or len(sample) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    if odd.count(0) >= 0.3 * half and even.count(0) <= 0.01 * half:
        return "utf-16-le"
    if even.count(0) >= 0.3 * half and odd.count(0) <= 0.01 * half:
        return "utf-16-be"
    return None


def _decode(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise BinaryFileError(name, f"not valid {encoding} text ({exc.reason})") from exc


def _checked(text: str, name: str) -> str:
    """`text`, unless control characters show it was decoded from binary data."""
    sample = text[:65536]
    controls = sum(
        1
        for char in sample
        if (char < " " or "\x7f" <= char < "\xa0") and char not in _ALLOWED_CONTROLS
    )
    if "\x00" in sample or controls > _MAX_CONTROL_SHARE * max(len(sample), 1):
        raise BinaryFileError(name, "binary (control characters), not text")
    return text
