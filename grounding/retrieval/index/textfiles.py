"""Reading text files one way everywhere: by their real encoding, refusing binary content.

`index build` and `grounding check --source FILE` both read files through
`read_text_file`, so a file one accepts the other accepts too. Only regular
files are read (`read_file_bytes`): a FIFO, a device such as /dev/zero, a
folder or a symlink loop is refused by name before a byte is read, so nothing
hangs or fills memory; `check --source` also caps the size.

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
import errno
import os
import stat
from pathlib import Path

from grounding.errors import InputError

__all__ = [
    "MAX_SOURCE_FILE_BYTES",
    "BinaryFileError",
    "decode_text",
    "read_file_bytes",
    "read_text_file",
    "require_regular_file",
]

MAX_SOURCE_FILE_BYTES = 16 * 1024 * 1024  # `check --source`: larger files are refused

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


def read_text_file(path: str | Path, limit: int | None = None) -> str:
    """The text of the regular file at `path`, decoded by its real encoding (see the module doc).

    Raises InputError when the file cannot be read, is not a regular file or has
    more than `limit` bytes; BinaryFileError when it is not text.
    """
    return decode_text(read_file_bytes(path, limit), str(path))


def read_file_bytes(path: str | Path, limit: int | None = None) -> bytes:
    """The bytes of the regular file at `path` (links followed); InputError naming it otherwise.

    Opened without blocking, then checked by its open handle: a FIFO cannot hang the
    read, nor a device or a file grown past `limit` bytes fill memory.
    """
    path = Path(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _unreadable(path, exc) from None
    try:
        info = os.fstat(descriptor)
        _require_regular(path, info, limit)
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            data = handle.read(-1 if limit is None else limit + 1)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    finally:
        os.close(descriptor)
    if limit is not None and len(data) > limit:
        raise InputError(f"{path} has more than {limit:,} bytes; the limit is {limit:,} bytes")
    return data


def require_regular_file(path: str | Path, limit: int | None = None) -> None:
    """InputError naming `path` unless it is a regular file (links followed) of at most
    `limit` bytes; for readers that open the file themselves (PDF)."""
    path = Path(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise _unreadable(path, exc) from None
    _require_regular(path, info, limit)


def _require_regular(path: Path, info: os.stat_result, limit: int | None) -> None:
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise InputError(f"{path} is a folder, not a file")
    if not stat.S_ISREG(mode):
        kind = (
            "a FIFO" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode)
            else "not a file"
        )  # fmt: skip
        raise InputError(f"cannot read {path}: it is {kind}, not a regular file")
    if limit is not None and info.st_size > limit:
        raise InputError(f"{path} has {info.st_size:,} bytes; the limit is {limit:,} bytes")


def _unreadable(path: Path, exc: OSError) -> InputError:
    if exc.errno == errno.ELOOP:
        return InputError(f"cannot read {path}: a symlink loop")
    if exc.errno == errno.EISDIR:
        return InputError(f"{path} is a folder, not a file")
    return InputError(f"cannot read {path}: {exc.strerror or exc}")


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
