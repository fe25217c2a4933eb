"""End to end, as the README walks through it: `make run`, then the AWS CLI and boto3 against it.

The stack runs as a subprocess exactly as the README starts it (docs/walkthrough.md), on free
ports, with BatchSize=1 so that a job of a few hundred documents lasts long enough to be stopped.
"""

import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.e2e import AWS, CREDENTIALS, ROLE, ROOT, RunningStack, api_answers, free_port, port_is_free, running_stack

pytestmark = pytest.mark.e2e

INPUT_BUCKET, OUTPUT_BUCKET = "translate-jobs-demo-input", "translate-jobs-demo-output"
SLOW_JOB_DOCUMENTS = 400  # one document per batch: seconds of work, far longer than a stop takes
TERMINAL = {"COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOPPED"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    logs = tmp_path_factory.mktemp("stack")
    port, emulator_port = free_port(), free_port()
    # As a newcomer's shell would have it: no emulator settings, and not inside `make test`'s make.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "MOTO_")) and key not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")
    }
    command = ["make", "run", f"PORT={port}", f"EMULATOR_PORT={emulator_port}", "PARAMETER_OVERRIDES=BatchSize=1"]
    # 120 s: includes installing the virtualenvs on a cold machine
    with running_stack(command, env, logs, port, emulator_port, timeout=120) as running:
        yield running


def aws(*args: str) -> Any:
    """The AWS CLI as the walkthrough runs it; JSON output parsed."""
    result = subprocess.run(
        [AWS, *args], env={**os.environ, **CREDENTIALS, "AWS_PAGER": ""}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"aws {' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout) if result.stdout.strip().startswith("{") else result.stdout


def write_documents(directory: Path, count: int) -> None:
    directory.mkdir(parents=True)
    for number in range(count):
        (directory / f"doc{number:03}.txt").write_text(f"Hello, world number {number}.\n")


def progress(properties: dict[str, Any]) -> str:
    details = properties.get("JobDetails", {})
    return (
        f"{properties['JobStatus']}: {details.get('TranslatedDocumentsCount', 0)}"
        f" of {details.get('InputDocumentsCount', 0)} documents translated"
    )


def wait_for(describe: Any, job_id: str, statuses: set[str], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        properties = describe(job_id)
        print(progress(properties))
        if properties["JobStatus"] in statuses:
            return properties
        assert properties["JobStatus"] not in TERMINAL, f"job ended {properties['JobStatus']}, wanted {statuses}"
        assert time.monotonic() < deadline, f"job still {properties['JobStatus']}, wanted {statuses}"
        time.sleep(0.2)


def test_walkthrough_with_the_aws_cli(stack: RunningStack, tmp_path: Path) -> None:
    write_documents(tmp_path / "many", SLOW_JOB_DOCUMENTS)
    write_documents(tmp_path / "few", 3)
    for folder in ("many", "few"):
        aws("s3", "cp", "--recursive", "--quiet", str(tmp_path / folder), f"s3://{INPUT_BUCKET}/cli-{folder}/",
            "--endpoint-url", stack.emulator)

    def start(prefix: str) -> str:
        started = aws(
            "translate", "start-text-translation-job", "--endpoint-url", stack.api,
            "--job-name", f"cli-{prefix}",
            "--input-data-config", f"S3Uri=s3://{INPUT_BUCKET}/{prefix}/,ContentType=text/plain",
            "--output-data-config", f"S3Uri=s3://{OUTPUT_BUCKET}/cli-out/",
            "--data-access-role-arn", ROLE, "--source-language-code", "en", "--target-language-codes", "fr",
        )
        assert started["JobStatus"] == "SUBMITTED"
        return str(started["JobId"])

    def describe(job_id: str) -> dict[str, Any]:
        answer = aws("translate", "describe-text-translation-job", "--endpoint-url", stack.api, "--job-id", job_id)
        return dict(answer["TextTranslationJobProperties"])

    slow = start("cli-many")
    wait_for(describe, slow, {"IN_PROGRESS"})
    stopped = aws("translate", "stop-text-translation-job", "--endpoint-url", stack.api, "--job-id", slow)
    assert stopped == {"JobId": slow, "JobStatus": "STOP_REQUESTED"}
    assert describe(slow)["JobStatus"] in {"STOP_REQUESTED", "STOPPED"}
    final = wait_for(describe, slow, {"STOPPED"})
    assert final["JobDetails"]["TranslatedDocumentsCount"] < SLOW_JOB_DOCUMENTS

    quick = start("cli-few")
    done = wait_for(describe, quick, {"COMPLETED"})
    assert done["JobDetails"] == {"TranslatedDocumentsCount": 3, "DocumentsWithErrorsCount": 0, "InputDocumentsCount": 3}
    output = done["OutputDataConfig"]["S3Uri"]
    assert output == f"s3://{OUTPUT_BUCKET}/cli-out/123456789012-TranslateText-{quick}/"
    listing = aws("s3", "ls", "--recursive", output, "--endpoint-url", stack.emulator)
    assert {line.split()[-1].rsplit("/", 1)[-1] for line in listing.splitlines() if "/details/" not in line} == {
        "fr.doc000.txt", "fr.doc001.txt", "fr.doc002.txt"
    }
    translated = aws("s3", "cp", f"{output}fr.doc001.txt", "-", "--endpoint-url", stack.emulator)
    assert translated.strip() and translated.strip() != "Hello, world number 1."


def test_walkthrough_with_boto3(stack: RunningStack) -> None:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    s3 = session.client("s3", endpoint_url=stack.emulator)
    translate = session.client("translate", endpoint_url=stack.api)
    for number in range(SLOW_JOB_DOCUMENTS):
        s3.put_object(Bucket=INPUT_BUCKET, Key=f"py-many/doc{number:03}.txt", Body=f"Good morning {number}.".encode())
    s3.put_object(Bucket=INPUT_BUCKET, Key="py-few/hello.txt", Body=b"Hello from boto3.")

    def start(prefix: str) -> str:
        return str(
            translate.start_text_translation_job(
                JobName=f"py-{prefix}",
                InputDataConfig={"S3Uri": f"s3://{INPUT_BUCKET}/{prefix}/", "ContentType": "text/plain"},
                OutputDataConfig={"S3Uri": f"s3://{OUTPUT_BUCKET}/py-out/"},
                DataAccessRoleArn=ROLE,
                SourceLanguageCode="en",
                TargetLanguageCodes=["de"],
                ClientToken=str(uuid.uuid4()),
            )["JobId"]
        )

    def describe(job_id: str) -> dict[str, Any]:
        return dict(translate.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"])

    slow = start("py-many")
    wait_for(describe, slow, {"IN_PROGRESS"})
    assert translate.stop_text_translation_job(JobId=slow)["JobStatus"] == "STOP_REQUESTED"
    assert wait_for(describe, slow, {"STOPPED"})["JobDetails"]["TranslatedDocumentsCount"] < SLOW_JOB_DOCUMENTS

    quick = start("py-few")
    done = wait_for(describe, quick, {"COMPLETED"})
    output = done["OutputDataConfig"]["S3Uri"].removeprefix(f"s3://{OUTPUT_BUCKET}/")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=OUTPUT_BUCKET, Prefix=output)["Contents"]]
    assert f"{output}de.hello.txt" in keys
    assert s3.get_object(Bucket=OUTPUT_BUCKET, Key=f"{output}de.hello.txt")["Body"].read().decode().strip()


def test_a_second_stack_on_a_taken_port_fails_fast_with_one_line(stack: RunningStack) -> None:
    started = time.monotonic()
    result = subprocess.run(
        ["make", "run", f"PORT={stack.port}", f"EMULATOR_PORT={free_port()}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    ours = [line for line in result.stderr.splitlines() if not line.startswith("make")]
    assert len(ours) == 1, result.stderr
    assert "already in use" in ours[0] and str(stack.port) in ours[0] and "make run PORT=<port>" in ours[0]
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 30
    assert api_answers(stack.api), "the running stack must be unaffected"


def test_ctrl_c_stops_cleanly_and_frees_the_ports(stack: RunningStack) -> None:
    """Last in this module: SIGINT to the server (the process Ctrl-C reaches); make passes its exit status on."""
    children = subprocess.run(["pgrep", "-P", str(stack.process.pid)], capture_output=True, text=True).stdout.split()
    assert len(children) == 1, children
    server = int(children[0])
    os.kill(server, signal.SIGINT)
    assert stack.process.wait(timeout=30) == 0, stack.output()
    assert "Traceback" not in stack.stderr.read_text()
    assert stack.stdout.read_text().rstrip().splitlines()[-1].startswith("Stopped.")  # "Stopped. State saved in ..."
    with pytest.raises(ProcessLookupError):
        os.kill(server, 0)
    leftovers = subprocess.run(["pgrep", "-g", str(stack.process.pid)], capture_output=True, text=True).stdout.split()
    assert leftovers == []
    assert port_is_free(stack.port) and port_is_free(stack.emulator_port)
