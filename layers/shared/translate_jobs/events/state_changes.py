"""Job state changes out: one EventBridge event per committed JobStatus change, read from the table's stream.

The stream carries only committed writes, so a failed conditional write (which commits nothing)
never produces an event, and a write that changes only counts is skipped here. Each event carries
``detail.eventId`` (the stream record's eventID): a record retried after a partial failure is
published again with the same id, so consumers deduplicate on it (delivery is at least once).
"""

import json
from typing import Any

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


class _Publisher:
    """Publishes records in stream order: after one record fails, the rest of the batch fails too,
    so a retry never publishes a job's later change before its earlier one."""

    def __init__(self, deps: EventsDependencies) -> None:
        self.deps = deps
        self.halted = False

    def __call__(self, record: DynamoDBRecord) -> None:
        if self.halted:
            raise EventPublishError("An earlier record of this batch failed; retried in order.")
        try:
            self._publish(record)
        except Exception:
            self.halted = True
            raise

    def _publish(self, record: DynamoDBRecord) -> None:
        entry = state_change_entry(record, required(self.deps.settings.event_bus_name, "EVENT_BUS_NAME"))
        if entry is None:
            return
        response = self.deps.events.put_events(Entries=[entry])
        if response.get("FailedEntryCount", 0):
            failed = response["Entries"][0]
            raise EventPublishError(f"PutEvents rejected the event: {failed.get('ErrorCode')} {failed.get('ErrorMessage')}")
        logger.info("Published job state change", extra={"event_id": record.event_id, "detail": entry["Detail"]})


def publish_job_events(deps: EventsDependencies, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Stream batch -> events; the response lists the records to retry (ReportBatchItemFailures)."""
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    return dict(process_partial_response(event=event, record_handler=_Publisher(deps), processor=processor, context=context))
