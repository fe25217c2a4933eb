"""The event-driven side over the wire, as the README's "Events" walkthrough does it: the local
stack (`python -m translate_jobs_local run`) as a subprocess, the AWS CLI and real botocore against it.

With BatchSize=1 a job of a hundred documents runs long enough to be stopped, and with
MaxConcurrentJobsPerAccount=1 a second job waits, queued, while it runs. LOCAL_SCHEDULE_SCALE=0.01
makes a one-minute schedule fire every 0.6 s. Events are read with SQS long polling (a receive
returns as soon as a message arrives), never with a fixed sleep.
"""

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.e2e import AWS, CREDENTIALS, ROLE, RunningStack, free_port, running_stack

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
INPUT, OUTPUT = "translate-jobs-demo-input", "translate-jobs-demo-output"
STATE_CHANGE = "Translate TextTranslationJob State Change"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    logs = tmp_path_factory.mktemp("events-stack")
    port, emulator_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "MOTO_"))}
    env["LOCAL_SCHEDULE_SCALE"] = "0.01"
    command = [sys.executable, "-m", "translate_jobs_local", "run", "--port", str(port), "--emulator-port", str(emulator_port),
               "--parameter-overrides", "BatchSize=1", "MaxConcurrentJobsPerAccount=1"]
    with running_stack(command, env, logs, port, emulator_port, timeout=60) as running:
        yield running


def aws(stack: RunningStack, *args: str) -> Any:
    """The AWS CLI against the emulator, as the README runs it; JSON output parsed."""
    result = subprocess.run([AWS, *args, "--endpoint-url", stack.emulator, "--output", "json"],
                            env={**os.environ, **CREDENTIALS, "AWS_PAGER": ""}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"aws {' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout) if result.stdout.strip() else None


def client(stack: RunningStack, service: str) -> Any:
    endpoint = stack.api if service == "translate" else stack.emulator
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def queue_with_rule(stack: RunningStack, pattern: dict[str, Any], bus: str | None = None) -> str:
    """With the AWS CLI, as a user would: a queue, and a rule on the bus that targets it. Its URL."""
    name = f"q-{uuid.uuid4().hex[:12]}"
    url = aws(stack, "sqs", "create-queue", "--queue-name", name)["QueueUrl"]
    arn = f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"
    on_bus = ["--event-bus-name", bus] if bus else []
    aws(stack, "events", "put-rule", "--name", name, "--event-pattern", json.dumps(pattern), *on_bus)
    aws(stack, "events", "put-targets", "--rule", name, "--targets", f"Id=mine,Arn={arn}", *on_bus)
    return str(url)


def receive_until(stack: RunningStack, url: str, done: Callable[[list[dict[str, Any]]], bool],
                  timeout: float = 60) -> list[dict[str, Any]]:
    sqs, found = client(stack, "sqs"), []
    deadline = time.monotonic() + timeout
    while not done(found):
        assert time.monotonic() < deadline, f"still waiting; received {found}"
        reply = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=5)
        for message in reply.get("Messages", []):
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def start_job(stack: RunningStack, documents: int) -> str:
    s3, prefix = client(stack, "s3"), f"wire-{uuid.uuid4().hex[:8]}/"
    for number in range(documents):
        s3.put_object(Bucket=INPUT, Key=f"{prefix}doc{number:03}.txt", Body=f"Hello number {number}.\n".encode())
    return str(client(stack, "translate").start_text_translation_job(
        InputDataConfig={"S3Uri": f"s3://{INPUT}/{prefix}", "ContentType": "text/plain"},
        OutputDataConfig={"S3Uri": f"s3://{OUTPUT}/out/"}, DataAccessRoleArn=ROLE,
        SourceLanguageCode="en", TargetLanguageCodes=["fr"],
    )["JobId"])


def wait_for_terminal(stack: RunningStack, job_id: str, allowed: set[str], timeout: float = 60) -> None:
    terminal = {"COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOPPED"}
    deadline = time.monotonic() + timeout
    while (current := status(stack, job_id)) not in terminal:
        assert time.monotonic() < deadline, f"job {job_id} is still {current}"
        time.sleep(0.2)
    assert current in allowed, f"job {job_id} ended {current}, not one of {sorted(allowed)}"


def status(stack: RunningStack, job_id: str) -> str:
    properties = client(stack, "translate").describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"]
    return str(properties["JobStatus"])


def wait_for_status(stack: RunningStack, job_id: str, wanted: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while (current := status(stack, job_id)) != wanted:
        assert time.monotonic() < deadline, f"job {job_id} is {current}, wanted {wanted}"
        time.sleep(0.2)


def statuses_of(job_id: str) -> Callable[[list[dict[str, Any]]], list[str]]:
    return lambda events: [e["detail"]["jobStatus"] for e in events if e["detail"].get("jobId") == job_id]


def test_a_users_rule_on_the_stacks_bus_receives_every_state_change(stack):
    url = queue_with_rule(stack, {"source": ["translate-jobs"], "detail-type": [STATE_CHANGE]}, bus="translate-jobs-jobs")

    job_id = start_job(stack, 1)

    statuses = statuses_of(job_id)
    events = receive_until(stack, url, lambda found: "COMPLETED" in statuses(found))
    assert statuses(events) == ["SUBMITTED", "IN_PROGRESS", "COMPLETED"]


def test_a_rule_written_for_amazon_translate_on_the_default_bus_receives_its_event_unchanged(stack):
    url = queue_with_rule(stack, {"source": ["aws.translate"], "detail-type": [STATE_CHANGE]})

    job_id = start_job(stack, 1)

    [event] = receive_until(stack, url, lambda found: len(found) == 1)
    assert sorted(event) == ["account", "detail", "detail-type", "id", "region", "resources", "source", "time", "version"]
    assert (event["source"], event["detail-type"], event["account"]) == ("aws.translate", STATE_CHANGE, ACCOUNT)
    assert event["detail"]["jobId"] == job_id and event["detail"]["jobStatus"] == "COMPLETED"


def test_a_stop_request_event_put_with_the_aws_cli_stops_a_running_job(stack):
    job_id = start_job(stack, 500)  # one batch per document: it runs well past the aws-cli's start-up
    wait_for_status(stack, job_id, "IN_PROGRESS")

    detail = json.dumps({"JobId": job_id, "AccountId": ACCOUNT})
    entry = {"Source": "translate-jobs.stop-requests", "DetailType": "StopTextTranslationJob Request",
             "EventBusName": "translate-jobs-jobs", "Detail": detail}
    assert aws(stack, "events", "put-events", "--entries", json.dumps([entry]))["FailedEntryCount"] == 0

    wait_for_status(stack, job_id, "STOPPED")


def test_a_queued_jobs_workflow_stopped_with_the_aws_cli_is_reconciled_and_step_functions_publishes_it(stack):
    aborted = queue_with_rule(stack, {"source": ["aws.states"], "detail": {"status": ["ABORTED"]}})
    running = start_job(stack, 300)  # long enough, as a rule, to hold the only running slot throughout
    wait_for_status(stack, running, "IN_PROGRESS")
    queued = start_job(stack, 1)  # waits for the only running slot
    execution = f"arn:aws:states:us-east-1:{ACCOUNT}:execution:translate-jobs-translation-job:{queued}"

    aws(stack, "stepfunctions", "stop-execution", "--execution-arn", execution)

    [event] = receive_until(stack, aborted, lambda found: len(found) == 1)
    assert event["detail"]["executionArn"] == execution and event["detail-type"] == "Step Functions Execution Status Change"
    wait_for_status(stack, queued, "FAILED")  # by the reconciler, on that event
    message = client(stack, "translate").describe_text_translation_job(JobId=queued)["TextTranslationJobProperties"]["Message"]
    assert "workflow was stopped" in message
    answer = client(stack, "translate").stop_text_translation_job(JobId=running)["JobStatus"]
    # The running job may have finished first (the stack got faster): Stop then answers COMPLETED and
    # changes nothing; a stop that arrives during its last batch ends COMPLETED too, as FinalizeJob decides.
    assert answer in ("STOP_REQUESTED", "COMPLETED")
    wait_for_terminal(stack, running, {"STOPPED", "COMPLETED"} if answer == "STOP_REQUESTED" else {"COMPLETED"})


def test_a_users_scheduled_rule_runs_on_its_scaled_schedule(stack):
    name = f"every-minute-{uuid.uuid4().hex[:8]}"
    url = aws(stack, "sqs", "create-queue", "--queue-name", name)["QueueUrl"]
    aws(stack, "events", "put-rule", "--name", name, "--schedule-expression", "rate(1 minute)")
    aws(stack, "events", "put-targets", "--rule", name, "--targets", f"Id=mine,Arn=arn:aws:sqs:us-east-1:{ACCOUNT}:{name}")

    events = receive_until(stack, url, lambda found: len(found) >= 2, timeout=30)

    assert {event["detail-type"] for event in events} == {"Scheduled Event"}
    assert events[0]["resources"] == [f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{name}"]
    aws(stack, "events", "disable-rule", "--name", name)
