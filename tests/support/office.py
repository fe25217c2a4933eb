# ruff: noqa: E501 - XML fixtures read best a few elements per line
"""Small but realistic docx, pptx and xlsx packages, built in code (no binary fixtures).

Each has what the real suites write and what breaks naive rewriting: mc:Ignorable naming prefixes
that only the root declares, w14 attributes, text split across differently formatted runs, a table,
header and footer, footnote, comment, hyperlink (external target), an image part, field codes,
tracked deletions, slide notes, a slide-number field, shared and inline strings, a formula, a number
and a date.
"""

import io
import struct
import zipfile
import zlib
from collections.abc import Sequence

CT = "application/vnd.openxmlformats-officedocument"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'


def png() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")


def package(parts: Sequence[tuple[str, bytes | str]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts:
            archive.writestr(name, body.encode() if isinstance(body, str) else body)
    return out.getvalue()


def content_types(overrides: dict[str, str], defaults: dict[str, str] | None = None) -> str:
    entries = {"rels": "application/vnd.openxmlformats-package.relationships+xml", "xml": "application/xml", **(defaults or {})}
    return (
        DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        + "".join(f'<Default Extension="{ext}" ContentType="{ct}"/>' for ext, ct in entries.items())
        + "".join(f'<Override PartName="{name}" ContentType="{ct}"/>' for name, ct in overrides.items())
        + "</Types>"
    )


def rels(*relationships: tuple[str, str, str] | tuple[str, str, str, str]) -> str:
    body = "".join(
        f'<Relationship Id="{r[0]}" Type="{r[1]}" Target="{r[2]}"' + (f' TargetMode="{r[3]}"' if len(r) > 3 else "") + "/>"
        for r in relationships
    )
    return DECL + f'<Relationships xmlns="{PKG_REL}">{body}</Relationships>'


CORE = (
    DECL + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Quarterly report</dc:title></cp:coreProperties>'
)

# ---------- docx ----------

W_NS = (
    'xmlns:wpc="http://schemas.microsoft.com/office/word/2010/wordprocessingCanvas" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    f'xmlns:r="{REL}" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture" '
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" '
    'xmlns:wp14="http://schemas.microsoft.com/office/word/2010/wordprocessingDrawing" '
    'mc:Ignorable="w14 wp14"'
)

DOCUMENT = (
    DECL + f"<w:document {W_NS}><w:body>"
    # Text split over three runs with different formatting, a footnote and a comment in the middle.
    '<w:p w14:paraId="1A2B3C4D" w14:textId="77777777"><w:pPr><w:pStyle w:val="Title"/></w:pPr>'
    '<w:commentRangeStart w:id="0"/>'
    '<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">Hello </w:t></w:r>'
    '<w:r><w:t xml:space="preserve">brave new </w:t></w:r>'
    '<w:r><w:rPr><w:i/><w:color w:val="FF0000"/></w:rPr><w:t>world</w:t></w:r>'
    '<w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r>'
    '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteReference w:id="1"/></w:r></w:p>'
    # A hyperlink: its text is translated, its target (in the rels) is not.
    '<w:p><w:r><w:t xml:space="preserve">Visit </w:t></w:r><w:hyperlink r:id="rId7" w:history="1">'
    '<w:r><w:rPr><w:rStyle w:val="Hyperlink"/></w:rPr><w:t>our website</w:t></w:r></w:hyperlink>'
    "<w:r><w:t>.</w:t></w:r></w:p>"
    # A field: the code is never translated.
    '<w:p><w:r><w:t xml:space="preserve">Page </w:t></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
    '<w:r><w:instrText xml:space="preserve"> PAGE \\* MERGEFORMAT </w:instrText></w:r>'
    '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
    '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    # A tracked deletion, and a tab and a break cutting the paragraph into segments.
    '<w:p><w:del w:id="5" w:author="Ann" w:date="2024-01-01T00:00:00Z"><w:r><w:delText>Old wording</w:delText></w:r></w:del>'
    "<w:r><w:t>Name</w:t></w:r><w:r><w:tab/><w:t>Value &amp; more</w:t></w:r><w:r><w:br/><w:t>Next line</w:t></w:r></w:p>"
    # A table.
    '<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr><w:tblGrid><w:gridCol w:w="4000"/><w:gridCol w:w="4000"/></w:tblGrid>'
    "<w:tr><w:tc><w:p><w:r><w:t>Cell one</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Cell two</w:t></w:r></w:p></w:tc></w:tr>"
    "</w:tbl>"
    # An image.
    '<w:p><w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="9525" cy="9525"/>'
    '<wp:docPr id="1" name="Picture 1"/><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
    '<pic:pic><pic:nvPicPr><pic:cNvPr id="0" name="image1.png"/><pic:cNvPicPr/></pic:nvPicPr>'
    '<pic:blipFill><a:blip r:embed="rId6"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
    '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="9525" cy="9525"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr>'
    "</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"
    '<w:sectPr><w:headerReference w:type="default" r:id="rId3"/><w:footerReference w:type="default" r:id="rId4"/>'
    '<w:pgSz w:w="11906" w:h="16838"/></w:sectPr>'
    "</w:body></w:document>"
)

HEADER = DECL + f'<w:hdr {W_NS}><w:p><w:r><w:t>Confidential draft</w:t></w:r></w:p></w:hdr>'
FOOTER = DECL + f'<w:ftr {W_NS}><w:p><w:r><w:t>Company footer</w:t></w:r></w:p></w:ftr>'
FOOTNOTES = (
    DECL + f"<w:footnotes {W_NS}>"
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:id="1"><w:p><w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteRef/></w:r>'
    '<w:r><w:t xml:space="preserve"> A footnote.</w:t></w:r></w:p></w:footnote></w:footnotes>'
)
COMMENTS = (
    DECL + f'<w:comments {W_NS}><w:comment w:id="0" w:author="Ann" w:date="2024-01-01T00:00:00Z" w:initials="A">'
    "<w:p><w:r><w:t>Please check this</w:t></w:r></w:p></w:comment></w:comments>"
)
STYLES = (
    DECL + f'<w:styles {W_NS}><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/></w:style>'
    '<w:style w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/></w:style></w:styles>'
)
DOCX_TEXT_PARTS = ("word/document.xml", "word/header1.xml", "word/footer1.xml", "word/footnotes.xml", "word/comments.xml")


def docx() -> bytes:
    w = f"{CT}.wordprocessingml"
    return package([
        ("[Content_Types].xml", content_types(
            {"/word/document.xml": f"{w}.document.main+xml", "/word/styles.xml": f"{w}.styles+xml",
             "/word/header1.xml": f"{w}.header+xml", "/word/footer1.xml": f"{w}.footer+xml",
             "/word/footnotes.xml": f"{w}.footnotes+xml", "/word/comments.xml": f"{w}.comments+xml",
             "/docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml"},
            {"png": "image/png"})),
        ("_rels/.rels", rels(("rId1", f"{REL}/officeDocument", "word/document.xml"),
                             ("rId2", f"{PKG_REL}/metadata/core-properties", "docProps/core.xml"))),
        ("docProps/core.xml", CORE),
        ("word/document.xml", DOCUMENT),
        ("word/_rels/document.xml.rels", rels(
            ("rId1", f"{REL}/styles", "styles.xml"), ("rId3", f"{REL}/header", "header1.xml"),
            ("rId4", f"{REL}/footer", "footer1.xml"), ("rId5", f"{REL}/footnotes", "footnotes.xml"),
            ("rId6", f"{REL}/image", "media/image1.png"), ("rId7", f"{REL}/hyperlink", "https://example.com/about?a=1&amp;b=2", "External"),
            ("rId8", f"{REL}/comments", "comments.xml"))),
        ("word/styles.xml", STYLES),
        ("word/header1.xml", HEADER),
        ("word/footer1.xml", FOOTER),
        ("word/footnotes.xml", FOOTNOTES),
        ("word/comments.xml", COMMENTS),
        ("word/media/image1.png", png()),
    ])


# ---------- pptx ----------

P_NS = (
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    f'xmlns:r="{REL}" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
)
NV_GROUP = '<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>'


def _shape(shape_id: int, name: str, placeholder: str, paragraphs: str) -> str:
    return (
        f'<p:sp><p:nvSpPr><p:cNvPr id="{shape_id}" name="{name}"/><p:cNvSpPr/><p:nvPr>{placeholder}</p:nvPr></p:nvSpPr>'
        f"<p:spPr/><p:txBody><a:bodyPr/><a:lstStyle/>{paragraphs}</p:txBody></p:sp>"
    )


SLIDE = (
    DECL + f'<p:sld {P_NS} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:p14="http://schemas.microsoft.com/office/powerpoint/2010/main" mc:Ignorable="p14"><p:cSld><p:spTree>' + NV_GROUP
    + _shape(2, "Title 1", '<p:ph type="title"/>', '<a:p><a:r><a:rPr lang="en-US" b="1"/><a:t>Sales </a:t></a:r>'
             '<a:r><a:rPr lang="en-US" i="1"/><a:t>grew fast</a:t></a:r></a:p>')
    + _shape(3, "Content 2", '<p:ph idx="1"/>', '<a:p><a:r><a:rPr lang="en-US"/><a:t>First point</a:t></a:r></a:p>'
             '<a:p><a:r><a:rPr lang="en-US"><a:hlinkClick r:id="rId3"/></a:rPr><a:t>Read more</a:t></a:r></a:p>'
             '<a:p><a:r><a:rPr lang="en-US"/><a:t>Slide </a:t></a:r><a:fld id="{B6F15528-21DE-4FAA-801E-634DDDAF4B2B}" type="slidenum">'
             '<a:rPr lang="en-US"/><a:t>1</a:t></a:fld><a:endParaRPr lang="en-US"/></a:p>')
    + '<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="4" name="Table 3"/><p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr>'
    '<p:xfrm><a:off x="0" y="0"/><a:ext cx="6096000" cy="741680"/></p:xfrm><a:graphic>'
    '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/table"><a:tbl><a:tblGrid><a:gridCol w="3048000"/>'
    '<a:gridCol w="3048000"/></a:tblGrid><a:tr h="370840"><a:tc><a:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="en-US"/>'
    "<a:t>Region</a:t></a:r></a:p></a:txBody><a:tcPr/></a:tc><a:tc><a:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r>"
    '<a:rPr lang="en-US"/><a:t>North</a:t></a:r></a:p></a:txBody><a:tcPr/></a:tc></a:tr></a:tbl></a:graphicData></a:graphic></p:graphicFrame>'
    '<p:pic><p:nvPicPr><p:cNvPr id="5" name="Picture 4"/><p:cNvPicPr/><p:nvPr/></p:nvPicPr><p:blipFill><a:blip r:embed="rId2"/>'
    '<a:stretch><a:fillRect/></a:stretch></p:blipFill><p:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="9525" cy="9525"/></a:xfrm>'
    '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr></p:pic>'
    "</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>"
)
NOTES = (
    DECL + f"<p:notes {P_NS}><p:cSld><p:spTree>" + NV_GROUP
    + _shape(2, "Slide Image Placeholder 1", '<p:ph type="sldImg"/>', "<a:p><a:endParaRPr/></a:p>")
    + _shape(3, "Notes Placeholder 2", '<p:ph type="body" idx="1"/>',
             '<a:p><a:r><a:rPr lang="en-US"/><a:t>Speak slowly here</a:t></a:r></a:p>')
    + "</p:spTree></p:cSld></p:notes>"
)
MASTER = (
    DECL + f"<p:sldMaster {P_NS}><p:cSld><p:spTree>" + NV_GROUP + "</p:spTree></p:cSld>"
    '<p:clrMap bg1="lt1" tx1="dk1" bg2="lt2" tx2="dk2" accent1="accent1" accent2="accent2" accent3="accent3" '
    'accent4="accent4" accent5="accent5" accent6="accent6" hlink="hlink" folHlink="folHlink"/>'
    '<p:sldLayoutIdLst><p:sldLayoutId id="2147483649" r:id="rId1"/></p:sldLayoutIdLst>'
    '<p:txStyles><p:titleStyle/><p:bodyStyle/><p:otherStyle/></p:txStyles></p:sldMaster>'
)
LAYOUT = (
    DECL + f'<p:sldLayout {P_NS} type="obj"><p:cSld name="Title and Content"><p:spTree>' + NV_GROUP
    + _shape(2, "Title 1", '<p:ph type="title"/>', '<a:p><a:r><a:rPr lang="en-US"/><a:t>Click to edit Master title style</a:t></a:r></a:p>')
    + "</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sldLayout>"
)
PRESENTATION = (
    DECL + f'<p:presentation {P_NS} saveSubsetFonts="1"><p:sldMasterIdLst><p:sldMasterId id="2147483648" r:id="rId1"/>'
    '</p:sldMasterIdLst><p:sldIdLst><p:sldId id="256" r:id="rId2"/></p:sldIdLst><p:sldSz cx="12192000" cy="6858000"/>'
    '<p:notesSz cx="6858000" cy="9144000"/></p:presentation>'
)
PPTX_TEXT_PARTS = ("ppt/slides/slide1.xml", "ppt/notesSlides/notesSlide1.xml")


def pptx() -> bytes:
    p = f"{CT}.presentationml"
    return package([
        ("[Content_Types].xml", content_types(
            {"/ppt/presentation.xml": f"{p}.presentation.main+xml", "/ppt/slides/slide1.xml": f"{p}.slide+xml",
             "/ppt/notesSlides/notesSlide1.xml": f"{p}.notesSlide+xml", "/ppt/slideMasters/slideMaster1.xml": f"{p}.slideMaster+xml",
             "/ppt/slideLayouts/slideLayout1.xml": f"{p}.slideLayout+xml",
             "/docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml"},
            {"png": "image/png"})),
        ("_rels/.rels", rels(("rId1", f"{REL}/officeDocument", "ppt/presentation.xml"),
                             ("rId2", f"{PKG_REL}/metadata/core-properties", "docProps/core.xml"))),
        ("docProps/core.xml", CORE),
        ("ppt/presentation.xml", PRESENTATION),
        ("ppt/_rels/presentation.xml.rels", rels(("rId1", f"{REL}/slideMaster", "slideMasters/slideMaster1.xml"),
                                                 ("rId2", f"{REL}/slide", "slides/slide1.xml"))),
        ("ppt/slideMasters/slideMaster1.xml", MASTER),
        ("ppt/slideMasters/_rels/slideMaster1.xml.rels", rels(("rId1", f"{REL}/slideLayout", "../slideLayouts/slideLayout1.xml"))),
        ("ppt/slideLayouts/slideLayout1.xml", LAYOUT),
        ("ppt/slideLayouts/_rels/slideLayout1.xml.rels", rels(("rId1", f"{REL}/slideMaster", "../slideMasters/slideMaster1.xml"))),
        ("ppt/slides/slide1.xml", SLIDE),
        ("ppt/slides/_rels/slide1.xml.rels", rels(
            ("rId1", f"{REL}/slideLayout", "../slideLayouts/slideLayout1.xml"), ("rId2", f"{REL}/image", "../media/image1.png"),
            ("rId3", f"{REL}/hyperlink", "https://example.com/more", "External"),
            ("rId4", f"{REL}/notesSlide", "../notesSlides/notesSlide1.xml"))),
        ("ppt/notesSlides/notesSlide1.xml", NOTES),
        ("ppt/notesSlides/_rels/notesSlide1.xml.rels", rels(("rId1", f"{REL}/slide", "../slides/slide1.xml"))),
        ("ppt/media/image1.png", png()),
    ])


# ---------- xlsx ----------

S_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' f'xmlns:r="{REL}"'
WORKBOOK = (
    DECL + f'<workbook {S_NS} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main" mc:Ignorable="x15">'
    '<sheets><sheet name="Report" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
SHEET = (
    DECL + f'<worksheet {S_NS} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" mc:Ignorable="x14ac">'
    '<dimension ref="A1:C2"/><sheetData>'
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>Inline note</t></is></c><c r="C1"><v>42</v></c></row>'
    '<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2"><f>SUM(C1,1)</f><v>43</v></c><c r="C2" s="1"><v>45292</v></c>'
    '<c r="D2" t="str"><f>"Total"&amp;" sum"</f><v>Total sum</v></c></row>'
    "</sheetData></worksheet>"
)
SHARED_STRINGS = (
    DECL + f'<sst {S_NS} count="2" uniqueCount="2"><si><t>Quarterly report</t></si>'
    '<si><r><rPr><b/><sz val="11"/></rPr><t xml:space="preserve">Total </t></r><r><rPr><sz val="11"/></rPr><t>revenue</t></r>'
    '<rPh sb="0" eb="1"><t>PHONETIC</t></rPh></si></sst>'
)
STYLES_XLSX = (
    DECL + f'<styleSheet {S_NS}><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
XLSX_TEXT_PARTS = ("xl/sharedStrings.xml", "xl/worksheets/sheet1.xml")


def xlsx() -> bytes:
    s = f"{CT}.spreadsheetml"
    return package([
        ("[Content_Types].xml", content_types(
            {"/xl/workbook.xml": f"{s}.sheet.main+xml", "/xl/worksheets/sheet1.xml": f"{s}.worksheet+xml",
             "/xl/sharedStrings.xml": f"{s}.sharedStrings+xml", "/xl/styles.xml": f"{s}.styles+xml",
             "/docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml"})),
        ("_rels/.rels", rels(("rId1", f"{REL}/officeDocument", "xl/workbook.xml"),
                             ("rId2", f"{PKG_REL}/metadata/core-properties", "docProps/core.xml"))),
        ("docProps/core.xml", CORE),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", rels(("rId1", f"{REL}/worksheet", "worksheets/sheet1.xml"),
                                            ("rId2", f"{REL}/sharedStrings", "sharedStrings.xml"),
                                            ("rId3", f"{REL}/styles", "styles.xml"))),
        ("xl/worksheets/sheet1.xml", SHEET),
        ("xl/sharedStrings.xml", SHARED_STRINGS),
        ("xl/styles.xml", STYLES_XLSX),
    ])


def replace_part(data: bytes, name: str, body: bytes | str) -> bytes:
    """The package with one part's content replaced (or added, if absent)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = [(info.filename, archive.read(info)) for info in archive.infolist()]
    names = [part for part, _ in parts]
    new = body.encode() if isinstance(body, str) else body
    parts = [(part, new if part == name else old) for part, old in parts] if name in names else [*parts, (name, new)]
    return package(parts)


# ---------- one part's content in an otherwise whole package (hostile documents, benchmarks) ----------

A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"


def docx_with(body: str) -> bytes:
    """docx() with this <w:body> content."""
    return replace_part(docx(), "word/document.xml", f"<w:document {W_NS}><w:body>{body}</w:body></w:document>")


def pptx_with(paragraphs: str) -> bytes:
    """pptx() whose slide has one shape holding these <a:p> paragraphs."""
    slide = (f'<p:sld xmlns:a="{A_NS}" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld>'
             f"<p:spTree><p:sp><p:txBody><a:bodyPr/>{paragraphs}</p:txBody></p:sp></p:spTree></p:cSld></p:sld>")
    return replace_part(pptx(), "ppt/slides/slide1.xml", slide)


def xlsx_with(strings: str) -> bytes:
    """xlsx() with these shared strings (<si> elements)."""
    return replace_part(xlsx(), "xl/sharedStrings.xml", f"<sst {S_NS}>{strings}</sst>")
