"""The steps of the job workflow (statemachine/translation_job.asl.json), one function per Task.

Each step takes the function's dependencies (workflow/dependencies.py) and the state's JSON, and returns
JSON; errors are raised by name so the workflow's Retry and Catch can match them (a failed conditional
write, JobStateConflictError, is never retried).
"""

import contextvars
import functools
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, cast

from botocore.exceptions import ClientError

from translate_jobs.core import transient
from translate_jobs.core.observability import logger
from translate_jobs.dal.interfaces import SlotUnavailableError
from translate_jobs.domain import messages
from translate_jobs.domain.errors import DocumentError, JobStateConflictError, shown
from translate_jobs.domain.failure import Failure
from translate_jobs.domain.job import BatchCount, Job
from translate_jobs.domain.lifecycle import TERMINAL, Finalization, JobStatus, outcome
from translate_jobs.integrations import documents
from translate_jobs.integrations.engines import Engine, EngineError, LanguagePair, TranslationOptions
from translate_jobs.integrations.s3_as_role import DataAccessError, parse_s3_uri
from translate_jobs.integrations.s3_stream import S3Writer
from translate_jobs.workflow import customized, details, manifest
from translate_jobs.workflow.customized import Customization, Translated
from translate_jobs.workflow.dependencies import RESULT_READERS, WorkflowDependencies
from translate_jobs.workflow.details import ENDED_REASON, STOPPED_REASON, DetailsFiles, Untranslated, details_key
from translate_jobs.workflow.manifest import (
    JobLimitExceededError,
    Limits,
    ManifestPlanner,
    NoDocumentsError,
    Progress,
    relative_key,
)

# What a PlanBatches invocation keeps of its time for its last part and its answer: it returns a
# continuation rather than start a list page with less left (a page and a part take a second or two).
PLAN_SECONDS_TO_SPARE = 60

__all__ = ["JobLimitExceededError", "NoDocumentsError"]  # raised here by name, for the workflow's Catch


class JobStopRequestedError(Exception):
    """A batch found its job no longer running (a stop was requested). Not retried: its failure makes
    the Distributed Map exceed its tolerated failures (0), so Step Functions starts no further batch
    and the Map's Catch goes to FinalizeJob, which counts what was written and decides the status."""

    def __init__(self, job_id: str, status: str, batch: int) -> None:
        super().__init__(f"Job {job_id} is {status}: batch {batch} stops the job's remaining batches.")


# A queued job's workflow polls for a slot (9 history events a poll: BeginJob, its Choice, the Wait). After
# this many polls it hands over to a new execution of itself, so no execution nears Step Functions' 25,000
# events (9,000 + the run's own), however long the job waits in the queue.
POLLS_PER_EXECUTION = 1000


def begin_job(deps: WorkflowDependencies, account_id: str, job_id: str, polls: int = 0, generation: int = 0) -> dict[str, Any]:
    """SUBMITTED -> IN_PROGRESS when the account has a free running slot and this job is first in
    line (oldest first); otherwise WAIT and ask again (or, after POLLS_PER_EXECUTION polls, CONTINUE in a
    new execution). A job stopped while queued goes to finalize. ``polls`` and ``generation`` come from
    the execution's state: the polls this execution made, and how many executions waited before it."""
    store, quotas = deps.store, deps.settings.quotas
    wait = {"Action": "WAIT", "WaitSeconds": quotas.queue_poll_seconds, "Polls": polls + 1}
    # The ByStatus index is eventually consistent: a job it does not show yet may wait one more turn.
    first = store.first_in_queue(account_id)
    if first not in (None, job_id) or store.running_jobs(account_id) >= quotas.max_concurrent_jobs:
        status = store.get(account_id, job_id).status
        if status != JobStatus.SUBMITTED:
            return _after_begin(status)
        return _wait_or_continue(deps, account_id, job_id, wait, generation)
    try:
        store.begin(account_id, job_id)
    except JobStateConflictError as conflict:
        return _after_begin(conflict.status)
    except SlotUnavailableError:
        return _wait_or_continue(deps, account_id, job_id, wait, generation)
    return {"Action": "RUN", "WaitSeconds": 0, "Polls": polls}


def _wait_or_continue(
    deps: WorkflowDependencies, account_id: str, job_id: str, wait: dict[str, Any], generation: int
) -> dict[str, Any]:
    """WAIT, or after POLLS_PER_EXECUTION polls start the next execution (named after the JobId and its
    generation, so a retry starts it once) and end this one."""
    if wait["Polls"] < POLLS_PER_EXECUTION:
        return wait
    name = f"{job_id}-{generation + 1}"
    try:
        deps.store.continue_in(account_id, job_id, name)  # first, so the sweep watches the new execution
    except JobStateConflictError as conflict:
        return _after_begin(conflict.status)
    with suppress(deps.sfn.exceptions.ExecutionAlreadyExists), transient.retried_if_transient("continuing the queued job"):
        deps.sfn.start_execution(
            stateMachineArn=deps.settings.state_machine_arn, name=name,
            input=json.dumps({"AccountId": account_id, "JobId": job_id, "Generation": generation + 1}),
        )
    logger.info("Queued job continues in a new execution", extra={"execution_name": name})
    return {"Action": "CONTINUED", "WaitSeconds": 0, "Polls": wait["Polls"]}


def _after_begin(status: str | None) -> dict[str, Any]:
    if status == JobStatus.STOP_REQUESTED:
        return {"Action": "FINALIZE", "WaitSeconds": 0, "Polls": 0}
    if status == JobStatus.IN_PROGRESS:
        # Only this job's execution (named after the JobId) begins it: an earlier attempt of this step
        # did, and its answer was lost (a timeout, a 5xx after the write). Carry on, as that attempt would have.
        logger.info("Job already begun by an earlier attempt of this step")
        return {"Action": "RUN", "WaitSeconds": 0, "Polls": 0}
    logger.warning("Job is not SUBMITTED; nothing to run", extra={"job_status": status})
    return {"Action": "NONE", "WaitSeconds": 0, "Polls": 0}


def plan_batches(
    deps: WorkflowDependencies,
    account_id: str,
    job_id: str,
    continuation: dict[str, Any] | None = None,
    seconds_left: Callable[[], float] = lambda: math.inf,
) -> dict[str, Any]:
    """List the input documents (as the job's role) into the batch manifest, page by page (manifest.py).

    Returns the manifest, or, when less than PLAN_SECONDS_TO_SPARE is left, a Continuation the
    workflow passes back to the next invocation (the same answer with BatchCount so far)."""
    job = deps.store.get(account_id, job_id)
    config = deps.settings
    s3 = deps.job_roles.s3(job.data_access_role_arn, account_id, job_id)
    input_uri = job.input_data_config["S3Uri"]
    bucket, prefix = parse_s3_uri(input_uri)
    quotas = config.quotas
    manifest_key = manifest.manifest_key(account_id, job_id)
    progress = Progress.resumed(continuation)
    resumed_upload = progress.UploadId
    writer = S3Writer(
        deps.work_s3, str(config.work_bucket), manifest_key, part_bytes=manifest.PART_BYTES,
        upload_id=progress.UploadId, next_part=progress.NextPart, doing="writing the job's batch manifest",
    )
    limits = Limits(config.batch_size, config.batch_max_bytes, quotas.max_documents_per_job, quotas.max_job_bytes)
    planner = ManifestPlanner(writer, limits, progress, input_uri)
    answer = {"ManifestBucket": config.work_bucket, "ManifestKey": manifest_key}
    listing = {"Bucket": bucket, "Prefix": prefix, **({"StartAfter": progress.StartAfter} if progress.StartAfter else {})}
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(**listing):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith("/"):
                    continue
                if planner.add(obj["Key"], obj.get("Size", 0)) and seconds_left() < PLAN_SECONDS_TO_SPARE:
                    logger.info("Planning continues in the next invocation", extra=progress.as_continuation())
                    return {**answer, "BatchCount": progress.Batches, "Continuation": progress.as_continuation()}
            if planner.too_large and seconds_left() < PLAN_SECONDS_TO_SPARE:
                raise planner.size_error(complete=False)
        planner.finish()
    except Exception as exc:
        retried = isinstance(exc, transient.RETRIED) or transient.is_transient(exc)
        if not retried or writer.upload_id != resumed_upload:  # a retry resumes the upload it was given, no other
            writer.abort()
        if isinstance(exc, ClientError) and exc.operation_name == "ListObjectsV2":
            if retried:
                raise transient.as_retried(exc, f"listing {input_uri}") from exc
            problem = _s3_problem(exc, input_uri, True, job.data_access_role_arn).replace("s3:GetObject", "s3:ListBucket")
            raise DataAccessError(f"Translate could not list the input location: {problem}") from exc
        raise
    deps.store.set_plan(account_id, job_id, documents=progress.Documents, batches=progress.Batches)
    logger.info("Planned batches", extra={"documents": progress.Documents, "batches": progress.Batches})
    return {**answer, "BatchCount": progress.Batches, "Continuation": None}


def translate_batch(deps: WorkflowDependencies, account_id: str, job_id: str, batch: int, keys: list[str]) -> dict[str, Any]:
    """Translate one batch and count it exactly once. A batch that finds the job no longer running
    fails with JobStopRequestedError (after counting what it wrote), so the Map starts no further batch.

    The documents are translated in rounds (``_Round``): each round's documents are read and taken apart,
    their segments translated together for each target (as much text as the engine translates well at
    once, ``Engine.batch_characters``; one document for an engine that gains nothing from more), then
    each document is put back together and written. The job is read again before each further round, so
    a stop leaves at most one round in flight per running batch."""
    store = deps.store
    job = store.get(account_id, job_id)
    if job.status != JobStatus.IN_PROGRESS:
        raise JobStopRequestedError(job_id, job.job_status, batch)
    if store.batch_counted(account_id, job_id, batch):
        logger.info("Batch already counted by an earlier attempt", extra={"batch": batch})
        return {"Translated": 0, "Failed": 0, "Skipped": True}
    config = deps.settings
    load = functools.partial(Customization.load, deps.customizations, deps.customization_cache, account_id,
                             job.terminology_names, job.parallel_data_names)
    work = _Round(deps.engine, job, deps.job_roles.s3(job.data_access_role_arn, account_id, job_id), load)
    # The text a round may hold: the engine's measure is of work, and each target is another pass over it.
    budget = deps.engine.batch_characters // max(1, len(job.target_language_codes))
    results: list[dict[str, Any]] = []
    stopped_as: str | None = None
    for position, key in enumerate(keys):
        # Before a further round begins (one GetItem, far cheaper than a translation).
        if position and not work.documents and (status := store.get(account_id, job_id).status) != JobStatus.IN_PROGRESS:
            logger.info("Stop noticed inside a batch", extra={"batch": batch, "documents_done": position})
            stopped_as = status
            break
        failed = work.read(key)
        if failed is not None:
            results.append(failed)
        elif work.characters >= budget:
            results.extend(work.translate_and_write())
    results.extend(work.translate_and_write())
    order = {work.relative(key): position for position, key in enumerate(keys)}
    results.sort(key=lambda result: order[result["SourceFile"]])  # in the manifest's order, as each was read
    translated = sum(1 for result in results if result["Status"] == "SUCCEEDED")
    failed_count = len(results) - translated
    with transient.retried_if_transient(f"writing the results of batch {batch}"):
        deps.work_s3.put_object(
            Bucket=config.work_bucket, Key=_results_key(account_id, job_id, batch), Body=json.dumps(results).encode()
        )
    store.count_batch(account_id, job_id, BatchCount(batch, translated=translated, failed=failed_count), now=time.time())
    if stopped_as is not None:
        raise JobStopRequestedError(job_id, stopped_as, batch)  # what it wrote is counted; now end the Map
    return {"Translated": translated, "Failed": failed_count, "Skipped": False}


# What fails one document (anything else fails the batch): its own problem, S3's refusal, the network.
_DOCUMENT_FAILURES = (DocumentError, ClientError, *transient.NETWORK_ERRORS)


@dataclass
class _Document:
    key: str
    relative: str
    data: bytes
    segments: list[str]  # the text the documents module asks to translate, in its order


class _Round:
    """Documents read and taken apart (pass 1: documents.translate_document with a callable that records
    each segment), then translated together for each target, put back together (pass 2: the same call,
    looking the translations up) and written. Memory: the round's documents and their translations, at most
    a batch (BatchMaxBytes) of documents, or one larger document."""

    def __init__(self, engine: Engine, job: Job, s3: Any, customization: Callable[[], Customization] = Customization) -> None:
        self.engine, self.job, self.s3 = engine, job, s3
        # The job's terminology and parallel data, read when the batch first translates (an EngineError if gone).
        self._load_customization, self._customization = customization, cast(Customization | None, None)
        self.done: dict[str, Translated] = {}  # target -> the round's segments translated
        self.in_bucket, self.in_prefix = parse_s3_uri(job.input_data_config["S3Uri"])
        self.out_bucket, self.out_prefix = parse_s3_uri(job.output_data_config["S3Uri"])
        self.content_type = job.input_data_config.get("ContentType") or documents.TEXT
        self.options = TranslationOptions.of_job(job.settings, job.terminology_names)
        self.documents: list[_Document] = []
        self.characters = 0
        self.engine_failures: dict[str, str] = {}  # target -> why the engine cannot translate to it

    def relative(self, key: str) -> str:
        """The key under the input prefix: the output keys mirror it."""
        return relative_key(key, self.in_prefix)

    def read(self, key: str) -> dict[str, Any] | None:
        """Read and take the document apart into this round; its failed result instead if it cannot be."""
        relative = self.relative(key)
        try:
            _check_output_path(relative)
            obj = self.s3.get_object(Bucket=self.in_bucket, Key=key)
            documents.check_size(obj["ContentLength"])  # before reading: a larger body never enters memory
            data = obj["Body"].read()
            segments: list[str] = []
            documents.translate_document(self.content_type, data, _recording(segments), str(self.job.source_language_code))
            _check_length(segments, self.engine.max_document_characters)
        except _DOCUMENT_FAILURES as exc:
            return self._failed(relative, exc, f"s3://{self.in_bucket}/{key}", reading=True)
        self.documents.append(_Document(key, relative, data, segments))
        self.characters += sum(map(len, segments))
        return None

    def translate_and_write(self) -> list[dict[str, Any]]:
        """The round's documents translated to every target and written: their results. The round is then empty."""
        round_, self.documents, self.characters = self.documents, [], 0
        failures: dict[str, str] = {}  # document key -> why it cannot be translated
        self.done = {str(target): Translated() for target in self.job.target_language_codes}
        translations = {str(target): self._translate(round_, str(target), failures) for target in self.job.target_language_codes}
        return [
            {"SourceFile": document.relative, "Status": "FAILED", "Error": failures[document.key]}
            if document.key in failures else self._write(document, translations)
            for document in round_
        ]

    def _translate(self, round_: list[_Document], target: str, failures: dict[str, str]) -> dict[str, str]:
        """Each distinct segment of the round's documents (those not failed) -> its translation to ``target``.
        An engine's DocumentError fails the call; each document is then tried alone, to fail only its own."""
        pair = LanguagePair(str(self.job.source_language_code), target)
        live = [document for document in round_ if document.key not in failures]
        try:
            if target in self.engine_failures:
                raise EngineError(self.engine_failures[target])
            return self._engine_call([segment for document in live for segment in document.segments], pair)
        except EngineError as exc:
            # The engine cannot translate this pair at all (its service refused, a model is missing): every
            # document fails with its message, which the details file and the job's Message carry; the
            # batch's later rounds do not ask again.
            self.engine_failures[target] = str(exc)
            failures.update((document.key, str(exc)) for document in live)
            return {}
        except DocumentError as exc:
            if len(live) == 1:
                failures[live[0].key] = str(exc)
                return {}
        translations: dict[str, str] = {}
        for document in live:
            try:
                translations.update(self._engine_call(document.segments, pair))
            except DocumentError as exc:
                failures[document.key] = str(exc)
        return translations

    def _engine_call(self, segments: list[str], pair: LanguagePair) -> dict[str, str]:
        """The distinct segments translated, with the job's terminology and parallel data (workflow/customized.py)."""
        distinct = list(dict.fromkeys(segments))
        if not distinct:
            return {}
        if self._customization is None:
            self._customization = self._load_customization()
        done = customized.translate(self.engine, distinct, pair, self.options, self._customization)
        self.done[pair.target].update(done)
        return done.text

    def _write(self, document: _Document, translations: dict[str, dict[str, str]]) -> dict[str, Any]:
        result: dict[str, Any] = {"SourceFile": document.relative}
        targets = []
        location = f"s3://{self.out_bucket}/{self.out_prefix}"
        try:
            for target, translated in translations.items():
                output = documents.translate_document(self.content_type, document.data, translated.__getitem__, target)
                folder, _, name = document.relative.rpartition("/")
                target_file = f"{folder + '/' if folder else ''}{target}.{name}"
                _check_output_path(target_file)  # the target code too: a job stored before Start checked it
                if target_file == details_key("", target):
                    raise DocumentError(
                        f"The document {document.relative} would be translated to {target_file}, where the job writes "
                        "its details file. Rename the document."
                    )
                location = f"s3://{self.out_bucket}/{self.out_prefix}{target_file}"
                key = self.out_prefix + target_file
                self.s3.put_object(Bucket=self.out_bucket, Key=key, Body=output, **_encryption(self.job))
                targets.append(self._produced(document, target, target_file))
        except _DOCUMENT_FAILURES as exc:
            return self._failed(document.relative, exc, location, reading=False)
        return {**result, "Status": "SUCCEEDED", "Targets": targets}

    def _produced(self, document: _Document, target: str, target_file: str) -> dict[str, Any]:
        """A document's output for one target, as the details file reports it: the characters sent to the engine,
        the terms applied (AppliedTerminologies) and the segments the parallel data translated."""
        done, customization = self.done.get(target, Translated()), self._customization or Customization()
        sent = [segment for segment in document.segments if segment not in done.remembered]
        produced: dict[str, Any] = {"TargetLanguageCode": target, "TargetFile": target_file, "Characters": sum(map(len, sent))}
        terms = customized.applied_terminologies(customization.terminology, done.terms_of(document.segments))
        if terms:
            produced["AppliedTerminologies"] = terms
        if remembered := done.from_memory(document.segments):
            produced["ParallelData"] = {"name": customization.memory, "segments": remembered}
        return produced

    def _failed(self, relative: str, exc: Exception, location: str, reading: bool) -> dict[str, Any]:
        """A document's failed result, naming what S3 refused; a transient failure is raised to be retried."""
        if isinstance(exc, DocumentError):
            return {"SourceFile": relative, "Status": "FAILED", "Error": str(exc)}
        if transient.is_transient(exc) or not isinstance(exc, ClientError):  # the batch is retried (counted once)
            raise transient.as_retried(exc, f"translating {relative}") from exc
        logger.warning("Document failed", extra={"document": relative, "error": str(exc)})
        problem = _s3_problem(exc, location, reading, self.job.data_access_role_arn)
        return {"SourceFile": relative, "Status": "FAILED", "Error": problem}


def _check_length(segments: list[str], most: int | None) -> None:
    characters = sum(map(len, segments))
    if most is not None and characters > most:
        raise DocumentError(
            f"The document has {characters:,} characters of text; the translation engine translates at most {most:,} "
            "of one document in one invocation of TranslateBatchFunction. Split it into smaller documents."
        )


def _recording(segments: list[str]) -> Callable[[str], str]:
    """Pass 1's engine: records each segment the documents module asks for and gives it back unchanged."""

    def record(text: str) -> str:
        segments.append(text)
        return text

    return record


def _s3_problem(error: ClientError, location: str, reading: bool, role: str) -> str:
    """What S3's refusal means for the user, naming the location and the role (the details file carries it)."""
    code = transient.error_code(error)
    verb, action = ("read", "s3:GetObject") if reading else ("write", "s3:PutObject")
    if code == "NoSuchBucket":
        return f"The bucket of {location} does not exist."
    if code == "NoSuchKey":
        return f"The document {location} was removed from the input location before it could be read."
    if code in ("AccessDenied", "AllAccessDisabled", "403"):
        return f"The DataAccessRoleArn {role} may not {verb} {location} ({action} was denied)."
    if code.startswith("KMS"):
        return f"The job's OutputDataConfig.EncryptionKey could not be used to write {location} ({code})."
    return f"Amazon S3 refused to {verb} {location} ({code})."


def _check_output_path(relative: str) -> None:
    """Output keys mirror input keys under the job's output prefix. A path segment that is empty (``//``, a
    leading ``/``), ``.`` or ``..``, split at a slash or a backslash (a Windows path), would let two input keys
    name one output file, or an input key (or a target code) a file outside the output, once the output is
    copied to a file system: such a document fails alone."""
    if any(segment in ("", ".", "..") for segment in re.split(r"[/\\]", relative)):
        raise DocumentError(
            f"The document's key has an empty, '.' or '..' path segment ({shown(relative)}); "
            "it cannot be mapped to an output key of its own. Rename the document."
        )


def finalize_job(deps: WorkflowDependencies, account_id: str, job_id: str, failure: Failure | None = None) -> dict[str, str]:
    """Move the job to exactly one terminal status, with EndTime, Message and the details files.

    ``failure``: what ended the workflow before the job finished (the job then ends FAILED, or STOPPED)."""
    store = deps.store
    job = store.get(account_id, job_id)
    first_failure = None
    if job.status not in TERMINAL and job.status != JobStatus.SUBMITTED and _details_due(failure):
        try:
            first_failure = _write_details(deps, job, failure)  # once: the documents' results do not change while we decide
        except Exception as exc:
            if failure is None:
                raise
            # The job ends FAILED all the same, with the failure's message: its details are a courtesy here.
            logger.warning("The details of a failed job could not be written", extra={"error": str(exc)})
    # The status can change under us at most twice (IN_PROGRESS -> STOP_REQUESTED by Stop, then to a
    # terminal status by a concurrent finalize), so the third read always decides.
    for _ in range(3):
        if job.status in TERMINAL:
            return {"JobStatus": job.job_status}
        if job.status == JobStatus.SUBMITTED and failure is None:
            raise JobStateConflictError(job_id, job.job_status)  # nothing began: only a failure may end it
        status, message = outcome(
            status=job.status,
            total=int(job.input_documents_count),
            translated=int(job.translated_documents_count),
            failed=int(job.documents_with_errors_count),
            error=_describe_failure(job, failure) if failure else None,
            first_failure=first_failure,
        )
        try:
            final = store.finalize(account_id, job_id, Finalization(
                status, message, expected=job.status, end_time=round(time.time(), 3), held_slot=job.holds_slot,
            ))
        except JobStateConflictError:
            job = store.get(account_id, job_id)
            continue
        logger.info("Job finalized", extra={"job_status": final.value, "job_message": message})
        return {"JobStatus": final.value}
    raise JobStateConflictError(job_id, job.job_status)


def caught_failure(error: dict[str, Any] | None) -> Failure | None:
    """The Failure in a Step Functions Catch result ({"Error", "Cause"}): a Lambda error's Cause is the
    JSON of its errorType/errorMessage/stackTrace, of which the message is kept (the rest is logged)."""
    if not error:
        return None
    cause = error.get("Cause") or ""
    try:
        message = str(json.loads(cause).get("errorMessage", cause))
    except (ValueError, AttributeError):
        message = cause
    if message != cause:
        logger.info("The workflow caught an error", extra={"error": error.get("Error"), "cause": cause})
    return Failure(str(error.get("Error") or ""), message, where="the job's workflow")


def _describe_failure(job: Job, failure: Failure) -> str:
    """The Message of a job the workflow could not finish; what the user should not see (an internal
    error's text) goes to the log only."""
    logger.warning("Job failed", extra={"error": failure.error, "cause": failure.cause, "where": failure.where})
    done = job.translated_documents_count + job.documents_with_errors_count
    return messages.failure(failure, done, job.input_documents_count)


def _results_key(account_id: str, job_id: str, batch: int) -> str:
    return f"results/{account_id}/{job_id}/batch-{batch:07d}.json"


def _details_due(failure: Failure | None) -> bool:
    """Whether this finalize writes the details files: always when the workflow reached FinalizeJob, and after
    a failure of the Map itself (States.*: its reader, its result writer), whose batches' results stand. Not
    after a failure of FinalizeJob (its own details writing may be what failed) or the end of the workflow
    (the reconciler, the sweep: their functions may not write to the job's output)."""
    return failure is None or failure.error.startswith("States.")


def _write_details(deps: WorkflowDependencies, job: Job, failure: Failure | None = None) -> str | None:
    """details/<lang>.auxiliary-translation-details.json under the job's output, one per target (details.py),
    streamed from the batches' result fragments, with what the job left when it did not finish every document;
    returns the first failed document's reason (None when none failed)."""
    files: DetailsFiles | None = None
    # Only a job that did not finish every document reads its manifest (twice, streamed) for what it left.
    left_some = job.input_documents_count > job.translated_documents_count + job.documents_with_errors_count
    prefix = parse_s3_uri(job.input_data_config["S3Uri"])[1]
    untranslated = Untranslated(_manifest(deps, job), lambda key: relative_key(key, prefix)) if left_some else None
    try:
        for batch, documents in _batch_results(deps, job):
            if files is None:
                files = _details_files(deps, job)
            files.add(documents)
            if untranslated is not None:
                untranslated.note(batch, documents)
        if files is None:
            return None
        if untranslated is not None:
            reason = STOPPED_REASON if job.status == JobStatus.STOP_REQUESTED and failure is None else ENDED_REASON
            files.leave((name, reason) for name in untranslated.left(_manifest(deps, job)))
        files.close()
    except ClientError as exc:
        if files is not None:
            files.abort()
        if exc.operation_name in ("ListObjectsV2", "GetObject"):  # the work bucket: the service's own
            raise
        out_bucket, out_prefix = parse_s3_uri(job.output_data_config["S3Uri"])
        location = f"s3://{out_bucket}/{out_prefix}details/"
        problem = _s3_problem(exc, location, False, job.data_access_role_arn)
        raise DataAccessError(f"Translate could not write the job's details file: {problem}") from exc
    except BaseException:
        if files is not None:
            files.abort()
        raise
    return files.first_failure


def _manifest(deps: WorkflowDependencies, job: Job) -> Iterator[dict[str, Any]]:
    """The job's batch manifest, line by line as it is read (JSON Lines, one batch a line)."""
    key = manifest.manifest_key(job.account_id, job.job_id)
    with transient.retried_if_transient("reading the job's batch manifest"):
        body = deps.work_s3.get_object(Bucket=deps.settings.work_bucket, Key=key)["Body"]
    for line in body.iter_lines(chunk_size=1024 * 1024):
        if line:
            yield json.loads(line)


def _details_files(deps: WorkflowDependencies, job: Job) -> DetailsFiles:
    s3 = deps.job_roles.s3(job.data_access_role_arn, job.account_id, job.job_id)
    out_bucket, out_prefix = parse_s3_uri(job.output_data_config["S3Uri"])
    writers = {
        str(target): S3Writer(
            s3, out_bucket, details_key(out_prefix, str(target)), part_bytes=details.DETAILS_PART_BYTES,
            hold_first=True, put_args=_encryption(job), doing=f"writing the {target} details file",
        )
        for target in job.target_language_codes
    }
    header = {
        "sourceLanguageCode": job.source_language_code,
        "inputDataPrefix": job.input_data_config["S3Uri"],
        "outputDataPrefix": job.output_data_config["S3Uri"],
        "documentCountWithServerError": "0",
    }
    return DetailsFiles(writers, header)


def _batch_results(deps: WorkflowDependencies, job: Job) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Each batch's number and result fragment, in batch order, RESULT_READERS read at once (each a small GetObject)."""
    config, work_s3 = deps.settings, deps.work_s3

    def keys() -> Iterator[str]:
        pages = work_s3.get_paginator("list_objects_v2").paginate(
            Bucket=config.work_bucket, Prefix=f"results/{job.account_id}/{job.job_id}/"
        )
        with transient.retried_if_transient("listing the batches' results"):
            for page in pages:
                yield from (obj["Key"] for obj in page.get("Contents", []))

    def read(key: str) -> tuple[int, list[dict[str, Any]]]:
        with transient.retried_if_transient("reading the batches' results"):
            body = work_s3.get_object(Bucket=config.work_bucket, Key=key)["Body"].read()
        return int(key.rpartition("batch-")[2].removesuffix(".json")), list(json.loads(body))

    with ThreadPoolExecutor(RESULT_READERS) as pool:
        pending: deque[Future[tuple[int, list[dict[str, Any]]]]] = deque()
        for key in keys():
            # The caller's context goes with each read (locally: the function's own role, local_stack.iam).
            pending.append(pool.submit(contextvars.copy_context().run, read, key))
            if len(pending) >= 4 * RESULT_READERS:  # bounded read-ahead: memory holds a few dozen fragments
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _encryption(job: Job) -> dict[str, str]:
    """put_object arguments for the job's OutputDataConfig.EncryptionKey (SSE-KMS with that key)."""
    key = job.output_data_config.get("EncryptionKey")
    if not key or not key.get("Id"):
        return {}
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key["Id"]}
