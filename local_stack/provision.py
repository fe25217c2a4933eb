"""template.yaml's resources in moto, created from the template's own properties.

moto's CloudFormation skips AWS::ApiGatewayV2 and puts state machines in a non-executing backend
(see shared/reference/aws-tooling-facts.md), so each resource type is created through its own
API here, with the template's properties and its intrinsic functions resolved. Physical names are
deterministic, so ``plan`` alone (no AWS call) is enough to run a function against a running stack.
Types not handled here (the HTTP API, log groups, IAM policies, alarms) are left out: moto cannot
create some of them, and nothing local would use or enforce them.
"""

import functools
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import boto3

from local_stack.iam.sam import _without_if as without_if  # Fn::If on the template's Conditions
from local_stack.iam.sam import function_policies
from local_stack.runtime import FunctionRuntime, LocalFunction
from local_stack.template import ROOT, Resolver, function_environment, load_template, resources_of_type

STACK_NAME = "translate-jobs"
# GenerateSecretString's members that GetRandomPassword takes too (SecretStringTemplate and
# GenerateStringKey, which make a JSON secret, are refused: this template has none).
GENERATE_OPTIONS = ("PasswordLength", "ExcludeCharacters", "ExcludeNumbers", "ExcludePunctuation",
                    "ExcludeUppercase", "ExcludeLowercase", "IncludeSpace", "RequireEachIncludedType")
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "{service}"}, "Action": "sts:AssumeRole"}],
}


@dataclass
class Stack:
    template: dict[str, Any]
    resolver: Resolver
    runtime: FunctionRuntime

    @property
    def state_machine_arn(self) -> str:
        return self.resolver.ref("TranslationJobStateMachine")

    @property
    def table_name(self) -> str:
        return self.resolver.ref("JobsTable")

    @property
    def work_bucket(self) -> str:
        return self.resolver.ref("WorkBucket")

    @property
    def state_machine_role_arn(self) -> str:
        return f"arn:aws:iam::{self.resolver.account_id}:role/{STACK_NAME}-TranslationJobStateMachineRole"


def plan(account_id: str, region: str, parameters: dict[str, str] | None = None) -> Stack:
    """Name every resource and build each function's environment, as CloudFormation would."""
    template = load_template()
    resolver = Resolver(template, account_id, region, STACK_NAME, parameters=dict(parameters or {}))
    for name in resources_of_type(template, "AWS::DynamoDB::Table"):
        table = f"{STACK_NAME}-{name}"
        arn = f"arn:aws:dynamodb:{region}:{account_id}:table/{table}"
        resolver.refs[name] = table
        resolver.attributes[name] = {"Arn": arn, "StreamArn": f"{arn}/stream/local"}
    for name in resources_of_type(template, "AWS::S3::Bucket"):
        bucket = f"{STACK_NAME}-{name}".lower()
        resolver.refs[name] = bucket
        resolver.attributes[name] = {"Arn": f"arn:aws:s3:::{bucket}"}
    for name in resources_of_type(template, "AWS::SQS::Queue"):
        queue = f"{STACK_NAME}-{name}"
        resolver.refs[name] = f"https://sqs.{region}.amazonaws.com/{account_id}/{queue}"
        resolver.attributes[name] = {"Arn": f"arn:aws:sqs:{region}:{account_id}:{queue}", "QueueName": queue}
    for name, resource in resources_of_type(template, "AWS::Events::EventBus").items():
        bus = resolver.resolve(resource["Properties"]["Name"])
        resolver.refs[name] = bus
        resolver.attributes[name] = {"Arn": f"arn:aws:events:{region}:{account_id}:event-bus/{bus}", "Name": bus}
    for name in resources_of_type(template, "AWS::Events::Rule"):
        rule = f"{STACK_NAME}-{name}"
        resolver.refs[name] = rule
        resolver.attributes[name] = {"Arn": f"arn:aws:events:{region}:{account_id}:rule/{rule}"}
    for name, resource in resources_of_type(template, "AWS::SecretsManager::Secret").items():
        # Ref is the secret's ARN, whose random suffix only exists once created: the partial ARN
        # (without it) is deterministic, and GetSecretValue accepts it, in AWS as in moto.
        secret = resolver.resolve(resource.get("Properties", {}).get("Name")) or f"{STACK_NAME}-{name}"
        resolver.refs[name] = f"arn:aws:secretsmanager:{region}:{account_id}:secret:{secret}"
        resolver.attributes[name] = {"Id": resolver.refs[name]}
    for name in resources_of_type(template, "AWS::Serverless::LayerVersion"):
        resolver.refs[name] = f"arn:aws:lambda:{region}:{account_id}:layer:{name}:1"
    for name in resources_of_type(template, "AWS::Serverless::HttpApi"):
        resolver.refs[name] = "local"
    for name in resources_of_type(template, "AWS::Serverless::Function"):
        resolver.refs[name] = f"{STACK_NAME}-{name}"
        resolver.attributes[name] = {"Arn": f"arn:aws:lambda:{region}:{account_id}:function:{STACK_NAME}-{name}"}
    for name, resource in resources_of_type(template, "AWS::Serverless::StateMachine").items():
        machine = resolver.resolve(resource["Properties"].get("Name")) or f"{STACK_NAME}-{name}"
        resolver.refs[name] = f"arn:aws:states:{region}:{account_id}:stateMachine:{machine}"
        resolver.attributes[name] = {"Arn": resolver.refs[name], "Name": machine}

    runtime = FunctionRuntime()
    globals_ = template.get("Globals", {}).get("Function", {})

    def resolved(value: Any) -> Any:  # a property that may be an intrinsic (MemorySize: !If [...])
        return resolver.resolve(without_if(template, value, resolver))

    for name, resource in resources_of_type(template, "AWS::Serverless::Function").items():
        props = resource["Properties"]
        runtime.register(
            LocalFunction(
                logical_id=name,
                name=resolver.refs[name],
                arn=resolver.attributes[name]["Arn"],
                code_dir=ROOT / props["CodeUri"],
                handler=props["Handler"],
                environment=function_environment(template, name, resolver),
                timeout=int(resolved(props.get("Timeout", globals_.get("Timeout", 3)))),
                memory=int(resolved(props.get("MemorySize", globals_.get("MemorySize", 128)))),
                runtime=props.get("Runtime", globals_.get("Runtime", "python3.13")),
                policies=function_policies(template, props.get("Policies", []), resolver),
                role_arn=f"arn:aws:iam::{account_id}:role/{STACK_NAME}-{name}Role",
            )
        )
    return Stack(template=template, resolver=resolver, runtime=runtime)


def provision(account_id: str, region: str, parameters: dict[str, str] | None = None) -> Stack:
    """Create every resource of template.yaml in the emulator the AWS SDK currently points at."""
    stack = plan(account_id, region, parameters)
    template, resolver = stack.template, stack.resolver
    dynamodb = boto3.client("dynamodb", region_name=region)
    s3 = boto3.client("s3", region_name=region)
    iam = boto3.client("iam", region_name=region)
    lambda_ = boto3.client("lambda", region_name=region)
    sfn = boto3.client("stepfunctions", region_name=region)

    for name in resources_of_type(template, "AWS::DynamoDB::Table"):
        create_table(stack, name, dynamodb)

    for name in resources_of_type(template, "AWS::S3::Bucket"):
        create_bucket(s3, resolver.refs[name], region)

    _provision_queues_and_events(stack, region)
    _provision_secrets(stack, region)

    for name in resources_of_type(template, "AWS::Serverless::StateMachine"):
        create_state_machine(stack, name, sfn, iam)

    for function in stack.runtime.functions.values():
        role_name = function.role_arn.rsplit("/", 1)[-1]
        role = _role(iam, role_name, "lambda.amazonaws.com")
        for number, policy in enumerate(function.policies):
            iam.put_role_policy(RoleName=role_name, PolicyName=f"Policy{number}", PolicyDocument=json.dumps(policy))
        lambda_.create_function(
            FunctionName=function.name,
            Runtime=function.runtime,
            Role=role,
            Handler=function.handler,
            Code={"ZipFile": _placeholder_zip()},
            Environment={"Variables": function.environment},
            Timeout=function.timeout,
            MemorySize=function.memory,
        )
    return stack


def create_table(stack: Stack, name: str, dynamodb: Any) -> None:
    """One AWS::DynamoDB::Table of the template, with its indexes, stream and backups as declared."""
    props = stack.resolver.resolve(stack.template["Resources"][name]["Properties"])
    keys = ["AttributeDefinitions", "KeySchema", "BillingMode", "StreamSpecification", "SSESpecification",
            "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "ProvisionedThroughput"]
    request = {key: props[key] for key in keys if key in props}
    # CloudFormation spells two properties differently from the API.
    if "StreamSpecification" in request:
        request["StreamSpecification"] = {"StreamEnabled": True, **request["StreamSpecification"]}
    if "SSESpecification" in request:
        request["SSESpecification"] = {"Enabled": request["SSESpecification"].get("SSEEnabled", False)}
    table = stack.resolver.refs[name]
    dynamodb.create_table(TableName=table, **request)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(TableName=table, TimeToLiveSpecification=ttl)
    if props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
        dynamodb.update_continuous_backups(
            TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )


def create_state_machine(stack: Stack, name: str, sfn: Any, iam: Any) -> None:
    """One AWS::Serverless::StateMachine, its definition read from DefinitionUri with the substitutions resolved.

    Created through the Step Functions API: moto's CloudFormation puts state machines in a backend that
    does not execute them.
    """
    resolver = stack.resolver
    props = stack.template["Resources"][name]["Properties"]
    definition = (ROOT / props["DefinitionUri"]).read_text()
    definition = resolver.substitute(definition, resolver.resolve(props.get("DefinitionSubstitutions", {})))
    definition = json.dumps(_runnable_by_moto(json.loads(definition)))  # broken JSON fails here, not in an execution
    role_name = f"{STACK_NAME}-{name}Role"
    try:
        role = str(iam.get_role(RoleName=role_name)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        role = _role(iam, role_name, "states.amazonaws.com")
        # Its Policies (SAM's LambdaInvokePolicy...): the interpreter's calls are made as this role (local_stack.iam).
        for number, policy in enumerate(function_policies(stack.template, props.get("Policies", []), resolver)):
            iam.put_role_policy(RoleName=role_name, PolicyName=f"Policy{number}", PolicyDocument=json.dumps(policy))
    create = functools.partial(
        sfn.create_state_machine, name=resolver.attributes[name]["Name"], roleArn=role, type=props.get("Type", "STANDARD")
    )
    try:
        create(definition=definition)
    except sfn.exceptions.ClientError as error:
        # A bare moto_server (without local_stack.moto_patches) refuses the Map's JSON Lines ItemReader. Its
        # Lambda tasks only echo, so no job runs there anyway (the banner says so): it gets the manifest read
        # as JSON, so that Start, Describe and Stop still work over it.
        if "'JSONL' is not a valid InputTypeValue" not in str(error):
            raise
        create(definition=definition.replace('"InputType": "JSONL"', '"InputType": "JSON"'))


def _runnable_by_moto(node: Any) -> Any:
    """moto's ASL grammar knows only STANDARD child executions of a Distributed Map: an EXPRESS one
    (MapExecutionType=EXPRESS) runs as STANDARD here. What differs is AWS's limits on the child
    (5 minutes, no history), not what it does."""
    if isinstance(node, list):
        return [_runnable_by_moto(value) for value in node]
    if not isinstance(node, dict):
        return node
    node = {key: _runnable_by_moto(value) for key, value in node.items()}
    if node.get("Mode") == "DISTRIBUTED" and node.get("ExecutionType") == "EXPRESS":
        node["ExecutionType"] = "STANDARD"
    return node


def _provision_queues_and_events(stack: Stack, region: str) -> None:
    """SQS queues (then their RedrivePolicy), EventBridge buses and AWS::Events::Rule resources.

    Not created locally: queue policies and CloudWatch alarms (nothing here enforces or watches
    them). The rules SAM derives from functions' EventBridgeRule/Schedule events are created by
    ``provision_function_rules``, where local_stack.eventbridge delivers to their Lambda targets.
    """
    template, resolver = stack.template, stack.resolver
    sqs = boto3.client("sqs", region_name=region)
    events = boto3.client("events", region_name=region)
    queues = resources_of_type(template, "AWS::SQS::Queue")
    for name in queues:
        sqs.create_queue(QueueName=resolver.attributes[name]["QueueName"])
    for name, resource in queues.items():
        props = resolver.resolve(resource.get("Properties", {}))
        attributes = {key: str(props[key]) for key in ("VisibilityTimeout", "MessageRetentionPeriod") if key in props}
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        if attributes:
            sqs.set_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName=resolver.attributes[name]["QueueName"])["QueueUrl"],
                                     Attributes=attributes)
    for name in resources_of_type(template, "AWS::Events::EventBus"):
        events.create_event_bus(Name=resolver.refs[name])
    for name, resource in resources_of_type(template, "AWS::Events::Rule").items():
        _put_rule(events, resolver.refs[name], resolver.resolve(resource["Properties"]))


TARGET_KEYS = ("Id", "Arn", "Input", "InputPath", "InputTransformer", "RetryPolicy", "DeadLetterConfig", "SqsParameters")


def _put_rule(events: Any, name: str, props: dict[str, Any]) -> None:
    """One AWS::Events::Rule (its properties resolved) and its targets, with their retry and DLQ settings."""
    bus = props.get("EventBusName", "default")
    rule: dict[str, Any] = {"Name": name, "EventBusName": bus, "State": props.get("State", "ENABLED")}
    if "EventPattern" in props:
        rule["EventPattern"] = json.dumps(props["EventPattern"])
    if "ScheduleExpression" in props:
        rule["ScheduleExpression"] = props["ScheduleExpression"]
    events.put_rule(**rule)
    targets = [{key: target[key] for key in TARGET_KEYS if key in target} for target in props.get("Targets", [])]
    if targets:
        events.put_targets(Rule=name, EventBusName=bus, Targets=targets)


def function_rules(stack: Stack) -> dict[str, dict[str, Any]]:
    """The AWS::Events::Rule resources SAM derives from functions' EventBridgeRule and Schedule events
    (rule name -> resolved properties), each targeting its function."""
    rules: dict[str, dict[str, Any]] = {}
    for function, resource in resources_of_type(stack.template, "AWS::Serverless::Function").items():
        for event_name, event in resource["Properties"].get("Events", {}).items():
            if event["Type"] not in ("EventBridgeRule", "Schedule"):
                continue
            props = stack.resolver.resolve(event["Properties"])
            target = {"Id": props.get("Target", {}).get("Id", f"{function}{event_name}LambdaTarget"),
                      "Arn": stack.resolver.attributes[function]["Arn"]}
            target.update({key: props[key] for key in ("Input", "InputPath", "RetryPolicy", "DeadLetterConfig") if key in props})
            rule: dict[str, Any] = {"Targets": [target]}
            if event["Type"] == "Schedule":
                rule["ScheduleExpression"] = props["Schedule"]
            else:
                rule["EventPattern"] = props["Pattern"]
                rule["EventBusName"] = props.get("EventBusName", "default")
            enabled = props.get("Enabled", props.get("State", "ENABLED") == "ENABLED")
            rule["State"] = "ENABLED" if enabled in (True, "true", "True") else "DISABLED"
            rules[props.get("Name", props.get("RuleName", f"{STACK_NAME}-{function}{event_name}"))] = rule
    return rules


def provision_function_rules(stack: Stack, region: str) -> None:
    """Create the rules SAM derives from functions' events. Their Lambda targets are delivered only by
    local_stack.eventbridge (moto's own PutEvents fails on a Lambda target): call this only where it runs."""
    events = boto3.client("events", region_name=region)
    for name, props in function_rules(stack).items():
        _put_rule(events, name, props)


def _provision_secrets(stack: Stack, region: str) -> None:
    """AWS::SecretsManager::Secret: a SecretString as given, or one generated as GenerateSecretString says."""
    secretsmanager = boto3.client("secretsmanager", region_name=region)
    for name, resource in resources_of_type(stack.template, "AWS::SecretsManager::Secret").items():
        props = stack.resolver.resolve(resource.get("Properties", {}))
        value = props.get("SecretString")
        if value is None:
            generate = props.get("GenerateSecretString", {})
            if "SecretStringTemplate" in generate:
                raise NotImplementedError(f"{name}: a JSON secret (SecretStringTemplate) is not created locally yet")
            options = {key: generate[key] for key in GENERATE_OPTIONS if key in generate}
            value = secretsmanager.get_random_password(**options)["RandomPassword"]
        secretsmanager.create_secret(
            Name=stack.resolver.refs[name].rsplit(":", 1)[1], SecretString=value, Description=props.get("Description", "")
        )


def create_bucket(s3: Any, bucket: str, region: str) -> None:
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **location)


def _role(iam: Any, name: str, service: str) -> str:
    trust = json.dumps(TRUST).replace("{service}", service)
    return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"])


def _placeholder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("placeholder.py", "# the real code runs in-process; see local_stack.runtime\n")
    return buffer.getvalue()
