"""Hostile documents fail alone, with a message, and cheaply: zip bombs, path traversal, DTDs and
entities, encrypted or corrupt packages, a package of the wrong kind, XLIFF in UTF-16 with an
entity, HTML built to make html.parser quadratic; and (issue 26) deep nesting, floods of elements,
segments, attributes and names, each bounded per document whatever the shape, and no namespace
prefix shared between documents."""

import io
import random
import struct
import sys
import tracemalloc
import warnings
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from html.parser import HTMLParser

import pytest

from tests.support.office import W_NS, docx, docx_with, package, pptx, pptx_with, replace_part, xlsx, xlsx_with
from translate_jobs.domain.content_types import DOCX, PPTX, XLSX
from translate_jobs.integrations import document_bounds, office
from translate_jobs.integrations.documents import translate_document, translate_html
from translate_jobs.integrations.engines import DocumentError, PseudoEngine

KINDS = [(DOCX, docx), (PPTX, pptx), (XLSX, xlsx)]


def pseudo(text: str) -> str:
    return PseudoEngine().translate(text, "en", "fr", None)


def refused(content_type: str, data: bytes, match: str) -> None:
    with pytest.raises(DocumentError, match=match):
        translate_document(content_type, data, pseudo, "fr")


def patch_headers(data: bytes, edit: Callable[[bytearray, int, int], None]) -> bytes:
    """Apply ``edit(buffer, header offset, field shift)`` to every local (shift 0) and central (shift 2) file header."""
    buffer = bytearray(data)
    for signature, shift in ((b"PK\x03\x04", 0), (b"PK\x01\x02", 2)):
        at = buffer.find(signature)
        while at >= 0:
            edit(buffer, at, shift)
            at = buffer.find(signature, at + 4)
    return bytes(buffer)


# ---------- zip bombs ----------


def test_a_zip_bomb_is_refused_by_what_it_inflates_to():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, body in zipfile_parts(docx()):
            archive.writestr(name, body)
        with archive.open("word/media/bomb.bin", "w") as bomb:
            for _ in range(office.MAX_UNCOMPRESSED_BYTES // (1 << 20) + 1):
                bomb.write(bytes(1 << 20))  # zeros
    assert len(out.getvalue()) < office.MAX_UNCOMPRESSED_BYTES // 100
    refused(DOCX, out.getvalue(), "zip bomb")


def test_the_bound_is_on_the_whole_package_not_per_part(monkeypatch):
    monkeypatch.setattr(office, "MAX_UNCOMPRESSED_BYTES", 1 << 20)
    many = docx()
    for number in range(12):
        many = replace_part(many, f"word/media/filler{number}.bin", bytes(100_000))  # 1.2 MB in all, each part small
    refused(DOCX, many, "inflates to more than 1048576 bytes")


def test_declared_sizes_are_not_trusted():
    def shrink(buffer: bytearray, at: int, shift: int) -> None:
        struct.pack_into("<I", buffer, at + 22 + shift, 10)  # "uncompressed size: 10 bytes"

    refused(DOCX, patch_headers(docx(), shrink), "corrupt")


def test_too_many_parts_are_refused():
    parts: list[tuple[str, bytes | str]] = [(f"p/{number}.bin", b"") for number in range(office.MAX_PARTS + 1)]
    refused(DOCX, package(parts), f"more than {office.MAX_PARTS} parts")


# ---------- part names ----------


@pytest.mark.parametrize(
    "name",
    ["../evil.xml", "word/../../evil.xml", "/etc/passwd", "word\\..\\..\\evil.xml", "C:/evil.xml", "word//evil.xml", "./x"],
)
def test_unsafe_part_names_are_refused(name):
    refused(DOCX, replace_part(docx(), name, b"x"), "unsafe part name")


def test_a_part_twice_is_refused():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it is asked to write
        twice = package([*zipfile_parts(docx()), ("WORD/document.xml", b"<x/>")])
    refused(DOCX, twice, "twice")


def zipfile_parts(data: bytes) -> list[tuple[str, bytes | str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


# ---------- XML ----------

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&lol2;</w:t>'
    "</w:r></w:p></w:body></w:document>"
)
EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&xxe;</t></si></sst>'
)


@pytest.mark.parametrize(
    ("content_type", "build", "part", "body"),
    [
        (DOCX, docx, "word/document.xml", LAUGHS),
        (XLSX, xlsx, "xl/sharedStrings.xml", EXTERNAL),
        (PPTX, pptx, "[Content_Types].xml", '<?xml version="1.0"?><!DOCTYPE Types [<!ENTITY a "b">]><Types/>'),
        (DOCX, docx, "word/footer1.xml", '<?xml version="1.0"?><!DOCTYPE ftr SYSTEM "http://example.com/x.dtd"><ftr/>'),
    ],
)
def test_xml_with_a_dtd_is_refused_in_any_part(content_type, build, part, body):
    refused(content_type, replace_part(build(), part, body), "DOCTYPE or entity declaration")


def test_a_utf16_part_is_refused_and_malformed_xml_is_reported():
    refused(DOCX, replace_part(docx(), "word/header1.xml", '<?xml version="1.0" encoding="UTF-16"?><a/>'.encode("utf-16")),
            "not UTF-8")
    refused(DOCX, replace_part(docx(), "word/document.xml", "<w:document><w:body>"), "not well-formed")


# ---------- encrypted, corrupt, not the right kind ----------


@pytest.mark.parametrize(("content_type", "build"), KINDS)
def test_encrypted_or_legacy_office_files_are_refused(content_type, build):
    # Encrypted OOXML (and .doc/.ppt/.xls) is an OLE2 compound file, not a ZIP.
    refused(content_type, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096), "encrypted or legacy binary Office file")


def test_zip_level_encryption_is_refused():
    def encrypt(buffer: bytearray, at: int, shift: int) -> None:
        flags = struct.unpack_from("<H", buffer, at + 6 + shift)[0]
        struct.pack_into("<H", buffer, at + 6 + shift, flags | 0x1)

    refused(DOCX, patch_headers(docx(), encrypt), "encrypted")


def test_corrupt_packages_are_refused():
    whole = docx()
    refused(DOCX, whole[: len(whole) // 2], "corrupt")  # truncated: no central directory
    first = zipfile.ZipFile(io.BytesIO(whole)).infolist()[0]
    data_at = first.header_offset + 30 + len(first.filename.encode()) + len(first.extra)
    flipped = bytearray(whole)
    flipped[data_at + 5] ^= 0xFF  # one byte of compressed data
    refused(DOCX, bytes(flipped), "corrupt")
    refused(DOCX, b"Hello, this is plain text.", "not an Office Open XML package")


@pytest.mark.parametrize(
    ("content_type", "data", "message"),
    [
        (DOCX, xlsx(), "not a docx \\(Word\\) document"),
        (PPTX, docx(), "not a pptx \\(PowerPoint\\) document"),
        (XLSX, pptx(), "not a xlsx \\(Excel\\) document"),
        (DOCX, package([("word/document.xml", "<x/>")]), r"no \[Content_Types\].xml"),
    ],
)
def test_a_package_of_another_kind_is_refused(content_type, data, message):
    refused(content_type, data, message)


@pytest.mark.parametrize(("content_type", "build"), KINDS)
def test_damaged_packages_fail_only_with_document_errors(content_type, build):
    """Seeded random damage (bytes changed, cut out, inserted): every outcome is a translation or a DocumentError."""
    rng = random.Random(12)
    source, outcomes = build(), {"translated": 0, "refused": 0}
    for _ in range(150):
        damaged = bytearray(source)
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(damaged))
            action = rng.choice(["change", "cut", "insert"])
            if action == "change":
                damaged[at] = rng.randrange(256)
            elif action == "cut":
                del damaged[at : at + rng.randint(1, 40)]
            else:
                damaged[at:at] = rng.randbytes(rng.randint(1, 20))
        try:
            out = translate_document(content_type, bytes(damaged), pseudo, "fr")
        except DocumentError:
            outcomes["refused"] += 1
        else:
            assert zipfile.ZipFile(io.BytesIO(out)).testzip() is None
            outcomes["translated"] += 1
    assert outcomes["refused"] > 100  # most damage is noticed (CRCs, XML), and all of it as a DocumentError


# ---------- XLIFF and HTML (issue 12) ----------

XLIFF_WITH_ENTITY = (
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE xliff [<!ENTITY secret "EXPANDED">]>'
    '<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2"><file original="a" source-language="en" '
    'datatype="plaintext"><body><trans-unit id="1"><source>&secret;</source></trans-unit></body></file></xliff>'
)


@pytest.mark.parametrize(
    "data",
    [
        XLIFF_WITH_ENTITY.encode("utf-16"),  # with its byte order mark
        "\ufeff".encode("utf-16-be") + XLIFF_WITH_ENTITY.encode("utf-16-be"),
        XLIFF_WITH_ENTITY.encode("utf-16-le"),  # no byte order mark: expat tells it from '<'
        XLIFF_WITH_ENTITY.replace("UTF-16", "UTF-8").encode("utf-8"),
    ],
    ids=["utf-16", "utf-16-be", "utf-16-le", "utf-8"],
)
def test_xliff_with_an_entity_is_refused_whatever_the_encoding(data):
    refused("application/x-xliff+xml", data, "DOCTYPE or entity declaration")


def test_xliff_in_an_encoding_expat_cannot_read_fails_alone():
    data = XLIFF_WITH_ENTITY.replace("UTF-16", "utf-16-le").encode("utf-16-le")  # a name expat does not know
    refused("application/x-xliff+xml", data, "could not be read")


def test_xliff_in_utf16_without_a_dtd_is_translated():
    xliff = XLIFF_WITH_ENTITY.replace('<!DOCTYPE xliff [<!ENTITY secret "EXPANDED">]>', "").replace("&secret;", "Hello")
    out = translate_document("application/x-xliff+xml", xliff.encode("utf-16"), pseudo, "fr").decode()
    assert "<source>Hello</source><target>[fr] Hello</target>" in out


def count_calls(monkeypatch: pytest.MonkeyPatch, method: str) -> list[int]:
    """Count calls of html.parser's own ``method`` (each scans the input from a '<' onwards)."""
    calls: list[int] = []
    original = getattr(HTMLParser, method)

    def counted(self: HTMLParser, i: int, *args: object) -> int:
        calls.append(i)
        return original(self, i, *args)

    monkeypatch.setattr(HTMLParser, method, counted)
    return calls


def test_html_built_to_be_quadratic_fails_after_two_scans(monkeypatch):
    calls = count_calls(monkeypatch, "parse_starttag")
    with pytest.raises(DocumentError, match="never closed"):
        translate_html("<a b=" * 900, pseudo)  # '<a b=' * 10_000 took 17 s: one scan to the end per '<'
    assert len(calls) == 2  # once while feeding, once at close, both from the first '<'


@pytest.mark.parametrize("unclosed", ["<!--", "<?pi", "<!x", "</a b"])
def test_other_unclosed_constructs_fail_at_the_first(monkeypatch, unclosed):
    method = {"<!--": "parse_comment", "<?pi": "parse_pi", "<!x": "parse_html_declaration", "</a b": "parse_endtag"}[unclosed]
    calls = count_calls(monkeypatch, method)
    with pytest.raises(DocumentError, match="never closed"):
        translate_html("Hi " + unclosed * 10_000, pseudo)
    assert len(calls) <= 2


def test_well_formed_html_is_parsed_once_per_tag(monkeypatch):
    calls = count_calls(monkeypatch, "parse_starttag")
    out = translate_html("<p>Hello</p>" * 5_000, pseudo)
    assert out == "<p>[fr] Hello</p>" * 5_000
    assert len(calls) == 5_000


# ---------- what one document may cost (issue 26) ----------

XLIFF_CT = "application/x-xliff+xml"
XLIFF_HEAD = '<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2"><file source-language="en"><body>'


def xliff_with(units: str) -> bytes:
    return f"{XLIFF_HEAD}{units}</body></file></xliff>".encode()


def xliff_source(inner: str) -> bytes:
    return xliff_with(f'<trans-unit id="1"><source>{inner}</source></trans-unit>')


def counted(calls: list[str]) -> Callable[[str], str]:
    def translate(text: str) -> str:
        calls.append(text)
        return pseudo(text)

    return translate


def peak_bytes(run: Callable[[], object]) -> int:
    """The most memory Python held at once (tracemalloc: objects, expat's buffers too) while ``run`` ran."""
    tracemalloc.start()
    try:
        run()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        (XLIFF_CT, xliff_source("<g>" * 1_000 + "deep" + "</g>" * 1_000)),  # the issue's: RecursionError failed the job
        (DOCX, docx_with("<w:p><w:r>" + "<w:x>" * 1_000 + "</w:x>" * 1_000 + "</w:r></w:p>")),
        (PPTX, pptx_with("<a:p>" + "<a:x>" * 1_000 + "</a:x>" * 1_000 + "</a:p>")),
        (XLSX, xlsx_with("<si>" + "<x>" * 1_000 + "</x>" * 1_000 + "</si>")),
    ],
    ids=["xliff", "docx", "pptx", "xlsx"],
)
def test_deeply_nested_xml_fails_alone_with_its_reason(content_type, data):
    refused(content_type, data, f"nested more than {document_bounds.MAX_DEPTH} levels deep")


def test_nesting_within_the_bound_is_translated_without_recursion():
    """Each level costs no stack frame: with only 60 frames to spare, 255 levels are translated."""
    deep = 255 - 6  # under <xliff><file><body><trans-unit><source>
    xliff = xliff_source("<g>" * deep + "deep" + "</g>" * deep)
    word = docx_with("<w:p>" + "<w:x>" * 250 + "<w:r><w:t>deep</w:t></w:r>" + "</w:x>" * 250 + "</w:p>")
    page = ("<div>" * 20_000 + "deep" + "</div>" * 20_000).encode()
    depth, frame = 0, sys._getframe()
    while frame:
        depth, frame = depth + 1, frame.f_back
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 60)
    try:
        outputs = [translate_document(XLIFF_CT, xliff, pseudo, "fr"), translate_document(DOCX, word, pseudo, "fr"),
                   translate_document("text/html", page, pseudo, "fr")]
    finally:
        sys.setrecursionlimit(limit)
    assert b"<target>" + b"<g>" * deep + b"[fr] deep" in outputs[0]
    assert b"<w:t>[fr] deep</w:t>" in zipfile.ZipFile(io.BytesIO(outputs[1])).read("word/document.xml")
    assert b"<div>[fr] deep</div>" in outputs[2]


def test_one_documents_namespace_prefixes_never_reach_another_document():
    # Given tenant B's XLIFF, which names its own prefix for a namespace
    tenant_b = xliff_source('<mrk xmlns:tenantB_project_falcon="urn:custom:meta" tenantB_project_falcon:tag="x">Hi</mrk>')
    # and tenant A's, which uses the same namespace without naming a prefix
    tenant_a = xliff_source('<mrk xmlns="urn:custom:meta">Hello</mrk>')
    # When both are translated in one process, B first
    from_b = translate_document(XLIFF_CT, tenant_b, pseudo, "fr")
    from_a = translate_document(XLIFF_CT, tenant_a, pseudo, "fr")
    # Then B keeps its prefix, and A's output never shows it
    assert b'xmlns:tenantB_project_falcon="urn:custom:meta"' in from_b
    assert b"tenantB_project_falcon" not in from_a
    assert b'xmlns:ns0="urn:custom:meta"' in from_a and b"<ns0:mrk>Hello</ns0:mrk>" in from_a
    # and nothing was registered process-wide (ElementTree's map would grow with every new prefix)
    assert ET.tostring(ET.Element("{urn:custom:meta}x")) == b'<ns0:x xmlns:ns0="urn:custom:meta" />'


@pytest.fixture
def low_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bounds a hundred times lower, so a document ten times past them stays cheap to build."""
    monkeypatch.setattr(document_bounds, "MAX_ELEMENTS", 10_000)
    monkeypatch.setattr(document_bounds, "MAX_SEGMENTS", 1_000)


@pytest.mark.parametrize(
    ("content_type", "build", "message"),
    [
        ("text/html", lambda: b"<b>x</b>" * 100_000, "more than 1,000 separate pieces"),  # the 20 MB, smaller
        ("text/html", lambda: b"<b></b>" * 100_000, "more than 10,000 elements"),
        ("text/html", lambda: b"<p>" + b"&#233;" * 100_000 + b"</p>", "more than 10,000 elements"),
        (XLIFF_CT, lambda: xliff_source("<x/>" * 100_000), "more than 10,000 elements"),
        (DOCX, lambda: docx_with("<w:p>" + "<w:r><w:t>a</w:t></w:r>" * 100_000 + "</w:p>"), "more than 10,000 elements"),
        (PPTX, lambda: pptx_with("<a:p>" + "<a:r><a:t>a</a:t></a:r>" * 100_000 + "</a:p>"), "more than 10,000 elements"),
        (XLSX, lambda: xlsx_with("<si><t>a</t></si>" * 100_000), "more than 1,000 separate pieces of text"),
        (DOCX, lambda: docx_with("<w:p><w:r><w:t>a</w:t></w:r></w:p>" * 100_000), "more than 1,000 separate pieces"),
        (XLIFF_CT, lambda: xliff_with('<trans-unit id="1"><source>a</source></trans-unit>' * 100_000),
         "more than 1,000 separate pieces"),
    ],
    ids=["html-text-nodes", "html-tags", "html-references", "xliff-elements", "docx-runs", "pptx-runs", "xlsx-strings",
         "docx-paragraphs", "xliff-units"],
)
def test_what_a_document_builds_is_bounded_by_its_budget_not_by_its_shape(low_bounds, content_type, build, message):
    # Given a small document of a hundred times more elements (or segments) than a document may have
    data = build()
    calls: list[str] = []
    # When it is translated, Then it fails as soon as it passes the bound, with what it held then only
    peak = peak_bytes(lambda: refused_with(content_type, data, counted(calls), message))
    assert len(calls) <= 1_000  # never a segment past the bound reaches the engine
    # Each document (and its largest part) is under 4 MB; translated whole, they took 30 to 150 MB.
    assert peak < 12 * 2**20, f"{peak / 2**20:.1f} MB"


def refused_with(content_type: str, data: bytes, translate: Callable[[str], str], match: str) -> None:
    with pytest.raises(DocumentError, match=match):
        translate_document(content_type, data, translate, "fr")


def test_characters_past_amazon_translates_quota_are_refused_before_the_engine_sees_them():
    calls: list[str] = []
    refused_with("text/plain", b"a" * (document_bounds.MAX_CHARACTERS + 1), counted(calls), "more than 1,000,000 characters")
    assert calls == []
    assert translate_document("text/plain", b"a" * document_bounds.MAX_CHARACTERS, pseudo, "fr").startswith(b"[fr] aaa")


def test_the_segment_past_the_bound_never_reaches_the_engine(low_bounds):
    calls: list[str] = []
    refused_with(XLSX, xlsx_with("<si><t>a</t></si>" * 1_001), counted(calls), "separate pieces")
    assert len(calls) == 1_000
    assert translate_document(XLSX, xlsx_with("<si><t>a</t></si>" * 999), pseudo, "fr")  # 999 + the sheet's inline string


def many_attributes(count: int) -> str:
    return " ".join(f'a{number}="1"' for number in range(count))


@pytest.mark.parametrize(
    ("content_type", "build"),
    [
        ("text/html", lambda attributes: f"<p {attributes}>x</p>".encode()),
        (XLIFF_CT, lambda attributes: xliff_with(f'<trans-unit id="1" {attributes}><source>x</source></trans-unit>')),
        (DOCX, lambda attributes: docx_with(f"<w:p><w:r><w:t {attributes}>x</w:t></w:r></w:p>")),
    ],
    ids=["html", "xliff", "docx"],
)
def test_an_element_may_have_a_thousand_attributes_and_no_more(content_type, build):
    limit = document_bounds.MAX_ATTRIBUTES
    translate_document(content_type, build(many_attributes(limit - 1)), pseudo, "fr")
    refused(content_type, build(many_attributes(limit + 1)), "more than 1,000 attributes")


def test_a_tag_of_many_attributes_is_refused_before_the_parser_builds_them():
    # html.parser's pattern for a whole tag took 2 GB for 2.5 M attributes; expat builds all of a
    # tag's attributes before any handler sees one (1 M of them: 250 MB)
    page = ("<p " + " ".join(["a=1"] * 500_000) + ">x</p>").encode()
    xliff = xliff_with(f'<trans-unit id="1" {many_attributes(1_000_000)}><source>x</source></trans-unit>')
    assert peak_bytes(lambda: refused("text/html", page, "more than 1,000 attributes")) < 2 * len(page)  # the text itself
    assert peak_bytes(lambda: refused(XLIFF_CT, xliff, "markup longer than 1,048,576 bytes")) < len(xliff) / 2


def test_long_text_is_not_mistaken_for_long_markup():
    note = "word " * 600_000  # 3 MB of text the engine never sees, read in pieces
    out = translate_document(XLIFF_CT, xliff_with(f'<trans-unit id="1"><source>Hi</source><note>{note}</note></trans-unit>'),
                             pseudo, "fr")
    assert b"<target>[fr] Hi</target>" in out
    refused(XLIFF_CT, xliff_with(f"<!--{note}-->"), "markup longer than")  # a comment is held whole


def test_distinct_names_are_bounded():
    names = document_bounds.MAX_NAMES
    refused(XLIFF_CT, xliff_source("".join(f"<e{number}/>" for number in range(names))), f"more than {names:,} distinct")
    refused(DOCX, docx_with("<w:p>" + "".join(f'<w:r a{number}="1"/>' for number in range(names)) + "</w:p>"), "distinct")


@pytest.mark.parametrize(("content_type", "build"), [
    (XLIFF_CT, lambda: xliff_with('<trans-unit id="1"><source>A <g id="1">b</g> c</source></trans-unit>'
                                   '<trans-unit id="2"><source>Two</source></trans-unit>')),
    ("text/html", lambda: b"<p>One &amp; <b>two</b></p><p>three</p>"),
    ("text/plain", lambda: b"One\ntwo"),
    (DOCX, docx), (PPTX, pptx), (XLSX, xlsx),
], ids=["xliff", "html", "text", "docx", "pptx", "xlsx"])
def test_the_same_segments_in_the_same_order_on_every_call(content_type, build):
    """A caller may record the segments in one call and answer them in a second (the engine translating
    a batch's segments together in between): both calls see the same segments, one call each."""
    data = build()
    first: list[str] = []
    translate_document(content_type, data, counted(first), "fr")
    answers = {text: pseudo(text) for text in first}
    second: list[str] = []

    def looked_up(text: str) -> str:
        second.append(text)
        return answers[text]

    assert translate_document(content_type, data, looked_up, "fr") == translate_document(content_type, data, pseudo, "fr")
    assert second == first and first


def test_long_markup_is_refused_in_any_part_whatever_came_before():
    # Given a package whose first text part is long (its parse reported up to its end, 2 MB), and a
    # next one that opens with a 1.5 MB comment (nothing reported before it ends)
    long_first = docx_with(f"<w:p><w:r><w:instrText>{'x' * 2 * 2**20}</w:instrText></w:r></w:p>")
    hostile = replace_part(long_first, "word/header1.xml", f"<!--{'x' * 3 * 2**19}--><w:hdr {W_NS}/>")
    # Then the comment is refused as markup too long, as it would be on its own
    refused(DOCX, hostile, "markup longer than")


def test_xliff_of_any_structure_is_translated_into_well_formed_xml_or_refused():
    """Seeded random XLIFF (trans-units inside sources, old targets anywhere, default namespaces on inner
    elements, comments): every outcome is well-formed XML or a DocumentError."""
    rng = random.Random(26)
    tags = ["trans-unit", "source", "target", "g", "x", "note", "group", "mrk", "m:q"]
    attributes = ["", ' id="1"', ' xml:lang="en"', ' m:a="1"', ' xmlns="urn:inner"', ' xmlns:m="urn:other"']

    def element(depth: int) -> str:
        if depth > 5 or rng.random() < 0.2:
            return rng.choice(["", "text", " ", "a &amp; b", "\n  ", "\u00e9\U0001f600"])
        inner = "".join(element(depth + 1) for _ in range(rng.randint(0, 4))) + rng.choice(["", "", "<!-- c -->"])
        tag = rng.choice(tags)
        return f"<{tag}{rng.choice(attributes)}>{inner}</{tag}>"

    outcomes = {"translated": 0, "refused": 0}
    for _ in range(400):
        root = rng.choice(['<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" xmlns:m="urn:m">', '<xliff xmlns:m="urn:m">'])
        data = f"{root}<file><body>{''.join(element(0) for _ in range(3))}</body></file></xliff>".encode()
        try:
            out = translate_document(XLIFF_CT, data, pseudo, "fr")
        except DocumentError:
            outcomes["refused"] += 1
        else:
            ET.fromstring(out)
            outcomes["translated"] += 1
    assert min(outcomes.values()) > 50, outcomes
