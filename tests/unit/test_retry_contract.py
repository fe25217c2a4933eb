"""The retry contract between the workers and the workflows: the error names in statemachine/*.asl.json (the
job's workflow, parallel data's) and the exceptions the code raises are one contract, held here from both sides
(a change to either alone fails a test)."""

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from translate_jobs.core import transient
from translate_jobs.domain import errors

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = {path.name.split(".")[0]: json.loads(path.read_text()) for path in sorted((ROOT / "statemachine").glob("*.asl.json"))}
LIBRARY = ROOT / "layers" / "shared" / "translate_jobs"
# Names Step Functions and Lambda define (a Lambda crash, a timeout, the service failing): not ours to raise.
RESERVED_PREFIXES = ("States.", "Lambda.", "Sandbox.", "Runtime.")


def tasks(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        if state["Type"] == "Task":
            yield name, state
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from tasks(processor["States"])


def error_names(state: dict[str, Any], field: str) -> set[str]:
    return {name for rule in state.get(field, []) for name in rule["ErrorEquals"]}


def raised_names() -> set[str]:
    """Class names in the library's raise statements; as_retried() raises one of transient.RETRIED."""
    names: set[str] = set()
    for path in LIBRARY.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                names.add(name)
                if name == "as_retried":
                    names.update(cls.__name__ for cls in transient.RETRIED)
    return names


TASKS = {f"{workflow}:{name}": state for workflow, asl in WORKFLOWS.items() for name, state in tasks(asl["States"])}


def test_the_workflows_have_the_tasks_this_contract_is_about():
    assert set(TASKS) == {
        "translation_job:BeginJob", "translation_job:PlanBatches", "translation_job:TranslateBatch",
        "translation_job:FinalizeJob", "translation_job:FinalizeFailedJob", "parallel_data:Run", "parallel_data:RecordFailure",
    }


@pytest.mark.parametrize("task", sorted(TASKS))
def test_every_error_a_task_retries_or_catches_is_raised_by_the_code(task):
    ours = {
        name for name in error_names(TASKS[task], "Retry") | error_names(TASKS[task], "Catch")
        if not name.startswith(RESERVED_PREFIXES)
    }
    assert ours, f"{task} retries nothing of ours"
    assert ours <= raised_names(), f"{task} names errors nothing raises: {sorted(ours - raised_names())}"


@pytest.mark.parametrize("task", sorted(TASKS))
def test_every_transient_error_the_code_raises_is_retried_by_every_task(task):
    transient_classes = {
        cls.__name__ for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.TransientError)
    }
    assert transient_classes == {cls.__name__ for cls in transient.RETRIED}
    assert transient_classes <= error_names(TASKS[task], "Retry")


@pytest.mark.parametrize("task", sorted(TASKS))
def test_retries_back_off_with_jitter_and_are_bounded(task):
    for rule in TASKS[task]["Retry"]:
        assert rule["BackoffRate"] > 1 and rule["JitterStrategy"] == "FULL"
        assert 1 <= rule["MaxAttempts"] <= 10 and rule["MaxDelaySeconds"] <= 60


@pytest.mark.parametrize("task", sorted(TASKS))
def test_a_crashed_or_timed_out_lambda_is_retried(task):
    assert {"Sandbox.Timedout", "Runtime.ExitError", "Lambda.ServiceException"} <= error_names(TASKS[task], "Retry")


def client_error(code: str, status: int = 400, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


@pytest.mark.parametrize(
    "error",
    [
        client_error("SlowDown", 503), client_error("InternalError", 500), client_error("ThrottlingException"),
        client_error("ProvisionedThroughputExceededException"), client_error("InternalServerError", 500),
        client_error("Throttling"), client_error("InternalException", 500), client_error("Whatever", 503),
        EndpointConnectionError(endpoint_url="https://s3"), ReadTimeoutError(endpoint_url="https://s3"),
    ],
)
def test_throttling_server_errors_and_lost_connections_are_transient(error):
    assert transient.is_transient(error)


@pytest.mark.parametrize(
    "error",
    [client_error("AccessDenied", 403), client_error("NoSuchBucket", 404), client_error("ValidationException"),
     client_error("ConditionalCheckFailedException"), ValueError("a bug")],
)
def test_what_retrying_cannot_fix_is_not_transient(error):
    assert not transient.is_transient(error)


def test_the_retried_error_says_what_was_being_done_and_what_aws_answered():
    throttled = transient.as_retried(client_error("SlowDown", 503, "Please reduce your request rate."), "writing s3://b/k")
    assert isinstance(throttled, errors.ThrottledError)
    assert str(throttled) == "AWS failed transiently while writing s3://b/k (SlowDown: Please reduce your request rate.)."
    failed = transient.as_retried(client_error("InternalError", 500), "reading s3://b/k")
    assert type(failed) is errors.TransientError
    with pytest.raises(errors.TransientError, match="listing s3://in/"), transient.retried_if_transient("listing s3://in/"):
        raise client_error("InternalError", 500)
    with pytest.raises(ClientError), transient.retried_if_transient("listing s3://in/"):
        raise client_error("AccessDenied", 403)
