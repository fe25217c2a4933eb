"""The batch manifest PlanBatches writes and the workflow's Distributed Map reads.

JSON Lines, one batch a line: ``{"Batch": 7, "Keys": ["docs/a.txt", ...]}`` (the job's AccountId and
JobId come once from the execution's input, through the Map's ItemSelector). A batch closes at
``BATCH_SIZE`` documents or before ``BATCH_MAX_BYTES`` of them (S3's listing gives each size), so a
batch of large documents stays well within TranslateBatch's timeout; a document larger than that
is a batch of its own. The input is listed page by page and each batch is written as it closes
(s3_stream: parts of PART_BYTES), so memory holds a list page and a part whatever the job's size.
The job's limits are checked as the documents are listed: listing stops at the document one too
many; past the job's bytes, the rest is only counted (the message gives the input's total).

A plan that runs out of time stops just after a part was uploaded (nothing is held in memory then)
and returns a ``Progress``: the counts, the next batch and part numbers, the upload and the last
key written (the listing resumes after it). It is a few hundred bytes whatever the job's size.
"""

import json
from dataclasses import asdict, dataclass
from typing import Any

from translate_jobs.integrations.s3_stream import S3Writer

PART_BYTES = 8 * 1024 * 1024  # a manifest part (S3: at least 5 MiB, at most 10,000 parts: 80 GB)


def manifest_key(account_id: str, job_id: str) -> str:
    """Where a job's batch manifest lives in the work bucket."""
    return f"manifests/{account_id}/{job_id}.jsonl"


def relative_key(key: str, prefix: str) -> str:
    """The document's path under the input prefix, which its output keys (and the details file) name. Only the
    '/' that follows a prefix not ending in one is dropped: any other leading '/' is an empty segment
    (``docs//a.txt`` is not ``docs/a.txt``). A prefix that names the object itself leaves its file name."""
    relative = key[len(prefix) :] if key.startswith(prefix) else key
    if relative.startswith("/") and prefix and not prefix.endswith("/"):
        relative = relative[1:]
    return relative or key.rpartition("/")[2]


class NoDocumentsError(Exception):
    """The input location holds no documents."""


class JobLimitExceededError(Exception):
    """The job's input is larger than a job may be (documents or bytes)."""


@dataclass
class Progress:
    """How far a plan has written: what a continuation carries between invocations."""

    Documents: int = 0
    Bytes: int = 0
    Batches: int = 0
    StartAfter: str = ""
    UploadId: str | None = None
    NextPart: int = 1

    @classmethod
    def resumed(cls, continuation: dict[str, Any] | None) -> "Progress":
        return cls(**continuation) if continuation else cls()

    def as_continuation(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Limits:
    batch_documents: int
    batch_bytes: int
    job_documents: int
    job_bytes: int


class ManifestPlanner:
    """Documents in listing order into batches, batches into the manifest as they close."""

    def __init__(self, writer: S3Writer, limits: Limits, progress: Progress, input_uri: str) -> None:
        self.writer, self.limits, self.progress, self.input_uri = writer, limits, progress, input_uri
        self._keys: list[str] = []  # the open batch
        self._bytes = 0
        # Past MaxJobSizeBytes the job will fail: the rest is only counted, for the message's total.
        self.too_large = False
        self._uncounted = (0, 0)  # documents and bytes listed since

    def add(self, key: str, size: int) -> bool:
        """One listed document; True when a part was just uploaded (a point to resume from)."""
        if self.too_large:
            self._uncounted = (self._uncounted[0] + 1, self._uncounted[1] + size)
            self._check_job_limits()
            return False
        uploaded = False
        if self._keys and (
            len(self._keys) >= self.limits.batch_documents or self._bytes + size > self.limits.batch_bytes
        ):
            uploaded = self._close_batch()
        self._keys.append(key)
        self._bytes += size
        self._check_job_limits()
        return uploaded

    def finish(self) -> None:
        if self.too_large:
            raise self.size_error(complete=True)
        if self._keys:
            self._close_batch()
        if not self.progress.Documents:
            raise NoDocumentsError(f"No documents were found under {self.input_uri}.")
        self.writer.close()

    def size_error(self, complete: bool) -> JobLimitExceededError:
        listed = self.progress.Bytes + self._bytes + self._uncounted[1]
        total = f"{listed} bytes" if complete else f"at least {listed} bytes"
        return JobLimitExceededError(
            f"The documents under {self.input_uri} total {total}; a job may have at most {self.limits.job_bytes}."
        )

    def _close_batch(self) -> bool:
        line = json.dumps({"Batch": self.progress.Batches, "Keys": self._keys}, separators=(",", ":")) + "\n"
        progress = self.progress
        progress.Documents += len(self._keys)
        progress.Bytes += self._bytes
        progress.Batches += 1
        progress.StartAfter = self._keys[-1]
        self._keys, self._bytes = [], 0
        uploaded = self.writer.write(line.encode())
        progress.UploadId, progress.NextPart = self.writer.upload_id, self.writer.next_part
        return uploaded

    def _check_job_limits(self) -> None:
        documents = self.progress.Documents + len(self._keys) + self._uncounted[0]
        if documents > self.limits.job_documents:
            raise JobLimitExceededError(
                f"The input {self.input_uri} holds more than {self.limits.job_documents} documents, the most a job may have."
            )
        if self.progress.Bytes + self._bytes > self.limits.job_bytes:
            self.too_large = True
