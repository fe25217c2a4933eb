"""One document of each format the service translates, in German, each segment one sentence: what a job with
a real engine must write is then each segment translated by CTranslate2 directly (tests/support/argos.Direct),
put back by the documents module."""

import io
import zipfile

from tests.support.office import docx, pptx, xlsx
from translate_jobs.domain.content_types import DOCX, HTML, PPTX, TEXT, XLIFF, XLSX

XLIFF_DOCUMENT = """<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
  <file original="ui.txt" source-language="de" datatype="plaintext">
    <body>
      <trans-unit id="greeting"><source>Guten Morgen</source></trans-unit>
      <trans-unit id="farewell"><source>Auf Wiedersehen <g id="1">mein Freund</g></source></trans-unit>
    </body>
  </file>
</xliff>
"""


def documents() -> dict[str, tuple[str, bytes]]:
    """ContentType -> (file name, document)."""
    return {
        TEXT: ("notes.txt", "Guten Morgen, wie geht es dir?\n\n  Das Wetter ist heute schön.\n".encode()),
        HTML: ("page.html", b"<html><body><h1>Willkommen</h1><p>Das ist <b>eine</b> Seite &amp; mehr.</p></body></html>"),
        XLIFF: ("ui.xlf", XLIFF_DOCUMENT.encode()),
        DOCX: ("report.docx", docx()),
        PPTX: ("deck.pptx", pptx()),
        XLSX: ("book.xlsx", xlsx()),
    }


def contents(document: bytes) -> dict[str, bytes] | bytes:
    """What a document holds: an Office package's parts by name (its zip entries carry the time they were
    written, which two writes of one package do not share), any other document's bytes."""
    if not document.startswith(b"PK\x03\x04"):
        return document
    with zipfile.ZipFile(io.BytesIO(document)) as package:
        return {name: package.read(name) for name in package.namelist()}
