"""In-memory stand-ins for the API's dependencies, for tests that need no AWS (no moto, no sockets).

``InMemoryJobs`` is the API's job store (translate_jobs.dal.interfaces.ApiJobStore) over a dict: mypy
checks it against that interface (``make lint``), and tests/integration/test_store_contract.py sends the
same requests through the API to it and to the DynamoDB store and compares the answers. What it leaves
out: the account quotas (no LimitExceededError) and DynamoDB's eventual consistency of the indexes.
"""

import dataclasses
from typing import Any

from translate_jobs.api.dependencies import ApiDependencies
from translate_jobs.core.config import Settings
from translate_jobs.dal.interfaces import ApiJobStore
from translate_jobs.dal.queries import ListQuery, account_job_name, account_status
from translate_jobs.domain.errors import JobNotFoundError
from translate_jobs.domain.job import Job
from translate_jobs.domain.lifecycle import STOPPABLE, JobStatus, StopRequester


class InMemoryJobs:
    """Jobs by (account, JobId); every write keeps the DynamoDB store's rule (its condition) for the change."""

    def __init__(self, *jobs: Job) -> None:
        self.jobs: dict[tuple[str, str], Job] = {(job.account_id, job.job_id): job for job in jobs}

    def get(self, account_id: str, job_id: str) -> Job:
        try:
            return self.jobs[(account_id, job_id)]
        except KeyError:
            raise JobNotFoundError(job_id) from None

    def create(self, job: Job) -> tuple[Job, bool]:
        stored = self.jobs.setdefault((job.account_id, job.job_id), job)
        return stored, stored is job

    def request_stop(self, account_id: str, job_id: str, now: float, requested_by: StopRequester | None = None) -> JobStatus:
        job = self.get(account_id, job_id)
        if job.status not in STOPPABLE:
            return job.status
        self.jobs[(account_id, job_id)] = dataclasses.replace(
            job, status=JobStatus.STOP_REQUESTED, stop_requested_time=now, stop_requested_by=requested_by
        )
        return JobStatus.STOP_REQUESTED

    def list_jobs(
        self, account_id: str, query: ListQuery, limit: int, exclusive_start_key: dict[str, Any] | None
    ) -> tuple[list[Job], dict[str, Any] | None]:
        """The query's index as a sorted list: its hash key, its range condition, its order, and the page
        after ``exclusive_start_key`` (keys shaped as DynamoDB's, so NextTokens carry them alike)."""
        found = [job for job in self.jobs.values() if _index_key(job).get(query.hash_attribute) == {"S": query.hash_value}]
        if query.range_condition is not None:
            operator, value = query.range_condition
            found = [job for job in found if (job.submitted_time < value if operator == "<" else job.submitted_time > value)]
        found.sort(key=lambda job: (job.submitted_time, job.job_id), reverse=not query.ascending)
        if exclusive_start_key is not None:
            keys = [_page_key(job, query) for job in found]
            found = found[keys.index(exclusive_start_key) + 1:] if exclusive_start_key in keys else []
        page = found[:limit]
        return page, _page_key(page[-1], query) if len(found) > limit else None


def _index_key(job: Job) -> dict[str, dict[str, str]]:
    """The key attributes a job's item has on the table and on List's indexes (dal/queries.py)."""
    attributes = {
        "AccountId": {"S": job.account_id},
        "JobId": {"S": job.job_id},
        "SubmittedTime": {"N": str(job.submitted_time)},
        "AccountStatus": {"S": account_status(job.account_id, job.status)},
    }
    if job.job_name:
        attributes["AccountJobName"] = {"S": account_job_name(job.account_id, job.job_name)}
    return attributes


def _page_key(job: Job, query: ListQuery) -> dict[str, Any]:
    attributes = _index_key(job)
    return {name: attributes[name] for name in query.key_attributes}


def a_job(account_id: str, job_id: str, status: JobStatus = JobStatus.SUBMITTED, **fields: Any) -> Job:
    """A job as Start would have stored it (as tests.support.stack.put_job writes one to the table)."""
    values: dict[str, Any] = {
        "submitted_time": 1_700_000_000.0,
        "source_language_code": "en",
        "target_language_codes": ("fr",),
        "input_data_config": {"S3Uri": "s3://input-docs/docs/", "ContentType": "text/plain"},
        "output_data_config": {"S3Uri": f"s3://output-docs/out/{account_id}-TranslateText-{job_id}/"},
        "data_access_role_arn": f"arn:aws:iam::{account_id}:role/TranslateData",
        **fields,
    }
    return Job(account_id, job_id, status, **values)


class RecordedLaunches:
    """The workflow launcher, recording the jobs it was asked to start instead of starting them."""

    def __init__(self) -> None:
        self.launched: list[tuple[str, str]] = []

    def __call__(self, account_id: str, job_id: str) -> None:
        self.launched.append((account_id, job_id))


def in_memory_api(settings: Settings, store: ApiJobStore | None = None) -> ApiDependencies:
    """The API function's dependencies with the jobs in memory, launches recorded and no IAM (only the
    account root calls: Start's PassRole check then asks IAM nothing)."""
    return ApiDependencies(settings, store or InMemoryJobs(), launcher=RecordedLaunches(), iam=None)
