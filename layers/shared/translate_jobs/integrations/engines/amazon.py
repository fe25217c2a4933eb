"""The ``amazon`` engine: Amazon Translate's synchronous TranslateText (AWS only: no emulator has it)."""

import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from translate_jobs.core import transient
from translate_jobs.integrations.engines.base import DocumentError, EngineError, LanguagePair, TranslationOptions
from translate_jobs.integrations.engines.text import split_text

MAX_REQUEST_BYTES = 10_000  # TranslateText's limit on Text, in UTF-8 bytes

# Errors about the text sent: that document fails, the job goes on.
DOCUMENT_ERROR_CODES = frozenset(
    {
        "UnsupportedLanguagePairException",
        "DetectedLanguageLowConfidenceException",
        "TextSizeLimitExceededException",
        "InvalidRequestException",
    }
)

# botocore's own retries are off so that the engine's bounded backoff is the one retry policy for throttling.
TRANSLATE_CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=10, read_timeout=60)


class AmazonTranslateEngine:
    """TranslateText, one request per chunk of at most 10,000 bytes of a segment; the job's Settings and
    TerminologyNames go with each request. It serves every pair of Amazon Translate's languages (``auto`` too)."""

    batch_characters = 0  # one request per text: batching documents together gains nothing
    terminology = "names"  # Amazon Translate applies its terminology of that name itself
    applies_settings = True  # the Settings go with each request (AppliedSettings)
    max_document_characters: int | None = None

    def __init__(
        self,
        client: Any,
        *,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 6,
        base_delay: float = 0.5,
        max_delay: float = 20.0,
        max_bytes: int = MAX_REQUEST_BYTES,
    ) -> None:
        self._client = client
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._max_bytes = max_bytes

    def serves(self, pair: LanguagePair) -> bool:
        return True  # Start has checked the codes against Amazon Translate's own list

    def problem(self) -> str | None:
        """Whether TranslateText answers here: one request of five characters (a fraction of a cent on AWS)."""
        try:
            self._client.translate_text(Text="Hello", SourceLanguageCode="en", TargetLanguageCode="fr")
        except ClientError as error:
            message = error.response.get("Error", {}).get("Message", "")
            return f"Amazon Translate's TranslateText answered {transient.error_code(error)}: {message}"
        except Exception as error:  # noqa: BLE001 - an emulator without Translate raises what it likes
            return f"Amazon Translate's TranslateText cannot be called: {error}"
        return None

    def translate_segments(self, segments: Sequence[str], pair: LanguagePair, options: TranslationOptions) -> list[str]:
        params: dict[str, Any] = {"SourceLanguageCode": pair.source, "TargetLanguageCode": pair.target}
        if options.settings():
            params["Settings"] = options.settings()
        if options.terminology_names:
            params["TerminologyNames"] = list(options.terminology_names)
        return [self._translate(segment, params) for segment in segments]

    def _translate(self, text: str, params: dict[str, Any]) -> str:
        out = []
        for chunk in split_text(text, self._max_bytes):
            # The whitespace around a chunk (the paragraph and line breaks it was cut at) is kept
            # as it is; only the text between is sent.
            core = chunk.strip()
            if not core:
                out.append(chunk)
                continue
            start = chunk.index(core)
            out.append(chunk[:start] + self._translate_text(core, params) + chunk[start + len(core) :])
        return "".join(out)

    def _translate_text(self, text: str, params: dict[str, Any]) -> str:
        for attempt in range(1, self._max_attempts + 1):
            try:
                return str(self._client.translate_text(Text=text, **params)["TranslatedText"])
            except ClientError as exc:
                code = transient.error_code(exc)
                message = exc.response.get("Error", {}).get("Message", "")
                if code in DOCUMENT_ERROR_CODES:
                    raise DocumentError(f"{code}: {message}") from exc
                if not transient.is_transient(exc):
                    # Not the document's fault, and retrying will not help: the job fails saying so.
                    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
                    raise EngineError(
                        f"Amazon Translate's TranslateText refused the request ({code or status}: {message or 'no message'}). "
                        "The amazon engine needs Amazon Translate: on AWS, with translate:TranslateText allowed to "
                        "TranslateBatchFunction."
                    ) from exc
                if attempt == self._max_attempts:
                    # Retried by the workflow (the batch runs again later).
                    raise transient.as_retried(exc, f"calling Amazon Translate after {attempt} attempts") from exc
                self._sleep(min(self._max_delay, self._base_delay * 2 ** (attempt - 1)))
        raise AssertionError("unreachable")  # the loop returns or raises
