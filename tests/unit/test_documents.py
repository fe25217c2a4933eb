"""Document formats, unit by unit: what reaches the engine, and what is written back."""

import xml.etree.ElementTree as ET

import pytest

from translate_jobs.domain.content_types import SUPPORTED_CONTENT_TYPES, is_supported
from translate_jobs.integrations.documents import (
    MAX_DOCUMENT_BYTES,
    translate_document,
    translate_html,
    translate_xliff,
)
from translate_jobs.integrations.engines import DocumentError, PseudoEngine


def pseudo(text: str) -> str:
    return PseudoEngine().translate(text, "en", "fr", None)


def identity(text: str) -> str:
    return text


HTML_DOC = """<!DOCTYPE html>
<HTML lang="en"><head><meta charset="utf-8"><title>Tom &amp; Jerry</title>
<style>p::before { content: "<b>Hi</b>"; }</style>
<script type="text/javascript">if (a < b && c > d) { x = "<p>Hello</p>"; }</script></head>
<body class='main'><!-- Hello comment -->
  <P id=intro>Caf&eacute; &nbsp;&#169; 2024 <b>bold</b>, <img src="a.png" alt="Hello"/> end &lt;tag&gt;.</P>
  <br>
  1 < 2
</BODY></HTML>
"""


def test_html_round_trip_is_byte_for_byte_with_an_identity_engine():
    assert translate_html(HTML_DOC, identity) == HTML_DOC


def test_html_translates_only_text_nodes_and_keeps_markup_entities_script_and_style():
    seen: list[str] = []

    def engine(text: str) -> str:
        seen.append(text)
        return pseudo(text)

    out = translate_html(HTML_DOC, engine)
    assert seen == ["Tom & Jerry", "Caf\u00e9 \u00a0\u00a9 2024", "bold", ",", "end <tag>.", "1 < 2"]
    assert "<title>[fr] Tom &amp; Jerry</title>" in out
    assert '<style>p::before { content: "<b>Hi</b>"; }</style>' in out
    assert '<script type="text/javascript">if (a < b && c > d) { x = "<p>Hello</p>"; }</script>' in out
    assert "<!-- Hello comment -->" in out
    assert "<P id=intro>[fr] Caf&eacute; &nbsp;&#169; 2024 <b>[fr] bold</b>[fr] ," in out
    assert '<img src="a.png" alt="Hello"/> [fr] end &lt;tag&gt;.</P>' in out
    assert "\n  [fr] 1 < 2\n</BODY></HTML>\n" in out
    assert out.startswith("<!DOCTYPE html>\n<HTML lang=\"en\"><head><meta charset=\"utf-8\">")


def test_html_escapes_what_the_engine_returns_where_it_would_read_as_markup():
    assert translate_html("<p>x</p>", lambda text: "a <b> & c &amp;") == "<p>a &lt;b> & c &amp;amp;</p>"


@pytest.mark.parametrize(
    "broken",
    ['<p>hello <b class="x', "<p>ok</p><script>never closed", "<p>x</p><!-- no end", "<p>a</p><style>p {}"],
)
def test_broken_html_is_a_document_error(broken):
    with pytest.raises(DocumentError, match="HTML could not be parsed"):
        translate_html(broken, pseudo)


XLIFF_DOC = b"""<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
  <file original="hello.txt" source-language="en" datatype="plaintext">
    <body>
      <!-- units -->
      <trans-unit id="1">
        <source>Hello <g id="b">bold</g> world &amp; &lt;friends&gt;</source>
      </trans-unit>
      <trans-unit id="2"><source>Bye</source><target>stale</target><note>keep me</note></trans-unit>
      <trans-unit id="3"><source>   </source></trans-unit>
    </body>
  </file>
</xliff>
"""

NS = "{urn:oasis:names:tc:xliff:document:1.2}"


def test_xliff_every_trans_unit_gets_a_target():
    out = translate_xliff(XLIFF_DOC, pseudo, "fr")
    root = ET.fromstring(out)
    assert root.tag == f"{NS}xliff"  # the namespace stays the default one
    assert b"ns0:" not in out and out.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert root.find(f"{NS}file").get("target-language") == "fr"
    units = {unit.get("id"): unit for unit in root.iter(f"{NS}trans-unit")}
    assert set(units) == {"1", "2", "3"}
    for unit in units.values():
        assert len(unit.findall(f"{NS}target")) == 1
    first = units["1"].find(f"{NS}target")
    assert "".join(first.itertext()) == "[fr] Hello [fr] bold [fr] world & <friends>"
    assert first.find(f"{NS}g").get("id") == "b"  # inline elements kept
    assert "".join(units["1"].find(f"{NS}source").itertext()) == "Hello bold world & <friends>"
    assert units["2"].find(f"{NS}target").text == "[fr] Bye"  # an existing target is replaced
    assert [child.tag for child in units["2"]] == [f"{NS}source", f"{NS}target", f"{NS}note"]
    assert units["3"].find(f"{NS}target").text == "   "
    assert b"<!-- units -->" in out
    assert b"&amp; &lt;friends&gt;</target>" in out


def test_xliff_without_namespace_works_too():
    doc = (
        b'<xliff version="1.2"><file source-language="en"><body>'
        b'<trans-unit id="a"><source>Hi</source></trans-unit></body></file></xliff>'
    )
    out = translate_xliff(doc, pseudo, "de")
    assert out.endswith(b'<source>Hi</source><target>[fr] Hi</target></trans-unit></body></file></xliff>')
    assert b'target-language="de"' in out


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><xliff>&lol;</xliff>', "DOCTYPE"),
        (b"<xliff><file><body>", "not well-formed"),
        (b"<html><body/></html>", "not XLIFF"),
        (b'<xliff><file><body><trans-unit id="x"/></body></file></xliff>', "has no <source>"),
    ],
)
def test_bad_xliff_is_a_document_error(doc, message):
    with pytest.raises(DocumentError, match=message):
        translate_xliff(doc, pseudo, "fr")


def test_translate_document_dispatches_on_content_type():
    assert translate_document("text/plain", b"Hello\nWorld", pseudo, "fr") == b"[fr] Hello\n[fr] World"
    assert translate_document("text/html; charset=utf-8", b"<p>Hi</p>", pseudo, "fr") == b"<p>[fr] Hi</p>"
    xliff = b"<xliff><file><body><trans-unit id='1'><source>Hi</source></trans-unit></body></file></xliff>"
    assert b"<target>[fr] Hi</target>" in translate_document("application/x-xliff+xml", xliff, pseudo, "fr")


def test_per_document_errors():
    with pytest.raises(DocumentError, match="not valid UTF-8"):
        translate_document("text/plain", "caf\xe9".encode("latin-1"), pseudo, "fr")
    with pytest.raises(DocumentError, match="not valid UTF-8"):
        translate_document("text/html", b"<p>\xff</p>", pseudo, "fr")
    with pytest.raises(DocumentError, match="exceeds"):
        translate_document("text/plain", b"x" * (MAX_DOCUMENT_BYTES + 1), pseudo, "fr")
    with pytest.raises(DocumentError, match="not supported"):
        translate_document("application/pdf", b"%PDF", pseudo, "fr")


def test_supported_content_types():
    assert SUPPORTED_CONTENT_TYPES == (
        "text/plain", "text/html", "application/x-xliff+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    assert is_supported("text/html") and is_supported("TEXT/PLAIN; charset=utf-8")
    assert not is_supported("application/pdf")
