"""Translation engines, behind one typed interface (``Engine``).

An engine translates many plain-text segments for one language pair at once::

    engine.translate_segments(segments, LanguagePair("en", "fr"), options) -> list[str]  # as many, in order

- A segment is plain text: the documents module has taken markup apart (an engine never sees HTML
  tags or XLIFF elements). It may hold several lines, and whitespace around them; the engine gives
  back the same line structure and the same whitespace around each line (``text.Units`` does that).
- ``options`` (``TranslationOptions``) carries the job's Formality, Profanity and Brevity and its
  terminology; an engine uses what it supports and ignores the rest.
- ``serves(pair)`` says whether the engine translates a pair: Start refuses a pair it does not serve
  (``check_language_pairs``), so a job never discovers it mid-way.
- ``batch_characters``: how much source text the engine translates efficiently in one call. The batch
  step gives it the segments of as many of the batch's documents as fit (one document at least); 0
  means one document at a time (an engine that gains nothing from more, e.g. one request per text).
- ``max_document_characters``: the most text of one document the engine translates within one
  invocation of TranslateBatchFunction (None: no such limit); a larger document fails alone, saying so.
- ``problem()`` says, without translating a document, why this engine cannot translate from where it
  runs (a service the emulator lacks, no models), or None: `make run` asks it at start-up.
- ``terminology`` (optional): how the engine takes a custom terminology (workflow/customized.py):
  ``placeholders`` (the default: the terms go through as placeholders, put back as their targets), ``prompt``
  (the terms found, in ``options.terms``), or ``names`` (the terminology's name, for a service that has it).
- ``applies_settings`` (optional, False): the engine applies Formality, Profanity and Brevity (TranslateText's
  AppliedSettings lists them then).

Errors: raise ``DocumentError`` for a problem of one document (recorded in the details file, the job
goes on; the batch step then retries the other documents of the call without it). Raise
``EngineError`` when the engine itself cannot work (refused credentials, a missing model): the job fails
with that message. Let transient infrastructure errors propagate after bounded retries as
``transient.as_retried`` does (the workflow retries the batch).

One engine object serves a whole execution environment (workflow/dependencies.py builds it with the
function's clients, once); it is called from several threads at once locally, so it keeps no state of
one call. To add an engine: a class with these five members, its factory in ENGINES under the name the
template's ``TranslationEngine`` parameter uses (add it to AllowedValues), and the permissions it needs
on TranslateBatchFunction only. docs/engines.md says more.
"""

from collections.abc import Callable, Sequence

from translate_jobs.core.config import EngineSettings
from translate_jobs.domain.errors import UnsupportedLanguagePairError
from translate_jobs.integrations.engines.base import (
    DocumentError,
    Engine,
    EngineClients,
    EngineError,
    LanguagePair,
    TranslationOptions,
)
from translate_jobs.integrations.engines.pseudo import PseudoEngine

__all__ = [
    "ENGINES", "DocumentError", "Engine", "EngineClients", "EngineError", "LanguagePair", "PseudoEngine",
    "TranslationOptions", "build_engine", "check_language_pairs",
]


def check_language_pairs(engine: Engine, source: str, targets: Sequence[str]) -> None:
    """UnsupportedLanguagePairError, as Amazon Translate words it, for the first pair the engine does not serve."""
    for target in targets:
        pair = LanguagePair(source, target)
        if not engine.serves(pair):
            described = getattr(engine, "describe_pairs", None)
            served = f" {described()}" if described else ""
            raise UnsupportedLanguagePairError(f"Unsupported language pair: {pair}.{served}")


def _pseudo(settings: EngineSettings, clients: EngineClients) -> Engine:
    return PseudoEngine()


def _amazon(settings: EngineSettings, clients: EngineClients) -> Engine:
    from translate_jobs.integrations.engines.amazon import TRANSLATE_CLIENT_CONFIG, AmazonTranslateEngine

    return AmazonTranslateEngine(clients("translate", TRANSLATE_CLIENT_CONFIG))


def _bedrock(settings: EngineSettings, clients: EngineClients) -> Engine:
    from translate_jobs.integrations.engines.bedrock import BEDROCK_CLIENT_CONFIG, BedrockEngine

    return BedrockEngine(clients("bedrock-runtime", BEDROCK_CLIENT_CONFIG), settings.bedrock_model_id)


def _ctranslate2(settings: EngineSettings, clients: EngineClients) -> Engine:
    from translate_jobs.integrations.engines.ctranslate2_engine import CTranslate2Engine

    return CTranslate2Engine.from_settings(settings, clients)


# Each engine's factory, by the name template.yaml's TranslationEngine parameter uses. Each imports its
# module when called, so a function pays (at cold start) only for the engine it was configured with.
ENGINES: dict[str, Callable[[EngineSettings, EngineClients], Engine]] = {
    "pseudo": _pseudo,
    "amazon": _amazon,
    "bedrock": _bedrock,
    "ctranslate2": _ctranslate2,
}


def build_engine(settings: EngineSettings, clients: EngineClients) -> Engine:
    try:
        factory = ENGINES[settings.name]
    except KeyError:
        raise EngineError(f"Unknown translation engine {settings.name!r}; known: {', '.join(sorted(ENGINES))}.") from None
    return factory(settings, clients)
