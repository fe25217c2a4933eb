"""template.yaml as SAM CLI's own translator turns it into CloudFormation (a subprocess in SAM CLI's venv):
the roles SAM generates are the ones the template's scopes narrow. The template itself: tests/unit/test_infra_template.py."""

import functools
import json
import subprocess
from typing import Any

import pytest

from local_stack.template import ROOT, TEMPLATE_PATH

SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"


@functools.cache  # one subprocess (~10 s of CPU) for the module's tests
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


def test_the_roles_sam_generates_for_the_workers_are_under_the_path_data_access_roles_trust():
    # docs/security.md's trust policy admits aws:PrincipalArn arn:aws:iam::<account>:role/<stack>/data-access/*: SAM must put
    # exactly the three workers' roles there (the role ARN then carries the path), and the output names the pattern.
    transformed = sam_transform()
    paths = {name: role["Properties"].get("Path") for name, role in transformed["Resources"].items()
             if role["Type"] == "AWS::IAM::Role"}
    in_path = {name for name, path in paths.items() if path == {"Fn::Sub": "/${AWS::StackName}/data-access/"}}
    assert in_path == {"PlanBatchesFunctionRole", "TranslateBatchFunctionRole", "FinalizeJobFunctionRole"}
    assert all(path is None for name, path in paths.items() if name not in in_path)
    assert transformed["Outputs"]["DataAccessWorkerRoles"]["Value"] == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AWS::StackName}/data-access/*"
    }
