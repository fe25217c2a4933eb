"""EventBridge's event pattern matching: moto's matcher, with the two cases it gets wrong fixed.

moto 5.2.5's ``EventPattern`` implements prefix, suffix, anything-but, numeric, exists,
equals-ignore-case, wildcard, cidr, ``$or`` and nesting (tests/integration/test_local_events_patterns.py runs
EventBridge's documented examples against it). It differs from EventBridge in two ways, fixed here:

* arrays of objects: EventBridge matches ``{"items": {"id": [2]}}`` against
  ``"items": [{"id": 1}, {"id": 2}]``; moto stops flattening at arrays and never matches;
* booleans: Python's ``True == 1`` makes moto match ``[1]`` and ``{"numeric": [">", 0]}``
  against ``true``; in EventBridge booleans are neither numbers nor equal to them.
"""

from typing import Any

from moto.events.models import EventPattern as MotoEventPattern


class EventPattern(MotoEventPattern):
    @staticmethod
    def _flatten_dict(node: Any, prefix: str = "", result: dict[str, Any] | None = None) -> dict[str, Any]:
        """{"a": {"b": [{"c": 1}, {"c": 2}]}} -> {"a.b.c": [1, 2]}: every leaf's values under its dotted path."""
        found: dict[str, Any] = {} if result is None else result
        if isinstance(node, dict) and node:
            for key, value in node.items():
                EventPattern._flatten_dict(value, f"{prefix}.{key}" if prefix else key, found)
        elif isinstance(node, list):
            found.setdefault(prefix, [])
            for element in node:
                EventPattern._flatten_dict(element, prefix, found)
        else:
            found.setdefault(prefix, []).append(node)
        return found

    def _does_item_match_filters(self, item: Any, filters: list[Any]) -> bool:
        values = item if isinstance(item, list) else [item]
        for value in values:
            for pattern in filters:
                if isinstance(pattern, dict):
                    numeric_on_non_number = "numeric" in pattern and not _is_number(value)
                    if not numeric_on_non_number and super()._does_item_match_filters(value, [pattern]):
                        return True
                elif _same_json_value(value, pattern):
                    return True
        if not values:  # an empty array: only "exists" can say something about it
            return any(isinstance(p, dict) and super()._does_item_match_filters(item, [p]) for p in filters)
        return False


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _same_json_value(value: Any, pattern: Any) -> bool:
    """JSON equality: true is not 1 (a bool is no number here, nor of int's type), 5 is 5.0, "5" is not 5."""
    if _is_number(value) and _is_number(pattern):
        return bool(value == pattern)
    return type(value) is type(pattern) and value == pattern
