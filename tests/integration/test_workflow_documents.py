"""Document formats, encryption and several targets through the project's workflow in moto
(same set-up as tests/integration/test_workflow.py; the helpers are tests/support/workflow.py)."""

import json
from typing import Any

import boto3
import pytest

from tests.support.stack import REGION, http_event, start_job, start_request
from tests.support.workflow import details, outputs, put_documents, read_output, run_to_end, s3

XLIFF = """<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
  <file original="ui.txt" source-language="en" datatype="plaintext">
    <body>
      <trans-unit id="greeting"><source>Hello</source></trans-unit>
      <trans-unit id="farewell"><source>Goodbye <g id="1">friend</g></source></trans-unit>
    </body>
  </file>
</xliff>
"""


def test_html_job_translates_text_nodes_only_for_every_target(buckets):
    page = '<html><head><script>var s = "<b>Hello</b>";</script></head><body><p>Hello &amp; welcome</p></body></html>\n'
    put_documents({"docs/site/index.html": page, "docs/site/about/team.html": "<h1>Team</h1>"})
    job_id = start_job(buckets, InputDataConfig={"S3Uri": "s3://input-docs/docs/", "ContentType": "text/html"},
                       TargetLanguageCodes=["fr", "de"])
    record = run_to_end(buckets, job_id)
    assert record.job_status == "COMPLETED"
    produced = outputs(job_id)
    # One output per document per target, each beside its source's relative folder.
    assert sorted(produced) == [
        "site/about/de.team.html", "site/about/fr.team.html", "site/de.index.html", "site/fr.index.html"
    ]
    assert read_output(produced["site/fr.index.html"]) == (
        '<html><head><script>var s = "<b>Hello</b>";</script></head><body><p>[fr] Hello &amp; welcome</p></body></html>\n'
    )
    assert read_output(produced["site/about/de.team.html"]) == "<h1>[de] Team</h1>"
    targets = {entry["targetFile"] for entry in details(job_id, "de")["details"]}
    assert targets == {"site/de.index.html", "site/about/de.team.html"}


@pytest.mark.long
def test_xliff_job_and_broken_documents_end_completed_with_error(buckets):
    put_documents(
        {
            "docs/ui.xlf": XLIFF,
            "docs/evil.xlf": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xliff>&a;</xliff>',
            "docs/broken.xlf": "<xliff><file>",
            "docs/deep.xlf": XLIFF.replace("friend", "<g>" * 1_000 + "friend" + "</g>" * 1_000),  # RecursionError failed the job
        }
    )
    job_id = start_job(buckets, InputDataConfig={"S3Uri": "s3://input-docs/docs/", "ContentType": "application/x-xliff+xml"})
    record = run_to_end(buckets, job_id)
    assert record.job_status == "COMPLETED_WITH_ERROR"
    assert (int(record.translated_documents_count), int(record.documents_with_errors_count)) == (1, 3)
    out = read_output(outputs(job_id)["fr.ui.xlf"])
    assert '<trans-unit id="greeting"><source>Hello</source><target>[fr] Hello</target></trans-unit>' in out
    assert '<target>[fr] Goodbye <g id="1">[fr] friend</g></target>' in out
    assert 'target-language="fr"' in out
    failed = {entry["sourceFile"]: entry["auxiliaryData"]["error"]["errorMessage"]
              for entry in details(job_id, "fr")["details"] if entry["status"] == "FAILED"}
    assert set(failed) == {"evil.xlf", "broken.xlf", "deep.xlf"}
    assert "DOCTYPE" in failed["evil.xlf"] and "not well-formed" in failed["broken.xlf"]
    assert "nested more than 256 levels deep" in failed["deep.xlf"]


@pytest.mark.long
def test_outputs_and_details_are_encrypted_with_the_jobs_kms_key(buckets):
    key_id = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    put_documents({"docs/a.txt": "Hello\n", "docs/sub/b.txt": "World\n"})
    encrypted = {"S3Uri": "s3://output-docs/out/", "EncryptionKey": {"Type": "KMS", "Id": key_id}}
    job_id = start_job(buckets, OutputDataConfig=encrypted)
    record = run_to_end(buckets, job_id)
    assert record.job_status == "COMPLETED"
    produced = outputs(job_id)
    assert sorted(produced) == ["fr.a.txt", "sub/fr.b.txt"]
    keys = [*produced.values(), f"out/{record.account_id}-TranslateText-{job_id}/details/fr.auxiliary-translation-details.json"]
    for key in keys:
        head = s3().head_object(Bucket="output-docs", Key=key)
        assert head["ServerSideEncryption"] == "aws:kms", key
        assert head["SSEKMSKeyId"] == key_id, key
    assert read_output(produced["sub/fr.b.txt"]) == "[fr] World\n"


def test_an_unsupported_content_type_is_refused_at_start(buckets):
    request = start_request(InputDataConfig={"S3Uri": "s3://input-docs/docs/", "ContentType": "application/pdf"})
    response = buckets.runtime.invoke("ApiFunction", http_event("POST", "/", request, target="StartTextTranslationJob"))
    assert response["statusCode"] == 400
    body: dict[str, Any] = json.loads(response["body"])
    assert body["__type"] == "InvalidRequestException"
    assert "application/pdf is not supported" in body["message"]
