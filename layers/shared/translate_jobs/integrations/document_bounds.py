"""What one document may cost, counted as it is read, so that a hostile one fails early and alone.

Bytes alone do not bound a document's cost: 244 KB of xlsx inflate to 5.9 million shared strings, and
each element, segment or run read costs Python objects and time. So each document (each call of
``documents.translate_document``) gets a ``DocumentBudget`` that counts what its parsers build, and
refuses the document with a ``DocumentError`` naming the bound it passed (docs/documents.md):

- ``MAX_CHARACTERS`` characters of text sent to the engine (Amazon Translate's quota per document);
- ``MAX_SEGMENTS`` calls of the engine (segments: a text node, a paragraph, a trans-unit's text);
- ``MAX_ELEMENTS`` elements read (XML elements; HTML tags, comments, declarations and references);
- ``MAX_DEPTH`` levels of XML nesting, ``MAX_ATTRIBUTES`` attributes on one element, and
  ``MAX_NAMES`` distinct element and attribute names and namespaces in a document (expat keeps
  every name it meets until the parse ends);
- ``MAX_MARKUP_BYTES`` bytes of XML read without the parser reporting anything: expat builds a tag's
  attributes (or a comment) whole before reporting it, so a tag of millions of attributes would cost
  gigabytes before any handler could count them. ``feed`` gives the parser the document in chunks and
  stops as soon as that much has gone by unreported.

Nothing here is shared between documents: a budget lives as long as one call.
"""

from collections.abc import Callable, Collection
from typing import NoReturn

from translate_jobs.domain.errors import DocumentError

MAX_CHARACTERS = 1_000_000
MAX_SEGMENTS = 100_000
MAX_ELEMENTS = 1_000_000
MAX_DEPTH = 256
MAX_ATTRIBUTES = 1_000
MAX_NAMES = 10_000
MAX_MARKUP_BYTES = 1 << 20
CHUNK_BYTES = 64 * 1024

Translate = Callable[[str], str]


class DocumentBudget:
    """The counts of one document; each count raises DocumentError once its bound is passed."""

    def __init__(self) -> None:
        self.characters = 0
        self.segments = 0
        self.elements = 0
        self.depth = 0
        self.names: set[str] = set()
        self.fed = 0  # bytes given to the XML parser so far
        self.reported = 0  # ``fed`` when the parser last reported something

    def counting(self, translate: Translate) -> Translate:
        """``translate``, counting each segment and its characters first."""

        def counted(text: str) -> str:
            self.segments += 1
            self.characters += len(text)
            if self.segments > MAX_SEGMENTS:
                raise DocumentError(
                    f"The document has more than {MAX_SEGMENTS:,} separate pieces of text to translate "
                    "(text nodes, paragraphs, cells); split it into smaller documents."
                )
            if self.characters > MAX_CHARACTERS:
                raise DocumentError(
                    f"The document has more than {MAX_CHARACTERS:,} characters of text to translate; "
                    "split it into smaller documents."
                )
            return translate(text)

        return counted

    def count_element(self) -> None:
        self.elements += 1
        self.reported = self.fed
        if self.elements > MAX_ELEMENTS:
            self._too_many_elements()

    @staticmethod
    def _too_many_elements() -> NoReturn:
        raise DocumentError(f"The document has more than {MAX_ELEMENTS:,} elements; split it into smaller documents.")

    def enter(self, name: str, attributes: Collection[str]) -> None:
        """An XML element starts: count it, its depth, its attributes and its names (if new)."""
        self.elements += 1
        self.reported = self.fed
        if self.elements > MAX_ELEMENTS:
            self._too_many_elements()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise DocumentError(f"The document's elements are nested more than {MAX_DEPTH} levels deep.")
        if len(attributes) > MAX_ATTRIBUTES:
            raise DocumentError(f"An element of the document has more than {MAX_ATTRIBUTES:,} attributes.")
        names = self.names
        if name not in names:
            self.count_name(name)
        for attribute in attributes:
            if attribute not in names:
                self.count_name(attribute)

    def leave(self) -> None:
        self.depth -= 1
        self.reported = self.fed

    def count_name(self, name: str) -> None:
        if name not in self.names:
            self.names.add(name)
            if len(self.names) > MAX_NAMES:
                raise DocumentError(
                    f"The document uses more than {MAX_NAMES:,} distinct element or attribute names and namespaces."
                )

    def mark(self) -> None:
        """The parser reported something (text, a comment...)."""
        self.reported = self.fed

    def feed(self, feed: Callable[[memoryview], object], data: bytes | bytearray) -> None:
        """Give ``data`` to an XML parser's ``feed`` in chunks, refusing a construct the parser would
        have to hold whole past MAX_MARKUP_BYTES (the parser's handlers call ``mark``/``enter``/``leave``)."""
        view = memoryview(data)
        self.fed = self.reported = 0  # a part of its own: what an earlier one reported says nothing here
        for start in range(0, len(data), CHUNK_BYTES):
            chunk = view[start : start + CHUNK_BYTES]
            self.fed = start + len(chunk)
            feed(chunk)
            if self.fed - self.reported > MAX_MARKUP_BYTES:
                raise DocumentError(
                    f"The document has a tag, comment or other markup longer than {MAX_MARKUP_BYTES:,} bytes "
                    f"(from about byte {self.reported:,})."
                )
