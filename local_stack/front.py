"""The HTTP API on a local port, as ``sam local start-api`` would serve it.

Each request becomes the API Gateway HTTP API (payload 2.0) event the deployed API sends, for
the route template.yaml declares; the function's response goes back as API Gateway returns it.
SigV4 signatures are not verified (neither does ``sam local start-api``); the caller's account is
the configured local account, placed where the IAM authorizer puts it.
"""

import base64
import json
import re
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from local_stack.runtime import FunctionError, FunctionRuntime
from local_stack.template import Route

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's own limit
TEXT_TYPES = re.compile(r"^(text/|application/(json|x-amz-json|xml|x-www-form-urlencoded))")


def build_event(
    route: Route, method: str, raw_path: str, query: str, headers: dict[str, str], body: bytes,
    path_parameters: dict[str, str], account_id: str, source_ip: str,
) -> dict[str, Any]:
    is_text = not body or bool(TEXT_TYPES.match(headers.get("content-type", "")))
    if is_text and body:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            is_text = False  # API Gateway base64-encodes what is not valid text
    credential = re.search(r"Credential=([^/]+)/", headers.get("authorization", ""))
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": account_id,
            "apiId": "local",
            "authorizer": {
                "iam": {
                    "accessKey": credential.group(1) if credential else None,
                    "accountId": account_id,
                    "callerId": None,
                    "principalOrgId": None,
                    "userArn": f"arn:aws:iam::{account_id}:root",
                    "userId": account_id,
                }
            },
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": not is_text,
    }
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        event["queryStringParameters"] = {key: ",".join(v for k, v in pairs if k == key) for key, _ in pairs}
    if path_parameters:
        event["pathParameters"] = {key: unquote(value) for key, value in path_parameters.items()}
    if body:
        event["body"] = body.decode("utf-8") if is_text else base64.b64encode(body).decode()
    return event


class ApiFront:
    def __init__(self, runtime: FunctionRuntime, routes: list[Route], account_id: str, host: str, port: int) -> None:
        self.runtime = runtime
        self.routes = routes
        self.account_id = account_id
        self.server = ThreadingHTTPServer((host, port), self._handler_class())
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host if isinstance(host, str) else host.decode()}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, name="api-front", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and the
            # client's delayed ACK hold the body back ~40 ms on every keep-alive request.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # the functions' structured logs are the log

            def _serve(self) -> None:
                front.serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve  # noqa: N815 - http.server names them

        return Handler

    def serve(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        length = int(request.headers.get("content-length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            self._send(request, 413, {"content-type": "application/json"}, b'{"message":"Request Entity Too Large"}')
            return
        body = request.rfile.read(length) if length else b""
        headers: dict[str, str] = {}
        for key, value in request.headers.items():
            key = key.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        for route in self.routes:
            params = route.match(request.command, url.path)
            if params is not None:
                break
        else:
            self._send(request, 404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
            return
        event = build_event(
            route, request.command, url.path, url.query, headers, body, params, self.account_id, request.client_address[0]
        )
        try:
            result = self.runtime.invoke(route.function, event)
        except FunctionError:
            # What API Gateway answers when the integration fails.
            self._send(request, 500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}')
            return
        status, response_headers, payload = _api_gateway_response(result)
        self._send(request, status, response_headers, payload)

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, headers: dict[str, str], payload: bytes) -> None:
        request.send_response(status)
        for key, value in headers.items():
            request.send_header(key, value)
        request.send_header("content-length", str(len(payload)))
        if "x-amzn-requestid" not in {key.lower() for key in headers}:
            request.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        request.end_headers()
        request.wfile.write(payload)


def _api_gateway_response(result: Any) -> tuple[int, dict[str, str], bytes]:
    """Payload 2.0 response rules: a dict with statusCode is used as is; anything else is a 200 JSON body."""
    if isinstance(result, dict) and "statusCode" in result:
        body = result.get("body") or ""
        payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        for cookie in result.get("cookies") or []:
            headers.setdefault("set-cookie", cookie)
        return int(result["statusCode"]), headers, payload
    return 200, {"content-type": "application/json"}, json.dumps(result).encode()
