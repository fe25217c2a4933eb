"""TranslateText and TranslateDocument, translated: what TranslateFunction runs for the API function.

The API function checks a request (the model's constraints, the language pair, the terminology's name, the size)
and hands it to TranslateFunction, which carries the engine as TranslateBatchFunction does (its layer, its
memory, its permissions): the API function stays small, and every engine translates requests as it translates
jobs, with the terminology applied the same way (workflow/customized.py). Answers are the wire's; a refusal is
``{"Error": {"Type": <domain error's name>, "Message": ...}}``, which the API function raises again.
"""

import base64
from collections.abc import Mapping
from typing import Any

from translate_jobs.domain import errors
from translate_jobs.domain.content_types import base_type
from translate_jobs.integrations import documents
from translate_jobs.integrations.engines import DocumentError, EngineError, LanguagePair, TranslationOptions
from translate_jobs.workflow import customized
from translate_jobs.workflow.customized import Customization
from translate_jobs.workflow.dependencies import WorkflowDependencies

# Which refusals TranslateFunction returns by name (everything else is the function's own failure).
REFUSALS = {cls.__name__: cls for cls in (
    errors.InvalidRequestError, errors.LimitExceededError, errors.ResourceNotFoundError, errors.UnsupportedLanguagePairError,
    errors.TextSizeLimitExceededError, errors.ServiceUnavailableError, errors.ThrottledError, errors.TransientError,
)}


def translate_text(deps: WorkflowDependencies, account_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
    pair = LanguagePair(request["SourceLanguageCode"], request["TargetLanguageCode"])
    translated, terms, settings = _translate(deps, account_id, [request["Text"]], pair, request)
    return {
        "TranslatedText": translated[request["Text"]], "SourceLanguageCode": pair.source, "TargetLanguageCode": pair.target,
        **_applied(request, terms, settings),
    }


def translate_document(deps: WorkflowDependencies, account_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
    pair = LanguagePair(request["SourceLanguageCode"], request["TargetLanguageCode"])
    content_type, data = base_type(request["ContentType"]), base64.b64decode(request["Content"])
    segments: list[str] = []

    def record(text: str) -> str:
        segments.append(text)
        return text

    try:  # pass 1: the document taken apart into the segments it asks translated; pass 2: put back together
        documents.translate_document(content_type, data, record, pair.target)
        translated, terms, settings = _translate(deps, account_id, segments, pair, request)
        output = documents.translate_document(content_type, data, translated.__getitem__, pair.target)
    except DocumentError as exc:
        raise errors.InvalidRequestError(f"The document cannot be translated: {exc}") from None
    return {
        "TranslatedDocument": {"Content": base64.b64encode(output).decode()}, "SourceLanguageCode": pair.source,
        "TargetLanguageCode": pair.target, **_applied(request, terms, settings),
    }


def _translate(deps: WorkflowDependencies, account_id: str, segments: list[str], pair: LanguagePair,
               request: Mapping[str, Any]) -> tuple[dict[str, str], list[tuple[str, str]], dict[str, str]]:
    """The segments' translations, the terms applied, and the settings the engine applied."""
    names = list(request.get("TerminologyNames") or ())
    options = TranslationOptions.of_job(request.get("Settings"), names)
    characters, most = sum(map(len, segments)), deps.engine.max_document_characters
    if most is not None and characters > most:
        raise errors.LimitExceededError(
            f"The text has {characters:,} characters; the translation engine translates at most {most:,}."
        )
    try:
        customization = Customization.load(deps.customizations, deps.customization_cache, account_id, names)
        done = customized.translate(deps.engine, list(dict.fromkeys(segments)), pair, options, customization)
    except EngineError as exc:
        raise errors.ServiceUnavailableError(str(exc)) from None
    except DocumentError as exc:
        raise errors.InvalidRequestError(str(exc)) from None
    settings = options.settings() if getattr(deps.engine, "applies_settings", False) else {}
    return done.text, done.terms_of(segments), settings


def _applied(request: Mapping[str, Any], terms: list[tuple[str, str]], settings: dict[str, str]) -> dict[str, Any]:
    """AppliedTerminologies (the terms found and applied, at most 250) and AppliedSettings, when there are."""
    names = list(request.get("TerminologyNames") or ())
    found = customized.applied_terminologies(names[0] if names else None, terms, wire=True)
    return {**({"AppliedTerminologies": found} if found else {}), **({"AppliedSettings": settings} if settings else {})}


def refusal(error: Exception) -> dict[str, Any] | None:
    """A domain refusal as TranslateFunction answers it, or None for a failure of its own (raised, as Lambda reports)."""
    for name, kind in REFUSALS.items():
        if type(error) is kind:
            return {"Error": {"Type": name, "Message": str(error)}}
    return None
