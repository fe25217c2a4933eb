"""IAM enforced locally: each function calls AWS as its own template.yaml role, and moto authorizes
every call with local_stack.iam (the `stack` fixture turns it on for every test).

The whole suite passing with enforcement on shows the template's policies are enough; the tests here
show they are also needed: remove one action and the function fails with AccessDenied.
"""

import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local_stack.provision import Stack
from local_stack.runtime import FunctionError
from tests.support import stack as test_stack
from tests.support.stack import ACCOUNT, REGION, http_event, put_job, raw_item, start_job, wait_for_execution
from translate_jobs_local.app import DEMO_ROLE
from translate_jobs_local.data_access import data_access_trust_policy

JOBS_TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/translate-jobs-JobsTable"


def without_action(stack: Stack, function: str, action: str, resource_part: str = "") -> None:
    """Put the function's role policies (as SAM generated them) back without ``action`` (on resources
    containing ``resource_part``)."""
    role = stack.runtime.find(function).role_arn.rsplit("/", 1)[-1]
    iam = boto3.client("iam", region_name=REGION)
    removed = 0
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        statements = []
        for statement in document["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = json.dumps(statement.get("Resource"))
            if action in actions and resource_part in resources and statement["Effect"] == "Allow":
                removed += 1
                actions = [a for a in actions if a != action]
            if actions:
                statements.append({**statement, "Action": actions})
        iam.put_role_policy(RoleName=role, PolicyName=name,
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    assert removed, f"{function}'s policies in template.yaml do not grant {action}"


def as_function(stack: Stack, function: str, service: str) -> Any:
    """A client signed with the function's own role session (as its handler's calls are)."""
    assert stack.runtime.credentials is not None
    credentials = stack.runtime.credentials(stack.runtime.find(function))
    return boto3.client(service, region_name=REGION, aws_access_key_id=credentials.access_key,
                        aws_secret_access_key=credentials.secret_key, aws_session_token=credentials.token)


def stop(stack: Stack, job_id: str) -> dict[str, Any]:
    return stack.runtime.invoke("ApiFunction", http_event("POST", "/", {"JobId": job_id}, target="StopTextTranslationJob"))


# ---------- removing one needed action fails with AccessDenied ----------


def test_api_function_without_dynamodb_update_item_cannot_stop(stack, caplog):
    # Given a job, Stop works with the template's policy
    job_id, other = put_job("IN_PROGRESS"), put_job("IN_PROGRESS")
    assert stop(stack, other)["statusCode"] == 200
    # When ApiFunction's role loses dynamodb:UpdateItem on the jobs table
    without_action(stack, "ApiFunction", "dynamodb:UpdateItem", "JobsTable")
    before = raw_item(stack.table_name, ACCOUNT, job_id)
    with caplog.at_level(logging.ERROR):
        response = stop(stack, job_id)
    # Then Stop fails, and what failed is IAM refusing that call
    assert response["statusCode"] == 500
    assert "AccessDeniedException" in caplog.text
    assert (f"User: arn:aws:sts::{ACCOUNT}:assumed-role/translate-jobs-ApiFunctionRole/translate-jobs-ApiFunction "
            f"is not authorized to perform: dynamodb:UpdateItem on resource: {JOBS_TABLE_ARN} "
            "because no identity-based policy allows the dynamodb:UpdateItem action") in caplog.text
    assert raw_item(stack.table_name, ACCOUNT, job_id) == before


def test_translate_batch_function_without_s3_put_object_on_the_work_bucket_fails_the_batch(buckets, monkeypatch):
    boto3.client("s3", region_name=REGION).put_object(Bucket="input-docs", Key="docs/a.txt", Body=b"hello\n")
    without_action(buckets, "TranslateBatchFunction", "s3:PutObject", "workbucket")
    errors: list[dict[str, Any]] = []
    real_invoke = buckets.runtime.invoke

    def recording_invoke(name: str, event: Any) -> Any:
        try:
            return real_invoke(name, event)
        except FunctionError as error:
            errors.append({"function": name, **error.payload})
            raise

    monkeypatch.setattr(buckets.runtime, "invoke", recording_invoke)
    job_id = start_job(buckets)
    wait_for_execution(buckets, job_id)
    item = raw_item(buckets.table_name, ACCOUNT, job_id)
    assert item is not None
    assert (item["JobStatus"]["S"], item["Message"]["S"]) == ("FAILED", (
        "The job stopped after 0 of 1 documents because of an internal error in the translation service. Start the job "
        "again; if it fails again, report the job id to the service's operators."))
    batch_errors = [e for e in errors if e["function"].endswith("TranslateBatchFunction")]
    assert batch_errors, errors
    assert all("AccessDenied" in e["errorMessage"] for e in batch_errors)
    assert (f"assumed-role/translate-jobs-TranslateBatchFunctionRole/translate-jobs-TranslateBatchFunction is not "
            f"authorized to perform: s3:PutObject on resource: arn:aws:s3:::{buckets.work_bucket}/results/") \
        in batch_errors[0]["errorMessage"]


# ---------- what a denial looks like, per service ----------


def test_denials_have_each_services_error_shape(stack):
    dynamodb = as_function(stack, "JobEventsFunction", "dynamodb")  # may only PutEvents
    with pytest.raises(ClientError) as denied:
        dynamodb.get_item(TableName="translate-jobs-JobsTable", Key={"AccountId": {"S": ACCOUNT}, "JobId": {"S": "x"}})
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert denied.value.response["Error"]["Message"].startswith(
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/translate-jobs-JobEventsFunctionRole/translate-jobs-JobEventsFunction "
        f"is not authorized to perform: dynamodb:GetItem on resource: {JOBS_TABLE_ARN}")

    s3 = as_function(stack, "JobEventsFunction", "s3")
    with pytest.raises(ClientError) as denied:
        s3.get_object(Bucket=stack.work_bucket, Key="manifests/x.json")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    sfn = as_function(stack, "JobEventsFunction", "stepfunctions")
    with pytest.raises(ClientError) as denied:
        sfn.start_execution(stateMachineArn=stack.state_machine_arn, name="x", input="{}")
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"states:StartExecution on resource: {stack.state_machine_arn}" in denied.value.response["Error"]["Message"]

    sts = as_function(stack, "ApiFunction", "sts")
    with pytest.raises(ClientError) as denied:
        sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/TranslateData", RoleSessionName="session")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_what_the_policy_allows_is_allowed(stack):
    events = as_function(stack, "JobEventsFunction", "events")
    bus = stack.resolver.ref("JobEventBus")
    answer = events.put_events(Entries=[{"EventBusName": bus, "Source": "translate-jobs", "DetailType": "t", "Detail": "{}"}])
    assert answer["FailedEntryCount"] == 0
    with pytest.raises(ClientError) as denied:  # the default bus is not the stack's bus
        events.put_events(Entries=[{"Source": "translate-jobs", "DetailType": "t", "Detail": "{}"}])
    assert f"events:PutEvents on resource: arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default" in str(denied.value)


def test_an_operation_unknown_to_the_mapping_is_denied_and_logged(stack, caplog):
    s3 = as_function(stack, "FinalizeJobFunction", "s3")
    with caplog.at_level(logging.WARNING, logger="local_stack.iam"), pytest.raises(ClientError) as denied:
        s3.get_bucket_acl(Bucket=stack.work_bucket)
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert "is not known to local_stack.iam.requests: denied" in caplog.text


def test_test_setup_keys_act_as_the_account_root(stack):
    # Anything not signed by a role session (these "testing" keys, a user's CLI) is allowed.
    boto3.client("s3", region_name=REGION).get_bucket_acl(Bucket=stack.work_bucket)


# ---------- role sessions: trust policies, SourceIdentity ----------


@pytest.mark.long
def test_a_function_role_that_does_not_trust_lambda_cannot_run(stack):
    # A stack provisioned afresh (no function session made yet), and dropped after: the trust policy changes.
    test_stack.SESSION.suspend()
    stack = test_stack.SESSION.reset()
    try:
        _function_role_that_does_not_trust_lambda_cannot_run(stack)
    finally:
        test_stack.SESSION.suspend()


def _function_role_that_does_not_trust_lambda_cannot_run(stack):
    iam = boto3.client("iam", region_name=REGION)
    spec = stack.runtime.find("SweepFunction")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam.update_assume_role_policy(RoleName=spec.role_arn.rsplit("/", 1)[-1], PolicyDocument=json.dumps(trust))
    with pytest.raises(Exception, match="cannot be assumed by lambda.amazonaws.com: its trust policy does not admit it"):
        stack.runtime.invoke("SweepFunction", {})


def test_workers_may_assume_a_role_only_naming_the_jobs_account(stack):
    sts = as_function(stack, "PlanBatchesFunction", "sts")
    role = f"arn:aws:iam::{ACCOUNT}:role/TranslateData"
    tags = [{"Key": "TranslateJobAccount", "Value": ACCOUNT}, {"Key": "TranslateJobId", "Value": "j1"}]
    # the workers' own policy requires a SourceIdentity and the job's tags
    with pytest.raises(ClientError, match="not authorized to perform: sts:AssumeRole"):
        sts.assume_role(RoleArn=role, RoleSessionName="session")
    # the role's trust policy requires the job's account in both
    with pytest.raises(ClientError, match="not authorized to perform: sts:AssumeRole"):
        sts.assume_role(RoleArn=role, RoleSessionName="session", SourceIdentity="210987654321-j1",
                        Tags=[{"Key": "TranslateJobAccount", "Value": "210987654321"}, {"Key": "TranslateJobId", "Value": "j1"}])
    credentials = sts.assume_role(RoleArn=role, RoleSessionName="session", SourceIdentity=f"{ACCOUNT}-j1",
                                  Tags=tags)["Credentials"]
    # the session is authorized against the data-access role's own policies
    job_role = boto3.client("sts", region_name=REGION, aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"])
    assert job_role.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/TranslateData/session"


def test_only_the_workers_may_assume_a_data_access_role_not_any_principal_of_the_service_account(stack):
    # Given another team's role in the service's account, allowed to assume any role with any SourceIdentity and tags
    iam = boto3.client("iam", region_name=REGION)
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="SomeOtherTeamRole", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="SomeOtherTeamRole", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"], "Resource": "*"}]}))
    keys = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/SomeOtherTeamRole", RoleSessionName="them")["Credentials"]
    other_team = boto3.client("sts", region_name=REGION, aws_access_key_id=keys["AccessKeyId"],
                              aws_secret_access_key=keys["SecretAccessKey"], aws_session_token=keys["SessionToken"])
    as_the_workers_ask = {
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/TranslateData", "RoleSessionName": "session",
        "SourceIdentity": f"{ACCOUNT}-anything",
        "Tags": [{"Key": "TranslateJobAccount", "Value": ACCOUNT}, {"Key": "TranslateJobId", "Value": "anything"}],
    }
    # When it assumes a customer's data-access role naming the customer's account, as the workers do
    with pytest.raises(ClientError, match="not authorized to perform: sts:AssumeRole"):
        other_team.assume_role(**as_the_workers_ask)
    # Then it is refused (the trust policy's aws:PrincipalArn names the workers' role path), where a worker is not
    assert as_function(stack, "TranslateBatchFunction", "sts").assume_role(**as_the_workers_ask)["Credentials"]


def test_only_the_functions_that_assume_data_access_roles_have_the_workers_role_path(stack):
    iam = boto3.client("iam", region_name=REGION)

    def policies(role_arn: str) -> list[str]:
        role = role_arn.rsplit("/", 1)[1]
        return [json.dumps(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
                for name in iam.list_role_policies(RoleName=role)["PolicyNames"]]

    assuming = {name for name, function in stack.runtime.functions.items()
                if any("sts:AssumeRole" in policy for policy in policies(function.role_arn))}
    in_path = {name for name, function in stack.runtime.functions.items() if "/translate-jobs/data-access/" in function.role_arn}
    assert assuming == in_path == {"PlanBatchesFunction", "TranslateBatchFunction", "FinalizeJobFunction"}


def test_a_trust_statement_naming_a_worker_for_another_action_does_not_let_it_skip_its_own_policy(stack):
    # issue 26 item 13. Given a role whose trust lets the account's principals assume it (if their own
    # policies allow) and names the worker's role only for sts:TagSession, under a condition
    worker = f"arn:aws:iam::{ACCOUNT}:role/translate-jobs-PlanBatchesFunctionRole"
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": worker}, "Action": "sts:TagSession",
         "Condition": {"StringEquals": {"aws:RequestTag/Team": "blue"}}},
    ]}
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="NamesTheWorkerForTags", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    # When the worker, whose own policy allows no such AssumeRole (no SourceIdentity, no job tags), assumes it
    sts = as_function(stack, "PlanBatchesFunction", "sts")
    # Then it is refused: naming it for TagSession is not naming it for AssumeRole
    with pytest.raises(ClientError, match="not authorized to perform: sts:AssumeRole"):
        sts.assume_role(RoleArn=role, RoleSessionName="session")


def test_a_source_identity_cannot_change_down_a_chain_of_roles(stack):
    iam = boto3.client("iam", region_name=REGION)
    second = f"arn:aws:iam::{ACCOUNT}:role/SecondRole"  # trusts the first data-access role, for the account's jobs
    iam.create_role(RoleName="SecondRole", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/TranslateData"},
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
        "Condition": {"StringLike": {"sts:SourceIdentity": f"{ACCOUNT}-*"}}}]}))
    chain = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"], "Resource": second}]}
    iam.put_role_policy(RoleName="TranslateData", PolicyName="Chain", PolicyDocument=json.dumps(chain))
    sts = as_function(stack, "PlanBatchesFunction", "sts")
    tags = [{"Key": "TranslateJobAccount", "Value": ACCOUNT}, {"Key": "TranslateJobId", "Value": "j1"}]
    first = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/TranslateData", RoleSessionName="session",
                            SourceIdentity=f"{ACCOUNT}-j1", Tags=tags)["Credentials"]
    chained = boto3.client("sts", region_name=REGION, aws_access_key_id=first["AccessKeyId"],
                           aws_secret_access_key=first["SecretAccessKey"], aws_session_token=first["SessionToken"])
    with pytest.raises(ClientError, match="cannot change"):
        chained.assume_role(RoleArn=second, RoleSessionName="chained", SourceIdentity=f"{ACCOUNT}-other", Tags=tags)
    # the same SourceIdentity (or none: it is carried over) passes the trust policy's condition
    chained.assume_role(RoleArn=second, RoleSessionName="chained", Tags=tags)


def test_a_wrong_session_token_is_refused(stack):
    assert stack.runtime.credentials is not None
    credentials = stack.runtime.credentials(stack.runtime.find("ApiFunction"))
    dynamodb = boto3.client("dynamodb", region_name=REGION, aws_access_key_id=credentials.access_key,
                            aws_secret_access_key=credentials.secret_key, aws_session_token="forged")
    with pytest.raises(ClientError) as refused:
        dynamodb.get_item(TableName="translate-jobs-JobsTable", Key={"AccountId": {"S": ACCOUNT}, "JobId": {"S": "x"}})
    assert refused.value.response["Error"]["Code"] == "InvalidClientTokenId"


# ---------- the same through moto's server, as `make run` serves it ----------



@pytest.fixture
def served_stack() -> Iterator[Any]:
    """`make run`'s stack (ThreadedMotoServer in this process, the local front), on free ports."""
    with test_stack.running_local_stack() as local:
        yield local


@pytest.mark.long
def test_through_the_moto_server_jobs_run_and_a_stop_needs_dynamodb_update_item(served_stack, caplog):
    # (LocalStack.start points this process's SDK at its emulator, as `make run` does.)
    translate = boto3.client("translate", endpoint_url=served_stack.api_url, region_name=REGION)
    boto3.client("s3", region_name=REGION).put_object(Bucket="translate-jobs-demo-input", Key="iam/a.txt", Body=b"hello\n")
    # Given a job run through the served stack, every function as its template role
    job_id = translate.start_text_translation_job(
        InputDataConfig={"S3Uri": "s3://translate-jobs-demo-input/iam/", "ContentType": "text/plain"},
        OutputDataConfig={"S3Uri": "s3://translate-jobs-demo-output/iam-out/"},
        DataAccessRoleArn=DEMO_ROLE, SourceLanguageCode="en", TargetLanguageCodes=["fr"],
    )["JobId"]
    assert wait_for_execution(served_stack.stack, job_id)["status"] == "SUCCEEDED"
    demo_role = boto3.client("iam", region_name=REGION).get_role(RoleName=DEMO_ROLE.rsplit("/", 1)[-1])["Role"]
    assert demo_role["AssumeRolePolicyDocument"] == data_access_trust_policy(ACCOUNT, ACCOUNT)  # as docs/security.md says
    assert translate.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"]["JobStatus"] == "COMPLETED"
    # When ApiFunction's role loses dynamodb:UpdateItem (through the emulator's IAM API)
    without_action(served_stack.stack, "ApiFunction", "dynamodb:UpdateItem", "JobsTable")
    # Then Stop over the wire fails, because the emulator refused that call
    with caplog.at_level(logging.ERROR), pytest.raises(ClientError) as failed:
        translate.stop_text_translation_job(JobId=job_id)
    assert failed.value.response["Error"]["Code"] == "InternalServerException"
    assert "AccessDeniedException" in caplog.text
    assert f"is not authorized to perform: dynamodb:UpdateItem on resource: {JOBS_TABLE_ARN}" in caplog.text


# ---------- the state machine's own role ----------


def test_the_state_machine_without_lambda_invoke_on_finalize_cannot_run_it(buckets):
    # Step Functions calls the workers as the state machine's role: SAM's LambdaInvokePolicy, expanded.
    iam = boto3.client("iam", region_name=REGION)
    role_name = buckets.state_machine_role_arn.rsplit("/", 1)[-1]
    finalize = buckets.runtime.find("FinalizeJobFunction").name
    names = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    documents = {name: iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"] for name in names}
    invoke_finalize = [name for name, document in documents.items() if f"function:{finalize}*" in json.dumps(document)]
    assert len(invoke_finalize) == 1  # LambdaInvokePolicy: {FunctionName: !Ref FinalizeJobFunction}
    iam.delete_role_policy(RoleName=role_name, PolicyName=invoke_finalize[0])
    boto3.client("s3", region_name=REGION).put_object(Bucket="input-docs", Key="docs/a.txt", Body=b"hello\n")
    job_id = start_job(buckets)
    execution = wait_for_execution(buckets, job_id)
    assert execution["status"] == "FAILED"
    assert "is not authorized to perform: lambda:InvokeFunction on resource: " \
           f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{finalize}" in execution.get("cause", "") + execution.get("error", "")


@pytest.mark.long
def test_the_state_machines_lambda_calls_share_one_client_not_one_each(buckets, monkeypatch):
    # moto makes a client for every Lambda task; the local stack reuses one per service and session
    # (~0.4 MB of objects and milliseconds of CPU each: ~500 per 5,000-document job otherwise).
    from tests.support.stack import configure

    made, invoked = [], []
    make_client, invoke = boto3.client, buckets.runtime.invoke

    def counted_client(*args: Any, **kwargs: Any) -> Any:
        made.append(kwargs.get("service_name"))
        return make_client(*args, **kwargs)

    monkeypatch.setattr(boto3, "client", counted_client)
    monkeypatch.setattr(buckets.runtime, "invoke", lambda *args: invoked.append(args[0]) or invoke(*args))
    configure(buckets, BATCH_SIZE="1")
    s3 = make_client("s3", region_name=REGION)
    for n in range(6):
        s3.put_object(Bucket="input-docs", Key=f"docs/{n}.txt", Body=b"hello\n")
    job_id = start_job(buckets)
    assert wait_for_execution(buckets, job_id)["status"] == "SUCCEEDED"
    assert len(invoked) >= 9  # BeginJob, PlanBatches, 6 batches, FinalizeJob
    assert made.count("lambda") <= 1
