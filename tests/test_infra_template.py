"""template.yaml's protections (issue 12, "Everything else that was found"): reserved concurrency and
stage throttling for the API, access and workflow logs, the NextToken key as a generated secret,
SAM's broad event-source policies narrowed, and a reason for every checkov finding it skips."""

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from local_stack.template import ROOT, TEMPLATE_PATH, load_template

SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"


def resources() -> dict[str, Any]:
    return dict(load_template()["Resources"])


def props(name: str) -> dict[str, Any]:
    return dict(resources()[name]["Properties"])


def test_the_api_function_has_reserved_concurrency_from_a_parameter_that_0_turns_off():
    template = load_template()
    assert props("ApiFunction")["ReservedConcurrentExecutions"] == {
        "Fn::If": ["ReserveApiConcurrency", {"Ref": "ApiReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
    }
    unless_zero = {"Fn::Not": [{"Fn::Equals": [{"Ref": "ApiReservedConcurrency"}, 0]}]}
    assert template["Conditions"]["ReserveApiConcurrency"] == unless_zero
    assert int(template["Parameters"]["ApiReservedConcurrency"]["Default"]) > 0


def test_the_http_api_stage_is_throttled_by_parameters_and_logs_each_request():
    api = props("TranslateApi")
    assert api["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": {"Ref": "ApiThrottlingRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"},
    }
    parameters = load_template()["Parameters"]
    assert min(int(parameters[name]["Default"]) for name in ("ApiThrottlingRateLimit", "ApiThrottlingBurstLimit")) >= 1
    logs = api["AccessLogSettings"]
    assert logs["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    record = json.loads(logs["Format"])  # the access log format is JSON: one parseable record per request
    assert {"requestId", "caller", "status", "routeKey"} <= set(record)
    assert resources()["ApiAccessLogGroup"]["Type"] == "AWS::Logs::LogGroup"
    assert props("ApiAccessLogGroup")["RetentionInDays"] > 0


def test_the_state_machine_logs_errors_without_execution_data_and_may_deliver_them():
    machine = props("TranslationJobStateMachine")
    logging = machine["Logging"]
    assert logging["Level"] in ("ERROR", "ALL") and logging["IncludeExecutionData"] is False
    group = logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]
    assert group == {"Fn::GetAtt": ["StateMachineLogGroup", "Arn"]}
    assert props("StateMachineLogGroup")["RetentionInDays"] > 0
    # SAM adds no log-delivery permission for Logging: the state machine's own policy must have it
    actions = {
        action
        for policy in machine["Policies"] if isinstance(policy, dict) and "Statement" in policy
        for statement in policy["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert {"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:PutResourcePolicy", "logs:DescribeLogGroups"} <= actions


def test_the_next_token_key_is_a_generated_secret_only_the_api_function_may_read():
    template = load_template()
    assert "PaginationTokenSecret" not in template["Parameters"]
    secret = resources()["PaginationTokenSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    api = props("ApiFunction")
    assert api["Environment"]["Variables"]["NEXT_TOKEN_SECRET_ARN"] == {"Ref": "PaginationTokenSecret"}
    assert {"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": {"Ref": "PaginationTokenSecret"}}} in api["Policies"]
    # and no other function is given it
    for name, resource in resources().items():
        if resource["Type"] == "AWS::Serverless::Function" and name != "ApiFunction":
            assert "PaginationTokenSecret" not in json.dumps(resource), name


@pytest.mark.parametrize(
    "scope, role, consumed",
    [
        ("JobEventsStreamScope", "JobEventsFunctionRole", {"Fn::Sub": "${JobsTable.Arn}/stream/*"}),
        ("StopRequestQueueScope", "StopRequestFunctionRole", {"Fn::GetAtt": ["StopRequestQueue", "Arn"]}),
    ],
)
def test_the_event_source_functions_may_read_only_their_own_stream_or_queue(scope, role, consumed):
    policy = props(scope)
    assert policy["Roles"] == [{"Ref": role}]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["NotResource"] == consumed


def sam_transform() -> dict[str, Any]:
    """template.yaml as SAM turns it into CloudFormation (SAM CLI's own translator, from its venv)."""
    if not SAM_PYTHON.exists():
        pytest.skip("SAM CLI's venv is made by `make lint` (.venv-sam)")
    script = r"""
import json, os, sys
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
from cfnlint.decode import decode_str
from samtranslator.translator.transform import transform
template, _ = decode_str(open(sys.argv[1]).read())
template = json.loads(json.dumps(template))
for resource in template["Resources"].values():
    properties = resource.get("Properties", {})
    for key in ("CodeUri", "ContentUri"):
        if key in properties:
            properties[key] = "s3://bucket/key"  # what sam build would upload
    if "DefinitionUri" in properties:
        properties["DefinitionUri"] = "s3://bucket/definition.json"
class NoManagedPolicies:
    def load(self):
        return {}
print(json.dumps(transform(template, {}, NoManagedPolicies())))
"""
    result = subprocess.run([str(SAM_PYTHON), "-c", script, str(TEMPLATE_PATH)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_sam_still_attaches_the_broad_managed_policies_that_the_scopes_narrow():
    # What SAM generates: a role per function, with the event source's managed policy (Resource "*")
    generated = sam_transform()["Resources"]
    managed = {
        "JobEventsFunctionRole": "service-role/AWSLambdaDynamoDBExecutionRole",
        "StopRequestFunctionRole": "service-role/AWSLambdaSQSQueueExecutionRole",
    }
    for role, policy in managed.items():
        assert generated[role]["Type"] == "AWS::IAM::Role"
        assert any(str(arn).endswith(policy) for arn in generated[role]["Properties"]["ManagedPolicyArns"]), role
    # and the roles the scopes attach to are exactly those
    scoped = {generated[name]["Properties"]["Roles"][0]["Ref"] for name in ("JobEventsStreamScope", "StopRequestQueueScope")}
    assert scoped == set(managed)
    # while the API function's role may read the NextToken secret and no other
    statements = [
        statement
        for policy in generated["ApiFunctionRole"]["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        if "secretsmanager:GetSecretValue" in statement["Action"]
    ]
    assert len(statements) == 1 and "PaginationTokenSecret" in json.dumps(statements[0]["Resource"])


def test_every_checkov_skip_in_the_template_names_a_check_and_gives_a_reason():
    skips = re.findall(r"#\s*checkov:skip=([^\n]*)", Path(TEMPLATE_PATH).read_text())
    assert skips, "template.yaml skips no checkov finding"
    for skip in skips:
        check, _, reason = skip.partition(":")
        assert re.fullmatch(r"CKV2?_AWS_\d+", check), skip
        assert len(reason.split()) >= 5, f"{check} needs a reason: {skip}"
