"""What IAM authorizes for a request as moto receives it: the action(s), resource ARN(s), context keys.

Covers every operation the template's functions make (docs/security.md "The calls each function
makes"). ``checks`` returns None for an operation it does not know: the enforcement denies it for
a function principal and logs its name, so a gap is visible instead of silently allowed.
"""

import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from local_stack.iam.policy import ContextValue


@dataclass(frozen=True)
class Check:
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """One request: its signing service, operation and parameters."""

    service: str  # the SigV4 signing name: dynamodb, s3, sts, states, events, sqs, ...
    operation: str  # e.g. UpdateItem
    region: str
    account: str  # the account that owns the resources named by name (not ARN)
    body: Mapping[str, Any] = field(default_factory=dict)  # JSON protocols
    query: Mapping[str, list[str]] = field(default_factory=dict)  # query protocols; S3's query string
    headers: Mapping[str, str] = field(default_factory=dict)
    bucket: str | None = None  # S3
    key: str | None = None  # S3
    method: str = "POST"
    path: str = ""  # REST protocols (Lambda): the resource is in the path


def checks(call: Call) -> list[Check] | None:
    handler = _SERVICES.get(call.service)
    return handler(call) if handler else None


# ---------- DynamoDB ----------

_DYNAMODB_ITEM_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                          "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
_DYNAMODB_TABLE_OPERATIONS = {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "DescribeTable",
                              "DescribeTimeToLive", "DescribeContinuousBackups", "UpdateTable", "DeleteTable",
                              "CreateTable", "UpdateContinuousBackups", "UpdateTimeToLive"}


def _table_arn(call: Call, table: str, index: str | None = None) -> str:
    arn = table if table.startswith("arn:") else f"arn:aws:dynamodb:{call.region}:{call.account}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


def _dynamodb(call: Call) -> list[Check] | None:
    body, operation = call.body, call.operation
    if operation in _DYNAMODB_TABLE_OPERATIONS:
        return [Check(f"dynamodb:{operation}", _table_arn(call, body.get("TableName", ""), body.get("IndexName")))]
    if operation in ("TransactWriteItems", "TransactGetItems"):
        found = []
        for item in body.get("TransactItems", []):
            for kind, request in item.items():
                found.append(Check(f"dynamodb:{_DYNAMODB_ITEM_ACTIONS[kind]}", _table_arn(call, request.get("TableName", ""))))
        return found
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [Check(f"dynamodb:{operation}", _table_arn(call, table)) for table in body.get("RequestItems", {})]
    if operation in ("ListTables", "DescribeLimits", "DescribeEndpoints"):
        return [Check(f"dynamodb:{operation}", "*")]
    if operation in ("DescribeStream", "GetShardIterator", "GetRecords"):
        return [Check(f"dynamodb:{operation}", body.get("StreamArn") or _stream_of_iterator(body))]
    if operation == "ListStreams":
        return [Check("dynamodb:ListStreams", "*")]
    return None


def _stream_of_iterator(body: Mapping[str, Any]) -> str:
    # moto's shard iterators are "<stream arn>/..."-shaped; an unknown shape names no resource.
    iterator = str(body.get("ShardIterator", ""))
    return iterator.split("|")[0] if iterator.startswith("arn:") else "*"


# ---------- S3 ----------


_BUCKET_SUBRESOURCES = {"acl", "policy", "cors", "lifecycle", "tagging", "versioning", "website", "notification",
                        "encryption", "logging", "replication", "ownershipControls", "publicAccessBlock", "object-lock",
                        "accelerate", "requestPayment", "analytics", "inventory", "metrics", "intelligent-tiering",
                        "policyStatus", "delete"}


def _s3(call: Call) -> list[Check] | None:
    bucket, key, method, query = call.bucket, call.key, call.method.upper(), call.query
    if not bucket:
        return [Check("s3:ListAllMyBuckets", "*")] if method == "GET" else None
    bucket_arn = f"arn:aws:s3:::{bucket}"
    if key:
        object_arn = f"{bucket_arn}/{key}"
        if method in ("GET", "HEAD"):
            if "tagging" in query:
                return [Check("s3:GetObjectTagging", object_arn)]
            if "uploadId" in query:
                return [Check("s3:ListMultipartUploadParts", object_arn)]
            return [Check("s3:GetObject", object_arn)]
        if method == "PUT":
            if "tagging" in query:
                return [Check("s3:PutObjectTagging", object_arn)]
            found = [Check("s3:PutObject", object_arn, _s3_put_context(call))]
            source = call.headers.get("x-amz-copy-source") or call.headers.get("X-Amz-Copy-Source")
            if source:  # CopyObject / UploadPartCopy: also read the source
                source_path = urllib.parse.unquote(source.split("?")[0]).lstrip("/")
                found.append(Check("s3:GetObject", f"arn:aws:s3:::{source_path}"))
            return found
        if method == "POST":  # CreateMultipartUpload (?uploads) and CompleteMultipartUpload (?uploadId)
            return [Check("s3:PutObject", object_arn, _s3_put_context(call))] if {"uploads", "uploadId"} & set(query) else None
        if method == "DELETE":
            return [Check("s3:AbortMultipartUpload" if "uploadId" in query else "s3:DeleteObject", object_arn)]
        return None
    if method == "POST" and "delete" in query:
        # DeleteObjects: AWS checks s3:DeleteObject on each key of its XML body; here on every key of the bucket
        # (stricter, never more lenient: a policy granting bucket/* passes both).
        return [Check("s3:DeleteObject", f"{bucket_arn}/*")]
    if method in ("GET", "HEAD"):
        if "uploads" in query:
            return [Check("s3:ListBucketMultipartUploads", bucket_arn)]
        if "versions" in query:
            return [Check("s3:ListBucketVersions", bucket_arn)]
        if "location" in query:
            return [Check("s3:GetBucketLocation", bucket_arn)]
        if set(query) & _BUCKET_SUBRESOURCES:
            return None  # a bucket configuration (acl, policy, ...): not one the functions use
        context: dict[str, ContextValue] = {f"s3:{name}": query[name][0] for name in ("prefix", "delimiter", "max-keys")
                                            if query.get(name)}
        return [Check("s3:ListBucket", bucket_arn, context)]
    return None


def _s3_put_context(call: Call) -> dict[str, ContextValue]:
    headers = {name.lower(): value for name, value in call.headers.items()}
    return {f"s3:{name}": headers[name] for name in ("x-amz-server-side-encryption",
                                                     "x-amz-server-side-encryption-aws-kms-key-id") if name in headers}


# ---------- STS and IAM (query protocol) ----------


def _first(call: Call, name: str) -> str | None:
    values = call.query.get(name)
    return values[0] if values else None


def session_tags(query: Mapping[str, list[str]]) -> dict[str, str]:
    tags, number = {}, 1
    while f"Tags.member.{number}.Key" in query:
        tags[query[f"Tags.member.{number}.Key"][0]] = (query.get(f"Tags.member.{number}.Value") or [""])[0]
        number += 1
    return tags


def _sts(call: Call) -> list[Check] | None:
    if call.operation == "GetCallerIdentity":
        return []  # needs no permission (AWS: always allowed)
    if call.operation != "AssumeRole":
        return None
    role = _first(call, "RoleArn") or ""
    context: dict[str, ContextValue] = {}
    source_identity = _first(call, "SourceIdentity")
    tags = session_tags(call.query)
    if source_identity is not None:
        context["sts:SourceIdentity"] = source_identity
    for name in ("RoleSessionName", "ExternalId"):
        if value := _first(call, name):
            context[f"sts:{name}"] = value
    if tags:
        context["aws:TagKeys"] = list(tags)
        context.update({f"aws:RequestTag/{key}": value for key, value in tags.items()})
    found = [Check("sts:AssumeRole", role, context)]
    if source_identity is not None:  # setting a source identity is its own permission
        found.append(Check("sts:SetSourceIdentity", role, context))
    if tags:  # and so is passing session tags
        found.append(Check("sts:TagSession", role, context))
    return found


def _iam(call: Call) -> list[Check] | None:
    if call.operation == "SimulatePrincipalPolicy":
        return [Check("iam:SimulatePrincipalPolicy", _first(call, "PolicySourceArn") or "*")]
    if call.operation in ("GetRole", "ListRolePolicies", "ListAttachedRolePolicies"):
        return [Check(f"iam:{call.operation}", f"arn:aws:iam::{call.account}:role/{_first(call, 'RoleName')}")]
    return None


# ---------- JSON protocols: Step Functions, EventBridge, SQS, Secrets Manager, Translate ----------


def _states(call: Call) -> list[Check] | None:
    body = call.body
    if call.operation in ("StartExecution", "StartSyncExecution", "DescribeStateMachine", "ListExecutions"):
        return [Check(f"states:{call.operation}", body.get("stateMachineArn", ""))]
    if call.operation in ("DescribeExecution", "StopExecution", "GetExecutionHistory", "DescribeStateMachineForExecution"):
        return [Check(f"states:{call.operation}", body.get("executionArn", ""))]
    if call.operation == "ListStateMachines":
        return [Check("states:ListStateMachines", "*")]
    return None


def _events(call: Call) -> list[Check] | None:
    if call.operation != "PutEvents":
        return None
    found: dict[tuple[str, str], Check] = {}  # one check per bus, source and detail-type
    for entry in call.body.get("Entries", []):
        bus = entry.get("EventBusName") or "default"
        arn = bus if bus.startswith("arn:") else f"arn:aws:events:{call.region}:{call.account}:event-bus/{bus}"
        context: dict[str, ContextValue] = {"events:source": str(entry.get("Source", "")),
                                            "events:detail-type": str(entry.get("DetailType", ""))}
        found.setdefault((arn, json.dumps(context, sort_keys=True)), Check("events:PutEvents", arn, context))
    return list(found.values())


_SQS_OPERATIONS = {"SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch",
                   "ChangeMessageVisibility", "ChangeMessageVisibilityBatch", "GetQueueAttributes", "GetQueueUrl",
                   "PurgeQueue", "SetQueueAttributes"}
_SQS_BATCH_ACTIONS = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
                      "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}


def _sqs(call: Call) -> list[Check] | None:
    if call.operation not in _SQS_OPERATIONS:
        return None
    if call.operation == "GetQueueUrl":
        account = call.body.get("QueueOwnerAWSAccountId") or call.account
        queue = call.body.get("QueueName", "")
    else:  # https://sqs.<region>.amazonaws.com/<account>/<name>: the ARN is built from the last two segments
        account, queue = (str(call.body.get("QueueUrl", "")).rstrip("/").split("/")[-2:] + ["", ""])[:2]
    action = _SQS_BATCH_ACTIONS.get(call.operation, call.operation)  # a batch needs the single action
    return [Check(f"sqs:{action}", f"arn:aws:sqs:{call.region}:{account}:{queue}")]


def _secretsmanager(call: Call) -> list[Check] | None:
    if call.operation in ("GetSecretValue", "DescribeSecret"):
        secret = str(call.body.get("SecretId", ""))
        arn = secret if secret.startswith("arn:") else f"arn:aws:secretsmanager:{call.region}:{call.account}:secret:{secret}"
        return [Check(f"secretsmanager:{call.operation}", arn)]
    return None


def _lambda(call: Call) -> list[Check] | None:
    if call.operation != "Invoke":
        return None
    # /2015-03-31/functions/<name, partial or full ARN>/invocations
    name = urllib.parse.unquote(call.path.rstrip("/").split("/")[-2])
    arn = name if name.startswith("arn:") else f"arn:aws:lambda:{call.region}:{call.account}:function:{name}"
    qualifier = _first(call, "Qualifier")
    return [Check("lambda:InvokeFunction", f"{arn}:{qualifier}" if qualifier else arn)]


def _translate(call: Call) -> list[Check] | None:
    if call.operation == "TranslateText":
        return [Check("translate:TranslateText", "*")]
    return None


_SERVICES: dict[str, Any] = {
    "dynamodb": _dynamodb, "s3": _s3, "sts": _sts, "iam": _iam, "states": _states, "events": _events,
    "sqs": _sqs, "secretsmanager": _secretsmanager, "translate": _translate, "lambda": _lambda,
}
