"""The bedrock engine against Converse answers shaped as Bedrock documents them, through botocore's Stubber
(which checks every request and answer against botocore's model of bedrock-runtime; moto has no Converse)."""

import json
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from translate_jobs.domain.errors import ThrottledError, TransientError
from translate_jobs.integrations.engines import DocumentError, EngineError, LanguagePair, TranslationOptions
from translate_jobs.integrations.engines.bedrock import BedrockEngine, system_prompt

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
EN_FR = LanguagePair("en", "fr")


@pytest.fixture
def client() -> Any:
    return boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def answer(text: str, stop_reason: str = "end_turn") -> dict[str, Any]:
    """A Converse response as the Bedrock API Reference shows it."""
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop_reason,
        "usage": {"inputTokens": 40, "outputTokens": 12, "totalTokens": 52},
        "metrics": {"latencyMs": 420},
    }


def request(lines: list[str], system: Any = ANY) -> dict[str, Any]:
    return {
        "modelId": MODEL,
        "system": system,
        "messages": [{"role": "user", "content": [{"text": json.dumps(lines, ensure_ascii=False)}]}],
        "inferenceConfig": {"maxTokens": 4096, "temperature": 0},
    }


def bedrock(client: Any, sleeps: list[float] | None = None, **kwargs: Any) -> BedrockEngine:
    return BedrockEngine(client, MODEL, sleep=(sleeps if sleeps is not None else []).append, **kwargs)


def test_lines_go_as_a_json_array_and_come_back_in_the_segments_layout(client):
    segments = ["  Hello.\n\nHow are you?  \n", "Hello.", "\n"]
    with Stubber(client) as stub:
        stub.add_response("converse", answer('["Bonjour.", "Comment allez-vous ?"]'), request(["Hello.", "How are you?"]))
        translated = bedrock(client).translate_segments(segments, EN_FR, TranslationOptions())
        stub.assert_no_pending_responses()
    assert translated == ["  Bonjour.\n\nComment allez-vous ?  \n", "Bonjour.", "\n"]


def test_the_prompt_names_the_languages_and_the_jobs_settings_and_terms():
    options = TranslationOptions(formality="FORMAL", profanity="MASK", brevity="ON", terms=(("Acme Cloud", "Acme Cloud"),))
    prompt = system_prompt(LanguagePair("auto", "de"), options)
    assert "from the language it is written in into German (de)" in prompt
    assert "formal register" in prompt and "?$#@$" in prompt and "as short as" in prompt
    assert 'Translate these terms exactly as given: "Acme Cloud" -> "Acme Cloud".' in prompt
    plain = system_prompt(EN_FR, TranslationOptions())
    assert "from English (en) into French (fr)" in plain
    assert "register" not in plain and "?$#@$" not in plain and "terms" not in plain


def test_the_system_prompt_goes_with_every_request(client):
    options = TranslationOptions(formality="INFORMAL")
    with Stubber(client) as stub:
        stub.add_response("converse", answer('["Salut"]'), request(["Hi"], [{"text": system_prompt(EN_FR, options)}]))
        assert bedrock(client).translate_segments(["Hi"], EN_FR, options) == ["Salut"]


def test_lines_are_sent_in_requests_bounded_by_characters(client):
    lines = [f"Line number {n}." for n in range(6)]  # 15 characters each
    with Stubber(client) as stub:
        for chunk in (lines[:2], lines[2:4], lines[4:]):
            stub.add_response("converse", answer(json.dumps([line.upper() for line in chunk])), request(chunk))
        engine = bedrock(client, max_request_characters=30)
        translated = engine.translate_segments(["\n".join(lines)], EN_FR, TranslationOptions())
        stub.assert_no_pending_responses()
    assert translated == ["\n".join(line.upper() for line in lines)]


def test_an_answer_that_does_not_keep_the_count_is_asked_again_in_halves(client):
    lines = ["One.", "Two.", "Three."]
    with Stubber(client) as stub:
        stub.add_response("converse", answer('["Un. Deux. Trois."]'), request(lines))  # merged: 1 for 3
        stub.add_response("converse", answer('```json\n["Un."]\n```'), request(["One."]))  # fenced: still fine
        stub.add_response("converse", answer("Here you are:\n[\"Deux.\", \"Trois.\"]"), request(["Two.", "Three."]))
        translated = bedrock(client).translate_segments(["\n".join(lines)], EN_FR, TranslationOptions())
        stub.assert_no_pending_responses()
    assert translated == ["Un.\nDeux.\nTrois."]


def test_a_single_line_answered_as_bare_text_is_its_translation_on_one_line(client):
    with Stubber(client) as stub:
        stub.add_response("converse", answer("Bonjour\nle monde"), request(["Hello world"]))
        assert bedrock(client).translate_segments(["Hello world"], EN_FR, TranslationOptions()) == ["Bonjour le monde"]


def test_a_cut_answer_is_asked_again_in_halves_and_a_cut_single_line_fails_its_document(client):
    with Stubber(client) as stub:
        stub.add_response("converse", answer('["Un.", "De', "max_tokens"), request(["One.", "Two."]))
        stub.add_response("converse", answer('["Un."]'), request(["One."]))
        stub.add_response("converse", answer('["De', "max_tokens"), request(["Two."]))
        with pytest.raises(DocumentError, match="gave no usable translation of a line"):
            bedrock(client).translate_segments(["One.\nTwo."], EN_FR, TranslationOptions())


def test_a_refusal_fails_the_document_not_the_job(client):
    with Stubber(client) as stub:
        stub.add_response("converse", answer("", "content_filtered"), request(["Something."]))
        with pytest.raises(DocumentError, match=f"{MODEL} declined to translate this text \\(content_filtered\\)"):
            bedrock(client).translate_segments(["Something."], EN_FR, TranslationOptions())


def test_throttling_is_retried_with_backoff_then_left_to_the_workflow(client):
    sleeps: list[float] = []
    with Stubber(client) as stub:
        stub.add_client_error("converse", "ThrottlingException", "Too many requests", 429)
        stub.add_client_error("converse", "ModelNotReadyException", "Model is not ready", 429)
        stub.add_response("converse", answer('["Bonjour"]'), request(["Hello"]))
        assert bedrock(client, sleeps).translate_segments(["Hello"], EN_FR, TranslationOptions()) == ["Bonjour"]
        for _ in range(3):
            stub.add_client_error("converse", "ThrottlingException", "Too many requests", 429)
        with pytest.raises(ThrottledError, match="calling Amazon Bedrock after 3 attempts"):
            bedrock(client, sleeps, max_attempts=3).translate_segments(["Hello"], EN_FR, TranslationOptions())
        stub.add_client_error("converse", "ServiceUnavailableException", "Unavailable", 503)
        with pytest.raises(TransientError):
            bedrock(client, sleeps, max_attempts=1).translate_segments(["Hello"], EN_FR, TranslationOptions())
    assert sleeps == [1.0, 2.0, 1.0, 2.0]


@pytest.mark.parametrize(
    ("code", "status"), [("AccessDeniedException", 403), ("ValidationException", 400), ("ResourceNotFoundException", 404)]
)
def test_a_refused_model_fails_the_job_naming_the_model_and_the_permission(client, code, status):
    with Stubber(client) as stub:
        stub.add_client_error("converse", code, "You don't have access to the model with the specified model ID.", status)
        with pytest.raises(EngineError) as raised:
            bedrock(client).translate_segments(["Hello"], EN_FR, TranslationOptions())
    assert f"Amazon Bedrock refused to run the model {MODEL} ({code}:" in str(raised.value)
    assert "bedrock:InvokeModel" in str(raised.value)


def test_problem_asks_the_model_once_and_says_why_it_cannot_be_used(client):
    with Stubber(client) as stub:
        stub.add_response("converse", answer("Bonjour"))
        assert bedrock(client).problem() is None
        stub.add_client_error("converse", "AccessDeniedException", "no access", 403)
        assert "refused to run the model" in str(bedrock(client).problem())
    assert "BedrockModelId" in str(BedrockEngine(client, "").problem())
    assert bedrock(client).serves(LanguagePair("auto", "ja"))
