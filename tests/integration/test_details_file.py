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


def expected_text(job: Any, fragments: list[list[dict[str, Any]]], target: str, left: list[str] = (), reason: str = "") -> bytes:
    """The details file as one json.dumps of the body writes it, in AWS's documented shape (counts as strings)."""
    from translate_jobs.workflow.details import entry

    everything = [document for fragment in fragments for document in fragment]
    characters = sum(t["Characters"] for d in everything for t in d.get("Targets", []) if t["TargetLanguageCode"] == target)
    body: dict[str, Any] = {
        "sourceLanguageCode": "en",
        "targetLanguageCode": target,
        "charactersTranslated": str(characters),
        "documentCountWithCustomerError": str(sum(1 for document in everything if document["Status"] == "FAILED")),
        "documentCountWithServerError": "0",
        "inputDataPrefix": job.input_data_config["S3Uri"],
        "outputDataPrefix": job.output_data_config["S3Uri"],
    }
    if left:
        body["documentCountNotTranslated"] = str(len(left))
    body["details"] = [entry(document, target) for document in everything]
    if left:
        body["documentsNotTranslated"] = [{"sourceFile": name, "reason": reason} for name in left]
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
        assert json.loads(text)["documentCountWithCustomerError"] == str(12 * 3)
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


# ---------- what a stopped or failed job left ----------

# Amazon Translate's developer guide, "Getting batch translation results": the example details file.
AWS_EXAMPLE = {
    "sourceLanguageCode": "en",
    "targetLanguageCode": "fr",
    "charactersTranslated": "105",
    "documentCountWithCustomerError": "0",
    "documentCountWithServerError": "0",
    "inputDataPrefix": "s3://input-bucket-name/folder",
    "outputDataPrefix": "s3://output-bucket-name/012345678901-TranslateText-1c1838f470806ab9c3e0057f14717bed/",
    "details": [
        {"sourceFile": "mySourceText.txt", "targetFile": "fr.mySourceText.txt",
         "auxiliaryData": {"appliedTerminologies": [
             {"name": "TestTerminology", "terms": [{"sourceText": "Amazon", "targetText": "Amazon"}]}]}},
    ],
}


def shape(value: Any) -> Any:
    """A JSON value's shape: its keys and the types of its scalars, recursively (lists by their first item)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def contains_shape(ours: Any, theirs: Any) -> bool:
    if isinstance(theirs, dict):
        return isinstance(ours, dict) and all(key in ours and contains_shape(ours[key], item) for key, item in theirs.items())
    if isinstance(theirs, list):
        return isinstance(ours, list) and (not theirs or bool(ours) and contains_shape(ours[0], theirs[0]))
    return ours == theirs


def test_the_details_file_has_every_field_of_awss_example_with_awss_types(buckets):
    from translate_jobs.workflow import steps

    job, _ = job_with_fragments(buckets, batches=1, per_batch=0)
    applied = [{"name": "TestTerminology", "terms": [{"sourceText": "Amazon", "targetText": "Amazon"}]}]
    fragment = [{"SourceFile": "mySourceText.txt", "Status": "SUCCEEDED", "Targets": [
        {"TargetLanguageCode": target, "TargetFile": f"{target}.mySourceText.txt", "Characters": 105,
         "AppliedTerminologies": applied} for target in ("fr", "de")]}]
    s3().put_object(Bucket=buckets.work_bucket, Key=f"results/{ACCOUNT}/{job.job_id}/batch-0000000.json",
                    Body=json.dumps(fragment).encode())
    steps._write_details(workflow_dependencies(), job)
    ours = json.loads(written(job, "fr"))
    assert contains_shape(shape(ours), shape(AWS_EXAMPLE)), (shape(ours), shape(AWS_EXAMPLE))
    assert list(ours)[:7] == list(AWS_EXAMPLE)[:7]  # the example's order
    assert ours["charactersTranslated"] == "105" and ours["documentCountWithCustomerError"] == "0"
    assert ours["details"][0]["auxiliaryData"] == AWS_EXAMPLE["details"][0]["auxiliaryData"]


def job_with_a_manifest(stack: Any, status: str, batches: list[list[str]], results: dict[int, int]) -> Any:
    """A job planned into ``batches`` (keys under docs/) whose batch b wrote results for its first results[b]
    documents (a batch that stopped part way writes fewer; a batch never begun, none)."""
    from translate_jobs.dal.store import JobRecord

    job_id = put_job(status)
    record = JobRecord.get(ACCOUNT, job_id)
    record.input_data_config = {"S3Uri": "s3://input-docs/docs/", "ContentType": "text/plain"}
    record.input_documents_count = sum(map(len, batches))
    record.translated_documents_count = sum(results.values())
    record.batch_count = len(batches)
    record.save()
    manifest = "".join(json.dumps({"Batch": n, "Keys": [f"docs/{key}" for key in keys]}) + "\n" for n, keys in enumerate(batches))
    s3().put_object(Bucket=stack.work_bucket, Key=f"manifests/{ACCOUNT}/{job_id}.jsonl", Body=manifest.encode())
    for batch, done in results.items():
        fragment = [{"SourceFile": key, "Status": "SUCCEEDED", "Targets": [
            {"TargetLanguageCode": "fr", "TargetFile": f"fr.{key}", "Characters": 3}]} for key in batches[batch][:done]]
        s3().put_object(Bucket=stack.work_bucket, Key=f"results/{ACCOUNT}/{job_id}/batch-{batch:07d}.json",
                        Body=json.dumps(fragment).encode())
    return job_store().get(ACCOUNT, job_id)


def test_a_stopped_jobs_details_name_every_document_left_in_the_manifests_order(buckets):
    from translate_jobs.workflow import steps
    from translate_jobs.workflow.details import STOPPED_REASON

    batches = [["a0", "a1"], ["b0", "b1"], ["c0", "c1"], ["d0", "d1"], ["e0"]]
    # Batches 0 and 2 finished, 3 stopped after its first document, 1 and 4 never began.
    job = job_with_a_manifest(buckets, "STOP_REQUESTED", batches, {0: 2, 2: 2, 3: 1})
    steps._write_details(workflow_dependencies(), job)
    text = written(job, "fr")
    left = ["b0", "b1", "d1", "e0"]
    fragments = [[{"SourceFile": key, "Status": "SUCCEEDED", "Targets": [
        {"TargetLanguageCode": "fr", "TargetFile": f"fr.{key}", "Characters": 3}]} for key in batches[b][:n]]
        for b, n in ((0, 2), (2, 2), (3, 1))]
    assert text == expected_text(job, fragments, "fr", left, STOPPED_REASON)
    report = json.loads(text)
    translated = {entry["sourceFile"] for entry in report["details"]}
    assert translated.isdisjoint(left) and translated | set(left) == {key for keys in batches for key in keys}
    assert report["documentCountNotTranslated"] == "4"


def test_a_failed_jobs_left_documents_say_the_job_ended(buckets):
    from translate_jobs.workflow import steps
    from translate_jobs.workflow.details import ENDED_REASON

    job = job_with_a_manifest(buckets, "IN_PROGRESS", [["a"], ["b"]], {0: 1})  # batch 1 failed every retry
    steps._write_details(workflow_dependencies(), job)
    assert json.loads(written(job, "fr"))["documentsNotTranslated"] == [{"sourceFile": "b", "reason": ENDED_REASON}]


@pytest.mark.long
def test_a_finished_job_reads_no_manifest_and_names_nothing_left(buckets, monkeypatch):
    from translate_jobs.workflow import steps

    job = job_with_a_manifest(buckets, "IN_PROGRESS", [["a"], ["b"]], {0: 1, 1: 1})
    monkeypatch.setattr(steps, "_manifest", lambda *args: pytest.fail("a finished job read its manifest"))
    steps._write_details(workflow_dependencies(), job)
    report = json.loads(written(job, "fr"))
    assert "documentsNotTranslated" not in report and "documentCountNotTranslated" not in report


def test_what_was_left_is_streamed_in_bounded_parts(buckets, small_parts):
    from translate_jobs.workflow import steps
    from translate_jobs.workflow.details import STOPPED_REASON

    batches = [[f"doc-{b:03d}-{n}.txt" for n in range(5)] for b in range(60)]  # 300 documents, 3 batches done
    job = job_with_a_manifest(buckets, "STOP_REQUESTED", batches, {0: 5, 1: 5, 2: 3})
    steps._write_details(workflow_dependencies(), job)
    report = json.loads(written(job, "fr"))
    left = [entry["sourceFile"] for entry in report["documentsNotTranslated"]]
    assert left == batches[2][3:] + [key for keys in batches[3:] for key in keys]
    assert {entry["reason"] for entry in report["documentsNotTranslated"]} == {STOPPED_REASON}
    assert len(small_parts) >= 4 and max(small_parts) < 2 * PART + 1024


def test_a_job_whose_map_failed_is_failed_with_its_details_and_what_it_left(buckets):
    from translate_jobs.domain.failure import Failure
    from translate_jobs.workflow import steps
    from translate_jobs.workflow.details import ENDED_REASON

    # The Map failed itself (its result writer, after every batch but the last had run): the job ends FAILED,
    # and its details name what was translated and what was left.
    job = job_with_a_manifest(buckets, "IN_PROGRESS", [["a"], ["b"]], {0: 1})
    result = steps.finalize_job(workflow_dependencies(), ACCOUNT, job.job_id,
                                failure=Failure("States.ResultWriterFailed", "the Map could not write its results"))
    assert result == {"JobStatus": "FAILED"}
    report = json.loads(written(job, "fr"))
    assert [entry["sourceFile"] for entry in report["details"]] == ["a"]
    assert report["documentsNotTranslated"] == [{"sourceFile": "b", "reason": ENDED_REASON}]


def test_a_job_whose_finalize_failed_is_failed_without_writing_details_again(buckets, monkeypatch):
    from translate_jobs.domain.failure import Failure
    from translate_jobs.workflow import steps

    job = job_with_a_manifest(buckets, "IN_PROGRESS", [["a"], ["b"]], {0: 1})
    monkeypatch.setattr(steps, "_write_details", lambda *args: pytest.fail("wrote the details after FinalizeJob failed"))
    result = steps.finalize_job(workflow_dependencies(), ACCOUNT, job.job_id, failure=Failure("DataAccessError", "refused"))
    assert result == {"JobStatus": "FAILED"}
