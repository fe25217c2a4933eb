"""Language codes and input keys become output keys: only supported languages, and no `.`/`..`
path segments (issue 12, "Everything else that was found")."""

import boto3

from tests.support.stack import REGION, http_event, start_job, start_request
from tests.support.workflow import details, output_prefix, outputs, put_documents, read_output, run_to_end


def executions(stack):
    return boto3.client("stepfunctions", region_name=REGION).list_executions(stateMachineArn=stack.state_machine_arn)[
        "executions"
    ]


def test_regional_variants_and_an_auto_source_are_accepted(stack):
    request = start_request(SourceLanguageCode="auto", TargetLanguageCodes=["zh-TW", "fr-CA", "es-MX", "pt-PT", "fa-AF"])
    response = stack.runtime.invoke("ApiFunction", http_event("POST", "/", request, target="StartTextTranslationJob"))
    assert response["statusCode"] == 200, response


def test_a_document_whose_key_has_dot_segments_fails_alone_and_the_job_goes_on(buckets):
    # Given an input prefix holding a normal document and ones whose keys climb out of the prefix
    put_documents(
        {
            "docs/fine.txt": "Hello\n",
            "docs/../../escape.txt": "Out of the prefix\n",
            "docs/sub/./here.txt": "Same folder\n",
        }
    )
    # When the job runs
    job_id = start_job(buckets)
    record = run_to_end(buckets, job_id)
    # Then only the dot-segment documents fail, each with a message; the other is translated
    assert record.job_status == "COMPLETED_WITH_ERROR"
    assert (int(record.translated_documents_count), int(record.documents_with_errors_count)) == (1, 2)
    assert list(outputs(job_id)) == ["fr.fine.txt"]
    assert read_output(outputs(job_id)["fr.fine.txt"]) == "[fr] Hello\n"
    failed = {entry["sourceFile"]: entry["auxiliaryData"]["error"]["errorMessage"]
              for entry in details(job_id, "fr")["details"] if entry["status"] == "FAILED"}
    assert set(failed) == {"../../escape.txt", "sub/./here.txt"}
    assert all("'.' or '..' path segment" in message for message in failed.values())
    # and nothing was written anywhere else in the output bucket
    keys = [obj["Key"] for obj in boto3.client("s3", region_name=REGION).list_objects_v2(Bucket="output-docs")["Contents"]]
    assert all(key.startswith(output_prefix(job_id)) and "/../" not in key for key in keys)


def test_documents_whose_output_keys_would_collide_or_escape_fail_alone(buckets):
    # Given keys that differ only by an empty segment, a Windows path that climbs out, and a document whose
    # translation would land on the job's details file
    put_documents(
        {
            "docs/double.txt": "One\n",
            "docs//double.txt": "Two\n",
            "docs/keys//double.txt": "Three\n",
            "docs/win/..\\..\\evil/x.txt": "Out\n",
            "docs/details/auxiliary-translation-details.json": "{}\n",
            "docs/a\\b.txt": "A backslash in a name is only a name\n",
        }
    )
    # When the job runs
    job_id = start_job(buckets)
    record = run_to_end(buckets, job_id)
    # Then each of those fails alone, with its reason; the others are translated, each to a key of its own
    assert (int(record.translated_documents_count), int(record.documents_with_errors_count)) == (2, 4)
    assert read_output(outputs(job_id)["fr.double.txt"]) == "[fr] One\n"  # not overwritten by docs//double.txt
    assert set(outputs(job_id)) == {"fr.double.txt", "fr.a\\b.txt"}
    failed = {entry["sourceFile"]: entry["auxiliaryData"]["error"]["errorMessage"]
              for entry in details(job_id, "fr")["details"] if entry["status"] == "FAILED"}
    unmappable = {"/double.txt", "keys//double.txt", "win/..\\..\\evil/x.txt"}
    assert set(failed) == {*unmappable, "details/auxiliary-translation-details.json"}
    assert all("empty, '.' or '..' path segment" in failed[key] for key in unmappable)
    assert failed["details/auxiliary-translation-details.json"] == (
        "The document details/auxiliary-translation-details.json would be translated to "
        "details/fr.auxiliary-translation-details.json, where the job writes its details file. Rename the document."
    )
    keys = [obj["Key"] for obj in boto3.client("s3", region_name=REGION).list_objects_v2(Bucket="output-docs")["Contents"]]
    assert all(key.startswith(output_prefix(job_id)) and "\\.." not in key and "//" not in key for key in keys)
