"""local_stack runs any SAM application, not only translate-jobs: an App with its defaults plans another
template the way SAM deploys it (its routes, event source mappings, rules, roles, code), with no AWS call."""

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from local_stack.app import App
from local_stack.delivery import QueueDelivery, StreamDelivery, deliveries
from local_stack.provision import plan
from local_stack.template import TEMPLATE_PATH, Route, _transformed, cloudformation

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Audit:  # a table with a stream, declared before the one the function consumes
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: Id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: Id, AttributeType: S}]
      StreamSpecification: {StreamViewType: KEYS_ONLY}
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: Id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: Id, AttributeType: S}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Inbox:
    Type: AWS::SQS::Queue
  Handler:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handle
      Runtime: python3.13
      Environment: {Variables: {ORDERS: !Ref Orders}}
      Policies: [{DynamoDBReadPolicy: {TableName: !Ref Orders}}]
      Events:
        Get: {Type: HttpApi, Properties: {Path: "/orders/{id}", Method: get}}
        Changes: {Type: DynamoDB, Properties: {Stream: !GetAtt Orders.StreamArn, StartingPosition: LATEST, BatchSize: 5}}
        Messages: {Type: SQS, Properties: {Queue: !GetAtt Inbox.Arn}}
        Hourly: {Type: Schedule, Properties: {Schedule: rate(1 hour)}}
"""


def test_another_sam_application_is_planned_as_sam_deploys_it(tmp_path: Path) -> None:
    project = tmp_path / "orders-app"
    project.mkdir()
    (project / "template.yaml").write_text(TEMPLATE)
    stack = plan("111111111111", "eu-west-1", app=App(template=project / "template.yaml"))

    # named after its folder (no samconfig.toml), its code where CodeUri says
    handler = stack.runtime.find("Handler")
    assert handler.name == "orders-app-Handler"
    assert handler.code_dir == project / "src"
    assert handler.environment == {"ORDERS": "orders-app-Orders"}
    assert handler.role_arn == "arn:aws:iam::111111111111:role/orders-app-HandlerRole"
    assert stack.routes == [Route("GET", "/orders/{id}", "Handler")]
    # its event source mappings: the stream of the table the event names (not the first one declared), and the queue
    stream = next(item for item in deliveries(stack, "eu-west-1") if isinstance(item, StreamDelivery))
    assert (stream.table, stream.starting_position, stream.batch_size) == ("orders-app-Orders", "LATEST", 5)
    queue = next(item for item in deliveries(stack, "eu-west-1") if isinstance(item, QueueDelivery))
    assert queue.queue_arn == "arn:aws:sqs:eu-west-1:111111111111:orders-app-Inbox"
    # the rule SAM makes of the schedule, targeting the function; the role SAM generates, with its policy template
    [rule] = stack.resources("AWS::Events::Rule").values()
    assert rule["ScheduleExpression"] == "rate(1 hour)" and rule["Targets"][0]["Arn"] == handler.arn
    [role] = stack.resources("AWS::IAM::Role").values()
    statements = [statement for policy in role["Policies"] for statement in policy["PolicyDocument"]["Statement"]]
    assert "dynamodb:GetItem" in statements[0]["Action"]
    assert statements[0]["Resource"][0] == "arn:aws:dynamodb:eu-west-1:111111111111:table/orders-app-Orders"


def test_the_stack_name_is_samconfigs_as_sam_deploy_reads_it(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    (tmp_path / "samconfig.toml").write_text('version = 0.1\n[default.global.parameters]\nstack_name = "shop"\n')
    assert plan("111111111111", "eu-west-1", app=App(template=tmp_path / "template.yaml")).runtime.find("Handler").name \
        == "shop-Handler"


REGIONAL_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:  # a property SAM resolves parameters in
    Type: AWS::Serverless::HttpApi
    Properties: {CorsConfiguration: {AllowOrigins: [!Sub "https://${AWS::Region}.example.com"]}}
"""


def test_the_transform_is_the_same_whatever_region_the_caller_has(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    regional = tmp_path / "template.yaml"
    regional.write_text(REGIONAL_TEMPLATE)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))

    def under_each_region(template: Path) -> list[dict[str, Any]]:
        transformed = []
        for region in ["us-east-1", "eu-west-1", None]:
            for variable in ("AWS_DEFAULT_REGION", "AWS_REGION"):
                if region:
                    monkeypatch.setenv(variable, region)
                else:
                    monkeypatch.delenv(variable, raising=False)
            _transformed.cache_clear()  # transformed again, not the cached one
            transformed.append(cloudformation(template))
        return transformed

    for template in (TEMPLATE_PATH, regional):
        first, *others = under_each_region(template)
        assert all(other == first for other in others), template
    # where SAM resolves parameters, AWS::Region is left for the Resolver, which resolves it per stack
    assert "https://${AWS::Region}.example.com" in json.dumps(first)
LAYERED = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Layers: [!Ref Helpers]}
Resources:
  Helpers:  # its source folder holds the module (`sam build` makes python/ of it)
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: helpers/}
    Metadata: {BuildMethod: python3.13}
  Vendored:  # laid out as Lambda reads a layer: python/ holds the module
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: vendored/}
  Greet:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Handler: app.handle, Runtime: python3.13, Layers: [!Ref Vendored]}
"""


def test_a_function_imports_from_its_layers_as_on_lambda(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "template.yaml").write_text(LAYERED)
    # orders_greeting in both layers: the later one's, as Lambda extracts the layers into /opt in order
    modules = {"helpers/orders_greeting.py": "GREETING = 'hi'", "vendored/python/orders_vendored.py": "NAME = 'layers'",
               "vendored/python/orders_greeting.py": "GREETING = 'hello'",
               "src/app.py": "import orders_greeting, orders_vendored\n\n"
                             "def handle(event, context):\n"
                             "    return f'{orders_greeting.GREETING}, {orders_vendored.NAME}'\n"}
    for path, source in modules.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(source)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the layers the runtime adds, gone after the test

    stack = plan("111111111111", "eu-west-1", app=App(template=tmp_path / "template.yaml"))

    # the Globals' layer, then its own, each where its modules are
    assert stack.runtime.find("Greet").layers == (tmp_path / "helpers", tmp_path / "vendored" / "python")
    assert stack.runtime.invoke("Greet", {}) == "hello, layers"
