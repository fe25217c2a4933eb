"""The engines, unit by unit: Amazon Translate through botocore's Stubber (no AWS account)."""

from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from translate_jobs.domain.errors import ThrottledError
from translate_jobs.integrations.engines import (
    ENGINES,
    AmazonTranslateEngine,
    DocumentError,
    PseudoEngine,
    engine,
    split_text,
)


@pytest.fixture
def client() -> Any:
    return boto3.client("translate", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def amazon(client: Any, sleeps: list[float], **kwargs: Any) -> AmazonTranslateEngine:
    return AmazonTranslateEngine(client, sleep=sleeps.append, **kwargs)


def test_amazon_sends_languages_settings_and_terminologies(client):
    sleeps: list[float] = []
    settings = {"Formality": "FORMAL", "Profanity": "MASK", "Brevity": "ON", "TerminologyNames": ["brand-terms"]}
    with Stubber(client) as stub:
        stub.add_response(
            "translate_text",
            {"TranslatedText": "Bonjour", "SourceLanguageCode": "en", "TargetLanguageCode": "fr"},
            {
                "Text": "Hello",
                "SourceLanguageCode": "en",
                "TargetLanguageCode": "fr",
                "Settings": {"Formality": "FORMAL", "Profanity": "MASK", "Brevity": "ON"},
                "TerminologyNames": ["brand-terms"],
            },
        )
        assert amazon(client, sleeps).translate("  Hello\n", "en", "fr", settings) == "  Bonjour\n"
        stub.assert_no_pending_responses()
    assert sleeps == []


def test_amazon_without_settings_sends_neither_settings_nor_terminologies(client):
    with Stubber(client) as stub:
        stub.add_response(
            "translate_text",
            {"TranslatedText": "Hallo", "SourceLanguageCode": "en", "TargetLanguageCode": "de"},
            {"Text": "Hello", "SourceLanguageCode": "en", "TargetLanguageCode": "de"},
        )
        assert amazon(client, []).translate("Hello", "en", "de", None) == "Hallo"


def test_amazon_retries_throttling_with_exponential_backoff_then_succeeds(client):
    sleeps: list[float] = []
    with Stubber(client) as stub:
        for code in ("ThrottlingException", "TooManyRequestsException", "ServiceUnavailableException"):
            stub.add_client_error("translate_text", service_error_code=code, http_status_code=400)
        stub.add_response("translate_text", {"TranslatedText": "Bonjour", "SourceLanguageCode": "en", "TargetLanguageCode": "fr"})
        assert amazon(client, sleeps, base_delay=0.5).translate("Hello", "en", "fr", None) == "Bonjour"
        stub.assert_no_pending_responses()
    assert sleeps == [0.5, 1.0, 2.0]


def test_amazon_gives_up_after_bounded_attempts_with_a_retryable_error(client):
    sleeps: list[float] = []
    with Stubber(client) as stub:
        for _ in range(4):
            stub.add_client_error("translate_text", service_error_code="ThrottlingException", http_status_code=400)
        with pytest.raises(ThrottledError, match="after 4 attempts"):
            amazon(client, sleeps, max_attempts=4, base_delay=1, max_delay=3).translate("Hello", "en", "fr", None)
        stub.assert_no_pending_responses()
    assert sleeps == [1, 2, 3]  # capped at max_delay


@pytest.mark.parametrize(
    "code",
    [
        "UnsupportedLanguagePairException",
        "DetectedLanguageLowConfidenceException",
        "TextSizeLimitExceededException",
        "InvalidRequestException",
    ],
)
def test_amazon_per_document_errors_are_document_errors(client, code):
    with Stubber(client) as stub:
        stub.add_client_error("translate_text", service_error_code=code, service_message="no good", http_status_code=400)
        with pytest.raises(DocumentError, match=f"{code}: no good"):
            amazon(client, []).translate("Hello", "en", "xx", None)


def test_amazon_other_errors_propagate(client):
    from botocore.exceptions import ClientError

    with Stubber(client) as stub:
        stub.add_client_error("translate_text", service_error_code="AccessDeniedException", http_status_code=403)
        with pytest.raises(ClientError, match="AccessDeniedException"):
            amazon(client, []).translate("Hello", "en", "fr", None)


def test_amazon_splits_long_text_under_the_byte_limit_and_rejoins_it_faithfully(client):
    # Multi-byte paragraphs (é is 2 bytes in UTF-8): bytes, not characters, must stay under the limit.
    paragraphs = [f"Paragraphe {n} : " + "Café crème. " * 250 + "Fin." for n in range(12)]
    paragraphs.append("Un paragraphe trop long pour une requête. " * 300)  # > 10,000 bytes: cut at sentences
    text = "Title\n\n" + "\n\n".join(paragraphs) + "\n\n\n  last line\n"
    assert len(text.encode()) > 3 * 10_000
    sent: list[str] = []

    class Recording:
        def translate_text(self, Text: str, **params: Any) -> dict[str, str]:  # noqa: N803 - boto3's names
            assert len(Text.encode("utf-8")) <= 10_000
            assert params["SourceLanguageCode"] == "fr" and params["TargetLanguageCode"] == "en"
            sent.append(Text)
            return {"TranslatedText": Text.upper()}

    result = AmazonTranslateEngine(Recording(), sleep=lambda _: None).translate(text, "fr", "en", None)
    assert len(sent) > 3
    assert result == text.upper()  # every character went through once, and the breaks are where they were
    assert result.count("\n") == text.count("\n")
    assert all(not chunk[0].isspace() and not chunk[-1].isspace() for chunk in sent)


def test_amazon_uses_stubbed_requests_for_each_chunk(client):
    text = "First paragraph.\n\nSecond paragraph."
    with Stubber(client) as stub:
        for part in ("First paragraph.", "Second paragraph."):
            stub.add_response(
                "translate_text",
                {"TranslatedText": f"<{part}>", "SourceLanguageCode": "en", "TargetLanguageCode": "fr"},
                {"Text": part, "SourceLanguageCode": "en", "TargetLanguageCode": "fr", "Settings": ANY},
            )
        translated = amazon(client, [], max_bytes=20).translate(text, "en", "fr", {"Formality": "INFORMAL"})
    assert translated == "<First paragraph.>\n\n<Second paragraph.>"


def test_split_text_prefers_paragraphs_then_sentences_then_words_then_characters():
    assert split_text("short") == ["short"]
    assert split_text("") == []
    assert split_text("aaaa bbbb.\n\ncccc dddd.", max_bytes=12) == ["aaaa bbbb.\n\n", "cccc dddd."]
    assert split_text("One two. Three four. Five.", max_bytes=12) == ["One two. ", "Three four. ", "Five."]
    assert split_text("alpha beta gamma", max_bytes=6) == ["alpha ", "beta ", "gamma"]
    assert split_text("abcdefghij", max_bytes=4) == ["abcd", "efgh", "ij"]
    # Never inside a character: each piece is valid UTF-8 within the limit.
    pieces = split_text("ééééé", max_bytes=3)
    assert pieces == ["é", "é", "é", "é", "é"]
    long = ("Sentence number one is here. " * 50 + "\n\n") * 20
    pieces = split_text(long, max_bytes=1000)
    assert "".join(pieces) == long and all(len(piece.encode()) <= 1000 for piece in pieces)


def test_engines_are_registered_by_template_name():
    assert set(ENGINES) >= {"pseudo", "amazon"}
    assert isinstance(engine("pseudo", None), PseudoEngine)
    translate_client = object()
    amazon_engine = engine("amazon", translate_client)
    assert isinstance(amazon_engine, AmazonTranslateEngine) and amazon_engine._client is translate_client
    with pytest.raises(RuntimeError, match="Unknown translation engine"):
        engine("nope", None)
