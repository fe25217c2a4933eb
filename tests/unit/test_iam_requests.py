"""local_stack.iam.requests: the IAM action(s), resource(s) and context keys of each request, as the
Service Authorization Reference gives them for the operations the functions make."""

import pytest

from local_stack.iam.requests import Call, Check, checks

REGION, ACCOUNT = "us-east-1", "123456789012"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Jobs"


def call(service, operation, **kwargs):
    return checks(Call(service=service, operation=operation, region=REGION, account=ACCOUNT, **kwargs))


@pytest.mark.parametrize("operation", ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query"])
def test_dynamodb_item_operations_are_on_the_table(operation):
    assert call("dynamodb", operation, body={"TableName": "Jobs"}) == [Check(f"dynamodb:{operation}", TABLE)]


def test_dynamodb_query_on_an_index_is_on_the_index():
    assert call("dynamodb", "Query", body={"TableName": "Jobs", "IndexName": "ByStatus"}) == [
        Check("dynamodb:Query", f"{TABLE}/index/ByStatus")]


def test_transact_write_items_needs_each_items_own_action_on_its_own_table():
    body = {"TransactItems": [
        {"Put": {"TableName": "Jobs"}}, {"Update": {"TableName": "Usage"}},
        {"Delete": {"TableName": "Jobs"}}, {"ConditionCheck": {"TableName": "Jobs"}},
    ]}
    assert call("dynamodb", "TransactWriteItems", body=body) == [
        Check("dynamodb:PutItem", TABLE), Check("dynamodb:UpdateItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Usage"),
        Check("dynamodb:DeleteItem", TABLE), Check("dynamodb:ConditionCheckItem", TABLE)]


def test_batch_operations_are_on_each_table():
    body = {"RequestItems": {"Jobs": [], "Usage": []}}
    assert [c.resource for c in call("dynamodb", "BatchWriteItem", body=body)] == [
        TABLE, f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Usage"]
    assert {c.action for c in call("dynamodb", "BatchGetItem", body=body)} == {"dynamodb:BatchGetItem"}


@pytest.mark.parametrize(("method", "query", "headers", "expected"), [
    ("GET", {}, {}, [Check("s3:GetObject", "arn:aws:s3:::b/k/x.txt")]),
    ("HEAD", {}, {}, [Check("s3:GetObject", "arn:aws:s3:::b/k/x.txt")]),
    ("PUT", {}, {}, [Check("s3:PutObject", "arn:aws:s3:::b/k/x.txt")]),
    ("POST", {"uploads": [""]}, {}, [Check("s3:PutObject", "arn:aws:s3:::b/k/x.txt")]),  # CreateMultipartUpload
    ("PUT", {"partNumber": ["1"], "uploadId": ["u"]}, {}, [Check("s3:PutObject", "arn:aws:s3:::b/k/x.txt")]),  # UploadPart
    ("POST", {"uploadId": ["u"]}, {}, [Check("s3:PutObject", "arn:aws:s3:::b/k/x.txt")]),  # CompleteMultipartUpload
    ("DELETE", {"uploadId": ["u"]}, {}, [Check("s3:AbortMultipartUpload", "arn:aws:s3:::b/k/x.txt")]),
    ("DELETE", {}, {}, [Check("s3:DeleteObject", "arn:aws:s3:::b/k/x.txt")]),
    ("PUT", {}, {"x-amz-copy-source": "/src/a%20b.txt?versionId=1"},  # CopyObject reads the source too
     [Check("s3:PutObject", "arn:aws:s3:::b/k/x.txt"), Check("s3:GetObject", "arn:aws:s3:::src/a b.txt")]),
    ("PUT", {"partNumber": ["1"], "uploadId": ["u"]}, {"x-amz-copy-source": "src/a.txt"},  # UploadPartCopy
     [Check("s3:PutObject", "arn:aws:s3:::b/k/x.txt"), Check("s3:GetObject", "arn:aws:s3:::src/a.txt")]),
])
def test_s3_object_operations(method, query, headers, expected):
    assert call("s3", "", bucket="b", key="k/x.txt", method=method, query=query, headers=headers) == expected


def test_s3_put_with_kms_carries_the_encryption_context_keys():
    headers = {"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": "key-1"}
    (check,) = call("s3", "", bucket="b", key="k", method="PUT", headers=headers)
    assert check.context == {"s3:x-amz-server-side-encryption": "aws:kms",
                             "s3:x-amz-server-side-encryption-aws-kms-key-id": "key-1"}


def test_list_objects_v2_is_list_bucket_on_the_bucket_with_its_prefix():
    query = {"list-type": ["2"], "prefix": ["docs/"], "max-keys": ["100"]}
    assert call("s3", "", bucket="b", method="GET", query=query) == [
        Check("s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "docs/", "s3:max-keys": "100"})]
    assert call("s3", "", bucket="b", method="GET", query={"acl": [""]}) is None  # not an operation the functions make


def test_assume_role_with_source_identity_and_tags():
    query = {"RoleArn": ["arn:aws:iam::123456789012:role/Data"], "RoleSessionName": ["s"], "SourceIdentity": ["acct-job"],
             "Tags.member.1.Key": ["TranslateJobAccount"], "Tags.member.1.Value": ["123456789012"],
             "Tags.member.2.Key": ["TranslateJobId"], "Tags.member.2.Value": ["job"]}
    found = call("sts", "AssumeRole", query=query)
    assert [c.action for c in found] == ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]
    assert {c.resource for c in found} == {"arn:aws:iam::123456789012:role/Data"}
    assert found[0].context == {
        "sts:SourceIdentity": "acct-job", "sts:RoleSessionName": "s",
        "aws:TagKeys": ["TranslateJobAccount", "TranslateJobId"],
        "aws:RequestTag/TranslateJobAccount": "123456789012", "aws:RequestTag/TranslateJobId": "job"}
    plain = call("sts", "AssumeRole", query={"RoleArn": ["arn:aws:iam::123456789012:role/Data"], "RoleSessionName": ["s"]})
    assert [c.action for c in plain] == ["sts:AssumeRole"]
    assert call("sts", "GetCallerIdentity") == []  # needs no permission


def test_step_functions():
    machine = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:m"
    execution = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:m:job"
    assert call("states", "StartExecution", body={"stateMachineArn": machine}) == [Check("states:StartExecution", machine)]
    assert call("states", "DescribeExecution", body={"executionArn": execution}) == [Check("states:DescribeExecution", execution)]
    assert call("states", "StopExecution", body={"executionArn": execution}) == [Check("states:StopExecution", execution)]


def test_put_events_is_on_each_entrys_bus_the_default_bus_when_none():
    entries = [{"EventBusName": "jobs", "Source": "s", "DetailType": "d"}, {"Source": "s", "DetailType": "d"},
               {"EventBusName": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/jobs", "Source": "s", "DetailType": "d"}]
    found = call("events", "PutEvents", body={"Entries": entries})
    assert [c.resource for c in found] == [f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/jobs",
                                           f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"]
    assert found[0].context == {"events:source": "s", "events:detail-type": "d"}


@pytest.mark.parametrize(("operation", "action"), [
    ("SendMessage", "sqs:SendMessage"), ("SendMessageBatch", "sqs:SendMessage"), ("ReceiveMessage", "sqs:ReceiveMessage"),
    ("DeleteMessage", "sqs:DeleteMessage"), ("ChangeMessageVisibility", "sqs:ChangeMessageVisibility"),
    ("GetQueueAttributes", "sqs:GetQueueAttributes"),
])
def test_sqs_operations_are_on_the_queue(operation, action):
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/q"
    assert call("sqs", operation, body={"QueueUrl": url}) == [Check(action, f"arn:aws:sqs:{REGION}:{ACCOUNT}:q")]
    assert call("sqs", "GetQueueUrl", body={"QueueName": "q"}) == [Check("sqs:GetQueueUrl", f"arn:aws:sqs:{REGION}:{ACCOUNT}:q")]


def test_secrets_translate_and_the_policy_simulator():
    assert call("secretsmanager", "GetSecretValue", body={"SecretId": "token-key"}) == [
        Check("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:token-key")]
    assert call("translate", "TranslateText", body={"Text": "x"}) == [Check("translate:TranslateText", "*")]
    user = f"arn:aws:iam::{ACCOUNT}:user/alice"
    simulate = call("iam", "SimulatePrincipalPolicy", query={"PolicySourceArn": [user]})
    assert simulate == [Check("iam:SimulatePrincipalPolicy", user)]


def test_lambda_invoke_is_on_the_function_qualified_or_not():
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"
    assert call("lambda", "Invoke", path="/2015-03-31/functions/f/invocations") == [Check("lambda:InvokeFunction", arn)]
    assert call("lambda", "Invoke", path=f"/2015-03-31/functions/{arn.replace(':', '%3A')}/invocations",
                query={"Qualifier": ["live"]}) == [Check("lambda:InvokeFunction", f"{arn}:live")]


def test_an_unknown_operation_is_none_so_enforcement_can_deny_it():
    assert call("dynamodb", "RestoreTableFromBackup", body={}) is None
    assert call("lambda", "CreateFunction") is None
