"""Jobs over the stack (tests.support.stack): documents in, the workflow run to its end, outputs and
details read back, and test engines selected through the template's variables."""

import json
import threading
from typing import Any

import boto3

from tests.support.stack import ACCOUNT, REGION, SESSION, configure, job_store, wait_for_execution


def s3() -> Any:
    return boto3.client("s3", region_name=REGION)


def put_documents(documents: dict[str, bytes | str], bucket: str = "input-docs") -> None:
    for key, body in documents.items():
        s3().put_object(Bucket=bucket, Key=key, Body=body.encode() if isinstance(body, str) else body)






def job(job_id: str, account: str = ACCOUNT) -> Any:
    return job_store().get(account, job_id)


def run_to_end(stack: Any, job_id: str) -> Any:
    execution = wait_for_execution(stack, job_id)
    assert execution["status"] == "SUCCEEDED", execution  # the workflow itself never fails: the job does
    return job(job_id)


def output_prefix(job_id: str) -> str:
    return f"out/{ACCOUNT}-TranslateText-{job_id}/"


def outputs(job_id: str) -> dict[str, str]:
    """Translated documents under the job's output prefix (details files excluded)."""
    prefix = output_prefix(job_id)
    found = {}
    for page in s3().get_paginator("list_objects_v2").paginate(Bucket="output-docs", Prefix=prefix):
        for obj in page.get("Contents", []):
            relative = obj["Key"][len(prefix) :]
            if not relative.startswith("details/"):
                found[relative] = obj["Key"]
    return found


def read_output(key: str) -> str:
    return s3().get_object(Bucket="output-docs", Key=key)["Body"].read().decode()


def details(job_id: str, target: str) -> dict[str, Any]:
    key = f"{output_prefix(job_id)}details/{target}.auxiliary-translation-details.json"
    return json.loads(s3().get_object(Bucket="output-docs", Key=key)["Body"].read())


class OneText:
    """A test engine written as one text in, one text out (``translate(text, source, target, options)``),
    as the engine interface has it: each segment in turn, one document at a time, every pair served."""

    batch_characters = 0
    max_document_characters = None

    def __init__(self, engine: Any) -> None:
        self._engine = engine

    def serves(self, pair: Any) -> bool:
        return True

    def problem(self) -> str | None:
        return None

    def translate_segments(self, segments: Any, pair: Any, options: Any) -> list[str]:
        return [self._engine.translate(segment, pair.source, pair.target, options) for segment in segments]


def use_engine(monkeypatch: Any, name: str, engine_class: type, batch_size: int | None = None) -> None:
    """Register a test engine (a class of ``OneText``'s kind, or of the engine interface) and select it (and a
    batch size) through the template's variables."""
    from translate_jobs.integrations import engines

    wrap = (lambda engine: engine) if hasattr(engine_class, "translate_segments") else OneText
    monkeypatch.setitem(engines.ENGINES, name, lambda *_: wrap(engine_class()))
    configure(SESSION.get(), TRANSLATION_ENGINE=name, **({"BATCH_SIZE": str(batch_size)} if batch_size is not None else {}))


class GatedEngine:
    """The pseudo engine that translates the first ``free`` documents, then holds each further one until
    the test opens the gate: what a test sees while a job runs is the same however loaded the machine.
    Tests get it closed from the ``gated`` fixture, which opens it when the test ends, passed or not."""

    free = 0
    gate = threading.Event()
    lock = threading.Lock()
    started = 0

    @classmethod
    def close(cls, free: int = 0) -> None:
        with cls.lock:
            cls.free, cls.started = free, 0
        cls.gate.clear()

    def translate(self, text: str, source: str, target: str, settings: Any) -> str:
        from translate_jobs.integrations.engines import PseudoEngine

        with GatedEngine.lock:
            GatedEngine.started += 1
            held = GatedEngine.started > GatedEngine.free
        if held:
            assert GatedEngine.gate.wait(timeout=120), "the test never opened the gate"
        return PseudoEngine().translate(text, source, target, settings)


def record_small_parts(monkeypatch: Any, module: Any, attribute: str, part: int) -> list[int]:
    """S3 multipart parts of ``part`` bytes: ``module.attribute`` (the writer's part size) and moto's minimum
    lowered to match. Returns the list the sizes of the parts uploaded are appended to."""
    import moto.s3.models

    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", part)
    monkeypatch.setattr(module, attribute, part)
    sizes: list[int] = []
    upload_part = moto.s3.models.S3Backend.upload_part

    def recorded(self: Any, bucket_name: str, multipart_id: str, part_id: int, value: bytes) -> Any:
        sizes.append(len(value))
        return upload_part(self, bucket_name, multipart_id, part_id, value)

    monkeypatch.setattr(moto.s3.models.S3Backend, "upload_part", recorded)
    return sizes
