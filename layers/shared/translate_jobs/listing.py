"""ListTextTranslationJobs without I/O: which index answers a filter, in which order, and NextToken.

Every List is one DynamoDB Query on a global secondary index built for it (never a Scan):

| filter | index (hash key) | range condition | order |
| --- | --- | --- | --- |
| none | BySubmittedTime (AccountId) | | newest first |
| JobName | ByName (AccountJobName = account#name) | | newest first |
| JobStatus | ByStatus (AccountStatus = account#status) | | newest first |
| SubmittedBeforeTime | BySubmittedTime | SubmittedTime < t | oldest first (as AWS) |
| SubmittedAfterTime | BySubmittedTime | SubmittedTime > t | newest first (as AWS) |

NextToken is keyset-based: it carries the index key of the last job returned (DynamoDB's
ExclusiveStartKey), so a page starts strictly after the previous one whatever was written since:
no job is repeated or skipped. It is bound to the caller's account and the filter, carries its
expiry (TOKEN_TTL_SECONDS after it was issued), and is signed with HMAC-SHA256, so a forged,
modified, borrowed or expired token is rejected instead of read.
"""

import base64
import binascii
import hashlib
import hmac
import json
import math
from dataclasses import dataclass
from typing import Any

from translate_jobs.errors import InvalidFilterError, InvalidRequestError

DEFAULT_MAX_RESULTS = 100
TOKEN_VERSION = 2  # 2: tokens carry an expiry ("e"); a version 1 token (no expiry) is refused
TOKEN_TTL_SECONDS = 24 * 60 * 60

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


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _filter_digest(job_filter: dict[str, Any] | None) -> str:
    canonical = json.dumps(normalized_filter(job_filter), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _signature(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), payload, hashlib.sha256).digest()


def encode_token(
    secret: str, account_id: str, job_filter: dict[str, Any] | None, key: dict[str, Any], *, now: float
) -> str:
    """An opaque NextToken: base64url(payload) "." base64url(HMAC-SHA256(payload)), valid for a day."""
    payload = json.dumps(
        {"v": TOKEN_VERSION, "a": account_id, "f": _filter_digest(job_filter), "k": key, "e": int(now) + TOKEN_TTL_SECONDS},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    return f"{_b64encode(payload)}.{_b64encode(_signature(secret, payload))}"


def decode_token(
    secret: str, account_id: str, job_filter: dict[str, Any] | None, token: str, *, now: float
) -> dict[str, Any]:
    """The ExclusiveStartKey a NextToken carries, once its signature, expiry, account and filter check out."""
    invalid = InvalidRequestError(
        "The NextToken is not valid: it was not issued by this service or was modified. "
        "Pass the NextToken of the previous response unchanged, or omit it to start over."
    )
    encoded_payload, dot, encoded_signature = token.partition(".")
    if not dot:
        raise invalid
    try:
        payload = _b64decode(encoded_payload)
        signature = _b64decode(encoded_signature)
    except (binascii.Error, ValueError):
        raise invalid from None
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        raise invalid
    try:
        content = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise invalid from None
    if not isinstance(content, dict) or content.get("v") != TOKEN_VERSION or not isinstance(content.get("k"), dict):
        raise invalid
    expiry = content.get("e")
    if isinstance(expiry, bool) or not isinstance(expiry, int):
        raise invalid
    if now >= expiry:
        raise InvalidRequestError(
            f"The NextToken has expired: a NextToken is valid for {TOKEN_TTL_SECONDS // 3600} hours after the "
            "response that returned it. Omit it to list from the start again."
        )
    if content.get("a") != account_id or content.get("f") != _filter_digest(job_filter):
        raise InvalidRequestError(
            "The NextToken belongs to a different request: use it only with the same Filter (and account) "
            "as the request that returned it, or omit it to start over."
        )
    key = dict(content["k"])
    # A signature proves who made the token, not that its key fits the index (a leaked secret, an old
    # format): DynamoDB gets only an ExclusiveStartKey of exactly the query's attributes and types.
    if not _fits(key, plan_query(account_id, job_filter), account_id):
        raise invalid
    return key


def _fits(key: dict[str, Any], query: ListQuery, account_id: str) -> bool:
    if set(key) != set(query.key_attributes):
        return False
    for name, value in key.items():
        kind = "N" if name == query.range_attribute else "S"
        if not (isinstance(value, dict) and list(value) == [kind] and isinstance(value[kind], str)):
            return False
        text = value[kind]
        if not text or len(text) > 1024 or not _is_unicode(text):
            return False
        if kind == "N" and not _is_number(text):
            return False
    return key["AccountId"]["S"] == account_id and key[query.hash_attribute]["S"] == query.hash_value


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def _is_number(text: str) -> bool:
    try:
        number = float(text)
    except ValueError:
        return False
    return math.isfinite(number) and len(text) <= 40
