"""The client helper for the deployed API signs for execute-api (what API Gateway IAM auth checks)."""

import boto3

from translate_jobs.client import translate_client


def test_requests_are_signed_for_execute_api_not_translate():
    # Given a client for the deployed API, and one plain Translate client
    captured: dict[str, str] = {}
    helper = translate_client("https://abc.execute-api.us-east-1.amazonaws.com", region_name="us-east-1",
                              aws_access_key_id="AKID", aws_secret_access_key="secret")
    plain = boto3.client("translate", endpoint_url="https://abc.execute-api.us-east-1.amazonaws.com",
                         region_name="us-east-1", aws_access_key_id="AKID", aws_secret_access_key="secret")

    def capture(name):
        def handler(request, **_):
            captured[name] = request.headers["Authorization"].decode() if isinstance(
                request.headers["Authorization"], bytes) else request.headers["Authorization"]
            raise RuntimeError("stop before sending")
        return handler

    helper.meta.events.register("before-send.translate", capture("helper"))
    plain.meta.events.register("before-send.translate", capture("plain"))

    # When each sends a Stop
    for name, client in (("helper", helper), ("plain", plain)):
        try:
            client.stop_text_translation_job(JobId="j1")
        except RuntimeError:
            pass

    # Then only the helper's signature scope names execute-api
    assert "/us-east-1/execute-api/aws4_request" in captured["helper"]
    assert "/us-east-1/translate/aws4_request" in captured["plain"]
