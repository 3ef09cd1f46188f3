"""Tiny documents for the index tests: a few files, fast to embed."""

from __future__ import annotations

from pathlib import Path

LIGHTHOUSE = """# The Lighthouse

The Varnholt lighthouse was first lit in 1874. Its first keeper was Anna Brask,
who kept the lamp burning through the great storm of 1881.
"""

FERRY = """The ferry to the mainland leaves the harbour at 07:15 and 16:40 every day.
Tickets are sold on board; bicycles travel free in winter.
"""

STORM_HTML = """<html><head><title>Storm &amp; Sea</title></head><body>
<nav>Home | About | Contact</nav>
<article><h1>The storm of 1881</h1>
<p>The great storm of 1881 destroyed the old pier and flooded the lower town for three days.
Fishing boats were carried half a mile inland by the surge.</p>
<p>The pier was rebuilt in stone in 1890 with money raised by the fishing families.</p>
</article><footer>Copyright the town archive</footer></body></html>
"""

GATE = """Garden notes. The allotment gate uses the padlock code ZQX-4471.
Tomatoes are planted in May after the last frost.
"""


def write_notes(folder: Path) -> Path:
    """A folder of four small notes (.md, .txt in a subfolder, .html, .txt)."""
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    (folder / "lighthouse.md").write_text(LIGHTHOUSE, encoding="utf-8")
    (folder / "sub" / "ferry.txt").write_text(FERRY, encoding="utf-8")
    (folder / "storm.html").write_text(STORM_HTML, encoding="utf-8")
    (folder / "garden.txt").write_text(GATE, encoding="utf-8")
    return folder


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF showing `text` in Helvetica, written by hand (no PDF writer needed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def multipage_pdf(pages: list[list[str]]) -> bytes:
    """A PDF of several pages, each showing its lines top to bottom in Helvetica, by hand."""
    count = len(pages)
    fonts = 3 + 2 * count  # object number of the one font, after catalog, pages, page pairs
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode()]  # fmt: skip
    for number, lines in enumerate(pages):
        shown = " ".join(
            f"({line.replace('(', '[').replace(')', ']')}) Tj 0 -16 Td" for line in lines
        )
        stream = f"BT /F1 11 Tf 72 740 Td {shown} ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * number} "
            f"0 R /Resources << /Font << /F1 {fonts} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
