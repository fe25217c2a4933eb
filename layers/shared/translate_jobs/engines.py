"""Translation engines, behind one small interface.

To add an engine, implement ``Engine.translate`` and register it in ENGINES under the name the
template's ``TranslationEngine`` parameter uses. Raise DocumentError for a problem with one
document (it is counted and reported, the job goes on); any other exception fails the batch.
"""

from typing import Any, Protocol


class DocumentError(Exception):
    """This document cannot be translated (the job records it and continues)."""


class Engine(Protocol):
    def translate(self, text: str, source: str, target: str, settings: dict[str, Any] | None) -> str: ...


class PseudoEngine:
    """A deterministic, offline stand-in: it does not translate, it marks each line as processed
    for the target language (``[fr] Hello``), keeping line breaks and surrounding whitespace."""

    def translate(self, text: str, source: str, target: str, settings: dict[str, Any] | None) -> str:
        return "".join(self._mark(line, target) for line in text.splitlines(keepends=True))

    @staticmethod
    def _mark(line: str, target: str) -> str:
        content = line.strip()
        if not content:
            return line
        start = line.index(content)
        return f"{line[:start]}[{target}] {content}{line[start + len(content):]}"


ENGINES: dict[str, type[Engine]] = {"pseudo": PseudoEngine}


def engine(name: str) -> Engine:
    try:
        return ENGINES[name]()
    except KeyError:
        raise RuntimeError(f"Unknown translation engine {name!r}; known: {sorted(ENGINES)}") from None
