"""Office Open XML documents (docx, pptx, xlsx): translate the text, keep every other byte.

A package is a ZIP of XML parts. It is read with bounds (part count, uncompressed bytes actually
inflated, never the sizes the archive declares), its part names are checked, and only the parts
that hold text are rewritten; every other entry is copied with the same bytes, in the same order.

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
import io
import pyexpat
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NoReturn

from translate_jobs.domain.content_types import DOCX, PPTX, XLSX
from translate_jobs.integrations.engines import DocumentError

MAX_PARTS = 10_000
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024  # the whole package inflated (the batch function has 512 MB)
_CHUNK = 64 * 1024

Translate = Callable[[str], str]

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


def translate_office(content_type: str, data: bytes, translate: Translate) -> bytes:
    """The package ``data`` (one of OFFICE_CONTENT_TYPES) with its text translated by ``translate``."""
    kind, main_types = _KINDS[content_type]
    infos, parts = _read_package(data)
    types = _part_content_types(parts)
    if not any(types.get(info.filename) in main_types for info in infos):
        raise DocumentError(f"The document is not a {kind} document: its package has no {kind} main part.")
    text_types = _TEXT_PARTS[content_type] | main_types
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for info in infos:
            body = parts[info.filename]
            part_type = types.get(info.filename)
            # A worksheet holds text only in inline strings (most keep theirs in sharedStrings):
            # big sheets of numbers are not parsed at all.
            skip = part_type == _WORKSHEET and b"inlineStr" not in body
            if part_type in text_types and not skip:
                body = translate_part(body, translate, info.filename)
            copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            copy.compress_type, copy.external_attr, copy.comment = info.compress_type, info.external_attr, info.comment
            package.writestr(copy, body)
    return out.getvalue()


# ---------- the package ----------


def _read_package(data: bytes) -> tuple[list[zipfile.ZipInfo], dict[str, bytes]]:
    if data.startswith(_OLE2_SIGNATURE):
        raise DocumentError("The document is an encrypted or legacy binary Office file, which cannot be translated.")
    if not data.startswith(_ZIP_SIGNATURE):
        raise DocumentError("The document is not an Office Open XML package (not a ZIP archive).")
    # zipfile reads the whole central directory before anything can be counted: refuse a package
    # that plainly has too many entries first (each starts with this signature), so memory stays bounded.
    if data.count(b"PK\x01\x02") > MAX_PARTS:
        raise DocumentError(f"The package has more than {MAX_PARTS} parts, the most allowed.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - BadZipFile, NotImplementedError (zip version), struct errors...
        raise DocumentError(f"The document is a corrupt ZIP archive: {exc}") from None
    with archive:
        infos = archive.infolist()
        parts: dict[str, bytes] = {}
        seen: set[str] = set()  # part names are case-insensitive
        budget = MAX_UNCOMPRESSED_BYTES
        for info in infos:
            _check_part_name(info.filename)
            if info.filename.upper() in seen:
                raise DocumentError(f"The package holds the part {info.filename!r} twice.")
            seen.add(info.filename.upper())
            if info.flag_bits & 0x1:
                raise DocumentError(f"The package is encrypted (part {info.filename!r}).")
            body = _inflate(archive, info, budget)
            budget -= len(body)
            parts[info.filename] = body
    if _CONTENT_TYPES_PART not in parts:
        raise DocumentError(f"The document is not an Office Open XML package: it has no {_CONTENT_TYPES_PART}.")
    return infos, parts


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


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """The part's bytes, counting what is really inflated against ``budget`` (declared sizes can lie)."""
    chunks: list[bytes] = []
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                budget -= len(chunk)
                if budget < 0:
                    raise DocumentError(
                        f"The package inflates to more than {MAX_UNCOMPRESSED_BYTES} bytes; it is refused (zip bomb?)."
                    )
                chunks.append(chunk)
    except DocumentError:
        raise
    except NotImplementedError as exc:
        raise DocumentError(f"The part {info.filename!r} uses an unsupported compression: {exc}") from None
    except RuntimeError as exc:  # zipfile's "File ... is encrypted, password required"
        raise DocumentError(f"The package is encrypted: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - BadZipFile (bad CRC), zlib/bz2/lzma errors, EOFError...
        raise DocumentError(f"The part {info.filename!r} is corrupt: {exc}") from None
    return b"".join(chunks)


def _part_content_types(parts: dict[str, bytes]) -> dict[str, str]:
    """Each part's content type, from [Content_Types].xml (Override by name, else Default by extension)."""
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}

    def start(name: str, attributes: dict[str, str]) -> None:
        if name == f"{_CT_NS} Default":  # MIME types and extensions are case-insensitive, part names too
            defaults[attributes.get("Extension", "").lower()] = attributes.get("ContentType", "").lower()
        elif name == f"{_CT_NS} Override":
            overrides[attributes.get("PartName", "").lstrip("/").upper()] = attributes.get("ContentType", "").lower()

    parser = _hardened_parser(_CONTENT_TYPES_PART)
    parser.StartElementHandler = start
    _parse(parser, parts[_CONTENT_TYPES_PART], _CONTENT_TYPES_PART)
    types = {}
    for name in parts:
        by_name = overrides.get(name.upper())
        types[name] = by_name if by_name is not None else defaults.get(name.rpartition(".")[2].lower(), "")
    return types


# ---------- one XML part ----------


def _hardened_parser(part: str) -> pyexpat.XMLParserType:
    """expat with namespaces and byte offsets; any DTD or entity declaration is refused."""
    parser = pyexpat.ParserCreate(namespace_separator=" ")

    def forbid(*_: object) -> NoReturn:
        raise DocumentError(f"The part {part!r} has a DOCTYPE or entity declaration, which is not allowed.")

    parser.StartDoctypeDeclHandler = forbid
    parser.EntityDeclHandler = forbid
    parser.UnparsedEntityDeclHandler = forbid
    parser.ExternalEntityRefHandler = forbid
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def _parse(parser: pyexpat.XMLParserType, data: bytes, part: str) -> None:
    try:
        parser.Parse(data, True)
    except pyexpat.ExpatError as exc:
        raise DocumentError(f"The part {part!r} is not well-formed XML: {exc}") from None


@dataclass
class _Text:
    """One text element: where its content lies in the part's bytes, and its text."""

    tag_start: int
    content_start: int
    content_end: int = -1
    chunks: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.chunks)


@dataclass
class _Paragraph:
    segments: list[list[_Text]] = field(default_factory=lambda: [[]])

    def cut(self) -> None:
        if self.segments[-1]:
            self.segments.append([])


def translate_part(data: bytes, translate: Translate, part: str = "part") -> bytes:
    """One XML part with the content of its text elements replaced by their translation."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or re.match(rb"<\?xml[^>]*encoding\s*=\s*[\"'](?!utf-8)", data, re.IGNORECASE):
        raise DocumentError(f"The part {part!r} is not UTF-8 encoded.")
    segments, preserve = _segments(data, part)
    edits: list[tuple[int, int, bytes]] = []
    for segment in segments:
        texts = [element.text for element in segment]
        for element, new in zip(segment, _translate_segment(texts, translate), strict=True):
            if new == element.text:
                continue
            edits.append((element.content_start, element.content_end, _escape(new).encode("utf-8")))
            if element.tag_start in preserve and new != new.strip() and not _has_space_attribute(data, element):
                edits.append((element.content_start - 1, element.content_start - 1, b' xml:space="preserve"'))
    edits.sort(key=lambda edit: (edit[0], edit[1]))
    out, position = [], 0
    for start, end, replacement in edits:
        out += [data[position:start], replacement]
        position = end
    out.append(data[position:])
    return b"".join(out)


def _segments(data: bytes, part: str) -> tuple[list[list[_Text]], set[int]]:
    """The part's segments (lists of text elements translated together) and which elements need xml:space."""
    parser = _hardened_parser(part)
    paragraphs: list[_Paragraph] = []  # open paragraphs, innermost last (a text box nests paragraphs)
    done: list[_Paragraph] = []
    skipped = 0  # depth inside elements whose text is left alone
    current: _Text | None = None
    preserve: set[int] = set()

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal skipped, current
        if name in _PARAGRAPHS:
            if paragraphs:
                paragraphs[-1].cut()
            paragraphs.append(_Paragraph())
        elif name in _SKIPPED:
            skipped += 1
            if name in _BREAKING_SKIPPED and paragraphs:
                paragraphs[-1].cut()
        elif name in _BREAKS and paragraphs:
            paragraphs[-1].cut()
        elif name in _TEXTS and paragraphs and not skipped:
            tag_start = parser.CurrentByteIndex
            current = _Text(tag_start, _start_tag_end(data, tag_start))
            if name in _PRESERVE_SPACE:
                preserve.add(tag_start)

    def end(name: str) -> None:
        nonlocal skipped, current
        if current is not None and name in _TEXTS:
            if data[current.content_start - 2 : current.content_start] != b"/>":  # <t/> has no content to replace
                current.content_end = parser.CurrentByteIndex
                paragraphs[-1].segments[-1].append(current)
            current = None
        elif name in _PARAGRAPHS:
            done.append(paragraphs.pop())
        elif name in _SKIPPED:
            skipped -= 1
            if name in _BREAKING_SKIPPED and paragraphs:
                paragraphs[-1].cut()

    def characters(text: str) -> None:
        if current is not None:
            current.chunks.append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    _parse(parser, data, part)
    return [segment for paragraph in done for segment in paragraph.segments if segment], preserve


def _start_tag_end(data: bytes, start: int) -> int:
    """The offset just past the start tag at ``start`` ('>' inside quoted attribute values skipped)."""
    quote = 0
    for position in range(start + 1, len(data)):
        byte = data[position]
        if quote:
            if byte == quote:
                quote = 0
        elif byte in b"\"'":
            quote = byte
        elif byte == 0x3E:  # '>'
            return position + 1
    raise DocumentError("A start tag is never closed.")  # expat would have refused the part first


def _has_space_attribute(data: bytes, element: _Text) -> bool:
    return b"xml:space" in data[element.tag_start : element.content_start]


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
    if re.search(r"\s", text):
        candidates = sorted({0, len(text), *(match.start() for match in re.finditer(r"(?<=\s)\S", text))})
    else:
        candidates = list(range(len(text) + 1))
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


def _nearest(candidates: list[int], ideal: float, low: int, high: int) -> int:
    """The index in [low, high] of the candidate closest to ``ideal`` (candidates sorted)."""
    index = min(max(bisect.bisect_left(candidates, ideal), low), high)
    if index > low and ideal - candidates[index - 1] <= candidates[index] - ideal:
        return index - 1
    return index
