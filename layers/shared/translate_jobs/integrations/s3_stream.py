"""One S3 object written as a stream: memory holds a part or two, whatever the object's size.

S3's multipart upload takes parts of at least 5 MiB (all but the last) and at most 10,000 of them.
An object that ends within its first part is one PutObject (no upload to start, finish or leave
behind). The writer can be resumed by another invocation (``upload_id``, ``next_part``): the parts
already uploaded are listed back when it completes, up to ``next_part - 1`` only, so a part left by a
failed attempt beyond that point is never stitched in. A resumed upload that is gone (404
NoSuchUpload) was completed by an earlier attempt of the same step whose answer was lost: the
object is whole, and what is written from then on is dropped (``completed_earlier``).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from translate_jobs.core import transient
from translate_jobs.core.observability import logger

MIN_PART_BYTES = 5 * 1024 * 1024  # S3's minimum for every part but the last


class S3Writer:
    """Bytes into s3://bucket/key. ``hold_first``: the first part is kept and uploaded last, so
    ``close(head)`` can put bytes known only at the end (a header with totals) at the start."""

    def __init__(
        self,
        s3: Any,
        bucket: str,
        key: str,
        *,
        part_bytes: int = MIN_PART_BYTES,
        hold_first: bool = False,
        upload_id: str | None = None,
        next_part: int = 1,
        put_args: dict[str, str] | None = None,
        doing: str = "writing",
    ) -> None:
        self.s3, self.bucket, self.key = s3, bucket, key
        self.part_bytes, self.hold_first = part_bytes, hold_first
        self.upload_id, self.next_part = upload_id, next_part
        self.put_args = put_args or {}
        self.doing = f"{doing} s3://{bucket}/{key}"
        self._buffer = bytearray()
        self._first: bytes | None = None  # the held first part
        self._etags: dict[int, str] = {}
        self._resumed = upload_id
        self.completed_earlier = False

    def write(self, data: bytes) -> bool:
        """Append; True when a part was just uploaded (everything written so far is in S3 or held)."""
        if self.completed_earlier:
            return False
        self._buffer += data
        if len(self._buffer) < self.part_bytes:
            return False
        if self.hold_first and self._first is None and self.next_part == 1:
            self._first, self._buffer, self.next_part = bytes(self._buffer), bytearray(), 2
            return False
        self._upload_part(self.next_part, bytes(self._buffer))
        self._buffer, self.next_part = bytearray(), self.next_part + 1
        return not self.completed_earlier

    def close(self, head: bytes = b"") -> None:
        """Finish the object: ``head`` (with ``hold_first``), the held part, then the rest."""
        with self._calls():
            if self.completed_earlier:
                return
            if self.upload_id is None:
                body = head + (self._first or b"") + bytes(self._buffer)
                self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=body, **self.put_args)
                return
            if self._first is not None:
                self._upload_part(1, head + self._first)
            if self._buffer:
                self._upload_part(self.next_part, bytes(self._buffer))
                self.next_part += 1
            if self.completed_earlier:
                return
            parts = self._parts(last=self.next_part - 1)
            self.s3.complete_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": parts}
            )

    def abort(self) -> None:
        """Give up the upload, if one was started (best effort: the bucket's lifecycle rule removes what is left)."""
        if self.upload_id is None:
            return
        try:
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
        except Exception as exc:  # noqa: BLE001 - already failing for another reason, which is the one reported
            logger.warning("Could not abort an upload", extra={"key": self.key, "error": str(exc)})

    def _upload_part(self, number: int, body: bytes) -> None:
        with self._calls():
            if self.upload_id is None:
                self.upload_id = self.s3.create_multipart_upload(Bucket=self.bucket, Key=self.key, **self.put_args)[
                    "UploadId"
                ]
            if self.completed_earlier:
                return
            etag = self.s3.upload_part(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=body
            )["ETag"]
            self._etags[number] = etag

    @contextmanager
    def _calls(self) -> Iterator[None]:
        try:
            with transient.retried_if_transient(self.doing):
                yield
        except ClientError as exc:
            if transient.error_code(exc) != "NoSuchUpload" or self.upload_id != self._resumed:
                raise
            logger.info("The upload was completed by an earlier attempt", extra={"key": self.key})
            self.completed_earlier = True

    def _parts(self, last: int) -> list[dict[str, Any]]:
        """Parts 1..last: this invocation's, and an earlier one's listed back (ListParts)."""
        etags = dict(self._etags)
        if len(etags) < last:
            pages = self.s3.get_paginator("list_parts").paginate(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
            for page in pages:
                for part in page.get("Parts", []):
                    etags.setdefault(part["PartNumber"], part["ETag"])
        return [{"PartNumber": number, "ETag": etags[number]} for number in range(1, last + 1)]
