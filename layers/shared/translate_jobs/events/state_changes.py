"""Job state changes out: one EventBridge event per committed JobStatus change, read from the table's stream.

The stream carries only committed writes, so a failed conditional write (which commits nothing)
never produces an event, and a write that changes only counts is skipped here. Each event carries
``detail.eventId`` (the stream record's eventID): a record retried after a partial failure is
published again with the same id, so consumers deduplicate on it (delivery is at least once).
"""

import json
from typing import Any, NamedTuple

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord, DynamoDBRecordEventName

from translate_jobs.core.config import required
from translate_jobs.core.observability import logger
from translate_jobs.domain.job import JobDetails
from translate_jobs.events.dependencies import EventsDependencies

SOURCE = "translate-jobs"  # custom buses reject sources that start with "aws."
DETAIL_TYPE = "Translate TextTranslationJob State Change"


class EventPublishError(Exception):
    """EventBridge did not accept an event: the stream record fails, so Lambda retries it."""


def state_change_entry(record: DynamoDBRecord, bus_name: str) -> dict[str, Any] | None:
    """The PutEvents entry for one stream record, or None when JobStatus did not change."""
    if record.event_name not in (DynamoDBRecordEventName.INSERT, DynamoDBRecordEventName.MODIFY) or not record.dynamodb:
        return None
    new, old = record.dynamodb.new_image, record.dynamodb.old_image
    status, previous = new.get("JobStatus"), old.get("JobStatus") if old else None
    if status is None or status == previous:
        return None  # only counts (or the plan, or the execution) changed: no state change
    detail = {
        "eventId": record.event_id,
        "jobId": new["JobId"],
        "jobStatus": status,
        "previousJobStatus": previous,
        "accountId": new["AccountId"],
        "jobName": new.get("JobName"),
        "jobDetails": JobDetails(
            input_documents_count=int(new.get("InputDocumentsCount", 0)),
            translated_documents_count=int(new.get("TranslatedDocumentsCount", 0)),
            documents_with_errors_count=int(new.get("DocumentsWithErrorsCount", 0)),
        ).as_wire(),
    }
    if new.get("StopRequestedBy"):  # from STOP_REQUESTED on: who asked (Channel, Principal, Source)
        detail["stopRequestedBy"] = {str(key): str(value) for key, value in new["StopRequestedBy"].items()}
    return {"Source": SOURCE, "DetailType": DETAIL_TYPE, "Detail": json.dumps(detail), "EventBusName": bus_name}


# PutEvents takes at most 10 entries and 256 KB a call (an entry counts its Source, DetailType and Detail).
MAX_ENTRIES = 10
MAX_REQUEST_BYTES = 256 * 1024


class Unpublished(NamedTuple):
    """The first record of a batch that was not published: its position in the batch, and why."""

    position: int
    error: Exception


def publish_job_events(deps: EventsDependencies, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Stream batch -> events; the response lists the records to retry (ReportBatchItemFailures).

    Events go out in stream order, up to 10 a call, never two changes of one job in a call. When a record
    fails, it and every later record of the batch fail too: Lambda retries from the first of them, so a
    job's later change is never published before an earlier one (events after it that the failed call
    did publish go out again on the retry, with the same eventId).
    """
    records = [DynamoDBRecord(raw) for raw in event["Records"]]
    failure = _publish_in_order(deps, records)
    positions = {record.event_id: position for position, record in enumerate(records)}

    def outcome(record: DynamoDBRecord) -> None:  # the processor reports each record's outcome
        if failure is None or positions[record.event_id] < failure.position:
            return
        if positions[record.event_id] == failure.position:
            raise failure.error
        raise EventPublishError("An earlier record of this batch failed; retried in order.")

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    return dict(process_partial_response(event=event, record_handler=outcome, processor=processor, context=context))


def _publish_in_order(deps: EventsDependencies, records: list[DynamoDBRecord]) -> Unpublished | None:
    bus = required(deps.settings.event_bus_name, "EVENT_BUS_NAME")
    call = _Call()
    for position, record in enumerate(records):
        try:
            entry = state_change_entry(record, bus)
        except Exception as error:  # noqa: BLE001 - this record's failure, reported as the batch processor would
            return call.put(deps) or Unpublished(position, error)
        if entry is None:
            continue
        job = tuple(sorted(record.dynamodb.keys.items())) if record.dynamodb else ()  # the job's key
        if not call.has_room(job, entry):
            if failure := call.put(deps):
                return failure
            call = _Call()
        call.add(position, record, job, entry)
    return call.put(deps)


class _Call:
    """One PutEvents call being filled, in stream order."""

    def __init__(self) -> None:
        self.entries: list[tuple[int, DynamoDBRecord, dict[str, Any]]] = []  # with each its stream position and record
        self.jobs: set[tuple[Any, ...]] = set()
        self.size = 0

    def has_room(self, job: tuple[Any, ...], entry: dict[str, Any]) -> bool:
        return len(self.entries) < MAX_ENTRIES and job not in self.jobs and self.size + _size(entry) <= MAX_REQUEST_BYTES

    def add(self, position: int, record: DynamoDBRecord, job: tuple[Any, ...], entry: dict[str, Any]) -> None:
        self.entries.append((position, record, entry))
        self.jobs.add(job)
        self.size += _size(entry)

    def put(self, deps: EventsDependencies) -> Unpublished | None:
        """None when EventBridge took every entry (or there were none), else the first entry it refused."""
        if not self.entries:
            return None
        try:
            response = deps.events.put_events(Entries=[entry for _, _, entry in self.entries])
        except Exception as error:  # noqa: BLE001 - the call's failure is its first record's (after botocore's retries)
            return Unpublished(self.entries[0][0], error)
        failure = None
        for (position, record, entry), result in zip(self.entries, response["Entries"], strict=True):
            if "ErrorCode" in result:
                failure = failure or Unpublished(position, EventPublishError(
                    f"PutEvents rejected the event: {result.get('ErrorCode')} {result.get('ErrorMessage')}"))
            else:
                logger.info("Published job state change", extra={"event_id": record.event_id, "detail": entry["Detail"]})
        return failure


def _size(entry: dict[str, Any]) -> int:
    return sum(len(entry[key].encode()) for key in ("Source", "DetailType", "Detail"))
