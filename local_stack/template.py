"""A SAM template read the way SAM deploys it: aws-sam-translator turns it into plain CloudFormation
(the functions' roles and policies, event source mappings, rules, the HTTP API's routes), and a
Resolver evaluates that CloudFormation's intrinsic functions against locally named resources."""

import copy
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from cfnlint.decode import decode_str

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"
CODE_BUCKET = "local"  # code and definitions are "uploaded" as s3://local/<path in the project>
_NO_VALUE = object()  # AWS::NoValue: the property or list entry is dropped


@cache
def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as written (SAM resources, Globals)."""
    template, matches = decode_str(path.read_text())
    if template is None:
        raise RuntimeError(f"Cannot parse {path}: {matches}")
    # cfn-lint's node types -> plain JSON values (a YAML date is its text, as CloudFormation reads it)
    return json.loads(json.dumps(template, default=str))  # type: ignore[no-any-return]


def cloudformation(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as SAM deploys it: plain CloudFormation, a copy of its own for the caller."""
    return json.loads(_transformed(path))  # type: ignore[no-any-return]


@cache
def _transformed(path: Path) -> str:
    from unittest import mock

    from samtranslator.sdk.parameter import SamParameterValues
    from samtranslator.translator.arn_generator import ArnGenerator
    from samtranslator.translator.transform import transform

    template = copy.deepcopy(load_template(path))
    for properties in [*(resource.get("Properties", {}) for resource in template["Resources"].values()),
                       template.get("Globals", {}).get("Function", {})]:
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):  # what `sam build` would upload, where it is here
            if isinstance(properties.get(key), str) and "://" not in properties[key]:
                properties[key] = f"s3://{CODE_BUCKET}/{properties[key]}"
    # SAM asks boto3 for a region only to name the partition in ARNs it writes.
    ArnGenerator.BOTO_SESSION_REGION_NAME = ArnGenerator.BOTO_SESSION_REGION_NAME or "us-east-1"
    # SAM's loader of managed policy names (for Policies given by name): moto's, read only if a template names one.
    managed_policies = SimpleNamespace(load=lambda: {name: arn for arn, (name, _) in aws_managed_policies().items()})
    # SAM would resolve the pseudo parameters (AWS::Region...) where it resolves parameters with its boto3 session's
    # region, and fails without one: they are left for the Resolver, which resolves them per stack.
    with mock.patch.object(SamParameterValues, "add_pseudo_parameter_values", lambda self, session=None: None):
        return json.dumps(transform(template, {}, managed_policies))


@cache
def aws_managed_policies() -> dict[str, tuple[str, dict[str, Any]]]:
    """ARN -> (name, document) of every AWS managed policy moto knows."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return {f"arn:aws:iam::aws:policy{data['Path']}{name}": (name, data["Document"])
            for name, data in json.loads(aws_managed_policies_data).items()}


def resources_of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == kind}


@dataclass
class Resolver:
    """Resolves Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Split, Fn::Select and Fn::If the way CloudFormation
    would, for this stack."""

    template: dict[str, Any]
    account_id: str
    region: str
    stack_name: str
    parameters: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # logical id -> Ref value
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)  # logical id -> {attr: value}

    def ref(self, name: str) -> str:
        pseudo = {"AWS::AccountId": self.account_id, "AWS::Region": self.region, "AWS::StackName": self.stack_name,
                  "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
        defaults = {key: str(spec.get("Default", "")) for key, spec in self.template.get("Parameters", {}).items()}
        for values in (pseudo, self.parameters, defaults, self.refs):
            if name in values:
                return values[name]
        raise KeyError(f"Ref {name} cannot be resolved yet")

    def get_att(self, name: str, attribute: str) -> str:
        try:
            return self.attributes[name][attribute]
        except KeyError:
            raise KeyError(f"Fn::GetAtt {name}.{attribute} cannot be resolved yet") from None

    def condition(self, name: str) -> bool:
        return bool(self._condition(self.template.get("Conditions", {})[name]))

    def _condition(self, node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            (key, value), = node.items()
            if key == "Fn::Equals":
                left, right = (self._condition(v) for v in value)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self._condition(value[0])
            if key == "Fn::And":
                return all(self._condition(v) for v in value)
            if key == "Fn::Or":
                return any(self._condition(v) for v in value)
            if key == "Condition":
                return self.condition(value)
        return self.resolve(node)

    def resolve(self, node: Any) -> Any:
        resolved = self._resolve(node)
        return None if resolved is _NO_VALUE else resolved

    def _resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [value for value in (self._resolve(v) for v in node) if value is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Ref"}:
            return _NO_VALUE if node["Ref"] == "AWS::NoValue" else self.ref(node["Ref"])
        if set(node) == {"Fn::GetAtt"}:
            target = node["Fn::GetAtt"]
            name, attribute = target.split(".", 1) if isinstance(target, str) else target
            return self.get_att(name, attribute)
        if set(node) == {"Fn::If"}:
            name, when_true, when_false = node["Fn::If"]
            return self._resolve(when_true if self.condition(name) else when_false)
        if set(node) == {"Fn::Select"}:
            index, values = node["Fn::Select"]
            return self._resolve(values)[int(self._resolve(index))]
        if set(node) == {"Fn::Split"}:
            delimiter, text = node["Fn::Split"]
            return str(self._resolve(text)).split(delimiter)
        if set(node) == {"Fn::Join"}:
            delimiter, values = node["Fn::Join"]
            return delimiter.join(str(value) for value in self._resolve(values))
        if set(node) == {"Fn::Sub"}:
            text, variables = (node["Fn::Sub"], {}) if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"]
            return self.substitute(text, {key: self._resolve(value) for key, value in variables.items()})
        resolved = {key: self._resolve(value) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not _NO_VALUE}

    def substitute(self, text: str, variables: dict[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name:
                return self.get_att(*name.split(".", 1))
            return self.ref(name)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)


DEFAULT_ROUTE = "$default"


@dataclass(frozen=True)
class Route:
    method: str  # or ANY
    path: str  # e.g. /jobs/{JobId}/stop, or $default: whatever no other route matches
    function: str  # logical id

    @property
    def route_key(self) -> str:
        return DEFAULT_ROUTE if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.path == DEFAULT_ROUTE:
            return {}
        if self.method not in ("ANY", method.upper()):
            return None
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path)) + "$"
        found = re.match(pattern, path)
        return found.groupdict() if found else None


def http_api_routes(api_body: dict[str, Any], resolver: Resolver, function_of: Any) -> list[Route]:
    """The routes of an AWS::ApiGatewayV2::Api's OpenAPI body (as SAM writes it), each to the function its
    Lambda proxy integration names (``function_of``: function ARN -> logical id); $default last."""
    routes = []
    for path, operations in api_body.get("paths", {}).items():
        for method, operation in operations.items():
            integration = operation.get("x-amazon-apigateway-integration") if isinstance(operation, dict) else None
            if not integration:
                continue
            uri = str(resolver.resolve(integration["uri"]))  # ...:lambda:path/2015-03-31/functions/<function ARN>/invocations
            function = function_of(uri.split("/functions/", 1)[1].rsplit("/invocations", 1)[0])
            verb = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
            routes.append(Route(verb, path, function))
    return sorted(routes, key=lambda route: route.path == DEFAULT_ROUTE)
