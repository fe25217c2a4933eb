"""template.yaml's protections (issue 12, "Everything else that was found"): reserved concurrency and
stage throttling for the API, access and workflow logs, the NextToken key as a generated secret,
SAM's broad event-source policies narrowed, and a reason for every checkov finding it skips."""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from local_stack.template import TEMPLATE_PATH, load_template


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


def test_every_checkov_skip_in_the_template_names_a_check_and_gives_a_reason():
    skips = re.findall(r"#\s*checkov:skip=([^\n]*)", Path(TEMPLATE_PATH).read_text())
    assert skips, "template.yaml skips no checkov finding"
    for skip in skips:
        check, _, reason = skip.partition(":")
        assert re.fullmatch(r"CKV2?_AWS_\d+", check), skip
        assert len(reason.split()) >= 5, f"{check} needs a reason: {skip}"


def test_the_example_rule_matches_what_the_publisher_sends():
    # The state changes' source is one constant (events/state_changes.py); the template's rule repeats it.
    from translate_jobs.events.state_changes import DETAIL_TYPE, SOURCE

    pattern = props("CompletedJobsExampleRule")["EventPattern"]
    assert (pattern["source"], pattern["detail-type"]) == ([SOURCE], [DETAIL_TYPE])


ACCOUNT, OTHER_ACCOUNT = "123456789012", "210987654321"


def resolved(node: Any, values: dict[str, str]) -> Any:
    """The template node with its Ref, GetAtt and Sub of the names in ``values`` replaced ("Queue.Arn", "AWS::AccountId")."""
    if isinstance(node, dict) and set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
        return re.sub(r"\$\{([^}]+)\}", lambda name: values[name.group(1)], node["Fn::Sub"])
    if isinstance(node, list):
        return [resolved(item, values) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"}:
        return values[node["Ref"]]
    if set(node) == {"Fn::GetAtt"}:
        return values[".".join(node["Fn::GetAtt"])]
    return {key: resolved(value, values) for key, value in node.items()}


def test_only_principals_of_the_stacks_account_may_send_to_the_stop_request_queue():
    # events/stop_requests.py takes the queue's account for the sender's: this policy is what makes that true.
    from local_stack.iam.policy import Decision, Principal, Request, evaluate

    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:translate-jobs-StopRequestQueue"
    policy = props("StopRequestQueuePolicy")
    assert policy["Queues"] == [{"Ref": "StopRequestQueue"}]
    document = resolved(policy["PolicyDocument"], {"StopRequestQueue.Arn": queue, "AWS::AccountId": ACCOUNT})

    def send(account: str) -> Decision:
        principal = Principal(f"arn:aws:sts::{account}:assumed-role/Orders/s", account, f"arn:aws:iam::{account}:role/Orders")
        return evaluate([document], Request("sqs:SendMessage", queue, {"aws:PrincipalAccount": account}, principal))

    assert send(OTHER_ACCOUNT) is Decision.DENY
    assert send(ACCOUNT) is not Decision.DENY  # the sender's own policy then decides


def test_the_work_bucket_refuses_every_request_that_is_not_over_tls():
    from local_stack.iam.policy import Decision, Principal, Request, evaluate

    bucket = "arn:aws:s3:::translate-jobs-workbucket"
    policy = props("WorkBucketPolicy")
    assert policy["Bucket"] == {"Ref": "WorkBucket"}
    document = resolved(policy["PolicyDocument"], {"WorkBucket.Arn": bucket})
    worker = Principal(f"arn:aws:sts::{ACCOUNT}:assumed-role/Worker/s", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:role/Worker")

    def decide(action: str, resource: str, tls: bool) -> Decision:
        return evaluate([document], Request(action, resource, {"aws:SecureTransport": tls}, worker))

    for action, resource in (("s3:GetObject", f"{bucket}/manifests/a/j.jsonl"), ("s3:PutObject", f"{bucket}/results/x"),
                             ("s3:ListBucket", bucket)):
        assert decide(action, resource, tls=False) is Decision.DENY
        assert decide(action, resource, tls=True) is not Decision.DENY  # the caller's own policy then decides
