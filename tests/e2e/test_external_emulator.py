"""`make run` with AWS_ENDPOINT_URL naming an emulator that is already running uses it instead.

Another `make run`'s emulator runs the workflow's Lambda tasks with the real handlers, so jobs run
end to end through the second API. A bare moto_server can only echo Lambda tasks: the service says
so at start-up instead of letting jobs sit SUBMITTED unexplained.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest

pytestmark = pytest.mark.e2e  # subprocesses of `make run` and moto_server

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
ROLE = "arn:aws:iam::123456789012:role/TranslateDemoDataAccess"
BANNER_END = "Press Ctrl-C to stop."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "MOTO_"))}
    return {**env, **extra}


def wait_until_answering(url: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # it answers (404/400 are answers)
        except OSError:
            assert process.poll() is None, f"exited early: {process.communicate()}"
            assert time.monotonic() < deadline, f"{url} did not answer"
            time.sleep(0.1)


@contextmanager
def running(command: list[str], ready_url: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[str]]:
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_answering(ready_url, process)
        if "translate_jobs_local" in command:  # its API answers before its banner: a stop in between is a stop while starting
            deadline = time.monotonic() + 60
            while BANNER_END not in log.read_text():
                assert process.poll() is None and time.monotonic() < deadline, f"no banner: {log.read_text()}"
                time.sleep(0.1)
        yield process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def local_stack_run(api_port: int, emulator_port: int | None = None) -> list[str]:
    command = [sys.executable, "-m", "translate_jobs_local", "run", "--port", str(api_port)]
    return command + (["--emulator-port", str(emulator_port)] if emulator_port else [])


def test_a_second_api_over_a_running_make_run_emulator_runs_jobs_end_to_end(tmp_path):
    # Given one local stack, and a second started with AWS_ENDPOINT_URL naming the first's emulator
    first_api, emulator, second_api = free_port(), free_port(), free_port()
    emulator_url = f"http://127.0.0.1:{emulator}"
    with running(local_stack_run(first_api, emulator), f"http://127.0.0.1:{first_api}/", clean_env(), tmp_path / "first.log"), \
            running(local_stack_run(second_api), f"http://127.0.0.1:{second_api}/",
                    clean_env(AWS_ENDPOINT_URL=emulator_url), tmp_path / "second.log"):
        # When a job is started through the second API
        s3 = boto3.client("s3", endpoint_url=emulator_url, **CREDENTIALS)
        s3.put_object(Bucket="translate-jobs-demo-input", Key="shared/hello.txt", Body=b"Hello\n")
        translate = boto3.client("translate", endpoint_url=f"http://127.0.0.1:{second_api}", **CREDENTIALS)
        job_id = translate.start_text_translation_job(
            InputDataConfig={"S3Uri": "s3://translate-jobs-demo-input/shared/", "ContentType": "text/plain"},
            OutputDataConfig={"S3Uri": "s3://translate-jobs-demo-output/shared/"},
            DataAccessRoleArn=ROLE, SourceLanguageCode="en", TargetLanguageCodes=["fr"],
        )["JobId"]
        deadline = time.monotonic() + 30
        while (status := translate.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"]["JobStatus"]) \
                in ("SUBMITTED", "IN_PROGRESS"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        # Then it ran to COMPLETED, and the first API sees the same job
        assert status == "COMPLETED"
        first = boto3.client("translate", endpoint_url=f"http://127.0.0.1:{first_api}", **CREDENTIALS)
        assert first.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"]["JobStatus"] == "COMPLETED"
    banner = (tmp_path / "second.log").read_text()
    assert f"emulator (moto, like moto_server): {emulator_url}" in banner
    assert "already provisioned" in banner


def test_over_a_bare_moto_server_the_api_works_and_the_banner_says_jobs_will_not_run(tmp_path):
    # Given a plain moto_server, and the local stack started over it
    emulator, api = free_port(), free_port()
    moto_server = [str(Path(sys.executable).parent / "moto_server"), "-p", str(emulator)]
    with running(moto_server, f"http://127.0.0.1:{emulator}/moto-api/", clean_env(), tmp_path / "moto.log"), \
            running(local_stack_run(api), f"http://127.0.0.1:{api}/",
                    clean_env(AWS_ENDPOINT_URL=f"http://127.0.0.1:{emulator}"), tmp_path / "stack.log"):
        # When a client calls the API
        translate = boto3.client("translate", endpoint_url=f"http://127.0.0.1:{api}", **CREDENTIALS)
        with pytest.raises(translate.exceptions.ResourceNotFoundException):
            translate.describe_text_translation_job(JobId="0123456789abcdef0123456789abcdef")
        # Then the API answers from the table provisioned in that emulator
        tables = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{emulator}", **CREDENTIALS).list_tables()
        assert "translate-jobs-JobsTable" in tables["TableNames"]
    # And the banner said up front that jobs will not progress there
    assert "jobs will stay SUBMITTED" in (tmp_path / "stack.log").read_text()


def test_an_endpoint_that_does_not_answer_is_a_one_line_error():
    closed = free_port()
    result = subprocess.run(
        local_stack_run(free_port()), cwd=ROOT, env=clean_env(AWS_ENDPOINT_URL=f"http://127.0.0.1:{closed}"),
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not answer" in lines[0] and "Traceback" not in result.stderr


def test_aws_endpoint_url_naming_this_runs_own_emulator_before_it_runs_starts_the_embedded_one(tmp_path: Path):
    """The README's walkthrough exports AWS_ENDPOINT_URL=http://127.0.0.1:5000 for the AWS CLI; `make run` started
    again in that shell is not pointed at another emulator: nothing answers there yet, it serves it itself."""
    api, emulator = free_port(), free_port()
    env = clean_env(AWS_ENDPOINT_URL=f"http://127.0.0.1:{emulator}", LOCAL_STATE_DIR=str(tmp_path / "state"))
    with running(local_stack_run(api, emulator), f"http://127.0.0.1:{api}/", env, tmp_path / "own.log"):
        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{emulator}", **CREDENTIALS)
        assert "translate-jobs-demo-input" in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]
    log = (tmp_path / "own.log").read_text()
    assert "using the running emulator" not in log and f"state: {tmp_path / 'state'}" in log, log
