"""AWS clients that a function's dependencies hold, each made on its first use.

A function is given every client it may need (its dependencies, built once per execution environment),
but a request uses few of them: a Stop needs DynamoDB only. Making a client loads its service's model
(tens of milliseconds), so each is made when first called, then kept for the execution environment.
"""

import threading
from typing import Any

from botocore.config import Config


class OnFirstUse:
    """Stands for ``boto3.client(service, ...)``: made on the first attribute read, then the same client."""

    def __init__(self, service: str, region: str, config: Config | None = None, endpoint_url: str | None = None) -> None:
        self._arguments: dict[str, Any] = {"region_name": region}
        if config:
            self._arguments["config"] = config
        if endpoint_url:
            self._arguments["endpoint_url"] = endpoint_url
        self._service = service
        self._client: Any = None
        self._lock = threading.Lock()  # locally, many requests of one function run at once

    def __getattr__(self, name: str) -> Any:
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    import boto3  # here: a cold start that makes no client (Stop, Describe) skips its ~40 ms

                    self._client = boto3.client(self._service, **self._arguments)  # type: ignore[call-overload]
                client = self._client
        return getattr(client, name)

    def __repr__(self) -> str:
        return f"OnFirstUse({self._service!r}, made={self._client is not None})"
