"""local_stack.iam.sam: a function's Policies as SAM turns them into its role's policy documents."""

import pytest

from local_stack.iam.sam import UnsupportedPolicyError, function_policies
from local_stack.template import Resolver, load_template

ACCOUNT, REGION = "123456789012", "us-east-1"


def resolver(**parameters: str) -> Resolver:
    template = load_template()
    found = Resolver(template, ACCOUNT, REGION, "translate-jobs", parameters=parameters)
    found.refs["F"] = "translate-jobs-F"
    return found


def test_lambda_invoke_policy_is_expanded_with_sams_statement():
    documents = function_policies(load_template(), [{"LambdaInvokePolicy": {"FunctionName": {"Ref": "F"}}}], resolver())
    assert documents == [{"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
        "Resource": [f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:translate-jobs-F*"]}]}]


@pytest.mark.parametrize(("engine", "granted"), [("pseudo", False), ("amazon", True)])
def test_fn_if_follows_the_templates_conditions(engine, granted):
    # TranslateBatchFunction gets translate:TranslateText only with TranslationEngine=amazon.
    template = load_template()
    policies = template["Resources"]["TranslateBatchFunction"]["Properties"]["Policies"]
    found = resolver(TranslationEngine=engine)
    for name in ("JobsTable", "AccountUsageTable", "BatchCountsTable"):
        found.attributes[name] = {"Arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"}
    found.attributes["WorkBucket"] = {"Arn": "arn:aws:s3:::work"}
    actions = [action for document in function_policies(template, policies, found) for statement in document["Statement"]
               for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])]
    assert ("translate:TranslateText" in actions) is granted


def test_a_policy_it_cannot_expand_is_an_error_not_a_silent_gap():
    with pytest.raises(UnsupportedPolicyError, match="AmazonS3FullAccess"):
        function_policies(load_template(), ["AmazonS3FullAccess"], resolver())
    with pytest.raises(UnsupportedPolicyError, match="KinesisStreamReadPolicy"):
        function_policies(load_template(), [{"KinesisStreamReadPolicy": {"StreamName": "s"}}], resolver())
