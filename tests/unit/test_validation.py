"""Unit tests (no AWS): request validation in AWS's wording, and the job-outcome rules."""

import pytest

from translate_jobs.api.validation import validate_request
from translate_jobs.domain.errors import ValidationError
from translate_jobs.domain.lifecycle import JobStatus, outcome

JOB_ID_PATTERN = r"^([\p{L}\p{Z}\p{N}_.:/=+\-%@]*)$"


def rejection(request: object, operation: str = "StopTextTranslationJob") -> str:
    with pytest.raises(ValidationError) as raised:
        validate_request(operation, request)
    return str(raised.value)


def test_a_33_character_job_id_is_rejected_with_the_aws_message():
    # Given a JobId one character longer than the model allows
    job_id = "a" * 33
    # When Stop validates it
    message = rejection({"JobId": job_id})
    # Then the caller reads exactly what AWS says
    assert message == (
        f"1 validation error detected: Value '{job_id}' at 'jobId' failed to satisfy constraint: "
        "Member must have length less than or equal to 32"
    )


def test_a_32_character_job_id_is_accepted():
    validate_request("StopTextTranslationJob", {"JobId": "0123456789abcdef0123456789abcdef"})


def test_an_empty_job_id_is_rejected_for_its_length():
    assert rejection({"JobId": ""}) == (
        "1 validation error detected: Value '' at 'jobId' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_a_job_id_outside_the_unicode_pattern_is_rejected():
    assert rejection({"JobId": "ab#c"}) == (
        "1 validation error detected: Value 'ab#c' at 'jobId' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {JOB_ID_PATTERN}"
    )


@pytest.mark.parametrize("job_id", ["héllo wörld", "日本語ジョブ", "job_1.a:b/c=d+e-f%g@h", "٣٤٥"])
def test_unicode_letters_numbers_and_separators_are_accepted(job_id):
    # Given a JobId made of \p{L}, \p{Z}, \p{N} and the allowed punctuation
    # When it is validated, Then nothing is raised
    validate_request("DescribeTextTranslationJob", {"JobId": job_id})


def test_a_missing_job_id_is_reported_as_null():
    assert rejection({}) == (
        "1 validation error detected: Value null at 'jobId' failed to satisfy constraint: Member must not be null"
    )


def test_a_null_job_id_is_reported_as_null():
    assert "Value null at 'jobId' failed to satisfy constraint: Member must not be null" in rejection({"JobId": None})


def test_a_job_id_of_the_wrong_type_is_rejected():
    assert rejection({"JobId": 5}) == (
        "1 validation error detected: Value '5' at 'jobId' failed to satisfy constraint: Member must be a string"
    )


def test_an_unknown_member_is_rejected():
    assert rejection({"JobId": "abc", "Foo": 1}) == (
        "1 validation error detected: Value at 'foo' failed to satisfy constraint: "
        "Member must be a known member of StopTextTranslationJobRequest"
    )


def test_two_problems_are_counted_and_joined_with_semicolons():
    # Given a JobId both too long and outside the pattern
    job_id = "#" * 33
    # When it is validated
    message = rejection({"JobId": job_id})
    # Then both are reported, counted, in one message
    assert message == (
        "2 validation errors detected: "
        f"Value '{job_id}' at 'jobId' failed to satisfy constraint: Member must have length less than or equal to 32; "
        f"Value '{job_id}' at 'jobId' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {JOB_ID_PATTERN}"
    )


def test_the_problems_stay_available_as_a_list():
    with pytest.raises(ValidationError) as raised:
        validate_request("StopTextTranslationJob", {"JobId": "#" * 33, "Extra": True})
    assert len(raised.value.problems) == 3
    assert str(raised.value).startswith("3 validation errors detected: ")


def test_a_start_request_names_nested_members_in_lower_camel_case():
    message = rejection(
        {
            "InputDataConfig": {"S3Uri": "s3://translate-jobs-demo-input/docs/", "ContentType": "text/plain"},
            "OutputDataConfig": {"S3Uri": "not-an-s3-uri"},
            "DataAccessRoleArn": "arn:aws:iam::123456789012:role/TranslateDemoDataAccess",
            "SourceLanguageCode": "en",
            "TargetLanguageCodes": ["fr"],
            "ClientToken": "token-1",
        },
        operation="StartTextTranslationJob",
    )
    assert message.startswith("1 validation error detected: Value 'not-an-s3-uri' at 'outputDataConfig.s3Uri'")


# --- jobs.outcome(): the terminal status the workflow gives a finishing job -----------------


def test_every_document_translated_is_completed():
    assert outcome(status=JobStatus.IN_PROGRESS, total=3, translated=3, failed=0, error=None) == (
        JobStatus.COMPLETED,
        "Translated 3 of 3 documents.",
    )


def test_some_documents_failed_is_completed_with_error():
    status, message = outcome(status=JobStatus.IN_PROGRESS, total=3, translated=2, failed=1, error=None)
    assert status == JobStatus.COMPLETED_WITH_ERROR
    assert message == (
        "Translated 2 of 3 documents; 1 could not be translated: see "
        "details/<language>.auxiliary-translation-details.json in the job's output location."
    )


def test_every_document_failed_is_failed():
    status, message = outcome(status=JobStatus.IN_PROGRESS, total=2, translated=0, failed=2, error=None)
    assert status == JobStatus.FAILED
    assert message == (
        "None of the 2 documents could be translated. Every document's reason is in "
        "details/<language>.auxiliary-translation-details.json in the job's output location."
    )


def test_a_job_stopped_before_its_documents_were_planned_is_stopped():
    # Given a stop that arrived before the workflow counted the documents (total still 0)
    status, message = outcome(status=JobStatus.STOP_REQUESTED, total=0, translated=0, failed=0, error=None)
    # Then it has finished nothing: STOPPED, not COMPLETED
    assert status == JobStatus.STOPPED
    assert message == (
        "Stopped on request before any document was translated; what was translated is in the job's output location."
    )


def test_a_job_that_finished_before_the_stop_took_effect_is_completed():
    # Given a stop arrived, but every document was already translated (the seed's rule)
    status, _ = outcome(status=JobStatus.STOP_REQUESTED, total=4, translated=4, failed=0, error=None)
    # Then the job is COMPLETED, not STOPPED
    assert status == JobStatus.COMPLETED


def test_a_finished_job_with_failures_and_a_stop_keeps_its_finished_outcome():
    status, _ = outcome(status=JobStatus.STOP_REQUESTED, total=4, translated=3, failed=1, error=None)
    assert status == JobStatus.COMPLETED_WITH_ERROR


def test_a_stop_requested_job_with_documents_left_is_stopped():
    status, message = outcome(status=JobStatus.STOP_REQUESTED, total=10, translated=3, failed=1, error=None)
    assert status == JobStatus.STOPPED
    assert message == "Stopped on request after 4 of 10 documents; what was translated is in the job's output location."


def test_a_stop_requested_job_that_hit_an_error_is_stopped():
    status, _ = outcome(status=JobStatus.STOP_REQUESTED, total=10, translated=10, failed=0, error="boom")
    assert status == JobStatus.STOPPED


def test_an_error_in_a_running_job_fails_it_with_that_message():
    assert outcome(status=JobStatus.IN_PROGRESS, total=10, translated=2, failed=0, error="Access denied to s3://x") == (
        JobStatus.FAILED,
        "Access denied to s3://x",
    )


def test_a_running_job_with_documents_unaccounted_for_fails():
    status, message = outcome(status=JobStatus.IN_PROGRESS, total=10, translated=2, failed=1, error=None)
    assert status == JobStatus.FAILED
    assert message == (
        "The job stopped after 3 of 10 documents because of an internal error in the translation service. Start the job "
        "again; if it fails again, report the job id to the service's operators."
    )


def test_the_model_read_is_the_latest_translate_model_botocore_ships():
    # Validation reads botocore's Translate model by its version (no Session, for the cold start):
    # it must be the model a botocore Session would pick, so a newer botocore cannot leave it behind.
    import botocore.session

    from translate_jobs.api.validation import _service_model

    latest = botocore.session.get_session().get_service_model("translate")
    assert _service_model().api_version == latest.api_version
    assert _service_model().operation_names == latest.operation_names


# ---------- blobs: base64 text on the wire, their limits on the bytes ----------


def document(content: str, content_type: str = "text/plain") -> dict[str, object]:
    return {"Document": {"Content": content, "ContentType": content_type}, "SourceLanguageCode": "en", "TargetLanguageCode": "fr"}


@pytest.mark.parametrize("content", ["SGVsbG8=", "SGVsbG8h", "SGk=", ""])
def test_a_blob_is_base64_text(content):
    validate_request("TranslateDocument", document(content))


@pytest.mark.parametrize("content", ["SGVsbG8", "SGVsbG8===", "SGV sbG8=", "SGVs\nbG8=", "SG=sbG8="])
def test_a_blob_that_is_not_base64_is_refused(content):
    assert "at 'document.content' failed to satisfy constraint: Member must be base64-encoded binary data" in rejection(
        document(content), "TranslateDocument")


def test_a_blobs_length_limit_is_on_its_bytes_not_its_text():
    import base64

    largest = base64.b64encode(b"x" * 102400).decode()  # the model's 102,400 bytes: 136,534 characters of base64
    validate_request("TranslateDocument", document(largest))
    assert "Member must have length less than or equal to 102400" in rejection(
        document(base64.b64encode(b"x" * 102401).decode()), "TranslateDocument")


def test_a_request_with_a_blob_may_be_as_large_as_its_blob_allows_up_to_lambdas_payload():
    from translate_jobs.api import wire

    assert wire.max_body_bytes("StopTextTranslationJob") == wire.MAX_BODY_BYTES
    assert wire.max_body_bytes("TranslateDocument") == wire.MAX_BODY_BYTES + 136536
    assert wire.max_body_bytes("ImportTerminology") == wire.MAX_EVENT_BODY_BYTES  # 10 MiB of base64 would not reach Lambda
    with pytest.raises(Exception, match="a Lambda function's request payload is at most 6 MB"):
        wire.decode_body(b" " * (wire.MAX_EVENT_BODY_BYTES + 1), "ImportTerminology")
