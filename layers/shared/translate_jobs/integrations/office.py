"""Office Open XML documents (docx, pptx, xlsx): translate the text, keep every other byte.

A package is a ZIP of XML parts. It is read with bounds (part count, uncompressed bytes inflated,
counted as they are: zipfile never inflates more than an entry declares, whatever the compressed
data holds), its part names are checked, and only the parts that hold text are rewritten; every
other entry is copied with the same bytes, in the same order. One part is inflated at a time and
written to the new package as it is translated; what a text part's parse builds is counted in the
document's DocumentBudget (document_bounds.py).

Parts are never re-serialized: a serializer renames prefixes and drops namespace declarations that
``mc:Ignorable`` still names, and Office then calls the file corrupt. Instead expat (no DTD, no
entities) reports where each text element's content starts and ends in the original bytes, and only
those byte ranges are replaced, with the inserted text escaped.

What is text: the ``w:t`` of WordprocessingML, the ``a:t`` of DrawingML and the ``t`` of
SpreadsheetML. A paragraph (``w:p``, ``a:p``, a shared string ``si`` or an inline string ``is``)
is cut into segments at breaks and tabs; each segment is translated whole (the engine needs the
sentence even when runs split it) and its translation is dealt back over the segment's runs at word
boundaries, in proportion to their original lengths, so each run keeps its properties. Never
translated: field codes (``w:instrText``), deleted or moved-away text, DrawingML fields (slide
numbers, dates), phonetic guides, formulas and cell values.
"""

import bisect
import contextlib
import io
import pyexpat
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from typing import IO, NoReturn

from translate_jobs.domain.content_types import DOCX, PPTX, XLSX
from translate_jobs.domain.errors import DocumentError
from translate_jobs.integrations.document_bounds import DocumentBudget

MAX_PARTS = 10_000
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024  # the whole package inflated (the batch function has 512 MB)
_CHUNK = 64 * 1024

Translate = Callable[[str], str]
Write = Callable[[bytes | bytearray | memoryview], object]  # a file's write

_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted OOXML and legacy .doc/.ppt/.xls
_ZIP_SIGNATURE = b"PK\x03\x04"

# Transitional and Strict namespaces.
_W = ("http://schemas.openxmlformats.org/wordprocessingml/2006/main", "http://purl.oclc.org/ooxml/wordprocessingml/main")
_A = ("http://schemas.openxmlformats.org/drawingml/2006/main", "http://purl.oclc.org/ooxml/drawingml/main")
_S = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://purl.oclc.org/ooxml/spreadsheetml/main")


def _names(namespaces: tuple[str, ...], *locals_: str) -> frozenset[str]:
    return frozenset(f"{ns} {local}" for ns in namespaces for local in locals_)


_PARAGRAPHS = _names(_W, "p") | _names(_A, "p") | _names(_S, "si", "is")
_TEXTS = _names(_W, "t") | _names(_A, "t") | _names(_S, "t")
_BREAKS = _names(_W, "br", "cr", "tab", "ptab") | _names(_A, "br")  # a segment ends here
# Text inside is left alone: deleted or moved-away text, DrawingML fields, phonetic guides (w:rt, rPh).
_SKIPPED = _names(_W, "del", "moveFrom", "rt") | _names(_A, "fld") | _names(_S, "rPh")
_BREAKING_SKIPPED = _names(_A, "fld")  # a field sits between two pieces of text
_PRESERVE_SPACE = _names(_W, "t") | _names(_S, "t")  # elements that drop edge spaces without xml:space

_MAIN = "application/vnd.openxmlformats-officedocument"


def _lower(*content_types: str) -> frozenset[str]:
    return frozenset(content_type.lower() for content_type in content_types)  # MIME types are case-insensitive


_KINDS = {  # the job's ContentType -> a name for messages, and the content types of the package's main part
    DOCX: ("docx (Word)", _lower(f"{_MAIN}.wordprocessingml.document.main+xml", f"{_MAIN}.wordprocessingml.template.main+xml",
                                 "application/vnd.ms-word.document.macroEnabled.main+xml",
                                 "application/vnd.ms-word.template.macroEnabledTemplate.main+xml")),
    PPTX: ("pptx (PowerPoint)", _lower(f"{_MAIN}.presentationml.presentation.main+xml",
                                       f"{_MAIN}.presentationml.slideshow.main+xml", f"{_MAIN}.presentationml.template.main+xml",
                                       "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml")),
    XLSX: ("xlsx (Excel)", _lower(f"{_MAIN}.spreadsheetml.sheet.main+xml", f"{_MAIN}.spreadsheetml.template.main+xml",
                                  "application/vnd.ms-excel.sheet.macroEnabled.main+xml")),
}
# The parts whose text is translated, by their content type (besides the main part).
_TEXT_PARTS = {
    DOCX: _lower(*(f"{_MAIN}.wordprocessingml.{name}+xml" for name in ("header", "footer", "footnotes", "endnotes", "comments"))),
    PPTX: _lower(*(f"{_MAIN}.presentationml.{name}+xml" for name in ("slide", "notesSlide"))),
    XLSX: _lower(*(f"{_MAIN}.spreadsheetml.{name}+xml" for name in ("sharedStrings", "worksheet"))),
}
_WORKSHEET = f"{_MAIN}.spreadsheetml.worksheet+xml".lower()
_CONTENT_TYPES_PART = "[Content_Types].xml"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"


def translate_office(content_type: str, data: bytes, translate: Translate, budget: DocumentBudget | None = None) -> bytes:
    """The package ``data`` (one of OFFICE_CONTENT_TYPES) with its text translated by ``translate``.
    What is held: the package, the part being translated and the new package (compressed)."""
    budget = budget or DocumentBudget()
    translate = budget.counting(translate)
    kind, main_types = _KINDS[content_type]
    out = io.BytesIO()
    with _open_package(data) as archive, zipfile.ZipFile(out, "w") as package:
        infos = archive.infolist()
        _check_entries(infos)
        inflated = _Inflated(archive)
        types = _part_content_types(inflated.keep(_content_types_entry(infos)), infos, budget)
        if not any(types.get(info.filename) in main_types for info in infos):
            raise DocumentError(f"The document is not a {kind} document: its package has no {kind} main part.")
        text_types = _TEXT_PARTS[content_type] | main_types
        for info in infos:
            copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            copy.compress_type, copy.external_attr, copy.comment = info.compress_type, info.external_attr, info.comment
            if types.get(info.filename) not in text_types:
                with package.open(copy, "w") as entry:
                    inflated.copy(info, entry.write)
                continue
            body = inflated.part(info)
            # A worksheet holds text only in inline strings (most keep theirs in sharedStrings):
            # big sheets of numbers are not parsed at all.
            with package.open(copy, "w") as entry:
                if types[info.filename] == _WORKSHEET and b"inlineStr" not in body:
                    entry.write(body)
                else:
                    _translate_part(body, translate, info.filename, budget, entry.write)
    return out.getvalue()


# ---------- the package ----------


def _open_package(data: bytes) -> zipfile.ZipFile:
    if data.startswith(_OLE2_SIGNATURE):
        raise DocumentError("The document is an encrypted or legacy binary Office file, which cannot be translated.")
    if not data.startswith(_ZIP_SIGNATURE):
        raise DocumentError("The document is not an Office Open XML package (not a ZIP archive).")
    # zipfile reads the whole central directory before anything can be counted: refuse a package
    # that plainly has too many entries first (each starts with this signature), so memory stays bounded.
    if data.count(b"PK\x01\x02") > MAX_PARTS:
        raise DocumentError(f"The package has more than {MAX_PARTS} parts, the most allowed.")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - BadZipFile, NotImplementedError (zip version), struct errors...
        raise DocumentError(f"The document is a corrupt ZIP archive: {exc}") from None


def _check_entries(infos: list[zipfile.ZipInfo]) -> None:
    seen: set[str] = set()  # part names are case-insensitive
    for info in infos:
        _check_part_name(info.filename)
        if info.filename.upper() in seen:
            raise DocumentError(f"The package holds the part {info.filename!r} twice.")
        seen.add(info.filename.upper())
        if info.flag_bits & 0x1:
            raise DocumentError(f"The package is encrypted (part {info.filename!r}).")


def _content_types_entry(infos: list[zipfile.ZipInfo]) -> zipfile.ZipInfo:
    for info in infos:
        if info.filename == _CONTENT_TYPES_PART:
            return info
    raise DocumentError(f"The document is not an Office Open XML package: it has no {_CONTENT_TYPES_PART}.")


def _check_part_name(name: str) -> None:
    segments = name.split("/")
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or "\x00" in name
        or re.match(r"[A-Za-z]:", name)
        or any(segment in (".", "..") for segment in segments)
        or "" in segments[:-1]
    ):
        raise DocumentError(f"The package has an unsafe part name {name[:200]!r}.")


class _Inflated:
    """The package's parts as they are inflated, counted against MAX_UNCOMPRESSED_BYTES."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self._archive = archive
        self._left = MAX_UNCOMPRESSED_BYTES
        self._kept: dict[str, bytearray] = {}

    def keep(self, info: zipfile.ZipInfo) -> bytearray:
        """The part, inflated once and kept ([Content_Types].xml is read before any part is written)."""
        self._kept[info.filename] = self.part(info)
        return self._kept[info.filename]

    def part(self, info: zipfile.ZipInfo) -> bytearray:
        """The part's bytes, inflated into one buffer of its declared size (never a second copy): zipfile
        never inflates more than an entry declares (a part that holds more fails its CRC), so that size
        is what is counted."""
        if info.filename in self._kept:
            return self._kept[info.filename]
        self._count(info.file_size)
        body, size = bytearray(info.file_size), 0
        with self._reading(info) as stream:
            while chunk := stream.read(_CHUNK):
                body[size : size + len(chunk)] = chunk
                size += len(chunk)
        if size != info.file_size:
            raise DocumentError(f"The part {info.filename!r} is corrupt: it does not hold the size it declares.")
        return body

    def copy(self, info: zipfile.ZipInfo, write: Write) -> None:
        """Write the part's bytes as they are inflated, counting what really is."""
        if info.filename in self._kept:
            write(self._kept[info.filename])
            return
        with self._reading(info) as stream:
            while chunk := stream.read(_CHUNK):
                self._count(len(chunk))
                write(chunk)

    def _count(self, size: int) -> None:
        self._left -= size
        if self._left < 0:
            raise DocumentError(f"The package inflates to more than {MAX_UNCOMPRESSED_BYTES} bytes; it is refused (zip bomb?).")

    @contextlib.contextmanager
    def _reading(self, info: zipfile.ZipInfo) -> Iterator[IO[bytes]]:
        try:
            with self._archive.open(info) as stream:
                yield stream
        except DocumentError:
            raise
        except NotImplementedError as exc:
            raise DocumentError(f"The part {info.filename!r} uses an unsupported compression: {exc}") from None
        except RuntimeError as exc:  # zipfile's "File ... is encrypted, password required"
            raise DocumentError(f"The package is encrypted: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - BadZipFile (bad CRC), zlib/bz2/lzma errors, EOFError...
            raise DocumentError(f"The part {info.filename!r} is corrupt: {exc}") from None


def _part_content_types(data: bytearray, infos: list[zipfile.ZipInfo], budget: DocumentBudget) -> dict[str, str]:
    """Each part's content type, from [Content_Types].xml (Override by name, else Default by extension).
    Only entries naming a part or an extension the package has are kept (the part may list millions)."""
    names = {info.filename.upper() for info in infos}
    extensions = {info.filename.rpartition(".")[2].lower() for info in infos}
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}

    def start(name: str, attributes: dict[str, str]) -> None:
        budget.enter(name, attributes)
        if name == f"{_CT_NS} Default":  # MIME types and extensions are case-insensitive, part names too
            extension = attributes.get("Extension", "").lower()
            if extension in extensions:
                defaults[extension] = attributes.get("ContentType", "").lower()
        elif name == f"{_CT_NS} Override":
            part = attributes.get("PartName", "").lstrip("/").upper()
            if part in names:
                overrides[part] = attributes.get("ContentType", "").lower()

    parser = _hardened_parser(_CONTENT_TYPES_PART, budget)
    parser.StartElementHandler = start
    _parse(parser, data, _CONTENT_TYPES_PART, budget)
    types = {}
    for info in infos:
        by_name = overrides.get(info.filename.upper())
        types[info.filename] = by_name if by_name is not None else defaults.get(info.filename.rpartition(".")[2].lower(), "")
    return types


# ---------- one XML part ----------


def _hardened_parser(part: str, budget: DocumentBudget) -> pyexpat.XMLParserType:
    """expat with namespaces and byte offsets; any DTD or entity declaration is refused. Every event
    marks the budget (feed refuses a construct the parser would have to hold whole)."""
    parser = pyexpat.ParserCreate(namespace_separator=" ")

    def forbid(*_: object) -> NoReturn:
        raise DocumentError(f"The part {part!r} has a DOCTYPE or entity declaration, which is not allowed.")

    def mark(*_: object) -> None:
        budget.mark()

    def end(_: str) -> None:
        budget.leave()

    parser.StartDoctypeDeclHandler = forbid
    parser.EntityDeclHandler = forbid
    parser.UnparsedEntityDeclHandler = forbid
    parser.ExternalEntityRefHandler = forbid
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EndElementHandler = end
    parser.CharacterDataHandler = parser.CommentHandler = parser.ProcessingInstructionHandler = mark
    return parser


def _parse(parser: pyexpat.XMLParserType, data: bytes | bytearray, part: str, budget: DocumentBudget) -> None:
    try:
        budget.feed(lambda chunk: parser.Parse(chunk, False), data)
        parser.Parse(b"", True)
    except pyexpat.ExpatError as exc:
        raise DocumentError(f"The part {part!r} is not well-formed XML: {exc}") from None


_TAG_END = re.compile(rb"(?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+>")  # '>' inside quoted attribute values skipped


class _Run:
    """One text element: where its content lies in the part's bytes, its text, and once translated,
    what replaces its content (and whether its start tag needs xml:space="preserve" for it)."""

    __slots__ = ("content_end", "content_start", "keeps_space", "new", "space", "text")

    def __init__(self, content_start: int, keeps_space: bool) -> None:
        self.content_start = content_start
        self.content_end = -1
        self.keeps_space = keeps_space  # edge spaces survive without xml:space (or it is there)
        self.text = ""
        self.new = b""  # set when the translation changes the text
        self.space = False


def translate_part(data: bytes, translate: Translate, part: str = "part", budget: DocumentBudget | None = None) -> bytes:
    """One XML part with the content of its text elements replaced by their translation."""
    budget = budget or DocumentBudget()
    out = io.BytesIO()
    _translate_part(data, budget.counting(translate), part, budget, out.write)
    return out.getvalue()


def _translate_part(data: bytes | bytearray, translate: Translate, part: str, budget: DocumentBudget, write: Write) -> None:
    """Write the part with its text translated. Each paragraph is translated when it ends, and its
    runs are written once no paragraph is open (a text box's paragraphs end inside another's): what
    is held is the open paragraphs' runs, never the part's."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or re.match(rb"<\?xml[^>]*encoding\s*=\s*[\"'](?!utf-8)", data, re.IGNORECASE):
        raise DocumentError(f"The part {part!r} is not UTF-8 encoded.")
    view = memoryview(data)
    parser = _hardened_parser(part, budget)
    paragraphs: list[list[list[_Run]]] = []  # open paragraphs, innermost last: each a list of segments of runs
    changed: list[_Run] = []  # translated runs of the open paragraphs, to write
    nested = False  # a paragraph ended inside another: ``changed`` is out of order
    written = 0  # data[:written] is written
    skipped = 0  # depth inside elements whose text is left alone
    current: _Run | None = None
    chunks: list[str] = []

    def cut() -> None:
        if paragraphs and paragraphs[-1][-1]:
            paragraphs[-1].append([])

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal skipped, current
        budget.enter(name, attributes)
        if name in _PARAGRAPHS:
            cut()
            paragraphs.append([[]])
        elif name in _SKIPPED:
            skipped += 1
            if name in _BREAKING_SKIPPED:
                cut()
        elif name in _BREAKS:
            cut()
        elif name in _TEXTS and paragraphs and not skipped:
            tag_start = parser.CurrentByteIndex
            tag_end = _TAG_END.match(data, tag_start + 1)
            if tag_end is None:
                raise DocumentError(f"The part {part!r} is not well-formed XML: a start tag is never closed.")
            content_start = tag_end.end()
            keeps_space = name not in _PRESERVE_SPACE or b"xml:space" in data[tag_start:content_start]
            current = _Run(content_start, keeps_space)
            chunks.clear()

    def end(name: str) -> None:
        nonlocal skipped, current, nested
        budget.leave()
        if current is not None and name in _TEXTS:
            if data[current.content_start - 2 : current.content_start] != b"/>":  # <t/> has no content to replace
                current.content_end = parser.CurrentByteIndex
                current.text = "".join(chunks)
                paragraphs[-1][-1].append(current)
            current = None
        elif name in _PARAGRAPHS:
            for segment in paragraphs.pop():
                if segment:
                    changed.extend(_translated_runs(segment, translate))
            if paragraphs:
                nested = True
            else:
                write_changed()
        elif name in _SKIPPED:
            skipped -= 1
            if name in _BREAKING_SKIPPED:
                cut()

    def write_changed() -> None:
        nonlocal written, nested
        if nested:
            changed.sort(key=lambda run: run.content_start)
            nested = False
        for run in changed:
            if run.space:  # the attribute goes just before the start tag's '>'
                write(view[written : run.content_start - 1])
                write(b' xml:space="preserve"')
                written = run.content_start - 1
            write(view[written : run.content_start])
            write(run.new)
            written = run.content_end
        changed.clear()

    def characters(text: str) -> None:
        budget.mark()
        if current is not None:
            chunks.append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    _parse(parser, data, part, budget)
    write(view[written:])


def _translated_runs(segment: list[_Run], translate: Translate) -> Iterator[_Run]:
    """The segment's runs whose text its translation changes, with their new content."""
    for run, new in zip(segment, _translate_segment([run.text for run in segment], translate), strict=True):
        if new != run.text:
            run.new = _escape(new).encode("utf-8")
            run.space = not run.keeps_space and new != new.strip()
            yield run


_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # not allowed in XML 1.0


def _escape(text: str) -> str:
    text = _INVALID_XML_CHARS.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


# ---------- segments and runs ----------


def _translate_segment(texts: list[str], translate: Translate) -> list[str]:
    """Translate the runs' texts as one string and deal the translation back over the same runs."""
    whole = "".join(texts)
    core = whole.strip()
    if not core:
        return texts
    lead = whole[: whole.index(core)]
    translated = lead + translate(core) + whole[len(lead) + len(core) :]
    return distribute(translated, [len(text) for text in texts])


def distribute(text: str, lengths: list[int]) -> list[str]:
    """Cut ``text`` into len(lengths) pieces in proportion to ``lengths``, at word starts where it has
    spaces (anywhere otherwise, for scripts written without them). Runs that were empty stay empty;
    the others each keep at least a word while there are words enough, so no formatting is lost."""
    total = sum(lengths)
    if len(lengths) == 1 or total == 0:
        return [text] + [""] * (len(lengths) - 1)
    candidates: Sequence[int] = range(len(text) + 1)
    if re.search(r"\s", text):
        candidates = sorted({0, len(text), *(match.start() for match in re.finditer(r"(?<=\s)\S", text))})
    nonempty = [index for index, length in enumerate(lengths) if length]
    spare = len(candidates) - 1 >= len(nonempty)  # enough slots to give every run a piece
    pieces, previous, cumulative, after = [], 0, 0, len(nonempty)  # previous: an index into candidates
    for length in lengths:
        cumulative += length
        if length == 0:
            pieces.append("")
            continue
        after -= 1  # non-empty runs still to come
        if not after:
            chosen = len(candidates) - 1
        else:
            low, high = (previous + 1, len(candidates) - 1 - after) if spare else (previous, len(candidates) - 1)
            chosen = _nearest(candidates, cumulative * len(text) / total, low, high)
        pieces.append(text[candidates[previous] : candidates[chosen]])
        previous = chosen
    return pieces


def _nearest(candidates: Sequence[int], ideal: float, low: int, high: int) -> int:
    """The index in [low, high] of the candidate closest to ``ideal`` (candidates sorted)."""
    index = min(max(bisect.bisect_left(candidates, ideal), low), high)
    if index > low and ideal - candidates[index - 1] <= candidates[index] - ideal:
        return index - 1
    return index
