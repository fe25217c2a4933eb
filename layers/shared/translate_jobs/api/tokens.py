"""ListTextTranslationJobs' NextToken.

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
import re
from typing import Any

from translate_jobs.dal.queries import ListQuery, normalized_filter, plan_query
from translate_jobs.domain.errors import InvalidRequestError

TOKEN_VERSION = 2  # 2: tokens carry an expiry ("e"); a version 1 token (no expiry) is refused
TOKEN_TTL_SECONDS = 24 * 60 * 60
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # [0-9]: ASCII digits only (\d would match any script's)


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
    return _seal(secret, {"a": account_id, "f": _filter_digest(job_filter), "k": key}, now)


def decode_token(
    secret: str, account_id: str, job_filter: dict[str, Any] | None, token: str, *, now: float
) -> dict[str, Any]:
    """The ExclusiveStartKey a NextToken carries, once its signature, expiry, account and filter check out."""
    content = _open(secret, token, now)
    if not isinstance(content.get("k"), dict):
        raise _invalid()
    if content.get("a") != account_id or content.get("f") != _filter_digest(job_filter):
        raise _other_request()
    key = dict(content["k"])
    # A signature proves who made the token, not that its key fits the index (a leaked secret, an old
    # format): DynamoDB gets only an ExclusiveStartKey of exactly the query's attributes and types.
    if not _fits(key, plan_query(account_id, job_filter), account_id):
        raise _invalid()
    return key


def encode_name_token(secret: str, account_id: str, listing: str, after: str, *, now: float) -> str:
    """A NextToken of a list in name order (ListTerminologies, ListParallelData, ListLanguages): the name the
    page ended at, bound to the caller's account and the list, signed and expiring as List's."""
    return _seal(secret, {"a": account_id, "f": listing, "n": after}, now)


def decode_name_token(secret: str, account_id: str, listing: str, token: str, *, now: float) -> str:
    content = _open(secret, token, now)
    after = content.get("n")
    if not isinstance(after, str) or not after or len(after) > 1024 or not _is_unicode(after):
        raise _invalid()
    if content.get("a") != account_id or content.get("f") != listing:
        raise _other_request()
    return after


def _seal(secret: str, content: dict[str, Any], now: float) -> str:
    payload = json.dumps(
        {"v": TOKEN_VERSION, **content, "e": int(now) + TOKEN_TTL_SECONDS}, sort_keys=True, separators=(",", ":")
    ).encode()
    return f"{_b64encode(payload)}.{_b64encode(_signature(secret, payload))}"


def _open(secret: str, token: str, now: float) -> dict[str, Any]:
    """A token's content once its signature and expiry check out."""
    encoded_payload, dot, encoded_signature = token.partition(".")
    if not dot:
        raise _invalid()
    try:
        payload = _b64decode(encoded_payload)
        signature = _b64decode(encoded_signature)
    except (binascii.Error, ValueError):
        raise _invalid() from None
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        raise _invalid()
    try:
        content = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _invalid() from None
    if not isinstance(content, dict) or content.get("v") != TOKEN_VERSION:
        raise _invalid()
    expiry = content.get("e")
    if isinstance(expiry, bool) or not isinstance(expiry, int):
        raise _invalid()
    if now >= expiry:
        raise InvalidRequestError(
            f"The NextToken has expired: a NextToken is valid for {TOKEN_TTL_SECONDS // 3600} hours after the "
            "response that returned it. Omit it to list from the start again."
        )
    return content


def _invalid() -> InvalidRequestError:
    return InvalidRequestError(
        "The NextToken is not valid: it was not issued by this service or was modified. "
        "Pass the NextToken of the previous response unchanged, or omit it to start over."
    )


def _other_request() -> InvalidRequestError:
    return InvalidRequestError(
        "The NextToken belongs to a different request: use it only with the same Filter (and account) "
        "as the request that returned it, or omit it to start over."
    )


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
    """A number as the index keys carry one (epoch seconds): ASCII digits, an optional sign and fraction,
    within DynamoDB's 38 digits. float() would also take "1e300", "nan", " 5" or Arabic-Indic digits."""
    return _NUMBER.fullmatch(text) is not None and len(text) <= 40
