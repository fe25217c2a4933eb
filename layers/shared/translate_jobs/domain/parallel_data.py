"""Parallel data: translation examples (a source segment and its translations), read from a TMX, CSV or TSV
file as a stream, and used as a translation memory.

A CSV or TSV file's first line names the languages, the source first (``en,fr,de``), then one example a
line; a TMX file names its source in its header (``srclang``) and has one ``<tu>`` an example. Amazon
Translate's rules: one source language; a segment of at most 1,000 bytes; empty lines, and examples
without a source or without a translation, are skipped (SkippedRecordCount); an example that cannot be
read (more texts than languages, a segment too long) fails (FailedRecordCount); ImportedDataSize counts the
characters of the examples imported, not of the file's markup.

As a translation memory (this service's addition, beyond Amazon Translate): a segment a job translates
whose text, with its whitespace collapsed, is an example's source comes out as the example's translation.
"""

import csv
import hashlib
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from translate_jobs.domain.errors import InvalidParameterValueError, shown
from translate_jobs.domain.languages import SUPPORTED_LANGUAGE_CODES

MAX_SEGMENT_BYTES = 1000
MAX_PROBLEMS_LISTED = 1000  # lines of the auxiliary file that says what was skipped or failed, and why
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def memory_key(segment: str) -> str:
    """How a segment is looked up in the memory: its text, whitespace collapsed (the case is kept)."""
    return " ".join(segment.split())


def shard_of(key: str, shards: int) -> int:
    """The shard of the memory that holds ``key`` (stable across processes, unlike hash())."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") % shards


@dataclass(frozen=True)
class Example:
    source: str
    translations: dict[str, str]  # target language -> text


@dataclass
class ReadCounts:
    imported: int = 0
    failed: int = 0
    skipped: int = 0
    characters: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, line: str) -> None:
        if len(self.problems) < MAX_PROBLEMS_LISTED:
            self.problems.append(line)


class ExampleReader:
    """The examples of a parallel data file, read from a binary stream (an S3 body) as they are needed."""

    def __init__(self, stream: IO[bytes], form: str) -> None:
        self.stream, self.form = stream, form
        self.counts = ReadCounts()
        self.source_language = ""
        self.target_languages: list[str] = []

    def examples(self) -> Iterator[Example]:
        rows = self._tmx() if self.form == "TMX" else self._table()
        for number, texts in rows:
            example = self._example(number, texts)
            if example is not None:
                self.counts.imported += 1
                self.counts.characters += len(example.source) + sum(map(len, example.translations.values()))
                yield example

    def _example(self, number: int, texts: dict[str, str] | None) -> Example | None:
        if texts is None:
            self.counts.failed += 1
            self.counts.problem(f"Record {number}: it has more texts than the file has languages.")
            return None
        long = [text for text in texts.values() if len(text.encode()) > MAX_SEGMENT_BYTES]
        if long:
            self.counts.failed += 1
            self.counts.problem(f"Record {number}: {shown(long[0])} is longer than {MAX_SEGMENT_BYTES} bytes.")
            return None
        source = texts.get(self.source_language, "")
        translations = {language: text for language, text in texts.items() if language != self.source_language and text}
        if not source or not translations:
            self.counts.skipped += 1
            self.counts.problem(f"Record {number}: it has no source text or no translation.")
            return None
        return Example(source, translations)

    def _table(self) -> Iterator[tuple[int, dict[str, str] | None]]:
        text = io.TextIOWrapper(self.stream, encoding="utf-8-sig", newline="")
        options: dict[str, Any] = {"delimiter": "\t", "quoting": csv.QUOTE_NONE} if self.form == "TSV" else {}
        reader = csv.reader(text, **options)
        try:
            header = [cell.strip() for cell in next(reader, [])]
            self._languages(header[0] if header else "", header[1:])
            for row in reader:
                if not any(cell.strip() for cell in row):
                    self.counts.skipped += 1
                    continue
                cells = [cell.strip() for cell in row]
                yield reader.line_num, (dict(zip(header, cells, strict=False)) if len(cells) <= len(header) else None)
        except (UnicodeDecodeError, csv.Error) as error:
            where = f"after line {reader.line_num}"
            raise InvalidParameterValueError(f"The {self.form} file cannot be read {where}: {shown(error)}.") from None

    def _tmx(self) -> Iterator[tuple[int, dict[str, str] | None]]:
        from defusedxml import DefusedXmlException  # here: only an import of a TMX file needs an XML parser
        from defusedxml.ElementTree import iterparse

        number = 0
        try:
            for event, element in iterparse(self.stream, events=("start", "end"), forbid_dtd=True):
                if event == "start" and element.tag == "header":
                    self._languages(element.get("srclang", ""), None)
                elif event == "end" and element.tag == "tu":
                    number += 1
                    texts: dict[str, str] = {}
                    for variant in element.iter("tuv"):
                        segment = variant.find("seg")
                        language = variant.get(_XML_LANG) or variant.get("lang") or ""
                        texts[language] = "".join(segment.itertext()).strip() if segment is not None else ""
                        if language != self.source_language and language not in self.target_languages:
                            self._add_target(language)
                    element.clear()  # the file is read as a stream: a unit is dropped once read
                    yield number, texts
        except (DefusedXmlException, SyntaxError) as error:
            raise InvalidParameterValueError(f"The TMX file is not well-formed XML without a DTD: {shown(error)}.") from None
        if not self.source_language:
            raise InvalidParameterValueError("The TMX file has no <header> naming its source language (srclang).")

    def _languages(self, source: str, targets: list[str] | None) -> None:
        if source not in SUPPORTED_LANGUAGE_CODES:
            where = "its first column's name" if targets is not None else "its header's srclang"
            raise InvalidParameterValueError(
                f"The parallel data file's source language ({where}) {shown(source)} is not a supported language code."
            )
        self.source_language = source
        for target in targets or ():
            self._add_target(target)

    def _add_target(self, language: str) -> None:
        if language not in SUPPORTED_LANGUAGE_CODES or language == self.source_language or language in self.target_languages:
            raise InvalidParameterValueError(
                f"The parallel data file names the target language {shown(language)}: not a supported language code, "
                "the source language, or a language named twice."
            )
        self.target_languages.append(language)


def from_memory(segments: Sequence[str], lookup: Callable[[str], str | None]) -> dict[int, str]:
    """The segments the memory translates: their index -> the stored translation, with the whitespace the segment
    had around its text (``lookup`` takes a memory_key and gives the translation for the target, or None)."""
    found: dict[int, str] = {}
    for index, segment in enumerate(segments):
        if segment.strip() and (stored := lookup(memory_key(segment))) is not None:
            core = segment.strip()
            start = segment.index(core)
            found[index] = segment[:start] + stored + segment[start + len(core):]
    return found
