"""The engine interface, the pseudo engine, text cut into lines and sentences, and Amazon Translate through
botocore's Stubber (no AWS account). ctranslate2 and bedrock have files of their own."""

from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from translate_jobs.core.config import EngineSettings
from translate_jobs.domain.errors import ThrottledError, UnsupportedLanguagePairError
from translate_jobs.integrations.engines import (
    ENGINES,
    DocumentError,
    EngineError,
    LanguagePair,
    PseudoEngine,
    TranslationOptions,
    build_engine,
    check_language_pairs,
)
from translate_jobs.integrations.engines.amazon import AmazonTranslateEngine
from translate_jobs.integrations.engines.text import Units, sentences, split_text

EN_FR, EN_DE, FR_EN = LanguagePair("en", "fr"), LanguagePair("en", "de"), LanguagePair("fr", "en")
NO_OPTIONS = TranslationOptions()


@pytest.fixture
def client() -> Any:
    return boto3.client("translate", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def amazon(client: Any, sleeps: list[float], **kwargs: Any) -> AmazonTranslateEngine:
    return AmazonTranslateEngine(client, sleep=sleeps.append, **kwargs)


def one(engine: Any, text: str, pair: LanguagePair = EN_FR, options: TranslationOptions = NO_OPTIONS) -> str:
    [translated] = engine.translate_segments([text], pair, options)
    return str(translated)


def test_amazon_sends_languages_settings_and_terminologies(client):
    sleeps: list[float] = []
    options = TranslationOptions.of_job({"Formality": "FORMAL", "Profanity": "MASK", "Brevity": "ON"}, ["brand-terms"])
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
        assert one(amazon(client, sleeps), "  Hello\n", options=options) == "  Bonjour\n"
        stub.assert_no_pending_responses()
    assert sleeps == []


def test_amazon_without_settings_sends_neither_settings_nor_terminologies(client):
    with Stubber(client) as stub:
        stub.add_response(
            "translate_text",
            {"TranslatedText": "Hallo", "SourceLanguageCode": "en", "TargetLanguageCode": "de"},
            {"Text": "Hello", "SourceLanguageCode": "en", "TargetLanguageCode": "de"},
        )
        assert one(amazon(client, []), "Hello", EN_DE) == "Hallo"


def test_amazon_retries_throttling_with_exponential_backoff_then_succeeds(client):
    sleeps: list[float] = []
    with Stubber(client) as stub:
        for code in ("ThrottlingException", "TooManyRequestsException", "ServiceUnavailableException"):
            stub.add_client_error("translate_text", service_error_code=code, http_status_code=400)
        stub.add_response("translate_text", {"TranslatedText": "Bonjour", "SourceLanguageCode": "en", "TargetLanguageCode": "fr"})
        assert one(amazon(client, sleeps, base_delay=0.5), "Hello") == "Bonjour"
        stub.assert_no_pending_responses()
    assert sleeps == [0.5, 1.0, 2.0]


def test_amazon_gives_up_after_bounded_attempts_with_a_retryable_error(client):
    sleeps: list[float] = []
    with Stubber(client) as stub:
        for _ in range(4):
            stub.add_client_error("translate_text", service_error_code="ThrottlingException", http_status_code=400)
        with pytest.raises(ThrottledError, match="after 4 attempts"):
            one(amazon(client, sleeps, max_attempts=4, base_delay=1, max_delay=3), "Hello")
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
            one(amazon(client, []), "Hello", LanguagePair("en", "xx"))


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [("404", 404, "Not yet implemented"), ("AccessDeniedException", 403, "not authorized to perform translate:TranslateText")],
)
def test_amazon_errors_that_are_no_documents_fault_name_translatetext_not_s3(client, code, status, message):
    # What moto answers (it has no Translate), and what AWS answers a role without the permission.
    with Stubber(client) as stub:
        stub.add_client_error("translate_text", service_error_code=code, service_message=message, http_status_code=status)
        with pytest.raises(EngineError) as raised:
            one(amazon(client, []), "Hello")
    assert str(raised.value).startswith(f"Amazon Translate's TranslateText refused the request ({code}: {message}).")
    assert "S3" not in str(raised.value)


def test_amazon_problem_is_none_where_translatetext_answers_and_says_why_where_it_does_not(client):
    with Stubber(client) as stub:
        stub.add_response("translate_text", {"TranslatedText": "Bonjour", "SourceLanguageCode": "en", "TargetLanguageCode": "fr"})
        assert amazon(client, []).problem() is None
        stub.add_client_error(
            "translate_text", service_error_code="404", service_message="Not yet implemented", http_status_code=404
        )
        assert amazon(client, []).problem() == "Amazon Translate's TranslateText answered 404: Not yet implemented"


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

    result = one(AmazonTranslateEngine(Recording(), sleep=lambda _: None), text, FR_EN)
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
        translated = one(amazon(client, [], max_bytes=20), text, options=TranslationOptions(formality="INFORMAL"))
    assert translated == "<First paragraph.>\n\n<Second paragraph.>"


def test_split_text_prefers_paragraphs_then_sentences_then_words_then_characters():
    assert split_text("short", 10_000) == ["short"]
    assert split_text("", 10_000) == []
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


def test_engines_are_registered_by_template_name_and_built_from_their_settings():
    assert set(ENGINES) == {"pseudo", "amazon", "bedrock", "ctranslate2"}
    made: list[tuple[str, Any]] = []

    def clients(service: str, config: Any = None) -> object:
        made.append((service, config))
        return object()

    assert isinstance(build_engine(EngineSettings("pseudo"), clients), PseudoEngine)
    amazon_engine = build_engine(EngineSettings("amazon"), clients)
    assert isinstance(amazon_engine, AmazonTranslateEngine) and [service for service, _ in made] == ["translate"]
    with pytest.raises(EngineError, match="Unknown translation engine 'nope'"):
        build_engine(EngineSettings("nope"), clients)


# ---------- the interface's values and the Start check ----------


def test_options_of_a_job_carry_its_settings_and_terminologies():
    options = TranslationOptions.of_job({"Formality": "INFORMAL", "Brevity": "ON"}, ["a", "b"])
    assert options == TranslationOptions(formality="INFORMAL", brevity="ON", terminology_names=("a", "b"))
    assert options.settings() == {"Formality": "INFORMAL", "Brevity": "ON"}
    assert TranslationOptions.of_job(None).settings() == {}


def test_start_check_refuses_the_first_pair_the_engine_does_not_serve_as_amazon_words_it():
    class EnglishToFrenchOnly(PseudoEngine):
        def serves(self, pair: LanguagePair) -> bool:
            return pair == EN_FR

        def describe_pairs(self) -> str:
            return "It translates en to fr."

    check_language_pairs(EnglishToFrenchOnly(), "en", ["fr"])
    with pytest.raises(UnsupportedLanguagePairError) as refused:
        check_language_pairs(EnglishToFrenchOnly(), "en", ["fr", "de", "es"])
    assert str(refused.value) == "Unsupported language pair: en to de. It translates en to fr."


def test_pseudo_marks_every_line_of_every_segment_and_keeps_the_whitespace():
    marked = PseudoEngine().translate_segments(["Hello\n\n  world  \n", "", "one"], EN_FR, NO_OPTIONS)
    assert marked == ["[fr] Hello\n\n  [fr] world  \n", "", "[fr] one"]
    assert PseudoEngine().serves(LanguagePair("auto", "ja")) and PseudoEngine().problem() is None


# ---------- lines and sentences ----------


def test_units_are_each_lines_sentences_once_and_rebuild_the_segments_exactly():
    segments = ["  Hello there. How are you?\n\n\tFine!  \r\n", "Fine!", "", " \n "]
    units = Units(segments, by_sentence=True)
    assert units.units == ["Hello there.", "How are you?", "Fine!"]  # each once, in first-seen order
    assert units.rebuild(["<1>", "<2>", "<3>"]) == ["  <1> <2>\n\n\t<3>  \r\n", "<3>", "", " \n "]
    by_line = Units(segments, by_sentence=False)
    assert by_line.units == ["Hello there. How are you?", "Fine!"]
    assert by_line.rebuild(["A", "B"]) == ["  A\n\n\tB  \r\n", "B", "", " \n "]
    assert units.rebuild(units.units) == segments  # identity: nothing but the units changes
    with pytest.raises(ValueError, match="2 translations for 3 units"):
        units.rebuild(["x", "y"])


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("One. Two! Three? Four", ["One. ", "Two! ", "Three? ", "Four"]),
        ('He said "Stop." Then left.', ['He said "Stop." ', "Then left."]),
        ("Dr. Smith met J. Doe at 3.5 km, e.g. here. Fine.", ["Dr. Smith met J. Doe at 3.5 km, e.g. here. ", "Fine."]),
        ("It costs 5 dollars. 10 people paid.", ["It costs 5 dollars. ", "10 people paid."]),
        ("lower case. continues here", ["lower case. continues here"]),
        ("\u4eca\u65e5\u306f\u3002\u660e\u65e5\u3082\u3002", ["\u4eca\u65e5\u306f\u3002", "\u660e\u65e5\u3082\u3002"]),
        ("مرحبا. شكرا.", ["مرحبا. ", "شكرا."]),  # Arabic has no capitals
        ("Wait... What?", ["Wait... ", "What?"]),
    ],
)
def test_sentences_end_at_terminal_punctuation_not_at_abbreviations_or_decimals(line, expected):
    assert sentences(line) == expected
    assert "".join(sentences(line)) == line
