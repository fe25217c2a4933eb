"""Jobs that really translate, end to end: `make run PARAMETER_OVERRIDES="TranslationEngine=ctranslate2
TranslationModels=<folder>"` with tiny Argos packages built in code (en -> fr, de -> en), driven over HTTP by
boto3 as a user's client. Every document format to two targets (de -> en has a package, de -> fr goes through
English), a pair no package serves refused at Start, a Stop while a job runs; and `make run` with the amazon
engine, which moto cannot serve, refused at start-up."""

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support import formats
from tests.support.argos import Direct
from tests.support.e2e import CREDENTIALS, ROLE, ROOT, RunningStack, free_port, running_stack
from translate_jobs.integrations import documents

pytestmark = pytest.mark.e2e

INPUT, OUTPUT = "translate-jobs-demo-input", "translate-jobs-demo-output"
TERMINAL = {"COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOPPED"}
STOPPED_JOB_DOCUMENTS = 300  # one document per batch, each a few sentences: far longer than a stop takes


def user_environment() -> dict[str, str]:
    """As a newcomer's shell has it: no emulator settings, not inside `make test`'s make."""
    return {key: value for key, value in os.environ.items()
            if not key.startswith(("AWS_", "MOTO_")) and key not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, argos_models: Path) -> Iterator[RunningStack]:
    logs = tmp_path_factory.mktemp("stack")
    port, emulator_port = free_port(), free_port()
    overrides = f"PARAMETER_OVERRIDES=TranslationEngine=ctranslate2 TranslationModels={argos_models} BatchSize=1"
    command = ["make", "run", f"PORT={port}", f"EMULATOR_PORT={emulator_port}", overrides]
    with running_stack(command, user_environment(), logs, port, emulator_port, timeout=120) as running:
        yield running


@pytest.fixture(scope="module")
def clients(stack: RunningStack) -> Any:
    session = boto3.Session(aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"], region_name="us-east-1")
    return session.client("translate", endpoint_url=stack.api), session.client("s3", endpoint_url=stack.emulator)


def start(translate: Any, prefix: str, content_type: str, source: str, targets: list[str]) -> str:
    return str(translate.start_text_translation_job(
        InputDataConfig={"S3Uri": f"s3://{INPUT}/{prefix}/", "ContentType": content_type},
        OutputDataConfig={"S3Uri": f"s3://{OUTPUT}/{prefix}-out/"}, DataAccessRoleArn=ROLE,
        SourceLanguageCode=source, TargetLanguageCodes=targets,
    )["JobId"])


def wait(translate: Any, job_id: str, until: Any, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        properties = translate.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"]
        if until(properties):
            return dict(properties)
        assert properties["JobStatus"] not in TERMINAL, properties
        assert time.monotonic() < deadline, properties
        time.sleep(0.2)


def test_the_banner_names_the_engine_and_its_models(stack):
    named = "engine ctranslate2: The ctranslate2 engine has models for: de to en, en to fr"
    deadline = time.monotonic() + 60  # the API answers a moment before the banner is printed
    while named not in stack.stdout.read_text():
        assert "is running locally" not in stack.stdout.read_text() and time.monotonic() < deadline, stack.output()
        time.sleep(0.2)


def test_every_format_to_a_packaged_and_a_pivoted_target_is_the_models_own_output(clients, argos_models):
    translate, s3 = clients
    to_english, to_french = Direct(argos_models / "translate-de_en"), Direct(argos_models / "translate-en_fr")
    jobs = {}
    for content_type, (name, data) in formats.documents().items():
        prefix = f"formats-{name.rsplit('.', 1)[1]}"
        s3.put_object(Bucket=INPUT, Key=f"{prefix}/{name}", Body=data)
        jobs[content_type] = (prefix, start(translate, prefix, content_type, "de", ["en", "fr"]))
    for content_type, (_prefix, job_id) in jobs.items():
        properties = wait(translate, job_id, lambda p: p["JobStatus"] in TERMINAL)
        assert properties["JobStatus"] == "COMPLETED", (content_type, properties.get("Message"))
        name, data = formats.documents()[content_type]
        out = properties["OutputDataConfig"]["S3Uri"].removeprefix(f"s3://{OUTPUT}/")
        for target, oracle in (("en", to_english.lines), ("fr", lambda text: to_french.lines(to_english.lines(text)))):
            written = s3.get_object(Bucket=OUTPUT, Key=f"{out}{target}.{name}")["Body"].read()
            wanted = documents.translate_document(content_type, data, oracle, target)
            assert formats.contents(written) == formats.contents(wanted), (content_type, target)
            assert written != data


def test_a_pair_no_package_serves_is_refused_at_start(clients):
    translate, _ = clients
    with pytest.raises(translate.exceptions.UnsupportedLanguagePairException) as refused:
        start(translate, "none", "text/plain", "en", ["de"])
    assert "Unsupported language pair: en to de. The ctranslate2 engine has models for: de to en, en to fr" in str(refused.value)


def test_stop_while_the_job_runs(clients):
    translate, s3 = clients
    for number in range(STOPPED_JOB_DOCUMENTS):
        s3.put_object(Bucket=INPUT, Key=f"stop/d{number:04}.txt",
                      Body=f"Guten Morgen Nummer {number}. Das Wetter ist heute schön.\n".encode())
    job_id = start(translate, "stop", "text/plain", "de", ["fr"])
    wait(translate, job_id, lambda p: p.get("JobDetails", {}).get("TranslatedDocumentsCount", 0) >= 2)
    assert translate.stop_text_translation_job(JobId=job_id)["JobStatus"] == "STOP_REQUESTED"
    properties = wait(translate, job_id, lambda p: p["JobStatus"] in TERMINAL)
    assert properties["JobStatus"] == "STOPPED", properties
    translated = properties["JobDetails"]["TranslatedDocumentsCount"]
    assert 2 <= translated < STOPPED_JOB_DOCUMENTS
    out = properties["OutputDataConfig"]["S3Uri"].removeprefix(f"s3://{OUTPUT}/")
    written = s3.list_objects_v2(Bucket=OUTPUT, Prefix=out).get("Contents", [])
    assert len([obj for obj in written if "/details/" not in obj["Key"]]) == translated


def test_make_run_with_the_amazon_engine_says_at_start_up_that_it_needs_aws(tmp_path):
    port, emulator_port = free_port(), free_port()
    command = ["make", "run", f"PORT={port}", f"EMULATOR_PORT={emulator_port}", "PARAMETER_OVERRIDES=TranslationEngine=amazon"]
    run = subprocess.run(command, cwd=ROOT, env=user_environment(), capture_output=True, text=True, timeout=300)
    assert run.returncode != 0
    assert "error: TranslationEngine=amazon needs Amazon Translate's TranslateText, which the local emulator (moto) " \
           "does not have, so every job would fail" in run.stderr
    assert "is running locally" not in run.stdout
