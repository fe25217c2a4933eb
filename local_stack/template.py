"""template.yaml, read with its intrinsic functions resolved against locally created resources."""

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"


@cache
def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    template, matches = decode_str(path.read_text())
    if template is None:
        raise RuntimeError(f"Cannot parse {path}: {matches}")
    return _plain(template)


def _plain(node: Any) -> Any:
    """cfn-lint's node types -> plain dicts, lists and strings."""
    if isinstance(node, dict):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    if isinstance(node, str):
        return str(node)
    return node


def resources_of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == kind}


@dataclass
class Resolver:
    """Resolves Ref / Fn::GetAtt / Fn::Sub the way CloudFormation would, for this stack."""

    template: dict[str, Any]
    account_id: str
    region: str
    stack_name: str
    parameters: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # logical id -> Ref value
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)  # logical id -> {attr: value}

    def pseudo(self) -> dict[str, str]:
        return {
            "AWS::AccountId": self.account_id,
            "AWS::Region": self.region,
            "AWS::StackName": self.stack_name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }

    def ref(self, name: str) -> str:
        if name in self.pseudo():
            return self.pseudo()[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.template.get("Parameters", {}):
            return str(self.template["Parameters"][name].get("Default", ""))
        if name in self.refs:
            return self.refs[name]
        raise KeyError(f"Ref {name} cannot be resolved yet")

    def get_att(self, name: str, attribute: str) -> str:
        try:
            return self.attributes[name][attribute]
        except KeyError:
            raise KeyError(f"Fn::GetAtt {name}.{attribute} cannot be resolved yet") from None

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.resolve(value) for value in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Ref"}:
            return self.ref(node["Ref"])
        if set(node) == {"Fn::GetAtt"}:
            target = node["Fn::GetAtt"]
            name, attribute = target.split(".", 1) if isinstance(target, str) else target
            return self.get_att(name, attribute)
        if set(node) == {"Fn::Split"}:
            delimiter, text = node["Fn::Split"]
            return str(self.resolve(text)).split(delimiter)
        if set(node) == {"Fn::Select"}:
            index, values = node["Fn::Select"]
            return self.resolve(values)[int(self.resolve(index))]
        if set(node) == {"Fn::Join"}:
            delimiter, values = node["Fn::Join"]
            return delimiter.join(str(value) for value in self.resolve(values))
        if set(node) == {"Fn::Sub"}:
            text, variables = (node["Fn::Sub"], {}) if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"]
            return self.substitute(text, {key: self.resolve(value) for key, value in variables.items()})
        return {key: self.resolve(value) for key, value in node.items()}

    def substitute(self, text: str, variables: dict[str, Any] | None = None) -> str:
        variables = variables or {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name:
                return self.get_att(*name.split(".", 1))
            return self.ref(name)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)


def function_environment(template: dict[str, Any], logical_id: str, resolver: Resolver) -> dict[str, str]:
    """Globals' variables overlaid with the function's own, resolved."""
    global_env = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    own_env = template["Resources"][logical_id]["Properties"].get("Environment", {}).get("Variables", {})
    return {key: str(resolver.resolve(value)) for key, value in {**global_env, **own_env}.items()}


DEFAULT_ROUTE = "$default"


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # e.g. /jobs/{JobId}/stop, or $default: whatever no other route matches
    function: str  # logical id

    @property
    def route_key(self) -> str:
        return DEFAULT_ROUTE if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.path == DEFAULT_ROUTE:
            return {}
        if method.upper() != self.method:
            return None
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path)) + "$"
        found = re.match(pattern, path)
        return found.groupdict() if found else None


def http_api_routes(template: dict[str, Any]) -> list[Route]:
    routes = []
    for name, resource in resources_of_type(template, "AWS::Serverless::Function").items():
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi":
                props = event["Properties"]
                # Without Path and Method, SAM makes the API's $default route.
                routes.append(Route(props.get("Method", "ANY").upper(), props.get("Path", DEFAULT_ROUTE), name))
    return sorted(routes, key=lambda route: route.path == DEFAULT_ROUTE)  # $default only when nothing else matches
