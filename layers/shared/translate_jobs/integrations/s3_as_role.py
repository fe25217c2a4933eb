"""S3 as the job's DataAccessRoleArn sees it: the workers' own roles have no access to user data."""

import re
from typing import Any

import boto3
from botocore.exceptions import ClientError

from translate_jobs.core import transient
from translate_jobs.core.config import per_container
from translate_jobs.core.observability import logger
from translate_jobs.domain.errors import AccessDeniedError, InvalidRequestError

_ROOT = re.compile(r"arn:[\w-]+:iam::(\d{12}):root")
_SESSION = re.compile(r"arn:[\w-]+:sts::(\d{12}):assumed-role/([^/]+)/.+")


class DataAccessError(Exception):
    """The job's role cannot be assumed, or cannot read or write where the job asked."""


def check_role_may_be_passed(account_id: str, caller_arn: str | None, role_arn: str, region: str) -> None:
    """Start's guard against a borrowed role (the confused deputy), as Amazon Translate's iam:PassRole.

    The role must be in the caller's account. The account root may pass any of its roles (locally
    the caller is the root); any other caller must be allowed iam:PassRole on the role, to
    Translate, by its own policies: IAM's policy simulator answers that for the caller's ARN (the
    HTTP API's IAM authorizer admits only principals of the API's account, whose policies the
    simulator can read).
    """
    role_account = role_arn.split(":")[4]
    if role_account != account_id:
        raise InvalidRequestError(
            f"The DataAccessRoleArn {role_arn} belongs to account {role_account}. "
            f"Use a role of your own account ({account_id})."
        )
    if caller_arn is None or _ROOT.fullmatch(caller_arn):
        return
    results = _iam(region).simulate_principal_policy(
        PolicySourceArn=_policy_source(caller_arn, region),
        ActionNames=["iam:PassRole"],
        ResourceArns=[role_arn],
        ContextEntries=[{"ContextKeyName": "iam:PassedToService", "ContextKeyValues": ["translate.amazonaws.com"],
                         "ContextKeyType": "string"}],
    )["EvaluationResults"]
    if not results or any(result["EvalDecision"] != "allowed" for result in results):
        raise AccessDeniedError(f"User: {caller_arn} is not authorized to perform: iam:PassRole on resource: {role_arn}")


def _policy_source(caller_arn: str, region: str) -> str:
    """The IAM entity whose policies apply: for a role session, the role (its ARN with its path)."""
    session = _SESSION.fullmatch(caller_arn)
    if session:
        return str(_iam(region).get_role(RoleName=session.group(2))["Role"]["Arn"])
    return caller_arn


@per_container
def _iam(region: str) -> Any:
    return boto3.client("iam", region_name=region)


def parse_s3_uri(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix


def source_identity(account_id: str, job_id: str) -> str:
    """Whose job the session is for: kept by STS down any chain of roles and logged in CloudTrail."""
    return f"{account_id}-{job_id}"[:64]


def s3_as_job_role(role_arn: str, account_id: str, job_id: str, region: str) -> Any:
    """An S3 client with the job role's temporary credentials (as the real service reads data).

    The session names the job's account and id (SourceIdentity and session tags), so the role's
    trust policy can admit only its own account's jobs (README "The data-access role"), and the
    workers' own policy lets them assume no role without saying so (template.yaml).
    """
    try:
        credentials = boto3.client("sts", region_name=region).assume_role(
            RoleArn=role_arn,
            RoleSessionName=f"translate-job-{job_id}"[:64],
            SourceIdentity=source_identity(account_id, job_id),
            Tags=[{"Key": "TranslateJobAccount", "Value": account_id}, {"Key": "TranslateJobId", "Value": job_id}],
        )["Credentials"]
    except ClientError as exc:
        if transient.is_transient(exc):
            raise transient.as_retried(exc, f"assuming the DataAccessRoleArn {role_arn}") from exc
        logger.warning("AssumeRole refused", extra={"role": role_arn, "error": str(exc)})
        raise DataAccessError(
            f"Translate could not assume the DataAccessRoleArn {role_arn} ({transient.error_code(exc)}): check that "
            f"the role exists and that its trust policy lets Translate's workers assume it for account {account_id}'s "
            "jobs (README: The data-access role)."
        ) from exc
    return boto3.client(
        "s3",
        region_name=region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
