"""Hostile documents fail alone, with a message, and cheaply: zip bombs, path traversal, DTDs and
entities, encrypted or corrupt packages, a package of the wrong kind, XLIFF in UTF-16 with an
entity, and HTML built to make html.parser quadratic."""

import io
import random
import struct
import warnings
import zipfile
from collections.abc import Callable
from html.parser import HTMLParser

import pytest

from tests.support.office import docx, package, pptx, replace_part, xlsx
from translate_jobs.domain.content_types import DOCX, PPTX, XLSX
from translate_jobs.integrations import office
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
        translate_html("<a b=" * 10_000, pseudo)  # took 17 s: one scan to the end per '<'
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
