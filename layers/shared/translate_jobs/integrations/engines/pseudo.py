"""The ``pseudo`` engine: offline and deterministic, it marks text instead of translating it."""

from collections.abc import Sequence
from typing import Any

from translate_jobs.integrations.engines.base import LanguagePair, TranslationOptions


class PseudoEngine:
    """Marks each line as processed for the target language (``[fr] Hello``), keeping line breaks and the
    whitespace around each line. It serves every pair the service accepts."""

    batch_characters = 0  # one document at a time: nothing to gain from more
    max_document_characters: int | None = None

    def serves(self, pair: LanguagePair) -> bool:
        return True

    def problem(self) -> str | None:
        return None

    def translate_segments(self, segments: Sequence[str], pair: LanguagePair, options: TranslationOptions) -> list[str]:
        return [self.translate(segment, pair.source, pair.target) for segment in segments]

    def translate(self, text: str, source: str, target: str, settings: Any = None) -> str:
        """One text marked (the documents module's tests call it so)."""
        return "".join(self._mark(line, target) for line in text.splitlines(keepends=True))

    @staticmethod
    def _mark(line: str, target: str) -> str:
        content = line.strip()
        if not content:
            return line
        start = line.index(content)
        return f"{line[:start]}[{target}] {content}{line[start + len(content):]}"
