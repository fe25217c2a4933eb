"""Where terminologies' and parallel data's files live: the stack's CustomizationsBucket.

Every import is a version of its own (an id), under its resource's prefix, so a new import never changes
the files of the one in use::

    terminology/<account>/<name>/<version>/source.<csv|tsv|tmx>  the file as imported (GetTerminology's download)
                                           export.<csv|tsv|tmx>  the terms in the other formats (UNI only)
                                           terms.json            the terms, parsed (what translations read)
                                           auxiliary.json        the terms skipped, and why (when some were)
    parallel-data/<account>/<name>/<version>/input.<tmx|csv|tsv> a copy of the imported file (DataLocation)
                                             shard-<n>.json      the translation memory: {segment: {language: text}}
                                             auxiliary.json      the records skipped or failed, and why

A version's files are deleted once another version replaced it, or the resource was deleted. Downloads are
presigned GETs valid for 30 minutes, as Amazon Translate's; the function that presigns must be able to read
the object (template.yaml gives the API function s3:GetObject on the bucket).
"""

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from translate_jobs.core import transient
from translate_jobs.domain.customization import ResourceKind
from translate_jobs.domain.parallel_data import Example, memory_key, shard_of
from translate_jobs.domain.terminology import TerminologyFormat, TermTable

PRESIGNED_SECONDS = 30 * 60
# A memory shard holds the examples of about this much of the file (the shard count is fixed by the file's
# size): a job reads only the shards its segments fall in, each once per container.
SHARD_FILE_BYTES = 4 * 1024 * 1024
# An import holds at most this much of the memory before spilling it, shard by shard, into run files it
# merges at the end: memory stays bounded whatever the file's size.
SPILL_BYTES = 64 * 1024 * 1024


def version_prefix(kind: ResourceKind, account_id: str, name: str, version: str) -> str:
    return f"{kind.value}/{account_id}/{name}/{version}/"


def resource_prefix(kind: ResourceKind, account_id: str, name: str) -> str:
    return f"{kind.value}/{account_id}/{name}/"


def _encryption(key: dict[str, Any] | None) -> dict[str, str]:
    """put_object arguments for a resource's EncryptionKey (SSE-KMS with that key); SSE-S3 otherwise."""
    if key and key.get("Id"):
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": str(key["Id"])}
    return {}


class CustomizationFiles:
    """The bucket's files, through the function's own S3 client (and, for downloads, a presigning one)."""

    def __init__(self, s3: Any, bucket: str, presigner: Any = None) -> None:
        self.s3, self.bucket, self.presigner = s3, bucket, presigner or s3

    # ---------- terminologies ----------

    def put_terminology(self, prefix: str, original: bytes, form: TerminologyFormat, table: TermTable,
                        encryption_key: dict[str, Any] | None) -> None:
        files = {f"source.{form.lower()}": original, "terms.json": json.dumps(table.as_data()).encode()}
        if table.directionality == "UNI":
            files.update({f"export.{other.lower()}": table.export(other) for other in TerminologyFormat if other != form})
        if table.skipped:
            files["auxiliary.json"] = _auxiliary(table.skipped, "skippedTerms")
        for name, body in files.items():
            self._put(prefix + name, body, encryption_key)

    def terminology_download(self, prefix: str, imported: str, asked: str | None) -> str:
        """A presigned URL of the terminology's file in the format ``asked`` (None: as imported)."""
        name = f"source.{imported.lower()}" if asked in (None, imported) else f"export.{str(asked).lower()}"
        return self.presigned(prefix + name)

    def terms(self, prefix: str) -> TermTable:
        with transient.retried_if_transient("reading a terminology"):
            body = self.s3.get_object(Bucket=self.bucket, Key=prefix + "terms.json")["Body"].read()
        return TermTable.from_data(json.loads(body))

    # ---------- parallel data ----------

    def put_auxiliary(self, prefix: str, problems: list[str], encryption_key: dict[str, Any] | None) -> None:
        self._put(prefix + "auxiliary.json", _auxiliary(problems, "problems"), encryption_key)

    def copy_input(self, prefix: str, bucket: str, key: str, form: str, encryption_key: dict[str, Any] | None,
                   owner: str) -> None:
        """The imported file, kept for DataLocation (a server-side copy: up to 5 GB in one request)."""
        with transient.retried_if_transient("keeping the parallel data file"):
            self.s3.copy_object(
                Bucket=self.bucket, Key=f"{prefix}input.{form.lower()}", CopySource={"Bucket": bucket, "Key": key},
                ExpectedSourceBucketOwner=owner, **_encryption(encryption_key),
            )

    def write_memory(self, prefix: str, examples: Iterable[Example], shards: int, encryption_key: dict[str, Any] | None) -> None:
        """The examples as the memory's shards, in bounded memory (``MemoryWriter``)."""
        def put(key: str, body: bytes) -> None:
            self._put(prefix + key, body, encryption_key)

        writer = MemoryWriter(shards, put, self._read_runs(prefix))
        for example in examples:
            writer.add(example)
        writer.finish()
        self.delete_prefix(prefix + "runs/")

    def memory_shard(self, prefix: str, shard: int) -> dict[str, dict[str, str]]:
        with transient.retried_if_transient("reading a translation memory"):
            body = self.s3.get_object(Bucket=self.bucket, Key=f"{prefix}shard-{shard}.json")["Body"].read()
        return dict(json.loads(body))

    def _read_runs(self, prefix: str) -> Callable[[int], Iterator[dict[str, dict[str, str]]]]:
        def runs(shard: int) -> Iterator[dict[str, dict[str, str]]]:
            for key in self._keys(f"{prefix}runs/{shard}/"):
                with transient.retried_if_transient("merging a translation memory"):
                    yield json.loads(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())

        return runs

    # ---------- both ----------

    def presigned(self, key: str) -> str:
        return str(self.presigner.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=PRESIGNED_SECONDS
        ))

    def exists(self, key: str) -> bool:
        return any(True for _ in self._keys(key))

    def delete_prefix(self, prefix: str) -> None:
        """Every file under ``prefix`` (a version's, or a resource's): 1,000 per request."""
        batch: list[dict[str, str]] = []
        for key in self._keys(prefix):
            batch.append({"Key": key})
            if len(batch) == 1000:
                self._delete(batch)
                batch = []
        if batch:
            self._delete(batch)

    def _delete(self, batch: list[dict[str, str]]) -> None:
        with transient.retried_if_transient("deleting a resource's files"):
            self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    def _keys(self, prefix: str) -> Iterator[str]:
        with transient.retried_if_transient("listing a resource's files"):
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                yield from (obj["Key"] for obj in page.get("Contents", []))

    def _put(self, key: str, body: bytes, encryption_key: dict[str, Any] | None) -> None:
        with transient.retried_if_transient("writing a resource's file"):
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, **_encryption(encryption_key))


def shard_count(file_bytes: int) -> int:
    return max(1, -(-file_bytes // SHARD_FILE_BYTES))


class MemoryWriter:
    """Examples into memory shards. Up to SPILL_BYTES are held, by shard; beyond, each shard's part is written
    as a run file and the holding starts again; at the end each shard is its runs and what is held, merged (a
    later example of a segment replaces an earlier one, as a later line of the file does)."""

    def __init__(self, shards: int, put: Callable[[str, bytes], None],
                 runs: Callable[[int], Iterator[dict[str, dict[str, str]]]], spill_bytes: int | None = None) -> None:
        self.shards, self.put, self.runs = shards, put, runs
        self.spill_bytes = SPILL_BYTES if spill_bytes is None else spill_bytes
        self.held: list[dict[str, dict[str, str]]] = [{} for _ in range(shards)]
        self.held_bytes = 0
        self.spills = 0

    def add(self, example: Example) -> None:
        key = memory_key(example.source)
        shard = self.held[shard_of(key, self.shards)]
        shard[key] = {**shard.get(key, {}), **example.translations}
        self.held_bytes += len(key) + sum(map(len, example.translations.values())) + 64
        if self.held_bytes > self.spill_bytes:
            self._spill()

    def finish(self) -> None:
        for shard, held in enumerate(self.held):
            merged: dict[str, dict[str, str]] = {}
            if self.spills:
                for run in self.runs(shard):
                    for key, translations in run.items():
                        merged[key] = {**merged.get(key, {}), **translations}
            for key, translations in held.items():
                merged[key] = {**merged.get(key, {}), **translations}
            self.put(f"shard-{shard}.json", json.dumps(merged, ensure_ascii=False).encode())
            self.held[shard] = {}

    def _spill(self) -> None:
        for shard, held in enumerate(self.held):
            if held:
                self.put(f"runs/{shard}/{self.spills:06d}.json", json.dumps(held, ensure_ascii=False).encode())
        self.held = [{} for _ in range(self.shards)]
        self.held_bytes = 0
        self.spills += 1


def _auxiliary(lines: Iterable[str], member: str) -> bytes:
    return json.dumps({member: list(lines)}, indent=2).encode()


class VersionCache:
    """What a container has read of resources' versions (a version's files never change): terminologies' terms
    and memory shards, by key, the least recently used dropped beyond ``most_bytes`` (their files' sizes)."""

    def __init__(self, files: CustomizationFiles, most_bytes: int = 256 * 1024 * 1024) -> None:
        self.files, self.most_bytes = files, most_bytes
        self._held: OrderedDict[str, tuple[int, Any]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def terms(self, prefix: str) -> TermTable:
        return self._get(prefix + "terms.json", lambda: self.files.terms(prefix), lambda table: 64 * len(table.rows) + 64)

    def memory(self, prefix: str, shards: int, segment_key: str) -> dict[str, str]:
        """The translations the memory of version ``prefix`` holds for a segment (by its memory_key), or {}."""
        shard = shard_of(segment_key, shards)
        entries = self._get(f"{prefix}shard-{shard}.json", lambda: self.files.memory_shard(prefix, shard),
                            lambda held: 128 * len(held) + 64)
        return dict(entries.get(segment_key, {}))

    def _get(self, key: str, read: Callable[[], Any], size: Callable[[Any], int]) -> Any:
        with self._lock:
            if key in self._held:
                self._held.move_to_end(key)
                return self._held[key][1]
        value = read()  # outside the lock: two threads may read one file at once, never wrongly
        with self._lock:
            if key not in self._held:
                weight = size(value)
                self._held[key] = (weight, value)
                self._bytes += weight
                while self._bytes > self.most_bytes and len(self._held) > 1:
                    self._bytes -= self._held.popitem(last=False)[1][0]
        return value
