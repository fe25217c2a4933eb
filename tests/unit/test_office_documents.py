"""docx, pptx and xlsx: the text is translated, every other byte of the package is kept.

Fixtures are built in code (tests/support/office.py); outputs are re-read with zipfile and opened
with python-docx, python-pptx and openpyxl.
"""

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable

import docx as python_docx
import openpyxl
import pptx as python_pptx
import pytest

from tests.support.office import (
    DOCX_TEXT_PARTS,
    PPTX_TEXT_PARTS,
    W_NS,
    XLSX_TEXT_PARTS,
    docx,
    pptx,
    replace_part,
    xlsx,
)
from translate_jobs.domain.content_types import DOCX, PPTX, XLSX
from translate_jobs.integrations.documents import translate_document
from translate_jobs.integrations.engines import PseudoEngine
from translate_jobs.integrations.office import distribute, translate_part

CASES = [(DOCX, docx, DOCX_TEXT_PARTS), (PPTX, pptx, PPTX_TEXT_PARTS), (XLSX, xlsx, XLSX_TEXT_PARTS)]


def pseudo(text: str) -> str:
    return PseudoEngine().translate(text, "en", "fr", None)


def recording(seen: list[str]) -> Callable[[str], str]:
    def translate(text: str) -> str:
        seen.append(text)
        return pseudo(text)

    return translate


def parts(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None  # every entry's CRC checks
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


_TEXT_ELEMENT = re.compile(rb"(<(?:w:|a:)?t(?:\s[^>]*)?>)[^<]*(</(?:w:|a:)?t>)")


def without_text(xml: bytes) -> bytes:
    """The part with every text element emptied (and xml:space, which a translation may need, dropped)."""
    return _TEXT_ELEMENT.sub(rb"\1\2", xml).replace(b' xml:space="preserve"', b"")


@pytest.mark.parametrize(("content_type", "build", "text_parts"), CASES, ids=["docx", "pptx", "xlsx"])
def test_every_part_is_kept_in_order_and_only_text_parts_change(content_type, build, text_parts):
    source = build()
    out = translate_document(content_type, source, pseudo, "fr")
    before, after = parts(source), parts(out)
    assert [name for name, _ in after] == [name for name, _ in before]
    for (name, old), (_, new) in zip(before, after, strict=True):
        if name.endswith((".xml", ".rels")):
            ET.fromstring(new)  # well-formed
        if name in text_parts:
            assert new != old, name
            # Run structure, properties, attributes, namespace declarations (mc:Ignorable's prefixes
            # included): every byte outside the text elements' content is the source's.
            assert without_text(new) == without_text(old), name
        else:
            assert new == old, name  # images, rels, styles, properties: byte for byte


def test_docx_text_split_across_runs_is_translated_as_one_segment_and_dealt_back_to_the_runs():
    seen: list[str] = []
    out = dict(parts(translate_document(DOCX, docx(), recording(seen), "fr")))
    assert seen == [
        "Hello brave new world", "Visit our website.", "Page 1", "Name", "Value & more", "Next line",
        "Cell one", "Cell two", "Confidential draft", "Company footer", "A footnote.", "Please check this",
    ]
    document = out["word/document.xml"].decode()
    # Three runs, each with its own properties, share the one translation at word boundaries.
    assert ('<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">[fr] </w:t></w:r>'
            '<w:r><w:t xml:space="preserve">Hello brave new </w:t></w:r>'
            '<w:r><w:rPr><w:i/><w:color w:val="FF0000"/></w:rPr><w:t>world</w:t></w:r>') in document
    assert '<w:instrText xml:space="preserve"> PAGE \\* MERGEFORMAT </w:instrText>' in document  # field code kept
    assert "<w:delText>Old wording</w:delText>" in document  # deleted text kept
    assert "<w:t>[fr] Value &amp; more</w:t>" in document  # escaped on the way back
    assert '<w:hyperlink r:id="rId7" w:history="1">' in document


def test_python_docx_reads_the_translation_with_the_same_structure():
    source = python_docx.Document(io.BytesIO(docx()))
    out = python_docx.Document(io.BytesIO(translate_document(DOCX, docx(), pseudo, "fr")))
    assert [p.text for p in out.paragraphs] == [
        "[fr] Hello brave new world", "[fr] Visit our website.", "[fr] Page 1",
        "[fr] Name\t[fr] Value & more\n[fr] Next line", "",
    ]
    for before, after in zip(source.paragraphs, out.paragraphs, strict=True):
        assert [(run.bold, run.italic, run.style.name if run.style else None) for run in after.runs] == [
            (run.bold, run.italic, run.style.name if run.style else None) for run in before.runs
        ]
        assert len(after.hyperlinks) == len(before.hyperlinks)
    assert [link.address for p in out.paragraphs for link in p.hyperlinks] == ["https://example.com/about?a=1&b=2"]
    assert [[cell.text for cell in row.cells] for row in out.tables[0].rows] == [["[fr] Cell one", "[fr] Cell two"]]
    assert out.sections[0].header.paragraphs[0].text == "[fr] Confidential draft"
    assert out.sections[0].footer.paragraphs[0].text == "[fr] Company footer"
    assert [comment.text for comment in out.comments] == ["[fr] Please check this"]
    assert len(out.inline_shapes) == len(source.inline_shapes) == 1


def test_python_pptx_reads_slides_notes_tables_and_fields():
    seen: list[str] = []
    out = python_pptx.Presentation(io.BytesIO(translate_document(PPTX, pptx(), recording(seen), "fr")))
    assert seen == ["Sales grew fast", "First point", "Read more", "Slide", "Region", "North", "Speak slowly here"]
    slide = out.slides[0]
    title, body = (shape for shape in slide.shapes if shape.has_text_frame)
    assert [(run.text, run.font.bold, run.font.italic) for run in title.text_frame.paragraphs[0].runs] == [
        ("[fr] ", True, None), ("Sales grew fast", None, True)
    ]
    assert [p.text for p in body.text_frame.paragraphs] == ["[fr] First point", "[fr] Read more", "[fr] Slide 1"]
    assert body.text_frame.paragraphs[1].runs[0].hyperlink.address == "https://example.com/more"
    table = next(shape for shape in slide.shapes if shape.has_table).table
    assert [cell.text for cell in table.rows[0].cells] == ["[fr] Region", "[fr] North"]
    assert slide.notes_slide.notes_text_frame.text == "[fr] Speak slowly here"
    assert len(slide.shapes) == 4  # title, body, table, picture


def test_openpyxl_reads_shared_and_inline_strings_and_the_numbers_dates_and_formulas_are_kept():
    seen: list[str] = []
    data = translate_document(XLSX, xlsx(), recording(seen), "fr")
    assert seen == ["Inline note", "Quarterly report", "Total revenue"]  # never a formula, number or phonetic guide
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    source = openpyxl.load_workbook(io.BytesIO(xlsx())).active
    assert sheet["A1"].value == "[fr] Quarterly report"
    assert sheet["B1"].value == "[fr] Inline note"
    assert sheet["A2"].value == "[fr] Total revenue"
    for cell in ("C1", "B2", "C2", "D2"):
        assert sheet[cell].value == source[cell].value, cell  # 42, =SUM(C1,1), a date, a string formula
    assert sheet["B2"].value == "=SUM(C1,1)" and sheet["C2"].is_date
    rich = openpyxl.load_workbook(io.BytesIO(data), rich_text=True).active["A2"].value
    assert [(block.text, bool(block.font.b)) for block in rich] == [("[fr] Total ", True), ("revenue", False)]


def test_edge_whitespace_gets_xml_space_and_engine_markup_is_escaped():
    part = (f'<w:document {W_NS}><w:body><w:p><w:r><w:t>Good</w:t></w:r>'
            '<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve"> morning</w:t></w:r></w:p></w:body></w:document>').encode()
    out = translate_part(part, pseudo)
    # "[fr] " lands in a run that had no xml:space: without it Word would drop the space.
    assert (b'<w:r><w:t xml:space="preserve">[fr] </w:t></w:r>'
            b'<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">Good morning</w:t>') in out
    hostile = translate_part(part, lambda text: "<b>&amp;</b> \x01]]>")
    ET.fromstring(hostile)
    document = python_docx.Document(io.BytesIO(replace_part(docx(), "word/document.xml", hostile)))
    assert document.paragraphs[0].text == "<b>&amp;</b> ]]>"


def test_a_text_box_paragraph_inside_a_paragraph_is_its_own_segment():
    part = (f'<w:document {W_NS}><w:body><w:p><w:r><w:t xml:space="preserve">Before </w:t></w:r><w:r><w:pict><w:txbxContent>'
            "<w:p><w:r><w:t>Inside</w:t></w:r></w:p></w:txbxContent></w:pict></w:r><w:r><w:t>after</w:t></w:r></w:p>"
            "</w:body></w:document>").encode()
    seen: list[str] = []
    translate_part(part, recording(seen))
    assert seen == ["Inside", "Before", "after"]  # innermost paragraph ends first


def test_the_same_document_for_another_target_is_marked_for_that_target():
    out = python_docx.Document(io.BytesIO(translate_document(
        DOCX, docx(), lambda text: PseudoEngine().translate(text, "en", "de", None), "de")))
    assert out.paragraphs[0].text == "[de] Hello brave new world"


@pytest.mark.parametrize(
    ("text", "lengths", "pieces"),
    [
        ("[fr] Hello brave new world", [6, 10, 5], ["[fr] ", "Hello brave new ", "world"]),
        ("[fr] Visit our website.", [6, 11, 1], ["[fr] ", "Visit our ", "website."]),  # every run keeps a word
        ("a b c d e f", [1, 0, 1, 1], ["a b ", "", "c d ", "e f"]),  # an empty run stays empty
        ("你好世界朋友", [2, 0, 2], ["你好世", "", "界朋友"]),  # no spaces: cut between characters
        ("Bonjour", [3], ["Bonjour"]),
        ("x", [0, 3, 0], ["", "x", ""]),
    ],
)
def test_distribute_cuts_at_word_starts_in_proportion(text, lengths, pieces):
    assert distribute(text, lengths) == pieces
    assert "".join(pieces) == text


def test_distribute_gives_each_of_many_runs_a_word():
    text = " ".join(f"w{n}" for n in range(20_000))
    pieces = distribute(text, [3] * 20_000)
    assert "".join(pieces) == text and all(pieces)


def test_ruby_guides_are_kept_and_the_base_text_is_translated():
    part = (f'<w:document {W_NS}><w:body><w:p><w:r><w:ruby><w:rubyPr/><w:rt><w:r><w:t>とうきょう</w:t></w:r></w:rt>'
            "<w:rubyBase><w:r><w:t>東京</w:t></w:r></w:rubyBase></w:ruby></w:r></w:p></w:body></w:document>").encode()
    seen: list[str] = []
    out = translate_part(part, recording(seen))
    assert seen == ["東京"]
    assert "<w:t>とうきょう</w:t>" in out.decode() and "<w:t>[fr] 東京</w:t>" in out.decode()


def test_byte_offsets_hold_with_a_bom_multibyte_text_references_and_a_quoted_angle_bracket():
    part = ("\ufeff" '<?xml version="1.0" encoding="UTF-8"?>\r\n'
            f'<w:document {W_NS}><w:body><w:p><w:r><w:t w14:paraId="x>y">Café été</w:t></w:r>'
            "<w:r><w:t>&#x41;&amp;B</w:t></w:r></w:p></w:body></w:document>").encode()
    seen: list[str] = []
    out = translate_part(part, recording(seen))
    assert seen == ["Café étéA&B"]
    assert out.decode().endswith('<w:t w14:paraId="x>y" xml:space="preserve">[fr] Café </w:t></w:r>'
                                 "<w:r><w:t>étéA&amp;B</w:t></w:r></w:p></w:body></w:document>")
    assert without_text(out) == without_text(part)
