"""Stop and finalize interleaved in every order: exactly one terminal status, never overwritten."""

import threading
import time
import traceback
from typing import Any

import pytest

from tests.support.stack import ACCOUNT, put_job, raw_item

TERMINAL = {"COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOPPED"}



def counted_job() -> str:
    """Every document of the job is counted: only finalize is left."""
    return put_job("IN_PROGRESS", input_documents_count=2, translated_documents_count=2, batch_count=1)


def uncounted_job() -> str:
    """Documents still being translated."""
    return put_job("IN_PROGRESS", input_documents_count=2, translated_documents_count=1, batch_count=2)


def stop(job_id: str) -> str:
    from tests.support.stack import job_store

    return job_store().request_stop(ACCOUNT, job_id, now=time.time()).value


def finalize(job_id: str) -> str:
    from tests.support.stack import workflow_dependencies
    from translate_jobs.workflow import steps

    return steps.finalize_job(workflow_dependencies(), ACCOUNT, job_id)["JobStatus"]


def status(stack: Any, job_id: str) -> str:
    return raw_item(stack.table_name, ACCOUNT, job_id)["JobStatus"]["S"]


def assert_terminal_is_final(stack: Any, job_id: str) -> str:
    """Once terminal, neither finalize nor Stop changes anything; both report the status."""
    final = status(stack, job_id)
    assert final in TERMINAL
    before = raw_item(stack.table_name, ACCOUNT, job_id)
    assert finalize(job_id) == final
    assert stop(job_id) == final
    assert raw_item(stack.table_name, ACCOUNT, job_id) == before
    return final


@pytest.mark.parametrize(
    ("make_job", "order", "expected"),
    [
        (counted_job, "stop-then-finalize", "COMPLETED"),  # finished before it could be stopped
        (counted_job, "finalize-then-stop", "COMPLETED"),
        (uncounted_job, "stop-then-finalize", "STOPPED"),
        (uncounted_job, "finalize-then-stop", "FAILED"),  # finalize without a stop: the run ended early
    ],
)
def test_stop_and_finalize_in_each_order(stack, make_job, order, expected):
    job_id = make_job()
    if order == "stop-then-finalize":
        assert stop(job_id) == "STOP_REQUESTED"
        assert finalize(job_id) == expected
    else:
        assert finalize(job_id) == expected
        assert stop(job_id) == expected  # Stop on a terminal job returns it unchanged
    assert assert_terminal_is_final(stack, job_id) == expected
    item = raw_item(stack.table_name, ACCOUNT, job_id)
    assert "EndTime" in item and "Message" in item


@pytest.mark.parametrize("terminal", sorted(TERMINAL))
def test_a_terminal_job_is_never_overwritten(stack, terminal):
    job_id = put_job(terminal, input_documents_count=2, translated_documents_count=1, message="done", end_time=1.0)
    assert assert_terminal_is_final(stack, job_id) == terminal


def test_stop_requested_job_is_stopped_by_finalize_and_stop_is_idempotent(stack):
    job_id = uncounted_job()
    assert stop(job_id) == "STOP_REQUESTED"
    assert stop(job_id) == "STOP_REQUESTED"
    assert finalize(job_id) == "STOPPED"
    assert assert_terminal_is_final(stack, job_id) == "STOPPED"


@pytest.mark.parametrize(("make_job", "allowed"), [
    (counted_job, {"COMPLETED"}),
    pytest.param(uncounted_job, {"STOPPED", "FAILED"}, marks=pytest.mark.long),
])
def test_concurrent_stop_and_finalize_reach_exactly_one_terminal_status(stack, make_job, allowed):
    seen: set[str] = set()
    for _ in range(15):
        job_id = make_job()
        barrier = threading.Barrier(4)
        results: dict[str, list[str]] = {"stop": [], "finalize": []}
        errors: list[str] = []  # tracebacks: a rare failure here must be diagnosable from one report

        def run(
            kind: str, action: Any, job_id: str = job_id, barrier: Any = barrier, results: Any = results, errors: Any = errors
        ) -> None:
            try:
                barrier.wait()
                results[kind].append(action(job_id))
            except BaseException:  # noqa: BLE001 - reported below
                errors.append(traceback.format_exc())

        threads = [
            threading.Thread(target=run, args=("stop", stop)),
            threading.Thread(target=run, args=("stop", stop)),
            threading.Thread(target=run, args=("finalize", finalize)),
            threading.Thread(target=run, args=("finalize", finalize)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [], "\n".join(errors)
        final = assert_terminal_is_final(stack, job_id)
        assert final in allowed
        # Every finalize reports the one terminal status; every Stop saw either a running job or that status.
        assert results["finalize"] == [final, final]
        assert set(results["stop"]) <= {"STOP_REQUESTED", final}
        if final == "STOPPED":
            assert "STOP_REQUESTED" in results["stop"]
        if "COMPLETED" in allowed:
            assert final == "COMPLETED"  # never STOPPED once every document is counted
        seen.add(final)
    print(f"\nterminal statuses seen over 15 concurrent runs: {sorted(seen)}")
