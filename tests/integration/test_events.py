"""Every example event under events/api/ (what `make invoke` and `sam local invoke -e` take) runs
through ApiFunction in-process and answers as expected. A new event file without an expectation
here fails, so the examples cannot rot.
"""

import json
from pathlib import Path

import boto3
import pytest

from local_stack.product import DEMO_BUCKETS
from tests.support.stack import REGION, api_routes, put_job

EVENTS = Path(__file__).resolve().parents[2] / "events" / "api"
JOB_ID = "0123456789abcdef0123456789abcdef"  # the JobId the describe/stop events name

# file name -> (HTTP status, __type of the error or None)
EXPECTED: dict[str, tuple[int, str | None]] = {
    "describe.json": (200, None),
    "describe-rest.json": (200, None),
    "stop.json": (200, None),
    "stop-rest.json": (200, None),
    "start.json": (200, None),
    "start-rest.json": (200, None),
    "list.json": (200, None),
    "list-rest.json": (200, None),
    "describe-not-found.json": (400, "ResourceNotFoundException"),
    "describe-rest-not-found.json": (400, "ResourceNotFoundException"),
    "stop-jobid-too-long.json": (400, "ValidationException"),
    "stop-jobid-missing.json": (400, "ValidationException"),
    "stop-malformed-json.json": (400, "SerializationException"),
    "unknown-operation.json": (400, "UnknownOperationException"),
    "start-same-language.json": (400, "UnsupportedLanguagePairException"),
    "no-route.json": (404, "NotFoundException"),  # the $default route: DELETE /jobs/{JobId} is no route
}

EVENT_FILES = sorted(path.name for path in EVENTS.glob("*.json"))


def test_every_expectation_has_its_event_file():
    assert sorted(EXPECTED) == EVENT_FILES


def test_the_events_cover_every_route_of_the_api_function():
    routes = {route.route_key for route in api_routes() if route.function == "ApiFunction"}
    covered = {json.loads((EVENTS / name).read_text())["routeKey"] for name in EVENT_FILES}
    assert routes <= covered


@pytest.mark.parametrize("name", EVENT_FILES)
def test_the_event_is_an_http_api_v2_event_of_the_api_function(name):
    event = json.loads((EVENTS / name).read_text())
    assert event["version"] == "2.0"
    routes = {route.route_key: route for route in api_routes()}
    assert routes[event["routeKey"]].match(event["requestContext"]["http"]["method"], event["rawPath"]) is not None
    assert event["requestContext"]["authorizer"]["iam"]["accountId"] == "123456789012"
    assert event["requestContext"]["requestId"]
    assert event["isBase64Encoded"] is False
    if event["routeKey"] == "POST /":
        assert event["headers"]["x-amz-target"].startswith("AWSShineFrontendService_20170701.")


@pytest.mark.parametrize("name", EVENT_FILES)
def test_the_event_gets_its_expected_answer(stack, name):
    # Given the job the events name, and the demo buckets `make run` creates
    put_job("IN_PROGRESS", job_id=JOB_ID)
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in DEMO_BUCKETS:
        s3.create_bucket(Bucket=bucket)
    assert name in EXPECTED, f"events/api/{name} has no expectation in tests/integration/test_events.py EXPECTED"
    status, error = EXPECTED[name]
    event = json.loads((EVENTS / name).read_text())
    # When ApiFunction handles the event
    response = stack.runtime.invoke("ApiFunction", event)
    # Then it answers with the expected status (and error code)
    assert response["statusCode"] == status, response
    body = json.loads(response["body"])
    assert body.get("__type") == error, body
    assert response["headers"]["x-amzn-RequestId"] == event["requestContext"]["requestId"]
