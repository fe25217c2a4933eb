"""The job table: the only module that talks to DynamoDB.

Every key includes the caller's account, so another account's job is indistinguishable from a
missing one. Business rules live in condition expressions; a failed condition returns the old
item (``ReturnValuesOnConditionCheckFailure=ALL_OLD``) so callers learn why in the same request.
Storage errors leave this module only as domain errors, and jobs only as the domain's ``Job``
(``JobRecord`` stays in dal/).

One style per concern: PynamoDB models say what an item is (attributes, names, the derived index
keys) and build the key and update expressions; every request goes out through one botocore client,
PynamoDB's own (``JobStore.client``), because PynamoDB 6.1 cannot return the old item of a failed
condition (``ALL_OLD``) nor put a job and its account's usage in one transaction.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from translate_jobs.core import transient
from translate_jobs.core.config import ConfigurationError, Quotas, Settings
from translate_jobs.dal.interfaces import SlotUnavailableError
from translate_jobs.dal.queries import ListQuery, account_job_name, account_status, page_key
from translate_jobs.domain.errors import (
    InvalidRequestError,
    JobNotFoundError,
    JobStateConflictError,
    LimitExceededError,
    ThrottledError,
    TransientError,
)
from translate_jobs.domain.job import BatchCount, Job
from translate_jobs.domain.lifecycle import FINALIZABLE, STOPPABLE, TERMINAL, Finalization, JobStatus, StopRequester

UNFINISHED = "UNFINISHED"
# A batch's marker outlives its job's run: as long as the work bucket keeps the batch's results (30 days).
BATCH_MARKER_SECONDS = 30 * 24 * 3600


class JobRecord(Model):
    """One batch translation job: every TextTranslationJobProperties field, plus what a run needs."""

    class Meta:
        table_name = "translate-jobs"  # the function's JOBS_TABLE_NAME, set by JobStore

    account_id = UnicodeAttribute(hash_key=True, attr_name="AccountId")
    job_id = UnicodeAttribute(range_key=True, attr_name="JobId")
    job_name = UnicodeAttribute(null=True, attr_name="JobName")
    job_status = UnicodeAttribute(attr_name="JobStatus")
    message = UnicodeAttribute(null=True, attr_name="Message")
    submitted_time = NumberAttribute(attr_name="SubmittedTime")
    end_time = NumberAttribute(null=True, attr_name="EndTime")
    source_language_code = UnicodeAttribute(attr_name="SourceLanguageCode")
    target_language_codes = ListAttribute(of=UnicodeAttribute, attr_name="TargetLanguageCodes")  # type: ignore[var-annotated]
    terminology_names = ListAttribute(of=UnicodeAttribute, null=True, attr_name="TerminologyNames")  # type: ignore[var-annotated]
    parallel_data_names = ListAttribute(of=UnicodeAttribute, null=True, attr_name="ParallelDataNames")  # type: ignore[var-annotated]
    input_data_config = MapAttribute(attr_name="InputDataConfig")  # type: ignore[var-annotated]
    output_data_config = MapAttribute(attr_name="OutputDataConfig")  # type: ignore[var-annotated]
    data_access_role_arn = UnicodeAttribute(attr_name="DataAccessRoleArn")
    settings = MapAttribute(null=True, attr_name="Settings")  # type: ignore[var-annotated]
    # JobDetails
    input_documents_count = NumberAttribute(default=0, attr_name="InputDocumentsCount")
    translated_documents_count = NumberAttribute(default=0, attr_name="TranslatedDocumentsCount")
    documents_with_errors_count = NumberAttribute(default=0, attr_name="DocumentsWithErrorsCount")
    # What a run needs.
    client_token = UnicodeAttribute(null=True, attr_name="ClientToken")
    request_fingerprint = UnicodeAttribute(null=True, attr_name="RequestFingerprint")
    batch_count = NumberAttribute(null=True, attr_name="BatchCount")
    # Set when a queued job's workflow continues as a new execution (workflow.begin_job): the one to watch.
    execution_name = UnicodeAttribute(null=True, attr_name="ExecutionName")
    stop_requested_time = NumberAttribute(null=True, attr_name="StopRequestedTime")
    stop_requested_by = MapAttribute(null=True, attr_name="StopRequestedBy")  # type: ignore[var-annotated]
    # Set when BeginJob takes one of the account's running slots; finalize gives it back.
    holds_slot = BooleanAttribute(null=True, attr_name="HoldsSlot")
    # Hash keys of List's indexes (dal/queries.py): derived, written with every status or item write.
    account_status = UnicodeAttribute(null=True, attr_name="AccountStatus")
    account_job_name = UnicodeAttribute(null=True, attr_name="AccountJobName")
    # Hash key of the sparse Unfinished index (the sweep's): present only while not terminal.
    unfinished = UnicodeAttribute(null=True, attr_name="Unfinished")

    @property
    def status(self) -> JobStatus:
        return JobStatus(self.job_status)

    def serialize(self, null_check: bool = True) -> dict[str, dict[str, Any]]:
        """Every whole-item write (create, save, batch write) derives the List index keys here."""
        if self.job_status is not None:
            self.account_status = account_status(self.account_id, self.job_status)
            self.unfinished = None if self.job_status in TERMINAL else UNFINISHED
        self.account_job_name = account_job_name(self.account_id, self.job_name) if self.job_name else None
        return super().serialize(null_check=null_check)

    def as_job(self) -> Job:
        """The domain's value of this item (what the store returns; the record stays in dal/)."""
        return Job(
            account_id=self.account_id,
            job_id=self.job_id,
            status=self.status,
            submitted_time=self.submitted_time,
            source_language_code=self.source_language_code,
            target_language_codes=tuple(map(str, self.target_language_codes)),
            input_data_config=self.input_data_config.as_dict(),
            output_data_config=self.output_data_config.as_dict(),
            data_access_role_arn=self.data_access_role_arn,
            job_name=self.job_name,
            message=self.message,
            end_time=self.end_time,
            terminology_names=tuple(map(str, self.terminology_names or ())),
            parallel_data_names=tuple(map(str, self.parallel_data_names or ())),
            settings=self.settings.as_dict() if self.settings else None,
            input_documents_count=int(self.input_documents_count),
            translated_documents_count=int(self.translated_documents_count),
            documents_with_errors_count=int(self.documents_with_errors_count),
            client_token=self.client_token,
            request_fingerprint=self.request_fingerprint,
            batch_count=int(self.batch_count) if self.batch_count is not None else None,
            execution_name=self.execution_name,
            stop_requested_time=self.stop_requested_time,
            stop_requested_by=StopRequester.from_item(self.stop_requested_by.as_dict()) if self.stop_requested_by else None,
            holds_slot=bool(self.holds_slot),
        )

    @classmethod
    def of_new_job(cls, job: Job) -> "JobRecord":
        """The item of a job being created (the fields Start sets; the rest come with the run)."""
        return cls(
            job.account_id,
            job.job_id,
            job_name=job.job_name,
            job_status=job.status.value,
            submitted_time=job.submitted_time,
            source_language_code=job.source_language_code,
            target_language_codes=list(job.target_language_codes),
            terminology_names=list(job.terminology_names) or None,
            parallel_data_names=list(job.parallel_data_names) or None,
            input_data_config=dict(job.input_data_config),
            output_data_config=dict(job.output_data_config),
            data_access_role_arn=job.data_access_role_arn,
            settings=dict(job.settings) if job.settings is not None else None,
            client_token=job.client_token,
            request_fingerprint=job.request_fingerprint,
        )


def _set_status(account_id: str, status: JobStatus) -> list[Any]:
    """The actions of a status write: the status and the index keys it moves, in the same UpdateItem."""
    unfinished = JobRecord.unfinished.remove() if status in TERMINAL else JobRecord.unfinished.set(UNFINISHED)
    return [JobRecord.job_status.set(status), JobRecord.account_status.set(account_status(account_id, status)), unfinished]


class AccountUsage(Model):
    """Per account: jobs running and jobs queued (SUBMITTED, or stopped before they began).

    Changed only in transactions with the job write that changes the job's place in the queue,
    so the counts cannot drift from the jobs.
    """

    class Meta:
        table_name = "translate-jobs-usage"  # the function's ACCOUNT_USAGE_TABLE_NAME, set by JobStore

    account_id = UnicodeAttribute(hash_key=True, attr_name="AccountId")
    running = NumberAttribute(default=0, attr_name="Running")
    queued = NumberAttribute(default=0, attr_name="Queued")


class _TransactionCanceledError(Exception):
    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        self.reasons = reasons

    def failed(self, index: int) -> bool:
        return self.reasons[index].get("Code") == "ConditionalCheckFailed"

    def old_job(self, index: int) -> "JobRecord | None":
        item = self.reasons[index].get("Item")
        return JobRecord.from_raw_data(item) if item else None


class _ConditionFailedError(Exception):
    def __init__(self, old: JobRecord | None) -> None:
        self.old = old


@contextmanager
def _storage_errors() -> Iterator[None]:
    """Transient failures (throttling, DynamoDB's internal errors) become the errors callers retry
    (``transient``); anything else surfaces as the bug it is. PynamoDB wraps botocore's error."""
    try:
        yield
    except Exception as exc:
        cause = exc.cause if isinstance(exc, PynamoDBException) and isinstance(exc.cause, Exception) else exc
        if isinstance(exc, transient.RETRIED) or not transient.is_transient(cause):
            raise
        if transient.error_code(cause) in transient.THROTTLING_CODES:  # what an API caller reads, as before
            raise ThrottledError("The job table is throttling requests; retry with backoff.") from exc
        raise transient.as_retried(cause, "using the job table") from exc


class JobStore:
    """Reads and conditional writes of job items, always scoped to one account: the DynamoDB store behind
    every interface of dal/interfaces.py.

    Built once per execution environment from the function's settings (its tables and quotas).
    """

    def __init__(self, settings: Settings) -> None:
        self._quotas: Quotas = settings.quotas
        self._counts_table = settings.batch_counts_table_name
        _bind(JobRecord, settings.jobs_table_name, settings.region)
        if settings.quotas.usage_table_name:
            _bind(AccountUsage, settings.quotas.usage_table_name, settings.region)

    def client(self) -> Any:
        """The botocore client every request goes through (tests hook its events to count requests)."""
        return JobRecord._get_connection().connection.client

    def get(self, account_id: str, job_id: str) -> Job:
        with _storage_errors():
            try:
                return JobRecord.get(account_id, job_id, consistent_read=True).as_job()
            except JobRecord.DoesNotExist:
                raise JobNotFoundError(job_id) from None

    def create(self, job: Job) -> tuple[Job, bool]:
        """Put a new job and count it queued (one transaction). If the id exists already, return
        the stored job and False; if the account's queue is full, raise LimitExceededError."""
        max_queued = self._quotas.max_queued_jobs
        record = JobRecord.of_new_job(job)
        put = record.get_save_kwargs_from_instance(
            condition=JobRecord.job_id.does_not_exist(), return_values_on_condition_failure="ALL_OLD"
        )
        try:
            self._transact(
                {"Put": _transact_part(put)},
                _usage_update(record.account_id, {"Queued": 1}, limit=("Queued", max_queued)),
            )
        except _TransactionCanceledError as canceled:
            old = canceled.old_job(0)
            if canceled.failed(0) and old is not None:
                return old.as_job(), False
            raise LimitExceededError(
                f"Your account has {max_queued} queued jobs, the most it may have; "
                "start this job when some have begun or been stopped."
            ) from None
        return record.as_job(), True

    def request_stop(
        self, account_id: str, job_id: str, now: float, requested_by: StopRequester | None = None
    ) -> JobStatus:
        """Stop: SUBMITTED/IN_PROGRESS -> STOP_REQUESTED in one conditional update, with who asked.

        Any other status is returned unchanged, read from the failed condition's old item.
        """
        actions = [*_set_status(account_id, JobStatus.STOP_REQUESTED), JobRecord.stop_requested_time.set(now)]
        if requested_by is not None:
            actions.append(JobRecord.stop_requested_by.set(requested_by.as_item()))
        try:
            self._update(account_id, job_id, actions=actions, condition=JobRecord.job_status.is_in(*STOPPABLE))
        except _ConditionFailedError as failed:
            if failed.old is None:
                raise JobNotFoundError(job_id) from None
            return failed.old.status
        return JobStatus.STOP_REQUESTED

    def begin(self, account_id: str, job_id: str) -> None:
        """SUBMITTED -> IN_PROGRESS, taking a running slot from the account (one transaction).

        Raises JobStateConflictError carrying the status it found, or SlotUnavailableError.
        """
        max_running = self._quotas.max_concurrent_jobs
        update = JobRecord(account_id, job_id).get_update_kwargs_from_instance(
            actions=[*_set_status(account_id, JobStatus.IN_PROGRESS), JobRecord.holds_slot.set(True)],
            condition=JobRecord.job_status == JobStatus.SUBMITTED,
            return_values_on_condition_failure="ALL_OLD",
        )
        try:
            self._transact(
                {"Update": _transact_part(update)},
                _usage_update(account_id, {"Running": 1, "Queued": -1}, limit=("Running", max_running)),
            )
        except _TransactionCanceledError as canceled:
            if canceled.failed(0):
                old = canceled.old_job(0)
                if old is None:
                    raise JobNotFoundError(job_id) from None
                raise JobStateConflictError(job_id, old.job_status) from None
            raise SlotUnavailableError(account_id) from None

    def running_jobs(self, account_id: str) -> int:
        with _storage_errors():
            try:
                return int(AccountUsage.get(account_id, consistent_read=True).running)
            except AccountUsage.DoesNotExist:
                return 0

    def first_in_queue(self, account_id: str) -> str | None:
        """The JobId of the account's oldest SUBMITTED job (ByStatus index), if any."""
        with _storage_errors():
            items = self.client().query(
                TableName=JobRecord.Meta.table_name,
                IndexName="ByStatus",
                KeyConditionExpression="#h = :h",
                ExpressionAttributeNames={"#h": "AccountStatus"},
                ExpressionAttributeValues={":h": {"S": account_status(account_id, JobStatus.SUBMITTED)}},
                ScanIndexForward=True,
                Limit=1,
            ).get("Items", [])
        return items[0]["JobId"]["S"] if items else None

    def continue_in(self, account_id: str, job_id: str, execution_name: str) -> None:
        """Name the execution that carries on waiting for a slot; only while the job is still SUBMITTED."""
        self._transition(
            account_id, job_id, [JobRecord.execution_name.set(execution_name)], JobRecord.job_status == JobStatus.SUBMITTED
        )

    def set_plan(self, account_id: str, job_id: str, documents: int, batches: int) -> None:
        """Record the planned documents and batches, while the job is still running (or stopping)."""
        self._transition(
            account_id,
            job_id,
            [JobRecord.input_documents_count.set(documents), JobRecord.batch_count.set(batches)],
            JobRecord.job_status.is_in(*FINALIZABLE),
        )

    def unfinished_before(self, cutoff: float) -> Iterator[tuple[str, str]]:
        """(account, JobId) of every job not yet terminal submitted before ``cutoff``, oldest first.

        A Query on the sparse Unfinished index: it reads only jobs that are not terminal.
        """
        kwargs: dict[str, Any] = {
            "TableName": JobRecord.Meta.table_name,
            "IndexName": "Unfinished",
            "KeyConditionExpression": "#u = :u AND #t < :t",
            "ExpressionAttributeNames": {"#u": "Unfinished", "#t": "SubmittedTime"},
            "ExpressionAttributeValues": {":u": {"S": UNFINISHED}, ":t": {"N": format(Decimal(repr(cutoff)), "f")}},
        }
        while True:
            with _storage_errors():
                page = self.client().query(**kwargs)
            for item in page.get("Items", []):
                yield item["AccountId"]["S"], item["JobId"]["S"]
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def batch_counted(self, account_id: str, job_id: str, batch: int) -> bool:
        """Has an earlier attempt of this batch added its counts? (its marker exists)"""
        with _storage_errors():
            item = self.client().get_item(
                TableName=self._batch_counts_table(), Key=_batch_key(account_id, job_id, batch), ConsistentRead=True
            ).get("Item")
        return item is not None

    def count_batch(self, account_id: str, job_id: str, count: BatchCount, now: float) -> bool:
        """Add one batch's counts exactly once, however often the batch is retried: the batch's marker
        (a put that only a first attempt passes) and the job's ADD in one transaction, so the job item
        keeps its size whatever the number of batches. False if an earlier attempt counted it."""
        add = JobRecord(account_id, job_id).get_update_kwargs_from_instance(
            actions=[
                JobRecord.translated_documents_count.add(count.translated),
                JobRecord.documents_with_errors_count.add(count.failed),
            ],
            condition=JobRecord.job_id.exists() & JobRecord.job_status.is_in(*FINALIZABLE),
            return_values_on_condition_failure="ALL_OLD",
        )
        marker = {
            "TableName": self._batch_counts_table(),
            "Item": {
                **_batch_key(account_id, job_id, count.batch),
                "Translated": {"N": str(count.translated)},
                "Failed": {"N": str(count.failed)},
                "ExpiresAt": {"N": str(int(now) + BATCH_MARKER_SECONDS)},
            },
            "ConditionExpression": "attribute_not_exists(BatchId)",
        }
        try:
            self._transact({"Put": marker}, {"Update": _transact_part(add)})
        except _TransactionCanceledError as canceled:
            if canceled.failed(0):
                return False  # counted by an earlier attempt
            old = canceled.old_job(1)
            if old is None:
                raise JobNotFoundError(job_id) from None
            raise JobStateConflictError(job_id, old.job_status) from None
        return True

    def finalize(self, account_id: str, job_id: str, finalization: Finalization) -> JobStatus:
        """Move a job from the status its decision was based on to a terminal status, giving back the
        account's running slot or queued place it held in the same transaction."""
        actions = [
            *_set_status(account_id, finalization.status),
            JobRecord.message.set(finalization.message),
            JobRecord.end_time.set(finalization.end_time),
        ]
        update = JobRecord(account_id, job_id).get_update_kwargs_from_instance(
            actions=actions,
            condition=JobRecord.job_id.exists() & (JobRecord.job_status == finalization.expected),
            return_values_on_condition_failure="ALL_OLD",
        )
        releases = "Running" if finalization.held_slot else "Queued"
        try:
            self._transact({"Update": _transact_part(update)}, _usage_update(account_id, {releases: -1}))
        except _TransactionCanceledError as canceled:
            old = canceled.old_job(0)
            if old is None:
                raise JobNotFoundError(job_id) from None
            raise JobStateConflictError(job_id, old.job_status) from None
        return finalization.status

    def list_jobs(
        self, account_id: str, query: ListQuery, limit: int, exclusive_start_key: dict[str, Any] | None
    ) -> tuple[list[Job], dict[str, Any] | None]:
        """One page of the account's jobs: one Query on the query's index, never a Scan.

        Reads ``limit + 1`` items so the key to continue from is returned only when another job
        follows (no empty last page). The key is the index key of the page's last job.
        """
        assert query.hash_value == account_id or query.hash_value.startswith(f"{account_id}#")
        if exclusive_start_key is not None and exclusive_start_key.get("AccountId") != {"S": account_id}:
            raise InvalidRequestError("The NextToken belongs to another account.")  # a verified token cannot
        kwargs: dict[str, Any] = {
            "TableName": JobRecord.Meta.table_name,
            "IndexName": query.index,
            "KeyConditionExpression": "#h = :h",
            "ExpressionAttributeNames": {"#h": query.hash_attribute},
            "ExpressionAttributeValues": {":h": {"S": query.hash_value}},
            "ScanIndexForward": query.ascending,
            "Limit": limit + 1,
        }
        if query.range_condition is not None:
            operator, value = query.range_condition
            kwargs["KeyConditionExpression"] += f" AND #r {operator} :r"
            kwargs["ExpressionAttributeNames"]["#r"] = query.range_attribute
            kwargs["ExpressionAttributeValues"][":r"] = {"N": format(Decimal(repr(value)), "f")}
        if exclusive_start_key is not None:
            kwargs["ExclusiveStartKey"] = exclusive_start_key
        with _storage_errors():
            items = self.client().query(**kwargs).get("Items", [])
        page = items[:limit]
        next_key = page_key(page[-1], query) if len(items) > limit else None
        return [JobRecord.from_raw_data(item).as_job() for item in page], next_key

    def _batch_counts_table(self) -> str:
        if not self._counts_table:
            raise ConfigurationError("Environment variable BATCH_COUNTS_TABLE_NAME must be set (see template.yaml).")
        return self._counts_table

    def _transact(self, *items: dict[str, Any]) -> None:
        """One TransactWriteItems: all of ``items`` or none; a failed condition says which."""
        transact(self.client(), items, "the job table", _TransactionCanceledError)

    def _transition(self, account_id: str, job_id: str, actions: Sequence[Any], condition: Condition) -> None:
        try:
            self._update(account_id, job_id, actions, condition)
        except _ConditionFailedError as failed:
            if failed.old is None:
                raise JobNotFoundError(job_id) from None
            raise JobStateConflictError(job_id, failed.old.job_status) from None

    def _update(self, account_id: str, job_id: str, actions: Sequence[Any], condition: Condition) -> None:
        """One UpdateItem that reads nothing back (the item stays on the server). The condition always
        requires the item to exist: updates never create jobs."""
        kwargs = JobRecord(account_id, job_id).get_update_kwargs_from_instance(
            actions=list(actions),
            condition=JobRecord.job_id.exists() & condition,
            return_values_on_condition_failure="ALL_OLD",
        )
        kwargs["ReturnValues"] = "NONE"
        try:
            with _storage_errors():
                self.client().update_item(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            old = exc.response.get("Item")
            raise _ConditionFailedError(JobRecord.from_raw_data(old) if old else None) from None


def transact(
    client: Any, items: Sequence[dict[str, Any]], using: str, canceled: Callable[[list[dict[str, Any]]], Exception]
) -> None:
    """One TransactWriteItems of ``items``: all or none. A failed condition raises ``canceled(reasons)`` (which item
    failed, and its old item); a cancellation without one (a conflict with another transaction, throttling) is no
    verdict on the items, and is retried (TransientError)."""
    try:
        with _storage_errors():
            client.transact_write_items(TransactItems=list(items))
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = exc.response.get("CancellationReasons", [])
        if not any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons):
            codes = sorted({reason.get("Code", "") for reason in reasons} - {"None"})
            raise TransientError(f"AWS failed transiently while using {using} (transaction canceled: {codes})") from exc
        raise canceled(reasons) from None


def _batch_key(account_id: str, job_id: str, batch: int) -> dict[str, Any]:
    """One item per batch, each its own partition: no hot key however many batches a job has."""
    return {"BatchId": {"S": f"{account_id}#{job_id}#{batch}"}}


def _transact_part(kwargs: dict[str, Any]) -> dict[str, Any]:
    """PynamoDB's request kwargs for one item, as a TransactWriteItems element."""
    allowed = {"TableName", "Key", "Item", "UpdateExpression", "ConditionExpression", "ExpressionAttributeNames",
               "ExpressionAttributeValues", "ReturnValuesOnConditionCheckFailure"}
    return {key: value for key, value in kwargs.items() if key in allowed}


def _usage_update(account_id: str, deltas: dict[str, int], limit: tuple[str, int] | None = None) -> dict[str, Any]:
    """ADD ``deltas`` to the account's usage; with ``limit``, only while that counter is below it."""
    update: dict[str, Any] = {
        "TableName": AccountUsage.Meta.table_name,
        "Key": {"AccountId": {"S": account_id}},
        "UpdateExpression": "ADD " + ", ".join(f"#{name} :{name}" for name in deltas),
        "ExpressionAttributeNames": {f"#{name}": name for name in deltas},
        "ExpressionAttributeValues": {f":{name}": {"N": str(delta)} for name, delta in deltas.items()},
    }
    if limit is not None:
        name, maximum = limit
        update["ExpressionAttributeNames"][f"#{name}"] = name
        update["ConditionExpression"] = f"attribute_not_exists(#{name}) OR #{name} < :limit"
        update["ExpressionAttributeValues"][":limit"] = {"N": str(maximum)}
    return {"Update": update}


def _bind(model: type[Model], table_name: str, region: str) -> None:
    """Point a PynamoDB model at the function's table. PynamoDB keeps the table on the model class, so this is
    process-wide: locally every function of the template names the same tables, and a model already bound to
    them keeps its connection (and the hooks tests put on its client)."""
    if model.Meta.table_name == table_name and getattr(model.Meta, "region", None) == region and model._connection:
        return
    model.Meta.table_name = table_name
    model.Meta.region = region  # type: ignore[attr-defined]
    model._connection = None
