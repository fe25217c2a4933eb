"""S3 as the job's DataAccessRoleArn sees it: the workers' own roles have no access to user data."""

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from translate_jobs.core import transient
from translate_jobs.core.observability import logger
from translate_jobs.domain.errors import AccessDeniedError, InvalidRequestError, shown

# A job role's session is reused by the batches of its job that one container runs, until this close to
# its expiry: more than a Lambda's longest run (900 s), so a client taken from the cache never sees its
# credentials expire mid-invocation. Sessions last an hour (AssumeRole's default).
REUSE_UNTIL_SECONDS_LEFT = 16 * 60
_SESSIONS_KEPT = 32  # jobs a container holds sessions for (least recently used dropped first)
# A session its container has not used for this long is dropped: its job has most likely ended (PlanBatches
# and FinalizeJob take a job's session once; TranslateBatch for every batch while the job runs), and each
# client holds ~0.4 MB (its own service model, endpoint rules and methods). A job idle longer pays one AssumeRole.
IDLE_SECONDS = 5 * 60

_ROOT = re.compile(r"arn:[\w-]+:iam::(\d{12}):root")
_SESSION = re.compile(r"arn:[\w-]+:sts::(\d{12}):assumed-role/([^/]+)/.+")


class DataAccessError(Exception):
    """The job's role cannot be assumed, or cannot read or write where the job asked."""


def check_role_may_be_passed(iam: Any, account_id: str, caller_arn: str | None, role_arn: str) -> None:
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
            f"The DataAccessRoleArn {shown(role_arn)} belongs to account {role_account}. "
            f"Use a role of your own account ({account_id})."
        )
    if caller_arn is None or _ROOT.fullmatch(caller_arn):
        return
    results = iam.simulate_principal_policy(
        PolicySourceArn=_policy_source(iam, caller_arn),
        ActionNames=["iam:PassRole"],
        ResourceArns=[role_arn],
        ContextEntries=[{"ContextKeyName": "iam:PassedToService", "ContextKeyValues": ["translate.amazonaws.com"],
                         "ContextKeyType": "string"}],
    )["EvaluationResults"]
    if not results or any(result["EvalDecision"] != "allowed" for result in results):
        raise AccessDeniedError(
            f"User: {shown(caller_arn)} is not authorized to perform: iam:PassRole on resource: {shown(role_arn)}"
        )


def check_caller_may_read(iam: Any, account_id: str, caller_arn: str | None, s3_uri: str) -> None:
    """CreateParallelData's and UpdateParallelData's guard (the confused deputy again): Amazon Translate reads the
    file with the caller's own rights, so the caller must be allowed s3:GetObject on it by its own policies (IAM's
    policy simulator answers that; the account root may read its account's objects). The import then reads it
    only from a bucket of the caller's account (ExpectedBucketOwner)."""
    if caller_arn is None or _ROOT.fullmatch(caller_arn):
        return
    bucket, key = parse_s3_uri(s3_uri)
    resource = f"arn:aws:s3:::{bucket}/{key}"
    results = iam.simulate_principal_policy(
        PolicySourceArn=_policy_source(iam, caller_arn), ActionNames=["s3:GetObject"], ResourceArns=[resource],
    )["EvaluationResults"]
    if not results or any(result["EvalDecision"] != "allowed" for result in results):
        raise AccessDeniedError(
            f"User: {shown(caller_arn)} is not authorized to perform: s3:GetObject on resource: {shown(resource)}"
        )


def _policy_source(iam: Any, caller_arn: str) -> str:
    """The IAM entity whose policies apply: for a role session, the role (its ARN with its path)."""
    session = _SESSION.fullmatch(caller_arn)
    if session:
        return str(iam.get_role(RoleName=session.group(2))["Role"]["Arn"])
    return caller_arn


def parse_s3_uri(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix


def source_identity(account_id: str, job_id: str) -> str:
    """Whose job the session is for: kept by STS down any chain of roles and logged in CloudTrail."""
    return f"{account_id}-{job_id}"[:64]


@dataclass
class _Session:
    """A job role's session in a container: when its credentials expire, when it was last used, its S3 client."""

    expires: float
    used: float
    client: Any


class JobRoles:
    """S3 clients as jobs' DataAccessRoleArns, one execution environment's: its own session (the function's
    role) assumes a job's role, and the session is reused by the batches of that job the environment runs
    until it nears expiry (one AssumeRole per job per environment and hour, not per batch)."""

    def __init__(self, region: str, session: boto3.session.Session | None = None) -> None:
        self.region = region
        self.session = session or boto3.session.Session()
        self._sts: Any = None
        self._sessions: OrderedDict[tuple[str, ...], _Session] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()
        self._assuming = threading.Lock()

    def s3(self, role_arn: str, account_id: str, job_id: str) -> Any:
        """An S3 client with the job role's temporary credentials (as the real service reads data).

        The session names the job's account and id (SourceIdentity and session tags), so the role's
        trust policy can admit only its own account's jobs (docs/security.md "The data-access role"), and the
        workers' own policy lets them assume no role without saying so (template.yaml). The cache is keyed
        by everything the session says, so a session is never used for another role, account or job, nor
        by another caller.
        """
        key = (self._caller(), role_arn, account_id, job_id, self.region)
        client = self._reusable(key)
        if client is not None:
            return client
        with self._assuming:  # threads of one process (the local stack) assume a job's role once, not once each
            client = self._reusable(key)
            if client is not None:
                return client
            credentials = self._assume(role_arn, account_id, job_id)
            client = boto3.client(
                "s3",
                region_name=self.region,
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
            )
            now = time.time()
            with self._lock:
                self._sessions[key] = _Session(credentials["Expiration"].timestamp(), now, client)
                while len(self._sessions) > _SESSIONS_KEPT or self._oldest_idle(now):
                    self._sessions.popitem(last=False)
        return client

    def _reusable(self, key: tuple[str, ...]) -> Any:
        with self._lock:
            session = self._sessions.get(key)
            now = time.time()
            if session is None or session.expires - now <= REUSE_UNTIL_SECONDS_LEFT:
                return None
            session.used = now
            self._sessions.move_to_end(key)
            return session.client

    def _oldest_idle(self, now: float) -> bool:
        """Is the least recently used session unused for IDLE_SECONDS? (under the lock)"""
        oldest = next(iter(self._sessions.values()), None)
        return oldest is not None and oldest.used <= now - IDLE_SECONDS

    def _caller(self) -> str:
        """Who assumes the job role: this function's own access key (one per function, as on Lambda)."""
        credentials = self.session.get_credentials()
        return credentials.get_frozen_credentials().access_key if credentials else ""

    def _assume(self, role_arn: str, account_id: str, job_id: str) -> dict[str, Any]:
        if self._sts is None:
            self._sts = self.session.client("sts", region_name=self.region)
        try:
            return dict(
                self._sts.assume_role(
                    RoleArn=role_arn,
                    RoleSessionName=f"translate-job-{job_id}"[:64],
                    SourceIdentity=source_identity(account_id, job_id),
                    Tags=[{"Key": "TranslateJobAccount", "Value": account_id}, {"Key": "TranslateJobId", "Value": job_id}],
                )["Credentials"]
            )
        except transient.NETWORK_ERRORS as exc:  # no answer, even after the SDK's retries: the workflow retries
            raise transient.as_retried(exc, f"assuming the DataAccessRoleArn {role_arn}") from exc
        except ClientError as exc:
            if transient.is_transient(exc):
                raise transient.as_retried(exc, f"assuming the DataAccessRoleArn {role_arn}") from exc
            logger.warning("AssumeRole refused", extra={"role": role_arn, "error": str(exc)})
            raise DataAccessError(
                f"Translate could not assume the DataAccessRoleArn {role_arn} ({transient.error_code(exc)}): check that "
                f"the role exists and that its trust policy lets Translate's workers assume it for account {account_id}'s "
                "jobs (docs/security.md: The data-access role)."
            ) from exc
