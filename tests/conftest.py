"""Shared fixtures: moto in-process with template.yaml provisioned into it.

The stack is created by local_stack.provision from template.yaml itself (tables, buckets,
functions, the state machine from statemachine/), so tests and infrastructure cannot drift.
"""

import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SECURITY_TOKEN="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_METRICS_NAMESPACE="TranslateJobs",
    POWERTOOLS_SERVICE_NAME="translate-jobs",
)
os.environ.pop("AWS_ENDPOINT_URL", None)

from moto import mock_aws  # noqa: E402

from local_stack.front import build_event  # noqa: E402
from local_stack.iam import enable as enable_iam  # noqa: E402
from local_stack.iam.roles import create_data_access_role  # noqa: E402
from local_stack.provision import Stack, provision  # noqa: E402
from local_stack.runtime import install_moto_lambda  # noqa: E402
from local_stack.stack import DEFAULT_ACCOUNT, MOTO_CONFIG  # noqa: E402
from local_stack.template import http_api_routes  # noqa: E402

ACCOUNT = DEFAULT_ACCOUNT
OTHER_ACCOUNT = "210987654321"
REGION = "us-east-1"
TARGET_PREFIX = "AWSShineFrontendService_20170701."
# The jobs' DataAccessRoleArn: trusts the workers for ACCOUNT's jobs, reads and writes any bucket.
DATA_ACCESS_ROLE = f"arn:aws:iam::{ACCOUNT}:role/TranslateData"


def reset_caches() -> None:
    """Module-level clients and settings are built once per cold start; each test is a cold start."""
    from translate_jobs import config, data_access, service, store, workflow
    from translate_jobs.store import JobRecord

    config.settings.cache_clear()
    data_access._iam.cache_clear()
    store.job_store.cache_clear()
    service.workflow_launcher.cache_clear()
    workflow.work_s3.cache_clear()
    JobRecord._connection = None


@pytest.fixture
def stack() -> Iterator[Stack]:
    """moto (in-process, Step Functions executing) with template.yaml provisioned in it."""
    with mock_aws(config=MOTO_CONFIG):
        provisioned = provision(ACCOUNT, REGION)
        saved = dict(os.environ)
        provisioned.runtime.apply_environment()
        os.environ["DEFAULT_ACCOUNT_ID"] = ACCOUNT
        reset_caches()
        undo = install_moto_lambda(provisioned.runtime)
        undo_atomic = atomic_moto_dynamodb()
        # IAM enforced: every function calls AWS as its own role (template.yaml's policies).
        _, undo_iam = enable_iam(provisioned.runtime, ACCOUNT, REGION, provisioned.state_machine_role_arn)
        create_data_access_role(boto3.client("iam", region_name=REGION), DATA_ACCESS_ROLE.rsplit("/", 1)[-1],
                                service_account=ACCOUNT, job_account=ACCOUNT, input_buckets=["*"], output_buckets=["*"])
        try:
            yield provisioned
        finally:
            undo_iam()
            undo_atomic()
            undo()
            os.environ.clear()
            os.environ.update(saved)
            reset_caches()


def http_event(
    method: str, path: str, body: Any = None, *, target: str | None = None, account: str | None = ACCOUNT,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The HTTP API v2 event the deployed API sends for this request (routes from template.yaml)."""
    raw = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
    data = raw.encode() if isinstance(raw, str) else (raw or b"")
    all_headers = {"content-type": "application/x-amz-json-1.1", "host": "api.local", **(headers or {})}
    if target:
        all_headers["x-amz-target"] = TARGET_PREFIX + target
    from local_stack.template import load_template

    for route in http_api_routes(load_template()):
        params = route.match(method, path)
        if params is not None:
            event = build_event(route, method, path, "", all_headers, data, params, account or ACCOUNT, "127.0.0.1")
            if account is None:
                del event["requestContext"]["authorizer"]
            return event
    raise AssertionError(f"template.yaml has no route for {method} {path}")


def put_job(status: str = "IN_PROGRESS", account: str = ACCOUNT, job_id: str | None = None, **fields: Any) -> str:
    """A job item written directly (as if Start had run), for tests of Stop, Describe and finalize."""
    from translate_jobs.store import JobRecord, job_store

    job_store()  # binds JobRecord to the template's table
    job_id = job_id or uuid.uuid4().hex
    record = JobRecord(
        account,
        job_id,
        job_name=fields.pop("job_name", "test-job"),
        job_status=status,
        submitted_time=fields.pop("submitted_time", round(time.time(), 3)),
        source_language_code="en",
        target_language_codes=["fr"],
        input_data_config={"S3Uri": "s3://input-docs/in/", "ContentType": "text/plain"},
        output_data_config={"S3Uri": f"s3://output-docs/out/{account}-TranslateText-{job_id}/"},
        data_access_role_arn=f"arn:aws:iam::{account}:role/TranslateData",
        **fields,
    )
    record.save()
    return job_id


def raw_item(table_name: str, account: str, job_id: str) -> dict[str, Any] | None:
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=table_name, Key={"AccountId": {"S": account}, "JobId": {"S": job_id}}, ConsistentRead=True
    )
    return item.get("Item")


def atomic_moto_dynamodb() -> Any:
    """See local_stack.moto_patches: moto's DynamoDB made atomic per request, as DynamoDB is."""
    from local_stack.moto_patches import atomic_moto_dynamodb as patch

    return patch()


def execution_arn(stack: Stack, job_id: str) -> str:
    """The job's workflow execution (named after the JobId)."""
    return stack.state_machine_arn.replace(":stateMachine:", ":execution:") + ":" + job_id


def wait_for_execution(stack: Stack, job_id: str, timeout: float = 30) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    deadline = time.monotonic() + timeout
    while True:
        execution = sfn.describe_execution(executionArn=execution_arn(stack, job_id))
        if execution["status"] != "RUNNING":
            return dict(execution)
        assert time.monotonic() < deadline, f"execution {job_id} still RUNNING after {timeout}s"
        time.sleep(0.05)


def start_request(**overrides: Any) -> dict[str, Any]:
    """A valid StartTextTranslationJob request (input-docs -> output-docs, en -> fr); None drops a member."""
    request = {
        "JobName": "test-job",
        "InputDataConfig": {"S3Uri": "s3://input-docs/docs/", "ContentType": "text/plain"},
        "OutputDataConfig": {"S3Uri": "s3://output-docs/out/"},
        "DataAccessRoleArn": f"arn:aws:iam::{ACCOUNT}:role/TranslateData",
        "SourceLanguageCode": "en",
        "TargetLanguageCodes": ["fr"],
        "ClientToken": "token-1",
        **overrides,
    }
    return {key: value for key, value in request.items() if value is not None}


@pytest.fixture
def buckets(stack: Stack) -> Stack:
    """The stack, with the input and output buckets the workflow tests use."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="input-docs")
    s3.create_bucket(Bucket="output-docs")
    return stack


def start_job(stack: Stack, **overrides: Any) -> str:
    """Start a job through the API function (a fresh ClientToken each time); its JobId."""
    request = start_request(ClientToken=f"token-{time.monotonic_ns()}", **overrides)
    response = stack.runtime.invoke("ApiFunction", http_event("POST", "/", request, target="StartTextTranslationJob"))
    assert response["statusCode"] == 200, response
    return str(json.loads(response["body"])["JobId"])


def stop_job(stack: Stack, job_id: str) -> str:
    """Stop a job through the API function; the JobStatus it answers."""
    response = stack.runtime.invoke("ApiFunction", http_event("POST", "/", {"JobId": job_id}, target="StopTextTranslationJob"))
    assert response["statusCode"] == 200, response
    return str(json.loads(response["body"])["JobStatus"])
