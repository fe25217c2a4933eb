"""Translation engines, behind one small interface.

The interface (``Engine``) is one method::

    translate(text: str, source: str, target: str, settings: dict | None) -> str

- ``text`` is plain text (the documents module has already taken markup apart: an engine never
  sees HTML tags or XLIFF elements, only the text between them). It may be long: an engine with a
  request limit splits it itself (``split_text`` helps) and must give back text with the same
  line structure.
- ``source``/``target`` are the job's language codes.
- ``settings`` is the job's ``Settings`` (``Formality``, ``Profanity``, ``Brevity``) plus, when the
  job names any, ``TerminologyNames``; or None. An engine ignores what it does not support.
- Raise ``DocumentError`` for a problem with one document (it is counted and reported in the
  details file, the job goes on). Any other exception fails the batch (the workflow retries or
  fails the job), so let transient infrastructure errors propagate after bounded retries
  (``translate_jobs.domain.errors.ThrottledError`` is one the workflow retries).
- Engines are created once per batch by ``engine(name, translate_client)``: an expensive client belongs
  to the function's dependencies (made once per execution environment, workflow/dependencies.py), not
  to the engine.

To add an engine, implement ``translate``, register its factory in ENGINES under the name the
template's ``TranslationEngine`` parameter uses (add it to its AllowedValues) and give
TranslateBatchFunction exactly the permissions it needs. See README "Engines".

Engines here:
- ``pseudo`` (default): offline and deterministic, it marks text instead of translating it.
- ``amazon``: Amazon Translate's synchronous TranslateText (10,000 bytes per request).
"""

import re
import time
from collections.abc import Callable
from typing import Any, Protocol

from botocore.config import Config
from botocore.exceptions import ClientError

from translate_jobs.core import transient

# Re-exported: DocumentError lives with the domain's errors; documents.py and office.py still import it from here.
from translate_jobs.domain.errors import DocumentError as DocumentError


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


# ---------- splitting text under a request limit ----------

MAX_REQUEST_BYTES = 10_000  # TranslateText's limit on Text, in UTF-8 bytes

_BOUNDARIES = (
    re.compile(r"\n[ \t\r\f\v]*\n\s*"),  # paragraphs: a blank line
    re.compile(r"(?<=[.!?;:\u3002\uff01\uff1f])\s+"),  # sentences
    re.compile(r"\s+"),  # words
)


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def split_text(text: str, max_bytes: int = MAX_REQUEST_BYTES) -> list[str]:
    """Cut ``text`` into pieces of at most ``max_bytes`` UTF-8 bytes whose concatenation is ``text``.

    Cuts fall after paragraph breaks if possible, else after sentence ends, else at whitespace, and
    only as a last resort inside a word (never inside a character)."""
    return _split(text, max_bytes, 0)


def _split(text: str, max_bytes: int, level: int) -> list[str]:
    if _size(text) <= max_bytes:
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
        if current and _size(current) + _size(unit) <= max_bytes:
            current += unit
            continue
        if current:
            chunks.append(current)
        current = ""
        if _size(unit) <= max_bytes:
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
        size = _size(char)
        if used + size > max_bytes:
            chunks.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += size
    if current:
        chunks.append("".join(current))
    return chunks


# ---------- Amazon Translate ----------

DOCUMENT_ERROR_CODES = frozenset(
    {
        "UnsupportedLanguagePairException",
        "DetectedLanguageLowConfidenceException",
        "TextSizeLimitExceededException",
        "InvalidRequestException",
    }
)
SETTINGS_MEMBERS = ("Formality", "Profanity", "Brevity")


# The Amazon Translate client's (made once per execution environment, by the worker's dependencies).
# botocore's own retries are off so that AmazonTranslateEngine's bounded backoff is the one retry policy for throttling.
TRANSLATE_CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=10, read_timeout=60)


class AmazonTranslateEngine:
    """Amazon Translate's synchronous TranslateText, one request per chunk of at most 10,000 bytes."""

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

    def translate(self, text: str, source: str, target: str, settings: dict[str, Any] | None) -> str:
        params: dict[str, Any] = {"SourceLanguageCode": source, "TargetLanguageCode": target}
        options = {key: value for key, value in (settings or {}).items() if key in SETTINGS_MEMBERS and value}
        if options:
            params["Settings"] = options
        if settings and settings.get("TerminologyNames"):
            params["TerminologyNames"] = list(settings["TerminologyNames"])
        out = []
        for chunk in split_text(text, self._max_bytes):
            # The whitespace around a chunk (the paragraph and line breaks it was cut at) is kept
            # as it is; only the text between is sent.
            core = chunk.strip()
            if not core:
                out.append(chunk)
                continue
            start = chunk.index(core)
            translated = self._translate_text(core, params)
            out.append(chunk[:start] + translated + chunk[start + len(core) :])
        return "".join(out)

    def _translate_text(self, text: str, params: dict[str, Any]) -> str:
        for attempt in range(1, self._max_attempts + 1):
            try:
                return str(self._client.translate_text(Text=text, **params)["TranslatedText"])
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                message = exc.response.get("Error", {}).get("Message", "")
                if code in DOCUMENT_ERROR_CODES:
                    raise DocumentError(f"{code}: {message}") from exc
                if not transient.is_transient(exc):
                    raise
                if attempt == self._max_attempts:
                    # Retried by the workflow (the batch runs again later).
                    raise transient.as_retried(exc, f"calling Amazon Translate after {attempt} attempts") from exc
                self._sleep(min(self._max_delay, self._base_delay * 2 ** (attempt - 1)))
        raise AssertionError("unreachable")  # the loop returns or raises


# Each engine's factory, given the function's Amazon Translate client (used only by the engine that calls it).
ENGINES: dict[str, Callable[[Any], Engine]] = {"pseudo": lambda _client: PseudoEngine(), "amazon": AmazonTranslateEngine}


def engine(name: str, translate_client: Any) -> Engine:
    try:
        factory = ENGINES[name]
    except KeyError:
        raise RuntimeError(f"Unknown translation engine {name!r}; known: {sorted(ENGINES)}") from None
    return factory(translate_client)
