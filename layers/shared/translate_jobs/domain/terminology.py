"""Custom terminology: the file a caller imports (CSV, TSV or TMX), and the terms it makes a translation use.

A terminology file is a table of terms, one column (CSV, TSV) or ``<tuv xml:lang>`` (TMX) per language::

    en,fr,de                                  <tmx version="1.4"><header srclang="en" .../><body>
    Amazon Photos,Amazon Photos,Amazon Photos   <tu><tuv xml:lang="en"><seg>Amazon Photos</seg></tuv>
                                                    <tuv xml:lang="fr"><seg>Amazon Photos</seg></tuv></tu>

With ``Directionality`` UNI (the default) the first column (TMX: the header's srclang) is the source and
every other language a target; with MULTI any language of the file is a source for every other one.

How a term applies (Amazon Translate Developer Guide, "Custom terminology", its current case-insensitive
matching): a source term matches whatever its letter case, only as whole words (in languages written with
spaces between words), the longest term first where terms overlap. The target term comes out in the case
of the text it replaced: all lower case -> the target as in the file; ALL UPPER CASE -> the target upper
cased; Title Case (each word capitalized) -> each word of the target capitalized; anything else -> the
target as in the file.
"""

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from translate_jobs.domain.errors import InvalidParameterValueError, shown
from translate_jobs.domain.languages import SUPPORTED_LANGUAGE_CODES

MAX_FILE_BYTES = 10 * 1024 * 1024  # the model's TerminologyFile (10,485,760 bytes)
MAX_TERM_BYTES = 200  # a source or target term, UTF-8
MAX_TARGET_LANGUAGES = 10
MAX_APPLIED_TERMS = 250  # AppliedTerminology lists the first 250 terms found in the source text
# Written without spaces between words: a term matches wherever its characters appear.
UNSPACED_LANGUAGES = frozenset({"ja", "zh", "zh-TW", "th"})
# Where a term can start in spaced text: a word, or a character that is neither a word's nor a space.
_START = re.compile(r"\w+|[^\w\s]")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class TerminologyFormat(StrEnum):
    CSV = "CSV"
    TSV = "TSV"
    TMX = "TMX"


class Directionality(StrEnum):
    UNI = "UNI"
    MULTI = "MULTI"


@dataclass(frozen=True)
class TermTable:
    """A terminology file's terms: its languages (the source first for UNI) and one row of texts per term
    ("" where a row has no text for a language). What was skipped, and why, is kept for the caller."""

    languages: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    directionality: Directionality = Directionality.UNI
    skipped: tuple[str, ...] = ()  # one line per skipped term, saying why

    @property
    def source_language(self) -> str:
        return self.languages[0]

    @property
    def target_languages(self) -> tuple[str, ...]:
        return self.languages[1:] if self.directionality == Directionality.UNI else self.languages

    def sources(self) -> tuple[str, ...]:
        """The languages a term of this table can be translated from."""
        return self.languages[:1] if self.directionality == Directionality.UNI else self.languages

    def as_data(self) -> dict[str, Any]:
        return {"Languages": list(self.languages), "Directionality": self.directionality.value,
                "Rows": [list(row) for row in self.rows]}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "TermTable":
        return cls(tuple(data["Languages"]), tuple(tuple(row) for row in data["Rows"]), Directionality(data["Directionality"]))

    def export(self, form: TerminologyFormat) -> bytes:
        """The terms as a file of ``form``: what GetTerminology offers for download."""
        if form == TerminologyFormat.TMX:
            return _tmx(self)
        if form == TerminologyFormat.TSV:  # TSV has no quoting: a tab or a line break in a term becomes a space
            lines = ["\t".join(self.languages)] + ["\t".join(re.sub(r"[\t\r\n]", " ", cell) for cell in row) for row in self.rows]
            return ("\n".join(lines) + "\n").encode()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.languages)
        writer.writerows(self.rows)
        return out.getvalue().encode()

    def terms(self, source: str, target: str) -> "Terms":
        """The terms that translate ``source`` text to ``target``: empty if the table has none for the pair."""
        if source not in self.sources() or target not in self.languages or source == target:
            return Terms(source)
        s, t = self.languages.index(source), self.languages.index(target)
        return Terms(source, tuple((row[s], row[t]) for row in self.rows if row[s] and row[t]))


def parse_terminology(data: bytes, form: TerminologyFormat, directionality: Directionality = Directionality.UNI) -> TermTable:
    """The terms of an imported file; InvalidParameterValueError saying what is wrong with a file that has none."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidParameterValueError(f"The terminology file is {len(data)} bytes; it may be at most {MAX_FILE_BYTES}.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidParameterValueError(f"The terminology file is not UTF-8 (byte {error.start}).") from None
    languages, rows = _tmx_rows(text, directionality) if form == TerminologyFormat.TMX else _table_rows(text, form)
    _check_languages(languages, directionality)
    return _kept(languages, rows, directionality)


def _table_rows(text: str, form: TerminologyFormat) -> tuple[list[str], list[list[str]]]:
    options: dict[str, Any] = {"delimiter": "\t", "quoting": csv.QUOTE_NONE} if form == TerminologyFormat.TSV else {}
    try:
        table = [row for row in csv.reader(io.StringIO(text, newline=""), **options) if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise InvalidParameterValueError(f"The {form} file cannot be read: {error}.") from None
    if not table:
        raise InvalidParameterValueError(f"The {form} file is empty: its first line must name the languages (e.g. en,fr).")
    header = [cell.strip() for cell in table[0]]
    return header, [[cell.strip() for cell in row] for row in table[1:]]


def _tmx_rows(text: str, directionality: Directionality) -> tuple[list[str], list[list[str]]]:
    # Imported here: the API function's cold start (Stop, Describe) does without an XML parser.
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(text, forbid_dtd=True)
    except (DefusedXmlException, SyntaxError) as error:  # ParseError is a SyntaxError
        raise InvalidParameterValueError(f"The TMX file is not well-formed XML without a DTD: {shown(error)}.") from None
    header = root.find("header")
    if root.tag != "tmx" or header is None or root.find("body") is None:
        raise InvalidParameterValueError("The TMX file has no <tmx> root with a <header> and a <body>.")
    units: list[dict[str, str]] = []
    languages: list[str] = []
    source = header.get("srclang", "")
    if directionality == Directionality.UNI:
        if source in ("", "*all*"):
            raise InvalidParameterValueError("A UNI terminology's TMX header must name its source language (srclang).")
        languages.append(source)
    for unit in root.iter("tu"):
        texts: dict[str, str] = {}
        for variant in unit.iter("tuv"):
            language = variant.get(_XML_LANG) or variant.get("lang") or ""
            segment = variant.find("seg")
            texts[language] = "".join(segment.itertext()).strip() if segment is not None else ""
            if language not in languages:
                languages.append(language)
        units.append(texts)
    return languages, [[texts.get(language, "") for language in languages] for texts in units]


def _check_languages(languages: Sequence[str], directionality: Directionality) -> None:
    unknown = [code for code in languages if code not in SUPPORTED_LANGUAGE_CODES]
    if unknown:
        raise InvalidParameterValueError(
            f"The terminology file names {shown(', '.join(unknown))}, not a supported language code "
            "(its first line, or TMX's xml:lang and srclang, must name languages such as en, fr, zh-TW)."
        )
    if len(set(languages)) != len(languages):
        raise InvalidParameterValueError("The terminology file names a language twice.")
    if len(languages) < 2:
        raise InvalidParameterValueError("The terminology file must name at least two languages: a source and a target.")
    if len(languages) - 1 > MAX_TARGET_LANGUAGES:
        raise InvalidParameterValueError(
            f"The terminology file has {len(languages) - 1} target languages; it may have at most {MAX_TARGET_LANGUAGES}."
        )


def _kept(languages: list[str], rows: list[list[str]], directionality: Directionality) -> TermTable:
    """The rows that can be used; each other one skipped with its reason (AWS's SkippedTermCount)."""
    kept: list[tuple[str, ...]] = []
    skipped: list[str] = []
    seen: list[set[str]] = [set() for _ in languages]
    sources = range(1) if directionality == Directionality.UNI else range(len(languages))
    for number, row in enumerate(rows, start=2):
        cells = (row + [""] * len(languages))[: len(languages)]
        too_long = [cell for cell in cells if len(cell.encode()) > MAX_TERM_BYTES]
        if len(row) > len(languages):
            skipped.append(f"Term {number}: it has {len(row)} texts for {len(languages)} languages.")
        elif too_long:
            skipped.append(f"Term {number}: {shown(too_long[0])} is longer than {MAX_TERM_BYTES} bytes.")
        elif not any(cells[s] for s in sources) or sum(1 for cell in cells if cell) < 2:
            skipped.append(f"Term {number}: it has no source text or no target text.")
        elif any(cells[s] and cells[s].casefold() in seen[s] for s in sources):
            skipped.append(f"Term {number}: its source text {shown(next(cells[s] for s in sources if cells[s]))} "
                           "is already a term (the first one is kept).")
        else:
            for s in sources:
                if cells[s]:
                    seen[s].add(cells[s].casefold())
            kept.append(tuple(cells))
    if not kept:
        raise InvalidParameterValueError(
            "The terminology file has no usable term: each term needs a source text and at least one target text."
            + (f" {skipped[0]}" if skipped else "")
        )
    return TermTable(tuple(languages), tuple(kept), directionality, tuple(skipped))


def _tmx(table: TermTable) -> bytes:
    from xml.sax.saxutils import escape, quoteattr

    source = table.source_language if table.directionality == Directionality.UNI else "*all*"
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<tmx version="1.4">',
             f'  <header srclang={quoteattr(source)} datatype="plaintext" segtype="phrase" adminlang="en" '
             'creationtool="translate-jobs" creationtoolversion="1" o-tmf="translate-jobs"/>', "  <body>"]
    for row in table.rows:
        lines.append("    <tu>")
        lines += [f'      <tuv xml:lang={quoteattr(language)}><seg>{escape(text)}</seg></tuv>'
                  for language, text in zip(table.languages, row, strict=True) if text]
        lines.append("    </tu>")
    lines += ["  </body>", "</tmx>", ""]
    return "\n".join(lines).encode()


# ---------- applying terms to text ----------


@dataclass(frozen=True)
class Match:
    """A term found in a text: where, the text it covers, and the target term in that text's case."""

    start: int
    end: int
    source_text: str  # the term as the terminology writes it
    target_text: str  # the term's target, as the terminology writes it
    replacement: str  # the target in the case of the text it replaces


@dataclass(frozen=True)
class Terms:
    """The terms of one language pair, indexed for matching: by the case-folded first word of each term (or its
    first character, in a language written without spaces)."""

    source_language: str
    pairs: tuple[tuple[str, str], ...] = ()
    _index: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for source, target in self.pairs:
            folded = source.casefold()
            self._index.setdefault(self._head(folded), []).append((folded, source, target))
        for candidates in self._index.values():
            candidates.sort(key=lambda candidate: -len(candidate[1]))  # the longest term first

    def __bool__(self) -> bool:
        return bool(self.pairs)

    @property
    def unspaced(self) -> bool:
        return self.source_language in UNSPACED_LANGUAGES

    def _head(self, folded: str) -> str:
        if self.unspaced:
            return folded[:1]
        start = _START.match(folded)
        return start.group(0) if start else folded[:1]

    def find(self, text: str) -> list[Match]:
        """The terms in ``text``, left to right, none overlapping (the longest wins where they would)."""
        found: list[Match] = []
        position = 0
        for start, head in self._starts(text):
            if start < position:
                continue
            for folded, source, target in self._index.get(head, ()):
                end = start + len(source)
                if text[start:end].casefold() == folded and self._bounded(text, start, end):
                    found.append(Match(start, end, source, target, in_case_of(text[start:end], target)))
                    position = end
                    break
        return found

    def _starts(self, text: str) -> Iterator[tuple[int, str]]:
        if self.unspaced:
            for index, char in enumerate(text):
                yield index, char.casefold()
        else:
            for word in _START.finditer(text):
                yield word.start(), word.group(0).casefold()

    def _bounded(self, text: str, start: int, end: int) -> bool:
        if self.unspaced:
            return True
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        return not (_is_word(before) and _is_word(text[start])) and not (_is_word(after) and _is_word(text[end - 1]))


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def in_case_of(found: str, target: str) -> str:
    """The target term in the case of the source text it replaces (the guide's four cases)."""
    letters = [char for char in found if char.isalpha()]
    if not letters or found == found.lower():
        return target
    if found == found.upper():
        return target.upper()
    words = found.split()
    if all(word[:1].isupper() and word[1:] == word[1:].lower() for word in words if word[:1].isalpha()):
        return " ".join(word[:1].upper() + word[1:] for word in target.split(" "))
    return target


def apply_terms(text: str, terms: Terms) -> tuple[str, list[Match]]:
    """``text`` with each term found replaced by its target term (in the found text's case), and the matches."""
    matches = terms.find(text)
    if not matches:
        return text, []
    out: list[str] = []
    position = 0
    for match in matches:
        out += [text[position:match.start], match.replacement]
        position = match.end
    out.append(text[position:])
    return "".join(out), matches


def applied(matches: Sequence[Match]) -> list[tuple[str, str]]:
    """The distinct terms of ``matches`` (source, target as the terminology writes them), in the order they were
    first found, at most MAX_APPLIED_TERMS (what AppliedTerminology lists)."""
    listed = dict.fromkeys((match.source_text, match.target_text) for match in matches)
    return list(listed)[:MAX_APPLIED_TERMS]


# ---------- terms through an engine ----------

# Stands for the i-th term of a segment while an engine translates it: brackets no language's text uses, around a
# number (engines copy numbers), so an engine that keeps what it cannot translate gives it back as it was.
PLACEHOLDER = "\u27e6{}\u27e7"
Translate = Callable[[list[str]], list[str]]  # texts of one language pair -> their translations, as many, in order


def protect(text: str, matches: Sequence[Match]) -> str:
    """``text`` with each match replaced by its placeholder."""
    out, position = [], 0
    for index, match in enumerate(matches):
        out += [text[position:match.start], PLACEHOLDER.format(index)]
        position = match.end
    out.append(text[position:])
    return "".join(out)


def restore(translated: str, matches: Sequence[Match]) -> str | None:
    """The translation with each placeholder replaced by its target term; None if the engine did not give every
    placeholder back exactly once (then the segment is translated around its terms instead)."""
    if any(translated.count(PLACEHOLDER.format(index)) != 1 for index in range(len(matches))):
        return None
    for index, match in enumerate(matches):
        translated = translated.replace(PLACEHOLDER.format(index), match.replacement)
    return translated


def between(text: str, matches: Sequence[Match]) -> list[str]:
    """The text before, between and after the matches (one more piece than matches)."""
    bounds = [0, *(point for match in matches for point in (match.start, match.end)), len(text)]
    return [text[bounds[i]:bounds[i + 1]] for i in range(0, len(bounds), 2)]


def translate_with_terms(segments: Sequence[str], terms: Terms, translate: Translate) -> tuple[list[str], list[list[Match]]]:
    """``segments`` translated by ``translate`` with each term found coming out as its target term, in the case of
    the text it replaced, whatever the engine: the terms are sent as placeholders, and a segment whose
    placeholders the engine did not give back is translated again around its terms (the text between them
    translated, the target terms put between the translations: every term is applied, at the cost of the
    context across it). Returns the translations and, per segment, the terms applied."""
    found = [terms.find(segment) if terms else [] for segment in segments]
    translated = translate([protect(segment, matches) for segment, matches in zip(segments, found, strict=True)])
    restored = [restore(text, matches) if matches else text for text, matches in zip(translated, found, strict=True)]
    lost = [index for index, text in enumerate(restored) if text is None]
    if lost:
        pieces = [between(segments[index], found[index]) for index in lost]
        sent = [piece.strip() for each in pieces for piece in each if piece.strip()]
        answers = iter(translate(sent) if sent else [])
        for index, each in zip(lost, pieces, strict=True):
            # Each piece's own whitespace stays (the space between a word and the term next to it).
            parts = [_around(piece, next(answers).strip()) if piece.strip() else piece for piece in each]
            replacements = [match.replacement for match in found[index]] + [""]
            restored[index] = "".join(part + replacement for part, replacement in zip(parts, replacements, strict=True))
    return [str(text) for text in restored], found


def _around(piece: str, translation: str) -> str:
    """``translation`` with the whitespace ``piece`` had before and after its text."""
    core = piece.strip()
    start = piece.index(core)
    return piece[:start] + translation + piece[start + len(core):]
