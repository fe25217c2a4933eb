"""Fuzzing the local front as an attacker would (issue 12): seeded, bounded, and fast enough for CI.

Hostile requests (10,000 in `make test`, ~20 s; 100,000 in `make test-long`, or FUZZ_REQUESTS of them;
FUZZ_SEED to replay another sequence) go to a real front on a free port over the `stack` fixture (moto
in-process, the real ApiFunction), from several client threads:

- members built from botocore's own Translate model, each member hostile by its shape (lengths,
  patterns, types, NaN and out-of-range numbers, lone surrogates, nesting, unknown and empty names);
- raw HTTP framing (broken request lines, Content-Length, chunked bodies, header floods, request
  smuggling with Content-Length and Transfer-Encoding, unknown transfer codings), some trickled a few
  bytes at a time as a slow client sends them;
- odd methods and paths, query strings;
- forged and tampered NextTokens, forged signatures, and signatures made to cover another body
  (x-amz-content-sha256) or another host.

Asserted: no 5xx, no connection dropped or left hanging, every 4xx AWS-shaped (JSON with
``message`` and ``__type``, the same code in ``x-amzn-ErrorType``), and no job changed (the table is
the same, item for item, before and after). Every request signed correctly is signed as a tenant that
owns none of the seeded jobs, so a Stop that reached another tenant's job would show in the table.
"""

import base64
import hashlib
import http.client
import json
import logging
import os
import random
import resource
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import botocore.session
import pytest

from local_stack.front import ApiFront
from tests.support.front import signed_headers
from tests.support.stack import ACCOUNT, REGION, put_job, serving_api

LONG_RUN = int(os.environ.get("FUZZ_REQUESTS", "100000"))  # the `long` run's requests (the first 10,000 are make test's)
SEED = int(os.environ.get("FUZZ_SEED", "20261129"))
CLIENTS = 6
FRONT_IDLE_SECONDS = 10  # the front's read timeout, also how long it keeps an idle connection open
BATCH = 1000
FUZZER = "999999999999"  # the tenant every correctly signed request is made as
TARGET_PREFIX = "AWSShineFrontendService_20170701."
OPERATIONS = sorted(botocore.session.get_session().get_service_model("translate").operation_names)  # all 19 of the model
SURROGATES = ["\ud800", "\udfff", "a\udc80b", "\ud83d"]
STRINGS = [
    "",
    " ",
    "a",
    "x" * 33,
    "y" * 300,
    "z" * 20000,
    "日本語",
    "../..",
    "..",
    "%00",
    "\x00",
    "\n",
    "'\"",
    "\u202e",
    "s3://",
    "s3://bucket/../../etc",
    "arn:aws:iam::210987654321:role/Other",
    "fr",
    "en",
    "zz",
    "EN",
    "*",
    "🙂" * 50,
]
NUMBERS = [0, -1, 1, 2**31, 2**63, -(2**63), 10**400, 1e126, -1e126, 1e-130, 0.5, True, False, 253402300800]
CONSTANTS = ["NaN", "Infinity", "-Infinity", "1" * 5000, "1e400"]


class Outcome:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.codes: Counter[str] = Counter()
        self.failures: list[str] = []
        self.dropped = 0

    def fail(self, what: str) -> None:
        with self.lock:
            if len(self.failures) < 20:
                self.failures.append(what[:500])


# ---------- model-driven members ----------


def hostile_value(shape: Any, rng: random.Random, depth: int = 0) -> Any:
    """A value for ``shape`` that is usually wrong in some way its constraints say."""
    if rng.random() < 0.12:  # the wrong type altogether
        return rng.choice([None, [], {}, "text", 7, 1.5, True, [[[]]], {"a": {"b": 1}}])
    kind = shape.type_name
    if kind == "structure":
        value = {}
        for name, member in shape.members.items():
            if name in shape.required_members and rng.random() < 0.85 or rng.random() < 0.5:
                value[name] = hostile_value(member, rng, depth + 1)
        if rng.random() < 0.15:
            value[rng.choice(["", "Unknown", "\ud800", "a" * 500, "jobId"])] = 1
        return value
    if kind == "list":
        count = rng.choice([0, 1, 1, 2, 11, 200])
        return [hostile_value(shape.member, rng, depth + 1) for _ in range(count)]
    if kind == "string":
        choice = rng.random()
        if shape.enum and choice < 0.4:
            return rng.choice([*shape.enum, shape.enum[0].lower(), shape.enum[0] + " "])
        if choice < 0.2:
            return rng.choice(SURROGATES) + rng.choice(STRINGS[:8])
        if choice < 0.35:
            return "".join(chr(rng.randrange(32, 0x2FFF)) for _ in range(rng.randrange(1, 40)))
        return rng.choice(STRINGS)
    if kind in ("integer", "long", "timestamp"):
        return rng.choice(NUMBERS)
    if kind == "boolean":
        return rng.choice([True, False, "true", 0])
    return None


def render(value: Any, rng: random.Random) -> str:
    """JSON text, with what json.dumps cannot write: NaN/huge literals, deep nesting, duplicate keys."""
    text = json.dumps(value)  # lone surrogates come out as \\udXXX escapes, as a hostile client sends them
    roll = rng.random()
    if roll < 0.05:
        return (
            text.replace("0", rng.choice(CONSTANTS), 1) if "0" in text else "{" + '"MaxResults": ' + rng.choice(CONSTANTS) + "}"
        )
    if roll < 0.08:
        depth = rng.choice([50, 900, 12000])
        return '{"JobId": ' + "[" * depth + "]" * depth + "}"
    if roll < 0.10:
        return text[: rng.randrange(0, max(1, len(text)))]  # truncated
    if roll < 0.12:
        return rng.choice(["[]", "null", "1", '"s"', '{"JobId": "a", "JobId": 5}', "\xff\xfe", "{}" * 3])
    return text


def model_request(model: Any, rng: random.Random) -> tuple[str, dict[str, str], bytes]:
    operation = rng.choice(OPERATIONS)
    request = hostile_value(model.operation_model(operation).input_shape, rng)
    if operation == "StartTextTranslationJob" and isinstance(request, dict):
        # A Start must never succeed here (it would start a real workflow): one required member is
        # always broken (a target list of a hostile length, or a missing role).
        if rng.random() < 0.5:
            request["TargetLanguageCodes"] = rng.choice([[], ["fr"] * 11, ["\ud800"], "fr", [["fr"]]])
        else:
            request.pop("DataAccessRoleArn", None)
    target = TARGET_PREFIX + (operation if rng.random() < 0.95 else rng.choice(["Nope", "", "TranslateText", operation.lower()]))
    headers = {"content-type": "application/x-amz-json-1.1", "x-amz-target": target}
    return "/", headers, render(request, rng).encode("utf-8", "surrogatepass")


# ---------- methods, paths, query strings ----------

METHODS = ["GET", "POST", "HEAD", "OPTIONS", "DELETE", "PUT", "PATCH", "TRACE", "PROPFIND", "X" * 30]
PATHS = [
    "/",
    "/jobs",
    "/jobs/",
    "/jobs/{id}",
    "/jobs/{id}/stop",
    "/jobs/{id}/stop/again",
    "/nowhere",
    "/JOBS",
    "/jobs/%00",
    "/jobs/%ud800",
    "/jobs/%ED%A0%80",
    "/jobs/..%2F..%2Fetc",
    "/jobs/a%20b/stop",
    "/%2e%2e/jobs",
    "/jobs/" + "a" * 3000,
    "/jobs?x",
    "/jobs/%",
    "/jobs/%zz/stop",
]


def route_request(rng: random.Random, job_ids: list[str]) -> tuple[str, str, dict[str, str], bytes]:
    method = rng.choice(METHODS)
    path = rng.choice(PATHS).replace("{id}", rng.choice([*job_ids, "0" * 32, "x", "%C3%A9"]))
    if "?" not in path and rng.random() < 0.4:
        params = rng.choice(
            [
                "JobStatus=IN_PROGRESS",
                "JobStatus=nope",
                "MaxResults=0",
                "MaxResults=501",
                "MaxResults=1e400",
                "SubmittedAfterTime=1e126",
                "SubmittedBeforeTime=NaN",
                "SubmittedAfterTime=" + "9" * 400,
                "=x",
                "&&&",
                "JobName=%ED%A0%80",
                "JobName=a&JobName=b",
                "NextToken=abc.def",
                "NextToken=",
                "MaxResults=1&JobStatus=COMPLETED",
                "&".join(f"{chr(97 + i % 26)}=v" for i in range(3000)),
                "%=%",
                "JobName=%00",
            ]
        )
        path = f"{path}?{params}"
    body = b"" if rng.random() < 0.6 else rng.choice([b"{}", b'{"JobId": "x"}', b"\x00\xff\xfe", b"[" * 100, b"{" * 50000])
    return method, path, {"content-type": rng.choice(["application/json", "application/octet-stream", "text/plain"])}, body


# ---------- NextTokens ----------


def forged_token(rng: random.Random, real: str) -> str:
    payload, _, signature = real.partition(".")
    roll = rng.random()
    if roll < 0.2:
        return base64.urlsafe_b64encode(rng.randbytes(rng.randrange(1, 200))).decode()
    if roll < 0.4:
        position = rng.randrange(len(real))
        return real[:position] + rng.choice("AZaz09-_.") + real[position + 1 :]
    if roll < 0.55:
        content = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        content[rng.choice(["a", "k", "f", "v"])] = rng.choice([ACCOUNT, {}, None, 2, {"AccountId": {"S": ACCOUNT}}])
        forged = base64.urlsafe_b64encode(json.dumps(content).encode()).decode().rstrip("=")
        return f"{forged}.{signature}"
    if roll < 0.7:
        return real + rng.choice(["", "=", "==", ".", "\ud800"])
    if roll < 0.85:
        return rng.choice(["", ".", "..", "a.b.c", "x" * 9000, real.replace(".", "")])
    return real  # the real one, with a filter it was not issued for (or with its own)


# ---------- raw framing ----------

FRAMES = [
    b"GARBAGE\r\n\r\n",
    b"GET /\r\n",
    b"\r\n\r\n",
    b"GET / HTTP/2.0\r\n\r\n",
    b"GET / HTTP/1.1 x\r\n\r\n",
    b"GET / FTP/1.0\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n{}",
    b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n{}",
    b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n{}",
    b"POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n{}",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n{}\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFF\r\n{}",
    b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(120)) + b"\r\n",
    b"GET / HTTP/1.1\r\nX: " + b"y" * 70000 + b"\r\n\r\n",
    b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
    b"GET \xff\xfe HTTP/1.1\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n\xff\x00\x01",
    # request smuggling: one framing only (issue 26 item 11)
    b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: 2\r\n Content-Length: 9\r\n\r\n{}",
    b"GET / HTTP/1.1\nHost: x\n\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Len",  # ends in the middle of its headers
]


def raw_exchange(address: tuple[str, int], frame: bytes, outcome: Outcome, pieces: int = 1) -> None:
    """One frame on a fresh connection (sent in ``pieces``, as a slow client does): an answer must come back,
    then the connection may close."""
    with socket.create_connection(address, timeout=20) as sock:
        try:
            step = -(-len(frame) // pieces)
            for start in range(0, len(frame), step):
                sock.sendall(frame[start:start + step])
                if pieces > 1:
                    time.sleep(0.02)
            sock.shutdown(socket.SHUT_WR)  # nothing more will come: the front must answer what it has
            response = http.client.HTTPResponse(sock)
            response.begin()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            with outcome.lock:
                outcome.dropped += 1
            outcome.fail(f"raw {frame[:60]!r}: {type(error).__name__} {error}")
            return
        check(
            outcome, "RAW", frame[:60].decode("latin-1"), response.status, {k.lower(): v for k, v in response.getheaders()}, body
        )


# ---------- the exchange and its checks ----------


def check(outcome: Outcome, method: str, what: str, status: int, headers: dict[str, str], body: bytes) -> None:
    with outcome.lock:
        outcome.statuses[status] += 1
    if status >= 500:
        outcome.fail(f"{status} for {method} {what[:200]}: {body[:300]!r}")
        return
    if status < 400:
        return
    code = headers.get("x-amzn-errortype")
    if method == "HEAD":
        if not code:
            outcome.fail(f"HEAD {what[:200]} {status} without x-amzn-ErrorType")
        return
    try:
        document = json.loads(body)
        shaped = (
            isinstance(document, dict) and isinstance(document.get("message"), str) and document.get("__type") == code and code
        )
    except ValueError:
        shaped = False
    if not shaped:
        outcome.fail(f"not AWS-shaped: {status} {headers} {body[:300]!r} for {method} {what[:200]}")
        return
    with outcome.lock:
        outcome.codes[str(code)] += 1


class Client:
    """One keep-alive connection, reopened when the front closes it, and not reused once it has been idle
    for half the front's idle limit: the front may close it at any moment after the limit (waitress's
    channel_timeout), and a request sent as it closes would be lost in transit. SDKs avoid the same race
    (urllib3 checks a pooled connection before reusing it; botocore retries a connection closed unanswered);
    a drop on a connection in use is still counted."""

    def __init__(self, address: tuple[str, int], outcome: Outcome) -> None:
        self.address, self.outcome = address, outcome
        self.connection: http.client.HTTPConnection | None = None
        self.last_answer = 0.0

    def send(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        if self.connection is not None and time.monotonic() - self.last_answer >= FRONT_IDLE_SECONDS / 2:
            self.connection.close()
            self.connection = None
        if self.connection is None:
            self.connection = http.client.HTTPConnection(*self.address, timeout=30)
        try:
            self.connection.request(method, path, body=body or None, headers=headers)
            response = self.connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self.connection = None
            with self.outcome.lock:
                self.outcome.dropped += 1
            self.outcome.fail(f"{method} {path[:100]}: {type(error).__name__} {error}")
            return
        self.last_answer = time.monotonic()
        answer_headers = {k.lower(): v for k, v in response.getheaders()}
        if response.will_close:
            self.connection.close()
            self.connection = None
        check(self.outcome, method, path, response.status, answer_headers, payload)


def signing(rng: random.Random) -> dict[str, Any]:
    """How a request is signed: mostly as the fuzzing tenant; sometimes forged (always a 403)."""
    roll = rng.random()
    if roll < 0.8:
        return {"access_key": FUZZER, "service": rng.choice(["translate", "execute-api"])}
    return (
        rng.choice(
            [
                {"access_key": "testing", "secret_key": "wrong"},  # the seeded jobs' account, badly signed
                {"access_key": FUZZER, "region": "eu-west-1"},
                {"access_key": FUZZER, "service": "s3"},
                None,  # unsigned
            ]
        )
        or {}
    )


def build_exchange(
    rng: random.Random, model: Any, front: ApiFront, job_ids: list[str], real_token: str
) -> Callable[[Client], None]:
    address = (str(front.server.server_address[0]), int(front.server.server_address[1]))
    roll = rng.random()
    if roll < 0.12:
        frame = rng.choice(FRAMES)
        return lambda client: raw_exchange(address, frame, client.outcome)
    if roll < 0.13:  # a slow client: a whole signed request, trickled a few bytes at a time
        body = json.dumps({"MaxResults": 1}).encode()
        headers = {"content-type": "application/x-amz-json-1.1", "host": front.url.split("//")[1],
                   "x-amz-target": TARGET_PREFIX + "ListTextTranslationJobs"}
        signed = signed_headers("POST", front.url + "/", body, headers, access_key=FUZZER)
        frame = b"POST / HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in signed.items()).encode()
        frame += b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body) + body
        return lambda client: raw_exchange(address, frame, client.outcome, pieces=rng.choice([3, 8]))
    if roll < 0.15:  # a signature made to cover something else (issue 26 item 10): always a 403
        return tampered_exchange(rng, front, job_ids)
    if roll < 0.62:
        method, (path, headers, body) = "POST", model_request(model, rng)
    elif roll < 0.82:
        method, path, headers, body = route_request(rng, job_ids)
    else:
        token = forged_token(rng, real_token)
        request = {"NextToken": token, "MaxResults": 1}
        if rng.random() < 0.3:
            request["Filter"] = rng.choice([{"JobStatus": "COMPLETED"}, {"JobName": "x"}, {"SubmittedAfterTime": 1}])
        method, path, body = "POST", "/", json.dumps(request).encode()
        headers = {"content-type": "application/x-amz-json-1.1", "x-amz-target": TARGET_PREFIX + "ListTextTranslationJobs"}
    how = signing(rng)
    if how:
        try:
            signed = signed_headers(method, front.url + path, body, headers, **how)
        except Exception:  # noqa: BLE001 - a path botocore cannot sign is sent unsigned (a 403 then)
            signed = headers
    else:
        signed = headers
    return lambda client: client.send(method, path, signed, body)


def tampered_exchange(rng: random.Random, front: ApiFront, job_ids: list[str]) -> Callable[[Client], None]:
    """A Stop signed for one body (or its x-amz-content-sha256 declared UNSIGNED-PAYLOAD) and sent with another
    job's, or signed for Amazon Translate's own host: refused, and no job changes."""
    signed_body = json.dumps({"JobId": rng.choice(job_ids)}).encode()
    sent_body = json.dumps({"JobId": rng.choice(job_ids)}).encode() + b" "
    headers = {"content-type": "application/x-amz-json-1.1", "x-amz-target": TARGET_PREFIX + "StopTextTranslationJob"}
    kind = rng.choice(["unsigned-payload", "declared-hash", "another-host"])
    if kind == "another-host":
        headers["host"] = "translate.us-east-1.amazonaws.com"
        sent_body = signed_body
    else:
        declared = hashlib.sha256(signed_body).hexdigest()
        headers["X-Amz-Content-SHA256"] = "UNSIGNED-PAYLOAD" if kind == "unsigned-payload" else declared
    signed = signed_headers("POST", front.url + "/", signed_body, headers, access_key=rng.choice([FUZZER, "testing"]))
    return lambda client: client.send("POST", "/", signed, sent_body)


def table_snapshot(table_name: str) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName=table_name, ConsistentRead=True)["Items"]
    return sorted(items, key=lambda item: (item["AccountId"]["S"], item["JobId"]["S"]))


@pytest.fixture
def front(stack: Any) -> Iterator[ApiFront]:
    with serving_api(stack.runtime, stack.routes, read_timeout=FRONT_IDLE_SECONDS) as served:
        yield served


@pytest.mark.timeout(max(300, LONG_RUN // 50))
@pytest.mark.parametrize("requests", [10_000, pytest.param(LONG_RUN, marks=pytest.mark.long)], ids=["short", "long"])
def test_hostile_requests_get_no_5xx_no_dropped_connections_and_change_no_job(
    stack: Any, front: ApiFront, capfd: Any, requests: int
) -> None:
    # Given jobs in every status in the default account and two of the fuzzing tenant's own
    job_ids = [put_job(status) for status in ("SUBMITTED", "IN_PROGRESS", "STOP_REQUESTED", "STOPPED", "COMPLETED", "FAILED")]
    job_ids += [put_job("COMPLETED", account=FUZZER, submitted_time=1_700_000_000.0 + i) for i in range(2)]
    model = botocore.session.get_session().get_service_model("translate")
    real_token = _real_token(front)
    before = table_snapshot(stack.table_name)
    rng = random.Random(SEED)
    outcome = Outcome()
    # When they are sent by several clients at once, a batch at a time (built as they go, so the
    # test's own memory does not grow with the run; the process's resident size is sampled after each)
    started = time.monotonic()
    local = threading.local()
    resident_mb: list[float] = []

    def run(exchange: Callable[[Client], None]) -> None:
        if not hasattr(local, "client"):
            local.client = Client((str(front.server.server_address[0]), int(front.server.server_address[1])), outcome)
        exchange(local.client)

    # pytest's log capture keeps every record of a test; here the records go only to the functions'
    # own handler (stdout, read and dropped after each batch), as under `make run`
    root = logging.getLogger()
    pytest_handlers, root.handlers = root.handlers, []
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            for index in range(0, requests, BATCH):
                batch = [build_exchange(rng, model, front, job_ids, real_token) for _ in range(min(BATCH, requests - index))]
                list(pool.map(run, batch))
                capfd.readouterr()
                resident_mb.append(_resident_mb())
    finally:
        root.handlers = pytest_handlers
    elapsed = time.monotonic() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Then nothing failed, nothing was dropped, every 4xx was AWS-shaped, and no job changed
    with capfd.disabled():
        print(
            f"\nfuzz: {requests} requests (seed {SEED}) in {elapsed:.1f}s, {requests / elapsed:.0f}/s; "
            f"statuses {dict(sorted(outcome.statuses.items()))}; dropped {outcome.dropped}; "
            f"resident size of the process (front + functions + moto + fuzzer) after the first batch "
            f"{resident_mb[0]:.0f} MB, at the end {resident_mb[-1]:.0f} MB, peak {peak_mb:.0f} MB; "
            f"top codes {outcome.codes.most_common(8)}"
        )
    assert outcome.failures == [], outcome.failures
    assert outcome.dropped == 0
    assert sum(outcome.statuses.values()) == requests
    assert not [status for status in outcome.statuses if status >= 500]
    assert table_snapshot(stack.table_name) == before


def _resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _real_token(front: ApiFront) -> str:
    client = boto3.client(
        "translate", endpoint_url=front.url, region_name=REGION, aws_access_key_id=FUZZER, aws_secret_access_key="testing"
    )
    token = client.list_text_translation_jobs(MaxResults=1).get("NextToken")
    assert token, "the fuzzing tenant has two jobs: a page of one has a NextToken"
    return str(token)
