"""The job role's session is reused within a container (s3_as_role.JobRoles) until it nears
expiry, and never across roles, accounts or jobs: the session's SourceIdentity and tags say whose
job it serves, so sharing one would hand a job another's access (the confused deputy)."""

import time
from typing import Any

import boto3
import pytest

from tests.support.stack import ACCOUNT, DATA_ACCESS_ROLE, OTHER_ACCOUNT, REGION, start_job, wait_for_execution


@pytest.fixture
def roles(stack: Any) -> Any:
    """Job-role sessions as one execution environment keeps them (the test's own)."""
    from translate_jobs.integrations.s3_as_role import JobRoles

    return JobRoles(REGION)


@pytest.fixture
def assumed(roles: Any) -> list[dict[str, Any]]:
    return record_assume_roles(roles)


def record_assume_roles(*job_roles: Any) -> list[dict[str, Any]]:
    """The parameters of every AssumeRole these job-role sessions send from now on (as botocore sends them)."""
    calls: list[dict[str, Any]] = []
    for roles in job_roles:
        roles.session.events.register("provide-client-params.sts.AssumeRole", lambda params, **_: calls.append(dict(params)))
    return calls


def test_one_job_reuses_its_session(roles, assumed):
    first = roles.s3(DATA_ACCESS_ROLE, ACCOUNT, "job-1")
    again = roles.s3(DATA_ACCESS_ROLE, ACCOUNT, "job-1")
    assert again is first
    assert len(assumed) == 1


def test_another_job_account_or_role_gets_its_own_session(roles, assumed):
    other_role = f"arn:aws:iam::{ACCOUNT}:role/TranslateDemoDataAccess"
    clients = [
        roles.s3(DATA_ACCESS_ROLE, ACCOUNT, "job-1"),
        roles.s3(DATA_ACCESS_ROLE, ACCOUNT, "job-2"),
        roles.s3(DATA_ACCESS_ROLE, OTHER_ACCOUNT, "job-1"),
        roles.s3(other_role, ACCOUNT, "job-1"),
    ]
    assert len({id(client) for client in clients}) == 4
    assert [(call["RoleArn"], call["SourceIdentity"]) for call in assumed] == [
        (DATA_ACCESS_ROLE, f"{ACCOUNT}-job-1"),
        (DATA_ACCESS_ROLE, f"{ACCOUNT}-job-2"),
        (DATA_ACCESS_ROLE, f"{OTHER_ACCOUNT}-job-1"),
        (other_role, f"{ACCOUNT}-job-1"),
    ]


def test_a_session_near_its_expiry_is_replaced(roles, assumed, monkeypatch):
    from translate_jobs.integrations import s3_as_role

    first = roles.s3(DATA_ACCESS_ROLE, ACCOUNT, "job-1")
    # moto's sessions last an hour, as AssumeRole's default; move the clock to just inside the margin.
    expiry = time.time() + 3600
    monkeypatch.setattr(s3_as_role.time, "time", lambda: expiry - s3_as_role.REUSE_UNTIL_SECONDS_LEFT + 1)
    later = roles.s3(DATA_ACCESS_ROLE, ACCOUNT, "job-1")
    assert later is not first
    assert len(assumed) == 2


def test_a_refused_role_is_asked_again_not_remembered(roles, assumed, monkeypatch):
    from moto.sts.exceptions import STSClientError
    from moto.sts.models import STSBackend

    from translate_jobs.integrations.s3_as_role import DataAccessError

    allowed = STSBackend.assume_role

    def refuse(self: Any, **kwargs: Any) -> Any:
        raise STSClientError("AccessDenied", "not authorized to perform: sts:AssumeRole")

    monkeypatch.setattr(STSBackend, "assume_role", refuse)
    with pytest.raises(DataAccessError):
        roles.s3(DATA_ACCESS_ROLE, ACCOUNT, "job-1")
    monkeypatch.setattr(STSBackend, "assume_role", allowed)
    roles.s3(DATA_ACCESS_ROLE, ACCOUNT, "job-1")
    assert len(assumed) == 2


@pytest.mark.long
def test_a_job_assumes_its_role_once_per_function_whatever_its_batches(buckets, monkeypatch):
    from tests.support.stack import configure

    configure(buckets, BATCH_SIZE="1")
    workers = ("PlanBatchesFunction", "TranslateBatchFunction", "FinalizeJobFunction")
    assumed = record_assume_roles(*(buckets.runtime.dependencies(worker).job_roles for worker in workers))
    s3 = boto3.client("s3", region_name=REGION)
    for n in range(6):
        s3.put_object(Bucket="input-docs", Key=f"docs/{n}.txt", Body=b"hello\n")
    job_id = start_job(buckets)
    assert wait_for_execution(buckets, job_id)["status"] == "SUCCEEDED"
    # PlanBatches, TranslateBatch (6 batches) and FinalizeJob: each function's container assumes it once
    # (each is its own caller, with its own role's access key, as each is its own container on Lambda).
    sessions = [call for call in assumed if call["SourceIdentity"] == f"{ACCOUNT}-{job_id}"]
    assert len(sessions) == 3


def test_a_session_unused_for_the_idle_time_is_dropped_and_a_used_one_kept(roles, assumed, monkeypatch):
    from translate_jobs.integrations import s3_as_role

    # Given two jobs' sessions, job-1's last used now
    now = time.time()
    monkeypatch.setattr(s3_as_role.time, "time", lambda: now)
    finished = roles.s3(DATA_ACCESS_ROLE, ACCOUNT, "job-1")
    running = roles.s3(DATA_ACCESS_ROLE, ACCOUNT, "job-2")

    # When job-2 is used again just within the idle time, and a third job's session is taken after it
    monkeypatch.setattr(s3_as_role.time, "time", lambda: now + s3_as_role.IDLE_SECONDS - 1)
    assert roles.s3(DATA_ACCESS_ROLE, ACCOUNT, "job-2") is running
    monkeypatch.setattr(s3_as_role.time, "time", lambda: now + s3_as_role.IDLE_SECONDS + 1)
    roles.s3(DATA_ACCESS_ROLE, ACCOUNT, "job-3")

    # Then job-1's session (unused for longer) was dropped: it is assumed again; job-2's is still reused
    assert roles.s3(DATA_ACCESS_ROLE, ACCOUNT, "job-1") is not finished
    assert roles.s3(DATA_ACCESS_ROLE, ACCOUNT, "job-2") is running
    assert [call["SourceIdentity"] for call in assumed] == [f"{ACCOUNT}-job-{n}" for n in (1, 2, 3, 1)]
