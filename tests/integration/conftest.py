"""Fixtures of the integration tests: moto in-process with template.yaml provisioned into it, once per
test run (per xdist worker), back to just-provisioned before each test (tests.support.stack.SessionStack)."""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local_stack.provision import Stack
from tests.support.stack import REGION, SESSION
from tests.support.workflow import GatedEngine


@pytest.fixture
def stack() -> Iterator[Stack]:
    """moto (in-process, Step Functions executing) with template.yaml provisioned in it, as just provisioned."""
    yield SESSION.reset()


@pytest.fixture
def buckets(stack: Stack) -> Stack:
    """The stack, with the input and output buckets the workflow tests use."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="input-docs")
    s3.create_bucket(Bucket="output-docs")
    return stack


@pytest.fixture
def faults() -> Iterator[Any]:
    """``faults("rate=0.05,seed=1")`` makes the functions' AWS calls fail as AWS does (local_stack.faults); "" stops."""
    from local_stack import faults as injector
    from translate_jobs_local.app import TRANSLATE_JOBS

    def inject(spec: str) -> injector.FaultPlan | None:
        plan = injector.FaultPlan.parse(spec, TRANSLATE_JOBS.faults) if spec else None
        injector.activate(plan)
        return plan

    yield inject
    injector.activate(None)


@pytest.fixture
def gated() -> Iterator[type[GatedEngine]]:
    """tests.support.workflow.GatedEngine with its gate closed (``gated.close(free=n)`` lets n documents
    through); opened when the test ends, so no workflow thread stays held after a failure."""
    GatedEngine.close()
    yield GatedEngine
    GatedEngine.gate.set()


def pytest_sessionfinish(session: Any, exitstatus: Any) -> None:
    SESSION.suspend()
