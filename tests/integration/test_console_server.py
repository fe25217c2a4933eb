"""The console's server side over real HTTP, against `make run`'s stack in this process (its moto server,
its front): the page's calls reach the API signed as the tenant and come back as the API answered them;
S3 is read as the tenant and never served as a page; details files are read a page at a time; the job's
events arrive; and the server answers its own origin only. The terminal's job lines are checked here too,
from the same jobs (they read the same bus and API)."""

import http.client
import io
import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote, urlsplit

import boto3
import pytest

from local_stack.stack import DEFAULT_ACCOUNT
from tests.support.front import free_port
from tests.support.stack import running_local_stack
from translate_jobs_local.app import DEMO_BUCKETS, DEMO_ROLE
from translate_jobs_local.console import RunningConsole, server, start_console
from translate_jobs_local.job_events import job_event_bus
from translate_jobs_local.terminal import Screen, watch_jobs

INPUT, OUTPUT = DEMO_BUCKETS
TENANT = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
OTHER_TENANT = {**TENANT, "aws_access_key_id": "111122223333"}
ENDED = {"COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOPPED"}


class Served:
    def __init__(self, local: Any, console: RunningConsole, screen: io.StringIO) -> None:
        self.local, self.console, self.screen = local, console, screen
        self.s3 = boto3.client("s3", endpoint_url=local.emulator_url, **TENANT)

    def request(self, method: str, path: str, body: bytes = b"",
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(self.console.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            connection.request(method, path, body=body or None, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def translate(self, operation: str, request: dict[str, Any], **headers: str) -> tuple[int, dict[str, Any]]:
        status, _, body = self.request("POST", f"/api/translate/{operation}", json.dumps(request).encode(),
                                       {"Content-Type": "application/x-amz-json-1.1", **headers})
        return status, json.loads(body)

    def get(self, path: str, **query: str) -> tuple[int, Any]:
        query_string = "&".join(f"{key}={quote(value, safe='')}" for key, value in query.items())
        status, _, body = self.request("GET", f"{path}?{query_string}" if query else path)
        return status, json.loads(body)

    def upload(self, prefix: str, keys: list[str]) -> None:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda key: self.s3.put_object(Bucket=INPUT, Key=prefix + key, Body=b"Hello, world."), keys))

    def start(self, prefix: str, name: str) -> str:
        status, started = self.translate("StartTextTranslationJob", {
            "JobName": name, "InputDataConfig": {"S3Uri": f"s3://{INPUT}/{prefix}", "ContentType": "text/plain"},
            "OutputDataConfig": {"S3Uri": f"s3://{OUTPUT}/out/"}, "DataAccessRoleArn": DEMO_ROLE,
            "SourceLanguageCode": "en", "TargetLanguageCodes": ["fr"], "ClientToken": str(uuid.uuid4())})
        assert status == 200, started
        return str(started["JobId"])

    def wait(self, job_id: str, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            status, described = self.translate("DescribeTextTranslationJob", {"JobId": job_id})
            job = described["TextTranslationJobProperties"]
            if job["JobStatus"] in ENDED:
                return dict(job)
            assert time.monotonic() < deadline, job
            time.sleep(0.2)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with running_local_stack() as local:
        bus = job_event_bus(local.stack)
        console = start_console(api_url=local.api_url, emulator_url=local.emulator_url, bus=bus, host="127.0.0.1",
                                port=free_port(), region="us-east-1", access_key="testing", secret_key="testing",
                                default_account=DEFAULT_ACCOUNT)
        screen = io.StringIO()
        watcher = watch_jobs(Screen(screen, live=False, wall_clock=lambda: "12:00:00"), api_url=local.api_url, bus=bus,
                             region="us-east-1", default_account=DEFAULT_ACCOUNT)
        try:
            yield Served(local, console, screen)
        finally:
            watcher.stop()
            console.stop()


@pytest.fixture(scope="module")
def finished_job(served: Served) -> tuple[str, dict[str, Any], list[str]]:
    """A job of 120 documents (three pages of details), one with a key a browser would run, started through the
    console and finished."""
    prefix = f"finished-{uuid.uuid4().hex[:8]}/"
    keys = ["<img src=x onerror=alert(1)>.txt", *(f"doc-{n:03d}.txt" for n in range(119))]
    served.upload(prefix, keys)
    job_id = served.start(prefix, "finished")
    return job_id, served.wait(job_id), keys


def test_the_page_is_served_with_a_policy_that_runs_only_its_own_scripts(served: Served) -> None:
    status, headers, body = served.request("GET", "/")
    assert status == 200 and b'<script src="/static/console.js"' in body
    assert "script-src 'self'" in headers["content-security-policy"] and "unsafe-inline" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert served.request("GET", "/static/console.js")[0] == 200
    assert served.request("GET", "/static/../server.py")[0] == 404


def test_the_page_s_calls_reach_the_api_signed_as_the_tenant(served: Served, finished_job: Any) -> None:
    job_id, job, _ = finished_job
    # The job the console started is the tenant's: its CLI sees it, another account's does not
    mine = boto3.client("translate", endpoint_url=served.local.api_url, **TENANT)
    theirs = boto3.client("translate", endpoint_url=served.local.api_url, **OTHER_TENANT)
    assert mine.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"]["JobName"] == "finished"
    with pytest.raises(theirs.exceptions.ResourceNotFoundException):
        theirs.describe_text_translation_job(JobId=job_id)
    assert job["JobStatus"] == "COMPLETED"
    assert job["OutputDataConfig"]["S3Uri"].startswith(f"s3://{OUTPUT}/out/{DEFAULT_ACCOUNT}-TranslateText-{job_id}/")


def test_api_errors_come_back_as_the_api_gave_them(served: Served) -> None:
    status, headers, body = served.request("POST", "/api/translate/DescribeTextTranslationJob", b'{"JobId": "nope"}',
                                           {"Content-Type": "application/x-amz-json-1.1"})
    assert (status, json.loads(body)["__type"]) == (400, "ResourceNotFoundException")
    assert headers["x-amzn-errortype"] == "ResourceNotFoundException"
    status, answer = served.translate("StartTextTranslationJob", {"JobName": "x"})
    assert status == 400 and "validation error" in answer["message"]
    status, answer = served.translate("DeleteEverything", {})
    assert (status, answer["__type"]) == (404, "UnknownOperationException")


def test_another_host_name_and_another_site_s_page_are_refused(served: Served) -> None:
    port = urlsplit(served.console.url).port
    # A name resolved to this machine by someone else's DNS (rebinding): refused
    status, _, body = served.request("GET", "/api/config", headers={"Host": f"attacker.example:{port}"})
    assert status == 403 and json.loads(body)["__type"] == "Forbidden"
    # A form or script on another site posting to the console: refused, and no job is started
    before = served.translate("ListTextTranslationJobs", {})[1]["TextTranslationJobPropertiesList"]
    for headers in ({"Origin": "http://attacker.example"}, {"Sec-Fetch-Site": "cross-site"}):
        status, answer = served.translate("StartTextTranslationJob", {
            "InputDataConfig": {"S3Uri": f"s3://{INPUT}/x/", "ContentType": "text/plain"},
            "OutputDataConfig": {"S3Uri": f"s3://{OUTPUT}/out/"}, "DataAccessRoleArn": DEMO_ROLE,
            "SourceLanguageCode": "en", "TargetLanguageCodes": ["fr"]}, **headers)
        assert (status, answer["__type"]) == (403, "Forbidden")
    assert served.translate("ListTextTranslationJobs", {})[1]["TextTranslationJobPropertiesList"] == before
    # The console's own page may
    assert served.get("/api/config")[1]["account"] == DEFAULT_ACCOUNT


def test_s3_objects_are_shown_as_text_or_downloaded_never_as_a_page(served: Served) -> None:
    served.s3.put_object(Bucket=INPUT, Key="objects/page.html", Body=b"<script>alert(1)</script>", ContentType="text/html")
    served.s3.put_object(Bucket=INPUT, Key="objects/deck.pptx", Body=b"PK\x03\x04", ContentType="application/octet-stream")
    status, headers, body = served.request("GET", f"/api/s3/object?uri={quote(f's3://{INPUT}/objects/page.html')}")
    assert (status, body) == (200, b"<script>alert(1)</script>")
    assert headers["content-type"] == "text/plain; charset=utf-8" and headers["content-disposition"].startswith("inline")
    assert headers["content-security-policy"].startswith("sandbox")
    status, headers, _ = served.request("GET", f"/api/s3/object?uri={quote(f's3://{INPUT}/objects/deck.pptx')}")
    assert status == 200 and headers["content-disposition"] == "attachment; filename*=UTF-8''deck.pptx"
    status, missing = served.get("/api/s3/object", uri=f"s3://{INPUT}/objects/none.txt")
    assert (status, missing["__type"]) == (404, "NoSuchKey")
    assert served.get("/api/s3/object", uri="http://elsewhere/x")[0] == 400


def test_the_folder_picker_lists_a_level_a_page_at_a_time(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "S3_KEYS_PER_PAGE", 20)
    prefix = f"picker-{uuid.uuid4().hex[:8]}/"
    served.upload(prefix, [*(f"file-{n:03d}.txt" for n in range(30)), "sub/a.txt", "sub/b.txt"])
    assert INPUT in served.get("/api/s3/buckets")[1]["buckets"]
    status, first = served.get("/api/s3/folder", bucket=INPUT, prefix=prefix)
    assert status == 200 and first["next"]
    status, second = served.get("/api/s3/folder", bucket=INPUT, prefix=prefix, token=first["next"])
    # In S3's order, folders among the keys: sub/ comes after file-029.txt
    assert [o["key"] for o in first["objects"] + second["objects"]] == [f"{prefix}file-{n:03d}.txt" for n in range(30)]
    assert first["folders"] + second["folders"] == [f"{prefix}sub/"]
    assert second["next"] is None
    assert served.get("/api/s3/folder", bucket="no-such-bucket-here")[1]["__type"] == "NoSuchBucket"


def test_a_job_s_details_are_read_a_page_at_a_time_to_the_last_document(served: Served, finished_job: Any) -> None:
    job_id, job, keys = finished_job
    uri = f"{job['OutputDataConfig']['S3Uri']}details/fr.auxiliary-translation-details.json"
    status, page = served.get("/api/details", uri=uri)
    assert status == 200 and page["header"]["targetLanguageCode"] == "fr"
    documents = page["documents"]
    while page["next"] is not None:
        status, page = served.get("/api/details", uri=uri, offset=str(page["next"]))
        assert status == 200
        documents += page["documents"]
    assert sorted(document["sourceFile"] for document in documents) == sorted(keys)
    assert {document["status"] for document in documents} == {"SUCCEEDED"}
    assert served.get("/api/details", uri=uri, offset="-1")[0] == 400
    assert served.get("/api/details", uri=f"s3://{OUTPUT}/nothing.json")[1]["__type"] == "NoSuchKey"


def test_the_job_s_events_reach_the_console_and_its_lines_the_terminal(served: Served, finished_job: Any) -> None:
    job_id, job, _ = finished_job
    deadline = time.monotonic() + 30
    while len(served.get("/api/events", job=job_id)[1]["events"]) < 3:
        assert time.monotonic() < deadline, served.get("/api/events", job=job_id)
        time.sleep(0.2)
    events = served.get("/api/events", job=job_id)[1]["events"]
    assert [(event["previousJobStatus"], event["jobStatus"]) for event in events] == [
        (None, "SUBMITTED"), ("SUBMITTED", "IN_PROGRESS"), ("IN_PROGRESS", "COMPLETED")]
    while "completed:" not in served.screen.getvalue():
        assert time.monotonic() < deadline, served.screen.getvalue()
        time.sleep(0.2)
    lines = [line for line in served.screen.getvalue().splitlines() if job_id in line]
    assert lines[0] == f'12:00:00  job "finished" ({job_id}) submitted: en → fr, {job["InputDataConfig"]["S3Uri"]} (text/plain)'
    assert lines[1] == f'12:00:00  job "finished" ({job_id}) in progress'
    assert lines[-1].startswith(f'12:00:00  job "finished" ({job_id}) completed: 120 of 120 documents translated in ')


def test_an_unexpected_failure_is_an_aws_shaped_500_not_a_page(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any) -> Any:
        raise RuntimeError("an internal detail")

    monkeypatch.setattr(server, "details_page", broken)
    status, headers, body = served.request("GET", f"/api/details?uri={quote(f's3://{OUTPUT}/any.json')}")
    assert (status, json.loads(body)["__type"], headers["content-type"]) == (500, "InternalServerException", "application/json")
    assert b"internal detail" not in body and b"Traceback" not in body
