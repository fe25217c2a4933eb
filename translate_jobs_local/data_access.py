"""The trust policy a user writes for a job's DataAccessRoleArn (docs/security.md), and roles made with it
(the demo role, the tests').

The workers assume the job's role with SourceIdentity "<account>-<JobId>" and the session tags
TranslateJobAccount / TranslateJobId (translate_jobs.integrations.s3_as_role). A role that trusts the
service only for its own account's jobs cannot be borrowed by another account's job, even if the
service were tricked into naming it; and only the workers' roles (template.yaml's RolePath
/<stack>/data-access/, the stack's DataAccessWorkerRoles output) may assume it, not any principal of the
service's account that could choose the same SourceIdentity and tag.
"""

import json
from typing import Any


def data_access_trust_policy(service_account: str, job_account: str, stack_name: str = "translate-jobs") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{service_account}:root"},
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
            "Condition": {
                "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{service_account}:role/{stack_name}/data-access/*"},
                "StringEquals": {"aws:RequestTag/TranslateJobAccount": job_account},
                "StringLike": {"sts:SourceIdentity": f"{job_account}-*"},
            },
        }],
    }


def data_access_permissions(input_buckets: list[str], output_buckets: list[str]) -> dict[str, Any]:
    """Read the input documents, write the outputs (what Amazon Translate's own guide grants)."""
    statements = [
        ("s3:ListBucket", [f"arn:aws:s3:::{b}" for b in input_buckets]),
        ("s3:GetObject", [f"arn:aws:s3:::{b}/*" for b in input_buckets]),
        ("s3:PutObject", [f"arn:aws:s3:::{b}/*" for b in output_buckets]),
    ]
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": resources} for action, resources in statements if resources
    ]}


def create_data_access_role(iam: Any, name: str, *, service_account: str, job_account: str,
                            input_buckets: list[str], output_buckets: list[str]) -> str:
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(
        data_access_trust_policy(service_account, job_account)))["Role"]["Arn"])
    iam.put_role_policy(RoleName=name, PolicyName="DataAccess",
                        PolicyDocument=json.dumps(data_access_permissions(input_buckets, output_buckets)))
    return arn
