"""Custom terminology without AWS: reading CSV, TSV and TMX files as Amazon Translate does, and applying terms
as its developer guide describes (case-insensitive matching, the target in the case of the text it replaces,
whole words, the longest term first)."""

import pytest

from translate_jobs.domain.errors import InvalidParameterValueError
from translate_jobs.domain.terminology import (
    Directionality,
    TerminologyFormat,
    Terms,
    TermTable,
    applied,
    apply_terms,
    in_case_of,
    parse_terminology,
    translate_with_terms,
)

CSV = TerminologyFormat.CSV
TSV = TerminologyFormat.TSV
TMX = TerminologyFormat.TMX


def tmx(source: str, *units: dict[str, str]) -> bytes:
    body = "".join(
        "<tu>" + "".join(f'<tuv xml:lang="{lang}"><seg>{text}</seg></tuv>' for lang, text in unit.items()) + "</tu>"
        for unit in units
    )
    return f'<?xml version="1.0"?><tmx version="1.4"><header srclang="{source}"/><body>{body}</body></tmx>'.encode()


# ---------- reading a file ----------


def test_a_csv_file_has_its_first_column_as_source_and_the_rest_as_targets():
    table = parse_terminology(b"en,fr,de\nAmazon Photos,Amazon Photos,Amazon Fotos\n\"Prime, Video\",Prime Vid\xc3\xa9o,\n", CSV)
    assert table.languages == ("en", "fr", "de")
    assert table.source_language == "en" and table.target_languages == ("fr", "de")
    assert table.rows == (("Amazon Photos", "Amazon Photos", "Amazon Fotos"), ("Prime, Video", "Prime Vidéo", ""))
    assert table.skipped == ()


def test_a_tsv_file_is_split_at_tabs_only():
    table = parse_terminology("\ufeffen\tfr\nA, B\tC, D\n".encode(), TSV)  # a byte order mark is allowed
    assert table.rows == (("A, B", "C, D"),)


def test_a_tmx_file_has_its_headers_srclang_as_source():
    table = parse_terminology(tmx("en", {"en": "Amazon", "fr": "Amazon", "es": "Amazonas"}, {"en": "cloud", "es": "nube"}), TMX)
    assert table.languages == ("en", "fr", "es")
    assert table.rows == (("Amazon", "Amazon", "Amazonas"), ("cloud", "", "nube"))


def test_a_multi_directional_terminology_translates_from_any_of_its_languages():
    table = parse_terminology(b"en,es\ncloud,nube\n", CSV, Directionality.MULTI)
    assert table.terms("en", "es").pairs == (("cloud", "nube"),)
    assert table.terms("es", "en").pairs == (("nube", "cloud"),)
    uni = parse_terminology(b"en,es\ncloud,nube\n", CSV)
    assert not uni.terms("es", "en")  # UNI: only from its source


@pytest.mark.parametrize(("data", "form", "why"), [
    (b"en,xx\na,b\n", CSV, "not a supported language code"),
    (b"en,fr,fr\na,b,c\n", CSV, "names a language twice"),
    (b"en\nAmazon\n", CSV, "at least two languages"),
    (("en," + ",".join(["fr", "de", "es", "it", "ja", "ko", "pt", "zh", "ru", "ar", "nl"]) + "\n").encode() + b"a" + b",b" * 11,
     CSV, "at most 10"),
    (b"en,fr\n,Amazon\n", CSV, "no usable term"),
    (b"", CSV, "is empty"),
    (b"en,fr\n\xff\xfe,x\n", CSV, "not UTF-8"),
    (b'<?xml version="1.0"?><!DOCTYPE tmx [<!ENTITY e "x">]><tmx><header srclang="en"/><body/></tmx>', TMX, "without a DTD"),
    (b"<tmx><body></body></tmx>", TMX, "<header>"),
    (b"<tmx><header/><body><tu/></body></tmx>", TMX, "srclang"),
    (b"not xml", TMX, "well-formed"),
])
def test_a_file_that_cannot_be_used_is_refused_saying_why(data, form, why):
    with pytest.raises(InvalidParameterValueError, match=why):
        parse_terminology(data, form)


def test_terms_that_cannot_be_used_are_skipped_each_with_its_reason():
    long = "x" * 201
    table = parse_terminology(f"en,fr\nAmazon,Amazon\n,orphan\n{long},y\nAMAZON,autre\nsolo,\na,b,c\n".encode(), CSV)
    assert table.rows == (("Amazon", "Amazon"),)
    assert [line.split(":")[0] for line in table.skipped] == ["Term 3", "Term 4", "Term 5", "Term 6", "Term 7"]
    assert "longer than 200 bytes" in table.skipped[1]
    assert "already a term" in table.skipped[2]  # the same source in another case: the first one is kept


@pytest.mark.parametrize("form", list(TerminologyFormat))
def test_a_terminology_exported_in_any_format_reads_back_as_the_same_terms(form):
    table = parse_terminology(b'en,fr,de\n"Prime, Video",Prime <Vid\xc3\xa9o>,&Fotos\nsolo,seul,\n', CSV)
    again = parse_terminology(table.export(form), form)
    assert (again.languages, again.rows) == (table.languages, table.rows)


# ---------- applying terms ----------


def terms(*pairs: tuple[str, str], source: str = "en") -> Terms:
    return TermTable(("en" if source == "en" else source, "fr"), tuple(pairs)).terms(source, "fr")


def test_a_term_matches_whatever_its_case_and_comes_out_in_the_case_it_replaced():
    found = terms(("amazon photos", "photos d'amazon"))
    assert apply_terms("Try amazon photos.", found)[0] == "Try photos d'amazon."  # lower: as the file has it
    assert apply_terms("Try AMAZON PHOTOS.", found)[0] == "Try PHOTOS D'AMAZON."  # upper: upper
    assert apply_terms("Try Amazon Photos.", found)[0] == "Try Photos D'amazon."  # title: each word capitalized
    assert apply_terms("Try aMAZON Photos.", found)[0] == "Try photos d'amazon."  # anything else: as the file has it


@pytest.mark.parametrize(("found", "target", "expected"), [
    ("cloud", "Nube", "Nube"), ("CLOUD", "nube", "NUBE"), ("Cloud Drive", "unidad de nube", "Unidad De Nube"),
    ("iPhone", "iPhone X", "iPhone X"), ("42", "quarante-deux", "quarante-deux"),
])
def test_the_guides_four_cases(found, target, expected):
    assert in_case_of(found, target) == expected


def test_a_term_matches_only_whole_words():
    found = terms(("cat", "chat"))
    assert apply_terms("category cats cat. Cat-like concat", found)[0] == "category cats chat. Chat-like concat"


def test_the_longest_term_wins_where_terms_overlap():
    found = terms(("Amazon", "Amazon"), ("Amazon Web Services", "AWS-FR"))
    text, matches = apply_terms("Amazon Web Services and Amazon", found)
    assert text == "AWS-FR and Amazon"
    assert [(match.start, match.end) for match in matches] == [(0, 19), (24, 30)]


def test_a_term_starting_with_punctuation_or_holding_a_changing_letter_matches():
    found = terms(("#AmazonSmile", "#SourireAmazon"), ("Straße", "rue"))
    assert apply_terms("see #amazonsmile on the Straße", found)[0] == "see #SourireAmazon on the Rue"


def test_in_languages_written_without_spaces_a_term_matches_inside_text():
    found = terms(("東京", "Tokyo"), source="ja")
    assert apply_terms("私は東京に住んでいます", found)[0] == "私はTokyoに住んでいます"


def test_applied_terms_are_listed_once_in_the_order_found_at_most_250():
    found = terms(*((f"term{n}", f"terme{n}") for n in range(300)))
    text = " ".join(f"term{n}" for n in (*range(300), 0))
    listed = applied(apply_terms(text, found)[1])
    assert len(listed) == 250 and listed[0] == ("term0", "terme0") and listed[-1] == ("term249", "terme249")


# ---------- through an engine ----------


def marking(texts: list[str]) -> list[str]:
    """An engine that keeps what it does not know (the pseudo engine's way): '[fr] ' before each text."""
    return [f"[fr] {text.strip()}" if text.strip() else text for text in texts]


def garbling(texts: list[str]) -> list[str]:
    """An engine that loses what it does not know (a neural model's <unk>): the placeholders' brackets go."""
    return [("[fr] " + text.strip()).replace("\u27e6", "").replace("\u27e7", "") for text in texts]


def test_terms_come_out_as_their_targets_through_an_engine_that_keeps_placeholders():
    found = terms(("Amazon Photos", "Photos Amazon"), ("cloud", "nuage"))
    calls: list[list[str]] = []

    def engine(texts: list[str]) -> list[str]:
        calls.append(texts)
        return marking(texts)

    out, applied_terms = translate_with_terms(["Back up to the CLOUD with Amazon Photos.", "Nothing here."], found, engine)
    assert out == ["[fr] Back up to the NUAGE with Photos Amazon.", "[fr] Nothing here."]
    assert [[(m.source_text, m.replacement) for m in matches] for matches in applied_terms] == [
        [("cloud", "NUAGE"), ("Amazon Photos", "Photos Amazon")], []]
    assert len(calls) == 1  # one call for the whole round


def test_terms_are_applied_around_an_engine_that_loses_placeholders():
    found = terms(("Amazon Photos", "Photos Amazon"))
    out, _ = translate_with_terms(["Use Amazon Photos daily.", "Amazon Photos"], found, garbling)
    # The text around each term translated on its own, the term put between: the term is there, whatever the engine.
    assert out == ["[fr] Use Photos Amazon [fr] daily.", "Photos Amazon"]


def test_without_terms_the_engine_sees_the_segments_as_they_are():
    seen: list[list[str]] = []
    out, applied_terms = translate_with_terms(["a", "b"], terms(), lambda texts: seen.append(texts) or marking(texts))
    assert seen == [["a", "b"]] and out == ["[fr] a", "[fr] b"] and applied_terms == [[], []]


def test_a_segment_the_memory_holds_comes_out_as_stored_with_its_whitespace():
    from translate_jobs.domain.parallel_data import from_memory, memory_key

    stored = {memory_key("Hello, world."): "Bonjour, le monde."}
    found = from_memory(["  Hello,   world.\n", "hello, world.", "", "Other."], stored.get)
    assert found == {0: "  Bonjour, le monde.\n"}  # whitespace collapsed to look up; case kept
