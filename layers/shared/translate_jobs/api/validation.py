"""Request validation driven by botocore's Translate model, with AWS's own message format.

botocore ships the authoritative model of every shape (required members, lengths, patterns,
enums, ranges), so nothing here restates a constraint: it walks the model. Some patterns use
Unicode property classes (``\\p{L}``) that Python's ``re`` lacks; ``unicode_pattern`` supplies them
from ``unicodedata`` (the layer then ships no compiled regular-expression engine).
"""

import math
import re
import unicodedata
from collections.abc import Callable
from functools import cache
from typing import Any

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

from translate_jobs.domain.errors import MAX_SHOWN_CHARS, UnknownOperationError, ValidationError, shown

SERVICE = "translate"
API_VERSION = "2017-07-01"
# A caller cannot make us build (or log) a large message: values are shown cut (domain.errors.shown),
# and problems beyond the first few are counted, not listed (AWS caps its list too).
MAX_LISTED_PROBLEMS = 10
# Timestamps (epoch seconds) must be dates: years 1..9999, all well inside DynamoDB's number range.
MIN_EPOCH_SECONDS = -62135596800.0
MAX_EPOCH_SECONDS = 253402300799.0


@cache
def _service_model() -> ServiceModel:
    # The model file itself, by its known version: a botocore Session would first list every service
    # in botocore's data (~40 ms of a cold start's first request) to find the latest version.
    return ServiceModel(Loader().load_data(f"{SERVICE}/{API_VERSION}/service-2"), service_name=SERVICE)


# The general categories \p{X} names by one or two letters (X = "L" is every L* category).
CATEGORIES = ("Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf",
              "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn")
# Each non-ASCII character is matched as a stand-in for its category: one code point of plane 15
# per category. The mapping keeps the length, so quantifiers and anchors mean what they meant.
_STAND_IN = {category: chr(0xF0000 + index) for index, category in enumerate(CATEGORIES)}
_PROPERTY = re.compile(r"\\([pP])\{(\w+)\}")


@cache
def _pattern(expression: str) -> Callable[[str], bool]:
    """``fullmatch`` of a model pattern, as a predicate on the value."""
    if not _PROPERTY.search(expression):
        plain = re.compile(expression)
        return lambda value: plain.fullmatch(value) is not None
    compiled = unicode_pattern(expression)
    return lambda value: compiled.fullmatch(_stand_ins(value)) is not None


def unicode_pattern(expression: str) -> "re.Pattern[str]":
    """A pattern with ``\\p{..}``/``\\P{..}`` classes, compiled to match ``_stand_ins(value)``.

    Supported: general categories (``L``, ``Lu``, ...) and ``ASCII``, inside or outside ``[...]``,
    in an ASCII pattern. ``.``, ``\\w``, ``\\d``, ``\\s``, ``\\b`` and escaped code points would
    misread the stand-ins, so a pattern using them beside ``\\p{..}`` is refused (the model has none).
    """
    if not expression.isascii():
        raise ValueError(f"unsupported pattern for Unicode properties: {expression}")
    out: list[str] = []
    in_class = False
    position = 0
    while position < len(expression):
        found = _PROPERTY.match(expression, position)
        if found:
            members = "".join(re.escape(c) for c in _members(found.group(2), negated=found.group(1) == "P"))
            out.append(members if in_class else f"[{members}]")
            position = found.end()
            continue
        char = expression[position]
        escaped = expression[position:position + 2]
        if (char == "." and not in_class) or (char == "\\" and escaped[1:] in tuple("wWdDsSbBxuUN0")):
            raise ValueError(f"unsupported pattern for Unicode properties: {expression}")
        if char == "\\":
            out.append(escaped)
            position += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class and out[-1] != "[":
            in_class = False
        out.append(char)
        position += 1
    return re.compile("".join(out))


def _members(prop: str, negated: bool) -> list[str]:
    """The ASCII characters and category stand-ins that ``\\p{prop}`` (or ``\\P{prop}``) matches."""
    if prop == "ASCII":
        inside = [chr(code) for code in range(128)]
        return list(_STAND_IN.values()) if negated else inside
    if not any(category.startswith(prop) for category in CATEGORIES):
        raise ValueError(f"unknown Unicode property \\p{{{prop}}}")
    ascii_chars = [chr(code) for code in range(128) if unicodedata.category(chr(code)).startswith(prop) != negated]
    return ascii_chars + [stand_in for category, stand_in in _STAND_IN.items() if category.startswith(prop) != negated]


def _stand_ins(value: str) -> str:
    if value.isascii():
        return value
    return "".join(c if c.isascii() else _STAND_IN[unicodedata.category(c)] for c in value)


def snake_case(member: str) -> str:
    """A member's name in Python: ``TargetLanguageCodes`` -> ``target_language_codes``, ``S3Uri`` -> ``s3_uri``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", member).lower()


def members(shape_name: str) -> list[str]:
    """The members of one of the model's structures, in the model's order."""
    shape = _service_model().shape_for(shape_name)
    assert isinstance(shape, StructureShape)
    return list(shape.members)


def operation_model(operation: str) -> OperationModel:
    model = _service_model()
    if operation not in model.operation_names:
        raise UnknownOperationError(f"Operation {shown(operation)} is not supported by this service.")
    return model.operation_model(operation)


def validate_request(operation: str, request: Any) -> None:
    """Raise ValidationError listing every broken constraint of ``request``, as AWS words it."""
    shape = operation_model(operation).input_shape
    problems: list[str] = []
    _check(shape, request, "", problems)
    if problems:
        raise ValidationError(problems, listed=MAX_LISTED_PROBLEMS)


def failed_constraint(value: Any, path: str, constraint: str) -> str:
    """One problem, as AWS words it: the value shown cut, where it is, and the constraint it breaks."""
    return f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: {constraint}"


def _path(parent: str, member: str) -> str:
    # AWS names members in lower camel case: 'inputDataConfig.s3Uri'.
    name = shown(member[:1].lower() + member[1:])  # an empty name is possible: {"": 1}
    return f"{parent}.{name}" if parent else name


def _show(value: Any) -> str:
    if isinstance(value, list):
        # Only as many items as can be shown; nested containers are not expanded.
        items: list[str] = []
        for item in value:
            items.append("[...]" if isinstance(item, list) else "{...}" if isinstance(item, dict) else shown(item))
            if sum(map(len, items)) > MAX_SHOWN_CHARS:
                break
        return shown("[" + ", ".join(items) + ("" if len(items) == len(value) else ", ...") + "]")
    if isinstance(value, dict):
        return shown("{" + ", ".join(f"{key}=..." for key in list(value)[:10]) + "}")
    return shown(value)


def _check(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    def fail(constraint: str) -> None:
        problems.append(failed_constraint(value, path, constraint))

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
        if "pattern" in meta and not _pattern(meta["pattern"])(value):
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
    if kind == "blob":
        # AWS JSON carries a blob as base64 text (the SDKs encode it); its length constraint is on the bytes.
        if not isinstance(value, str) or len(value) % 4 or not _BASE64.fullmatch(value):
            fail("Member must be base64-encoded binary data")
            return
        _check_range(blob_length(value), meta, "length", fail)


_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def blob_length(encoded: str) -> int:
    """The number of bytes a (valid, padded) base64 text decodes to, without decoding it."""
    return len(encoded) // 4 * 3 - len(encoded[-2:]) + len(encoded[-2:].rstrip("="))


def max_encoded_bytes(operation: str) -> int:
    """The most base64 text the blobs of ``operation``'s request may carry (0 for an operation without one)."""
    return _blob_bytes(operation_model(operation).input_shape)


def _blob_bytes(shape: Shape | None) -> int:
    if shape is None:
        return 0
    if shape.type_name == "blob":
        return -(-int(shape.metadata.get("max", 0)) // 3) * 4
    if isinstance(shape, StructureShape):
        return sum(_blob_bytes(member) for member in shape.members.values())
    return 0


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
