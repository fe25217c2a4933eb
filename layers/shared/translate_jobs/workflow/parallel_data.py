"""Parallel data's workflow (statemachine/parallel_data.asl.json): an import of a file into a translation memory,
or a resource's deletion, run asynchronously as Amazon Translate runs them.

``ParallelDataLauncher`` starts an execution, named after what it does (an import's version, or the deletion
of one resource's version), so a retried Create, Update or Delete starts it once. ``run`` is its Task:

- IMPORT: the caller's file is read (as the stack's own role, in the caller's account only: the API checked
  that the caller may read it) as a stream, its examples written into the memory's shards, the file copied for
  download; then one conditional write makes that version the resource's (ACTIVE). The version replaced, or
  this one if another import or a deletion overtook it, has its files deleted.
- DELETE: the resource's files are deleted, then its item (and its place in the account's quota).
- After a failure that retries did not cure (``Error``), the import's resource says why: FAILED, or
  LatestUpdateAttemptStatus FAILED with the resource as it was.
"""

import hashlib
import json
import time
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from translate_jobs.core import transient
from translate_jobs.core.observability import logger
from translate_jobs.dal.customizations import CustomizationStore
from translate_jobs.domain import messages
from translate_jobs.domain.customization import ParallelDataImport, ResourceKind
from translate_jobs.domain.errors import InvalidParameterValueError
from translate_jobs.domain.failure import Failure
from translate_jobs.domain.parallel_data import ExampleReader
from translate_jobs.integrations.customization_data import CustomizationFiles, shard_count, version_prefix

IMPORT, DELETE = "IMPORT", "DELETE"


class ParallelDataFileError(Exception):
    """The parallel data file cannot be imported (its format, its size, S3's refusal): the import fails with this
    message, without retrying."""


@dataclass(frozen=True)
class ParallelDataLauncher:
    sfn: Any
    state_machine_arn: str | None

    def __call__(self, account_id: str, name: str, version: str, action: str) -> None:
        if self.state_machine_arn is None:
            raise RuntimeError("PARALLEL_DATA_STATE_MACHINE_ARN is not set: this function cannot import parallel data.")
        execution = hashlib.sha256(f"{account_id}:{name}:{version}:{action}".encode()).hexdigest()[:64]
        with suppress(self.sfn.exceptions.ExecutionAlreadyExists):
            self.sfn.start_execution(
                stateMachineArn=self.state_machine_arn, name=f"{action.lower()}-{execution}",
                input=json.dumps({"AccountId": account_id, "Name": name, "Version": version, "Action": action}),
            )


def run(store: CustomizationStore, files: CustomizationFiles, s3: Any, account_id: str, name: str, version: str,
        action: str, error: dict[str, Any] | None = None, max_bytes: int | None = None) -> dict[str, str]:
    if action == DELETE:
        return _delete(store, files, account_id, name) if error is None else {"Outcome": "NOT_DELETED"}
    if error is not None:
        message = _failure_message(error)
        store.fail_import(account_id, name, version, message, now=time.time())
        files.delete_prefix(version_prefix(ResourceKind.PARALLEL_DATA, account_id, name, version))
        logger.warning("Parallel data import failed", extra={"parallel_data": name, "error": error.get("Error")})
        return {"Outcome": "FAILED"}
    try:
        result = _import(store, files, s3, account_id, name, version, max_bytes)
    except (ParallelDataFileError, InvalidParameterValueError) as failure:
        store.fail_import(account_id, name, version, str(failure), now=time.time())
        files.delete_prefix(version_prefix(ResourceKind.PARALLEL_DATA, account_id, name, version))
        return {"Outcome": "FAILED"}
    replaced = store.finish_import(account_id, name, version, result, now=time.time())
    if replaced is not None:  # the version in use before, or this one if it was overtaken: its files go
        files.delete_prefix(version_prefix(ResourceKind.PARALLEL_DATA, account_id, name, replaced))
    return {"Outcome": "ACTIVE" if replaced != version else "SUPERSEDED"}


def _import(store: CustomizationStore, files: CustomizationFiles, s3: Any, account_id: str, name: str, version: str,
            max_bytes: int | None) -> ParallelDataImport:
    resource = store.parallel_data(account_id, name)
    config = resource.pending_config or resource.parallel_data_config
    uri, form = str(config["S3Uri"]), str(config["Format"])
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    prefix = version_prefix(ResourceKind.PARALLEL_DATA, account_id, name, version)
    encryption = dict(resource.encryption_key) if resource.encryption_key else None
    try:
        obj = s3.get_object(Bucket=bucket, Key=key, ExpectedBucketOwner=account_id)
        size = int(obj["ContentLength"])
        if max_bytes is not None and size > max_bytes:
            raise ParallelDataFileError(f"The parallel data file {uri} is {size} bytes; it may be at most {max_bytes}.")
        reader = ExampleReader(obj["Body"], form)
        files.write_memory(prefix, reader.examples(), shard_count(size), encryption)
        files.copy_input(prefix, bucket, key, form, encryption, owner=account_id)
    except ClientError as exc:
        if transient.is_transient(exc):
            raise transient.as_retried(exc, f"reading the parallel data file {uri}") from exc
        raise ParallelDataFileError(_s3_refusal(exc, uri)) from exc
    counts = reader.counts
    if not counts.imported:
        first = f" {counts.problems[0]}" if counts.problems else ""
        raise ParallelDataFileError(
            f"The parallel data file {uri} has no example that could be imported ({counts.skipped} skipped, "
            f"{counts.failed} failed).{first}"
        )
    message = None
    if counts.problems:
        files.put_auxiliary(prefix, counts.problems, encryption)
        message = f"{counts.skipped} records were skipped and {counts.failed} failed: see AuxiliaryDataLocation."
    return ParallelDataImport(
        source_language_code=reader.source_language, target_language_codes=tuple(reader.target_languages),
        imported_data_size=counts.characters, imported_record_count=counts.imported, failed_record_count=counts.failed,
        skipped_record_count=counts.skipped, shards=shard_count(size), message=message,
    )


def _delete(store: CustomizationStore, files: CustomizationFiles, account_id: str, name: str) -> dict[str, str]:
    from translate_jobs.integrations.customization_data import resource_prefix

    files.delete_prefix(resource_prefix(ResourceKind.PARALLEL_DATA, account_id, name))
    store.finish_delete(account_id, name)
    return {"Outcome": "DELETED"}


def _s3_refusal(error: ClientError, uri: str) -> str:
    code = transient.error_code(error)
    if code in ("NoSuchKey", "NoSuchBucket", "404"):
        return f"The parallel data file {uri} does not exist."
    if code in ("AccessDenied", "403"):
        return f"Translate may not read {uri}: the file must be in a bucket of your own account, readable by you."
    return f"Amazon S3 refused to read {uri} ({code})."


def _failure_message(error: dict[str, Any]) -> str:
    """The Message of an import the workflow could not finish (an internal error's text goes to the log only)."""
    from translate_jobs.workflow.steps import caught_failure

    failure = caught_failure(error)
    return messages.import_failure(failure) if failure else messages.import_failure(Failure("", ""))
