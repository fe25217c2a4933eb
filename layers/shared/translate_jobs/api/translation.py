"""TranslateText, TranslateDocument and ListLanguages (one signature: ``run(deps, caller, request)``).

The API function checks a request as Amazon Translate does (the text's size, the languages, the engine's pairs,
the terminology's name) and hands it to TranslateFunction (workflow/translation.py), which carries the engine as
the job's batches do; ListLanguages answers from the engine the API function knows (the pairs it serves).
"""

import base64
import time
from typing import Any

from translate_jobs.api import customizations
from translate_jobs.api.dependencies import ApiDependencies
from translate_jobs.api.requests import ListLanguages, TranslateDocument, TranslateText
from translate_jobs.api.tokens import decode_name_token, encode_name_token
from translate_jobs.core.config import ConfigurationError
from translate_jobs.domain import errors
from translate_jobs.domain.caller import Caller
from translate_jobs.domain.content_types import DOCX, HTML, TEXT, base_type
from translate_jobs.domain.languages import AUTO, LANGUAGE_NAMES, check_language_pair
from translate_jobs.integrations.engines import LanguagePair, check_language_pairs

MAX_TEXT_BYTES = 10_000  # TranslateText's Text, in UTF-8 bytes (the model bounds only its characters)
MAX_DOCUMENT_CHARACTERS = 100_000  # TranslateDocument's text, as Amazon Translate's quota
DOCUMENT_TYPES = (TEXT, HTML, DOCX)  # what TranslateDocument takes (the jobs take more)
DEFAULT_MAX_LANGUAGES = 100
DISPLAY_LANGUAGES = ("en",)  # the names this service has (domain/languages.py: AWS's English names)


def translate_text(deps: ApiDependencies, caller: Caller, request: TranslateText) -> dict[str, Any]:
    size = len(request.text.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise errors.TextSizeLimitExceededError(
            f"Input text size exceeds limit. Max length of request text allowed is {MAX_TEXT_BYTES} bytes while in "
            f"this request the text size is {size} bytes"
        )
    _check_pair(deps, request.source_language_code, request.target_language_code)
    customizations.check_customizations(deps, caller, request.terminology_names)
    members: dict[str, Any] = {"Text": request.text, "SourceLanguageCode": request.source_language_code,
                               "TargetLanguageCode": request.target_language_code}
    return _translator(deps)("TranslateText", caller.account_id, _with_options(members, request))


def translate_document(deps: ApiDependencies, caller: Caller, request: TranslateDocument) -> dict[str, Any]:
    kind = base_type(request.content_type)
    if kind not in DOCUMENT_TYPES:
        raise errors.InvalidRequestError(
            f"The ContentType {errors.shown(request.content_type)} is not supported by TranslateDocument: "
            f"{', '.join(DOCUMENT_TYPES)}."
        )
    source, target = request.source_language_code, request.target_language_code
    if "en" not in (source, target):
        raise errors.UnsupportedLanguagePairError(
            f"Unsupported language pair: {source} to {target}. TranslateDocument translates from English or into "
            "English: one of SourceLanguageCode and TargetLanguageCode must be en."
        )
    _check_pair(deps, source, target)
    if kind != DOCX and len(request.content.decode("utf-8", errors="replace")) > MAX_DOCUMENT_CHARACTERS:
        raise errors.LimitExceededError(f"The document has more than {MAX_DOCUMENT_CHARACTERS:,} characters, the most "
                                        "TranslateDocument takes.")
    customizations.check_customizations(deps, caller, request.terminology_names)
    members: dict[str, Any] = {"Content": base64.b64encode(request.content).decode(), "ContentType": kind,
                               "SourceLanguageCode": source, "TargetLanguageCode": target}
    return _translator(deps)("TranslateDocument", caller.account_id, _with_options(members, request))


def list_languages(deps: ApiDependencies, caller: Caller, request: ListLanguages) -> dict[str, Any]:
    """The languages the engine translates from or into, with their names, in Amazon Translate's order."""
    display = request.display_language_code or "en"
    if display not in DISPLAY_LANGUAGES:
        raise errors.UnsupportedDisplayLanguageCodeError(
            f"Language names are available here in {', '.join(DISPLAY_LANGUAGES)} only, not in {display}."
        )
    codes = [code for code in LANGUAGE_NAMES if _served(deps, code)]
    secret, now = deps.settings.pagination_secret(), time.time()
    token = request.next_token
    after = decode_name_token(secret, caller.account_id, "languages", token, now=now) if token else None
    start = codes.index(after) + 1 if after in codes else 0
    page = codes[start:start + (request.max_results or DEFAULT_MAX_LANGUAGES)]
    response: dict[str, Any] = {
        "Languages": [{"LanguageName": LANGUAGE_NAMES[code], "LanguageCode": code} for code in page],
        "DisplayLanguageCode": display,
    }
    if start + len(page) < len(codes):
        response["NextToken"] = encode_name_token(secret, caller.account_id, "languages", page[-1], now=now)
    return response


def _served(deps: ApiDependencies, code: str) -> bool:
    return any(deps.engine.serves(LanguagePair(code, other)) or deps.engine.serves(LanguagePair(other, code))
               for other in LANGUAGE_NAMES if other != code)


def _check_pair(deps: ApiDependencies, source: str, target: str) -> None:
    if source == AUTO:
        raise errors.UnsupportedLanguagePairError(
            "Unsupported language pair: auto. This service does not detect a text's language: name its SourceLanguageCode."
        )
    if source == target:
        raise errors.UnsupportedLanguagePairError(
            f"Unsupported language pair: {source} to {target}. The source language cannot also be the target language."
        )
    check_language_pair(source, [target])
    check_language_pairs(deps.engine, source, [target])


def _with_options(members: dict[str, Any], request: TranslateText | TranslateDocument) -> dict[str, Any]:
    if request.terminology_names:
        members["TerminologyNames"] = list(request.terminology_names)
    if request.settings:
        members["Settings"] = dict(request.settings)
    return members


def _translator(deps: ApiDependencies) -> Any:
    if deps.translator is None:
        raise ConfigurationError("Environment variable TRANSLATE_FUNCTION_NAME must be set (see template.yaml).")
    return deps.translator
