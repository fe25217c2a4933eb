"""A function's ``Policies`` as SAM turns them into its role's policy documents.

Inline ``Statement`` documents, ``Fn::If`` on the template's Conditions (``AWS::NoValue`` drops the
entry), and the SAM policy templates this project could use, expanded with the statements of SAM's
own policy_templates.json. A template or managed policy name not listed here is an error, so a gap
shows at provisioning instead of as a silently missing permission.
"""

from typing import Any

from local_stack.template import Resolver

_TABLE = ["arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}",
          "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}/index/*"]
_BUCKET = ["arn:${AWS::Partition}:s3:::${BucketName}", "arn:${AWS::Partition}:s3:::${BucketName}/*"]
_QUEUE = ["arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${QueueName}"]

# template name -> its statements [(actions, resources)]; ${Name} is the parameter the template is given
SAM_POLICY_TEMPLATES: dict[str, list[tuple[list[str], list[str]]]] = {
    "LambdaInvokePolicy": [(["lambda:InvokeFunction"],
                            ["arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${FunctionName}*"])],
    "DynamoDBCrudPolicy": [(["dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:Query",
                             "dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem", "dynamodb:DescribeTable",
                             "dynamodb:ConditionCheckItem"], _TABLE)],
    "DynamoDBReadPolicy": [(["dynamodb:GetItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:BatchGetItem",
                             "dynamodb:DescribeTable"], _TABLE)],
    "DynamoDBWritePolicy": [(["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"], _TABLE)],
    "S3ReadPolicy": [(["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion",
                       "s3:GetLifecycleConfiguration"], _BUCKET)],
    "S3WritePolicy": [(["s3:PutObject", "s3:PutObjectAcl", "s3:PutLifecycleConfiguration"], _BUCKET)],
    "S3CrudPolicy": [(["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion", "s3:PutObject",
                       "s3:PutObjectAcl", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration",
                       "s3:DeleteObject"], _BUCKET)],
    "SQSSendMessagePolicy": [(["sqs:SendMessage*"], _QUEUE)],
    "SQSPollerPolicy": [(["sqs:ChangeMessageVisibility", "sqs:ChangeMessageVisibilityBatch", "sqs:DeleteMessage",
                          "sqs:DeleteMessageBatch", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"], _QUEUE)],
    "EventBridgePutEventsPolicy": [(["events:PutEvents"],
                                    ["arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${EventBusName}"])],
    "StepFunctionsExecutionPolicy": [(["states:StartExecution"],
                                      ["arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${StateMachineName}"])],
    "AWSSecretsManagerGetSecretValuePolicy": [(["secretsmanager:GetSecretValue"], ["${SecretArn}"])],
}


class UnsupportedPolicyError(ValueError):
    pass


def condition_true(template: dict[str, Any], name: str, resolver: Resolver) -> bool:
    return bool(_condition(template, template.get("Conditions", {})[name], resolver))


def _condition(template: dict[str, Any], node: Any, resolver: Resolver) -> Any:
    if isinstance(node, dict) and len(node) == 1:
        (key, value), = node.items()
        if key == "Fn::Equals":
            left, right = (_condition(template, v, resolver) for v in value)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not _condition(template, value[0], resolver)
        if key == "Fn::And":
            return all(_condition(template, v, resolver) for v in value)
        if key == "Fn::Or":
            return any(_condition(template, v, resolver) for v in value)
        if key == "Condition":
            return condition_true(template, value, resolver)
    return resolver.resolve(node)


def _without_if(template: dict[str, Any], node: Any, resolver: Resolver) -> Any:
    """Fn::If resolved; AWS::NoValue becomes None (dropped by the caller)."""
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            name, when_true, when_false = node["Fn::If"]
            return _without_if(template, when_true if condition_true(template, name, resolver) else when_false, resolver)
        if node == {"Ref": "AWS::NoValue"}:
            return None
        return {key: _without_if(template, value, resolver) for key, value in node.items()}
    if isinstance(node, list):
        return [value for value in (_without_if(template, v, resolver) for v in node) if value is not None]
    return node


def function_policies(template: dict[str, Any], policies: list[Any], resolver: Resolver) -> list[dict[str, Any]]:
    """The policy documents of a function's role, from its Policies property."""
    documents = []
    for entry in _without_if(template, policies, resolver):
        if isinstance(entry, dict) and "Statement" in entry:
            documents.append({"Version": "2012-10-17", "Statement": resolver.resolve(entry["Statement"])})
        elif isinstance(entry, dict) and len(entry) == 1 and next(iter(entry)) in SAM_POLICY_TEMPLATES:
            (name, parameters), = entry.items()
            values = {key: str(resolver.resolve(value)) for key, value in (parameters or {}).items()}
            statements = [
                {"Effect": "Allow", "Action": actions,
                 "Resource": [resolver.substitute(resource, values) for resource in resources]}
                for actions, resources in SAM_POLICY_TEMPLATES[name]
            ]
            documents.append({"Version": "2012-10-17", "Statement": statements})
        else:
            raise UnsupportedPolicyError(
                f"local_stack cannot expand the function policy {entry!r}: add it to local_stack/iam/sam.py"
            )
    return documents
