"""The ``bedrock`` engine: an LLM on Amazon Bedrock, through the Converse API (AWS only: no emulator has it).

Each request carries a JSON array of lines (one line of text each, no markup: the documents module and
``text.Units`` took markup and line breaks out) and asks for a JSON array of their translations, as
many and in the same order; the job's Formality, Profanity and Brevity and its terminology are said in
the system prompt. An answer that does not keep the count is asked again in halves, down to one line.
"""

import json
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from translate_jobs.core import transient
from translate_jobs.integrations.engines.base import DocumentError, EngineError, LanguagePair, TranslationOptions
from translate_jobs.integrations.engines.text import Units

# Lines per request are bounded by their characters: the answer (about as long, more in some scripts)
# must fit in MAX_OUTPUT_TOKENS.
MAX_REQUEST_CHARACTERS = 4000
MAX_OUTPUT_TOKENS = 4096
# Retried with backoff, then by the workflow: the retry contract's (core/transient.py) and Bedrock's own.
RETRYABLE_CODES = frozenset({"ModelNotReadyException", "ModelTimeoutException"})
# Stop reasons of an answer the model gave about this text, not an answer: the document fails.
REFUSALS = frozenset({"content_filtered", "guardrail_intervened"})

# The model answers in seconds to minutes: botocore's own retries are off (the engine's backoff is the one policy).
BEDROCK_CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=10, read_timeout=300)

LANGUAGE_NAMES = {
    "af": "Afrikaans", "sq": "Albanian", "am": "Amharic", "ar": "Arabic", "hy": "Armenian", "az": "Azerbaijani",
    "bn": "Bengali", "bs": "Bosnian", "bg": "Bulgarian", "ca": "Catalan", "zh": "Chinese (Simplified)",
    "zh-TW": "Chinese (Traditional)", "hr": "Croatian", "cs": "Czech", "da": "Danish", "fa-AF": "Dari",
    "nl": "Dutch", "en": "English", "et": "Estonian", "fa": "Farsi (Persian)", "tl": "Filipino, Tagalog",
    "fi": "Finnish", "fr": "French", "fr-CA": "French (Canada)", "ka": "Georgian", "de": "German",
    "el": "Greek", "gu": "Gujarati", "ht": "Haitian Creole", "ha": "Hausa", "he": "Hebrew", "hi": "Hindi",
    "hu": "Hungarian", "is": "Icelandic", "id": "Indonesian", "ga": "Irish", "it": "Italian", "ja": "Japanese",
    "kn": "Kannada", "kk": "Kazakh", "ko": "Korean", "lv": "Latvian", "lt": "Lithuanian", "mk": "Macedonian",
    "ms": "Malay", "ml": "Malayalam", "mt": "Maltese", "mr": "Marathi", "mn": "Mongolian", "no": "Norwegian (Bokmål)",
    "ps": "Pashto", "pl": "Polish", "pt": "Portuguese (Brazil)", "pt-PT": "Portuguese (Portugal)", "pa": "Punjabi",
    "ro": "Romanian", "ru": "Russian", "sr": "Serbian", "si": "Sinhala", "sk": "Slovak", "sl": "Slovenian",
    "so": "Somali", "es": "Spanish", "es-MX": "Spanish (Mexico)", "sw": "Swahili", "sv": "Swedish", "ta": "Tamil",
    "te": "Telugu", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek",
    "vi": "Vietnamese", "cy": "Welsh",
}  # fmt: skip


def system_prompt(pair: LanguagePair, options: TranslationOptions) -> str:
    source = "the language it is written in" if pair.source == "auto" else _language(pair.source)
    rules = [
        f"You translate text from {source} into {_language(pair.target)}.",
        "The user sends a JSON array of strings. Answer with a JSON array of their translations and nothing "
        "else: exactly as many strings, in the same order, one translation for each string. Never merge, "
        "split, add or drop strings, never add notes, explanations, quotes or markup, and keep numbers, "
        "names, URLs and code as they are. A string that needs no translation comes back unchanged.",
    ]
    if options.formality == "FORMAL":
        rules.append("Use a formal register (polite forms of address).")
    elif options.formality == "INFORMAL":
        rules.append("Use an informal register (familiar forms of address).")
    if options.profanity == "MASK":
        rules.append("Replace every profane word or phrase in the translation with ?$#@$ .")
    if options.brevity == "ON":
        rules.append("Keep each translation as short as its meaning allows.")
    if options.terms:
        glossary = "; ".join(f"{json.dumps(term)} -> {json.dumps(translation)}" for term, translation in options.terms)
        rules.append(f"Translate these terms exactly as given: {glossary}.")
    return "\n".join(rules)


def _language(code: str) -> str:
    return f"{LANGUAGE_NAMES.get(code, code)} ({code})"


class BedrockEngine:
    """Amazon Bedrock's Converse API with one model (template parameter BedrockModelId), temperature 0.
    It serves every pair of Amazon Translate's languages, ``auto`` as the source too."""

    batch_characters = 4 * MAX_REQUEST_CHARACTERS  # a few requests' worth of lines per call
    terminology = "prompt"  # a terminology's terms found in the text, as options.terms, are said in the prompt
    applies_settings = True  # Formality, Profanity and Brevity are said in the prompt (AppliedSettings)
    # A request of 4,000 characters takes seconds to tens of seconds: 60 of them fit in 900 s, retries too.
    max_document_characters: int | None = 60 * MAX_REQUEST_CHARACTERS

    def __init__(
        self,
        client: Any,
        model_id: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 6,
        base_delay: float = 1.0,
        max_delay: float = 30.0,
        max_request_characters: int = MAX_REQUEST_CHARACTERS,
    ) -> None:
        self._client = client
        self._model_id = model_id
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._max_request_characters = max_request_characters

    def serves(self, pair: LanguagePair) -> bool:
        return True

    def problem(self) -> str | None:
        """Whether Converse answers here for this model: one request of one word."""
        if not self._model_id:
            return "The bedrock engine needs a model id: set the template parameter BedrockModelId."
        try:
            self._converse("Translate into French.", "Hello")
        except EngineError as error:
            return str(error)
        except Exception as error:  # noqa: BLE001 - an emulator without Converse raises what it likes
            return f"Amazon Bedrock's Converse API cannot be called: {error}"
        return None

    def translate_segments(self, segments: Sequence[str], pair: LanguagePair, options: TranslationOptions) -> list[str]:
        units = Units(segments, by_sentence=False)
        system = system_prompt(pair, options)
        translations: list[str] = []
        for request in self._requests(units.units):
            translations.extend(self._translate_lines(request, system))
        return units.rebuild(translations)

    def _requests(self, lines: list[str]) -> list[list[str]]:
        requests: list[list[str]] = [[]]
        size = 0
        for line in lines:
            if requests[-1] and size + len(line) > self._max_request_characters:
                requests.append([])
                size = 0
            requests[-1].append(line)
            size += len(line)
        return [request for request in requests if request]

    def _translate_lines(self, lines: list[str], system: str) -> list[str]:
        answer, stop_reason = self._converse(system, json.dumps(lines, ensure_ascii=False))
        if stop_reason in REFUSALS:
            raise DocumentError(f"The Bedrock model {self._model_id} declined to translate this text ({stop_reason}).")
        translated = _json_array(answer) if stop_reason != "max_tokens" else None
        if translated is not None and len(translated) == len(lines):
            return [_one_line(line) for line in translated]
        if len(lines) > 1:  # the count was not kept (or the answer was cut): ask again in halves
            half = len(lines) // 2
            return self._translate_lines(lines[:half], system) + self._translate_lines(lines[half:], system)
        if translated is None and answer.strip() and stop_reason != "max_tokens":
            return [_one_line(answer)]  # one line answered as bare text: that is its translation
        raise DocumentError(f"The Bedrock model {self._model_id} gave no usable translation of a line ({stop_reason}).")

    def _converse(self, system: str, text: str) -> tuple[str, str]:
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = self._client.converse(
                    modelId=self._model_id,
                    system=[{"text": system}],
                    messages=[{"role": "user", "content": [{"text": text}]}],
                    inferenceConfig={"maxTokens": MAX_OUTPUT_TOKENS, "temperature": 0},
                )
            except ClientError as exc:
                code = transient.error_code(exc)
                if not (transient.is_transient(exc) or code in RETRYABLE_CODES):
                    message = exc.response.get("Error", {}).get("Message", "")
                    raise EngineError(
                        f"Amazon Bedrock refused to run the model {self._model_id} ({code}: {message}). The bedrock engine "
                        "needs access to that model in this account and Region, and bedrock:InvokeModel on it for "
                        "TranslateBatchFunction."
                    ) from exc
                if attempt == self._max_attempts:
                    raise transient.as_retried(exc, f"calling Amazon Bedrock after {attempt} attempts") from exc
                self._sleep(min(self._max_delay, self._base_delay * 2 ** (attempt - 1)))
                continue
            content = response.get("output", {}).get("message", {}).get("content", [])
            return "".join(block.get("text", "") for block in content), str(response.get("stopReason", ""))
        raise AssertionError("unreachable")  # the loop returns or raises


def _one_line(text: str) -> str:
    """A line's translation as one line (whitespace inside a line is the model's, around it is the document's)."""
    return " ".join(text.split()) if any(char in text for char in "\n\r\u2028\u2029") else text.strip()


_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")


def _json_array(answer: str) -> list[str] | None:
    """The answer's JSON array of strings (inside a code fence, or after a sentence, too), else None."""
    text = _FENCE.sub("", answer.strip())
    start, end = text.find("["), text.rfind("]")
    if start < 0 or end < start:
        return None
    try:
        value = json.loads(text[start : end + 1])
    except ValueError:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return None
    return value
