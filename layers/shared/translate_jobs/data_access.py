"""S3 as the job's DataAccessRoleArn sees it: the workers' own roles have no access to user data."""

from typing import Any

import boto3
from botocore.exceptions import ClientError


class DataAccessError(Exception):
    """The job's role cannot be assumed, or cannot read or write where the job asked."""


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
        raise DataAccessError(
            f"Translate could not assume the DataAccessRoleArn {role_arn}: {exc.response['Error'].get('Message', exc)}"
        ) from exc
    return boto3.client(
        "s3",
        region_name=region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
