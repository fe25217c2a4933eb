"""IAM policy evaluation, as AWS documents it, for identity policies and role trust policies.

Pure functions: a policy document (parsed JSON) and a request (action, resource, context keys,
and for trust policies the calling principal) give ALLOW, DENY (an explicit Deny matched) or
IMPLICIT_DENY (nothing allowed it). Rules followed (IAM User Guide, "Policy evaluation logic" and
"IAM JSON policy elements reference"):

- explicit Deny beats Allow; nothing matching is an implicit deny;
- Action/NotAction match case-insensitively with * and ?; Resource/NotResource match ARNs
  segment by segment (the resource part may hold ':' and '/'), case-sensitively;
- Condition: every operator block and every key in it must hold (AND); the values listed for one
  key are alternatives (OR); negated operators (StringNotEquals...) hold when no value matches;
- a key absent from the request: a positive operator is false, a negated one true, ...IfExists
  true, Null tests presence, ForAllValues: true, ForAnyValue: false;
- policy variables (${aws:username}, ${aws:PrincipalTag/x}, ${key, 'default'}, ${*} ${?} ${$}) in
  Resource and in string/ARN condition values.
"""

import enum
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from operator import eq, ge, gt, le, lt
from typing import Any

ContextValue = str | bool | int | float | Sequence[str]


class Decision(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"  # an explicit Deny statement matched
    IMPLICIT_DENY = "implicit_deny"


@dataclass(frozen=True)
class Principal:
    """Who makes the request, as a trust (resource) policy's Principal element sees it."""

    arn: str  # arn:aws:sts::<acct>:assumed-role/<role>/<session>, arn:aws:iam::<acct>:root, ...
    account: str = ""
    role_arn: str = ""  # for a role session: the role's own ARN (Principal names the role)
    service: str = ""  # for a service principal: e.g. lambda.amazonaws.com


@dataclass(frozen=True)
class Request:
    action: str
    resource: str = "*"
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    principal: Principal | None = None


def evaluate(policies: Iterable[Mapping[str, Any]], request: Request) -> Decision:
    """One decision over several policies (a role's inline and attached ones, or one trust policy)."""
    context = {key.lower(): value for key, value in request.context.items()}
    allowed = False
    for policy in policies:
        for statement in _statements(policy):
            if not _applies(statement, request, context):
                continue
            if statement.get("Effect") == "Deny":
                return Decision.DENY
            if statement.get("Effect") == "Allow":
                allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = policy.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _applies(statement: Mapping[str, Any], request: Request, context: Mapping[str, ContextValue]) -> bool:
    principal = request.principal
    if ("Principal" in statement or "NotPrincipal" in statement) and principal is None:
        return False
    if not _admits(statement, "Action", lambda pattern: action_matches(pattern, request.action)):
        return False  # no Action nor NotAction: the statement applies to nothing
    if _admits(statement, "Resource", lambda pattern: resource_matches(_variables(pattern, context), request.resource)) is False:
        return False
    if _admits(statement, "Principal", lambda element: principal is not None and principal_matches(element, principal)) is False:
        return False
    return conditions_hold(statement.get("Condition", {}), context)


def _admits(statement: Mapping[str, Any], element: str, matches: Callable[[Any], bool]) -> bool | None:
    """Does ``element`` (any of its values), or Not``element`` (none of them), admit the request? None: neither is there."""
    if element in statement:
        return any(matches(value) for value in _as_list(statement[element]))
    if f"Not{element}" in statement:
        return not any(matches(value) for value in _as_list(statement[f"Not{element}"]))
    return None


# ---------- Action, Resource, Principal ----------


@lru_cache(maxsize=4096)
def _glob(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """IAM's wildcards: * any run of characters, ? one character; nothing else is special.

    A character after \\x00 (a ${*} or ${?} policy variable) is literal.
    """
    out, literal = [], False
    for c in pattern:
        if c == LITERAL:
            literal = True
            continue
        out.append(re.escape(c) if literal or c not in "*?" else ".*" if c == "*" else ".")
        literal = False
    return re.compile("".join(out) + r"\Z", flags | re.S)


def action_matches(pattern: str, action: str) -> bool:
    return bool(_glob(pattern, re.I).match(action))


def resource_matches(pattern: str | None, resource: str) -> bool:
    """Resource/ArnLike: "*" is anything; otherwise the six ARN parts match one by one."""
    if pattern is None:
        return False
    if pattern == "*":
        return True
    pattern_parts, resource_parts = pattern.split(":", 5), resource.split(":", 5)
    if len(pattern_parts) != 6 or len(resource_parts) != 6:
        return bool(_glob(pattern).match(resource))
    return all(_glob(p).match(r) for p, r in zip(pattern_parts, resource_parts, strict=True))


def principal_matches(element: Any, principal: Principal) -> bool:
    if element == "*":
        return True
    if not isinstance(element, Mapping):
        return False
    for kind, values in element.items():
        for value in _as_list(values):
            if kind == "AWS" and _aws_principal_matches(str(value), principal):
                return True
            if kind == "Service" and principal.service and value == principal.service:
                return True
    return False


def _aws_principal_matches(value: str, principal: Principal) -> bool:
    if value == "*":
        return True
    if re.fullmatch(r"\d{12}", value):  # an account id stands for the account's root
        value = f"arn:aws:iam::{value}:root"
    root = re.fullmatch(r"arn:[\w-]+:iam::(\d{12}):root", value)
    if root:  # the account: any principal of it (its identity policies then decide)
        return principal.account == root.group(1)
    return value in (principal.arn, principal.role_arn)


def allows_by_name(policy: Mapping[str, Any], request: Request) -> bool:
    """Does an Allow statement that names the request's principal itself (not merely its account) allow
    this request: its action, its resource and its conditions? (In one account, that is enough on its own.)"""
    principal = request.principal
    if principal is None:
        return False
    context = {key.lower(): value for key, value in request.context.items()}
    for statement in _statements(policy):
        element = statement.get("Principal")
        if statement.get("Effect") != "Allow" or not isinstance(element, Mapping):
            continue
        named = any(str(v) in (principal.arn, principal.role_arn) for v in _as_list(element.get("AWS"))) or bool(
            principal.service and principal.service in _as_list(element.get("Service")))
        if named and _applies(statement, request, context):
            return True
    return False


# ---------- policy variables ----------

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
LITERAL = "\x00"  # marks the next character as literal (from ${*}, ${?}, ${$})


def _variables(text: Any, context: Mapping[str, ContextValue]) -> str | None:
    """Substitute ${...}; None when a variable has no value and no default (the element cannot match)."""
    if not isinstance(text, str) or "${" not in text:
        return text if isinstance(text, str) else str(text)
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        name, _, default = match.group(1).partition(",")
        name = name.strip()
        if name in ("*", "?", "$"):
            return LITERAL + name
        value = context.get(name.lower())
        if value is None or isinstance(value, list | tuple):
            default = default.strip()
            if len(default) >= 2 and default[0] == default[-1] == "'":
                return default[1:-1]
            missing = True
            return ""
        return _text(value)

    result = _VARIABLE.sub(replace, text)
    return None if missing else result


# ---------- Condition ----------


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _exact(pattern: str) -> str:
    return pattern.replace(LITERAL, "")


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _date(value: Any) -> float | None:
    number = _number(value)
    if number is not None:
        return number
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


def _compared(convert: Callable[[Any], float | None], test: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    def compare(policy_value: Any, value: Any) -> bool:
        left, right = convert(value), convert(policy_value)
        return left is not None and right is not None and test(left, right)

    return compare


def _ip(policy_value: Any, value: Any) -> bool:
    try:
        return ipaddress.ip_address(str(value)) in ipaddress.ip_network(str(policy_value), strict=False)
    except ValueError:
        return False


_COMPARISONS = {"Equals": eq, "LessThan": lt, "LessThanEquals": le, "GreaterThan": gt, "GreaterThanEquals": ge}
# operator -> does one policy value match one request value?
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "StringEquals": lambda p, v: _exact(p) == _text(v),
    "StringEqualsIgnoreCase": lambda p, v: _exact(p).lower() == _text(v).lower(),
    "StringLike": lambda p, v: bool(_glob(p).match(_text(v))),
    **{f"Numeric{name}": _compared(_number, test) for name, test in _COMPARISONS.items()},
    **{f"Date{name}": _compared(_date, test) for name, test in _COMPARISONS.items()},
    "Bool": lambda p, v: _text(p).lower() == _text(v).lower(),
    "IpAddress": _ip,
    **dict.fromkeys(("ArnEquals", "ArnLike"), lambda p, v: resource_matches(p, _text(v))),
}
# a negated operator -> the operator it negates
_NEGATED = {"StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
            "StringNotLike": "StringLike", "NumericNotEquals": "NumericEquals", "DateNotEquals": "DateEquals",
            "NotIpAddress": "IpAddress", "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike"}


def conditions_hold(condition: Mapping[str, Any], context: Mapping[str, ContextValue]) -> bool:
    """Every operator and every key must hold (context keys lower-cased)."""
    for operator, keys in condition.items():
        for key, policy_values in keys.items():
            if not _condition_holds(operator, key.lower(), _as_list(policy_values), context):
                return False
    return True


def _condition_holds(operator: str, key: str, policy_values: list[Any], context: Mapping[str, ContextValue]) -> bool:
    qualifier, _, name = operator.rpartition(":")
    present = key in context and context[key] is not None
    values: list[Any] = _as_list(context[key]) if present else []
    if name == "Null":
        is_null = not present or values == []
        return any(_text(p).lower() == ("true" if is_null else "false") for p in policy_values)
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    negated = name in _NEGATED
    match = _OPERATORS.get(_NEGATED.get(name, name))
    if match is None:
        raise ValueError(f"Unknown condition operator {operator}")
    if name.startswith(("String", "Arn")):  # string and ARN values take policy variables
        substituted = [_variables(p, context) for p in policy_values]
        policy_values = [p for p in substituted if p is not None]
    else:
        policy_values = [_text(p) for p in policy_values]

    def satisfied(value: Any) -> bool:
        matched = any(match(p, value) for p in policy_values)
        return not matched if negated else matched

    if qualifier == "ForAllValues":
        return all(satisfied(value) for value in values)  # vacuously true when absent or empty
    if qualifier == "ForAnyValue":
        return any(satisfied(value) for value in values)
    if not present:
        return if_exists or negated
    if negated:  # a negated operator holds when no request value matches any policy value
        return all(satisfied(value) for value in values)
    return any(satisfied(value) for value in values)
