"""The local front's SigV4 check (local_stack.authorizer) on its own: the signing date's window, and
which account an access key names. Requests through the front: tests/integration/test_front_auth.py."""

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest

from local_stack.authorizer import AuthorizationError, IssuedKey, account_for, authenticate
from tests.support import ACCOUNT
from tests.support.front import signed_headers


def _headers_signed_at(moment: datetime) -> dict[str, str]:
    with mock.patch("botocore.auth.get_current_datetime", return_value=moment):
        headers = signed_headers("GET", "http://api.local/jobs", service="execute-api")
    return {key.lower(): value for key, value in headers.items()} | {"host": "api.local"}


@pytest.mark.parametrize("skew, accepted", [(14, True), (-14, True), (16, False), (-16, False)])
def test_the_signing_date_must_be_within_15_minutes(skew: int, accepted: bool) -> None:
    signed_at = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    headers = _headers_signed_at(signed_at)
    now = signed_at + timedelta(minutes=skew)
    arguments = ("GET", "/jobs", "", headers, b"")
    options: dict[str, Any] = {"region": "us-east-1", "default_account": ACCOUNT, "now": now, "lookup": lambda _: None}
    if accepted:
        assert authenticate(*arguments, **options).account_id == ACCOUNT
    else:
        with pytest.raises(AuthorizationError) as refused:
            authenticate(*arguments, **options)
        assert refused.value.error_type == "InvalidSignatureException"
        assert "Signature expired" in refused.value.message or "Signature not yet current" in refused.value.message


def test_accounts_come_from_12_digit_access_keys() -> None:
    assert account_for("111111111111", ACCOUNT) == "111111111111"
    assert account_for("testing", ACCOUNT) == ACCOUNT
    assert account_for("AKIA11111111111111111", ACCOUNT) == ACCOUNT
    assert account_for("1111111111112", ACCOUNT) == ACCOUNT


def _signed(access_key: str, secret_key: str, **extra: str) -> dict[str, str]:
    headers = signed_headers("GET", "http://api.local/jobs", headers=extra or None, access_key=access_key, secret_key=secret_key,
                             service="execute-api")
    return {key.lower(): value for key, value in headers.items()} | {"host": "api.local"}


def test_a_key_the_emulator_issued_is_its_principal_not_the_account_root() -> None:
    user = IssuedKey("user-secret", "111111111111", "arn:aws:iam::111111111111:user/alice")
    caller = authenticate("GET", "/jobs", "", _signed("AKIAALICE", "user-secret"), b"", region="us-east-1",
                          default_account=ACCOUNT, lookup=lambda key: user if key == "AKIAALICE" else None)
    assert (caller.account_id, caller.user_arn) == ("111111111111", "arn:aws:iam::111111111111:user/alice")


def test_a_session_key_needs_its_session_token() -> None:
    session = IssuedKey("session-secret", ACCOUNT, f"arn:aws:sts::{ACCOUNT}:assumed-role/Role/s", session_token="the-token")
    options: dict[str, Any] = {"region": "us-east-1", "default_account": ACCOUNT, "lookup": lambda _: session}
    with pytest.raises(AuthorizationError) as refused:
        authenticate("GET", "/jobs", "", _signed("ASIASESSION", "session-secret"), b"", **options)
    assert refused.value.error_type == "UnrecognizedClientException"
    headers = _signed("ASIASESSION", "session-secret", **{"X-Amz-Security-Token": "the-token"})
    assert authenticate("GET", "/jobs", "", headers, b"", **options).user_arn == session.arn


def test_only_the_apis_own_hosts_are_accepted_when_named() -> None:
    options: dict[str, Any] = {"region": "us-east-1", "default_account": ACCOUNT, "lookup": lambda _: None}
    headers = _signed("testing", "testing")
    caller = authenticate("GET", "/jobs", "", headers, b"", host_ok=lambda host: host == "api.local", **options)
    assert caller.account_id == ACCOUNT
    with pytest.raises(AuthorizationError):
        authenticate("GET", "/jobs", "", headers, b"", host_ok=lambda host: host == "127.0.0.1:3000", **options)


@pytest.mark.parametrize("secret", ["testing", "test"])
def test_a_key_the_emulator_did_not_issue_signs_with_motos_or_localstacks_secret(secret: str) -> None:
    options: dict[str, Any] = {"region": "us-east-1", "default_account": ACCOUNT, "lookup": lambda _: None}
    caller = authenticate("GET", "/jobs", "", _signed("test", secret), b"", **options)
    assert (caller.account_id, caller.user_arn) == (ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root")


@pytest.mark.parametrize(("issued", "secret"), [(False, "secret"), (False, ""), (True, "test"), (True, "testing")])
def test_any_other_secret_is_refused_and_an_issued_key_signs_with_its_own_only(issued: bool, secret: str) -> None:
    user = IssuedKey("user-secret", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/alice")
    options: dict[str, Any] = {"region": "us-east-1", "default_account": ACCOUNT, "lookup": lambda _: user if issued else None}
    with pytest.raises(AuthorizationError) as refused:
        authenticate("GET", "/jobs", "", _signed("AKIAALICE", secret or "x"), b"", **options)
    assert refused.value.error_type == "InvalidSignatureException"
