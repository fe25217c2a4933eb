"""Document formats: take a document apart into the text an engine translates, and put it back.

The job's ``InputDataConfig.ContentType`` chooses the format:

- ``text/plain``: UTF-8 text, translated whole (engines keep its line structure).
- ``text/html``: UTF-8 HTML. Markup is copied through byte for byte; only text nodes are translated
  (a run of text with its character and entity references is one segment, and the references it
  used come back as references); ``<script>`` and ``<style>`` contents, comments, declarations and
  whitespace-only text are left alone. Parsed with the standard library's ``html.parser``.
- ``application/x-xliff+xml``: XLIFF 1.2. Every ``<trans-unit>`` gets a ``<target>`` (replacing one
  already there) holding its ``<source>`` translated, inline elements kept; ``target-language`` of
  each ``<file>`` is set. Parsed with defusedxml: a DTD is refused whatever the encoding (no
  entity expansion), as is malformed XML.
- docx, pptx, xlsx (Office Open XML): see office.py; the package is kept byte for byte but for the
  content of its text elements.

Any problem with one document raises engines.DocumentError (recorded, the job goes on).
"""

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from copy import deepcopy
from html.parser import HTMLParser

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from translate_jobs.domain.content_types import HTML, OFFICE_CONTENT_TYPES, TEXT, XLIFF, base_type
from translate_jobs.integrations.engines import DocumentError
from translate_jobs.integrations.office import translate_office

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # per document, as the real service

Translate = Callable[[str], str]


def check_size(size: int) -> None:
    """The per-document limit: checked on S3's ContentLength before a body is read, and on the bytes."""
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentError(f"The document exceeds {MAX_DOCUMENT_BYTES} bytes.")


def translate_document(content_type: str, data: bytes, translate: Translate, target: str) -> bytes:
    """The document ``data`` of ``content_type`` translated to ``target`` by ``translate`` (text -> text)."""
    check_size(len(data))
    kind = base_type(content_type)
    if kind == TEXT:
        return translate(_decode(data)).encode("utf-8")
    if kind == HTML:
        return translate_html(_decode(data), translate).encode("utf-8")
    if kind == XLIFF:
        return translate_xliff(data, translate, target)
    if kind in OFFICE_CONTENT_TYPES:
        return translate_office(kind, data, translate)
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


class _Segmenter(HTMLParser):
    """Records where each construct starts, so the source can be cut into exact raw pieces."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self._line_starts = [0] + [match.end() for match in re.finditer("\n", source)]
        self.events: list[tuple[int, str]] = []  # (offset in source, "text" | "ref" | "markup")
        self._raw_text: str | None = None  # inside <script> or <style>
        self.closing = False  # all the input is in

    # Once all the input is in, html.parser handles a construct it cannot finish (a tag, comment or
    # declaration never closed) by scanning to the end of the input for it, then again for the next
    # '<' after it: quadratic ('<a b=' * 10000, 50 KB, took 17 s). Broken markup is refused anyway,
    # so the first such construct ends the parse: each construct is scanned at most twice (once in
    # feed, once in close), and one document's cost stays linear in its size.
    def _finished(self, end: int, start: int) -> int:
        if end < 0 and self.closing:
            raise DocumentError(f"The HTML could not be parsed: {self.rawdata[start:][:40]!r} is never closed.")
        return end

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

    def _at(self, kind: str) -> None:
        line, column = self.getpos()
        self.events.append((self._line_starts[line - 1] + column, kind))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._at("markup")
        if tag in _RAW_TEXT_ELEMENTS:
            self._raw_text = tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._at("markup")

    def handle_endtag(self, tag: str) -> None:
        self._at("markup")
        if tag == self._raw_text:
            self._raw_text = None

    def handle_data(self, data: str) -> None:
        self._at("markup" if self._raw_text else "text")

    def handle_entityref(self, name: str) -> None:
        self._at("ref")

    def handle_charref(self, name: str) -> None:
        self._at("ref")

    def handle_comment(self, data: str) -> None:
        self._at("markup")

    def handle_decl(self, decl: str) -> None:
        self._at("markup")

    def handle_pi(self, data: str) -> None:
        self._at("markup")

    def unknown_decl(self, data: str) -> None:
        self._at("markup")


def translate_html(source: str, translate: Translate) -> str:
    """Translate the text nodes of an HTML document; everything else is copied as it is."""
    parser = _Segmenter(source)
    try:
        parser.feed(source)
        parser.closing = True
        parser.close()
    except DocumentError:
        raise
    except Exception as exc:  # noqa: BLE001 - html.parser raises assorted errors on broken markup
        raise DocumentError(f"The HTML could not be parsed: {exc}") from None
    if parser._raw_text:
        raise DocumentError(f"The HTML could not be parsed: <{parser._raw_text}> is never closed.")
    events = parser.events
    out: list[str] = []
    run: list[tuple[str, str]] = []  # (kind, raw) of the current text run

    def flush() -> None:
        if run:
            out.append(_translate_text_run(run, translate))
            run.clear()

    for number, (start, kind) in enumerate(events):
        end = events[number + 1][0] if number + 1 < len(events) else len(source)
        raw = source[start:end]
        if kind == "markup":
            flush()
            out.append(raw)
        else:
            run.append((kind, raw))
    flush()
    return "".join(out)


def _translate_text_run(run: list[tuple[str, str]], translate: Translate) -> str:
    raw = "".join(piece for _, piece in run)
    broken = _UNPARSED_MARKUP.search(raw)
    if broken:  # html.parser hands back as text a tag or comment it could not finish
        raise DocumentError(f"The HTML could not be parsed near {raw[broken.start() :][:40]!r}.")
    text = html.unescape(raw)
    core = text.strip()
    if not core:
        return raw
    # The references this run used (&amp; &nbsp; &#233; ...) come back as the same references.
    references = {html.unescape(piece): piece for kind, piece in run if kind == "ref" and len(html.unescape(piece)) == 1}
    start = text.index(core)
    translated = text[:start] + translate(core) + text[start + len(core) :]
    out = []
    for position, char in enumerate(translated):
        if char in references:
            out.append(references[char])
        elif char in "&<" and _MARKUP_START.match(translated, position + 1):
            out.append("&amp;" if char == "&" else "&lt;")  # would otherwise read as a reference or a tag
        else:
            out.append(char)
    return "".join(out)


# ---------- XLIFF 1.2 ----------

XLIFF_NS = "urn:oasis:names:tc:xliff:document:1.2"


class _TreeWithNamespaces(ET.TreeBuilder):
    """A TreeBuilder (comments and processing instructions kept) that also records the prefixes declared."""

    def __init__(self) -> None:
        super().__init__(insert_comments=True, insert_pis=True)
        self.namespaces: list[tuple[str, str]] = []

    def start_ns(self, prefix: str, uri: str) -> None:
        self.namespaces.append((prefix, uri))


def translate_xliff(data: bytes, translate: Translate, target: str) -> bytes:
    """Give every trans-unit a <target> with its <source> translated (inline elements kept)."""
    builder = _TreeWithNamespaces()
    # defusedxml refuses a DTD as expat meets it, so in any encoding expat reads (UTF-16 too).
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException:
        raise DocumentError("The XLIFF document has a DOCTYPE or entity declaration, which is not allowed.") from None
    except ET.ParseError as exc:
        raise DocumentError(f"The XLIFF document is not well-formed XML: {exc}") from None
    except ValueError as exc:  # expat: an encoding it does not read ("multi-byte encodings are not supported")
        raise DocumentError(f"The XLIFF document could not be read: {exc}") from None
    namespaces = builder.namespaces
    ns = root.tag[1 : root.tag.index("}")] if root.tag.startswith("{") else ""
    if root.tag != _q(ns, "xliff"):
        raise DocumentError("The document is not XLIFF: its root element is not <xliff>.")
    for prefix, uri in namespaces:
        if prefix and uri != ns and not re.fullmatch(r"ns\d+", prefix):
            ET.register_namespace(prefix, uri)
    for file in root.iter(_q(ns, "file")):
        file.set("target-language", target)
    for unit in root.iter(_q(ns, "trans-unit")):
        source = unit.find(_q(ns, "source"))
        if source is None:
            raise DocumentError(f"The trans-unit {unit.get('id')!r} has no <source>.")
        for old in unit.findall(_q(ns, "target")):
            unit.remove(old)
        produced = deepcopy(source)
        produced.tag = _q(ns, "target")
        produced.attrib.pop("{http://www.w3.org/XML/1998/namespace}lang", None)
        _translate_element(produced, translate)
        position = list(unit).index(source)
        before = unit.text if position == 0 else unit[position - 1].tail
        produced.tail = source.tail
        if before is not None and not before.strip() and source.tail is not None and not source.tail.strip():
            source.tail = before  # the <target> goes on its own line, indented as the <source>
        unit.insert(position + 1, produced)
    if ns:  # written back as the default namespace (not as an ns0: prefix)
        for element in root.iter():
            if isinstance(element.tag, str) and element.tag.startswith(f"{{{ns}}}"):
                element.tag = element.tag[len(ns) + 2 :]
        root.set("xmlns", ns)
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}" if ns else name


def _translate_element(element: ET.Element, translate: Translate) -> None:
    element.text = _translate_segment(element.text, translate)
    for child in element:
        if isinstance(child.tag, str):  # not a comment or processing instruction
            _translate_element(child, translate)
        child.tail = _translate_segment(child.tail, translate)


def _translate_segment(text: str | None, translate: Translate) -> str | None:
    if not text or not text.strip():
        return text
    core = text.strip()
    start = text.index(core)
    return text[:start] + translate(core) + text[start + len(core) :]

