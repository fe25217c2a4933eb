"""The data-access role cannot be borrowed (the confused deputy).

Start refuses a DataAccessRoleArn of another account, and a caller that may not iam:PassRole it;
the workers assume it naming the job's account (SourceIdentity and session tags), so a role whose
trust policy admits only its own account's jobs is refused for anyone else's.
"""

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.stack import ACCOUNT, OTHER_ACCOUNT, REGION, http_event, start_request
from translate_jobs_local.data_access import create_data_access_role, data_access_trust_policy

START = "StartTextTranslationJob"


def start(stack: Any, caller_arn: str | None = None, **overrides: Any) -> tuple[int, dict[str, Any]]:
    event = http_event("POST", "/", start_request(**overrides), target=START)
    if caller_arn:
        event["requestContext"]["authorizer"]["iam"]["userArn"] = caller_arn
    response = stack.runtime.invoke("ApiFunction", event)
    return response["statusCode"], json.loads(response["body"])


def job_count(stack: Any) -> int:
    return int(boto3.client("dynamodb", region_name=REGION).scan(TableName=stack.table_name, Select="COUNT")["Count"])


def run_job(stack: Any, role_arn: str) -> dict[str, Any]:
    from tests.support.stack import raw_item, start_job, wait_for_execution

    boto3.client("s3", region_name=REGION).put_object(Bucket="input-docs", Key="docs/a.txt", Body=b"hello\n")
    job_id = start_job(stack, DataAccessRoleArn=role_arn)
    wait_for_execution(stack, job_id)
    item = raw_item(stack.table_name, ACCOUNT, job_id)
    assert item is not None
    return {"JobStatus": item["JobStatus"]["S"], "Message": item.get("Message", {}).get("S", ""), "JobId": job_id}


# ---------- Start ----------


def test_start_refuses_a_data_access_role_of_another_account(stack):
    foreign = f"arn:aws:iam::{OTHER_ACCOUNT}:role/TranslateData"
    status, body = start(stack, DataAccessRoleArn=foreign)
    assert status == 400
    assert body == {
        "__type": "InvalidRequestException",
        "message": f"The DataAccessRoleArn {foreign} belongs to account {OTHER_ACCOUNT}. "
                   f"Use a role of your own account ({ACCOUNT}).",
    }
    assert job_count(stack) == 0


def test_the_account_root_may_pass_any_role_of_its_account(stack):
    status, body = start(stack, caller_arn=f"arn:aws:iam::{ACCOUNT}:root")
    assert status == 200, body


def test_a_caller_allowed_iam_pass_role_to_translate_may_start(stack):
    iam = boto3.client("iam", region_name=REGION)
    role = f"arn:aws:iam::{ACCOUNT}:role/TranslateData"
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="pass", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role,
         "Condition": {"StringEquals": {"iam:PassedToService": "translate.amazonaws.com"}}}]}))
    status, body = start(stack, caller_arn=f"arn:aws:iam::{ACCOUNT}:user/alice")
    assert status == 200, body


def test_a_caller_not_allowed_iam_pass_role_is_refused_and_nothing_is_written(stack):
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="bob")
    iam.put_user_policy(UserName="bob", PolicyName="other", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/SomethingElse"}]}))
    role = f"arn:aws:iam::{ACCOUNT}:role/TranslateData"
    status, body = start(stack, caller_arn=f"arn:aws:iam::{ACCOUNT}:user/bob")
    assert status == 403
    assert body == {"__type": "AccessDeniedException",
                    "message": f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: iam:PassRole "
                               f"on resource: {role}"}
    assert job_count(stack) == 0


@pytest.mark.long
def test_a_role_session_caller_is_checked_as_its_role(stack):
    iam = boto3.client("iam", region_name=REGION)
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="Operator", Path="/team/", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="Operator", PolicyName="pass", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/TranslateData"}]}))
    status, body = start(stack, caller_arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/Operator/alice")
    assert status == 200, body
    status, body = start(stack, caller_arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/Operator/alice", ClientToken="t2",
                         DataAccessRoleArn=f"arn:aws:iam::{ACCOUNT}:role/Other")
    assert (status, body["__type"]) == (403, "AccessDeniedException")


# ---------- the workers assume the role as the job's account ----------


def test_a_role_trusting_only_another_accounts_jobs_is_refused(buckets):
    iam = boto3.client("iam", region_name=REGION)
    role = create_data_access_role(iam, "OtherAccountsData", service_account=ACCOUNT, job_account=OTHER_ACCOUNT,
                                   input_buckets=["input-docs"], output_buckets=["output-docs"])
    job = run_job(buckets, role)
    assert job["JobStatus"] == "FAILED"
    assert job["Message"] == (
        f"Translate could not assume the DataAccessRoleArn {role} (AccessDenied): check that the role exists and that its "
        f"trust policy lets Translate's workers assume it for account {ACCOUNT}'s jobs (docs/security.md: The data-access role)."
    )
    assert "Contents" not in boto3.client("s3", region_name=REGION).list_objects_v2(Bucket="output-docs")


def test_a_role_trusting_its_own_accounts_jobs_works(buckets):
    iam = boto3.client("iam", region_name=REGION)
    role = create_data_access_role(iam, "OwnData", service_account=ACCOUNT, job_account=ACCOUNT,
                                   input_buckets=["input-docs"], output_buckets=["output-docs"])
    job = run_job(buckets, role)
    assert job["JobStatus"] == "COMPLETED", job
    keys = [o["Key"] for o in boto3.client("s3", region_name=REGION).list_objects_v2(Bucket="output-docs")["Contents"]]
    assert f"out/{ACCOUNT}-TranslateText-{job['JobId']}/fr.a.txt" in keys


def test_the_job_role_is_used_with_its_own_permissions(buckets):
    # A role the workers may assume but that may not write the output: the job cannot complete.
    iam = boto3.client("iam", region_name=REGION)
    role = create_data_access_role(iam, "ReadOnlyData", service_account=ACCOUNT, job_account=ACCOUNT,
                                   input_buckets=["input-docs"], output_buckets=[])
    job = run_job(buckets, role)
    assert job["JobStatus"] == "FAILED"
    assert job["Message"].startswith(  # the role named, and what it was denied where; not the SDK's text
        f"Translate could not write the job's details file: The DataAccessRoleArn {role} may not write s3://output-docs/")
    assert job["Message"].endswith("(s3:PutObject was denied).")
    assert "Contents" not in boto3.client("s3", region_name=REGION).list_objects_v2(Bucket="output-docs")


def test_the_documented_trust_policy_is_the_one_the_demo_role_and_these_tests_use():
    page = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text()
    section = page[page.index("## The data-access role"):]
    documented = json.loads(re.search(r"```json\n(.*?)```", section, re.S).group(1))
    assert documented == data_access_trust_policy("<SERVICE_ACCOUNT_ID>", "<YOUR_ACCOUNT_ID>", "<STACK_NAME>")

