"""template.yaml as SAM's own translator (aws-sam-translator, SAM CLI's) turns it into CloudFormation: the
roles SAM generates are the ones the template's scopes narrow. The template itself: tests/unit/test_infra_template.py."""

import json

from local_stack.template import cloudformation


def test_sam_still_attaches_the_broad_managed_policies_that_the_scopes_narrow():
    # What SAM generates: a role per function, with the event source's managed policy (Resource "*")
    generated = cloudformation()["Resources"]
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
        for statement in policy.get("PolicyDocument", {}).get("Statement", [])  # (not the Fn::If of a condition's)
        if "secretsmanager:GetSecretValue" in statement["Action"]
    ]
    assert len(statements) == 1 and "PaginationTokenSecret" in json.dumps(statements[0]["Resource"])


def test_the_roles_sam_generates_for_the_workers_are_under_the_path_data_access_roles_trust():
    # docs/security.md's trust policy admits aws:PrincipalArn arn:aws:iam::<account>:role/<stack>/data-access/*: SAM must put
    # exactly the three workers' roles there (the role ARN then carries the path), and the output names the pattern.
    transformed = cloudformation()
    paths = {name: role["Properties"].get("Path") for name, role in transformed["Resources"].items()
             if role["Type"] == "AWS::IAM::Role"}
    in_path = {name for name, path in paths.items() if path == {"Fn::Sub": "/${AWS::StackName}/data-access/"}}
    assert in_path == {"PlanBatchesFunctionRole", "TranslateBatchFunctionRole", "FinalizeJobFunctionRole"}
    assert all(path is None for name, path in paths.items() if name not in in_path)
    assert transformed["Outputs"]["DataAccessWorkerRoles"]["Value"] == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AWS::StackName}/data-access/*"
    }
