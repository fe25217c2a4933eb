"""Text as engines cut it: into lines or sentences and back (``Units``), or under a request's byte limit
(``split_text``). Whatever is cut, the whitespace, line breaks and blank lines between the pieces come
back exactly where they were: only the pieces are translated."""

import re
from collections.abc import Sequence

# Characters that end a line (str.splitlines' set): a unit never spans one.
_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
# A line's text: from its first non-space character to its last one.
_LINE_TEXT = re.compile(rf"[^\s](?:[^{_LINE_BREAKS}]*[^\s])?")
# Where a sentence may end: terminal punctuation, closing quotes or brackets, then whitespace (Latin,
# Cyrillic, Greek...); or the ideographic full stops, which need no whitespace after them.
_SENTENCE_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019\u00bb)\]]*(\s+)|[\u3002\uff01\uff1f]+[\u300d\u300f\uff09\u201d]*(\s*)")
_OPENERS = "\"'\u201c\u2018\u00ab([\u300c\u300e\uff08"
# Words before a full stop that does not end a sentence (lower-cased, without the stop).
_ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "cf", "al", "fig", "no", "nr",
        "vol", "pp", "ca", "approx", "inc", "ltd", "co", "corp", "dept", "est", "jan", "feb", "mar", "apr", "jun",
        "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "ft",
    }
)  # fmt: skip


def sentences(text: str) -> list[str]:
    """``text`` (one line's text) cut into sentences; the whitespace between two stays at the end of the first."""
    cuts = [0]
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if end >= len(text) or not _ends_sentence(text, match.start(), end):
            continue
        cuts.append(end)
    cuts.append(len(text))
    return [text[start:end] for start, end in zip(cuts, cuts[1:], strict=False) if start < end]


def _ends_sentence(text: str, stop: int, next_start: int) -> bool:
    following = text[next_start]
    if text[stop] in "\u3002\uff01\uff1f":
        return True
    uncased = following.isalpha() and not following.islower() and not following.isupper()  # Arabic, Hindi...
    if not (following.isupper() or following.isdigit() or following in _OPENERS or uncased):
        return False  # "e.g. this", "3.5 m", a lower-case continuation
    if text[stop] != ".":
        return True
    word = text[:stop].rsplit(None, 1)[-1].lstrip(_OPENERS).lower() if text[:stop].strip() else ""
    return not (len(word) == 1 and word.isalpha()) and word not in _ABBREVIATIONS  # "J. Smith", "Dr. Who"


class Units:
    """The units an engine translates in some segments (each line's text, or each sentence of it), each
    distinct unit once, and the segments rebuilt from the units' translations."""

    def __init__(self, segments: Sequence[str], *, by_sentence: bool) -> None:
        self.units: list[str] = []
        self._index: dict[str, int] = {}
        # Per segment: its literal text (whitespace, line breaks) and the indexes of its units, in order.
        self._layouts: list[list[str | int]] = [self._layout(segment, by_sentence) for segment in segments]

    def _layout(self, segment: str, by_sentence: bool) -> list[str | int]:
        layout: list[str | int] = []
        position = 0
        for line in _LINE_TEXT.finditer(segment):
            layout.append(segment[position : line.start()])
            for piece in sentences(line.group()) if by_sentence else [line.group()]:
                core = piece.rstrip()
                layout.append(self._unit(core))
                layout.append(piece[len(core) :])
            position = line.end()
        layout.append(segment[position:])
        return [part for part in layout if part != ""]

    def _unit(self, text: str) -> int:
        if text not in self._index:
            self._index[text] = len(self.units)
            self.units.append(text)
        return self._index[text]

    def rebuild(self, translations: Sequence[str]) -> list[str]:
        """The segments, each unit replaced by its translation (``translations[i]`` for ``units[i]``)."""
        if len(translations) != len(self.units):
            raise ValueError(f"{len(translations)} translations for {len(self.units)} units")
        return ["".join(part if isinstance(part, str) else translations[part] for part in layout) for layout in self._layouts]


# ---------- text under a request limit ----------

_BOUNDARIES = (
    re.compile(r"\n[ \t\r\f\v]*\n\s*"),  # paragraphs: a blank line
    re.compile(r"(?<=[.!?;:\u3002\uff01\uff1f])\s+"),  # sentences
    re.compile(r"\s+"),  # words
)


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def split_text(text: str, max_bytes: int) -> list[str]:
    """Cut ``text`` into pieces of at most ``max_bytes`` UTF-8 bytes whose concatenation is ``text``.

    Cuts fall after paragraph breaks if possible, else after sentence ends, else at whitespace, and
    only as a last resort inside a word (never inside a character)."""
    return _split(text, max_bytes, 0)


def _split(text: str, max_bytes: int, level: int) -> list[str]:
    if utf8_size(text) <= max_bytes:
        return [text] if text else []
    if level == len(_BOUNDARIES):
        return _split_characters(text, max_bytes)
    units, start = [], 0
    for match in _BOUNDARIES[level].finditer(text):
        if match.end() < len(text):
            units.append(text[start : match.end()])  # each unit keeps its trailing separator
            start = match.end()
    units.append(text[start:])
    chunks: list[str] = []
    current = ""
    for unit in units:
        if current and utf8_size(current) + utf8_size(unit) <= max_bytes:
            current += unit
            continue
        if current:
            chunks.append(current)
        current = ""
        if utf8_size(unit) <= max_bytes:
            current = unit
        else:
            chunks.extend(_split(unit, max_bytes, level + 1))
    if current:
        chunks.append(current)
    return chunks


def _split_characters(text: str, max_bytes: int) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        size = utf8_size(char)
        if used + size > max_bytes:
            chunks.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += size
    if current:
        chunks.append("".join(current))
    return chunks
