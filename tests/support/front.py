"""Raw HTTP to the local front, signed as botocore signs (SigV4), for tests that build requests by hand."""

import http.client
import json
import socket
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def signed_headers(
    method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None, *,
    access_key: str = "testing", secret_key: str = "testing", service: str = "execute-api", region: str = REGION,
) -> dict[str, str]:
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    SigV4Auth(Credentials(access_key, secret_key), service, region).add_auth(request)
    return dict(request.headers.items())


def call(
    base_url: str, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
    *, sign: bool = True, timeout: float = 10, **signing: Any,
) -> tuple[int, dict[str, str], bytes]:
    """One request on its own connection; (status, lower-cased headers, body)."""
    parts = urlsplit(base_url)
    all_headers = dict(headers or {})
    if sign:
        all_headers = signed_headers(method, base_url + path, body, all_headers, **signing)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        connection.request(method, path, body=body or None, headers=all_headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def aws_error(status: int, headers: dict[str, str], body: bytes) -> str:
    """The error code of an AWS-shaped error answer (asserting the shape), e.g. 'NotFoundException'."""
    assert 400 <= status < 500, (status, body[:300])
    document = json.loads(body)
    assert isinstance(document, dict) and isinstance(document.get("message"), str), body[:300]
    assert document.get("__type") == headers.get("x-amzn-errortype"), (headers, body[:300])
    return str(document["__type"])
