"""local_stack: what `make run` builds from template.yaml, checked piece by piece."""

import base64
import http.client
import inspect
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from local_stack.app import App
from local_stack.front import ApiFront, build_event
from local_stack.provision import Stack, plan
from local_stack.runtime import EXPECTED_INVOKE_PARAMETERS, FunctionRuntime, install_moto_lambda
from local_stack.stack import bare_emulator_notice
from local_stack.template import Route, load_template, resources_of_type
from tests.support.front import call, signed_headers
from tests.support.stack import ACCOUNT, REGION, api_routes, http_event, serving_api
from translate_jobs_local.__main__ import parameter_overrides
from translate_jobs_local.app import TRANSLATE_JOBS

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template()


# ---------- (a) the private moto API that install_moto_lambda replaces ----------


def test_moto_lambda_backend_invoke_still_has_the_signature_we_replace() -> None:
    from moto.awslambda_simple.models import LambdaSimpleBackend

    original = LambdaSimpleBackend.invoke
    assert list(inspect.signature(original).parameters) == EXPECTED_INVOKE_PARAMETERS
    undo = install_moto_lambda(FunctionRuntime())
    try:
        assert LambdaSimpleBackend.invoke is not original
        assert list(inspect.signature(LambdaSimpleBackend.invoke).parameters) == EXPECTED_INVOKE_PARAMETERS
    finally:
        undo()
    assert LambdaSimpleBackend.invoke is original


def test_moto_lambda_runs_the_real_handler(stack: Stack) -> None:
    """Through moto's Lambda API (as Step Functions calls it): the handler's answer, not moto's echo."""
    lambda_ = boto3.client("lambda", region_name=REGION)
    event = http_event("POST", "/", {"JobId": "f" * 32}, target="DescribeTextTranslationJob")
    answer = lambda_.invoke(FunctionName="translate-jobs-ApiFunction", Payload=json.dumps(event).encode())
    response = json.loads(answer["Payload"].read())
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["__type"].endswith("ResourceNotFoundException")
    assert "FunctionError" not in answer


# ---------- (b) provision creates what template.yaml declares ----------


def test_table_is_provisioned_as_declared(stack: Stack) -> None:
    declared = TEMPLATE["Resources"]["JobsTable"]["Properties"]
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    table = dynamodb.describe_table(TableName=stack.table_name)["Table"]
    assert table["KeySchema"] == declared["KeySchema"]
    assert table["KeySchema"] == [
        {"AttributeName": "AccountId", "KeyType": "HASH"},
        {"AttributeName": "JobId", "KeyType": "RANGE"},
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    backups = dynamodb.describe_continuous_backups(TableName=stack.table_name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_state_machine_definition_is_fully_resolved(stack: Stack) -> None:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    machine = sfn.describe_state_machine(stateMachineArn=stack.state_machine_arn)
    assert machine["name"] == "translate-jobs-translation-job"
    assert "${" not in machine["definition"]
    definition = json.loads(machine["definition"])
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:translate-jobs-BeginJobFunction"
    assert definition["States"]["BeginJob"]["Parameters"]["FunctionName"] == arn


def test_every_function_exists_with_its_resolved_environment(stack: Stack) -> None:
    lambda_ = boto3.client("lambda", region_name=REGION)
    declared = resources_of_type(TEMPLATE, "AWS::Serverless::Function")
    assert set(declared) == set(stack.runtime.functions)
    shared = set(TEMPLATE["Globals"]["Function"]["Environment"]["Variables"])
    for logical_id, resource in declared.items():
        configuration = lambda_.get_function(FunctionName=f"translate-jobs-{logical_id}")["Configuration"]
        environment = configuration["Environment"]["Variables"]
        # the Globals' variables and its own, as SAM merges them
        assert set(environment) == shared | set(resource["Properties"].get("Environment", {}).get("Variables", {}))
        assert not any("${" in value or value.startswith("{") for value in environment.values()), environment
        assert environment["JOBS_TABLE_NAME"] == stack.table_name
        assert environment["WORK_BUCKET"] == stack.work_bucket
    api = lambda_.get_function(FunctionName="translate-jobs-ApiFunction")["Configuration"]["Environment"]["Variables"]
    assert api["STATE_MACHINE_ARN"] == stack.state_machine_arn


def test_function_roles_are_the_ones_sam_generates(stack: Stack) -> None:
    iam = boto3.client("iam", region_name=REGION)
    # each function's role: trusting Lambda, with SAM's inline policies (its policy templates and statements)
    # and the managed policies SAM attaches (put inline: moto holds no AWS managed policy)
    api = iam.get_role(RoleName="translate-jobs-ApiFunctionRole")["Role"]
    assert api["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": ["lambda.amazonaws.com"]}
    assert set(iam.list_role_policies(RoleName="translate-jobs-ApiFunctionRole")["PolicyNames"]) >= {
        "ApiFunctionRolePolicy0", "AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"}
    secret = iam.get_role_policy(RoleName="translate-jobs-ApiFunctionRole", PolicyName="ApiFunctionRolePolicy0")
    assert secret["PolicyDocument"]["Statement"][0]["Action"] == ["secretsmanager:GetSecretValue"]
    # the stream consumer's: the broad managed policy SAM attaches, and the template's own Deny that narrows it
    events = set(iam.list_role_policies(RoleName="translate-jobs-JobEventsFunctionRole")["PolicyNames"])
    assert {"AWSLambdaDynamoDBExecutionRole", "only-the-jobs-table-stream"} <= events
    assert stack.runtime.find("JobEventsFunction").role_arn == f"arn:aws:iam::{ACCOUNT}:role/translate-jobs-JobEventsFunctionRole"


def test_parameter_overrides_reach_the_functions_environment() -> None:
    # 0: the engine's own batch size
    assert plan(ACCOUNT, REGION, app=TRANSLATE_JOBS).runtime.find("TranslateBatchFunction").environment["BATCH_SIZE"] == "0"
    overridden = plan(ACCOUNT, REGION, parameter_overrides(["BatchSize=1"]), TRANSLATE_JOBS)
    assert overridden.runtime.find("TranslateBatchFunction").environment["BATCH_SIZE"] == "1"
    for bad in ["BatchSize=-1", "BatchSize=many", "NoSuchParameter=1", "LogLevel=LOUD", "BatchSize"]:
        with pytest.raises(ValueError, match="^error: "):
            parameter_overrides([bad])


def test_each_function_has_the_layers_it_lists() -> None:
    functions = plan(ACCOUNT, REGION, app=TRANSLATE_JOBS).runtime
    # SharedLayer from the Globals, then the engine's own (its source holds no module: the virtualenv has them)
    assert functions.find("TranslateBatchFunction").layers == (ROOT / "layers" / "shared", ROOT / "layers" / "engine")
    assert functions.find("ApiFunction").layers == (ROOT / "layers" / "shared",)


def test_over_a_bare_emulator_the_notice_is_the_emulators_then_the_applications() -> None:
    generic = bare_emulator_notice("http://127.0.0.1:5000", App())
    assert "only echo" in generic and "job" not in generic.lower()
    assert bare_emulator_notice("http://127.0.0.1:5000", TRANSLATE_JOBS) \
        == f"{generic} Start, Describe and Stop work, but jobs will stay SUBMITTED."


# ---------- (c) the front: HTTP API payload 2.0 events ----------

STOP_ROUTE = Route("POST", "/jobs/{JobId}/stop", "ApiFunction")


def test_build_event_is_an_http_api_v2_event() -> None:
    assert STOP_ROUTE in api_routes()
    headers = {"content-type": "application/json", "host": "127.0.0.1:3000", "user-agent": "test"}
    event = build_event(
        STOP_ROUTE, "POST", "/jobs/abc%20d/stop", "a=1&a=2", headers, b'{"x": 1}', {"JobId": "abc%20d"}, ACCOUNT, "10.0.0.1"
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "POST /jobs/{JobId}/stop"
    assert event["rawPath"] == "/jobs/abc%20d/stop"
    assert event["pathParameters"] == {"JobId": "abc d"}
    assert event["queryStringParameters"] == {"a": "1,2"}
    assert event["requestContext"]["authorizer"]["iam"]["accountId"] == ACCOUNT
    assert event["requestContext"]["http"] == {
        "method": "POST", "path": "/jobs/abc%20d/stop", "protocol": "HTTP/1.1", "sourceIp": "10.0.0.1", "userAgent": "test",
    }
    assert event["requestContext"]["stage"] == "$default"
    assert event["isBase64Encoded"] is False
    assert event["body"] == '{"x": 1}'


def test_build_event_base64_encodes_binary_bodies() -> None:
    body = bytes(range(256))
    headers = {"content-type": "application/octet-stream"}
    event = build_event(STOP_ROUTE, "POST", "/jobs/j/stop", "", headers, body, {"JobId": "j"}, ACCOUNT, "127.0.0.1")
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body
    assert "queryStringParameters" not in event


class EchoRuntime:
    """Stands in for FunctionRuntime: answers with the event it was given."""

    def invoke(self, name: str, event: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps({"function": name, "event": event})
        return {"statusCode": 201, "headers": {"content-type": "application/json"}, "body": body}


@pytest.fixture
def front() -> Iterator[ApiFront]:
    with serving_api(EchoRuntime(), api_routes()) as served:
        yield served


def test_front_serves_template_routes_and_sends_the_rest_to_the_default_route(front: ApiFront) -> None:
    status, _, body = call(front.url, "POST", "/jobs/job-1/stop", b"\x00\xff", {"content-type": "application/octet-stream"})
    assert status == 201
    answer = json.loads(body)
    assert answer["function"] == "ApiFunction"
    assert answer["event"]["routeKey"] == "POST /jobs/{JobId}/stop"
    assert answer["event"]["pathParameters"] == {"JobId": "job-1"}
    assert answer["event"]["isBase64Encoded"] is True
    for method, path in [("GET", "/nowhere"), ("DELETE", "/jobs/job-1"), ("GET", "/jobs/job-1/stop")]:
        status, _, body = call(front.url, method, path)
        assert status == 201
        answer = json.loads(body)
        assert (answer["function"], answer["event"]["routeKey"]) == ("ApiFunction", "$default")
        assert answer["event"]["requestContext"]["http"]["method"] == method


class CookieRuntime:
    """Stands in for FunctionRuntime: a payload 2.0 response setting two cookies."""

    def invoke(self, name: str, event: dict[str, Any]) -> dict[str, Any]:
        return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "cookies": ["a=1", "b=2; Secure"], "body": "ok"}


def test_each_cookie_of_a_payload_2_response_is_its_own_set_cookie_header() -> None:
    with serving_api(CookieRuntime(), api_routes()) as served:
        parts = urlsplit(served.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            connection.request("GET", "/nowhere", headers=signed_headers("GET", served.url + "/nowhere"))
            response = connection.getresponse()
            assert (response.status, response.read()) == (200, b"ok")
            assert response.headers.get_all("set-cookie") == ["a=1", "b=2; Secure"]
        finally:
            connection.close()


def test_the_banners_walkthrough_is_a_shell_command_as_printed() -> None:
    import shlex

    from translate_jobs_local.app import DEMO_ROLE, banner

    class Running:
        api_url, emulator_url = "http://127.0.0.1:3000", "http://127.0.0.1:5000"

    printed = banner(Running())
    start = printed[printed.index(".venv-awscli/bin/aws translate"):]
    # a shell joins the continued lines: one command, its options as the README gives them
    words = shlex.split(start.replace("\\\n", " "))
    assert words == [".venv-awscli/bin/aws", "translate", "start-text-translation-job", "--endpoint-url", Running.api_url,
                     "--input-data-config", "S3Uri=s3://translate-jobs-demo-input/docs/,ContentType=text/plain",
                     "--output-data-config", "S3Uri=s3://translate-jobs-demo-output/out/",
                     "--data-access-role-arn", DEMO_ROLE, "--source-language-code", "en", "--target-language-codes", "fr"]
