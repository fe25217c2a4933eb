"""Where moto is much slower than AWS in a way a user of `make run` feels, and the fix (`make bench` measures the
effect; docs/local-stack.md's "Speed, locally"). Each keeps moto's answers byte for byte: only the work behind them
changes. local_stack.patches names what each works around and its canary.

* SQS: a send reads only ContentBasedDeduplication of Queue.attributes (the local events queue, which nobody reads,
  grows by a message per job status change); every other reader, GetQueueAttributes included, gets the counts.
* DynamoDB items (and Streams images) become the generic serializer's Python objects directly, in its order (it
  made ~1,100 alias lookups for Stop's UpdateItem; tests/integration/test_moto_speed.py compares both on every
  attribute type); anything else, and any value not in DynamoDB's canonical form, still goes through moto's.
* UpdateExpressions (the workflow and Stop send the same few again and again): parsed once (the most recent 512
  kept); the validator's deep copy of the tree (~250 us for Stop's five SETs) made by a clone that knows its nodes
  (the same tree: test_moto_speed.py compares both), each of its ten walks building its table once.
* A response class's methods (a few hundred) are listed once per class, not on every request.
* A Query's sort converts each item's keys once, not at each comparison (the same order): on 5,000 items ~42 ms
  became ~34 ms (tests/benchmarks/moto_query.py; the rest is moto reading every item of the table, not patched).
* StartExecution answers before the execution's thread starts, as on AWS (a Start waited on its own workflow);
  called while the front serves a request, the thread starts once it is answered (local_stack.foreground).
"""

import copy
import functools
import sys
from collections.abc import Callable
from typing import Any

from local_stack.moto_patches import replace, wrap


def sqs_send_without_counting() -> Callable[[], None]:
    import moto.sqs.models as sqs_models
    from moto.sqs.models import Queue

    original = Queue.attributes
    # The methods of a send that read Queue.attributes, and only for ContentBasedDeduplication.
    senders = {(sqs_models.__file__, name) for name in ("send_message", "_validate_message", "add_message")}

    def attributes(queue: Any) -> dict[str, Any]:
        caller = sys._getframe(1).f_code
        if (caller.co_filename, caller.co_name) not in senders:
            return original.fget(queue)  # type: ignore[attr-defined, no-any-return]
        if not queue.fifo_queue:  # moto's attributes name ContentBasedDeduplication for FIFO queues only
            return {}
        value = queue.content_based_deduplication
        return {"ContentBasedDeduplication": str(value).lower() if isinstance(value, bool) else value}

    return replace((Queue, "attributes", property(attributes))).close


def update_expressions_parsed_once() -> Callable[[], None]:
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    # Shared by every request: moto only reads the tree (find_clauses) or deep-copies it (its Validator) before
    # filling in the values. A malformed expression raises each time (lru_cache keeps no exceptions).
    parse = functools.lru_cache(maxsize=512)(UpdateExpressionParser.make)  # bound to the class, as moto calls it
    return replace((UpdateExpressionParser, "make", staticmethod(parse))).close


def clone_tree(node: Any, memo: dict[int, Any] | None = None) -> Any:
    """What copy.deepcopy makes of an expression's syntax tree, made faster: nodes and lists are copied
    here, immutable values (strings, numbers) shared as deepcopy shares them, anything else (there is
    nothing else in a tree before validation) left to copy.deepcopy."""
    memo = {} if memo is None else memo
    kind: Any = type(node)
    if kind in _IMMUTABLE:
        return node
    if id(node) in memo:  # a parent, already copied on the way down
        return memo[id(node)]
    if isinstance(node, list):
        copied: Any = []
        memo[id(node)] = copied
        copied.extend(clone_tree(each, memo) for each in node)
    elif _is_node(kind) and not hasattr(node, "__deepcopy__"):
        copied = object.__new__(kind)
        memo[id(node)] = copied
        copied.__dict__.update({name: clone_tree(value, memo) for name, value in vars(node).items()})
    else:
        return copy.deepcopy(node, memo)
    return copied


_IMMUTABLE = frozenset({str, int, float, bool, type(None)})


@functools.cache
def _is_node(kind: Any) -> bool:
    from moto.dynamodb.parsing.ast_nodes import Node  # type: ignore[attr-defined]

    return issubclass(kind, Node)


@functools.cache
def _holds_clauses(kind: Any) -> bool:
    """moto's find_clauses descends into these (isinstance of Expression or UpdateExpressionFunction)."""
    from moto.dynamodb.parsing.ast_nodes import Expression, UpdateExpressionFunction  # type: ignore[attr-defined]

    return issubclass(kind, (Expression, UpdateExpressionFunction))


def update_expressions_validated_faster() -> Callable[[], None]:
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node  # type: ignore[attr-defined]

    assert validators.deepcopy is copy.deepcopy, "moto's validators changed: review this patch"
    base_hook = DepthFirstTraverser.pre_processing_of_child

    def traverse(original: Any, traverser: Any, root: Any) -> Any:
        """DepthFirstTraverser.traverse_node_recursively, with the processor's table built once per walk and
        each node class looked up in it once (the nodes' isinstance goes through ABCMeta: slow)."""
        processor = type(traverser)
        if any(getattr(processor, name) is not getattr(DepthFirstTraverser, name)
               for name in ("traverse_node_recursively", "process", "nodes_to_be_processed")):
            return original(traverser, root)  # a processor that walks its own way
        table = traverser._processing_map()
        processes: dict[type, Any] = {}  # node class -> its process (None: not processed)
        hook = traverser.pre_processing_of_child if processor.pre_processing_of_child is not base_hook else None

        def walk(node: Any, child_id: int) -> Any:
            kind: Any = type(node)
            if not _is_node(kind):
                return node
            parent = node.parent
            if node.children is not None:
                for index, child in enumerate(node.children):
                    if hook is not None:
                        hook(node, index)
                    walk(child, index)
            if kind not in processes:  # the first kind of the table it is an instance of, as moto's process()
                processes[kind] = next((process for each, process in table.items() if issubclass(kind, each)), None)
            process = processes[kind]
            if process is not None:
                node = process(node)
                node.parent = parent
                if parent:
                    parent.children[child_id] = node
            return node

        return walk(root, -1)

    @functools.wraps(Node.find_clauses)
    def find_clauses(node: Any, clause_types: Any) -> list[Any]:
        """Node.find_clauses, with each class's place in the tree's hierarchy looked up once."""
        clauses = []
        for child in node.children or []:
            kind: Any = type(child)
            if kind in clause_types:
                clauses.append(child)
            elif _holds_clauses(kind):
                clauses.extend(child.find_clauses(clause_types))
        return clauses

    # Only the Validator's copy of the tree is deep-copied through this name in validators.py.
    return replace((validators, "deepcopy", clone_tree), wrap(DepthFirstTraverser, "traverse", traverse),
                   (Node, "find_clauses", find_clauses)).close


def executions_started_after_the_answer() -> Callable[[], None]:
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    from local_stack import foreground

    def start(original: Any, worker: Any) -> None:
        foreground.after_answer(lambda: original(worker))

    return replace(wrap(ExecutionWorker, "start", start)).close


def dynamodb_sort_keys_converted_once() -> Callable[[], None]:
    from moto.dynamodb.models.table import Table

    def all_items(table: Any) -> list[Any]:
        if table.range_key_attr:
            items = [item for hash_set in table.items.values() for item in hash_set.values()]
        else:
            items = list(table.items.values())
        # moto's key: (x.hash_key, x.range_key) if x.range_key else x.hash_key, compared by their cast_value
        return sorted(items, key=lambda x: (x.hash_key.cast_value, x.range_key.cast_value) if x.range_key
                      else x.hash_key.cast_value)

    def sorted_items(table: Any, hash_key_attrs: list[str], range_key_attrs: list[str | None], items: list[Any]) -> list[Any]:
        attrs = table._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
        items.sort(key=lambda x: tuple(x.attrs[name].cast_value for name in attrs))
        return items

    return replace((Table, "all_items", all_items), (Table, "sorted_items", sorted_items)).close


def handler_methods_listed_once() -> Callable[[], None]:
    import moto.core.responses as responses

    # A class's methods are its own from import on (a patch replaces, never adds).
    listed = functools.cache(responses.method_names_from_class)
    return replace((responses, "method_names_from_class", listed)).close


# AttributeValue's members, in the order of the service model (moto's serializer writes them in this order).
_MEMBERS = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")
_ITEM_SERVICES = ("dynamodb", "dynamodbstreams")


class _NotCanonical(Exception):  # noqa: N818 - a signal: leave this map to moto's serializer
    pass


def dynamodb_items_serialized_directly() -> Callable[[], None]:
    from moto.core.serialize import JSONSerializer

    assert "_serialize_type_map" not in vars(JSONSerializer), "moto's JSONSerializer changed: review this patch"

    def serialize_map(generic: Any, self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        value_shape = shape.value
        if (value_shape.name == "AttributeValue" and self.service_model.service_name in _ITEM_SERVICES
                and tuple(value_shape.members) == _MEMBERS):
            try:
                return self._default_serialize(serialized, _attribute_map(value, self._base64), shape, key)
            except _NotCanonical:  # left to moto's serializer
                pass
        generic(self, serialized, value, shape, key)

    return replace(wrap(JSONSerializer, "_serialize_type_map", serialize_map)).close  # undone: JSONSerializer inherits it again


def _attribute_map(value: Any, base64: Callable[[Any], str]) -> dict[str, Any]:
    """What moto's serializer makes of a map of AttributeValues (a None value is left out, as it does)."""
    if not isinstance(value, dict):
        raise _NotCanonical
    result = {}
    for name, attribute in value.items():
        if not name:  # moto's serializer treats an empty key as "no key": leave that to it
            raise _NotCanonical
        if attribute is not None:
            result[name] = _attribute_value(attribute, base64)
    return result


def _attribute_value(value: Any, base64: Callable[[Any], str]) -> dict[str, Any]:
    if not isinstance(value, dict) or not value.keys() <= _MEMBER_SET:
        raise _NotCanonical  # other keys could be picked up under moto's aliases: not guessed here
    result: dict[str, Any] = {}
    for member in _MEMBERS:
        item = value.get(member)
        if item is None:
            continue
        if member in ("S", "N"):
            result[member] = _string(item)
        elif member == "B":
            result[member] = base64(item)
        elif member in ("SS", "NS"):
            result[member] = [_string(each) for each in item]
        elif member == "BS":
            result[member] = [base64(each) for each in item]
        elif member == "M":
            result[member] = _attribute_map(item, base64)
        elif member == "L":
            result[member] = [None if each is None else _attribute_value(each, base64) for each in item]
        else:  # NULL, BOOL: booleans, as given
            result[member] = item
    return result


_MEMBER_SET = frozenset(_MEMBERS)


def _string(value: Any) -> Any:
    return str(value) if value not in [None, {}, []] else value  # moto's _serialize_type_string
