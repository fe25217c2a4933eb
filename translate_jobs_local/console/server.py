"""The console's server side: its page, and the calls the page makes, made as a tenant.

The page speaks Amazon Translate's own wire protocol (AWS JSON 1.1: an ``X-Amz-Target`` and a JSON body):
``POST /api/translate/<Operation>`` is sent on to the API unchanged, signed here with SigV4 (botocore's
signer) with the credentials `make run` was given, so the console can do exactly what that tenant's
CLI can, and nothing more. S3 (the folder picker, outputs, details files) is read the same way, as the
tenant, from the emulator. The job's events come from a rule of the console's own on the job event bus
(translate_jobs_local.job_events), for the tenant's account only. No table is read.

The server answers only its own origin: a request whose Host is not the console's (DNS rebinding) or
that another site's page sends (a cross-site POST) is refused, and every response forbids scripts from
anywhere but the console's own files (Content-Security-Policy), so text shown by mistake as HTML would
still not run.
"""

import json
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import BotoCoreError, ClientError
from botocore.httpsession import URLLib3Session
from flask import Flask, Response, abort, jsonify, request, send_from_directory

from translate_jobs_local.console.details import DetailsFileError, details_page

LOG = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
TARGET_PREFIX = "AWSShineFrontendService_20170701."  # the Translate model's targetPrefix
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
DOCUMENTS_PER_PAGE = 50
S3_KEYS_PER_PAGE = 200
EVENTS_PER_JOB = 50
JOBS_WITH_EVENTS = 2_000
# Shown in the browser as text (never as a page of the console's origin); anything else is downloaded.
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-xliff+xml")


@dataclass
class Tenant:
    """Who the console acts as, and where it calls."""

    api_url: str
    emulator_url: str
    region: str
    account: str
    access_key: str
    secret_key: str
    defaults: dict[str, str] = field(default_factory=dict)  # input / output folders and role for the Start form

    def client(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(connect_timeout=5, read_timeout=30, retries={"mode": "standard"},
                        user_agent_extra="translate-jobs-console")
        return boto3.client(service, endpoint_url=self.emulator_url, region_name=self.region, config=config,
                            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key)


class JobEvents:
    """The tenant's job events as they arrive, by job (the last EVENTS_PER_JOB of the last JOBS_WITH_EVENTS jobs)."""

    def __init__(self) -> None:
        self._jobs: OrderedDict[str, deque[dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()
        self.since = time.time()

    def add(self, detail: dict[str, Any]) -> None:
        with self._lock:
            events = self._jobs.setdefault(str(detail["jobId"]), deque(maxlen=EVENTS_PER_JOB))
            self._jobs.move_to_end(str(detail["jobId"]))
            events.append(detail)
            while len(self._jobs) > JOBS_WITH_EVENTS:
                self._jobs.popitem(last=False)

    def of(self, job_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._jobs.get(job_id, ()))


def create_app(tenant: Tenant, events: JobEvents, *, origins: set[str] | None) -> Flask:
    """The console's Flask app. ``origins``: the ``host:port`` values it answers to (None: any, when it
    listens on every address of the machine)."""
    from botocore.session import get_session

    app = Flask(__name__, static_folder=None)
    operations = set(get_session().get_service_model("translate").operation_names)
    credentials = Credentials(tenant.access_key, tenant.secret_key)
    http = URLLib3Session(timeout=60)
    s3 = tenant.client("s3")

    @app.before_request
    def only_our_own_origin() -> None:
        if origins is not None and request.host not in origins:
            abort(_error(403, "Forbidden", f"This console answers at {' or '.join(sorted(origins))} only."))
        if request.method != "GET":
            site = request.headers.get("Sec-Fetch-Site", "same-origin")
            origin = request.headers.get("Origin")
            if site not in ("same-origin", "none") or (origin and origin.partition("//")[2] != request.host):
                abort(_error(403, "Forbidden", "Cross-site requests are refused."))

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/")
    def page() -> Response:
        return send_from_directory(STATIC, "index.html")

    @app.get("/static/<path:name>")
    def static_file(name: str) -> Response:
        return send_from_directory(STATIC, name)

    @app.get("/api/config")
    def config() -> Response:
        return jsonify({"account": tenant.account, "region": tenant.region, "defaults": tenant.defaults,
                        "eventsSince": events.since})

    @app.post("/api/translate/<operation>")
    def translate(operation: str) -> Response:
        """The request as the page sent it, signed as the tenant, to the API; its answer as the API gave it."""
        if operation not in operations:
            return _error(404, "UnknownOperationException", f"Amazon Translate has no operation {operation!r}.")
        call = AWSRequest(method="POST", url=f"{tenant.api_url}/", data=request.get_data(), headers={
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET_PREFIX + operation})
        SigV4Auth(credentials, "translate", tenant.region).add_auth(call)
        try:
            answer = http.send(call.prepare())
        except BotoCoreError as error:
            return _error(502, "ServiceUnavailableException", f"The API at {tenant.api_url} did not answer: {error}")
        return Response(answer.content, status=answer.status_code, content_type="application/json",
                        headers={name: answer.headers[name] for name in ("x-amzn-ErrorType", "x-amzn-RequestId")
                                 if name in answer.headers})

    @app.get("/api/s3/buckets")
    def buckets() -> Response:
        return _s3(lambda: {"buckets": [bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])]})

    @app.get("/api/s3/folder")
    def folder() -> Response:
        """One level of a bucket under a prefix: its folders, then its objects, a page at a time."""
        args = {"Bucket": request.args.get("bucket", ""), "Prefix": request.args.get("prefix", ""), "Delimiter": "/",
                "MaxKeys": S3_KEYS_PER_PAGE}
        if request.args.get("token"):
            args["ContinuationToken"] = request.args["token"]

        def listing() -> dict[str, Any]:
            page = s3.list_objects_v2(**args)
            return {"folders": [item["Prefix"] for item in page.get("CommonPrefixes", [])],
                    "objects": [{"key": item["Key"], "size": item["Size"]} for item in page.get("Contents", [])],
                    "next": page.get("NextContinuationToken")}

        return _s3(listing)

    @app.get("/api/s3/object")
    def s3_object() -> Response:
        """An object, shown as text or downloaded: never served as a page of this origin."""
        bucket, key = _split(request.args.get("uri", ""))
        try:
            found = s3.get_object(Bucket=bucket, Key=key)
        except ClientError as error:
            return _client_error(error)
        media = str(found.get("ContentType", "")).split(";")[0].strip().lower()
        name = key.rsplit("/", 1)[-1] or "object"
        shown = media.startswith(TEXT_TYPES) or name.endswith((".txt", ".json", ".html", ".xlf", ".xliff", ".xml"))
        disposition = "inline" if shown else "attachment"
        body: Iterator[bytes] = found["Body"].iter_chunks(64 * 1024)
        return Response(body, content_type="text/plain; charset=utf-8" if shown else "application/octet-stream", headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        })

    @app.get("/api/details")
    def details() -> Response:
        """A page of a details file: up to DOCUMENTS_PER_PAGE documents from byte ``offset``."""
        bucket, key = _split(request.args.get("uri", ""))
        offset = request.args.get("offset")
        if offset is not None and not offset.isdigit():
            return _error(400, "ValidationException", "offset must be a byte offset given by a previous page.")

        def read(start: int, length: int) -> bytes:
            try:
                return bytes(s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{start + length - 1}")["Body"].read())
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "InvalidRange":
                    return b""  # past the end
                raise

        try:
            return jsonify(details_page(read, int(offset) if offset is not None else None, DOCUMENTS_PER_PAGE))
        except ClientError as error:
            return _client_error(error)
        except DetailsFileError as error:
            return _error(422, "InvalidDetailsFile", f"s3://{bucket}/{key} is not a details file: {error}")

    @app.get("/api/events")
    def job_events() -> Response:
        return jsonify({"events": events.of(request.args.get("job", "")), "since": events.since})

    @app.errorhandler(404)
    def not_found(_: Any) -> Response:
        return _error(404, "NotFoundException", "No such page in the console.")

    @app.errorhandler(405)
    def not_allowed(_: Any) -> Response:
        return _error(405, "MethodNotAllowedException", "This method is not allowed here.")

    @app.errorhandler(500)
    def failed(error: Any) -> Response:  # AWS-shaped, as every other answer (Flask's own is an HTML page)
        LOG.error("the console could not answer %s %s: %s", request.method, request.path,
                  getattr(error, "original_exception", None) or error)
        return _error(500, "InternalServerException", "The console could not answer this request (see make run's log).")

    return app


def _split(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        abort(_error(400, "ValidationException", "Expected an S3 URI: s3://bucket/key."))
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def _s3(call: Any) -> Response:
    try:
        return jsonify(call())
    except ClientError as error:
        return _client_error(error)
    except BotoCoreError as error:
        return _error(502, "ServiceUnavailableException", f"The emulator did not answer: {error}")


def _client_error(error: ClientError) -> Response:
    details = error.response.get("Error", {})
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400))
    return _error(status if 400 <= status < 600 else 400, str(details.get("Code", "Error")), str(details.get("Message", error)))


def _error(status: int, code: str, message: str) -> Response:
    """As AWS JSON services answer an error: ``__type`` and ``message``, and ``x-amzn-ErrorType``."""
    response = Response(json.dumps({"__type": code, "message": message}), status=status, content_type="application/json")
    response.headers["x-amzn-ErrorType"] = code
    return response
