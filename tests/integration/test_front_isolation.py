"""Per-request isolation: the local front runs handlers concurrently in one process, so each
invocation must see only its own event, log keys and metrics, as on Lambda (one request per
execution environment). Many invocations start at once on threads; every answer, log record and
metric must belong to the request that produced it.
"""

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from local_stack.template import Route
from tests.support.front import call
from tests.support.stack import http_event, put_job, serving_api
from translate_jobs.core.observability import logger

DESCRIBE = "DescribeTextTranslationJob"
STOP = "StopTextTranslationJob"
THREADS = 24


class ThreadRecords(logging.Handler):
    """Each log record, formatted as the function writes it, with the thread that emitted it."""

    def __init__(self) -> None:
        super().__init__()  # (logging.Handler.handle already holds the handler's own lock in emit)
        self.records: list[tuple[int, dict[str, Any]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.thread or 0, json.loads(logger.registered_formatter.format(record))))


@pytest.fixture
def records() -> Iterator[ThreadRecords]:
    handler = ThreadRecords()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def run_together(calls: list[Any]) -> tuple[list[Any], list[int]]:
    """Run each call on its own thread, all released at once; (results, thread idents)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    idents: list[int] = [0] * len(calls)

    def run(index: int) -> None:
        idents[index] = threading.get_ident()
        barrier.wait()
        try:
            results[index] = calls[index]()
        except Exception as exc:  # noqa: BLE001 - reported by the caller's assertions
            results[index] = exc

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, idents


def test_concurrent_requests_each_get_their_own_event_logs_and_metrics(stack: Any, records: ThreadRecords, capsys: Any) -> None:
    # Given jobs, and requests of three kinds (Describe, Stop, Describe of a missing job), one per thread
    api = stack.runtime.find("ApiFunction").name
    jobs = [put_job("IN_PROGRESS") for _ in range(THREADS)]
    operations = [(DESCRIBE, STOP, DESCRIBE)[index % 3] for index in range(THREADS)]
    asked = [job if index % 3 != 2 else "0" * 31 + "f" for index, job in enumerate(jobs)]
    events = [http_event("POST", "/", {"JobId": job}, target=op) for job, op in zip(asked, operations, strict=True)]
    capsys.readouterr()
    # When they all run at once
    results, idents = run_together([lambda event=event: stack.runtime.invoke("ApiFunction", event) for event in events])
    # Then each answer is its own request's
    for index, (event, result) in enumerate(zip(events, results, strict=True)):
        assert isinstance(result, dict), result
        assert result["headers"]["x-amzn-RequestId"] == event["requestContext"]["requestId"]
        body = json.loads(result["body"])
        if index % 3 == 0:
            assert body["TextTranslationJobProperties"]["JobId"] == asked[index]
        elif index % 3 == 1:
            assert (result["statusCode"], body["JobStatus"]) == (200, "STOP_REQUESTED")
        else:
            assert (result["statusCode"], body["__type"]) == (400, "ResourceNotFoundException")
    # And each log record carries the keys of the request its thread served, and only those
    by_thread = {ident: index for index, ident in enumerate(idents)}
    outcomes: dict[str, int] = {}
    for thread, line in records.records:
        if thread not in by_thread:
            continue
        index = by_thread[thread]
        assert line["correlation_id"] == events[index]["requestContext"]["requestId"], line
        assert line["function_name"] == api
        assert line.get("job_id") == asked[index], line
        if line["message"] in ("Operation succeeded", "Request rejected"):
            outcomes[line["correlation_id"]] = outcomes.get(line["correlation_id"], 0) + 1
    assert sorted(outcomes) == sorted(event["requestContext"]["requestId"] for event in events)
    assert set(outcomes.values()) == {1}
    assert len({line["function_request_id"] for thread, line in records.records if thread in by_thread}) == THREADS
    # And each invocation flushed its own metrics: one blob each, one value each
    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert len(blobs) == THREADS
    counted: dict[tuple[str, str], int] = {}
    for blob in blobs:
        (metric,) = blob["_aws"]["CloudWatchMetrics"][0]["Metrics"]
        assert blob[metric["Name"]] == [1.0], blob
        counted[(blob["Operation"], metric["Name"])] = counted.get((blob["Operation"], metric["Name"]), 0) + 1
    third = THREADS // 3
    assert counted == {(DESCRIBE, "Success"): third, (STOP, "Success"): third, (DESCRIBE, "ResourceNotFoundException"): third}


def test_worker_and_api_invocations_log_under_their_own_function(
    stack: Any, records: ThreadRecords, monkeypatch: Any
) -> None:
    # Given a workflow step that logs (its domain call stubbed: only the log keys are under test)
    from translate_jobs.workflow import steps

    def finalize_job(deps: Any, account_id: str, job_id: str, failure: Any = None) -> dict[str, Any]:
        logger.info("finalize called")
        return {"JobId": job_id}

    monkeypatch.setattr(steps, "finalize_job", finalize_job)
    api = stack.runtime.find("ApiFunction").name
    finalize = stack.runtime.find("FinalizeJobFunction").name
    jobs = [put_job("IN_PROGRESS") for _ in range(THREADS)]
    calls: list[Any] = []
    expected: list[tuple[str, str]] = []
    for index, job in enumerate(jobs):
        if index % 2:
            event = {"AccountId": "123456789012", "JobId": job}
            calls.append(lambda event=event: stack.runtime.invoke("FinalizeJobFunction", event))
            expected.append((finalize, job))
        else:
            event = http_event("POST", "/", {"JobId": job}, target=DESCRIBE)
            calls.append(lambda event=event: stack.runtime.invoke("ApiFunction", event))
            expected.append((api, job))
    # When they run at once
    results, idents = run_together(calls)
    assert not [result for result in results if isinstance(result, Exception)]
    # Then every record names the function and job of the invocation that wrote it
    by_thread = {ident: index for index, ident in enumerate(idents)}
    seen = set()
    for thread, line in records.records:
        if thread in by_thread:
            assert (line["function_name"], line["job_id"]) == expected[by_thread[thread]], line
            seen.add(by_thread[thread])
    assert seen == set(range(THREADS))


def test_a_handler_error_is_logged_and_answered_as_api_gateway_does(stack: Any, caplog: Any) -> None:
    # Given a route whose function raises (FinalizeJobFunction, given an event without its keys)
    # When it is called through the front
    with serving_api(stack.runtime, [Route("POST", "/", "FinalizeJobFunction")]) as served, \
            caplog.at_level(logging.ERROR, logger="local_stack.runtime"):
        status, headers, body = call(served.url, "POST", "/", b"{}")
    # Then the caller gets API Gateway's 500, and the error's payload is in the log, not swallowed
    assert (status, headers["x-amzn-errortype"], json.loads(body)["message"]) == (
        500, "InternalServerException", "Internal Server Error"
    )
    (record,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == "local_stack.runtime"]
    assert record["function_name"] == stack.runtime.find("FinalizeJobFunction").name
    assert record["errorType"] == "KeyError" and record["stackTrace"]
