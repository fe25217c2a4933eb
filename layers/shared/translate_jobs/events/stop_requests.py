"""Stop requests that arrive as messages (an SQS queue, or EventBridge events on the stack's bus).

Each request runs the same Stop as the API (``operations.stop``: one conditional UpdateItem), after
its JobId passed the API's own validation. What happens to a request that cannot succeed:

* malformed (not JSON, missing members, an invalid JobId), for an account that is not in
  ``StopRequestAccounts``, or for an account that is not the sender's: rejected at once. It is logged
  and sent to the stop-request dead-letter queue with the reason, and the original message is
  consumed. Retrying could never make it valid, so waiting for ``maxReceiveCount`` redeliveries would
  only delay it and cost invocations.
* the sender's account is what the channel vouches for, never the body's ``AccountId``: an event's
  ``account`` (EventBridge sets it to the account that put the event); for a queue message, the
  queue's own account, since SQS gives a sender's id but not its account and the queue's policy
  (template.yaml ``StopRequestQueuePolicy``) admits only principals of the stack's account. So a
  message stops jobs of the stack's account only; other accounts send events.
* an unknown job: logged and consumed. Stop on an absent job changes nothing (ResourceNotFound).
* each stop records who asked (``StopRequestedBy`` on the job, ``stopRequestedBy`` in its events):
  the queue's ARN and the message's SenderId, or the event's source and account. On the bus only
  the sources in ``StopRequestEventSources`` reach this function (the rule in template.yaml).
* anything else (throttling, a network error, the dead-letter send itself failing): raised, so the
  message is reported as a batch item failure and redelivered; after ``maxReceiveCount`` receives
  the queue's RedrivePolicy moves it to the dead-letter queue.
"""

import json
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from translate_jobs.api import operations
from translate_jobs.api.validation import validate_request
from translate_jobs.core.config import required
from translate_jobs.core.observability import logger
from translate_jobs.domain.caller import Caller
from translate_jobs.domain.errors import JobNotFoundError, ValidationError
from translate_jobs.events.dependencies import EventsDependencies

STOP_REQUEST_DETAIL_TYPE = "StopTextTranslationJob Request"


class RejectedStopRequestError(Exception):
    """A stop request that can never succeed (malformed, or from an account not allowed)."""


@dataclass(frozen=True)
class StopRequest:
    account_id: str
    job_id: str


def parse_stop_request(body: Any, allowed_accounts: frozenset[str], sender: Caller, *, text: bool = False) -> StopRequest:
    """{"JobId", "AccountId"} (JSON text when ``text``) -> StopRequest, or RejectedStopRequestError
    (also for an account not in ``allowed_accounts``, the StopRequestAccounts, or not the sender's)."""
    if text:
        try:
            body = json.loads(body)
        except ValueError:
            raise RejectedStopRequestError("The message body is not JSON.") from None
    if not isinstance(body, dict):
        raise RejectedStopRequestError("The stop request is not a JSON object.")
    account_id = body.get("AccountId")
    if not isinstance(account_id, str) or not (len(account_id) == 12 and account_id.isascii() and account_id.isdigit()):
        raise RejectedStopRequestError("AccountId must be a 12-digit AWS account id.")
    try:
        validate_request("StopTextTranslationJob", {"JobId": body.get("JobId")} if "JobId" in body else {})
    except ValidationError as exc:
        raise RejectedStopRequestError(str(exc)) from None
    if account_id not in allowed_accounts:
        raise RejectedStopRequestError(f"Account {account_id} may not send stop requests (see StopRequestAccounts).")
    if account_id != sender.account_id:
        raise RejectedStopRequestError(
            f"The stop request names account {account_id}, but {SENT_FROM[sender.channel]} account "
            f"{sender.account_id[:12]}: a stop request may stop only its sender's own jobs."
        )
    return StopRequest(account_id, body["JobId"])


# How each channel vouches for the sender's account (the message above says it).
SENT_FROM = {
    "SQS": "it was sent to the stop-request queue, which admits only principals of",
    "EventBridge": "EventBridge says it was sent by",
}


def apply_stop_request(deps: EventsDependencies, request: StopRequest, sender: Caller) -> str | None:
    """The API's Stop for this job, as its sender; None for an unknown job (nothing changes, nothing to retry)."""
    try:
        status = operations.stop(deps.store, sender, request.job_id)
    except JobNotFoundError:
        logger.warning("Stop request for an unknown job ignored", extra={"job_id": request.job_id})
        return None
    logger.info("Stop request applied", extra={"job_id": request.job_id, "job_status": status.value})
    return status.value


def handle(deps: EventsDependencies, body: Any, original: str, sender: Caller, *, text: bool = False) -> str | None:
    """Parse and apply one request; a rejected one goes to the dead-letter queue with its reason."""
    try:
        request = parse_stop_request(body, deps.settings.stop_request_accounts, sender, text=text)
    except RejectedStopRequestError as rejected:
        logger.warning("Stop request rejected", extra={"reason": str(rejected)})
        deps.sqs.send_message(
            QueueUrl=required(deps.settings.stop_request_dlq_url, "STOP_REQUEST_DLQ_URL"),
            MessageBody=original,
            MessageAttributes={"RejectedReason": {"DataType": "String", "StringValue": str(rejected)}},
        )
        return None
    return apply_stop_request(deps, request, sender)


def process_stop_queue(deps: EventsDependencies, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """SQS batch -> Stop per message; the response lists only the messages to redeliver."""

    def stop_request(record: SQSRecord) -> None:
        sender_id = record.attributes.get("SenderId") or "unknown sender"  # SQS always sets it; a hand-made event may not
        queue = str(record.get("eventSourceARN") or "")
        queue_account = queue.split(":")[4] if queue.count(":") >= 5 else "unknown"  # arn:aws:sqs:<region>:<account>:<name>
        handle(deps, record.body, record.body, Caller(queue_account, sender_id, "SQS", queue or None), text=True)

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return dict(process_partial_response(event=event, record_handler=stop_request, processor=processor, context=context))


def process_stop_event(deps: EventsDependencies, event: dict[str, Any]) -> dict[str, Any]:
    """One EventBridge event (detail-type "StopTextTranslationJob Request"); raises only on transient errors."""
    account = str(event.get("account") or "unknown account")
    sender = Caller(account, account, "EventBridge", str(event.get("source")))
    status = handle(deps, event.get("detail"), json.dumps(event), sender)
    return {"JobStatus": status}
