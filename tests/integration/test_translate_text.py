"""TranslateText, TranslateDocument and ListLanguages through the API function, which checks each request and
hands it to TranslateFunction (a real Lambda invocation in moto, under each function's own IAM policy)."""

import base64
import io
import json
import zipfile
from typing import Any

import pytest

from tests.support.office import docx_with
from tests.support.stack import http_event

BRAND_CSV = b"en,fr\nAmazon Photos,Amazon Photos\ncloud,nuage\n"


def call(stack: Any, operation: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = stack.runtime.invoke("ApiFunction", http_event("POST", "/", body, target=operation))
    return response["statusCode"], json.loads(response["body"] or "{}")


def ok(stack: Any, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    status, answer = call(stack, operation, body)
    assert status == 200, answer
    return answer


def import_brand(stack: Any) -> None:
    ok(stack, "ImportTerminology", {"Name": "brand", "MergeStrategy": "OVERWRITE",
                                    "TerminologyData": {"File": base64.b64encode(BRAND_CSV).decode(), "Format": "CSV"}})


# ---------- TranslateText ----------


def test_text_is_translated_by_the_engine_with_the_terms_applied_and_listed(stack):
    import_brand(stack)
    answer = ok(stack, "TranslateText", {"Text": "Keep your photos in the Cloud with Amazon Photos.", "SourceLanguageCode": "en",
                                         "TargetLanguageCode": "fr", "TerminologyNames": ["brand"],
                                         "Settings": {"Formality": "FORMAL"}})
    assert answer == {
        "TranslatedText": "[fr] Keep your photos in the Nuage with Amazon Photos.",
        "SourceLanguageCode": "en", "TargetLanguageCode": "fr",
        "AppliedTerminologies": [{"Name": "brand", "Terms": [{"SourceText": "cloud", "TargetText": "nuage"},
                                                            {"SourceText": "Amazon Photos", "TargetText": "Amazon Photos"}]}],
    }  # no AppliedSettings: the pseudo engine applies none (amazon and bedrock do)


def test_text_without_a_term_lists_no_terminology(stack):
    import_brand(stack)
    answer = ok(stack, "TranslateText", {"Text": "Hello", "SourceLanguageCode": "en", "TargetLanguageCode": "fr",
                                         "TerminologyNames": ["brand"]})
    assert answer == {"TranslatedText": "[fr] Hello", "SourceLanguageCode": "en", "TargetLanguageCode": "fr"}


@pytest.mark.parametrize(("members", "error", "why"), [
    ({"Text": "é" * 5001}, "TextSizeLimitExceededException", "the text size is 10002 bytes"),
    ({"TerminologyNames": ["NoSuchTerminology"]}, "ResourceNotFoundException", "NoSuchTerminology"),
    ({"SourceLanguageCode": "auto"}, "UnsupportedLanguagePairException", "does not detect"),
    ({"TargetLanguageCode": "en"}, "UnsupportedLanguagePairException", "cannot also be the target"),
    ({"TargetLanguageCode": "xx"}, "UnsupportedLanguagePairException", "xx is not supported"),
    ({"Text": ""}, "ValidationException", "length greater than or equal to 1"),
])
def test_a_request_that_cannot_be_translated_is_refused_as_aws_refuses_it(stack, members, error, why):
    status, answer = call(stack, "TranslateText", {"Text": "Hello", "SourceLanguageCode": "en", "TargetLanguageCode": "fr",
                                                   **members})
    assert (status, answer["__type"]) == (400, error) and why in answer["message"], answer


def test_an_engine_that_cannot_translate_is_a_503_saying_why(stack, monkeypatch):
    from translate_jobs.integrations.engines import EngineError

    class Broken:
        batch_characters, max_document_characters = 0, None

        def serves(self, pair: Any) -> bool:
            return True

        def problem(self) -> str:
            return "broken"

        def translate_segments(self, segments: Any, pair: Any, options: Any) -> list[str]:
            raise EngineError("The engine's service refused the request (test).")

    monkeypatch.setattr(stack.runtime.dependencies("TranslateFunction"), "engine", Broken())
    status, answer = call(stack, "TranslateText", {"Text": "Hello", "SourceLanguageCode": "en", "TargetLanguageCode": "fr"})
    assert (status, answer) == (503, {"__type": "ServiceUnavailableException",
                                      "message": "The engine's service refused the request (test)."})


# ---------- TranslateDocument ----------


def document(content: bytes, content_type: str, **members: Any) -> dict[str, Any]:
    return {"Document": {"Content": base64.b64encode(content).decode(), "ContentType": content_type},
            "SourceLanguageCode": "en", "TargetLanguageCode": "fr", **members}


@pytest.mark.parametrize(("content_type", "content", "expected"), [
    ("text/plain", b"Hello\nworld\n", b"[fr] Hello\n[fr] world\n"),
    ("text/html", b"<p>Hello <b>cloud</b></p>", b"<p>[fr] Hello <b>[fr] nuage</b></p>"),
])
def test_a_text_or_html_document_comes_back_translated(stack, content_type, content, expected):
    import_brand(stack)
    answer = ok(stack, "TranslateDocument", document(content, content_type, TerminologyNames=["brand"]))
    assert base64.b64decode(answer["TranslatedDocument"]["Content"]) == expected
    assert (answer["SourceLanguageCode"], answer["TargetLanguageCode"]) == ("en", "fr")


def test_a_docx_document_comes_back_a_docx_with_its_text_translated(stack):
    content = docx_with("<w:p><w:r><w:t>Hello from the docx.</w:t></w:r></w:p>")
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    answer = ok(stack, "TranslateDocument", document(content, docx))
    output = base64.b64decode(answer["TranslatedDocument"]["Content"])
    with zipfile.ZipFile(io.BytesIO(output)) as package:
        assert "<w:t>[fr] Hello from the docx.</w:t>" in package.read("word/document.xml").decode()


@pytest.mark.parametrize(("request_body", "error"), [
    (document(b"x", "application/x-xliff+xml"), "InvalidRequestException"),
    (document(b"Hallo", "text/plain", SourceLanguageCode="de", TargetLanguageCode="fr"), "UnsupportedLanguagePairException"),
    (document(b"\xff\xfe", "text/plain"), "InvalidRequestException"),
    (document(b"x" * 102401, "text/plain"), "ValidationException"),
])
def test_a_document_that_cannot_be_translated_is_refused(stack, request_body, error):
    status, answer = call(stack, "TranslateDocument", request_body)
    assert (status, answer["__type"]) == (400, error), answer


# ---------- ListLanguages ----------


def test_the_pseudo_engines_languages_are_amazon_translates_in_its_order_a_page_at_a_time(stack):
    languages, token = [], None
    while True:
        page = ok(stack, "ListLanguages", {"MaxResults": 30, **({"NextToken": token} if token else {})})
        assert page["DisplayLanguageCode"] == "en"
        languages += page["Languages"]
        token = page.get("NextToken")
        if not token:
            break
    assert len(languages) == 75 and languages[0] == {"LanguageName": "Afrikaans", "LanguageCode": "af"}
    assert {"LanguageName": "Chinese Traditional", "LanguageCode": "zh-TW"} in languages


def test_the_languages_listed_are_the_engines(stack, monkeypatch):
    class EnglishFrench:
        batch_characters, max_document_characters = 0, None

        def serves(self, pair: Any) -> bool:
            return {pair.source, pair.target} == {"en", "fr"}

    monkeypatch.setattr(stack.runtime.dependencies("ApiFunction"), "engine", EnglishFrench())
    assert ok(stack, "ListLanguages", {})["Languages"] == [{"LanguageName": "English", "LanguageCode": "en"},
                                                            {"LanguageName": "French", "LanguageCode": "fr"}]
    status, answer = call(stack, "TranslateText", {"Text": "Hallo", "SourceLanguageCode": "de", "TargetLanguageCode": "fr"})
    assert (status, answer["__type"]) == (400, "UnsupportedLanguagePairException")


def test_names_in_another_display_language_are_refused_saying_so(stack):
    status, answer = call(stack, "ListLanguages", {"DisplayLanguageCode": "fr"})
    assert (status, answer["__type"]) == (400, "UnsupportedDisplayLanguageCodeException") and "en only" in answer["message"]


def test_applied_settings_are_those_an_engine_applies(stack, monkeypatch):
    class Formal:  # an engine that applies the Settings it is given (amazon and bedrock say they do)
        batch_characters, max_document_characters, applies_settings = 0, None, True

        def serves(self, pair: Any) -> bool:
            return True

        def translate_segments(self, segments: Any, pair: Any, options: Any) -> list[str]:
            return [f"({options.formality}) {segment}" for segment in segments]

    monkeypatch.setattr(stack.runtime.dependencies("TranslateFunction"), "engine", Formal())
    answer = ok(stack, "TranslateText", {"Text": "Hello", "SourceLanguageCode": "en", "TargetLanguageCode": "fr",
                                         "Settings": {"Formality": "FORMAL", "Profanity": "MASK"}})
    assert answer["TranslatedText"] == "(FORMAL) Hello"
    assert answer["AppliedSettings"] == {"Formality": "FORMAL", "Profanity": "MASK"}
