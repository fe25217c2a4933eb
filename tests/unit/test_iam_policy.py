"""local_stack.iam.policy against the examples of AWS's IAM User Guide (policy elements, condition
operators, evaluation logic): each case is the documented policy and the documented outcome."""

import pytest

from local_stack.iam.policy import Decision, Principal, Request, allows_by_name, evaluate


def allow(**statement):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]}


def decide(policy, action="s3:GetObject", resource="*", context=None, principal=None):
    return evaluate([policy], Request(action, resource, context or {}, principal))


# ---------- evaluation logic ----------


def test_nothing_matching_is_an_implicit_deny():
    policy = allow(Action="s3:GetObject", Resource="arn:aws:s3:::amzn-s3-demo-bucket/*")
    assert decide(policy, "s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket/a") is Decision.IMPLICIT_DENY
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/a") is Decision.ALLOW


def test_an_explicit_deny_beats_any_allow():
    # "Deny everything outside IAM" beside "Allow *"
    allow_all = allow(Action="*", Resource="*")
    deny_not_iam = {"Statement": [{"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}]}
    assert evaluate([allow_all, deny_not_iam], Request("s3:GetObject", "arn:aws:s3:::b/k")) is Decision.DENY
    assert evaluate([allow_all, deny_not_iam], Request("iam:ListUsers", "*")) is Decision.ALLOW


def test_statement_may_be_a_single_object_and_values_single_strings():
    policy = {"Statement": {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}}
    assert decide(policy, "dynamodb:GetItem") is Decision.ALLOW


# ---------- Action and Resource ----------


@pytest.mark.parametrize(("pattern", "action", "matches"), [
    ("s3:GetObject", "s3:GetObject", True),
    ("S3:getobject", "s3:GetObject", True),  # actions are case-insensitive
    ("s3:Get*", "s3:GetObjectTagging", True),
    ("s3:Get*", "s3:PutObject", False),
    ("iam:*AccessKey*", "iam:CreateAccessKey", True),
    ("dynamodb:?etItem", "dynamodb:GetItem", True),
    ("*", "states:StartExecution", True),
])
def test_action_wildcards(pattern, action, matches):
    assert (decide(allow(Action=pattern, Resource="*"), action) is Decision.ALLOW) is matches


@pytest.mark.parametrize(("pattern", "resource", "matches"), [
    ("arn:aws:s3:::amzn-s3-demo-bucket/*", "arn:aws:s3:::amzn-s3-demo-bucket/a/b/c.txt", True),
    ("arn:aws:s3:::amzn-s3-demo-bucket/*", "arn:aws:s3:::amzn-s3-demo-bucket", False),
    ("arn:aws:s3:::amzn-s3-demo-bucket/file?.txt", "arn:aws:s3:::amzn-s3-demo-bucket/file1.txt", True),
    ("arn:aws:s3:::amzn-s3-demo-bucket/file?.txt", "arn:aws:s3:::amzn-s3-demo-bucket/file10.txt", False),
    ("arn:aws:iam::*:role/*", "arn:aws:iam::210987654321:role/Data", True),
    ("arn:aws:iam::*:role/*", "arn:aws:iam::210987654321:user/Data", False),
    # a table's ARN does not cover its indexes (List needs table/<t>/index/*)
    ("arn:aws:dynamodb:us-east-1:123456789012:table/Jobs",
     "arn:aws:dynamodb:us-east-1:123456789012:table/Jobs/index/ByStatus", False),
    ("arn:aws:dynamodb:us-east-1:123456789012:table/Jobs/index/*",
     "arn:aws:dynamodb:us-east-1:123456789012:table/Jobs/index/ByStatus", True),
    ("arn:aws:states:us-east-1:123456789012:execution:machine:*",
     "arn:aws:states:us-east-1:123456789012:execution:machine:job-1", True),
    ("arn:aws:states:us-east-1:123456789012:stateMachine:machine", "*", False),  # a specific ARN is not "*"
    ("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/k", False),  # resources are case-sensitive
])
def test_resource_wildcards(pattern, resource, matches):
    assert (decide(allow(Action="*", Resource=pattern), resource=resource) is Decision.ALLOW) is matches


def test_not_resource_applies_to_everything_else():
    hr_bucket = ["arn:aws:s3:::hr-bucket", "arn:aws:s3:::hr-bucket/*"]
    policy = {"Statement": [{"Effect": "Deny", "Action": "s3:*", "NotResource": hr_bucket},
                            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::hr-bucket/a") is Decision.ALLOW
    assert decide(policy, "s3:GetObject", "arn:aws:s3:::other/a") is Decision.DENY


def test_policy_variable_in_resource():
    # IAM User Guide, "Policy variables": each user gets their own folder
    policy = allow(Action="s3:*", Resource="arn:aws:s3:::amzn-s3-demo-bucket/${aws:username}/*")
    david = {"aws:username": "david"}
    assert decide(policy, resource="arn:aws:s3:::amzn-s3-demo-bucket/david/a.txt", context=david) is Decision.ALLOW
    assert decide(policy, resource="arn:aws:s3:::amzn-s3-demo-bucket/maria/a.txt", context=david) is Decision.IMPLICIT_DENY
    # no value for the variable and no default: the element cannot match
    assert decide(policy, resource="arn:aws:s3:::amzn-s3-demo-bucket//a.txt") is Decision.IMPLICIT_DENY


def test_policy_variable_default_and_literal_wildcard():
    policy = allow(Action="s3:*", Resource="arn:aws:s3:::b/${aws:username, 'anonymous'}/*")
    assert decide(policy, resource="arn:aws:s3:::b/anonymous/x") is Decision.ALLOW
    literal = allow(Action="s3:*", Resource="arn:aws:s3:::b/${*}/x")  # ${*} is the character *
    assert decide(literal, resource="arn:aws:s3:::b/*/x") is Decision.ALLOW
    assert decide(literal, resource="arn:aws:s3:::b/abc/x") is Decision.IMPLICIT_DENY


# ---------- Condition operators (documented examples and their tables) ----------

ADMIN_POLICY = allow(Action="iam:*AccessKey*", Resource="arn:aws:iam::123456789012:user/*",
                     Condition={"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}})
NOT_ADMIN_POLICY = allow(Action="iam:*AccessKey*", Resource="arn:aws:iam::123456789012:user/*",
                         Condition={"StringNotEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}})
USER = "arn:aws:iam::123456789012:user/martha"


@pytest.mark.parametrize(("context", "equals", "not_equals"), [
    ({"aws:PrincipalTag/job-category": "iamuser-admin"}, True, False),
    ({"aws:PrincipalTag/job-category": "dev-ops"}, False, True),
    ({}, False, True),  # a missing key: the positive operator fails, the negated one holds
])
def test_string_equals_and_not_equals(context, equals, not_equals):
    assert (decide(ADMIN_POLICY, "iam:CreateAccessKey", USER, context) is Decision.ALLOW) is equals
    assert (decide(NOT_ADMIN_POLICY, "iam:CreateAccessKey", USER, context) is Decision.ALLOW) is not_equals


def test_condition_keys_are_case_insensitive_values_are_not():
    assert decide(ADMIN_POLICY, "iam:CreateAccessKey", USER, {"AWS:principaltag/JOB-CATEGORY": "iamuser-admin"}) is Decision.ALLOW
    shouting = {"aws:PrincipalTag/job-category": "IAMUSER-ADMIN"}
    assert decide(ADMIN_POLICY, "iam:CreateAccessKey", USER, shouting) is not Decision.ALLOW
    ignore_case = allow(Action="*", Resource="*", Condition={"StringEqualsIgnoreCase": {"aws:PrincipalTag/x": "Admin"}})
    assert decide(ignore_case, context={"aws:PrincipalTag/x": "ADMIN"}) is Decision.ALLOW


def test_string_like_with_variables_and_several_values():
    # "Allow listing only the user's home folder": values of one key are OR'ed
    policy = allow(Action="s3:ListBucket", Resource="arn:aws:s3:::amzn-s3-demo-bucket",
                   Condition={"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}})
    bucket = "arn:aws:s3:::amzn-s3-demo-bucket"
    assert decide(policy, "s3:ListBucket", bucket, {"aws:username": "martha", "s3:prefix": "home/martha/docs"}) is Decision.ALLOW
    assert decide(policy, "s3:ListBucket", bucket, {"aws:username": "martha", "s3:prefix": "home/"}) is Decision.ALLOW
    assert decide(policy, "s3:ListBucket", bucket, {"aws:username": "martha", "s3:prefix": "home/maria/"}) is not Decision.ALLOW


def test_several_keys_and_operators_are_anded():
    policy = allow(Action="*", Resource="*", Condition={
        "StringEquals": {"aws:PrincipalTag/department": ["finance", "hr", "legal"],
                         "aws:PrincipalTag/role": ["audit", "security"]},
        "ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::222222222222:user/Ana",
                                         "arn:aws:iam::222222222222:role/Admin*"]},
    })
    good = {"aws:PrincipalTag/department": "hr", "aws:PrincipalTag/role": "audit",
            "aws:PrincipalArn": "arn:aws:iam::222222222222:role/AdminX"}
    assert decide(policy, context=good) is Decision.ALLOW
    assert decide(policy, context={**good, "aws:PrincipalTag/role": "dev"}) is not Decision.ALLOW
    assert decide(policy, context={**good, "aws:PrincipalArn": "arn:aws:iam::222222222222:user/Bob"}) is not Decision.ALLOW


@pytest.mark.parametrize(("max_keys", "matches"), [("10", True), ("9", True), ("11", False), (None, False), ("ten", False)])
def test_numeric_less_than_equals(max_keys, matches):
    policy = allow(Action="s3:ListBucket", Resource="arn:aws:s3:::b", Condition={"NumericLessThanEquals": {"s3:max-keys": "10"}})
    context = {} if max_keys is None else {"s3:max-keys": max_keys}
    assert (decide(policy, "s3:ListBucket", "arn:aws:s3:::b", context) is Decision.ALLOW) is matches


def test_date_greater_than():
    policy = allow(Action="*", Resource="*", Condition={"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}})
    assert decide(policy, context={"aws:TokenIssueTime": "2021-06-01T00:00:00Z"}) is Decision.ALLOW
    assert decide(policy, context={"aws:TokenIssueTime": "2019-06-01T00:00:00Z"}) is not Decision.ALLOW


@pytest.mark.parametrize(("value", "matches"), [("true", True), (True, True), ("false", False), (None, False)])
def test_bool(value, matches):
    policy = allow(Action="*", Resource="*", Condition={"Bool": {"aws:SecureTransport": "true"}})
    context = {} if value is None else {"aws:SecureTransport": value}
    assert (decide(policy, context=context) is Decision.ALLOW) is matches


def test_bool_if_exists_denies_requests_without_mfa_information():
    # "Deny all access without MFA": long-term keys carry no aws:MultiFactorAuthPresent, so IfExists holds
    policies = [allow(Action="*", Resource="*"),
                {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}]
    assert evaluate(policies, Request("s3:GetObject", "*", {})) is Decision.DENY
    assert evaluate(policies, Request("s3:GetObject", "*", {"aws:MultiFactorAuthPresent": "false"})) is Decision.DENY
    assert evaluate(policies, Request("s3:GetObject", "*", {"aws:MultiFactorAuthPresent": "true"})) is Decision.ALLOW


def test_string_like_if_exists_holds_for_requests_without_the_key():
    policy = allow(Action="ec2:*", Resource="*", Condition={"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}})
    assert decide(policy, "ec2:RunInstances", context={"ec2:InstanceType": "t2.micro"}) is Decision.ALLOW
    assert decide(policy, "ec2:RunInstances", context={"ec2:InstanceType": "m5.large"}) is not Decision.ALLOW
    assert decide(policy, "ec2:DescribeInstances") is Decision.ALLOW


def test_null_tests_presence():
    temporary_only = allow(Action="*", Resource="*", Condition={"Null": {"aws:TokenIssueTime": "false"}})
    long_term_only = allow(Action="*", Resource="*", Condition={"Null": {"aws:TokenIssueTime": "true"}})
    assert decide(temporary_only, context={"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}) is Decision.ALLOW
    assert decide(temporary_only) is not Decision.ALLOW
    assert decide(long_term_only) is Decision.ALLOW
    assert decide(long_term_only, context={"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}) is not Decision.ALLOW


def test_arn_like_source_arn():
    alarms = "arn:aws:cloudwatch:us-east-2:*:alarm:*"
    policy = allow(Action="sns:Publish", Resource="*", Condition={"ArnLike": {"aws:SourceArn": alarms}})
    east, west = "arn:aws:cloudwatch:us-east-2:111122223333:alarm:high", "arn:aws:cloudwatch:us-west-2:111122223333:alarm:high"
    assert decide(policy, "sns:Publish", context={"aws:SourceArn": east}) is Decision.ALLOW
    assert decide(policy, "sns:Publish", context={"aws:SourceArn": west}) is not Decision.ALLOW
    assert decide(policy, "sns:Publish") is not Decision.ALLOW
    not_like = allow(Action="*", Resource="*", Condition={"ArnNotLike": {"aws:SourceArn": "arn:aws:cloudwatch:*:*:alarm:*"}})
    assert decide(not_like) is Decision.ALLOW  # negated and absent: holds


@pytest.mark.parametrize(("tags", "for_all", "for_any"), [
    (["environment", "cost-center"], True, True),
    (["environment"], True, True),
    (["environment", "cost-center", "owner"], False, True),
    (["owner"], False, False),
    (None, True, False),  # no tags at all: ForAllValues holds (the documented pitfall), ForAnyValue does not
    ([], True, False),
])
def test_set_operators_on_tag_keys(tags, for_all, for_any):
    keys = ["environment", "cost-center"]
    all_policy = allow(Action="*", Resource="*", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": keys}})
    any_policy = allow(Action="*", Resource="*", Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": keys}})
    context = {} if tags is None else {"aws:TagKeys": tags}
    assert (decide(all_policy, context=context) is Decision.ALLOW) is for_all
    assert (decide(any_policy, context=context) is Decision.ALLOW) is for_any


def test_for_all_values_with_a_negated_operator():
    # no request tag key may start with "aws:" (each value must satisfy StringNotLike)
    policy = allow(Action="*", Resource="*", Condition={"ForAllValues:StringNotLike": {"aws:TagKeys": "aws:*"}})
    assert decide(policy, context={"aws:TagKeys": ["team", "env"]}) is Decision.ALLOW
    assert decide(policy, context={"aws:TagKeys": ["team", "aws:x"]}) is not Decision.ALLOW


def test_ip_address():
    policy = allow(Action="*", Resource="*", Condition={"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}})
    assert decide(policy, context={"aws:SourceIp": "203.0.113.9"}) is Decision.ALLOW
    assert decide(policy, context={"aws:SourceIp": "198.51.100.1"}) is not Decision.ALLOW


# ---------- Principal (trust policies) ----------

SESSION = Principal(arn="arn:aws:sts::123456789012:assumed-role/Worker/fn", account="123456789012",
                    role_arn="arn:aws:iam::123456789012:role/Worker")
LAMBDA = Principal(arn="lambda.amazonaws.com", service="lambda.amazonaws.com")


def trust(principal, **extra):
    return {"Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}]}


@pytest.mark.parametrize(("element", "who", "matches"), [
    ({"Service": "lambda.amazonaws.com"}, LAMBDA, True),
    ({"Service": "lambda.amazonaws.com"}, SESSION, False),
    ({"Service": ["states.amazonaws.com"]}, LAMBDA, False),
    ({"AWS": "123456789012"}, SESSION, True),  # an account id stands for its root: any principal of it
    ({"AWS": "arn:aws:iam::123456789012:root"}, SESSION, True),
    ({"AWS": "arn:aws:iam::210987654321:root"}, SESSION, False),
    ({"AWS": "arn:aws:iam::123456789012:role/Worker"}, SESSION, True),  # a role names its sessions
    ({"AWS": "arn:aws:iam::123456789012:role/Other"}, SESSION, False),
    ({"AWS": "arn:aws:sts::123456789012:assumed-role/Worker/fn"}, SESSION, True),
    ("*", SESSION, True),
])
def test_trust_policy_principals(element, who, matches):
    decision = decide(trust(element), "sts:AssumeRole", "arn:aws:iam::123456789012:role/R", principal=who)
    assert (decision is Decision.ALLOW) is matches


def test_a_statement_with_a_principal_never_matches_an_identity_request():
    assert decide(trust("*"), "sts:AssumeRole", "arn:aws:iam::123456789012:role/R") is Decision.IMPLICIT_DENY


def test_trust_policy_conditions_on_source_identity_and_session_tags():
    policy = trust({"AWS": "123456789012"}, Condition={
        "StringEquals": {"aws:RequestTag/TranslateJobAccount": "123456789012"},
        "StringLike": {"sts:SourceIdentity": "123456789012-*"},
    })
    role = "arn:aws:iam::123456789012:role/Data"
    good = {"aws:RequestTag/TranslateJobAccount": "123456789012", "sts:SourceIdentity": "123456789012-job"}
    assert decide(policy, "sts:AssumeRole", role, good, SESSION) is Decision.ALLOW
    assert decide(policy, "sts:AssumeRole", role, {**good, "aws:RequestTag/TranslateJobAccount": "210987654321"}, SESSION) \
        is not Decision.ALLOW
    assert decide(policy, "sts:AssumeRole", role, {"aws:RequestTag/TranslateJobAccount": "123456789012"}, SESSION) \
        is not Decision.ALLOW


def assume(principal, context=None):
    return Request("sts:AssumeRole", "arn:aws:iam::123456789012:role/Data", context or {}, principal)


def test_naming_the_principal_itself_or_only_its_account():
    assert allows_by_name(trust({"AWS": "arn:aws:iam::123456789012:role/Worker"}), assume(SESSION))
    assert not allows_by_name(trust({"AWS": "123456789012"}), assume(SESSION))
    assert allows_by_name(trust({"Service": "lambda.amazonaws.com"}), assume(LAMBDA))


def test_a_statement_naming_the_principal_allows_only_its_own_actions_under_its_conditions():
    # issue 26 item 13: W named only for sts:TagSession, under a condition, may not assume the role by that
    tag_only = trust({"AWS": "arn:aws:iam::123456789012:role/Worker"}, Action="sts:TagSession",
                     Condition={"StringEquals": {"aws:RequestTag/Team": "blue"}})
    assert not allows_by_name(tag_only, assume(SESSION))
    assert not allows_by_name(tag_only, Request("sts:TagSession", "arn:aws:iam::123456789012:role/Data", {}, SESSION))
    assert allows_by_name(tag_only, Request("sts:TagSession", "arn:aws:iam::123456789012:role/Data",
                                            {"aws:RequestTag/Team": "blue"}, SESSION))
    conditional = trust({"AWS": "arn:aws:iam::123456789012:role/Worker"},
                        Condition={"StringLike": {"sts:SourceIdentity": "123456789012-*"}})
    assert not allows_by_name(conditional, assume(SESSION))
    assert allows_by_name(conditional, assume(SESSION, {"sts:SourceIdentity": "123456789012-j1"}))
