"""The HTTP API on a local port, as API Gateway serves it (and ``sam local start-api`` would).

waitress reads each request whole on its event loop (a slow client holds no thread) and parses its
framing; the request is then authenticated as the API's IAM authorizer does (local_stack.authorizer)
and becomes the HTTP API payload 2.0 event for the template's route (``$default`` takes the rest).
What API Gateway answers itself (bad framing, a body over 10 MB, a refused signature, a failed
integration) is JSON with ``x-amzn-ErrorType``, ``message`` and ``__type``, never an HTML page, and
never a 5xx for the caller's mistakes.

Stricter than waitress, as API Gateway is: Content-Length with Transfer-Encoding (smuggling: RFC 9112
6.1) is refused and the connection closed; the request line is at most 64 KB (414), the headers at
most 100 lines and 64 KB (431). So that no caller can hold the process: a request must arrive whole
within ``read_timeout`` seconds of its first byte however it trickles (else its connection is closed),
an idle connection is closed after as long, at most MAX_CONNECTIONS are open (more wait in the listen
backlog), bodies over waitress's 512 KB buffer wait in temporary files, and only THREADS requests are
answered at once.
"""

import base64
import functools
import json
import logging
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http.client import responses
from typing import Any
from urllib.parse import parse_qsl, unquote

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask
from waitress.utilities import BadRequest, Error, RequestHeaderFieldsTooLarge
from werkzeug.datastructures import EnvironHeaders, Headers, MultiDict

from local_stack import foreground
from local_stack.authorizer import AuthorizationError, Caller, authenticate
from local_stack.runtime import FunctionError, FunctionRuntime
from local_stack.template import Route

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's own limit
MAX_REQUEST_LINE_BYTES = 64 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADER_LINES = 100
MAX_CONNECTIONS = 512
THREADS = 8
READ_TIMEOUT_SECONDS = 30.0
TEXT_TYPES = re.compile(r"^(text/|application/(json|x-amz-json|xml|x-www-form-urlencoded))")
LOG = logging.getLogger("local_stack.front")
# The errors waitress (and _Parser) answer with, other than a 400 BadRequestException.
_ERROR_TYPES = {
    413: "RequestEntityTooLargeException", 414: "RequestURITooLongException", 431: "RequestHeaderFieldsTooLargeException",
}


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
    credential = re.search(r"Credential=([^/]+)/", headers.get("authorization", ""))
    caller = caller or Caller(credential and credential.group(1), account_id, f"arn:aws:iam::{account_id}:root")
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
    """API Gateway's queryStringParameters: repeated names joined with commas."""
    values = MultiDict(parse_qsl(query, keep_blank_values=True))
    return {key: ",".join(items) for key, items in values.lists()}


class ApiFront:
    def __init__(
        self, runtime: FunctionRuntime, routes: list[Route], account_id: str, host: str, port: int, *,
        region: str = "us-east-1", read_timeout: float = READ_TIMEOUT_SECONDS,
        signing_names: tuple[str, ...] = ("execute-api",),
        authorize: Callable[[Caller, str, str, dict[str, str], bytes], None] | None = None,
    ) -> None:
        self.runtime = runtime
        self.authorize = authorize  # the application's own check of an authenticated caller (App.authorize)
        self.routes = sorted(routes, key=lambda route: route.route_key == "$default")
        self.account_id = account_id
        adjustments = Adjustments(
            host=host, port=port, threads=THREADS, connection_limit=MAX_CONNECTIONS, channel_timeout=read_timeout,
            cleanup_interval=max(0.1, read_timeout / 4), max_request_body_size=MAX_PAYLOAD_BYTES,
            max_request_header_size=MAX_REQUEST_LINE_BYTES + MAX_HEADER_BYTES, ident="local", expose_tracebacks=False,
            asyncore_use_poll=True,  # select() takes no descriptor over 1024
        )
        self.server = _Server(self._wsgi, adj=adjustments)
        self._authenticate = functools.partial(authenticate, region=region, default_account=account_id,
                                               host_ok=_names_this_api(host, int(self.server.server_address[1])),
                                               signing_names=signing_names)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self.server.run, name="api-front", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close every connection and the listening socket on the server's own loop, then end its threads."""
        close_all = functools.partial(wasyncore.close_all, self.server._map)
        try:
            self.server.trigger.pull_trigger(close_all)
        except OSError:  # seen once under heavy load: the loop's wake-up pipe already closed; close from here
            LOG.warning("the front's wake-up pipe was closed before it stopped")
            close_all()
        if self._thread:
            self._thread.join(timeout=10)
        self.server.task_dispatcher.shutdown()

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """One complete request (waitress read it): its answer, or API Gateway's own error."""
        # The request target as sent (PATH_INFO is decoded, and urlsplit would read "//host/jobs" as a host).
        raw_path, _, query = str(environ.get("REQUEST_URI", "/")).partition("?")
        raw_path = raw_path.partition("#")[0]
        method = str(environ["REQUEST_METHOD"])
        # Lower-case names (waitress joins a repeated header's values with ", ").
        headers = {name.lower(): value for name, value in EnvironHeaders(environ)}
        body = environ["wsgi.input"].read()
        # Read: from here to the answer, the stack's background work waits (local_stack.foreground).
        with foreground.serving():
            status, response_headers, payload = self._answer(environ, method, raw_path, query, headers, body)
        response_headers.setdefault("content-length", str(len(payload)))
        response_headers.setdefault("x-amzn-RequestId", str(uuid.uuid4()))
        start_response(f"{status} {responses.get(status, 'Status')}", response_headers.to_wsgi_list())
        return [b"" if method == "HEAD" else payload]  # a HEAD answer has the headers of the body, not the body

    def _answer(self, environ: dict[str, Any], method: str, raw_path: str, query: str, headers: dict[str, str],
                body: bytes) -> tuple[int, Headers, bytes]:
        """The function's answer, or what API Gateway answers itself without invoking it."""
        try:
            caller = self._authenticate(method, raw_path, query, headers, body)
            if self.authorize is not None:
                self.authorize(caller, method, raw_path, headers, body)
        except AuthorizationError as error:
            return _error_answer(403, error.error_type, error.message)
        for route in self.routes:
            params = route.match(method, raw_path)
            if params is not None:
                break
        else:
            return _error_answer(404, "NotFoundException", "Not Found")
        event = build_event(route, method, raw_path, query, headers, body, params, self.account_id,
                            str(environ.get("REMOTE_ADDR", "")), caller)
        try:
            return _api_gateway_response(self.runtime.invoke(route.function, event))
        except FunctionError:  # logged by the runtime, as Lambda logs an unhandled error
            return _error_answer(500, "InternalServerException", "Internal Server Error")
        except (TypeError, ValueError, KeyError) as error:
            LOG.error("Malformed response from %s: %s", route.function, error)  # API Gateway's 500, logged
            return _error_answer(500, "InternalServerException", "Internal Server Error")


def _names_this_api(host: str, port: int) -> Callable[[str], bool]:
    """Does a Host name this API: its port, and its address or a loopback name (any, if it listens on all)?"""
    names = None if host in ("0.0.0.0", "::", "") else {host, "localhost", "127.0.0.1", "[::1]"}
    return lambda value: value.rpartition(":")[2] == str(port) and (names is None or value.rpartition(":")[0] in names)


def _error_answer(status: int, error_type: str, message: str) -> tuple[int, Headers, bytes]:
    payload = json.dumps({"message": message, "__type": error_type}).encode()
    return status, Headers({"content-type": "application/json", "x-amzn-ErrorType": error_type}), payload


# ---------- waitress, made as strict as API Gateway ----------


class RequestURITooLong(Error):  # noqa: N818 - waitress names its errors so
    code = 414
    reason = "Request-URI Too Long"


class _Parser(HTTPRequestParser):  # type: ignore[misc]
    """waitress's parser, refusing what API Gateway refuses before reading on."""

    empty: bool = False  # waitress's: only blank lines were received

    def parse_header(self, header_plus: bytes) -> None:
        first_line, _, fields = header_plus.partition(b"\n")
        # Answered as waitress answers its own errors (then the connection closes), the headers unparsed.
        if len(first_line) > MAX_REQUEST_LINE_BYTES:
            self.error, self.completed = RequestURITooLong("The request line is longer than 64 KB."), True
            return
        if len(fields) > MAX_HEADER_BYTES or fields.count(b"\n") > MAX_HEADER_LINES:
            self.error, self.completed = RequestHeaderFieldsTooLarge("The headers are longer than 64 KB or 100 lines."), True
            return
        names = {line.partition(b":")[0].strip().lower() for line in fields.split(b"\n")}
        if b"transfer-encoding" in names and b"content-length" in names:
            raise ParsingError("A request may not have both Content-Length and Transfer-Encoding.")
        if b"transfer-encoding" in names and not first_line.rstrip().endswith(b"HTTP/1.1"):
            raise ParsingError("Transfer-Encoding is HTTP/1.1's.")
        super().parse_header(header_plus)

    def received(self, data: bytes) -> int:
        consumed = int(super().received(data))
        first_line, newline, _ = self.header_plus.partition(b"\n")
        if newline and not self.completed and not _REQUEST_LINE.fullmatch(first_line.rstrip(b"\r")):
            # Not "METHOD target HTTP/x.y": answered now (waitress would wait for headers it never gets).
            self.error, self.completed = BadRequest("Bad request syntax."), True
        if self.empty:  # blank lines and no request (waitress would answer nothing)
            self.error, self.empty = BadRequest("Bad request syntax."), False
        return len(data) if self.error is not None else consumed  # nothing after a refused request is read


_REQUEST_LINE = re.compile(rb"\S+ \S+ HTTP/\d\.\d")


class _AwsErrorTask(ErrorTask):  # type: ignore[misc]
    """waitress's answer to a request it could not read, in API Gateway's shape: the caller's mistake is
    a 4xx (waitress's 501 for an unknown Transfer-Encoding too), JSON, and the connection closes."""

    def execute(self) -> None:
        error = self.request.error
        status = error.code if 400 <= error.code < 500 else 400
        message = str(error.body)[:200] or error.reason
        _, headers, body = _error_answer(status, _ERROR_TYPES.get(status, "BadRequestException"), message)
        self.status = f"{status} {responses.get(status, 'Status')}"
        self.response_headers.extend(headers.items())
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):  # type: ignore[misc]
    parser_class = _Parser
    error_task_class = _AwsErrorTask
    request_started = 0.0  # when the first byte of the request being read arrived
    lingering_since: float | None = None  # answered and closing: reading what the client still sends
    client_done = False  # the client ended its side (it may still read the answer)
    request: Any = None  # the request being read (waitress's parser)

    def received(self, data: bytes) -> bool:
        if self.requests and self.requests[-1].error is not None:
            return True  # after a request the front refused, nothing is read: the connection closes
        if self.request is None and data:
            self.request_started = time.monotonic()
        return bool(super().received(data))

    def handle_read(self) -> None:
        """waitress's, but a client that ends its side is still answered (a request it left unfinished: a
        400), and once closing, what it still sends is dropped."""
        try:
            data = self.socket.recv(self.adj.recv_bytes)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close_now()
            return
        if self.lingering_since is not None:
            if not data:
                self.close_now()
        elif data:
            self.last_activity = time.time()
            self.received(data)
        else:
            self.client_done = True
            if self.request is not None:
                self._answer_unfinished()

    def _answer_unfinished(self) -> None:
        """As waitress queues a request it could not read: answered (400), then the connection closes."""
        with self.requests_lock:
            request, self.request = self.request, None
            request.error = BadRequest("The request ended before its headers or its body did.")
            request.completed = True
            self.requests.append(request)
            if len(self.requests) == 1:
                self.server.add_task(self)

    def readable(self) -> bool:
        return not self.client_done and (self.lingering_since is not None or bool(super().readable()))

    def writable(self) -> bool:
        return self.lingering_since is None and bool(super().writable())

    def handle_close(self) -> None:
        """Before closing, let the answer reach a client that is still sending (a body over the limit): stop
        writing, and read and drop what it sends until it closes (or the server's timeout), so the close is
        not a reset that would lose the answer."""
        if self.lingering_since is None and not self.client_done and self.connected and not self.total_outbufs_len:
            try:
                self.socket.shutdown(socket.SHUT_WR)
                self.lingering_since, self.will_close = time.monotonic(), False
                return
            except OSError:
                pass
        self.close_now()

    def close_now(self) -> None:
        super().handle_close()

    def finished(self) -> bool:
        """Half-closed by the client and every answer written: nothing more can happen on it."""
        return self.client_done and not self.requests and not self.total_outbufs_len


class _Server(TcpWSGIServer):  # type: ignore[misc]
    channel_class = _Channel

    def __init__(self, application: Any, *, adj: Adjustments) -> None:
        super().__init__(application, adj=adj)
        self.server_address = (self.effective_host, self.effective_port)

    def maintenance(self, now: float) -> None:
        """waitress closes connections idle for ``channel_timeout`` (the front's read timeout); a request
        still arriving after as long (a client trickling its headers or body) is closed too."""
        super().maintenance(now)
        cutoff = time.monotonic() - self.adj.channel_timeout
        for channel in list(self.active_channels.values()):
            if channel.lingering_since is not None and channel.lingering_since < cutoff or channel.finished():
                channel.close_now()
            elif channel.request is not None and channel.request_started < cutoff:
                channel.will_close = True


def _api_gateway_response(result: Any) -> tuple[int, Headers, bytes]:
    """Payload 2.0 response rules: a dict with statusCode is used as is; anything else is a 200 JSON body."""
    if isinstance(result, dict) and "statusCode" in result:
        body = result.get("body") or ""
        payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        headers = Headers({str(k): str(v) for k, v in (result.get("headers") or {}).items()})
        for cookie in result.get("cookies") or []:
            headers.add("set-cookie", str(cookie))  # one Set-Cookie header each, as API Gateway sends them
        return int(result["statusCode"]), headers, payload
    return 200, Headers({"content-type": "application/json"}), json.dumps(result).encode()
