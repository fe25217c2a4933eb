"""Document formats: take a document apart into the text an engine translates, and put it back.

The job's ``InputDataConfig.ContentType`` chooses the format:

- ``text/plain``: UTF-8 text, translated whole (engines keep its line structure).
- ``text/html``: UTF-8 HTML. Markup is copied through byte for byte; only text nodes are translated
  (a run of text with its character and entity references is one segment, and the references it
  used come back as references); ``<script>`` and ``<style>`` contents, comments, declarations and
  whitespace-only text are left alone. Parsed with the standard library's ``html.parser``, as a flat
  stream of tags (no tree): the output is written as the input is read.
- ``application/x-xliff+xml``: XLIFF 1.2. Every ``<trans-unit>`` gets a ``<target>`` (replacing one
  already there) holding its ``<source>`` translated, inline elements kept; ``target-language`` of
  each ``<file>`` is set. Parsed with defusedxml: a DTD is refused whatever the encoding (no
  entity expansion), as is malformed XML. No tree is built either: the output (ElementTree's
  serialization of the translated document) is written as the input is read.
- docx, pptx, xlsx (Office Open XML): see office.py; the package is kept byte for byte but for the
  content of its text elements.

Every call counts what the document costs in a DocumentBudget of its own (document_bounds.py): a
document past a bound fails alone, early. Any problem with one document raises
engines.DocumentError (recorded, the job goes on).
"""

import html
import io
import re
from collections.abc import Callable
from html import parser as _html_parser
from html.parser import HTMLParser
from xml.etree.ElementTree import ParseError
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from translate_jobs.domain.content_types import HTML, OFFICE_CONTENT_TYPES, TEXT, XLIFF, base_type
from translate_jobs.domain.errors import DocumentError
from translate_jobs.integrations import document_bounds
from translate_jobs.integrations.document_bounds import DocumentBudget
from translate_jobs.integrations.office import translate_office

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # per document, as the real service

Translate = Callable[[str], str]


def check_size(size: int) -> None:
    """The per-document limit: checked on S3's ContentLength before a body is read, and on the bytes."""
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentError(f"The document exceeds {MAX_DOCUMENT_BYTES} bytes.")


def translate_document(content_type: str, data: bytes, translate: Translate, target: str) -> bytes:
    """The document ``data`` of ``content_type`` translated to ``target`` by ``translate`` (text -> text).

    ``translate`` is called once per segment, in the document's order, the same segments every time
    for the same document (a caller may record them in one call and answer them in another)."""
    check_size(len(data))
    kind = base_type(content_type)
    budget = DocumentBudget()
    if kind == TEXT:
        return budget.counting(translate)(_decode(data)).encode("utf-8")
    if kind == HTML:
        return _translated_html(_decode(data), translate, budget)
    if kind == XLIFF:
        return translate_xliff(data, translate, target, budget)
    if kind in OFFICE_CONTENT_TYPES:
        return translate_office(kind, data, translate, budget)
    raise DocumentError(f"The content type {content_type} is not supported.")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise DocumentError("The document is not valid UTF-8 text.") from None


# ---------- HTML ----------

_RAW_TEXT_ELEMENTS = frozenset({"script", "style"})
_UNPARSED_MARKUP = re.compile(r"<[A-Za-z/!?]")
_MARKUP_START = re.compile(r"[A-Za-z/!?#]")
_SLICE = 1 << 20
# html.parser's own patterns for a tag's name and one attribute: a start tag's attributes are counted
# with them before html.parser reads the tag (its pattern for a whole tag takes memory per attribute:
# 2 GB for 2.5 M of them).
_TAG_NAME: re.Pattern[str] = vars(_html_parser)["tagfind_tolerant"]
_ATTRIBUTE: re.Pattern[str] = vars(_html_parser)["attrfind_tolerant"]


class _HtmlTranslation(HTMLParser):
    """Writes the translated page as html.parser reads the source: markup is copied from the source
    as it is, each run of text (with its references) is translated when the markup after it begins."""

    def __init__(self, source: str, translate: Translate, budget: DocumentBudget) -> None:
        super().__init__(convert_charrefs=False)
        self._source = source
        self._translate = translate
        self._budget = budget
        self.out = io.BytesIO()  # UTF-8: a str would take 4 bytes a character for all, for one emoji
        self._copied = 0  # source[:_copied] is written
        self._at = 0  # where in the source the construct being handled starts
        self._consumed = 0  # the source's characters before rawdata
        self._run: int | None = None  # where the current run of text starts
        self._reference: int | None = None  # where the run's last reference starts (its end is the next _at)
        self._references: dict[str, str] = {}  # character -> the reference the run wrote it with
        self.raw_text: str | None = None  # inside <script> or <style>
        self.closing = False  # all the input is in

    # html.parser moves its position with updatepos(i, j) before handling what starts at j (an offset
    # in rawdata, the input no earlier goahead consumed). Kept as an offset in the source, not as the
    # line and column html.parser counts (nothing here asks for them).
    def updatepos(self, i: int, j: int) -> int:
        self._at = self._consumed + j
        return j

    def close(self) -> None:
        self.closing = True
        self._consumed = len(self._source) - len(self.rawdata)
        super().close()

    # Once all the input is in, html.parser handles a construct it cannot finish (a tag, comment or
    # declaration never closed) by scanning to the end of the input for it, then again for the next
    # '<' after it: quadratic ('<a b=' * 10000, 50 KB, took 17 s). Broken markup is refused anyway,
    # so the first such construct ends the parse: each construct is scanned at most twice (once in
    # feed, once in close), and one document's cost stays linear in its size.
    def _finished(self, end: int, start: int) -> int:
        if end < 0 and self.closing:
            raise DocumentError(f"The HTML could not be parsed: {self.rawdata[start:][:40]!r} is never closed.")
        return end

    def check_for_whole_start_tag(self, i: int) -> int:
        name = _TAG_NAME.match(self.rawdata, i + 1)
        position = name.end() if name else len(self.rawdata)
        for _ in range(document_bounds.MAX_ATTRIBUTES + 1):
            attribute = _ATTRIBUTE.match(self.rawdata, position)
            if not attribute:
                return super().check_for_whole_start_tag(i)
            position = attribute.end()
        raise DocumentError(f"An element of the HTML has more than {document_bounds.MAX_ATTRIBUTES:,} attributes.")

    def parse_starttag(self, i: int) -> int:
        return self._finished(super().parse_starttag(i), i)

    def parse_endtag(self, i: int) -> int:
        return self._finished(super().parse_endtag(i), i)

    def parse_comment(self, i: int, report: bool = True) -> int:
        return self._finished(super().parse_comment(i, report), i)

    def parse_pi(self, i: int) -> int:
        return self._finished(super().parse_pi(i), i)

    def parse_html_declaration(self, i: int) -> int:
        return self._finished(super().parse_html_declaration(i), i)

    def _markup(self) -> None:
        self._budget.count_element()
        self._end_run(self._at)

    def _text(self) -> None:
        self._end_reference()
        if self._run is None:
            self._run = self._at

    def _end_reference(self) -> None:
        if self._reference is not None:
            raw = self._source[self._reference : self._at]
            character = html.unescape(raw)
            if len(character) == 1:
                self._references[character] = raw
            self._reference = None

    def _end_run(self, end: int) -> None:
        """The run of text before ``end`` is complete: write the markup before it, then its translation."""
        self._end_reference()
        if self._run is None:
            return
        self._copy(self._run)
        self.out.write(_translate_text_run(self._source[self._run : end], self._references, self._translate).encode("utf-8"))
        self._copied, self._run = end, None
        self._references = {}

    def _copy(self, end: int) -> None:
        """Write the source up to ``end`` as it is (a slice at a time: markup can be megabytes)."""
        for start in range(self._copied, end, _SLICE):
            self.out.write(self._source[start : min(start + _SLICE, end)].encode("utf-8"))

    def finish(self) -> bytes:
        """The translated page (UTF-8), once the whole source is parsed."""
        self._at = len(self._source)
        self._end_run(self._at)
        self._copy(len(self._source))
        return self.out.getvalue()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._markup()
        if tag in _RAW_TEXT_ELEMENTS:
            self.raw_text = tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._markup()

    def handle_endtag(self, tag: str) -> None:
        self._markup()
        if tag == self.raw_text:
            self.raw_text = None

    def handle_data(self, data: str) -> None:
        if self.raw_text:
            self._end_run(self._at)  # script or style: copied as markup
        else:
            self._text()

    def handle_entityref(self, name: str) -> None:
        self._budget.count_element()  # each reference costs a call here, as a tag does
        self._text()
        self._reference = self._at

    handle_charref = handle_entityref

    def handle_comment(self, data: str) -> None:
        self._markup()

    def handle_decl(self, decl: str) -> None:
        self._markup()

    def handle_pi(self, data: str) -> None:
        self._markup()

    def unknown_decl(self, data: str) -> None:
        self._markup()


def translate_html(source: str, translate: Translate, budget: DocumentBudget | None = None) -> str:
    """Translate the text nodes of an HTML document; everything else is copied as it is."""
    return _translated_html(source, translate, budget or DocumentBudget()).decode("utf-8")


def _translated_html(source: str, translate: Translate, budget: DocumentBudget) -> bytes:
    parser = _HtmlTranslation(source, budget.counting(translate), budget)
    try:
        parser.feed(source)
        parser.close()
    except DocumentError:
        raise
    except Exception as exc:  # noqa: BLE001 - html.parser raises assorted errors on broken markup
        raise DocumentError(f"The HTML could not be parsed: {exc}") from None
    if parser.raw_text:
        raise DocumentError(f"The HTML could not be parsed: <{parser.raw_text}> is never closed.")
    return parser.finish()


def _translate_text_run(raw: str, references: dict[str, str], translate: Translate) -> str:
    broken = _UNPARSED_MARKUP.search(raw)
    if broken:  # html.parser hands back as text a tag or comment it could not finish
        raise DocumentError(f"The HTML could not be parsed near {raw[broken.start() :][:40]!r}.")
    text = html.unescape(raw)
    core = text.strip()
    if not core:
        return raw
    start = text.index(core)
    translated = text[:start] + translate(core) + text[start + len(core) :]

    # The references the run used (&amp; &nbsp; &#233; ...) come back as the same references; a
    # '&' or '<' that would read as a reference or a tag is escaped.
    def restore(match: re.Match[str]) -> str:
        char = match.group()
        if char in references:
            return references[char]
        if _MARKUP_START.match(translated, match.end()):
            return "&amp;" if char == "&" else "&lt;"
        return char

    special = "".join(references) + "&<"
    return re.sub("[" + re.escape(special) + "]", restore, translated)


# ---------- XLIFF 1.2 ----------

XLIFF_NS = "urn:oasis:names:tc:xliff:document:1.2"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_XML_LANG = f"{{{_XML_NS}}}lang"
# ElementTree's own prefixes, for a namespace the document gives none (a default xmlns= on an inner element).
_WELL_KNOWN_PREFIXES = {
    _XML_NS: "xml",
    "http://www.w3.org/1999/xhtml": "html",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
    "http://schemas.xmlsoap.org/wsdl/": "wsdl",
    "http://www.w3.org/2001/XMLSchema": "xs",
    "http://www.w3.org/2001/XMLSchema-instance": "xsi",
    "http://purl.org/dc/elements/1.1/": "dc",
}
_GENERATED_PREFIX = re.compile(r"ns\d+")
_ATTRIBUTE_ESCAPES = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}  # besides & < >


class _Writer:
    """ElementTree's serialization (what ``ET.tostring`` writes, in UTF-8) of elements given one event
    at a time: a start tag stays open until content comes, so an empty element is written ``<x />``."""

    def __init__(self, tag: str = "") -> None:
        self.out = io.BytesIO()
        self.tags = [tag] if tag else []  # open elements
        self.open = bool(tag)  # the innermost start tag still lacks its '>'

    def start(self, tag: str, attributes: str) -> None:
        self.markup(f"<{tag}{attributes}")
        self.tags.append(tag)
        self.open = True

    def markup(self, markup: str | bytes) -> None:
        if self.open:
            self.out.write(b">")
            self.open = False
        self.out.write(markup.encode("utf-8") if isinstance(markup, str) else markup)

    def text(self, text: str | None) -> None:
        if text:
            self.markup(escape(text))

    def end(self) -> None:
        tag = self.tags.pop()
        self.out.write(b" />" if self.open else f"</{tag}>".encode())
        self.open = False


class _Unit:
    """An open <trans-unit>: what deciding where its new <target> goes needs."""

    def __init__(self, unit_id: str | None) -> None:
        self.id = unit_id
        self.has_source = False
        self.before: str | None = None  # the text before its next child (the unit's text or a kept child's tail)
        self.target: bytes | None = None  # the new <target>, written once the source's tail is known


class _Element:
    """An open element: ``unit`` if it is a trans-unit, ``copy`` if it is the unit's source (the
    writer of its <target>), ``dropped`` if it is (inside) a <target> the new one replaces."""

    def __init__(self, unit: _Unit | None = None, copy: _Writer | None = None, dropped: bool = False) -> None:
        self.unit, self.copy, self.dropped = unit, copy, dropped


class _XliffTranslation:
    """A parser target (ElementTree's target interface) writing the translated XLIFF as it is read.

    The output is what ElementTree wrote for the translated tree (the bytes do not change), without
    the tree: the document is passed once, and only the open elements and the new <target> being
    written (the source's markup with its text translated) are held. The root's namespace becomes
    the default one; other namespaces get the prefixes this document declared (``ns0``... for a
    namespace it gives none), declared on the root, whose start tag is written last."""

    def __init__(self, translate: Translate, target_language: str, budget: DocumentBudget) -> None:
        self._translate = translate
        self._target_language = target_language
        self._budget = budget
        self._writers: list[_Writer] = []  # the document's, then the <target>s being written (innermost last)
        self._open: list[_Element] = []
        self._text: list[str] = []  # character data not yet written
        self._drop_text = False  # the text read next is the tail of a dropped <target>
        self._declared: dict[str, str] = {}  # namespace -> the prefix the document declared for it
        self._prefixes: dict[str, str] = {}  # namespace -> its prefix in the output
        self._names: dict[str, str] = {}  # "{namespace}name" -> "prefix:name" in the output
        self._tags: dict[str, str] = {}  # the same for element names (the root's namespace is the default)
        self._ns = ""  # the root's namespace
        self._file = self._unit = self._source = self._target = ""  # those elements' names in it
        self._root_name = self._root_attributes = ""  # written last, with the namespace declarations

    # ----- the target interface -----

    def start_ns(self, prefix: str, uri: str) -> None:
        self._budget.count_name(uri)
        if prefix and not _GENERATED_PREFIX.fullmatch(prefix):
            for known in [known for known, used in self._declared.items() if known == uri or used == prefix]:
                del self._declared[known]
            self._declared[uri] = prefix

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        self._flush()
        self._budget.enter(tag, attributes)
        if not self._open:
            return self._start_root(tag, attributes)
        parent = self._open[-1]
        if parent.dropped or (parent.unit and tag == self._target):
            self._open.append(_DROPPED)
            return None
        if tag == self._file:
            attributes["target-language"] = self._target_language
        name, written = self._tag(tag), self._attributes(attributes)
        for writer in self._writers:
            writer.start(name, written)
        if parent.unit and tag == self._source and not parent.unit.has_source:
            parent.unit.has_source = True
            attributes.pop(_XML_LANG, None)
            copy = _Writer()
            copy.start(self._tag(self._target), self._attributes(attributes))
            self._writers.append(copy)
            self._open.append(_Element(copy=copy))
        elif tag == self._unit:
            self._open.append(_Element(unit=_Unit(attributes.get("id"))))
        else:
            self._open.append(_ELEMENT)
        return None

    def end(self, tag: str) -> None:
        self._flush()
        self._budget.leave()
        element = self._open.pop()
        if element.dropped:
            self._drop_text = not self._open[-1].dropped  # a dropped <target>'s tail goes with it
            return
        for writer in self._writers:
            writer.end()
        if element.copy:
            self._writers.pop()
            self._open[-1].unit.target = element.copy.out.getvalue()  # type: ignore[union-attr]
        elif element.unit and not element.unit.has_source:
            raise DocumentError(f"The trans-unit {element.unit.id!r} has no <source>.")

    def data(self, text: str) -> None:
        self._budget.mark()
        self._text.append(text)

    def comment(self, text: str) -> None:
        self._markup(f"<!--{text}-->")

    def pi(self, target: str, text: str) -> None:
        self._markup(f"<?{target} {text}?>" if text else f"<?{target}?>")

    def close(self) -> bytes:
        by_prefix = sorted(self._prefixes.items(), key=lambda item: item[1])
        declarations = "".join(f' xmlns:{prefix}="{_attribute_value(uri)}"' for uri, prefix in by_prefix)
        root = f'<?xml version="1.0" encoding="UTF-8"?>\n<{self._root_name}{declarations}{self._root_attributes}'
        return b"".join((root.encode("utf-8"), self._writers[0].out.getvalue()))

    # ----- helpers -----

    def _start_root(self, tag: str, attributes: dict[str, str]) -> None:
        self._ns = tag[1 : tag.index("}")] if tag.startswith("{") else ""
        prefix = f"{{{self._ns}}}" if self._ns else ""
        self._file, self._unit, self._source, self._target = (
            prefix + name for name in ("file", "trans-unit", "source", "target")
        )
        if tag != prefix + "xliff":
            raise DocumentError("The document is not XLIFF: its root element is not <xliff>.")
        if self._ns:  # written back as the default namespace (not with a prefix)
            attributes["xmlns"] = self._ns
        self._root_name, self._root_attributes = self._tag(tag), self._attributes(attributes)
        self._writers.append(_Writer(self._root_name))
        self._open.append(_ELEMENT)

    def _markup(self, markup: str) -> None:
        """A comment or processing instruction: kept inside the root (ElementTree drops those outside)."""
        self._flush()
        self._budget.mark()
        if self._open and not self._open[-1].dropped:
            for writer in self._writers:
                writer.markup(markup)

    def _flush(self) -> None:
        """Write the text read since the last event: an element's text or the tail of its last child."""
        if not self._text and not self._drop_text and not (self._open and self._open[-1].unit):
            return  # nothing to write, and no unit to tell that its child has no tail
        text = "".join(self._text) if self._text else None
        self._text.clear()
        drop, self._drop_text = self._drop_text, False
        if not self._open or self._open[-1].dropped or drop:
            return
        unit = self._open[-1].unit
        if unit and unit.target is not None:  # the source's tail is known: the new <target> goes right after it
            target, unit.target = unit.target, None
            # On its own line, indented as the source, when the source is; the target gets the source's tail.
            indented = unit.before is not None and not unit.before.strip() and text is not None and not text.strip()
            self._write_text(unit.before if indented else text)
            for writer in self._writers:
                writer.markup(target)
        if unit:
            unit.before = text
        self._write_text(text)

    def _write_text(self, text: str | None) -> None:
        if not text:
            return
        self._writers[0].text(text)
        if len(self._writers) > 1:
            translated = _translate_segment(text, self._translate)
            for copy in self._writers[1:]:
                copy.text(translated)

    def _tag(self, tag: str) -> str:
        written = self._tags.get(tag)
        if written is None:
            root_ns = f"{{{self._ns}}}"
            written = self._tags[tag] = tag[len(root_ns) :] if self._ns and tag.startswith(root_ns) else self._name(tag)
        return written

    def _name(self, name: str) -> str:
        """A tag or attribute name as written: ElementTree's prefix choice, with a map of this document's own."""
        written = self._names.get(name)
        if written is not None:
            return written
        if name[:1] != "{":
            written = name
        else:
            uri, local = name[1:].rsplit("}", 1)
            prefix = self._prefixes.get(uri)
            if prefix is None:
                prefix = (self._declared.get(uri) if uri != self._ns else None) or _WELL_KNOWN_PREFIXES.get(uri)
                if prefix is None or prefix in self._prefixes.values():  # none, or taken: ElementTree's own
                    prefix = f"ns{len(self._prefixes)}"
                if prefix != "xml":
                    self._prefixes[uri] = prefix
            written = f"{prefix}:{local}"
        self._names[name] = written
        return written

    def _attributes(self, attributes: dict[str, str]) -> str:
        if not attributes:
            return ""
        return "".join(f' {self._name(name)}="{_attribute_value(value)}"' for name, value in attributes.items())


_ELEMENT, _DROPPED = _Element(), _Element(dropped=True)  # the open elements with nothing of their own to hold


def _attribute_value(value: str) -> str:
    """An attribute value escaped as ElementTree escapes it."""
    return escape(value, _ATTRIBUTE_ESCAPES)


def translate_xliff(data: bytes, translate: Translate, target: str, budget: DocumentBudget | None = None) -> bytes:
    """Give every trans-unit a <target> with its <source> translated (inline elements kept)."""
    budget = budget or DocumentBudget()
    translation = _XliffTranslation(budget.counting(translate), target, budget)
    # defusedxml refuses a DTD as expat meets it, so in any encoding expat reads (UTF-16 too).
    parser = DefusedXMLParser(target=translation, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        budget.feed(parser.feed, data)
        return parser.close()  # type: ignore[no-any-return]
    except DefusedXmlException:
        raise DocumentError("The XLIFF document has a DOCTYPE or entity declaration, which is not allowed.") from None
    except ParseError as exc:
        raise DocumentError(f"The XLIFF document is not well-formed XML: {exc}") from None
    except ValueError as exc:  # expat: an encoding it does not read ("multi-byte encodings are not supported")
        raise DocumentError(f"The XLIFF document could not be read: {exc}") from None


def _translate_segment(text: str | None, translate: Translate) -> str | None:
    if not text or not text.strip():
        return text
    core = text.strip()
    start = text.index(core)
    return text[:start] + translate(core) + text[start + len(core) :]
