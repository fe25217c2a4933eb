"""List's NextToken: signed with a key generated per deployment in Secrets Manager (read once per
cold start), and valid for 24 hours (issue 12, "Everything else that was found")."""

import base64
import json
import time
from typing import Any

import boto3
import pytest

from tests.support.listing import list_jobs, put_jobs
from tests.support.stack import ACCOUNT, REGION

SECRET_NAME = "translate-jobs-PaginationTokenSecret"


def secrets() -> Any:
    return boto3.client("secretsmanager", region_name=REGION)


def payload(token: str) -> dict[str, Any]:
    encoded = token.split(".")[0]
    return dict(json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))))


def signed_with(token: str, key: str) -> bool:
    from translate_jobs.api.tokens import decode_token
    from translate_jobs.domain.errors import InvalidRequestError

    try:
        decode_token(key, ACCOUNT, None, token, now=time.time())
    except InvalidRequestError:
        return False
    return True


def first_page_token(stack: Any) -> str:
    status, body = list_jobs(stack, MaxResults=1)
    assert status == 200, body
    return str(body["NextToken"])


def test_the_stack_generates_the_key_in_secrets_manager(stack):
    # The local stack created the template's secret, with a generated value (no default anywhere)
    value = secrets().get_secret_value(SecretId=SECRET_NAME)["SecretString"]
    assert len(value) == 64 and value.isalnum()
    # and the API function is given where the key is, not the key
    environment = stack.runtime.find("ApiFunction").environment
    assert secrets().describe_secret(SecretId=environment["NEXT_TOKEN_SECRET_ARN"])["Name"] == SECRET_NAME
    assert value not in environment.values()


def test_tokens_are_signed_with_the_secret_read_once_per_cold_start(stack):
    # Given jobs, and the deployment's key set to a known value
    put_jobs(3)
    secrets().put_secret_value(SecretId=SECRET_NAME, SecretString="k" * 40)
    # When the API function lists (its first List reads the key)
    token = first_page_token(stack)
    # Then the token is signed with the key from Secrets Manager
    assert signed_with(token, "k" * 40) and not signed_with(token, "x" * 40)
    # And a new value is not read again by the same execution environment
    secrets().put_secret_value(SecretId=SECRET_NAME, SecretString="n" * 40)
    assert signed_with(first_page_token(stack), "k" * 40)
    # but is by the next execution environment (here: after a configuration update), which then refuses
    # tokens signed with the old key
    stack.runtime.update_configuration("ApiFunction")
    assert signed_with(first_page_token(stack), "n" * 40)
    status, body = list_jobs(stack, NextToken=token)
    assert (status, body["__type"]) == (400, "InvalidRequestException")


def test_a_token_older_than_24_hours_is_refused_with_a_clear_message(stack):
    from translate_jobs.api.tokens import TOKEN_TTL_SECONDS, encode_token

    # Given a genuine token's page key, signed with the deployment's key as if issued at another time
    put_jobs(3)
    key = payload(first_page_token(stack))["k"]
    secret = secrets().get_secret_value(SecretId=SECRET_NAME)["SecretString"]

    def issued(seconds_ago: float) -> str:
        return encode_token(secret, ACCOUNT, None, key, now=time.time() - seconds_ago)

    # When it is used just before and just after its 24 hours
    fresh_status, fresh = list_jobs(stack, NextToken=issued(TOKEN_TTL_SECONDS - 60))
    expired_status, expired = list_jobs(stack, NextToken=issued(TOKEN_TTL_SECONDS + 1))
    # Then the first still pages on; the second is a 400 that says it expired
    assert fresh_status == 200 and len(fresh["TextTranslationJobPropertiesList"]) == 2, fresh
    assert (expired_status, expired["__type"]) == (400, "InvalidRequestException")
    assert "The NextToken has expired" in expired["message"] and "24 hours" in expired["message"]


@pytest.mark.parametrize("expiry", [None, "tomorrow", True, 1.5])
def test_a_signed_token_without_a_valid_expiry_is_refused(stack, expiry):
    import hashlib
    import hmac

    # Given a token signed with the right key but whose expiry is missing or not an integer
    put_jobs(2)
    content = payload(first_page_token(stack))
    content.pop("e")
    if expiry is not None:
        content["e"] = expiry
    secret = secrets().get_secret_value(SecretId=SECRET_NAME)["SecretString"]
    raw = json.dumps(content).encode()
    signature = hmac.new(secret.encode(), raw, hashlib.sha256).digest()
    token = base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + base64.urlsafe_b64encode(signature).decode().rstrip("=")
    # Then it is an invalid token, not a 500
    status, body = list_jobs(stack, NextToken=token)
    assert (status, body["__type"]) == (400, "InvalidRequestException"), body
    assert "The NextToken is not valid" in body["message"]
