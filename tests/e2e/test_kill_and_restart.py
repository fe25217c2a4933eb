"""``kill -9`` of a real `python -m translate_jobs_local run` (what `make run` runs), then a restart on the same state
folder: nothing that was answered is lost, and jobs that were running end exactly as one never killed.

Each test is a few lives of one stack: a subprocess on free ports, its state in the test's folder. The
kill is a real SIGKILL: sent by the test to the stack's process group while a job is half done, or sent by
the stack to itself at an exact point (``FAULTS=die=<Function>@<service>.<Operation>``: right after that
call of that function was answered, as a machine dying mid-step).
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from botocore.exceptions import HTTPClientError

from tests.support.e2e import ROLE, RunningStack, free_port, running_stack

pytestmark = pytest.mark.e2e

ACCOUNT = "123456789012"
INPUT, OUTPUT = "translate-jobs-demo-input", "translate-jobs-demo-output"
PARAMETERS = "BatchSize=1 MapMaxConcurrency=2"  # a document per batch, two at a time: a job lasts long enough to kill
DOCUMENTS = 24
NO_ANSWER = (BotocoreConnectionError, HTTPClientError)  # the stack died while it served the request


class Life:
    """One run of the stack, and a user's clients of it (the API's and the emulator's)."""

    def __init__(self, running: RunningStack) -> None:
        self.running, self.process = running, running.process
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
        self.translate = session.client("translate", endpoint_url=running.api)
        # One attempt: a request the stack died serving is the test's to retry, after the restart.
        self.translate_once = session.client("translate", endpoint_url=running.api,
                                             config=Config(retries={"total_max_attempts": 1}, read_timeout=30))
        self.s3, self.iam, self.dynamodb = (session.client(name, endpoint_url=running.emulator)
                                            for name in ("s3", "iam", "dynamodb"))

    def start(self, token: str, folder: str = "docs", client: Any = None) -> str:
        return str((client or self.translate).start_text_translation_job(
            JobName=token, ClientToken=token, SourceLanguageCode="en", TargetLanguageCodes=["fr"], DataAccessRoleArn=ROLE,
            InputDataConfig={"S3Uri": f"s3://{INPUT}/{folder}/", "ContentType": "text/plain"},
            OutputDataConfig={"S3Uri": f"s3://{OUTPUT}/out/"})["JobId"])

    def job(self, job_id: str) -> dict[str, Any]:
        return dict(self.translate.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"])

    def wait_until(self, done: Callable[[], bool], what: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert self.process.poll() is None, f"the stack exited while waiting for {what}\n{self.running.output()}"
            assert time.monotonic() < deadline, f"no {what} after {timeout} s\n{self.running.output()}"
            time.sleep(0.05)

    def wait_for_end(self, job_id: str) -> dict[str, Any]:
        ended: dict[str, Any] = {}

        def terminal() -> bool:
            ended.update(self.job(job_id))
            return ended["JobStatus"] in ("COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOPPED")

        self.wait_until(terminal, f"end of job {job_id}")
        return ended

    def outputs(self, job_id: str) -> dict[str, bytes]:
        """The job's output files (details file apart), by name, with their content."""
        prefix = f"out/{ACCOUNT}-TranslateText-{job_id}/"
        keys = [item["Key"] for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=OUTPUT, Prefix=prefix)
                for item in page.get("Contents", []) if "/details/" not in item["Key"]]
        return {key[len(prefix):]: self.s3.get_object(Bucket=OUTPUT, Key=key)["Body"].read() for key in keys}

    def details(self, job_id: str) -> list[tuple[str, str]]:
        key = f"out/{ACCOUNT}-TranslateText-{job_id}/details/fr.auxiliary-translation-details.json"
        entries = json.loads(self.s3.get_object(Bucket=OUTPUT, Key=key)["Body"].read())["details"]
        return sorted((entry["sourceFile"], entry["status"]) for entry in entries)

    def usage(self) -> tuple[int, int]:
        item = self.dynamodb.get_item(TableName="translate-jobs-AccountUsageTable", Key={"AccountId": {"S": ACCOUNT}},
                                      ConsistentRead=True)["Item"]
        return int(item["Running"]["N"]), int(item["Queued"]["N"])

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def died(self) -> None:
        """The stack killed itself (FAULTS=die=...)."""
        assert self.process.wait(timeout=60) == -signal.SIGKILL, self.running.output()


@contextlib.contextmanager
def life(tmp_path: Path, state: Path, faults: str = "") -> Iterator[Life]:
    logs = tmp_path / f"life-{len(list(tmp_path.glob('life-*')))}"
    logs.mkdir()
    port, emulator_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "MOTO_"))}
    env.update(LOCAL_STATE_DIR=str(state), PARAMETER_OVERRIDES=PARAMETERS, FAULTS=faults)
    command = [sys.executable, "-m", "translate_jobs_local", "run", "--port", str(port), "--emulator-port", str(emulator_port)]
    with running_stack(command, env, logs, port, emulator_port, timeout=120) as running:
        yield Life(running)


def put_documents(run: Life, folder: str, count: int) -> None:
    for number in range(count):
        run.s3.put_object(Bucket=INPUT, Key=f"{folder}/doc{number:02}.txt", Body=f"Document {number}: hello, world.\n".encode())


def test_a_job_killed_half_way_ends_after_a_restart_exactly_as_a_job_never_killed(tmp_path):
    state = tmp_path / "state"
    # Given a stack that ran a job to the end, handed out a user's key and a List token, and runs a second
    # job of the same documents
    with life(tmp_path, state) as run:
        put_documents(run, "docs", DOCUMENTS)
        reference = run.start("reference")
        assert run.wait_for_end(reference)["JobStatus"] == "COMPLETED"
        run.iam.create_user(UserName="alice")
        key = run.iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
        killed = run.start("killed")
        token = run.translate.list_text_translation_jobs(MaxResults=1)["NextToken"]  # of the two jobs, the second

        # When it is killed (SIGKILL, the whole process group) half way through that job
        run.wait_until(lambda: 0 < len(run.outputs(killed)) < DOCUMENTS, "half-done job")
        run.kill()

    # Then, started again on the same folder, it picks the job up and ends it exactly as the one never killed
    with life(tmp_path, state) as run:
        assert "running workflows started again: 1" in run.running.stdout.read_text()
        ended, expected = run.wait_for_end(killed), run.job(reference)
        assert ended["JobStatus"] == "COMPLETED", ended
        counts = {name: ended["JobDetails"][name] for name in ("TranslatedDocumentsCount", "DocumentsWithErrorsCount",
                                                                 "InputDocumentsCount")}
        assert counts == {"TranslatedDocumentsCount": DOCUMENTS, "DocumentsWithErrorsCount": 0, "InputDocumentsCount": DOCUMENTS}
        assert ended["JobDetails"] == expected["JobDetails"]
        assert run.outputs(killed) == run.outputs(reference)  # every document, once, translated the same
        assert run.details(killed) == run.details(reference) == sorted((f"doc{n:02}.txt", "SUCCEEDED") for n in range(DOCUMENTS))
        assert run.usage() == (0, 0)  # the account's running and queued counts are back to nothing
        # and what was answered before the kill is all there
        assert [k["AccessKeyId"] for k in run.iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]] == [key]
        later = run.translate.list_text_translation_jobs(MaxResults=1, NextToken=token)["TextTranslationJobPropertiesList"]
        assert len(later) == 1
        assert run.s3.list_objects_v2(Bucket=INPUT, Prefix="docs/")["KeyCount"] == DOCUMENTS


def test_a_start_killed_after_its_write_is_retried_after_the_restart_and_makes_one_job(tmp_path):
    state = tmp_path / "state"
    # Given a stack that dies right after Start wrote the job (before starting its workflow and answering)
    with life(tmp_path, state, faults="die=ApiFunction@dynamodb.TransactWriteItems") as run:
        put_documents(run, "docs", 3)
        with pytest.raises(NO_ANSWER):
            run.start("start-killed", client=run.translate_once)
        run.died()

    # When the client retries its Start (the same ClientToken) once the stack is back
    with life(tmp_path, state) as run:
        job_id = run.start("start-killed")

        # Then it is the one job, and it runs to the end
        ended = run.wait_for_end(job_id)
        assert (ended["JobStatus"], ended["JobDetails"]["TranslatedDocumentsCount"]) == ("COMPLETED", 3)
        listed = run.translate.list_text_translation_jobs()["TextTranslationJobPropertiesList"]
        assert [job["JobId"] for job in listed] == [job_id]
        assert run.usage() == (0, 0)


def test_a_stop_killed_after_its_write_still_stops_the_job_after_the_restart(tmp_path):
    state = tmp_path / "state"
    # Given a stack that dies right after Stop wrote the stop request of a running job
    with life(tmp_path, state, faults="die=ApiFunction@dynamodb.UpdateItem") as run:
        put_documents(run, "docs", DOCUMENTS)
        job_id = run.start("stop-killed")
        run.wait_until(lambda: len(run.outputs(job_id)) > 0, "a running job")
        with pytest.raises(NO_ANSWER):
            run.translate_once.stop_text_translation_job(JobId=job_id)
        run.died()

    # When it starts again
    with life(tmp_path, state) as run:
        # Then the job ends STOPPED and frees the account's slot. It counts the batches that ended before the kill;
        # a batch that was writing at that moment (one per Map lane) may have written a document it never
        # counted: the workflow, started again, finds the stop and goes straight to finalize, as a Lambda that
        # crashed while a stop landed would on AWS (docs/local-state.md).
        ended = run.wait_for_end(job_id)
        assert ended["JobStatus"] == "STOPPED", ended
        counted, written = ended["JobDetails"]["TranslatedDocumentsCount"], len(run.outputs(job_id))
        assert counted <= written <= counted + 2 and written < DOCUMENTS  # 2: MapMaxConcurrency
        assert run.usage() == (0, 0)


def test_a_finalize_killed_after_the_details_file_ends_the_job_once_after_the_restart(tmp_path):
    state = tmp_path / "state"
    # Given a stack that dies in FinalizeJob, right after it wrote the details file (before the job's last update)
    with life(tmp_path, state, faults="die=FinalizeJobFunction@s3.PutObject") as run:
        put_documents(run, "docs", 5)
        job_id = run.start("finalize-killed")
        run.died()

    # When it starts again
    with life(tmp_path, state) as run:
        # Then the workflow, started again, ends the job as it would have: counts, outputs, details, slot
        ended = run.wait_for_end(job_id)
        assert (ended["JobStatus"], ended["JobDetails"]["TranslatedDocumentsCount"]) == ("COMPLETED", 5), ended
        assert sorted(run.outputs(job_id)) == [f"fr.doc{n:02}.txt" for n in range(5)]
        assert run.details(job_id) == [(f"doc{n:02}.txt", "SUCCEEDED") for n in range(5)]
        assert run.usage() == (0, 0)


def test_the_banner_says_where_the_state_is_and_fresh_starts_empty(tmp_path):
    state = tmp_path / "state"
    with life(tmp_path, state) as run:
        run.s3.put_object(Bucket=INPUT, Key="kept.txt", Body=b"kept")
        assert f"state: {state.resolve()} (empty" in run.running.stdout.read_text()
        os.killpg(run.process.pid, signal.SIGTERM)
        assert run.process.wait(timeout=30) == 0
    assert "Stopped. State saved in" in (tmp_path / "life-0" / "stdout").read_text()
    with life(tmp_path, state) as run:
        assert run.s3.get_object(Bucket=INPUT, Key="kept.txt")["Body"].read() == b"kept"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("AWS_", "MOTO_")) and key not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    subprocess.run(["make", "reset", f"LOCAL_STATE_DIR={state}"], cwd=Path(__file__).parents[2], env=env, check=True,
                   capture_output=True)
    with life(tmp_path, state) as run:
        assert run.s3.list_objects_v2(Bucket=INPUT)["KeyCount"] == 0
