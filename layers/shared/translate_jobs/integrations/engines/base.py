"""The engine interface (see the package's docstring): the types every engine and its callers share."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from translate_jobs.domain.errors import DocumentError as DocumentError  # the engines' callers catch the domain's one


class EngineError(Exception):
    """The engine cannot translate at all (its service refused us, a model is missing): the job fails
    with this message, which says what the engine needs."""


@dataclass(frozen=True)
class LanguagePair:
    source: str
    target: str

    def __str__(self) -> str:
        return f"{self.source} to {self.target}"


@dataclass(frozen=True)
class TranslationOptions:
    """What a job asks of the translation besides the languages (StartTextTranslationJob's Settings and
    TerminologyNames; the terms found, for an engine that takes them: workflow/customized.py)."""

    formality: str | None = None  # FORMAL | INFORMAL
    profanity: str | None = None  # MASK
    brevity: str | None = None  # ON
    terminology_names: tuple[str, ...] = ()
    # Source term -> target term (in the case it replaces), for an engine that takes terms rather than names
    # (bedrock's prompt): the terms of the job's terminology found in the text sent (workflow/customized.py).
    terms: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of_job(cls, settings: Mapping[str, Any] | None, terminology_names: Sequence[str] = ()) -> "TranslationOptions":
        settings = settings or {}
        return cls(
            formality=settings.get("Formality") or None,
            profanity=settings.get("Profanity") or None,
            brevity=settings.get("Brevity") or None,
            terminology_names=tuple(terminology_names),
        )

    def settings(self) -> dict[str, str]:
        """As Amazon Translate's TranslationSettings: only the members that are set."""
        members = {"Formality": self.formality, "Profanity": self.profanity, "Brevity": self.brevity}
        return {name: value for name, value in members.items() if value}


class Engine(Protocol):
    batch_characters: int
    max_document_characters: int | None

    def serves(self, pair: LanguagePair) -> bool: ...

    def translate_segments(self, segments: Sequence[str], pair: LanguagePair, options: TranslationOptions) -> list[str]: ...

    def problem(self) -> str | None: ...


class EngineClients(Protocol):
    """Makes the engine's AWS client of a service (core.clients.OnFirstUse: made on first use); the engine
    is built once per execution environment, and so is its client."""

    def __call__(self, service: str, config: Any = None) -> Any: ...
