"""The HTTP API on a local port, as API Gateway serves it (and ``sam local start-api`` would).

Each request is authenticated as the API's IAM authorizer does (local_stack.authorizer: SigV4, the
caller's account from its access key), then becomes the API Gateway HTTP API (payload 2.0) event
the deployed API sends, for the route template.yaml declares (its ``$default`` route takes the
rest); the function's response goes back as API Gateway returns it. What API Gateway itself
answers (bad framing, a body over 10 MB, a refused signature, a failed integration) is JSON with
``x-amzn-ErrorType``, ``message`` and ``__type``, never an HTML page, and never a 5xx for the caller's
mistakes.

Bounds, so that no caller can hold the process: at most MAX_CONNECTIONS connections are served
at once (more wait in the listen backlog), every read has a timeout (a slow or idle client is
disconnected after ``read_timeout`` seconds), headers are at most 100 lines (http.server) and
MAX_HEADER_BYTES in all, and bodies over LARGE_BODY_BYTES (no valid request is that large) are read
only MAX_LARGE_BODIES at a time. What requests hold is therefore at most about
MAX_CONNECTIONS x (LARGE_BODY_BYTES + MAX_HEADER_BYTES) + MAX_LARGE_BODIES x MAX_PAYLOAD_BYTES
(~110 MB), times the ~4 copies an event makes (bytes, base64 text, the event, the function's decoded
copy): under 0.5 GB, however many clients call and however long they stay.
"""

import base64
import json
import logging
import re
import socket
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

from local_stack import foreground
from local_stack.authorizer import AuthorizationError, Caller, authenticate
from local_stack.runtime import FunctionError, FunctionRuntime
from local_stack.template import Route

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's own limit
LARGE_BODY_BYTES = 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_LARGE_BODIES = 4
MAX_CONNECTIONS = 64
READ_TIMEOUT_SECONDS = 30.0
TEXT_TYPES = re.compile(r"^(text/|application/(json|x-amz-json|xml|x-www-form-urlencoded))")
LOG = logging.getLogger("local_stack.front")


def build_event(
    route: Route, method: str, raw_path: str, query: str, headers: dict[str, str], body: bytes,
    path_parameters: dict[str, str], account_id: str, source_ip: str, caller: Caller | None = None,
) -> dict[str, Any]:
    is_text = not body or bool(TEXT_TYPES.match(headers.get("content-type", "")))
    if is_text and body:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            is_text = False  # API Gateway base64-encodes what is not valid text
    caller = caller or Caller(_credential(headers), account_id, f"arn:aws:iam::{account_id}:root")
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
                    "accessKey": caller.access_key,
                    "accountId": caller.account_id,
                    "callerId": None,
                    "principalOrgId": None,
                    "userArn": caller.user_arn,
                    "userId": caller.account_id,
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
        event["queryStringParameters"] = query_parameters(query)
    if path_parameters:
        event["pathParameters"] = {key: unquote(value) for key, value in path_parameters.items()}
    if body:
        event["body"] = body.decode("utf-8") if is_text else base64.b64encode(body).decode()
    return event


def query_parameters(query: str) -> dict[str, str]:
    """API Gateway's queryStringParameters: repeated names joined with commas (in one pass)."""
    values: dict[str, list[str]] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        values.setdefault(key, []).append(value)
    return {key: ",".join(items) for key, items in values.items()}


def _credential(headers: dict[str, str]) -> str | None:
    credential = re.search(r"Credential=([^/]+)/", headers.get("authorization", ""))
    return credential.group(1) if credential else None


class FrontError(Exception):
    """What API Gateway answers itself, without invoking the function."""

    def __init__(self, status: int, error_type: str, message: str, close: bool = False) -> None:
        super().__init__(message)
        self.status, self.error_type, self.message, self.close = status, error_type, message, close


class ApiFront:
    def __init__(
        self, runtime: FunctionRuntime, routes: list[Route], account_id: str, host: str, port: int, *,
        region: str = "us-east-1", authenticate_callers: bool = True, read_timeout: float = READ_TIMEOUT_SECONDS,
    ) -> None:
        self.runtime = runtime
        self.routes = sorted(routes, key=lambda route: route.route_key == "$default")
        self.account_id = account_id
        self.region = region
        self.authenticate_callers = authenticate_callers
        self.read_timeout = read_timeout
        self._connections = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._large_bodies = threading.BoundedSemaphore(MAX_LARGE_BODIES)
        self.server = _BoundedServer((host, port), self._handler_class(), self._connections)
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
            timeout = front.read_timeout  # every read (request line, headers, body, next request)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # the functions' structured logs are the log

            def handle_one_request(self) -> None:
                """http.server's, but every method reaches the routes (API Gateway has no 501), and a
                timed-out or vanished client just ends its connection."""
                try:
                    self.raw_requestline = self.rfile.readline(65537)
                    if len(self.raw_requestline) > 65536:
                        self.requestline = self.request_version = self.command = ""
                        self.send_error(414)
                        return
                    if not self.raw_requestline:
                        self.close_connection = True
                        return
                    if len(self.raw_requestline.split()) != 3:
                        # Not "METHOD target HTTP/x.y" (http.server would take "GET /" as HTTP/0.9 and
                        # then wait for headers such a request never sends).
                        self.command, self.requestline = "", ""
                        self.send_error(400, "Bad request syntax.")
                        return
                    if not self.parse_request():
                        return
                    front.serve(self)
                    self.wfile.flush()
                except OSError:  # TimeoutError, ConnectionResetError, BrokenPipeError
                    self.close_connection = True

            def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
                """Framing errors found by http.server (bad request line, headers), as JSON. They are
                the caller's: a 505 for an unknown HTTP version is answered 400, as API Gateway does."""
                status = code if 400 <= code < 500 else 400
                self.request_version = self.protocol_version  # answer with a status line even to HTTP/0.9
                front.send_error(self, FrontError(status, _ERROR_TYPES.get(status, "BadRequestException"),
                                                  (message or "Bad Request")[:200], close=True))

        return Handler

    def serve(self, request: BaseHTTPRequestHandler) -> None:
        try:
            self._serve(request)
        except FrontError as error:
            self.send_error(request, error)

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        # The request target as sent (urlsplit would read "//host/jobs" as a host and the path /jobs).
        raw_path, _, query = request.path.partition("?")
        raw_path = raw_path.partition("#")[0]
        headers: dict[str, str] = {}
        for key, value in request.headers.items():
            key = key.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        if sum(len(key) + len(value) for key, value in headers.items()) > MAX_HEADER_BYTES:
            raise FrontError(431, "RequestHeaderFieldsTooLargeException", "Request Header Fields Too Large", close=True)
        body = self._read_body(request, headers)
        # Read: from here to the answer, the stack's background work waits (local_stack.foreground).
        with foreground.serving():
            self._answer(request, raw_path, query, headers, body)

    def _answer(self, request: BaseHTTPRequestHandler, raw_path: str, query: str, headers: dict[str, str],
                body: bytes) -> None:
        caller = None
        if self.authenticate_callers:
            try:
                caller = authenticate(
                    request.command, raw_path, query, headers, body, region=self.region, default_account=self.account_id
                )
            except AuthorizationError as error:
                raise FrontError(403, error.error_type, error.message) from None
        for route in self.routes:
            params = route.match(request.command, raw_path)
            if params is not None:
                break
        else:
            raise FrontError(404, "NotFoundException", "Not Found")
        event = build_event(
            route, request.command, raw_path, query, headers, body, params, self.account_id,
            request.client_address[0], caller,
        )
        try:
            result = self.runtime.invoke(route.function, event)
            status, response_headers, payload = _api_gateway_response(result)
        except FunctionError:  # logged by the runtime, as Lambda logs an unhandled error
            raise FrontError(500, "InternalServerException", "Internal Server Error") from None
        except (TypeError, ValueError, KeyError) as error:
            LOG.error("Malformed response from %s: %s", route.function, error)  # API Gateway's 500, logged
            raise FrontError(500, "InternalServerException", "Internal Server Error") from None
        self._send(request, status, response_headers, payload)

    def _read_body(self, request: BaseHTTPRequestHandler, headers: dict[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return self._read_chunked(request)
        if "content-length" not in headers:
            return b""
        declared = headers["content-length"].strip()
        if not (declared.isascii() and declared.isdigit()):
            # The body's end is unknown: answer, then close the connection (nothing after it can be framed).
            raise FrontError(400, "BadRequestException", "Invalid Content-Length header.", close=True)
        length = int(declared)
        if length > MAX_PAYLOAD_BYTES:
            raise FrontError(413, "RequestEntityTooLargeException", "Request Entity Too Large", close=True)
        if length <= LARGE_BODY_BYTES:
            return self._read_exactly(request, length)
        with self._large_bodies:
            return self._read_exactly(request, length)

    @staticmethod
    def _read_exactly(request: BaseHTTPRequestHandler, length: int) -> bytes:
        body = request.rfile.read(length)
        if len(body) < length:  # the client stopped sending (or half-closed) before the body ended
            raise FrontError(400, "BadRequestException", "The request body is shorter than its Content-Length.", close=True)
        return body

    def _read_chunked(self, request: BaseHTTPRequestHandler) -> bytes:
        body = bytearray()
        while True:
            line = request.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                raise FrontError(400, "BadRequestException", "Invalid chunked encoding.", close=True) from None
            if size < 0:
                raise FrontError(400, "BadRequestException", "Invalid chunked encoding.", close=True)
            if len(body) + size > MAX_PAYLOAD_BYTES:
                raise FrontError(413, "RequestEntityTooLargeException", "Request Entity Too Large", close=True)
            if size == 0:
                while request.rfile.readline(8192).strip():  # trailers, up to the empty line
                    pass
                return bytes(body)
            body += self._read_exactly(request, size)
            if request.rfile.readline(3).strip():
                raise FrontError(400, "BadRequestException", "Invalid chunked encoding.", close=True)

    def send_error(self, request: BaseHTTPRequestHandler, error: FrontError) -> None:
        payload = json.dumps({"message": error.message, "__type": error.error_type}).encode()
        headers = {"content-type": "application/json", "x-amzn-ErrorType": error.error_type}
        if error.close:
            headers["connection"] = "close"
            request.close_connection = True
        self._send(request, error.status, headers, payload)
        if error.close:
            _finish_reading(request)

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, headers: dict[str, str], payload: bytes) -> None:
        request.send_response(status)
        for key, value in headers.items():
            request.send_header(key, value)
        request.send_header("content-length", str(len(payload)))
        if "x-amzn-requestid" not in {key.lower() for key in headers}:
            request.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        request.end_headers()
        if request.command != "HEAD":  # a HEAD answer has the headers of the body, not the body
            request.wfile.write(payload)


_ERROR_TYPES = {
    400: "BadRequestException", 403: "AccessDeniedException", 404: "NotFoundException",
    413: "RequestEntityTooLargeException", 414: "RequestURITooLongException", 431: "RequestHeaderFieldsTooLargeException",
}


def _finish_reading(request: BaseHTTPRequestHandler) -> None:
    """Before closing, let the answer reach a client that is still sending: stop writing, and read
    (and drop) what it sends until it closes or the read timeout passes, so the close is not a reset."""
    try:
        request.wfile.flush()
        request.connection.shutdown(socket.SHUT_WR)
        while request.connection.recv(65536):
            pass
    except OSError:
        pass


class _BoundedServer(ThreadingHTTPServer):
    """At most ``slots`` connections served at once; the accept loop waits for a free slot."""

    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], slots: threading.BoundedSemaphore
    ) -> None:
        self._slots = slots
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self._slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


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
