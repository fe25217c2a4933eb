"""The client helper for the deployed API signs for execute-api (what API Gateway IAM auth checks)."""

from contextlib import suppress

import boto3

from translate_jobs.api.client import translate_client

ENDPOINT = "https://abc.execute-api.us-east-1.amazonaws.com"
CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "AKID", "aws_secret_access_key": "secret"}


class SentError(Exception):
    """Raised instead of sending: the test needs only the signed request."""


def authorization_header(client) -> str:
    captured: list[str] = []

    def capture(request, **_):
        captured.append(request.headers["Authorization"].decode())
        raise SentError

    client.meta.events.register("before-send.translate", capture)
    with suppress(SentError):
        client.stop_text_translation_job(JobId="j1")
    return captured[0]


def test_requests_are_signed_for_execute_api_not_translate():
    # Given a client for the deployed API, and a plain Translate client
    helper = translate_client(ENDPOINT, **CREDENTIALS)
    plain = boto3.client("translate", endpoint_url=ENDPOINT, **CREDENTIALS)
    # When each signs a Stop, then only the helper's signature scope names execute-api
    assert "/us-east-1/execute-api/aws4_request" in authorization_header(helper)
    assert "/us-east-1/translate/aws4_request" in authorization_header(plain)
