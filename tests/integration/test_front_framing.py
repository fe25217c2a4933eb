"""The local front as a hostile client meets it: odd methods and paths, broken framing, slow
clients, huge query strings. Every answer is API Gateway's (JSON, x-amzn-ErrorType, __type), the
connection is never dropped without an answer, and no thread is held past the read timeout.
The front runs over the `stack` fixture (moto in-process, the real ApiFunction).
"""

import contextlib
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from local_stack.front import MAX_PAYLOAD_BYTES, ApiFront, query_parameters
from tests.support.front import aws_error, call, signed_headers
from tests.support.stack import ACCOUNT, put_job, raw_item, serving_api

READ_TIMEOUT = 1.0


@pytest.fixture
def front(stack: Any) -> Iterator[ApiFront]:
    with serving_api(stack.runtime, stack.routes, read_timeout=READ_TIMEOUT) as served:
        yield served


def connect(front: ApiFront, timeout: float = 10) -> socket.socket:
    host, port = front.server.server_address[:2]
    return socket.create_connection((str(host), int(port)), timeout=timeout)


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP response read off a raw socket (http.client parses it)."""
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def read_to_end(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


@pytest.mark.parametrize("method", ["OPTIONS", "PROPFIND", "FOO", "DELETE", "PUT", "PATCH"])
def test_any_method_is_answered_with_an_aws_shaped_404(front: ApiFront, method: str) -> None:
    assert aws_error(*call(front.url, method, "/")) == "NotFoundException"


def test_head_gets_the_404s_headers_without_a_body(front: ApiFront) -> None:
    status, headers, body = call(front.url, "HEAD", "/jobs/abc/stop")
    assert (status, headers["x-amzn-errortype"], body) == (404, "NotFoundException", b"")
    assert int(headers["content-length"]) > 0  # the length of the body a GET would get


@pytest.mark.parametrize(
    "method, path", [("GET", "/nowhere"), ("DELETE", "/jobs/abc"), ("GET", "/jobs/abc/stop"), ("GET", "//x/jobs")]
)
def test_unknown_routes_and_wrong_methods_are_aws_shaped_404s(front: ApiFront, method: str, path: str) -> None:
    status, headers, body = call(front.url, method, path)
    assert aws_error(status, headers, body) == "NotFoundException"
    assert status == 404


def test_a_body_over_10_mb_is_a_413_the_client_can_read(front: ApiFront) -> None:
    body = b"x" * (MAX_PAYLOAD_BYTES + 1)
    with connect(front) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        status, headers, answer = read_answer(sock)
    assert aws_error(status, headers, answer) == "RequestEntityTooLargeException"
    assert status == 413


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "+5", " ", "5, 6", "99999999999999999999999"])
def test_a_bad_content_length_is_a_400_and_a_clean_close(front: ApiFront, length: str) -> None:
    with connect(front, timeout=5) as sock:
        sock.sendall(f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n{{}}".encode())
        status, headers, body = read_answer(sock)
        assert status in (400, 413)
        aws_error(status, headers, body)
        assert headers["connection"] == "close"
        assert read_to_end(sock) == b""  # closed by the front after its answer, not reset


def test_a_body_shorter_than_its_length_is_a_400(front: ApiFront) -> None:
    with connect(front) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{}")
        sock.shutdown(socket.SHUT_WR)
        assert aws_error(*read_answer(sock)) == "BadRequestException"


@pytest.mark.parametrize(
    "raw",
    [b"GARBAGE\r\n\r\n", b"GET /\r\n", b"GET / HTTP/2.0\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET /\x00 HTTP/1.1 extra\r\n\r\n",
     b"GET " + b"/a" * 40000 + b" HTTP/1.1\r\n\r\n",
     b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(150)) + b"\r\n",
     b"GET / HTTP/1.1\r\nX: " + b"y" * 70000 + b"\r\n\r\n",
     b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"y" * 60000) for i in range(3)) + b"\r\n"],
    ids=["garbage", "http09", "http2", "http9", "three-words", "long-uri", "many-headers", "long-header", "large-headers"],
)
def test_broken_framing_is_answered_as_json_4xx(front: ApiFront, raw: bytes) -> None:
    with connect(front) as sock:
        sock.sendall(raw)
        status, headers, body = read_answer(sock)
    aws_error(status, headers, body)


def test_a_chunked_body_is_read(front: ApiFront, stack: Any) -> None:
    job_id = put_job("IN_PROGRESS")
    body = json.dumps({"JobId": job_id}).encode()
    target = "AWSShineFrontendService_20170701.StopTextTranslationJob"
    headers = {"content-type": "application/x-amz-json-1.1", "x-amz-target": target, "host": front.url.split("//")[1]}
    signed = signed_headers("POST", front.url + "/", body, headers)
    head = "".join(f"{k}: {v}\r\n" for k, v in signed.items() if k.lower() != "content-length")
    chunked = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (5, body[:5], len(body) - 5, body[5:])
    with connect(front) as sock:
        sock.sendall(f"POST / HTTP/1.1\r\n{head}Transfer-Encoding: chunked\r\n\r\n".encode() + chunked)
        status, _, answer = read_answer(sock)
    assert (status, json.loads(answer)["JobStatus"]) == (200, "STOP_REQUESTED")
    assert raw_item(stack.table_name, ACCOUNT, job_id)["JobStatus"]["S"] == "STOP_REQUESTED"


@pytest.mark.long
def test_a_slow_client_is_disconnected_after_the_read_timeout(front: ApiFront) -> None:
    for partial in [b"", b"POST / HTTP/1.1\r\nHost: x\r\n", b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n{"]:
        with connect(front, timeout=READ_TIMEOUT * 10) as sock:
            sock.sendall(partial)
            started = time.monotonic()
            assert read_to_end(sock) == b""  # the front closes; the client's own timeout is far longer
            assert time.monotonic() - started < READ_TIMEOUT * 5


def test_a_request_line_over_64_kb_is_a_414(front: ApiFront) -> None:
    query = "&".join(f"p{i}=v" for i in range(15000))
    status, headers, body = call(front.url, "GET", "/jobs?" + query)
    assert (status, aws_error(status, headers, body)) == (414, "RequestURITooLongException")


def test_15000_query_parameters_are_handled_in_linear_time() -> None:
    # quadratic before: each name re-scanned every pair (15,000 parameters took 56 s of CPU)
    query = "&".join(f"p{i}=v" for i in range(15000)) + "&p7=w"
    started = time.process_time()
    parameters = query_parameters(query)
    assert time.process_time() - started < 2
    assert len(parameters) == 15000 and parameters["p7"] == "v,w"


def test_a_request_with_15000_query_parameters_is_a_bounded_validation_error(front: ApiFront) -> None:
    query = "&".join(f"{chr(97 + i % 26)}=v" for i in range(15000))  # fits the 64 KB request line
    status, headers, body = call(front.url, "GET", "/jobs?" + query, timeout=60)
    assert aws_error(status, headers, body) == "ValidationException"
    assert len(body) < 4000


def _trickle(sockets: list[socket.socket], stop: threading.Event, every: float) -> None:
    """Slow clients: each sends one more header line every ``every`` seconds, never ending its headers."""
    number = 0
    while not stop.wait(every):
        number += 1
        for sock in sockets:
            with contextlib.suppress(OSError):  # the front closed it
                sock.sendall(b"X-Slow-%d: 1\r\n" % number)


@pytest.fixture
def patient_front(stack: Any) -> Iterator[ApiFront]:
    """A front whose requests may take 60 s to arrive (the slow clients below are not timed out meanwhile)."""
    with serving_api(stack.runtime, stack.routes, read_timeout=60) as served:
        yield served


def test_slow_clients_hold_no_thread_a_signed_request_is_answered_meanwhile(patient_front: ApiFront) -> None:
    # issue 26 item 9. Given 80 clients each sending a header line every half second (more than the old
    # front's 64 connections, each of which it served with a thread waiting on its reads)
    slow = [connect(patient_front) for _ in range(80)]
    stop = threading.Event()
    for sock in slow:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
    trickler = threading.Thread(target=_trickle, args=(slow, stop, 0.5), daemon=True)
    trickler.start()
    try:
        # When a signed List comes, it is answered (the slow ones are still sending)
        status, headers, body = call(patient_front.url, "GET", "/jobs", timeout=20)
        assert status == 200, body
        assert json.loads(body)["TextTranslationJobPropertiesList"] == []
    finally:
        stop.set()
        trickler.join()
        for sock in slow:
            sock.close()


@pytest.mark.long
def test_a_client_trickling_its_headers_is_closed_once_its_request_is_overdue(front: ApiFront) -> None:
    # A header line every 0.2 s (each read well within the read timeout): the request as a whole is
    # overdue after READ_TIMEOUT, and the connection is closed although the client is still sending
    with connect(front, timeout=READ_TIMEOUT * 30) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\n")
        stop = threading.Event()
        trickler = threading.Thread(target=_trickle, args=([sock], stop, 0.2), daemon=True)
        trickler.start()
        try:
            started = time.monotonic()
            assert read_to_end(sock) == b""
            assert time.monotonic() - started < READ_TIMEOUT * 20
        finally:
            stop.set()
            trickler.join()


# ---------- issue 26 item 11: one framing only ----------


def _signed_list(front: ApiFront, body: bytes) -> dict[str, str]:
    headers = {"content-type": "application/x-amz-json-1.1", "host": front.url.split("//")[1],
               "x-amz-target": "AWSShineFrontendService_20170701.ListTextTranslationJobs"}
    return signed_headers("POST", front.url + "/", body, headers)


def _head(headers: dict[str, str]) -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() != "content-length").encode()


def test_content_length_with_transfer_encoding_is_refused_and_nothing_behind_it_is_read(front: ApiFront) -> None:
    # Given a signed List with both Content-Length and chunked Transfer-Encoding, its chunked body followed
    # by a complete signed Describe on the same connection (the request-smuggling shape)
    smuggled_body = json.dumps({"JobId": put_job("IN_PROGRESS")}).encode()
    describe = {"content-type": "application/x-amz-json-1.1", "host": front.url.split("//")[1],
                "x-amz-target": "AWSShineFrontendService_20170701.DescribeTextTranslationJob"}
    smuggled = (b"POST / HTTP/1.1\r\n" + _head(signed_headers("POST", front.url + "/", smuggled_body, describe))
                + b"Content-Length: %d\r\n\r\n" % len(smuggled_body) + smuggled_body)
    chunked = b"2\r\n{}\r\n0\r\n\r\n"
    frame = (b"POST / HTTP/1.1\r\n" + _head(_signed_list(front, b"{}")) + b"Content-Length: %d\r\n" % len(chunked)
             + b"Transfer-Encoding: chunked\r\n\r\n" + chunked + smuggled)
    with connect(front) as sock:
        sock.sendall(frame)
        status, headers, body = read_answer(sock)
        # Then one 400 answers it, the connection closes, and the request behind it is never answered
        assert (status, aws_error(status, headers, body)) == (400, "BadRequestException")
        assert headers["connection"] == "close"
        assert read_to_end(sock) == b""


@pytest.mark.parametrize("encoding", ["xchunked", "chunked, gzip", "gzip", "identity"])
def test_a_transfer_encoding_other_than_chunked_is_a_400(front: ApiFront, encoding: str) -> None:
    with connect(front) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\n" + _head(_signed_list(front, b"{}"))
                     + f"Transfer-Encoding: {encoding}\r\n\r\n2\r\n{{}}\r\n0\r\n\r\n".encode())
        status, headers, body = read_answer(sock)
    assert (status, aws_error(status, headers, body)) == (400, "BadRequestException")


def test_a_short_content_length_with_transfer_encoding_is_answered_at_once(front: ApiFront) -> None:
    # "Content-Length: 2" + chunked + "{}": the old front waited its whole read timeout for a chunk size
    with serving_api(front.runtime, front.routes, read_timeout=60) as patient, connect(patient, timeout=30) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}")
        status, headers, body = read_answer(sock)
    assert (status, aws_error(status, headers, body)) == (400, "BadRequestException")
