"""ListTextTranslationJobs: filters, order, MaxResults, NextToken, and what a page costs.

Through the ApiFunction handler (AWS JSON at POST / and REST GET /jobs) over moto with
template.yaml provisioned, so the indexes queried are the ones the template declares. The store's
botocore client is hooked to see every DynamoDB request: a List is one Query per page, never a Scan.
"""

import base64
import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support.listing import T0, call, list_jobs, put_jobs
from tests.support.requests import store_client_hooks
from tests.support.stack import ACCOUNT, OTHER_ACCOUNT, http_event, put_job


def rest_list(stack: Any, **query: Any) -> tuple[int, dict[str, Any]]:
    event = http_event("GET", "/jobs")
    if query:
        event["rawQueryString"] = urlencode(query)
        event["queryStringParameters"] = {key: str(value) for key, value in query.items()}
    return call(stack, event)


def ids(response: dict[str, Any]) -> list[str]:
    return [job["JobId"] for job in response["TextTranslationJobPropertiesList"]]


def page_through(stack: Any, between_pages: Any = None, **request: Any) -> tuple[list[str], int]:
    """Every JobId of every page, in order, and the number of pages."""
    seen: list[str] = []
    pages = 0
    token = None
    while True:
        status, body = list_jobs(stack, **request, **({"NextToken": token} if token else {}))
        assert status == 200, body
        pages += 1
        seen += ids(body)
        token = body.get("NextToken")
        if token is None:
            return seen, pages
        assert len(body["TextTranslationJobPropertiesList"]) == request.get("MaxResults", 100)
        if between_pages:
            between_pages(pages)


@contextmanager
def queries() -> Iterator[list[tuple[str, dict[str, Any], dict[str, Any]]]]:
    """(operation, request, parsed response) of every DynamoDB call of the job store."""
    calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    def after_call(parsed: dict[str, Any], model: Any, context: Any, event_name: str, **_: Any) -> None:
        calls.append((event_name.rsplit(".", 1)[-1], context.get("list_test_params", {}), parsed))

    def provide_params(params: dict[str, Any], context: Any, **_: Any) -> None:
        context["list_test_params"] = dict(params)

    with store_client_hooks({"provide-client-params.dynamodb": provide_params, "after-call.dynamodb": after_call}):
        yield calls


# ---------- filters and order ----------


def test_without_a_filter_jobs_come_newest_first_with_describes_properties(stack: Any) -> None:
    # Given five jobs submitted one second apart
    job_ids = [put_job("SUBMITTED", submitted_time=T0 + i) for i in range(5)]
    # When the account lists its jobs
    status, body = list_jobs(stack)
    # Then all five come newest first, each with the properties Describe returns, and no NextToken
    assert status == 200, body
    assert ids(body) == job_ids[::-1]
    assert "NextToken" not in body
    described = call(stack, http_event("GET", f"/jobs/{job_ids[0]}"))[1]["TextTranslationJobProperties"]
    assert body["TextTranslationJobPropertiesList"][-1] == described


def test_submitted_before_time_lists_older_jobs_oldest_first(stack: Any) -> None:
    # Given ten jobs submitted at T0 .. T0+9
    job_ids = [put_job(submitted_time=T0 + i) for i in range(10)]
    # When listing those submitted before T0+5
    status, body = list_jobs(stack, Filter={"SubmittedBeforeTime": T0 + 5})
    # Then the five before it come in ascending order (as AWS orders this filter)
    assert status == 200, body
    assert ids(body) == job_ids[:5]


def test_submitted_after_time_lists_newer_jobs_newest_first(stack: Any) -> None:
    # Given ten jobs submitted at T0 .. T0+9
    job_ids = [put_job(submitted_time=T0 + i) for i in range(10)]
    # When listing those submitted after T0+5
    status, body = list_jobs(stack, Filter={"SubmittedAfterTime": T0 + 5})
    # Then the four after it come in descending order
    assert status == 200, body
    assert ids(body) == job_ids[6:][::-1]


def test_job_status_filter_lists_only_that_status_newest_first(stack: Any) -> None:
    # Given jobs of three statuses
    statuses = ["IN_PROGRESS", "COMPLETED", "IN_PROGRESS", "FAILED", "IN_PROGRESS"]
    job_ids = [put_job(status, submitted_time=T0 + i) for i, status in enumerate(statuses)]
    # When listing the IN_PROGRESS ones
    status, body = list_jobs(stack, Filter={"JobStatus": "IN_PROGRESS"})
    # Then exactly those, newest first
    assert status == 200, body
    assert ids(body) == [job_ids[4], job_ids[2], job_ids[0]]
    assert {job["JobStatus"] for job in body["TextTranslationJobPropertiesList"]} == {"IN_PROGRESS"}


def test_job_status_filter_follows_every_status_write(stack: Any) -> None:
    from tests.support.stack import job_store
    from translate_jobs.domain.lifecycle import Finalization, JobStatus

    # Given a job started, begun, stopped through the API and finalized by the workflow's store calls
    job_id = put_job("SUBMITTED", submitted_time=T0)

    def listed(status: str) -> list[str]:
        return ids(list_jobs(stack, Filter={"JobStatus": status})[1])

    assert listed("SUBMITTED") == [job_id]
    job_store().begin(ACCOUNT, job_id)
    assert (listed("SUBMITTED"), listed("IN_PROGRESS")) == ([], [job_id])
    assert call(stack, http_event("POST", f"/jobs/{job_id}/stop"))[0] == 200
    assert (listed("IN_PROGRESS"), listed("STOP_REQUESTED")) == ([], [job_id])
    job_store().finalize(ACCOUNT, job_id, Finalization(JobStatus.STOPPED, "stopped", JobStatus.STOP_REQUESTED, end_time=T0 + 1,
                                                      held_slot=False))
    # Then the job is listed under exactly its current status at every step
    assert (listed("STOP_REQUESTED"), listed("STOPPED")) == ([], [job_id])


def test_job_name_filter_lists_only_jobs_of_that_name(stack: Any) -> None:
    # Given jobs of two names
    nightly = [put_job(job_name="nightly", submitted_time=T0 + i) for i in range(3)]
    put_job(job_name="adhoc", submitted_time=T0 + 10)
    # When listing by one name
    status, body = list_jobs(stack, Filter={"JobName": "nightly"})
    # Then only that name's jobs, newest first
    assert status == 200, body
    assert ids(body) == nightly[::-1]


def test_more_than_one_filter_member_is_an_invalid_filter_and_reads_nothing(stack: Any) -> None:
    # Given a job
    put_job()
    # When the filter has two members
    with queries() as calls:
        status, body = list_jobs(stack, Filter={"JobStatus": "COMPLETED", "SubmittedAfterTime": T0})
    # Then it is InvalidFilterException, and the table was not read
    assert status == 400
    assert body["__type"] == "InvalidFilterException"
    assert "only one" in body["message"]
    assert calls == []


def test_another_accounts_jobs_are_never_listed(stack: Any) -> None:
    # Given jobs in two accounts, with the same name and status
    mine = put_job(submitted_time=T0)
    put_job(account=OTHER_ACCOUNT, submitted_time=T0 + 1)
    # When each filter lists my jobs
    for job_filter in ({}, {"JobName": "test-job"}, {"JobStatus": "IN_PROGRESS"}, {"SubmittedAfterTime": 0},
                       {"SubmittedBeforeTime": T0 + 100}):
        status, body = list_jobs(stack, Filter=job_filter)
        # Then only mine
        assert (status, ids(body)) == (200, [mine]), job_filter


# ---------- MaxResults ----------


@pytest.mark.parametrize("max_results", [0, 501, -1])
def test_max_results_outside_1_to_500_is_a_validation_error(stack: Any, max_results: int) -> None:
    status, body = list_jobs(stack, MaxResults=max_results)
    assert status == 400
    assert body["__type"] == "ValidationException"
    assert "maxResults" in body["message"]


def test_max_results_defaults_to_100_and_accepts_1_and_500(stack: Any) -> None:
    # Given 101 jobs
    put_jobs(101)
    # Then a List without MaxResults returns 100 and a NextToken; 1 returns one; 500 returns all
    status, body = list_jobs(stack)
    assert (status, len(ids(body)), "NextToken" in body) == (200, 100, True)
    status, body = list_jobs(stack, MaxResults=1)
    assert (status, len(ids(body)), "NextToken" in body) == (200, 1, True)
    status, body = list_jobs(stack, MaxResults=500)
    assert (status, len(ids(body)), "NextToken" in body) == (200, 101, False)


# ---------- NextToken ----------


@pytest.mark.parametrize(
    "job_filter", [{}, {"SubmittedBeforeTime": T0 + 20}, {"SubmittedAfterTime": T0 - 1}, {"JobStatus": "COMPLETED"}]
)
def test_paging_returns_every_job_exactly_once_in_order(stack: Any, job_filter: dict[str, Any]) -> None:
    # Given 20 jobs
    job_ids = put_jobs(20)
    # When paging with MaxResults 3
    seen, pages = page_through(stack, MaxResults=3, Filter=job_filter)
    # Then every job comes exactly once, in the filter's order, in ceil(20/3) pages
    expected = job_ids if "SubmittedBeforeTime" in job_filter else job_ids[::-1]
    assert seen == expected
    assert pages == 7


@pytest.mark.long
def test_paging_while_jobs_are_added_never_repeats_or_skips_a_job(stack: Any) -> None:
    # Given 30 jobs, some submitted at the same second (ties are broken by JobId)
    job_ids = put_jobs(20) + put_jobs(10, start=T0 + 5)
    rng = random.Random(7)
    added: list[str] = []

    def add_jobs(page: int) -> None:
        # newer jobs, and jobs submitted in the middle of the range already paged
        added.extend(put_jobs(2, start=T0 + 100 + page * 10))
        added.extend(put_jobs(1, start=T0 + rng.randrange(0, 20) + 0.5))

    for job_filter in ({}, {"SubmittedBeforeTime": T0 + 1000}, {"SubmittedAfterTime": T0 - 1}):
        # When paging with MaxResults 4 and adding jobs between pages
        seen, _ = page_through(stack, add_jobs, MaxResults=4, Filter=job_filter)
        # Then no job is listed twice, and every job that existed before the first page is listed
        assert len(seen) == len(set(seen)), job_filter
        assert set(job_ids) <= set(seen), job_filter
        assert set(seen) <= set(job_ids) | set(added)
        job_ids = job_ids + added
        added = []


def _token(stack: Any, account: str = ACCOUNT, **request: Any) -> str:
    status, body = list_jobs(stack, account, MaxResults=1, **request)
    assert status == 200 and "NextToken" in body, body
    return str(body["NextToken"])


def _tampered(token: str) -> str:
    """The token with its key changed (another JobId) and its signature kept."""
    payload, signature = token.split(".")
    content = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    content["k"]["JobId"] = {"S": "0" * 32}
    forged = base64.urlsafe_b64encode(json.dumps(content).encode()).decode().rstrip("=")
    return f"{forged}.{signature}"


def test_forged_modified_foreign_and_other_filter_tokens_are_rejected(stack: Any) -> None:
    # Given jobs in two accounts and a valid token for each
    put_jobs(3)
    put_jobs(3, account=OTHER_ACCOUNT)
    mine = _token(stack)
    theirs = _token(stack, OTHER_ACCOUNT)
    by_status = _token(stack, Filter={"JobStatus": "COMPLETED"})
    # When a token is forged, modified, another account's, or another filter's
    cases = {
        "forged": ("not-a-token", {}),
        "random": (base64.urlsafe_b64encode(b'{"k":{}}').decode() + ".AAAA", {}),
        "modified": (_tampered(mine), {}),
        "foreign account": (theirs, {}),
        "other filter": (by_status, {}),
        "other filter value": (by_status, {"Filter": {"JobStatus": "FAILED"}}),
    }
    for case, (token, request) in cases.items():
        with queries() as calls:
            status, body = list_jobs(stack, NextToken=token, **request)
        # Then 400 InvalidRequestException saying why, and nothing is read
        assert (status, body.get("__type")) == (400, "InvalidRequestException"), case
        assert "NextToken" in body["message"], case
        assert calls == [], case
    # And the genuine tokens still work with their own request
    assert list_jobs(stack, NextToken=mine)[0] == 200
    assert list_jobs(stack, NextToken=by_status, Filter={"JobStatus": "COMPLETED"})[0] == 200
    assert list_jobs(stack, NextToken=mine, MaxResults=5)[0] == 200  # MaxResults may change between pages


# ---------- REST ----------


def test_rest_get_jobs_takes_filter_and_paging_as_query_parameters(stack: Any) -> None:
    # Given jobs of two statuses
    done = put_jobs(5, status="COMPLETED")
    put_jobs(2, status="FAILED", start=T0 + 50)
    # When listing over REST, two at a time, by status
    seen: list[str] = []
    query: dict[str, Any] = {"JobStatus": "COMPLETED", "MaxResults": "2"}
    while True:
        status, body = rest_list(stack, **query)
        assert status == 200, body
        seen += ids(body)
        if "NextToken" not in body:
            break
        query["NextToken"] = body["NextToken"]
    # Then the same pages as the AWS JSON protocol
    assert seen == done[::-1]
    # And the time filters take epoch seconds
    assert ids(rest_list(stack, SubmittedBeforeTime=str(T0 + 2))[1]) == done[:2]
    assert ids(rest_list(stack, SubmittedAfterTime=str(T0 + 49.5))[1]) == ids(list_jobs(stack, Filter={"JobStatus": "FAILED"})[1])
    assert len(ids(rest_list(stack)[1])) == 7


@pytest.mark.parametrize(
    ("query", "error", "says"),
    [
        ({"MaxResults": "ten"}, "ValidationException", "Member must be an integer"),
        ({"MaxResults": "0"}, "ValidationException", "greater than or equal to 1"),
        ({"JobStatus": "DONE"}, "ValidationException", "enum value set"),
        ({"SubmittedAfterTime": "yesterday"}, "ValidationException", "timestamp"),
        ({"JobStatus": "FAILED", "JobName": "x"}, "InvalidFilterException", "only one"),
        ({"NextToken": "abc"}, "InvalidRequestException", "NextToken"),
    ],
)
def test_rest_get_jobs_rejects_bad_query_parameters_as_aws_would(
    stack: Any, query: dict[str, str], error: str, says: str
) -> None:
    status, body = rest_list(stack, **query)
    assert (status, body["__type"]) == (400, error)
    assert says in body["message"]


# ---------- cost ----------


# `make test` compares 100 and 500 jobs per account (20 pages' worth); `make test-long`, 200 and 3,000.
@pytest.mark.parametrize(
    "sizes", [(100, 500), pytest.param((200, 3000), marks=pytest.mark.long)], ids=["500-jobs", "3000-jobs"]
)
def test_a_page_reads_the_same_number_of_items_whatever_the_table_size(stack: Any, capsys: Any, sizes: tuple[int, int]) -> None:
    """Each page is one Query reading MaxResults + 1 items, at a small table's size as at a large one's; never a Scan."""
    small, large = sizes
    max_results = 25
    filters = {
        "none": {},
        "JobStatus": {"JobStatus": "COMPLETED"},
        "JobName": {"JobName": "batch-job"},
        "SubmittedBeforeTime": {"SubmittedBeforeTime": T0 + 10_000},
        "SubmittedAfterTime": {"SubmittedAfterTime": T0 - 1},
    }
    figures: dict[int, dict[str, list[tuple[int, int]]]] = {}
    total = 0
    for size in sizes:
        # Given a table of `size` jobs of this account (and as many of another)
        put_jobs(size - total, start=T0 + total)
        put_jobs(size - total, account=OTHER_ACCOUNT, start=T0 + total)
        total = size
        figures[size] = {}
        for name, job_filter in filters.items():
            # When three pages are listed
            with queries() as calls:
                token = None
                for _ in range(3):
                    status, body = list_jobs(stack, MaxResults=max_results, Filter=job_filter,
                                             **({"NextToken": token} if token else {}))
                    assert status == 200, body
                    assert len(ids(body)) == max_results
                    token = body["NextToken"]
            # Then each page was exactly one Query on an index, never a Scan
            assert [operation for operation, _, _ in calls] == ["Query"] * 3, (size, name)
            assert all(params.get("IndexName") for _, params, _ in calls)
            figures[size][name] = [(parsed["Count"], parsed["ScannedCount"]) for _, _, parsed in calls]
    # And the items read per page are the same at both sizes: MaxResults + 1
    assert figures[small] == figures[large]
    for per_filter in figures[large].values():
        assert per_filter == [(max_results + 1, max_results + 1)] * 3
    with capsys.disabled():
        print(f"\nItems read per List page (MaxResults={max_results}; (Count, ScannedCount) of each page's Query):")
        for size, per_filter in figures.items():
            for name, pages in per_filter.items():
                print(f"  {size:>5} jobs per account, filter {name:<20}: {pages}")


# ---------- listing (pure) ----------


def test_a_token_is_bound_to_its_secret() -> None:
    from translate_jobs.api.tokens import decode_token, encode_token
    from translate_jobs.domain.errors import InvalidRequestError

    key = {"AccountId": {"S": ACCOUNT}, "JobId": {"S": "a" * 32}, "SubmittedTime": {"N": "1"}}
    token = encode_token("s" * 32, ACCOUNT, {"SubmittedAfterTime": 1}, key, now=T0)
    assert decode_token("s" * 32, ACCOUNT, {"SubmittedAfterTime": 1.0}, token, now=T0) == key
    with pytest.raises(InvalidRequestError):
        decode_token("t" * 32, ACCOUNT, {"SubmittedAfterTime": 1}, token, now=T0)


# ---------- botocore over real HTTP ----------


@pytest.fixture
def local_api() -> Iterator[Any]:
    """The local stack (front on a real port, moto server) and a botocore Translate client for it."""
    import boto3

    from tests.support import stack as test_stack

    with test_stack.running_local_stack() as local_stack:
        yield boto3.client("translate", endpoint_url=local_stack.api_url, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")


def test_botocore_pages_through_jobs_and_parses_list_errors(local_api: Any) -> None:
    from datetime import datetime, timezone

    # Given seven jobs
    job_ids = put_jobs(7)
    # When botocore pages through the ones submitted after T0+1, three at a time
    after = datetime.fromtimestamp(T0 + 1, tz=timezone.utc)
    seen: list[str] = []
    request: dict[str, Any] = {"Filter": {"SubmittedAfterTime": after}, "MaxResults": 3}
    while True:
        page = local_api.list_text_translation_jobs(**request)
        seen += [job["JobId"] for job in page["TextTranslationJobPropertiesList"]]
        if "NextToken" not in page:
            break
        request["NextToken"] = page["NextToken"]
    # Then it gets them newest first, with timestamps parsed
    assert seen == job_ids[2:][::-1]
    assert page["TextTranslationJobPropertiesList"][-1]["SubmittedTime"].timestamp() == pytest.approx(T0 + 2)
    # And the List errors are the modeled exceptions
    with pytest.raises(local_api.exceptions.InvalidFilterException):
        local_api.list_text_translation_jobs(Filter={"JobName": "a", "JobStatus": "FAILED"})
    with pytest.raises(local_api.exceptions.InvalidRequestException):
        local_api.list_text_translation_jobs(NextToken="forged")
