"""Issue 23's "Done when", over `make run` as a newcomer starts it, with the AWS CLI and real botocore configured as
another emulator's users configure them (test/test keys, AWS_ENDPOINT_URL_TRANSLATE, no --endpoint-url):
terminologies from CSV and TMX imported, listed, got and downloaded, applied and listed by a job and by
TranslateText; an unknown terminology refused; parallel data CREATING -> ACTIVE and its lines winning in a job;
TranslateDocument returning a docx; ListLanguages; a terminology's tags round-tripping; a user allowed only
DescribeTextTranslationJob unable to Start; the details file in AWS's shape, and a stopped job's naming what it left."""

import io
import json
import os
import subprocess
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.e2e import AWS, ROLE, RunningStack, free_port, running_stack
from tests.support.office import docx_with

pytestmark = pytest.mark.e2e

INPUT, OUTPUT = "translate-jobs-demo-input", "translate-jobs-demo-output"
ACCOUNT = "123456789012"
TERMINAL = {"COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOPPED"}
STOPPED_JOB_DOCUMENTS = 2000  # one a batch, one lane: tens of seconds of work, far longer than a stop takes


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    logs = tmp_path_factory.mktemp("translate-api")
    port, emulator_port, console_port = free_port(), free_port(), free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("AWS_", "MOTO_")) and key not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    command = ["make", "run", f"PORT={port}", f"EMULATOR_PORT={emulator_port}", f"CONSOLE_PORT={console_port}",
               "PARAMETER_OVERRIDES=BatchSize=1 MapMaxConcurrency=1", f"LOG_FILE={logs / 'functions.log'}"]
    with running_stack(command, env, logs, port, emulator_port, timeout=120) as running:
        yield running


def environment(stack: RunningStack, key: str = "test", secret: str = "test") -> dict[str, str]:
    """As LocalStack's documentation configures a client: test/test, and one endpoint variable per service."""
    return {**os.environ, "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret, "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_TRANSLATE": stack.api, "AWS_ENDPOINT_URL_S3": stack.emulator,
            "AWS_ENDPOINT_URL_IAM": stack.emulator, "AWS_PAGER": ""}


def aws(stack: RunningStack, *args: str, ok: bool = True, **keys: str) -> Any:
    result = subprocess.run([AWS, *args], env=environment(stack, **keys), capture_output=True, text=True, timeout=60)
    if not ok:
        assert result.returncode != 0, result.stdout
        return result.stderr
    assert result.returncode == 0, f"aws {' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout) if result.stdout.strip().startswith("{") else result.stdout


def clients(stack: RunningStack) -> tuple[Any, Any]:
    """boto3 with the same environment: no endpoint_url given."""
    session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    saved = dict(os.environ)
    os.environ.update({"AWS_ENDPOINT_URL_TRANSLATE": stack.api, "AWS_ENDPOINT_URL_S3": stack.emulator})
    try:
        return session.client("translate"), session.client("s3")
    finally:
        os.environ.clear()
        os.environ.update(saved)


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - the emulator's presigned URL
        return bytes(response.read())


def wait_for(translate: Any, job_id: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = translate.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"]
        if job["JobStatus"] in TERMINAL:
            return dict(job)
        assert time.monotonic() < deadline, f"job still {job['JobStatus']}"
        time.sleep(0.2)


def details(s3: Any, job: dict[str, Any], target: str) -> dict[str, Any]:
    prefix = job["OutputDataConfig"]["S3Uri"].removeprefix(f"s3://{OUTPUT}/")
    key = f"{prefix}details/{target}.auxiliary-translation-details.json"
    return dict(json.loads(s3.get_object(Bucket=OUTPUT, Key=key)["Body"].read()))


def test_terminology_parallel_data_translation_and_a_job_through_the_cli_and_botocore(stack: RunningStack, tmp_path: Path):
    translate, s3 = clients(stack)
    # Terminologies from CSV and from TMX, with the CLI
    (tmp_path / "brand.csv").write_text("en,fr\nAmazon Photos,Amazon Photos\ncloud,nuage\n")
    (tmp_path / "products.tmx").write_text(
        '<?xml version="1.0"?><tmx version="1.4"><header srclang="en"/><body><tu><tuv xml:lang="en"><seg>bucket</seg></tuv>'
        '<tuv xml:lang="fr"><seg>seau</seg></tuv></tu></body></tmx>')
    imported = aws(stack, "translate", "import-terminology", "--name", "brand", "--merge-strategy", "OVERWRITE",
                   "--data-file", f"fileb://{tmp_path / 'brand.csv'}", "--terminology-data", "Format=CSV",
                   "--tags", "Key=team,Value=docs")["TerminologyProperties"]
    assert (imported["TermCount"], imported["TargetLanguageCodes"]) == (2, ["fr"])
    aws(stack, "translate", "import-terminology", "--name", "products", "--merge-strategy", "OVERWRITE",
        "--data-file", f"fileb://{tmp_path / 'products.tmx'}", "--terminology-data", "Format=TMX")
    listed = aws(stack, "translate", "list-terminologies")["TerminologyPropertiesList"]
    assert [terminology["Name"] for terminology in listed] == ["brand", "products"]
    location = aws(stack, "translate", "get-terminology", "--name", "products", "--terminology-data-format", "CSV")
    assert fetch(location["TerminologyDataLocation"]["Location"]) == b"en,fr\nbucket,seau\n"
    # Its tags round-trip
    arn = imported["Arn"]
    aws(stack, "translate", "tag-resource", "--resource-arn", arn, "--tags", "Key=cost,Value=42")
    aws(stack, "translate", "untag-resource", "--resource-arn", arn, "--tag-keys", "team")
    assert aws(stack, "translate", "list-tags-for-resource", "--resource-arn", arn)["Tags"] == [{"Key": "cost", "Value": "42"}]

    # TranslateText applies and lists the terms
    text = translate.translate_text(Text="Keep it in the cloud with Amazon Photos.", SourceLanguageCode="en",
                                    TargetLanguageCode="fr", TerminologyNames=["brand"])
    assert text["TranslatedText"] == "[fr] Keep it in the nuage with Amazon Photos."
    assert [term["SourceText"] for term in text["AppliedTerminologies"][0]["Terms"]] == ["cloud", "Amazon Photos"]

    # An unknown terminology is refused at Start, with AWS's error
    refused = aws(stack, "translate", "start-text-translation-job", "--input-data-config",
                  f"S3Uri=s3://{INPUT}/e2e-terms/,ContentType=text/plain", "--output-data-config", f"S3Uri=s3://{OUTPUT}/e2e/",
                  "--data-access-role-arn", ROLE, "--source-language-code", "en", "--target-language-codes", "fr",
                  "--terminology-names", "NoSuchTerminology", ok=False)
    assert "ResourceNotFoundException" in refused

    # Parallel data goes CREATING -> ACTIVE
    s3.put_object(Bucket=INPUT, Key="e2e-tm/support.tsv", Body=b"en\tfr\nHello, world.\tBonjour tout le monde.\n")
    assert aws(stack, "translate", "create-parallel-data", "--name", "support", "--parallel-data-config",
               f"S3Uri=s3://{INPUT}/e2e-tm/support.tsv,Format=TSV")["Status"] == "CREATING"
    deadline = time.monotonic() + 60
    while translate.get_parallel_data(Name="support")["ParallelDataProperties"]["Status"] == "CREATING":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert translate.get_parallel_data(Name="support")["ParallelDataProperties"]["Status"] == "ACTIVE"

    # A job with both: the memory's line and the terms win; the details file lists and counts them in AWS's shape
    s3.put_object(Bucket=INPUT, Key="e2e-terms/a.txt", Body=b"Hello, world.\nSave to the cloud.\n")
    job_id = translate.start_text_translation_job(
        InputDataConfig={"S3Uri": f"s3://{INPUT}/e2e-terms/", "ContentType": "text/plain"},
        OutputDataConfig={"S3Uri": f"s3://{OUTPUT}/e2e/"}, DataAccessRoleArn=ROLE, SourceLanguageCode="en",
        TargetLanguageCodes=["fr"], TerminologyNames=["brand"], ParallelDataNames=["support"])["JobId"]
    job = wait_for(translate, job_id)
    assert job["JobStatus"] == "COMPLETED"
    prefix = job["OutputDataConfig"]["S3Uri"].removeprefix(f"s3://{OUTPUT}/")
    output = s3.get_object(Bucket=OUTPUT, Key=prefix + "fr.a.txt")["Body"].read()
    assert output == b"Bonjour tout le monde.\n[fr] Save to the nuage.\n"
    report = details(s3, job, "fr")
    assert {name: type(value).__name__ for name, value in report.items() if name != "details"} == {
        "sourceLanguageCode": "str", "targetLanguageCode": "str", "charactersTranslated": "str",
        "documentCountWithCustomerError": "str", "documentCountWithServerError": "str", "inputDataPrefix": "str",
        "outputDataPrefix": "str", "segmentCountFromParallelData": "str"}
    [entry] = report["details"]
    assert (entry["sourceFile"], entry["targetFile"]) == ("a.txt", "fr.a.txt")
    terms = [{"name": "brand", "terms": [{"sourceText": "cloud", "targetText": "nuage"}]}]
    assert entry["auxiliaryData"] == {"appliedTerminologies": terms, "parallelData": {"name": "support", "segments": 1}}

    # TranslateDocument returns a docx; ListLanguages lists the engine's (pseudo: every) language
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    answer = translate.translate_document(Document={"Content": docx_with("<w:p><w:r><w:t>Hello.</w:t></w:r></w:p>"),
                                                    "ContentType": docx}, SourceLanguageCode="en", TargetLanguageCode="fr")
    with zipfile.ZipFile(io.BytesIO(answer["TranslatedDocument"]["Content"])) as package:
        assert "<w:t>[fr] Hello.</w:t>" in package.read("word/document.xml").decode()
    page, languages = translate.list_languages(), []
    while True:
        languages += page["Languages"]
        if "NextToken" not in page:
            break
        page = translate.list_languages(NextToken=page["NextToken"])
    assert len(languages) == 75 and {"LanguageName": "French", "LanguageCode": "fr"} in languages


def test_a_user_allowed_only_to_describe_cannot_start(stack: RunningStack):
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "translate:DescribeTextTranslationJob", "Resource": "*"}]})
    aws(stack, "iam", "create-user", "--user-name", "describer")
    aws(stack, "iam", "put-user-policy", "--user-name", "describer", "--policy-name", "describe", "--policy-document", policy)
    key = aws(stack, "iam", "create-access-key", "--user-name", "describer")["AccessKey"]
    keys = {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    refused = aws(stack, "translate", "start-text-translation-job", "--input-data-config",
                  f"S3Uri=s3://{INPUT}/x/,ContentType=text/plain", "--output-data-config", f"S3Uri=s3://{OUTPUT}/x/",
                  "--data-access-role-arn", ROLE, "--source-language-code", "en", "--target-language-codes", "fr",
                  ok=False, **keys)
    assert "AccessDeniedException" in refused and "translate:StartTextTranslationJob" in refused
    missing = aws(stack, "translate", "describe-text-translation-job", "--job-id", "0" * 32, ok=False, **keys)
    assert "ResourceNotFoundException" in missing  # allowed: answered, for a job it does not have


def test_a_stopped_jobs_details_file_names_what_was_left(stack: RunningStack):
    translate, s3 = clients(stack)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: s3.put_object(Bucket=INPUT, Key=f"e2e-stop/doc{n:04d}.txt", Body=f"Line {n}.\n".encode()),
                      range(STOPPED_JOB_DOCUMENTS)))
    job_id = translate.start_text_translation_job(
        InputDataConfig={"S3Uri": f"s3://{INPUT}/e2e-stop/", "ContentType": "text/plain"},
        OutputDataConfig={"S3Uri": f"s3://{OUTPUT}/e2e-stop/"}, DataAccessRoleArn=ROLE, SourceLanguageCode="en",
        TargetLanguageCodes=["fr"])["JobId"]
    deadline = time.monotonic() + 120
    while not translate.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"].get(
            "JobDetails", {}).get("TranslatedDocumentsCount"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    translate.stop_text_translation_job(JobId=job_id)
    job = wait_for(translate, job_id)
    assert job["JobStatus"] == "STOPPED"
    report = details(s3, job, "fr")
    done = [entry["sourceFile"] for entry in report["details"]]
    left = [entry["sourceFile"] for entry in report["documentsNotTranslated"]]
    assert sorted(done + left) == [f"doc{n:04d}.txt" for n in range(STOPPED_JOB_DOCUMENTS)]
    assert len(done) == job["JobDetails"]["TranslatedDocumentsCount"] and report["documentCountNotTranslated"] == str(len(left))
