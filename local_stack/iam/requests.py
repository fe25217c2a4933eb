"""What IAM authorizes for a request as moto receives it: the action(s), resource ARN(s), context keys.

Covers every operation the template's functions make (docs/security.md "The calls each function
makes"). ``checks`` returns None for an operation it does not know: the enforcement denies it for
a function principal and logs its name, so a gap is visible instead of silently allowed.
"""

import json
import urllib.parse
from collections.abc import Callable, Mapping
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
    resource = _RESOURCES.get(call.service, {}).get(call.operation)
    if resource is not None:  # one action, on the one resource the request names
        return [Check(f"{call.service}:{_ACTIONS.get(call.operation, call.operation)}", resource(call))]
    several = _SEVERAL.get(call.service)
    return several(call) if several else None


def _arn(call: Call, name: str, kind: str) -> str:
    """A resource named by ARN, or by name (``kind`` then name) in the call's service, region and account."""
    return name if name.startswith("arn:") else f"arn:aws:{call.service}:{call.region}:{call.account}:{kind}{name}"


def _param(name: str) -> Callable[[Call], str]:
    return lambda call: str(call.body.get(name, ""))


def _any(call: Call) -> str:
    return "*"


# ---------- DynamoDB ----------

_DYNAMODB_ITEM_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                          "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


def _table(call: Call) -> str:
    arn = _arn(call, call.body.get("TableName", ""), "table/")
    return f"{arn}/index/{call.body['IndexName']}" if call.body.get("IndexName") else arn


def _stream(call: Call) -> str:
    # moto's shard iterators are "<stream arn>|..."-shaped; an unknown shape names no resource.
    iterator = str(call.body.get("ShardIterator", ""))
    return call.body.get("StreamArn") or (iterator.split("|")[0] if iterator.startswith("arn:") else "*")


def _dynamodb(call: Call) -> list[Check] | None:
    """The operations on several tables: each item's or table's own action and table."""
    if call.operation in ("TransactWriteItems", "TransactGetItems"):
        return [Check(f"dynamodb:{_DYNAMODB_ITEM_ACTIONS[kind]}", _arn(call, request.get("TableName", ""), "table/"))
                for item in call.body.get("TransactItems", []) for kind, request in item.items()]
    if call.operation in ("BatchGetItem", "BatchWriteItem"):
        return [Check(f"dynamodb:{call.operation}", _arn(call, table, "table/")) for table in call.body.get("RequestItems", {})]
    return None


# ---------- S3 ----------


# Bucket configurations (acl, policy, ...): not operations the functions make.
_BUCKET_SUBRESOURCES = {"acl", "policy", "cors", "lifecycle", "tagging", "versioning", "website", "notification",
                        "encryption", "logging", "replication", "ownershipControls", "publicAccessBlock", "object-lock",
                        "accelerate", "requestPayment", "analytics", "inventory", "metrics", "intelligent-tiering",
                        "policyStatus", "delete"}


def _s3(call: Call) -> list[Check] | None:
    method, query = call.method.upper(), call.query
    if not call.bucket:
        return [Check("s3:ListAllMyBuckets", "*")] if method == "GET" else None
    bucket_arn = f"arn:aws:s3:::{call.bucket}"
    if call.key:
        return _s3_object(call, method, f"{bucket_arn}/{call.key}")
    if method == "POST" and "delete" in query:
        # DeleteObjects: AWS checks s3:DeleteObject on each key of its XML body; here on every key of the bucket
        # (stricter, never more lenient: a policy granting bucket/* passes both).
        return [Check("s3:DeleteObject", f"{bucket_arn}/*")]
    if method not in ("GET", "HEAD"):
        return None
    for name, action in (("uploads", "ListBucketMultipartUploads"), ("versions", "ListBucketVersions"),
                         ("location", "GetBucketLocation")):
        if name in query:
            return [Check(f"s3:{action}", bucket_arn)]
    if set(query) & _BUCKET_SUBRESOURCES:
        return None
    context = {f"s3:{name}": query[name][0] for name in ("prefix", "delimiter", "max-keys") if query.get(name)}
    return [Check("s3:ListBucket", bucket_arn, context)]


def _s3_object(call: Call, method: str, arn: str) -> list[Check] | None:
    query = call.query
    if method in ("GET", "HEAD"):
        if "tagging" in query:
            return [Check("s3:GetObjectTagging", arn)]
        return [Check("s3:ListMultipartUploadParts" if "uploadId" in query else "s3:GetObject", arn)]
    if method == "PUT" and "tagging" in query:
        return [Check("s3:PutObjectTagging", arn)]
    if method == "PUT" or (method == "POST" and {"uploads", "uploadId"} & set(query)):
        # PutObject, UploadPart, CopyObject, UploadPartCopy; Create- (?uploads) and CompleteMultipartUpload (?uploadId)
        found = [Check("s3:PutObject", arn, _s3_put_context(call))]
        source = call.headers.get("x-amz-copy-source") or call.headers.get("X-Amz-Copy-Source")
        if source and method == "PUT":  # CopyObject / UploadPartCopy: also read the source
            found.append(Check("s3:GetObject", f"arn:aws:s3:::{urllib.parse.unquote(source.split('?')[0]).lstrip('/')}"))
        return found
    if method == "DELETE":
        return [Check("s3:AbortMultipartUpload" if "uploadId" in query else "s3:DeleteObject", arn)]
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


def _role(call: Call) -> str:
    return f"arn:aws:iam::{call.account}:role/{_first(call, 'RoleName')}"


# ---------- JSON protocols: EventBridge, SQS, Lambda (REST) ----------


def _events(call: Call) -> list[Check] | None:
    if call.operation != "PutEvents":
        return None
    found: dict[tuple[str, str], Check] = {}  # one check per bus, source and detail-type
    for entry in call.body.get("Entries", []):
        arn = _arn(call, entry.get("EventBusName") or "default", "event-bus/")
        context: dict[str, ContextValue] = {"events:source": str(entry.get("Source", "")),
                                            "events:detail-type": str(entry.get("DetailType", ""))}
        found.setdefault((arn, json.dumps(context, sort_keys=True)), Check("events:PutEvents", arn, context))
    return list(found.values())


def _queue(call: Call) -> str:
    if call.operation == "GetQueueUrl":
        account = call.body.get("QueueOwnerAWSAccountId") or call.account
        queue = call.body.get("QueueName", "")
    else:  # https://sqs.<region>.amazonaws.com/<account>/<name>: the ARN is built from the last two segments
        account, queue = (str(call.body.get("QueueUrl", "")).rstrip("/").split("/")[-2:] + ["", ""])[:2]
    return f"arn:aws:sqs:{call.region}:{account}:{queue}"


def _secret(call: Call) -> str:
    return _arn(call, str(call.body.get("SecretId", "")), "secret:")


def _function(call: Call) -> str:
    # /2015-03-31/functions/<name, partial or full ARN>/invocations
    arn = _arn(call, urllib.parse.unquote(call.path.rstrip("/").split("/")[-2]), "function:")
    qualifier = _first(call, "Qualifier")
    return f"{arn}:{qualifier}" if qualifier else arn


# operation -> the resource it is on, for the operations of one action on one resource
_RESOURCES: dict[str, dict[str, Callable[[Call], str]]] = {
    "dynamodb": {**dict.fromkeys(("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "DescribeTable",
                                  "DescribeTimeToLive", "DescribeContinuousBackups", "UpdateTable", "DeleteTable",
                                  "CreateTable", "UpdateContinuousBackups", "UpdateTimeToLive"), _table),
                 **dict.fromkeys(("ListTables", "DescribeLimits", "DescribeEndpoints", "ListStreams"), _any),
                 **dict.fromkeys(("DescribeStream", "GetShardIterator", "GetRecords"), _stream)},
    "iam": {"SimulatePrincipalPolicy": lambda call: _first(call, "PolicySourceArn") or "*",
            **dict.fromkeys(("GetRole", "ListRolePolicies", "ListAttachedRolePolicies"), _role)},
    "states": {**dict.fromkeys(("StartExecution", "StartSyncExecution", "DescribeStateMachine", "ListExecutions"),
                               _param("stateMachineArn")),
               **dict.fromkeys(("DescribeExecution", "StopExecution", "GetExecutionHistory",
                                "DescribeStateMachineForExecution"), _param("executionArn")),
               "ListStateMachines": _any},
    "sqs": dict.fromkeys(("SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch",
                          "ChangeMessageVisibility", "ChangeMessageVisibilityBatch", "GetQueueAttributes", "GetQueueUrl",
                          "PurgeQueue", "SetQueueAttributes"), _queue),
    "secretsmanager": dict.fromkeys(("GetSecretValue", "DescribeSecret"), _secret),
    "lambda": {"Invoke": _function},
    "translate": {"TranslateText": _any},
}
# operation -> its action, where they differ: a batch needs the single action
_ACTIONS = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
            "ChangeMessageVisibilityBatch": "ChangeMessageVisibility", "Invoke": "InvokeFunction"}
# the services with operations that need several checks, or none
_SEVERAL: dict[str, Callable[[Call], list[Check] | None]] = {
    "dynamodb": _dynamodb, "s3": _s3, "sts": _sts, "events": _events}
