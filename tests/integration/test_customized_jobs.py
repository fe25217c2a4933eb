"""Jobs that name a terminology and parallel data, run by the workflow over moto: every term found comes out as its
target term (in the case of the text it replaced) and is listed in the details file's appliedTerminologies; every
line the parallel data holds comes out as its stored translation, whatever the engine, and is counted."""

import base64
import json
import time
from typing import Any

import boto3
import pytest

from tests.support.stack import ACCOUNT, REGION, http_event
from tests.support.workflow import details, output_prefix, put_documents, read_output, run_to_end, use_engine

BRAND_CSV = b"en,fr,de\nAmazon Photos,Amazon Photos,Amazon Fotos\ncloud,nuage,Wolke\n"
MEMORY_TSV = b"en\tfr\nHello, world.\tBonjour tout le monde.\n"


def ok(stack: Any, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    response = stack.runtime.invoke("ApiFunction", http_event("POST", "/", body, target=operation))
    assert response["statusCode"] == 200, response
    return dict(json.loads(response["body"] or "{}"))


def import_brand(stack: Any) -> None:
    ok(stack, "ImportTerminology", {"Name": "brand", "MergeStrategy": "OVERWRITE",
                                    "TerminologyData": {"File": base64.b64encode(BRAND_CSV).decode(), "Format": "CSV"}})


def create_memory(stack: Any, body: bytes = MEMORY_TSV) -> None:
    boto3.client("s3", region_name=REGION).put_object(Bucket="input-docs", Key="tm/support.tsv", Body=body)
    ok(stack, "CreateParallelData", {"Name": "support", "ClientToken": "tm", "ParallelDataConfig": {
        "S3Uri": "s3://input-docs/tm/support.tsv", "Format": "TSV"}})
    deadline = time.monotonic() + 60
    while ok(stack, "GetParallelData", {"Name": "support"})["ParallelDataProperties"]["Status"] != "ACTIVE":
        assert time.monotonic() < deadline, "the parallel data never became ACTIVE"
        time.sleep(0.05)


def start(stack: Any, **members: Any) -> str:
    request = {"ClientToken": f"t-{time.monotonic_ns()}", "InputDataConfig": {"S3Uri": "s3://input-docs/docs/",
               "ContentType": members.pop("content_type", "text/plain")}, "OutputDataConfig": {"S3Uri": "s3://output-docs/out/"},
               "DataAccessRoleArn": f"arn:aws:iam::{ACCOUNT}:role/TranslateData", "SourceLanguageCode": "en",
               "TargetLanguageCodes": ["fr", "de"], **members}
    return str(ok(stack, "StartTextTranslationJob", request)["JobId"])


def test_a_jobs_terms_come_out_as_their_targets_and_are_listed_in_the_details_file(buckets):
    import_brand(buckets)
    put_documents({"docs/a.txt": "Save to the CLOUD with Amazon Photos.\n", "docs/b.txt": "Nothing to see.\n"})
    job_id = start(buckets, TerminologyNames=["brand"])
    assert run_to_end(buckets, job_id).job_status == "COMPLETED"
    prefix = output_prefix(job_id)
    assert read_output(prefix + "fr.a.txt") == "[fr] Save to the NUAGE with Amazon Photos.\n"
    assert read_output(prefix + "de.a.txt") == "[de] Save to the WOLKE with Amazon Fotos.\n"
    # Listed as the file writes them, in the order found in the document
    for target, expected in (("fr", [("cloud", "nuage"), ("Amazon Photos", "Amazon Photos")]),
                             ("de", [("cloud", "Wolke"), ("Amazon Photos", "Amazon Fotos")])):
        entries = {entry["sourceFile"]: entry for entry in details(job_id, target)["details"]}
        terms = [{"sourceText": source, "targetText": target_text} for source, target_text in expected]
        assert entries["a.txt"]["auxiliaryData"]["appliedTerminologies"] == [{"name": "brand", "terms": terms}]
        assert "auxiliaryData" not in entries["b.txt"]


def test_terms_apply_in_every_format_the_engine_is_given_text_of(buckets):
    import_brand(buckets)
    put_documents({"docs/page.html": "<p>Our <b>cloud</b> and Amazon Photos</p>"})
    job_id = start(buckets, TerminologyNames=["brand"], content_type="text/html", TargetLanguageCodes=["fr"])
    assert run_to_end(buckets, job_id).job_status == "COMPLETED"
    assert read_output(output_prefix(job_id) + "fr.page.html") == "<p>[fr] Our <b>[fr] nuage</b> [fr] and Amazon Photos</p>"


def test_lines_the_parallel_data_holds_come_out_as_stored_and_are_counted(buckets):
    create_memory(buckets)
    put_documents({"docs/a.txt": "Hello, world.\nSomething new.\n", "docs/b.txt": "Other text.\n"})
    job_id = start(buckets, ParallelDataNames=["support"], TargetLanguageCodes=["fr"])
    assert run_to_end(buckets, job_id).job_status == "COMPLETED"
    assert read_output(output_prefix(job_id) + "fr.a.txt") == "Bonjour tout le monde.\n[fr] Something new.\n"
    report = details(job_id, "fr")
    entries = {entry["sourceFile"]: entry for entry in report["details"]}
    assert entries["a.txt"]["auxiliaryData"] == {"parallelData": {"name": "support", "segments": 1}}
    assert "auxiliaryData" not in entries["b.txt"] and report["segmentCountFromParallelData"] == "1"


@pytest.mark.long  # slow (whole jobs or two stacks): make test-long, which CI runs
@pytest.mark.parametrize("engine", ["keeping", "losing"])
def test_the_memory_and_the_terms_win_whatever_the_engine(buckets, monkeypatch, engine):
    class Keeping:  # an engine that keeps what it does not know, as the pseudo engine does
        def translate(self, text: str, source: str, target: str, settings: Any) -> str:
            return f"<{target}>{text}"

    class Losing(Keeping):  # an engine that loses what it does not know, as a neural model does
        def translate(self, text: str, source: str, target: str, settings: Any) -> str:
            return super().translate(text.replace("\u27e6", "").replace("\u27e7", ""), source, target, settings)

    use_engine(monkeypatch, engine, Keeping if engine == "keeping" else Losing)
    import_brand(buckets)
    create_memory(buckets)
    put_documents({"docs/a.txt": "Hello, world.\nKeep it in the cloud.\n"})
    job_id = start(buckets, TerminologyNames=["brand"], ParallelDataNames=["support"], TargetLanguageCodes=["fr"])
    assert run_to_end(buckets, job_id).job_status == "COMPLETED"
    output = read_output(output_prefix(job_id) + "fr.a.txt")
    assert output.startswith("Bonjour tout le monde.\n") and "nuage" in output and "cloud" not in output


@pytest.mark.long
def test_a_terminology_deleted_while_the_job_ran_fails_its_documents_saying_so(buckets, monkeypatch):
    import_brand(buckets)
    put_documents({"docs/a.txt": "cloud\n"})
    from translate_jobs.workflow import steps

    real = steps.translate_batch

    def deleted_first(deps: Any, account_id: str, job_id: str, batch: int, keys: list[str]) -> Any:
        ok(buckets, "DeleteTerminology", {"Name": "brand"})
        return real(deps, account_id, job_id, batch, keys)

    monkeypatch.setattr(steps, "translate_batch", deleted_first)
    job_id = start(buckets, TerminologyNames=["brand"], TargetLanguageCodes=["fr"])
    record = run_to_end(buckets, job_id)
    assert record.job_status == "FAILED"
    assert "The terminology brand was not found" in record.message and "start the job again" in record.message


@pytest.mark.long  # slow (whole jobs or two stacks): make test-long, which CI runs
def test_a_neural_models_job_applies_the_terms_and_the_memory_too(buckets, argos_models):
    from tests.support.stack import configure

    # Given the ctranslate2 engine on tiny random-weight packages (its output is nonsense, but its own)
    configure(buckets, TRANSLATION_ENGINE="ctranslate2", TRANSLATION_MODELS=str(argos_models))
    import_brand(buckets)
    create_memory(buckets)
    put_documents({"docs/a.txt": "Hello, world.\nThe weather was cold, so we saved it to the cloud.\n"})
    job_id = start(buckets, TerminologyNames=["brand"], ParallelDataNames=["support"], TargetLanguageCodes=["fr"])
    assert run_to_end(buckets, job_id).job_status == "COMPLETED"
    # Then the memory's line is as stored and the term is in the model's translation of the other line
    first, second = read_output(output_prefix(job_id) + "fr.a.txt").splitlines()
    assert first == "Bonjour tout le monde." and "nuage" in second and "cloud" not in second
    [entry] = details(job_id, "fr")["details"]
    terms = [{"sourceText": "cloud", "targetText": "nuage"}]
    assert entry["auxiliaryData"]["appliedTerminologies"] == [{"name": "brand", "terms": terms}]
