"""What the job store's botocore client really sends, recorded while a block runs."""

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class DynamoRequests:
    """What the store's client sent: (operation, request body) per HTTP request, and the outcomes."""

    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    results: list[tuple[str, str | None]] = field(default_factory=list)  # (operation, error code or None)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def operations(self) -> list[str]:
        return [operation for operation, _ in self.sent]

    def succeeded(self, operation: str) -> int:
        return sum(1 for op, error in self.results if op == operation and error is None)


@contextmanager
def store_client_hooks(handlers: dict[str, Callable[..., None]]) -> Iterator[None]:
    """``handlers`` (botocore event name -> handler) on the job store's DynamoDB client while the block runs."""
    from tests.support.stack import job_store

    events = job_store().client().meta.events
    for event_name, handler in handlers.items():
        events.register(event_name, handler, unique_id=f"test-hook-{event_name}")
    try:
        yield
    finally:
        for event_name in handlers:
            events.unregister(event_name, unique_id=f"test-hook-{event_name}")


@contextmanager
def dynamodb_requests() -> Iterator[DynamoRequests]:
    """Record every request the job store's DynamoDB client sends while the block runs."""
    seen = DynamoRequests()

    def before_send(request: Any, event_name: str, **_: Any) -> None:
        body = json.loads(request.body) if request.body else {}
        with seen.lock:
            seen.sent.append((event_name.rsplit(".", 1)[-1], body))

    def after_call(parsed: dict[str, Any], event_name: str, **_: Any) -> None:
        with seen.lock:
            seen.results.append((event_name.rsplit(".", 1)[-1], parsed.get("Error", {}).get("Code")))

    with store_client_hooks({"before-send.dynamodb": before_send, "after-call.dynamodb": after_call}):
        yield seen
