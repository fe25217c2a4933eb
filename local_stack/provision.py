"""The template's resources in moto, each created through its service's API from the CloudFormation SAM makes of it
(local_stack.template; what is created and what left out: docs/local-stack-design.md): moto's CloudFormation skips
AWS::ApiGatewayV2 and does not execute state machines. Physical names are deterministic, so ``plan`` alone (no AWS
call) can run a function against a running stack."""

import functools
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from local_stack.app import App
from local_stack.runtime import FunctionRuntime, LocalFunction
from local_stack.template import Resolver, Route, aws_managed_policies, cloudformation, http_api_routes, resources_of_type

# GenerateSecretString's members that GetRandomPassword takes too (SecretStringTemplate and
# GenerateStringKey, which make a JSON secret, are refused: this template has none).
GENERATE_OPTIONS = ("PasswordLength", "ExcludeCharacters", "ExcludeNumbers", "ExcludePunctuation",
                    "ExcludeUppercase", "ExcludeLowercase", "IncludeSpace", "RequireEachIncludedType")


@dataclass
class Stack:
    app: App
    template: dict[str, Any]  # CloudFormation, as SAM made it
    resolver: Resolver
    runtime: FunctionRuntime
    routes: list[Route]

    def __getattr__(self, name: str) -> str:
        """The application's named resources (App.named: e.g. ``stack.table_name``, its JobsTable's name)."""
        named = self.__dict__["app"].named if "app" in self.__dict__ else {}
        if name in named:
            return self.resolver.ref(named[name])
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def state_machine_role_arn(self) -> str | None:
        """The role the Step Functions interpreter calls AWS as (the stack's state machine's; one is supported)."""
        return next((str(props["RoleArn"]) for props in self.resources("AWS::StepFunctions::StateMachine").values()), None)

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        """Logical id -> resolved properties of the stack's resources of this type (their Condition true)."""
        return {name: self.resolver.resolve(resource.get("Properties", {}))
                for name, resource in resources_of_type(self.template, kind).items()
                if "Condition" not in resource or self.resolver.condition(resource["Condition"])}

    def logical_id(self, kind: str, attribute: str, value: str) -> str:
        """The resource of this type whose attribute (e.g. a table's StreamArn) is ``value``."""
        for name in self.resources(kind):
            if self.resolver.attributes.get(name, {}).get(attribute) == value:
                return name
        raise KeyError(f"No {kind} has {attribute} {value}")


def _names(kind: str, name: str, props: dict[str, Any], resolver: Resolver) -> tuple[str, dict[str, str]]:
    """A resource's physical name (its Ref) and attributes, as CloudFormation would name it here."""
    default = f"{resolver.stack_name}-{name}"
    arn = f"arn:aws:{{}}:{resolver.region}:{resolver.account_id}:{{}}"
    if kind == "AWS::DynamoDB::Table":
        table = props.get("TableName") or default
        table_arn = arn.format("dynamodb", f"table/{table}")
        return table, {"Arn": table_arn, "StreamArn": f"{table_arn}/stream/local"}
    if kind == "AWS::S3::Bucket":
        bucket = props.get("BucketName") or default.lower()
        return bucket, {"Arn": f"arn:aws:s3:::{bucket}"}
    if kind == "AWS::SQS::Queue":
        queue = props.get("QueueName") or default
        url = f"https://sqs.{resolver.region}.amazonaws.com/{resolver.account_id}/{queue}"
        return url, {"Arn": arn.format("sqs", queue), "QueueName": queue}
    if kind == "AWS::Events::EventBus":
        return props["Name"], {"Arn": arn.format("events", f"event-bus/{props['Name']}"), "Name": props["Name"]}
    if kind == "AWS::Events::Rule":
        rule = props.get("Name") or default
        return rule, {"Arn": arn.format("events", f"rule/{rule}")}
    if kind == "AWS::SecretsManager::Secret":
        # Ref is the secret's ARN, whose random suffix only exists once created: the partial ARN (without
        # it) is deterministic, and GetSecretValue accepts it, in AWS as in moto.
        secret = arn.format("secretsmanager", f"secret:{props.get('Name') or default}")
        return secret, {"Id": secret}
    if kind == "AWS::Lambda::LayerVersion":
        return arn.format("lambda", f"layer:{props.get('LayerName') or name}:1"), {}
    if kind == "AWS::Lambda::Function":
        function = props.get("FunctionName") or default
        return function, {"Arn": arn.format("lambda", f"function:{function}")}
    if kind == "AWS::StepFunctions::StateMachine":
        machine = arn.format("states", f"stateMachine:{props.get('StateMachineName') or default}")
        return machine, {"Arn": machine, "Name": machine.rsplit(":", 1)[1]}
    if kind == "AWS::IAM::Role":
        role = props.get("RoleName") or default
        return role, {"Arn": f"arn:aws:iam::{resolver.account_id}:role{props.get('Path', '/')}{role}"}
    if kind == "AWS::Logs::LogGroup":
        group = props.get("LogGroupName") or f"/aws/{default}"
        return group, {"Arn": arn.format("logs", f"log-group:{group}:*")}
    return "local" if kind.startswith("AWS::ApiGatewayV2::") else default, {}


# Name parts that may refer to other resources, resolved once every name they could refer to is known.
_NAMED_BY = ("TableName", "BucketName", "QueueName", "Name", "LayerName", "FunctionName", "StateMachineName", "RoleName",
             "Path", "LogGroupName")


def plan(account_id: str, region: str, parameters: dict[str, str] | None = None, app: App | None = None) -> Stack:
    """Name every resource and build each function's runtime, as CloudFormation and Lambda would."""
    app = app or App()
    template = cloudformation(app.template)
    resolver = Resolver(template, account_id, region, app.stack_name, parameters={**app.parameter_defaults, **(parameters or {})})
    # A name may refer to another resource's (a Permission's FunctionName: its function's Ref), in any order the
    # transform writes them: each pass names what it can, until every resource is named.
    pending = dict(template["Resources"])
    while pending:
        unnamed = len(pending)
        for name, resource in list(pending.items()):
            try:
                properties = resource.get("Properties", {})
                names = {key: resolver.resolve(value) for key, value in properties.items() if key in _NAMED_BY}
            except KeyError:
                continue
            resolver.refs[name], resolver.attributes[name] = _names(resource["Type"], name, names, resolver)
            del pending[name]
        if len(pending) == unnamed:
            raise KeyError(f"The names of {sorted(pending)} refer to one another, or to resources the template lacks")
    stack = Stack(app, template, resolver, FunctionRuntime(), [])
    retries = {str(props["FunctionName"]): int(props.get("MaximumRetryAttempts", 2))
               for props in stack.resources("AWS::Lambda::EventInvokeConfig").values()}
    # A layer's ARN (what a function's Layers resolve to) -> where its modules are (Content.S3Key: its folder).
    layers = {resolver.refs[name]: _layer_modules(app.root / props["Content"]["S3Key"])
              for name, props in stack.resources("AWS::Lambda::LayerVersion").items()}
    for name, props in stack.resources("AWS::Lambda::Function").items():
        stack.runtime.register(
            LocalFunction(
                logical_id=name,
                name=resolver.refs[name],
                arn=resolver.attributes[name]["Arn"],
                code_dir=app.root / props["Code"]["S3Key"],
                handler=props["Handler"],
                # a layer from outside the template (an ARN) has no content here: the virtualenv provides its modules
                layers=tuple(layers[arn] for arn in props.get("Layers", []) if arn in layers),
                environment={key: str(value) for key, value in props.get("Environment", {}).get("Variables", {}).items()},
                timeout=int(props.get("Timeout", 3)),
                memory=int(props.get("MemorySize", 128)),
                runtime=props.get("Runtime", "python3.13"),
                role_arn=props["Role"],
                dead_letter_arn=props.get("DeadLetterConfig", {}).get("TargetArn"),
                async_retries=retries.get(resolver.refs[name], 2),
            )
        )
    for props in stack.resources("AWS::ApiGatewayV2::Api").values():
        stack.routes += http_api_routes(props.get("Body", {}), resolver, lambda arn: stack.runtime.find(arn).logical_id)
    return stack


def _layer_modules(folder: Path) -> Path:
    """Its python/ folder, which Lambda puts on the path, or the folder itself if it has none: `sam build` makes
    python/ of a BuildMethod layer's source (or its Makefile does)."""
    return folder / "python" if (folder / "python").is_dir() else folder


def provision(account_id: str, region: str, parameters: dict[str, str] | None = None, app: App | None = None) -> Stack:
    """Create every resource of the template in the emulator the AWS SDK currently points at (rules with
    Lambda targets: ``provision_rules``, where local_stack.eventbridge delivers to them)."""
    stack = plan(account_id, region, parameters, app)
    client = functools.cache(lambda service: boto3.client(service, region_name=region))
    for kind, create in _CREATORS:
        for name, props in stack.resources(kind).items():
            create(stack, name, props, client)
    provision_rules(stack, region, lambda_targets=False)
    return stack


def provision_rules(stack: Stack, region: str, *, lambda_targets: bool = True) -> None:
    """The AWS::Events::Rule resources with a Lambda target (or those without), with their targets: moto's own
    PutEvents fails on a Lambda target, so those are created only where local_stack.eventbridge delivers."""
    events = boto3.client("events", region_name=region)
    for name, props in stack.resources("AWS::Events::Rule").items():
        if any(":lambda:" in str(target.get("Arn")) for target in props.get("Targets", [])) == lambda_targets:
            put_rule(events, stack.resolver.refs[name], props)


TARGET_KEYS = ("Id", "Arn", "Input", "InputPath", "RetryPolicy", "DeadLetterConfig", "SqsParameters")


def put_rule(events: Any, name: str, props: dict[str, Any]) -> None:
    """One AWS::Events::Rule (its properties resolved) and its targets, with their retry and DLQ settings."""
    bus = props.get("EventBusName", "default")
    rule: dict[str, Any] = {"Name": name, "EventBusName": bus, "State": props.get("State", "ENABLED")}
    if "EventPattern" in props:
        rule["EventPattern"] = json.dumps(props["EventPattern"])
    if "ScheduleExpression" in props:
        rule["ScheduleExpression"] = props["ScheduleExpression"]
    events.put_rule(**rule)
    if any("InputTransformer" in target for target in props.get("Targets", [])):
        raise NotImplementedError(f"rule {name}: a target's InputTransformer is not run locally (Input and InputPath are)")
    targets = [{key: target[key] for key in TARGET_KEYS if key in target} for target in props.get("Targets", [])]
    if targets:
        events.put_targets(Rule=name, EventBusName=bus, Targets=targets)


Client = Callable[[str], Any]


def create_table(stack: Stack, name: str, props: dict[str, Any], client: Client) -> None:
    """One AWS::DynamoDB::Table, with its indexes, stream and backups as declared."""
    keys = ["AttributeDefinitions", "KeySchema", "BillingMode", "StreamSpecification", "SSESpecification",
            "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "ProvisionedThroughput"]
    request = {key: props[key] for key in keys if key in props}
    # CloudFormation spells two properties differently from the API.
    if "StreamSpecification" in request:
        request["StreamSpecification"] = {"StreamEnabled": True, **request["StreamSpecification"]}
    if "SSESpecification" in request:
        request["SSESpecification"] = {"Enabled": request["SSESpecification"].get("SSEEnabled", False)}
    table = stack.resolver.refs[name]
    dynamodb = client("dynamodb")
    dynamodb.create_table(TableName=table, **request)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(TableName=table, TimeToLiveSpecification=ttl)
    if props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
        dynamodb.update_continuous_backups(
            TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )


def _bucket(stack: Stack, name: str, props: dict[str, Any], client: Client) -> None:
    create_bucket(client("s3"), stack.resolver.refs[name], stack.resolver.region)


def create_bucket(s3: Any, bucket: str, region: str) -> None:
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **location)


def _queue(stack: Stack, name: str, props: dict[str, Any], client: Client) -> None:
    """A queue with its attributes; its RedrivePolicy once every queue exists (_CREATORS's order)."""
    attributes = {key: str(props[key]) for key in ("VisibilityTimeout", "MessageRetentionPeriod") if key in props}
    client("sqs").create_queue(QueueName=stack.resolver.attributes[name]["QueueName"], Attributes=attributes)


def _redrive_policy(stack: Stack, name: str, props: dict[str, Any], client: Client) -> None:
    if "RedrivePolicy" in props:
        policy = {"RedrivePolicy": json.dumps(props["RedrivePolicy"])}
        client("sqs").set_queue_attributes(QueueUrl=stack.resolver.refs[name], Attributes=policy)


def _event_bus(stack: Stack, name: str, props: dict[str, Any], client: Client) -> None:
    client("events").create_event_bus(Name=stack.resolver.refs[name])


def _secret(stack: Stack, name: str, props: dict[str, Any], client: Client) -> None:
    """A SecretString as given, or one generated as GenerateSecretString says."""
    secretsmanager = client("secretsmanager")
    value = props.get("SecretString")
    if value is None:
        generate = props.get("GenerateSecretString", {})
        if "SecretStringTemplate" in generate:
            raise NotImplementedError(f"{name}: a JSON secret (SecretStringTemplate) is not created locally yet")
        value = secretsmanager.get_random_password(**{key: generate[key] for key in GENERATE_OPTIONS if key in generate})[
            "RandomPassword"]
    secretsmanager.create_secret(Name=stack.resolver.refs[name].rsplit(":", 1)[1], SecretString=value,
                                 Description=props.get("Description", ""))


def _role(stack: Stack, name: str, props: dict[str, Any], client: Client) -> None:
    """An IAM role as SAM generates it: its trust policy, inline policies and managed policies. moto holds AWS's
    managed policies only if told to load all 1,582 (for every account, ~0.7 s): each one a role names is put
    on it inline instead, with the managed policy's own document and name (IAM decides the same)."""
    iam = client("iam")
    role = stack.resolver.refs[name]
    trust = json.dumps(props["AssumeRolePolicyDocument"])
    iam.create_role(RoleName=role, Path=props.get("Path", "/"), AssumeRolePolicyDocument=trust)
    for policy in props.get("Policies", []):
        iam.put_role_policy(RoleName=role, PolicyName=policy["PolicyName"], PolicyDocument=_versioned(policy["PolicyDocument"]))
    managed = aws_managed_policies()
    for arn in props.get("ManagedPolicyArns", []):
        if arn in managed:
            iam.put_role_policy(RoleName=role, PolicyName=managed[arn][0], PolicyDocument=json.dumps(managed[arn][1]))
        else:
            iam.attach_role_policy(RoleName=role, PolicyArn=arn)


def _policy(stack: Stack, name: str, props: dict[str, Any], client: Client) -> None:
    """An AWS::IAM::Policy: an inline policy of each of its roles."""
    document = _versioned(props["PolicyDocument"])
    for role in props.get("Roles", []):
        client("iam").put_role_policy(RoleName=role, PolicyName=props["PolicyName"], PolicyDocument=document)


def _versioned(document: dict[str, Any]) -> str:
    """SAM writes some policies without a Version (IAM then reads them as 2008-10-17); moto refuses those."""
    return json.dumps({"Version": "2012-10-17", **document})


def _function(stack: Stack, name: str, props: dict[str, Any], client: Client) -> None:
    function = stack.runtime.find(name)
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("placeholder.py", "# the real code runs in-process; see local_stack.runtime\n")
    client("lambda").create_function(
        FunctionName=function.name, Runtime=function.runtime, Role=function.role_arn, Handler=function.handler,
        Code={"ZipFile": code.getvalue()}, Environment={"Variables": function.environment},
        Timeout=function.timeout, MemorySize=function.memory,
    )


def _state_machine(stack: Stack, name: str, props: dict[str, Any], client: Client) -> None:
    """Its definition read from where SAM would have uploaded it, with the substitutions resolved."""
    sfn = client("stepfunctions")
    definition = (stack.app.root / props["DefinitionS3Location"]["Key"]).read_text()
    definition = stack.resolver.substitute(definition, props.get("DefinitionSubstitutions", {}))
    definition = json.dumps(_runnable_by_moto(json.loads(definition)))  # broken JSON fails here, not in an execution
    create = functools.partial(sfn.create_state_machine, name=stack.resolver.attributes[name]["Name"],
                               roleArn=props["RoleArn"], type=props.get("StateMachineType", "STANDARD"))
    try:
        create(definition=definition)
    except sfn.exceptions.ClientError as error:
        # A bare moto_server (without local_stack.moto_patches) refuses a Map's JSON Lines ItemReader. Its Lambda
        # tasks only echo, so no execution does real work there anyway (the notice says so): the items are read as
        # JSON instead, so that the state machine exists and the API can start, describe and stop its executions.
        if "'JSONL' is not a valid InputTypeValue" not in str(error):
            raise
        create(definition=definition.replace('"InputType": "JSONL"', '"InputType": "JSON"'))


# What is created, in an order where what a resource names exists first.
_CREATORS: list[tuple[str, Callable[[Stack, str, dict[str, Any], Client], None]]] = [
    ("AWS::DynamoDB::Table", create_table), ("AWS::S3::Bucket", _bucket), ("AWS::SQS::Queue", _queue),
    ("AWS::SQS::Queue", _redrive_policy), ("AWS::Events::EventBus", _event_bus), ("AWS::SecretsManager::Secret", _secret),
    ("AWS::IAM::Role", _role), ("AWS::IAM::Policy", _policy), ("AWS::Lambda::Function", _function),
    ("AWS::StepFunctions::StateMachine", _state_machine),
]


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

