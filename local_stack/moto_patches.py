"""Where moto differs from AWS in a way this service's correctness depends on, and the fix.

moto (5.2.5) applies DynamoDB requests without a lock: two threads' conditional UpdateItems
(parallel Map iterations adding their batch counts, Stop racing finalize) can both pass their
conditions, and one update is lost. DynamoDB applies each single-item request atomically, so
the local stack and the tests serialize moto's DynamoDB requests. Undo with the returned function.
"""

import functools
import threading
from collections.abc import Callable
from typing import Any

DYNAMODB_METHODS = ["get_item", "put_item", "update_item", "delete_item", "transact_write_items", "query", "scan"]


def atomic_moto_dynamodb() -> Callable[[], None]:
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    originals = {name: getattr(DynamoDBBackend, name) for name in DYNAMODB_METHODS}

    def locked(method: Any) -> Any:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return wrapper

    for name, method in originals.items():
        setattr(DynamoDBBackend, name, locked(method))

    def undo() -> None:
        for name, method in originals.items():
            setattr(DynamoDBBackend, name, method)

    return undo
