"""Quotas and limits: configurable (template parameters), defaulting to Amazon Translate's.

Small limits are set through the functions' environment, as the template's parameters would.
"""

import json
import threading
import time
from typing import Any

import boto3
import pytest

from tests.support.stack import ACCOUNT, REGION, SESSION, configure, http_event, start_job, start_request, stop_job
from tests.support.workflow import job, put_documents, run_to_end, use_engine


def set_quotas(monkeypatch: Any, **values: int) -> None:
    """The quotas' template parameters changed: every function starts again with them."""
    configure(SESSION.get(), **{name: str(value) for name, value in values.items()})


def usage() -> dict[str, int]:
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName="translate-jobs-AccountUsageTable", Key={"AccountId": {"S": ACCOUNT}}, ConsistentRead=True
    ).get("Item", {})
    return {name: int(item[name]["N"]) for name in ("Running", "Queued") if name in item}


def wait_until(predicate: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def start_in_order(stack: Any, count: int) -> list[str]:
    """``count`` jobs with distinct, increasing SubmittedTimes (the queue's order): each starts once the
    clock has passed the one before (waiting on the clock, not for a fixed time)."""
    jobs: list[str] = []
    for _ in range(count):
        if jobs:
            last = job(jobs[-1]).submitted_time
            wait_until(lambda last=last: round(time.time(), 3) > last)
        jobs.append(start_job(stack))
    return jobs


@pytest.mark.long
def test_jobs_beyond_the_concurrent_limit_wait_submitted_and_start_oldest_first(buckets, monkeypatch, gated):
    # Given an account that may run one job at a time, and three jobs started in order, the first held
    # mid-run (the gate: however loaded the machine, it is still running when the others are looked at)
    set_quotas(monkeypatch, MAX_CONCURRENT_JOBS=1, QUEUE_POLL_SECONDS=1)
    use_engine(monkeypatch, "gated", gated, batch_size=2)
    put_documents({f"docs/d{n}.txt": f"text {n}\n" for n in range(4)})
    jobs = start_in_order(buckets, 3)
    wait_until(lambda: job(jobs[0]).job_status == "IN_PROGRESS")
    # Then while the first runs, the others wait SUBMITTED, their places counted
    assert [job(job_id).job_status for job_id in jobs] == ["IN_PROGRESS", "SUBMITTED", "SUBMITTED"]
    assert usage() == {"Running": 1, "Queued": 2}

    # When the first may finish, and every job runs to its end (the statuses sampled meanwhile)
    statuses: list[dict[str, str]] = []
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.is_set():
            statuses.append({job_id: job(job_id).job_status for job_id in jobs})
            sampling.wait(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    gated.gate.set()
    try:
        records = [run_to_end(buckets, job_id) for job_id in jobs]
    finally:
        sampling.set()
        sampler.join()

    # Then never more than one ran at once, each ran in submission order, and all completed
    assert statuses and all(sum(status == "IN_PROGRESS" for status in sample.values()) <= 1 for sample in statuses)
    assert [record.job_status for record in records] == ["COMPLETED"] * 3
    assert sorted(jobs, key=lambda job_id: job(job_id).end_time) == jobs  # one at a time, oldest first
    # And the account's counters are back to zero: no slot leaked
    assert usage() == {"Running": 0, "Queued": 0}


@pytest.mark.long
def test_start_beyond_the_queued_limit_is_refused_and_writes_nothing(buckets, monkeypatch, gated):
    # Given one running slot, two queue places, and a first job holding the slot (held mid-run by the gate)
    set_quotas(monkeypatch, MAX_CONCURRENT_JOBS=1, MAX_QUEUED_JOBS=2, QUEUE_POLL_SECONDS=1)
    use_engine(monkeypatch, "gated", gated, batch_size=1)
    put_documents({f"docs/d{n}.txt": f"text {n}\n" for n in range(30)})
    running = start_job(buckets)
    wait_until(lambda: job(running).job_status == "IN_PROGRESS")
    queued = [start_job(buckets), start_job(buckets)]

    # When a fourth job is started
    request = start_request(ClientToken="one-too-many")
    response = buckets.runtime.invoke("ApiFunction", http_event("POST", "/", request, target="StartTextTranslationJob"))

    # Then it is refused with LimitExceededException and no job was written
    assert response["statusCode"] == 400
    assert '"LimitExceededException"' in response["body"] and "queued jobs" in response["body"]
    assert usage() == {"Running": 1, "Queued": 2}

    # And a stopped queued job frees its place; everything ends, with nothing leaked
    assert stop_job(buckets, queued[1]) == "STOP_REQUESTED"
    assert stop_job(buckets, running) == "STOP_REQUESTED"
    gated.gate.set()
    assert [run_to_end(buckets, job_id).job_status for job_id in [running, *queued]] == ["STOPPED", "COMPLETED", "STOPPED"]
    assert usage() == {"Running": 0, "Queued": 0}


def test_a_job_with_more_documents_than_allowed_fails_with_a_message(buckets, monkeypatch):
    set_quotas(monkeypatch, MAX_DOCUMENTS_PER_JOB=3)
    put_documents({f"docs/d{n}.txt": "x\n" for n in range(4)})
    record = run_to_end(buckets, start_job(buckets))
    assert record.job_status == "FAILED"
    assert "more than 3 documents" in record.message
    assert usage() == {"Running": 0, "Queued": 0}


def test_a_job_larger_than_allowed_fails_with_a_message(buckets, monkeypatch):
    set_quotas(monkeypatch, MAX_JOB_BYTES=10)
    put_documents({"docs/a.txt": "twelve bytes", "docs/b.txt": "more"})
    record = run_to_end(buckets, start_job(buckets))
    assert record.job_status == "FAILED"
    assert "16 bytes" in record.message and "at most 10" in record.message


@pytest.mark.parametrize("count, status", [(10, 200), (11, 400)])
def test_at_most_ten_target_languages(stack, count, status):
    targets = ["fr", "de", "es", "it", "ja", "ko", "nl", "pl", "pt", "ru", "sv"][:count]  # supported codes
    request = start_request(TargetLanguageCodes=targets, ClientToken=f"targets-{count}")
    response = stack.runtime.invoke("ApiFunction", http_event("POST", "/", request, target="StartTextTranslationJob"))
    assert response["statusCode"] == status, response
    if status == 400:
        assert "Member must have length less than or equal to 10" in response["body"]
        assert '"ValidationException"' in response["body"]


@pytest.mark.long
def test_a_job_queued_for_long_continues_in_a_new_execution_and_runs_when_a_slot_frees(buckets, monkeypatch):
    from tests.support.stack import execution_arn
    from translate_jobs.workflow import steps

    # Given an account whose one running slot is taken, and a job that must queue
    set_quotas(monkeypatch, MAX_CONCURRENT_JOBS=1, QUEUE_POLL_SECONDS=1)
    monkeypatch.setattr(steps, "POLLS_PER_EXECUTION", 2)  # hand over after 2 polls (1,000 deployed)
    table = boto3.client("dynamodb", region_name=REGION)
    usage_key = {"AccountId": {"S": ACCOUNT}}
    table.put_item(TableName="translate-jobs-AccountUsageTable", Item={**usage_key, "Running": {"N": "1"}})
    put_documents({"docs/a.txt": "A\n"})
    job_id = start_job(buckets)
    sfn = boto3.client("stepfunctions", region_name=REGION)

    # When it has polled twice, its execution ends and a new one, named after it, waits on
    first = sfn.describe_execution(executionArn=execution_arn(buckets, job_id))
    wait_until(lambda: sfn.describe_execution(executionArn=execution_arn(buckets, job_id))["status"] != "RUNNING")
    assert sfn.describe_execution(executionArn=execution_arn(buckets, job_id))["status"] == "SUCCEEDED"
    continued = execution_arn(buckets, f"{job_id}-1")
    assert sfn.describe_execution(executionArn=continued)["status"] == "RUNNING"
    assert json.loads(sfn.describe_execution(executionArn=continued)["input"]) == {
        "AccountId": ACCOUNT, "JobId": job_id, "Generation": 1}
    assert job(job_id).job_status == "SUBMITTED" and job(job_id).execution_name == f"{job_id}-1"
    events = sfn.get_execution_history(executionArn=first["executionArn"], maxResults=1000)["events"]
    assert len(events) < 40  # two polls' worth, not a growing loop

    # Then the sweep leaves it alone (its workflow runs, under the new name) ...
    buckets.runtime.update_configuration("SweepFunction", SWEEP_AFTER_MINUTES="0")
    assert buckets.runtime.invoke("SweepFunction", {})["Finalized"] == []
    # ... and once the slot is free, the job runs to the end in the new execution
    table.put_item(TableName="translate-jobs-AccountUsageTable", Item={**usage_key, "Running": {"N": "0"}})
    wait_until(lambda: sfn.describe_execution(executionArn=continued)["status"] != "RUNNING", timeout=120)
    assert sfn.describe_execution(executionArn=continued)["status"] == "SUCCEEDED"
    assert job(job_id).job_status == "COMPLETED"
