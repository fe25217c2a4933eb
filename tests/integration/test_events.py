"""Every example event under events/api/ (what `make invoke` and `sam local invoke -e` take) runs
through ApiFunction in-process and answers as expected. A new event file without an expectation
here fails, so the examples cannot rot.
"""

import json
from pathlib import Path

import boto3
import pytest

from tests.support.stack import REGION, api_routes, put_job
from tests.support.workflow import run_to_end
from translate_jobs_local.app import DEMO_BUCKETS, create_demo_resources

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


@pytest.mark.parametrize("uploaded, status", [(True, "COMPLETED"), (False, "FAILED")])
def test_the_start_event_translates_what_docs_local_stack_has_the_reader_upload_first(stack, uploaded, status):
    """events/api/start.json starts a job on the input folder docs/local-stack.md fills before invoking it (issue 25:
    it named a folder nothing filled, so its job always ended FAILED)."""
    event = json.loads((EVENTS / "start.json").read_text())
    input_uri = json.loads(event["body"])["InputDataConfig"]["S3Uri"]
    page = (EVENTS.parents[1] / "docs" / "local-stack.md").read_text()
    upload = page.index(f"aws s3 cp - {input_uri}hello.txt")
    assert upload < page.index("invoke FUNCTION=ApiFunction EVENT=events/api/start.json", upload)
    # Given make run's demo buckets and role, and the document the page uploads (or not)
    create_demo_resources(stack, REGION)
    s3 = boto3.client("s3", region_name=REGION)
    if uploaded:
        s3.put_object(Bucket=DEMO_BUCKETS[0], Key=input_uri.removeprefix(f"s3://{DEMO_BUCKETS[0]}/") + "hello.txt",
                      Body=b"Hello, world\n")
    # When ApiFunction handles the event, and the job's workflow runs
    response = stack.runtime.invoke("ApiFunction", event)
    job = run_to_end(stack, json.loads(response["body"])["JobId"])
    # Then the job translates the document, or fails saying where it found none
    assert job.job_status == status
    if not uploaded:
        assert job.message == f"No documents were found under {input_uri}."
