"""The project's own workflow (statemachine/translation_job.asl.json) executed by moto's interpreter,
its Lambda tasks running the real worker handlers in-process (see tests/support/stack.py)."""

import json
import threading
import time
from typing import Any

import boto3
import pytest

from tests.support.stack import (
    ACCOUNT,
    MAP_LANES,
    REGION,
    configure,
    counted_batches,
    http_event,
    job_store,
    put_job,
    start_job,
    stop_job,
    workflow_dependencies,
)
from tests.support.workflow import details, job, output_prefix, outputs, put_documents, read_output, run_to_end, s3, use_engine
from translate_jobs.domain.job import BatchCount

ROLE = f"arn:aws:iam::{ACCOUNT}:role/TranslateData"
REFUSED_ROLE = f"arn:aws:iam::{ACCOUNT}:role/NotTrustingTranslate"


# ---------- (a) a job that runs ----------


def test_job_runs_to_completed_with_outputs_counts_and_details(buckets):
    put_documents(
        {
            "docs/hello.txt": "Hello\n  indented line  \n\nlast line without newline",
            "docs/nested/deeper/a.txt": "Nested A\n",
            "docs/nested/b.txt": "Nested B\n",
        }
    )
    job_id = start_job(buckets, TargetLanguageCodes=["fr", "de"])
    record = run_to_end(buckets, job_id)

    assert record.job_status == "COMPLETED"
    assert record.message == "Translated 3 of 3 documents."
    assert record.end_time is not None and record.end_time >= record.submitted_time
    assert int(record.input_documents_count) == 3
    assert int(record.translated_documents_count) == 3
    assert int(record.documents_with_errors_count) == 0

    produced = outputs(job_id)
    assert sorted(produced) == sorted(
        [
            "fr.hello.txt", "de.hello.txt",
            "nested/deeper/fr.a.txt", "nested/deeper/de.a.txt",
            "nested/fr.b.txt", "nested/de.b.txt",
        ]
    )
    assert read_output(produced["fr.hello.txt"]) == "[fr] Hello\n  [fr] indented line  \n\n[fr] last line without newline"
    assert read_output(produced["nested/deeper/de.a.txt"]) == "[de] Nested A\n"

    for target in ("fr", "de"):
        report = details(job_id, target)
        assert report["sourceLanguageCode"] == "en" and report["targetLanguageCode"] == target
        assert report["inputDataPrefix"] == "s3://input-docs/docs/"
        assert report["outputDataPrefix"] == f"s3://output-docs/{output_prefix(job_id)}"
        assert report["documentCountWithCustomerError"] == "0"  # AWS writes its counts as strings
        assert report["charactersTranslated"] == str(len("Hello\n  indented line  \n\nlast line without newline")
                                                     + len("Nested A\n") + len("Nested B\n"))
        entries = {entry["sourceFile"]: entry for entry in report["details"]}
        assert set(entries) == {"hello.txt", "nested/deeper/a.txt", "nested/b.txt"}
        assert entries["nested/b.txt"] == {
            "sourceFile": "nested/b.txt", "status": "SUCCEEDED", "targetFile": f"nested/{target}.b.txt"
        }

    # Describe through the API reports the same job.
    event = http_event("POST", "/", {"JobId": job_id}, target="DescribeTextTranslationJob")
    response = buckets.runtime.invoke("ApiFunction", event)
    properties = json.loads(response["body"])["TextTranslationJobProperties"]
    assert properties["JobStatus"] == "COMPLETED"
    assert properties["JobDetails"] == {"TranslatedDocumentsCount": 3, "DocumentsWithErrorsCount": 0, "InputDocumentsCount": 3}
    assert "EndTime" in properties and "Message" in properties


@pytest.mark.long
def test_many_documents_over_several_batches(buckets, monkeypatch):
    configure(buckets, BATCH_SIZE="4")
    put_documents({f"docs/d{n:02d}.txt": f"line {n}\n" for n in range(11)})
    job_id = start_job(buckets)
    record = run_to_end(buckets, job_id)
    assert record.job_status == "COMPLETED"
    assert int(record.batch_count) == 3
    assert counted_batches(buckets, ACCOUNT, job_id) == {0, 1, 2}
    assert int(record.translated_documents_count) == int(record.input_documents_count) == 11
    assert len(outputs(job_id)) == 11
    # The Map's results went to the work bucket (its ResultWriter).
    written = s3().list_objects_v2(Bucket=buckets.work_bucket, Prefix="map-results/").get("Contents", [])
    assert [obj["Key"].rsplit("/", 1)[-1] for obj in written] == ["manifest.json"]


# ---------- (b), (c), (d) stopping ----------


def test_job_stopped_mid_run_ends_stopped_and_the_map_starts_no_further_batch(buckets, monkeypatch, gated):
    from translate_jobs.workflow import steps

    lanes, batch_size, documents = MAP_LANES, 2, 40  # 20 batches, 4 at a time: most not begun at the stop
    gated.close(free=4)
    use_engine(monkeypatch, "gated", gated, batch_size=batch_size)
    real_translate_batch = steps.translate_batch
    batches: list[tuple[float, str]] = []  # (when it began, how it ended: "counted" or the error's name)

    def recording_translate_batch(deps: Any, account_id: str, job_id: str, batch: int, keys: list[str]) -> dict[str, Any]:
        started = time.monotonic()
        try:
            result = real_translate_batch(deps, account_id, job_id, batch, keys)
        except Exception as error:
            batches.append((started, type(error).__name__))
            raise
        batches.append((started, "counted"))
        return result

    monkeypatch.setattr(steps, "translate_batch", recording_translate_batch)
    put_documents({f"docs/d{n:02d}.txt": f"text {n}\n" for n in range(documents)})
    job_id = start_job(buckets)

    deadline = time.monotonic() + 120  # only against a hang: the gate, not the clock, orders what follows
    while len(outputs(job_id)) < gated.free:  # the free documents are written; the next ones are held
        assert time.monotonic() < deadline
        time.sleep(0.02)
    stop_called = time.monotonic()
    assert stop_job(buckets, job_id) == "STOP_REQUESTED"
    stop_written = time.monotonic()
    outputs_at_stop = len(outputs(job_id))
    gated.gate.set()

    while job(job_id).job_status not in ("STOPPED", "COMPLETED", "FAILED", "COMPLETED_WITH_ERROR"):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    stop_to_terminal = time.monotonic() - stop_called
    record = run_to_end(buckets, job_id)
    after_stop = len(outputs(job_id)) - outputs_at_stop
    print(
        f"\nMEASURED stop->STOPPED: {stop_to_terminal:.3f}s; documents translated after the stop: {after_stop}; "
        f"batches begun: {len(batches)} of {documents // batch_size} ({lanes} lanes)"
    )

    assert record.job_status == "STOPPED"
    assert record.message and record.message.startswith("Stopped on request after ")
    assert record.end_time is not None and record.stop_requested_time is not None
    # The Map stopped launching: the batches running at the stop saw it and failed naming it, a batch that
    # began after the stop (if any began before the Map ended) failed at once, at most one per lane; the
    # rest were never begun.
    after = [outcome for started, outcome in batches if started > stop_written]
    assert set(after) <= {"JobStopRequestedError"} and len(after) <= lanes
    assert "JobStopRequestedError" in {outcome for _, outcome in batches}
    assert len(batches) < documents // batch_size
    # ... and a running batch re-reads the job before each document, so at most the one document in
    # flight per Map lane completed after the stop; what was written is counted.
    assert after_stop <= lanes
    assert int(record.input_documents_count) == documents
    assert int(record.translated_documents_count) == len(outputs(job_id)) < documents
    report = details(job_id, "fr")
    assert report["details"]  # the documents done before the stop are reported, and those it left, each with why
    done = {entry["sourceFile"] for entry in report["details"]}
    left = {entry["sourceFile"] for entry in report["documentsNotTranslated"]}
    assert done.isdisjoint(left) and done | left == {f"d{n:02d}.txt" for n in range(documents)}
    assert len(done) == int(record.translated_documents_count) and report["documentCountNotTranslated"] == str(len(left))
    reasons = {entry["reason"] for entry in report["documentsNotTranslated"]}
    assert reasons == {"The job was stopped before this document was translated."}


@pytest.mark.long
def test_stop_after_the_last_batch_ends_completed(buckets, monkeypatch):
    from translate_jobs.workflow import steps

    put_documents({"docs/a.txt": "A\n", "docs/b.txt": "B\n"})
    real_finalize = steps.finalize_job
    seen = []

    def stop_then_finalize(deps: Any, account_id: str, job_id: str, failure: Any = None) -> dict[str, str]:
        # Every batch is counted; the stop arrives just before FinalizeJob runs.
        seen.append(job_store().request_stop(account_id, job_id, now=time.time()))
        return real_finalize(deps, account_id, job_id, failure=failure)

    monkeypatch.setattr(steps, "finalize_job", stop_then_finalize)
    job_id = start_job(buckets)
    record = run_to_end(buckets, job_id)
    assert seen == ["STOP_REQUESTED"]
    assert record.job_status == "COMPLETED"
    assert record.stop_requested_time is not None
    assert int(record.translated_documents_count) == 2
    assert len(outputs(job_id)) == 2
    # Stop on the finished job reports it unchanged.
    assert stop_job(buckets, job_id) == "COMPLETED"


def test_stop_before_the_workflow_starts_ends_stopped_with_nothing_translated(buckets):
    put_documents({"in/a.txt": "A\n", "in/b.txt": "B\n"})
    job_id = put_job("SUBMITTED")
    assert job_store().request_stop(ACCOUNT, job_id, now=time.time()) == "STOP_REQUESTED"
    boto3.client("stepfunctions", region_name=REGION).start_execution(
        stateMachineArn=buckets.state_machine_arn, name=job_id, input=json.dumps({"AccountId": ACCOUNT, "JobId": job_id})
    )
    record = run_to_end(buckets, job_id)
    assert record.job_status == "STOPPED"
    assert record.message and record.end_time is not None
    assert int(record.translated_documents_count) == 0 and int(record.input_documents_count) == 0
    listed = s3().list_objects_v2(Bucket="output-docs").get("KeyCount", 0)
    assert listed == 0


# ---------- (e) - (i) failures ----------


class FlakyEngine:
    """Fails every document whose text contains FAIL."""

    def translate(self, text: str, source: str, target: str, settings: Any) -> str:
        from translate_jobs.integrations.engines import DocumentError, PseudoEngine

        if "FAIL" in text:
            raise DocumentError("The engine refused this document (test).")
        return PseudoEngine().translate(text, source, target, settings)


def test_some_documents_failing_ends_completed_with_error(buckets, monkeypatch):
    use_engine(monkeypatch, "flaky", FlakyEngine, batch_size=2)
    put_documents({"docs/ok1.txt": "fine\n", "docs/bad.txt": "FAIL\n", "docs/ok2.txt": "fine too\n"})
    job_id = start_job(buckets)
    record = run_to_end(buckets, job_id)
    assert record.job_status == "COMPLETED_WITH_ERROR"
    assert "1 could not be translated" in record.message
    assert (int(record.translated_documents_count), int(record.documents_with_errors_count)) == (2, 1)
    assert sorted(outputs(job_id)) == ["fr.ok1.txt", "fr.ok2.txt"]
    report = details(job_id, "fr")
    assert report["documentCountWithCustomerError"] == "1"
    failed = [entry for entry in report["details"] if entry["status"] == "FAILED"]
    assert failed == [
        {
            "sourceFile": "bad.txt",
            "status": "FAILED",
            "auxiliaryData": {"error": {"errorMessage": "The engine refused this document (test)."}},
        }
    ]


@pytest.mark.long
def test_all_documents_failing_ends_failed(buckets, monkeypatch):
    use_engine(monkeypatch, "flaky", FlakyEngine)
    put_documents({"docs/bad1.txt": "FAIL\n", "docs/bad2.txt": "FAIL again\n"})
    job_id = start_job(buckets)
    record = run_to_end(buckets, job_id)
    assert record.job_status == "FAILED"
    assert record.message.startswith("None of the 2 documents could be translated. The first reason: ")
    assert int(record.documents_with_errors_count) == 2
    assert outputs(job_id) == {}
    assert {entry["sourceFile"] for entry in details(job_id, "fr")["details"]} == {"bad1.txt", "bad2.txt"}


def test_unreadable_input_location_ends_failed_naming_it(buckets):
    job_id = start_job(buckets, InputDataConfig={"S3Uri": "s3://no-such-bucket/docs/", "ContentType": "text/plain"})
    record = run_to_end(buckets, job_id)
    assert record.job_status == "FAILED"
    assert "s3://no-such-bucket/docs/" in record.message
    assert record.end_time is not None


def test_a_failure_before_the_job_began_ends_failed_not_stuck_submitted(buckets, monkeypatch):
    # Given BeginJob fails for good (a non-retryable error) while the job is still SUBMITTED
    from translate_jobs.workflow import steps

    def broken_begin(deps: Any, account_id: str, job_id: str) -> Any:
        raise RuntimeError("the job table is unreachable")

    monkeypatch.setattr(steps, "begin_job", broken_begin)
    put_documents({"docs/a.txt": "hello\n"})
    # When the job runs
    record = run_to_end(buckets, start_job(buckets))
    # Then the failure path finalizes it FAILED with the error, instead of leaving it SUBMITTED
    assert record.job_status == "FAILED"
    assert "internal error in the translation service" in record.message
    assert "the job table is unreachable" not in record.message  # the exception's text is for the logs
    assert record.end_time is not None


def test_unassumable_role_ends_failed_with_a_message(buckets, monkeypatch):
    # moto's STS assumes any role (it checks no trust policy): this is where the emulator's line is.
    # Refuse one role the way AWS does, with AccessDenied from sts:AssumeRole.
    from moto.sts.exceptions import STSClientError
    from moto.sts.models import STSBackend

    real_assume_role = STSBackend.assume_role

    def assume_role(self: Any, **kwargs: Any) -> Any:
        if kwargs["role_arn"] == REFUSED_ROLE:
            raise STSClientError(
                "AccessDenied",
                f"User: arn:aws:sts::{ACCOUNT}:assumed-role/worker/session is not authorized to perform: "
                f"sts:AssumeRole on resource: {REFUSED_ROLE}",
            )
        return real_assume_role(self, **kwargs)

    monkeypatch.setattr(STSBackend, "assume_role", assume_role)
    put_documents({"docs/a.txt": "A\n"})
    job_id = start_job(buckets, DataAccessRoleArn=REFUSED_ROLE)
    record = run_to_end(buckets, job_id)
    assert record.job_status == "FAILED"
    assert f"could not assume the DataAccessRoleArn {REFUSED_ROLE}" in record.message
    assert "its trust policy lets Translate's workers assume it" in record.message
    assert outputs(job_id) == {}


def test_no_documents_ends_failed_with_a_message(buckets):
    put_documents({"elsewhere/a.txt": "A\n"})
    job_id = start_job(buckets)
    record = run_to_end(buckets, job_id)
    assert record.job_status == "FAILED"
    assert record.message == "No documents were found under s3://input-docs/docs/."


def test_undecodable_document_is_counted_as_failed(buckets):
    put_documents({"docs/good.txt": "Hello\n", "docs/latin1.txt": "caf\xe9\n".encode("latin-1")})
    job_id = start_job(buckets)
    record = run_to_end(buckets, job_id)
    assert record.job_status == "COMPLETED_WITH_ERROR"
    assert (int(record.translated_documents_count), int(record.documents_with_errors_count)) == (1, 1)
    failed = [entry for entry in details(job_id, "fr")["details"] if entry["status"] == "FAILED"]
    assert [entry["sourceFile"] for entry in failed] == ["latin1.txt"]
    assert "not valid UTF-8" in failed[0]["auxiliaryData"]["error"]["errorMessage"]


# ---------- counting exactly once ----------


def test_a_retried_batch_is_counted_once(buckets):
    from translate_jobs.workflow import steps

    put_documents({"in/a.txt": "A\n", "in/b.txt": "B\n", "in/c.txt": "C\n"})
    job_id = put_job("IN_PROGRESS", input_documents_count=3)
    deps = workflow_dependencies()
    first = steps.translate_batch(deps, ACCOUNT, job_id, 0, ["in/a.txt", "in/b.txt"])
    again = steps.translate_batch(deps, ACCOUNT, job_id, 0, ["in/a.txt", "in/b.txt"])
    assert first == {"Translated": 2, "Failed": 0, "Skipped": False}
    assert again["Skipped"] is True
    # Even a retry that gets past the read (the first attempt's count landed meanwhile) adds nothing.
    assert deps.store.count_batch(ACCOUNT, job_id, BatchCount(0, translated=2, failed=0), now=time.time()) is False
    record = job(job_id)
    assert int(record.translated_documents_count) == 2 and counted_batches(buckets, ACCOUNT, job_id) == {0}

    steps.translate_batch(deps, ACCOUNT, job_id, 1, ["in/c.txt"])
    record = job(job_id)
    assert int(record.translated_documents_count) == 3 and counted_batches(buckets, ACCOUNT, job_id) == {0, 1}
    assert steps.finalize_job(deps, ACCOUNT, job_id) == {"JobStatus": "COMPLETED"}


@pytest.mark.long
def test_counting_leaves_the_job_item_the_same_size(buckets):
    from tests.support.stack import raw_item

    job_id = put_job("IN_PROGRESS", input_documents_count=3000)
    store = job_store()
    store.count_batch(ACCOUNT, job_id, BatchCount(0, translated=1000, failed=100), now=time.time())
    size = len(json.dumps(raw_item(buckets.table_name, ACCOUNT, job_id)))
    for batch in range(1, 300):
        store.count_batch(ACCOUNT, job_id, BatchCount(batch, translated=5, failed=1), now=time.time())
    item = raw_item(buckets.table_name, ACCOUNT, job_id)
    assert item is not None and len(json.dumps(item)) == size  # as many digits in every count as after batch 0
    assert item["TranslatedDocumentsCount"] == {"N": "2495"} and item["DocumentsWithErrorsCount"] == {"N": "399"}
    assert len(counted_batches(buckets, ACCOUNT, job_id)) == 300


def test_a_batch_of_a_stopped_job_fails_naming_the_stop_and_translates_nothing(buckets):
    from translate_jobs.workflow import steps

    put_documents({"in/a.txt": "A\n"})
    job_id = put_job("STOP_REQUESTED", input_documents_count=1)
    try:
        steps.translate_batch(workflow_dependencies(), ACCOUNT, job_id, 0, ["in/a.txt"])
    except steps.JobStopRequestedError as error:
        assert "STOP_REQUESTED" in str(error)
    else:
        raise AssertionError("the batch ran although the job was stopped")
    assert outputs(job_id) == {} and counted_batches(buckets, ACCOUNT, job_id) == set()


def test_concurrent_retries_of_one_batch_count_once(buckets):
    put_documents({"in/a.txt": "A\n"})
    job_id = put_job("IN_PROGRESS", input_documents_count=1)
    threads = [
        threading.Thread(
            target=job_store().count_batch,
            args=(ACCOUNT, job_id, BatchCount(0, translated=1, failed=0)),
            kwargs={"now": time.time()},
        )
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert int(job(job_id).translated_documents_count) == 1
