"""The moto stack of tests/integration: moto in-process with template.yaml provisioned into it, and what
tests do with it (jobs written or started, requests as the HTTP API sends them, executions waited for).

The stack is created by local_stack.provision from template.yaml itself (tables, buckets, functions,
the state machine from statemachine/), so tests and infrastructure cannot drift. The fixtures that
hand it to tests are in tests/integration/conftest.py.
"""

import contextlib
import functools
import json
import os
import time
import uuid
from collections.abc import Collection, Iterator
from typing import Any

import boto3

from tests.support import (  # start_request: re-exported, the integration tests import it from here
    ACCOUNT,
    DATA_ACCESS_ROLE,
    OTHER_ACCOUNT,
    REGION,
    TARGET_PREFIX,
    start_request,
    use_test_environment,
)

use_test_environment()  # before moto is imported

from moto import mock_aws  # noqa: E402

from local_stack.front import build_event  # noqa: E402
from local_stack.patches import Patched  # noqa: E402
from local_stack.provision import Stack, provision  # noqa: E402
from local_stack.stack import DEFAULT_ACCOUNT, MOTO_CONFIG, patch_moto_before_provisioning, patch_moto_for  # noqa: E402
from translate_jobs_local.app import TRANSLATE_JOBS  # noqa: E402
from translate_jobs_local.data_access import create_data_access_role  # noqa: E402

assert ACCOUNT == DEFAULT_ACCOUNT, "the tests' account is the local stack's default account"
__all__ = ["ACCOUNT", "DATA_ACCESS_ROLE", "OTHER_ACCOUNT", "REGION", "TARGET_PREFIX"]


MAP_LANES = 4  # the tests' MapMaxConcurrency


def counted_batches(stack: Any, account: str, job_id: str) -> set[int]:
    """The batches of a job whose counts were added: their markers in BatchCountsTable."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    prefix = f"{account}#{job_id}#"
    items = dynamodb.scan(TableName=stack.resolver.refs["BatchCountsTable"])["Items"]  # a test's table is small
    return {int(item["BatchId"]["S"][len(prefix):]) for item in items if item["BatchId"]["S"].startswith(prefix)}


def configure(stack: Stack, **variables: str) -> None:
    """Give every function of the stack these environment variables, as deploying a changed template
    parameter would: each function's next invocation starts a new execution environment, its settings,
    clients and store built from its new environment (local_stack.runtime ``update_configuration``)."""
    for function in stack.runtime.functions:
        stack.runtime.update_configuration(function, **variables)


def job_store() -> Any:
    """A store of the test's own, for reading and writing jobs directly (the template's tables, its
    default quotas): built as the functions build theirs, from the environment."""
    from translate_jobs.core.config import Settings
    from translate_jobs.dal.store import JobStore

    return JobStore(Settings.from_environ(os.environ))


def workflow_dependencies() -> Any:
    """The workflow's dependencies, the test's own (built as the worker functions build theirs), for
    calling the steps directly."""
    from translate_jobs.core.config import Settings
    from translate_jobs.workflow.dependencies import WorkflowDependencies

    return WorkflowDependencies.from_settings(Settings.from_environ(os.environ))


class SessionStack:
    """One moto (in-process, Step Functions executing) with template.yaml provisioned, for the whole test run.

    Provisioning the template takes seconds; resetting what a test may have changed takes milliseconds.
    So the stack is provisioned once, and before each test its state goes back to just-provisioned:
    executions finished, tables recreated from the template, buckets, queues, rules, roles and users that
    tests made removed, the template's queues purged and its work bucket emptied, the environment
    restored, and every function back to its template configuration in a new execution environment (each
    test's first invocation of a function is a cold start). A test that needs a moto of its own (an
    in-process `make run`) calls ``suspend()`` first; the next test that asks for ``stack`` provisions again.
    """

    def __init__(self) -> None:
        self.stack: Stack | None = None
        self._mock: Any = None
        self._patched = Patched()
        self._environ: dict[str, str] = {}
        self._outer_environ: dict[str, str] = {}
        self._provisioned: dict[str, set[str]] = {}
        self.local_stack_running = False
        self._roles: dict[str, tuple[str, dict[str, str]]] = {}
        self._clean: dict[str, Any] = {}  # _footprint of the stack as just provisioned

    def get(self) -> Stack:
        assert not self.local_stack_running, "an in-process `make run` is running: give its tests a module of their own"
        if self.stack is None:
            self._outer_environ = dict(os.environ)
            self._mock = mock_aws(config=MOTO_CONFIG)  # type: ignore[call-overload]  # (a plain dict, not its TypedDict)
            self._mock.start()
            patch_moto_before_provisioning(self._patched)
            # A queued job checks for a free slot every QueuePollSeconds (10 by default): tests wait 1. The
            # Map runs MAP_LANES batches at once (100 by default), so a stop lands with batches not yet begun.
            stack = provision(ACCOUNT, REGION, {"QueuePollSeconds": "1", "MapMaxConcurrency": str(MAP_LANES)}, TRANSLATE_JOBS)
            stack.runtime.apply_environment()
            os.environ["DEFAULT_ACCOUNT_ID"] = ACCOUNT
            self._environ = dict(os.environ)
            patch_moto_for(self._patched, stack, ACCOUNT, REGION)  # as `make run`'s: IAM enforced too
            create_data_access_role(boto3.client("iam", region_name=REGION), DATA_ACCESS_ROLE.rsplit("/", 1)[-1],
                                    service_account=ACCOUNT, job_account=ACCOUNT, input_buckets=["*"], output_buckets=["*"])
            self._provisioned = _resource_names()
            self._roles = _role_policies()
            self._clean = _footprint(stack)
            self.stack = stack
        return self.stack

    def reset(self) -> Stack:
        """The stack as just provisioned (see the class docstring)."""
        stack = self.get()
        _finish_executions(stack)
        os.environ.clear()
        os.environ.update(self._environ)
        stack.runtime.restore_configurations()
        forget_table_connections()
        # Most tests change a table or a bucket, few a queue, a rule or a role: only what changed is undone
        # (requests to moto cost a millisecond or more each; looking at its backends, microseconds).
        now = _footprint(stack)
        changed = {part for part in now.keys() | self._clean.keys() if now.get(part) != self._clean.get(part)}
        _recreate(stack, self._provisioned, changed)
        if "role_policies" in changed:
            _restore_role_policies(self._roles)  # a test may have taken a permission away from a template role
        if changed:
            self._clean = _footprint(stack)
        return stack

    def suspend(self) -> None:
        """Give moto back: stop it (which clears every backend) and restore the environment."""
        if self.stack is None:
            return
        _finish_executions(self.stack)
        self._patched.undo()
        self._mock.stop()
        os.environ.clear()
        os.environ.update(self._outer_environ)
        forget_table_connections()
        _client.cache_clear()
        self.stack = None


SESSION = SessionStack()


def _finish_executions(stack: Stack, timeout: float = 30) -> None:
    """Let executions still running (a test that ended before its job) end, stopping those that wait."""
    from moto.stepfunctions.parser.backend.execution_worker import TMP_THREADS

    def join(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        for thread in list(TMP_THREADS):
            thread.join(max(0.0, deadline - time.monotonic()))

    join(2)
    if any(thread.is_alive() for thread in TMP_THREADS):
        sfn = _client("stepfunctions")
        pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=stack.state_machine_arn, statusFilter="RUNNING")
        for execution in (execution for page in pages for execution in page["executions"]):
            with contextlib.suppress(Exception):  # one that is just starting has nothing to stop yet
                sfn.stop_execution(executionArn=execution["executionArn"])
        join(timeout)
    assert not any(thread.is_alive() for thread in TMP_THREADS), "a workflow execution of an earlier test is still running"
    TMP_THREADS.clear()


def forget_table_connections() -> None:
    """PynamoDB keeps one connection per model class, which every function's store shares in this process:
    new execution environments (or another endpoint) make new clients, without the hooks an earlier test
    put on them."""
    from translate_jobs.dal.customizations import CustomizationRecord
    from translate_jobs.dal.store import AccountUsage, JobRecord

    for model in (JobRecord, AccountUsage, CustomizationRecord):
        model._connection = None


def _resource_names() -> dict[str, set[str]]:
    """What exists right after provisioning, so what a test adds can be removed."""
    events = _client("events")
    return {
        "buckets": {b["Name"] for b in _client("s3").list_buckets()["Buckets"]},
        "queues": set(_client("sqs").list_queues().get("QueueUrls", [])),
        "roles": {r["RoleName"] for r in _client("iam").list_roles()["Roles"]},
        "users": {u["UserName"] for u in _client("iam").list_users()["Users"]},
        "state_machines": {m["stateMachineArn"] for m in _client("stepfunctions").list_state_machines()["stateMachines"]},
        "rules": {
            f"{bus['Name']}/{rule['Name']}"
            for bus in events.list_event_buses()["EventBuses"]
            for rule in events.list_rules(EventBusName=bus["Name"])["Rules"]
        },
    }


def _role_policies() -> dict[str, tuple[str, dict[str, str]]]:
    """Each role's trust policy and inline policies, as JSON text (one IAM request)."""
    details = _client("iam").get_account_authorization_details(Filter=["Role"])
    return {
        role["RoleName"]: (
            json.dumps(role["AssumeRolePolicyDocument"], sort_keys=True),
            {policy["PolicyName"]: json.dumps(policy["PolicyDocument"], sort_keys=True) for policy in role["RolePolicyList"]},
        )
        for role in details["RoleDetailList"]
    }


def _restore_role_policies(saved: dict[str, tuple[str, dict[str, str]]]) -> None:
    iam = _client("iam")
    now = _role_policies()
    for name, (trust, inline) in saved.items():
        if name not in now:
            continue
        if now[name][0] != trust:
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=trust)
        for policy, document in inline.items():
            if now[name][1].get(policy) != document:
                iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=document)
        for policy in set(now[name][1]) - set(inline):
            iam.delete_role_policy(RoleName=name, PolicyName=policy)


@functools.cache
def _client(service: str) -> Any:
    """The stack's own client of a service, made once (a boto3 client takes milliseconds to make)."""
    return boto3.client(service, region_name=REGION)


def _footprint(stack: Stack) -> dict[str, Any]:
    """What a test may change, part by part, read from moto's backends in this process (no request): where a
    part is as it was after the last reset, there is nothing to undo. Values are copies (text, counts, names)."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.events.models import events_backends
    from moto.iam.models import iam_backends
    from moto.s3.models import s3_backends
    from moto.sqs.models import sqs_backends
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    tables = dynamodb_backends[ACCOUNT][REGION].tables
    iam = iam_backends[ACCOUNT]["aws"]
    return {
        **{  # items, stream records, settings (a recreated table is another table: its dates differ)
            f"table {name}": json.dumps([table.describe(), table.ttl, table.continuous_backups, table.tags,
                                         len(table.stream_shard.items) if table.stream_shard else 0], sort_keys=True, default=str)
            for name, table in tables.items()
        },
        "buckets": {name: len(bucket.keys) for name, bucket in s3_backends[ACCOUNT]["aws"].buckets.items()},
        "queues": {
            name: (queue.approximate_number_of_messages, queue.approximate_number_of_messages_not_visible,
                   queue.approximate_number_of_messages_delayed)
            for name, queue in sqs_backends[ACCOUNT][REGION].queues.items()
        },
        "rules": {f"{bus.name}/{rule}" for bus in events_backends[ACCOUNT][REGION].event_buses.values() for rule in bus.rules},
        "roles_and_users": ({role.name for role in iam.roles.values()}, set(iam.users)),
        "state_machines": {machine.arn for machine in stepfunctions_parser_backends[ACCOUNT][REGION].state_machines},
        "role_policies": {role.name: (role.assume_role_policy_document, dict(role.policies)) for role in iam.roles.values()},
    }


def _recreate(stack: Stack, provisioned: dict[str, set[str]], changed: Collection[str] | None = None) -> None:
    """Undo what a test changed: the ``changed`` parts of the footprint (None: all) as just provisioned."""
    from local_stack.provision import create_table

    def dirty(part: str) -> bool:
        return changed is None or part in changed

    for name, props in stack.resources("AWS::DynamoDB::Table").items():
        if dirty(f"table {stack.resolver.refs[name]}"):
            _client("dynamodb").delete_table(TableName=stack.resolver.refs[name])
            create_table(stack, name, props, _client)
    # Executions of earlier tests (named after their JobIds, which tests reuse) are forgotten. Creating the
    # state machine again would do it too, but moto parses the ASL for ~0.1 s: half of a reset.
    from moto.stepfunctions.responses import get_backend

    for name in stack.resources("AWS::StepFunctions::StateMachine"):
        get_backend(ACCOUNT, REGION).describe_state_machine(stack.resolver.refs[name]).executions.clear()
    if dirty("buckets"):
        s3 = _client("s3")
        for bucket in (bucket["Name"] for bucket in s3.list_buckets()["Buckets"]):
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                if page.get("Contents"):
                    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": obj["Key"]} for obj in page["Contents"]]})
            if bucket not in provisioned["buckets"]:
                s3.delete_bucket(Bucket=bucket)
    if dirty("queues"):
        sqs = _client("sqs")
        for url in sqs.list_queues().get("QueueUrls", []):
            if url in provisioned["queues"]:
                _drain(sqs, url)  # PurgeQueue is allowed once a minute per queue, as on AWS
            else:
                sqs.delete_queue(QueueUrl=url)
    if dirty("rules"):
        events = _client("events")
        for bus in events.list_event_buses()["EventBuses"]:
            for rule in events.list_rules(EventBusName=bus["Name"])["Rules"]:
                if f"{bus['Name']}/{rule['Name']}" not in provisioned["rules"]:
                    targets = events.list_targets_by_rule(Rule=rule["Name"], EventBusName=bus["Name"])["Targets"]
                    if targets:
                        events.remove_targets(Rule=rule["Name"], EventBusName=bus["Name"], Ids=[t["Id"] for t in targets])
                    events.delete_rule(Name=rule["Name"], EventBusName=bus["Name"])
    if dirty("roles_and_users"):
        _remove_roles_and_users(provisioned)
    if dirty("state_machines"):  # with their executions (a retention sweep, a Map Run lookup, reads them all)
        sfn = _client("stepfunctions")
        for machine in sfn.list_state_machines()["stateMachines"]:
            if machine["stateMachineArn"] not in provisioned["state_machines"]:
                sfn.delete_state_machine(stateMachineArn=machine["stateMachineArn"])


def _remove_roles_and_users(provisioned: dict[str, set[str]]) -> None:
    iam = _client("iam")
    for role in iam.list_roles()["Roles"]:
        if role["RoleName"] not in provisioned["roles"]:
            for policy in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
                iam.delete_role_policy(RoleName=role["RoleName"], PolicyName=policy)
            for attached in iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]:
                iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=attached["PolicyArn"])
            iam.delete_role(RoleName=role["RoleName"])
    for user in iam.list_users()["Users"]:
        name = user["UserName"]
        if name not in provisioned["users"]:
            for policy in iam.list_user_policies(UserName=name)["PolicyNames"]:
                iam.delete_user_policy(UserName=name, PolicyName=policy)
            for attached in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]:
                iam.detach_user_policy(UserName=name, PolicyArn=attached["PolicyArn"])
            for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
                iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
            iam.delete_user(UserName=name)


def _drain(sqs: Any, url: str) -> None:
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    if not any(int(counts[key]) for key in ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                                            "ApproximateNumberOfMessagesDelayed")):
        return
    # Purging is allowed once a minute per queue (as on AWS): start the queue afresh, with its attributes.
    settable = ("DelaySeconds", "MessageRetentionPeriod", "VisibilityTimeout", "RedrivePolicy", "ReceiveMessageWaitTimeSeconds")
    attributes = {key: value for key, value in counts.items() if key in settable}
    sqs.delete_queue(QueueUrl=url)
    sqs.create_queue(QueueName=url.rsplit("/", 1)[1], Attributes=attributes)


@contextlib.contextmanager
def running_local_stack(state: Any = None) -> Iterator[Any]:
    """`make run` in this process (its own moto server, template provisioned, the front on a free port; its
    state kept by ``state``, a local_stack.persistence.LocalState, if given); the session's stack is
    suspended meanwhile (one moto per process)."""
    from local_stack.stack import LocalStack
    from tests.support.front import free_port

    SESSION.suspend()
    saved = dict(os.environ)
    for name in ("AWS_ENDPOINT_URL", "MOTO_PORT", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)  # as a user's shell: `make run` sets what its handlers need
    SESSION.local_stack_running = True
    local = LocalStack(app=TRANSLATE_JOBS, port=free_port(), emulator_port=free_port(), state=state).start()
    try:
        yield local
    finally:
        local.stop()
        SESSION.local_stack_running = False
        os.environ.clear()
        os.environ.update(saved)
        forget_table_connections()


@contextlib.contextmanager
def serving_api(runtime: Any, routes: list[Any], **options: Any) -> Iterator[Any]:
    """The HTTP API on a free port (local_stack.front), as `make run` serves it for translate-jobs; stopped after."""
    from local_stack.front import ApiFront

    options = {"signing_names": TRANSLATE_JOBS.signing_names, "authorize": TRANSLATE_JOBS.authorize, **options}
    served = ApiFront(runtime, routes, ACCOUNT, "127.0.0.1", 0, **options)
    served.start()
    try:
        yield served
    finally:
        served.stop()


@functools.cache
def api_routes() -> list[Any]:
    """The HTTP API's routes, as the template's API declares them."""
    from local_stack.provision import plan

    return plan(ACCOUNT, REGION, app=TRANSLATE_JOBS).routes


def http_event(
    method: str, path: str, body: Any = None, *, target: str | None = None, account: str | None = ACCOUNT,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The HTTP API v2 event the deployed API sends for this request (routes from template.yaml)."""
    raw = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
    data = raw.encode() if isinstance(raw, str) else (raw or b"")
    all_headers = {"content-type": "application/x-amz-json-1.1", "host": "api.local", **(headers or {})}
    if target:
        all_headers["x-amz-target"] = TARGET_PREFIX + target
    for route in api_routes():
        params = route.match(method, path)
        if params is not None:
            event = build_event(route, method, path, "", all_headers, data, params, account or ACCOUNT, "127.0.0.1")
            if account is None:
                del event["requestContext"]["authorizer"]
            return event
    raise AssertionError(f"template.yaml has no route for {method} {path}")


def put_job(status: str = "IN_PROGRESS", account: str = ACCOUNT, job_id: str | None = None, **fields: Any) -> str:
    """A job item written directly (as if Start had run), for tests of Stop, Describe and finalize."""
    from translate_jobs.dal.store import JobRecord

    job_store()  # binds JobRecord to the template's table
    job_id = job_id or uuid.uuid4().hex
    record = JobRecord(
        account,
        job_id,
        job_name=fields.pop("job_name", "test-job"),
        job_status=status,
        submitted_time=fields.pop("submitted_time", round(time.time(), 3)),
        source_language_code="en",
        target_language_codes=["fr"],
        input_data_config={"S3Uri": "s3://input-docs/in/", "ContentType": "text/plain"},
        output_data_config={"S3Uri": f"s3://output-docs/out/{account}-TranslateText-{job_id}/"},
        data_access_role_arn=f"arn:aws:iam::{account}:role/TranslateData",
        **fields,
    )
    record.save()
    return job_id


def raw_item(table_name: str, account: str, job_id: str) -> dict[str, Any] | None:
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=table_name, Key={"AccountId": {"S": account}, "JobId": {"S": job_id}}, ConsistentRead=True
    )
    return item.get("Item")


def execution_arn(stack: Stack, job_id: str) -> str:
    """The job's workflow execution (named after the JobId)."""
    return stack.state_machine_arn.replace(":stateMachine:", ":execution:") + ":" + job_id


def wait_for_execution(stack: Stack, job_id: str, timeout: float = 120) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    deadline = time.monotonic() + timeout
    while True:
        execution = sfn.describe_execution(executionArn=execution_arn(stack, job_id))
        if execution["status"] != "RUNNING":
            return dict(execution)
        assert time.monotonic() < deadline, f"execution {job_id} still RUNNING after {timeout}s"
        time.sleep(0.05)


def start_job(stack: Stack, **overrides: Any) -> str:
    """Start a job through the API function (a fresh ClientToken each time); its JobId."""
    request = start_request(ClientToken=f"token-{time.monotonic_ns()}", **overrides)
    response = stack.runtime.invoke("ApiFunction", http_event("POST", "/", request, target="StartTextTranslationJob"))
    assert response["statusCode"] == 200, response
    return str(json.loads(response["body"])["JobId"])


def stop_job(stack: Stack, job_id: str) -> str:
    """Stop a job through the API function; the JobStatus it answers."""
    response = stack.runtime.invoke("ApiFunction", http_event("POST", "/", {"JobId": job_id}, target="StopTextTranslationJob"))
    assert response["statusCode"] == 200, response
    return str(json.loads(response["body"])["JobStatus"])
