"""S3 as the job's DataAccessRoleArn sees it: the workers' own roles have no access to user data."""

from typing import Any

import boto3
from botocore.exceptions import ClientError

from translate_jobs import transient
from translate_jobs.observability import logger


class DataAccessError(Exception):
    """The job's role cannot be assumed, or cannot read or write where the job asked."""


def parse_s3_uri(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix


def s3_as_job_role(role_arn: str, job_id: str, region: str) -> Any:
    """An S3 client with the job role's temporary credentials (as the real service reads data)."""
    try:
        credentials = boto3.client("sts", region_name=region).assume_role(
            RoleArn=role_arn, RoleSessionName=f"translate-job-{job_id}"[:64]
        )["Credentials"]
    except ClientError as exc:
        if transient.is_transient(exc):
            raise transient.as_retried(exc, f"assuming the DataAccessRoleArn {role_arn}") from exc
        logger.warning("AssumeRole refused", extra={"role": role_arn, "error": str(exc)})
        raise DataAccessError(
            f"Translate could not assume the DataAccessRoleArn {role_arn} ({transient.error_code(exc)}): check that "
            "the role exists and that its trust policy lets Translate's workers assume it."
        ) from exc
    return boto3.client(
        "s3",
        region_name=region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
