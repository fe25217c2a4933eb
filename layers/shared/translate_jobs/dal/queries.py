"""ListTextTranslationJobs' queries, without I/O: which index answers a filter, and in which order.

Every List is one DynamoDB Query on a global secondary index built for it (never a Scan):

| filter | index (hash key) | range condition | order |
| --- | --- | --- | --- |
| none | BySubmittedTime (AccountId) | | newest first |
| JobName | ByName (AccountJobName = account#name) | | newest first |
| JobStatus | ByStatus (AccountStatus = account#status) | | newest first |
| SubmittedBeforeTime | BySubmittedTime | SubmittedTime < t | oldest first (as AWS) |
| SubmittedAfterTime | BySubmittedTime | SubmittedTime > t | newest first (as AWS) |
"""

from dataclasses import dataclass
from typing import Any

from translate_jobs.domain.errors import InvalidFilterError

DEFAULT_MAX_RESULTS = 100

# Index name -> (hash key attribute, range key attribute), as declared on JobsTable in template.yaml.
BY_SUBMITTED_TIME = "BySubmittedTime"
BY_STATUS = "ByStatus"
BY_NAME = "ByName"
INDEXES: dict[str, tuple[str, str]] = {
    BY_SUBMITTED_TIME: ("AccountId", "SubmittedTime"),
    BY_STATUS: ("AccountStatus", "SubmittedTime"),
    BY_NAME: ("AccountJobName", "SubmittedTime"),
}
TABLE_KEYS = ("AccountId", "JobId")
FILTER_MEMBERS = ("JobName", "JobStatus", "SubmittedBeforeTime", "SubmittedAfterTime")
TIMESTAMP_MEMBERS = ("SubmittedBeforeTime", "SubmittedAfterTime")


def account_status(account_id: str, status: str) -> str:
    """ByStatus's hash key."""
    return f"{account_id}#{status}"


def account_job_name(account_id: str, job_name: str) -> str:
    """ByName's hash key."""
    return f"{account_id}#{job_name}"


@dataclass(frozen=True)
class ListQuery:
    """One Query: the index, its hash key value, an optional range condition and the order."""

    index: str
    hash_value: str
    # ("<" | ">", epoch seconds) on SubmittedTime, or None.
    range_condition: tuple[str, float] | None
    ascending: bool

    @property
    def hash_attribute(self) -> str:
        return INDEXES[self.index][0]

    @property
    def range_attribute(self) -> str:
        return INDEXES[self.index][1]

    @property
    def key_attributes(self) -> tuple[str, ...]:
        """The attributes of a LastEvaluatedKey on this index: the table's key and the index's."""
        return tuple(dict.fromkeys((*TABLE_KEYS, *INDEXES[self.index])))


def normalized_filter(job_filter: dict[str, Any] | None) -> dict[str, Any]:
    """The filter's members that are set, timestamps as float (1 and 1.0 are the same filter)."""
    members = {key: value for key, value in (job_filter or {}).items() if value is not None}
    for key in TIMESTAMP_MEMBERS:
        if key in members:
            members[key] = float(members[key])
    return members


def plan_query(account_id: str, job_filter: dict[str, Any] | None) -> ListQuery:
    """The Query that answers ``job_filter`` for ``account_id``; more than one member is invalid."""
    members = normalized_filter(job_filter)
    if len(members) > 1:
        raise InvalidFilterError(
            "Filter by only one of " + ", ".join(FILTER_MEMBERS) + f" at a time (got {', '.join(sorted(members))})."
        )
    if "JobName" in members:
        return ListQuery(BY_NAME, account_job_name(account_id, members["JobName"]), None, ascending=False)
    if "JobStatus" in members:
        return ListQuery(BY_STATUS, account_status(account_id, members["JobStatus"]), None, ascending=False)
    if "SubmittedBeforeTime" in members:
        return ListQuery(BY_SUBMITTED_TIME, account_id, ("<", members["SubmittedBeforeTime"]), ascending=True)
    if "SubmittedAfterTime" in members:
        return ListQuery(BY_SUBMITTED_TIME, account_id, (">", members["SubmittedAfterTime"]), ascending=False)
    return ListQuery(BY_SUBMITTED_TIME, account_id, None, ascending=False)


def page_key(item: dict[str, Any], query: ListQuery) -> dict[str, Any]:
    """The ExclusiveStartKey that continues after ``item`` (a raw DynamoDB item) on the query's index."""
    return {name: item[name] for name in query.key_attributes}


