"""FinalizeJob's details files (translate_jobs.details), streamed from the batches' result fragments:
byte for byte the text Amazon Translate's format is (``json.dumps(body, indent=2)``, as they were
written whole before), in batch order although fragments are read concurrently, in bounded parts."""

import json
import threading
from typing import Any

import boto3
import pytest

from tests.support.stack import ACCOUNT, REGION, job_store, put_job, workflow_dependencies
from tests.support.workflow import record_small_parts

PART = 1024  # bytes of a details part here (5 MiB in the service: S3's minimum)


def s3() -> Any:
    return boto3.client("s3", region_name=REGION)


def documents(batch: int, count: int) -> list[dict[str, Any]]:
    """A batch's result fragment as TranslateBatch writes it: some translated, some failed."""
    found = []
    for n in range(count):
        name = f"dossier-{batch}/naïve “{n}”.txt"
        if n % 3 == 2:
            found.append({"SourceFile": name, "Status": "FAILED", "Error": f"The document is not valid UTF-8 ({batch}/{n})."})
        else:
            folder, _, base = name.rpartition("/")
            found.append({"SourceFile": name, "Status": "SUCCEEDED", "Targets": [
                {"TargetLanguageCode": target, "TargetFile": f"{folder}/{target}.{base}", "Characters": 12}
                for target in ("fr", "de")]})
    return found


def job_with_fragments(stack: Any, batches: int, per_batch: int) -> tuple[Any, list[list[dict[str, Any]]]]:
    from translate_jobs.dal.store import JobRecord

    job_id = put_job("IN_PROGRESS")
    record = JobRecord.get(ACCOUNT, job_id)
    record.target_language_codes = ["fr", "de"]
    record.save()
    fragments = [documents(batch, per_batch) for batch in range(batches)]
    for batch, fragment in enumerate(fragments):
        key = f"results/{ACCOUNT}/{job_id}/batch-{batch:07d}.json"
        s3().put_object(Bucket=stack.work_bucket, Key=key, Body=json.dumps(fragment).encode())
    return job_store().get(ACCOUNT, job_id), fragments


def expected_text(job: Any, fragments: list[list[dict[str, Any]]], target: str) -> bytes:
    """The details file as it was written whole: one json.dumps of the body."""
    from translate_jobs.workflow.details import entry

    everything = [document for fragment in fragments for document in fragment]
    body = {
        "sourceLanguageCode": "en",
        "targetLanguageCode": target,
        "inputDataPrefix": job.input_data_config["S3Uri"],
        "outputDataPrefix": job.output_data_config["S3Uri"],
        "documentCountWithCustomerError": sum(1 for document in everything if document["Status"] == "FAILED"),
        "documentCountWithServerError": 0,
        "details": [entry(document, target) for document in everything],
    }
    return json.dumps(body, indent=2).encode()


def written(job: Any, target: str) -> bytes:
    key = f"out/{ACCOUNT}-TranslateText-{job.job_id}/details/{target}.auxiliary-translation-details.json"
    return bytes(s3().get_object(Bucket="output-docs", Key=key)["Body"].read())


@pytest.fixture
def small_parts(monkeypatch: Any) -> list[int]:
    """Details parts of PART bytes (moto's minimum lowered to match); the sizes of the parts uploaded."""
    from translate_jobs.workflow import details

    return record_small_parts(monkeypatch, details, "DETAILS_PART_BYTES", PART)


def test_a_normal_jobs_details_are_the_same_text_as_written_whole(buckets):
    from translate_jobs.workflow import steps

    job, fragments = job_with_fragments(buckets, batches=3, per_batch=4)
    first_failure = steps._write_details(workflow_dependencies(), job)
    assert first_failure == "The document is not valid UTF-8 (0/2)."
    for target in ("fr", "de"):
        assert written(job, target) == expected_text(job, fragments, target)


def test_large_details_are_streamed_in_bounded_parts_with_the_header_first(buckets, small_parts):
    from translate_jobs.workflow import steps

    job, fragments = job_with_fragments(buckets, batches=12, per_batch=10)
    steps._write_details(workflow_dependencies(), job)
    for target in ("fr", "de"):
        text = written(job, target)
        assert text == expected_text(job, fragments, target)
        assert json.loads(text)["documentCountWithCustomerError"] == 12 * 3
    assert len(small_parts) >= 2 * 4  # several parts per file
    assert max(small_parts) < 2 * PART + 1024  # the first part carries the header too; none grows with the job


def test_fragments_are_read_concurrently_and_written_in_batch_order(buckets, monkeypatch):
    import moto.s3.models

    from translate_jobs.workflow import steps

    job, fragments = job_with_fragments(buckets, batches=8, per_batch=2)
    # Batch 0's read answers only once batch 5's was asked for: read one at a time, it would never.
    fifth_asked = threading.Event()
    get_object = moto.s3.models.S3Backend.get_object

    def gated(self: Any, bucket_name: str, key_name: str, *args: Any, **kwargs: Any) -> Any:
        if key_name.endswith("batch-0000005.json"):
            fifth_asked.set()
        if key_name.endswith("batch-0000000.json"):
            assert fifth_asked.wait(timeout=30), "batch 5 was not read while batch 0's read was pending"
        return get_object(self, bucket_name, key_name, *args, **kwargs)

    monkeypatch.setattr(moto.s3.models.S3Backend, "get_object", gated)
    steps._write_details(workflow_dependencies(), job)
    assert written(job, "fr") == expected_text(job, fragments, "fr")


def test_no_results_write_no_details_file(buckets):
    from translate_jobs.workflow import steps

    job = job_store().get(ACCOUNT, put_job("IN_PROGRESS"))
    assert steps._write_details(workflow_dependencies(), job) is None
    assert s3().list_objects_v2(Bucket="output-docs").get("KeyCount", 0) == 0
