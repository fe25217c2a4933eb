"""Request validation driven by botocore's Translate model, with AWS's own message format.

botocore ships the authoritative model of every shape (required members, lengths, patterns,
enums, ranges), so nothing here restates a constraint: it walks the model. The patterns use
Unicode classes (``\\p{L}``) that Python's ``re`` lacks; the ``regex`` package has them.
"""

import math
from functools import cache
from typing import Any

import botocore.session
import regex
from botocore.model import OperationModel, Shape, StructureShape

from translate_jobs.errors import UnknownOperationError, ValidationError

SERVICE = "translate"
# A caller cannot make us build (or log) a large message: values are shown truncated, and
# problems beyond the first few are counted, not listed (AWS caps its list too).
MAX_SHOWN_CHARS = 100
MAX_LISTED_PROBLEMS = 10
# Timestamps (epoch seconds) must be dates: years 1..9999, all well inside DynamoDB's number range.
MIN_EPOCH_SECONDS = -62135596800.0
MAX_EPOCH_SECONDS = 253402300799.0


@cache
def _service_model() -> Any:
    return botocore.session.get_session().get_service_model(SERVICE)


@cache
def _pattern(expression: str) -> "regex.Pattern[str]":
    return regex.compile(expression)


def operation_model(operation: str) -> OperationModel:
    model = _service_model()
    if operation not in model.operation_names:
        raise UnknownOperationError(f"Operation {operation} is not supported by this service.")
    return model.operation_model(operation)


def validate_request(operation: str, request: Any) -> None:
    """Raise ValidationError listing every broken constraint of ``request``, as AWS words it."""
    shape = operation_model(operation).input_shape
    problems: list[str] = []
    _check(shape, request, "", problems)
    if problems:
        raise ValidationError(problems, listed=MAX_LISTED_PROBLEMS)


def _path(parent: str, member: str) -> str:
    # AWS names members in lower camel case: 'inputDataConfig.s3Uri'.
    name = _truncated(member[:1].lower() + member[1:])  # an empty name is possible: {"": 1}
    return f"{parent}.{name}" if parent else name


def _truncated(text: str) -> str:
    return text if len(text) <= MAX_SHOWN_CHARS else text[:MAX_SHOWN_CHARS] + "..."


def _show(value: Any) -> str:
    if isinstance(value, list):
        # Only as many items as can be shown; nested containers are not expanded.
        shown: list[str] = []
        for item in value:
            shown.append("[...]" if isinstance(item, list) else "{...}" if isinstance(item, dict) else str(item))
            if sum(map(len, shown)) > MAX_SHOWN_CHARS:
                break
        return _truncated("[" + ", ".join(shown) + ("" if len(shown) == len(value) else ", ...") + "]")
    if isinstance(value, dict):
        return _truncated("{" + ", ".join(f"{key}=..." for key in list(value)[:10]) + "}")
    return _truncated(str(value))


def _check(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    def fail(constraint: str) -> None:
        problems.append(f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: {constraint}")

    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        if not isinstance(value, dict):
            fail("Member must be a structure")
            return
        for member in value:
            if member not in shape.members:
                member_path = _path(path, member)
                constraint = f"Member must be a known member of {shape.name}"
                problems.append(f"Value at '{member_path}' failed to satisfy constraint: {constraint}")
        for name, member_shape in shape.members.items():
            member_path = _path(path, name)
            if value.get(name) is None:
                if name in shape.required_members:
                    problems.append(f"Value null at '{member_path}' failed to satisfy constraint: Member must not be null")
                continue
            _check(member_shape, value[name], member_path, problems)
        return
    if kind == "list":
        if not isinstance(value, list):
            fail("Member must be a list")
            return
        _check_range(len(value), meta, "length", fail)
        for index, item in enumerate(value, start=1):
            _check(shape.member, item, f"{path}.{index}.member", problems)  # type: ignore[attr-defined]
        return
    if kind == "string":
        if not isinstance(value, str):
            fail("Member must be a string")
            return
        _check_range(len(value), meta, "length", fail)
        if shape.enum and value not in shape.enum:
            fail("Member must satisfy enum value set: [" + ", ".join(shape.enum) + "]")
        if "pattern" in meta and not _pattern(meta["pattern"]).fullmatch(value):
            fail(f"Member must satisfy regular expression pattern: {meta['pattern']}")
        return
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            fail("Member must be an integer")
            return
        _check_range(value, meta, "value", fail)
        return
    if kind == "timestamp":
        # AWS JSON carries timestamps as epoch seconds.
        if isinstance(value, bool) or not isinstance(value, int | float) or not _is_date(value):
            fail("Member must be a timestamp in epoch seconds between years 1 and 9999")
        return
    if kind == "boolean" and not isinstance(value, bool):
        fail("Member must be a boolean")


def _is_date(value: int | float) -> bool:
    # An int is compared as an int: math.isfinite(10**400) would overflow.
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return MIN_EPOCH_SECONDS <= value <= MAX_EPOCH_SECONDS


def _check_range(measure: int, meta: dict[str, Any], what: str, fail: Any) -> None:
    if "min" in meta and measure < meta["min"]:
        fail(f"Member must have {what} greater than or equal to {meta['min']}")
    if "max" in meta and measure > meta["max"]:
        fail(f"Member must have {what} less than or equal to {meta['max']}")
