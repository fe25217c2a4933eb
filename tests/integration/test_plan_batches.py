"""PlanBatches streams the input's listing into a JSON Lines manifest (translate_jobs.manifest):
batches close by count and by bytes, parts are bounded, the job's limits hold while listing, and a
plan that runs short of time resumes from a small continuation, in the function and in the workflow.

PlanBatchesFunction runs as its own role (template.yaml's policy: the multipart upload, ListParts,
AbortMultipartUpload). S3 takes parts of 5 MiB; here moto is told a smaller minimum, and the
manifest's parts are made as small, so a few documents make several parts.
"""

import json
from typing import Any

import boto3
import pytest

from tests.support.stack import ACCOUNT, REGION, configure, job_store, put_job, start_job, wait_for_execution
from tests.support.workflow import record_small_parts

PART = 400  # bytes of a manifest part here (8 MiB in the service)


def s3() -> Any:
    return boto3.client("s3", region_name=REGION)


@pytest.fixture
def small_parts(buckets: Any, monkeypatch: Any) -> list[int]:
    """Manifest parts of PART bytes (moto's minimum lowered to match); the sizes of the parts uploaded."""
    from translate_jobs.workflow import manifest

    return record_small_parts(monkeypatch, manifest, "PART_BYTES", PART)


def put_documents(sizes: dict[str, int]) -> None:
    for key, size in sizes.items():
        s3().put_object(Bucket="input-docs", Key=key, Body=b"x" * size)


def plan(stack: Any, job_id: str, continuation: dict[str, Any] | None = None) -> dict[str, Any]:
    event = {"AccountId": ACCOUNT, "JobId": job_id, **({"Plan": {"Continuation": continuation}} if continuation else {})}
    return dict(stack.runtime.invoke("PlanBatchesFunction", event))


def manifest_lines(stack: Any, job_id: str) -> list[dict[str, Any]]:
    body = s3().get_object(Bucket=stack.work_bucket, Key=f"manifests/{ACCOUNT}/{job_id}.jsonl")["Body"].read()
    assert body.endswith(b"\n")
    return [json.loads(line) for line in body.decode().splitlines()]


def open_uploads(stack: Any) -> list[Any]:
    return list(s3().list_multipart_uploads(Bucket=stack.work_bucket).get("Uploads", []))


def test_batches_close_by_count_and_by_bytes_and_a_large_document_is_alone(buckets, monkeypatch):
    configure(buckets, BATCH_SIZE="3", BATCH_MAX_BYTES="100")
    put_documents({"in/a": 10, "in/b": 10, "in/c": 10, "in/d": 10, "in/e": 60, "in/f": 500, "in/g": 40, "in/h": 1})
    job_id = put_job("IN_PROGRESS")
    result = plan(buckets, job_id)
    assert result["BatchCount"] == 4 and result["Continuation"] is None
    assert manifest_lines(buckets, job_id) == [
        {"Batch": 0, "Keys": ["in/a", "in/b", "in/c"]},  # three documents: the count
        {"Batch": 1, "Keys": ["in/d", "in/e"]},  # 70 bytes; with f it would pass 100
        {"Batch": 2, "Keys": ["in/f"]},  # larger than a batch may be: alone
        {"Batch": 3, "Keys": ["in/g", "in/h"]},
    ]
    record = job_store().get(ACCOUNT, job_id)
    assert (int(record.input_documents_count), int(record.batch_count)) == (8, 4)


@pytest.mark.long
def test_the_manifest_is_uploaded_in_bounded_parts(buckets, small_parts, monkeypatch):
    configure(buckets, BATCH_SIZE="2")
    put_documents({f"in/{'long-name-' * 5}{n:04d}.txt": 1 for n in range(60)})
    job_id = put_job("IN_PROGRESS")
    assert plan(buckets, job_id)["BatchCount"] == 30
    lines = manifest_lines(buckets, job_id)
    assert [line["Batch"] for line in lines] == list(range(30))
    assert sum(len(line["Keys"]) for line in lines) == 60
    longest_line = max(len(json.dumps(line, separators=(",", ":"))) + 1 for line in lines)
    assert len(small_parts) >= 3
    # Every part but the last is one part's worth, give or take the line that filled it.
    assert all(PART <= size < PART + longest_line for size in small_parts[:-1]), small_parts
    assert open_uploads(buckets) == []


def test_a_small_manifest_is_one_put(buckets, small_parts):
    put_documents({"in/a.txt": 5})
    job_id = put_job("IN_PROGRESS")
    assert plan(buckets, job_id)["BatchCount"] == 1
    assert small_parts == []  # no multipart upload for a manifest within one part
    assert manifest_lines(buckets, job_id) == [{"Batch": 0, "Keys": ["in/a.txt"]}]


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ({"MAX_DOCUMENTS_PER_JOB": "25"}, "The input s3://input-docs/in/ holds more than 25 documents, the most a job may have."),
        ({"MAX_JOB_BYTES": "250"}, "The documents under s3://input-docs/in/ total 400 bytes; a job may have at most 250."),
    ],
)
def test_the_job_limits_hold_while_listing_and_the_upload_is_abandoned(buckets, small_parts, monkeypatch, limit, message):
    configure(buckets, BATCH_SIZE="2", **limit)
    put_documents({f"in/{'long-name-' * 5}{n:04d}.txt": 10 for n in range(40)})
    job_id = put_job("IN_PROGRESS")
    with pytest.raises(Exception) as raised:
        plan(buckets, job_id)
    assert type(raised.value).__name__ == "FunctionError"
    assert raised.value.payload["errorType"] == "JobLimitExceededError"  # type: ignore[attr-defined]
    assert raised.value.payload["errorMessage"] == message  # type: ignore[attr-defined]
    assert small_parts, "the limit was reached after a part was uploaded"
    assert open_uploads(buckets) == []  # aborted (the bucket's lifecycle rule is the backstop)


@pytest.mark.long
def test_a_plan_short_of_time_resumes_from_its_continuation(buckets, small_parts, monkeypatch):
    from translate_jobs.workflow import steps

    configure(buckets, BATCH_SIZE="2")
    put_documents({f"in/{'long-name-' * 5}{n:04d}.txt": 1 for n in range(60)})
    expected = put_job("IN_PROGRESS")
    plan(buckets, expected)
    whole = manifest_lines(buckets, expected)

    monkeypatch.setattr(steps, "PLAN_SECONDS_TO_SPARE", 10**9)  # every invocation is short of time
    job_id = put_job("IN_PROGRESS")
    answers = [plan(buckets, job_id)]
    while answers[-1]["Continuation"]:
        continuation = answers[-1]["Continuation"]
        assert len(json.dumps(continuation)) < 400 + len(continuation["StartAfter"])  # small, whatever the job's size
        plan(buckets, job_id, continuation)  # an attempt whose answer was lost: the retry redoes it
        answers.append(plan(buckets, job_id, continuation))
    assert len(answers) >= 3
    assert answers[-1]["BatchCount"] == 30
    assert manifest_lines(buckets, job_id) == whole
    assert open_uploads(buckets) == []


@pytest.mark.long
def test_the_workflow_loops_on_a_continuation_to_a_completed_job(buckets, small_parts, monkeypatch):
    from translate_jobs.workflow import steps

    configure(buckets, BATCH_SIZE="2")
    monkeypatch.setattr(steps, "PLAN_SECONDS_TO_SPARE", 10**9)
    keys = [f"docs/{'long-name-' * 5}{n:04d}.txt" for n in range(30)]
    for key in keys:
        s3().put_object(Bucket="input-docs", Key=key, Body=b"hello\n")
    job_id = start_job(buckets)
    assert wait_for_execution(buckets, job_id)["status"] == "SUCCEEDED"
    record = job_store().get(ACCOUNT, job_id)
    assert record.job_status == "COMPLETED"
    assert (int(record.input_documents_count), int(record.translated_documents_count)) == (30, 30)
    assert len(small_parts) >= 3  # it did run over several PlanBatches invocations
