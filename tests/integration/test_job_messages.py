"""Every way a job can end, and the Message it carries: a sentence a user can act on, in the service's
words, naming what was wrong and where; never an internal exception's text (translate_jobs.domain.messages)."""

from typing import Any

import pytest

from tests.support.stack import ACCOUNT, start_job, stop_job
from tests.support.workflow import put_documents, run_to_end, use_engine

DETAILS = "details/<language>.auxiliary-translation-details.json in the job's output location"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/TranslateData"


class BrokenEngine:
    """An engine with a bug: its exception's text must reach the logs, not the job."""

    def translate(self, text: str, source: str, target: str, settings: Any) -> str:
        raise RuntimeError("KeyError in engine internals at 0x7f3a (secret detail)")


def end(stack: Any, **request: Any) -> Any:
    return run_to_end(stack, start_job(stack, **request))


@pytest.mark.long
def test_completed(buckets):
    put_documents({"docs/a.txt": "A\n", "docs/b.txt": "B\n"})
    record = end(buckets)
    assert (record.job_status, record.message) == ("COMPLETED", "Translated 2 of 2 documents.")


@pytest.mark.long
def test_completed_with_error_points_at_the_details_file(buckets):
    put_documents({"docs/a.txt": "A\n", "docs/bad.txt": b"\xff\xfe"})
    record = end(buckets)
    assert record.job_status == "COMPLETED_WITH_ERROR"
    assert record.message == f"Translated 1 of 2 documents; 1 could not be translated: see {DETAILS}."


@pytest.mark.long
def test_every_document_failing_gives_the_first_reason(buckets):
    put_documents({"docs/a.txt": b"\xff\xfe", "docs/b.txt": b"\xfe\xff"})
    record = end(buckets)
    assert record.job_status == "FAILED"
    assert record.message == (
        "None of the 2 documents could be translated. The first reason: The document is not valid UTF-8 text. "
        f"Every document's reason is in {DETAILS}."
    )


def test_no_documents_names_the_input_location(buckets):
    record = end(buckets, InputDataConfig={"S3Uri": "s3://input-docs/empty/", "ContentType": "text/plain"})
    assert (record.job_status, record.message) == ("FAILED", "No documents were found under s3://input-docs/empty/.")


def test_a_missing_input_bucket_is_named(buckets):
    record = end(buckets, InputDataConfig={"S3Uri": "s3://no-such-input/docs/", "ContentType": "text/plain"})
    assert record.job_status == "FAILED"
    assert record.message == "Translate could not list the input location: The bucket of s3://no-such-input/docs/ does not exist."


def test_a_missing_output_bucket_is_named_not_the_sdk_error(buckets):
    put_documents({"docs/a.txt": "A\n"})
    record = end(buckets, OutputDataConfig={"S3Uri": "s3://no-such-output/out/"})
    assert record.job_status == "FAILED"
    assert record.message.startswith("Translate could not write the job's details file: The bucket of s3://no-such-output/")
    assert record.message.endswith("does not exist.")
    assert "An error occurred" not in record.message and "PutObject operation" not in record.message


def test_a_role_that_cannot_be_assumed_is_named_with_what_to_check(buckets, monkeypatch):
    from moto.sts.exceptions import STSClientError
    from moto.sts.models import STSBackend

    refused = f"arn:aws:iam::{ACCOUNT}:role/NotTrustingTranslate"
    real = STSBackend.assume_role

    def assume_role(self: Any, **kwargs: Any) -> Any:
        if kwargs["role_arn"] == refused:
            raise STSClientError("AccessDenied", "User: arn:aws:sts::123:assumed-role/w/s is not authorized")
        return real(self, **kwargs)

    monkeypatch.setattr(STSBackend, "assume_role", assume_role)
    put_documents({"docs/a.txt": "A\n"})
    record = end(buckets, DataAccessRoleArn=refused)
    assert record.job_status == "FAILED"
    assert record.message == (
        f"Translate could not assume the DataAccessRoleArn {refused} (AccessDenied): check that the role exists and that "
        f"its trust policy lets Translate's workers assume it for account {ACCOUNT}'s jobs "
        "(docs/security.md: The data-access role)."
    )


def test_an_internal_error_says_so_without_its_text(buckets, monkeypatch):
    use_engine(monkeypatch, "broken", BrokenEngine)
    put_documents({"docs/a.txt": "A\n"})
    record = end(buckets)
    assert record.job_status == "FAILED"
    assert record.message == (
        "The job stopped after 0 of 1 documents because of an internal error in the translation service. Start the job "
        "again; if it fails again, report the job id to the service's operators."
    )
    assert "secret detail" not in record.message and "KeyError" not in record.message


@pytest.mark.long
def test_stopped_before_it_began(buckets, monkeypatch):
    held: list[tuple[str, str]] = []
    api = buckets.runtime.dependencies("ApiFunction")
    launch = api.launcher
    monkeypatch.setattr(api, "launcher", lambda account_id, job_id: held.append((account_id, job_id)))
    put_documents({"docs/a.txt": "A\n"})
    job_id = start_job(buckets)
    assert stop_job(buckets, job_id) == "STOP_REQUESTED"
    launch(*held.pop())
    record = run_to_end(buckets, job_id)
    assert record.job_status == "STOPPED"
    assert record.message == (
        "Stopped on request before any document was translated; what was translated is in the job's output location."
    )
