"""Who asks: the account a request acts in and the principal behind it.

Both come from the channel the request arrived through (the API's IAM authorizer, the queue a message was
sent to, the event bus that stamped an event's account), never from what the request's own body says.
"""

from dataclasses import dataclass

from translate_jobs.domain.lifecycle import StopRequester


@dataclass(frozen=True)
class Caller:
    account_id: str  # whose jobs the request may see and change
    principal: str  # the API caller's IAM ARN, a queue message's SenderId, or an event's account
    channel: str = "API"  # API, SQS or EventBridge
    source: str | None = None  # the queue's ARN, or the event's source

    @classmethod
    def of_api(cls, account_id: str, principal_arn: str | None = None) -> "Caller":
        """An API caller: the IAM authorizer's principal, or the account root where none is named (a local
        front that runs without an authorizer)."""
        return cls(account_id, principal_arn or f"arn:aws:iam::{account_id}:root")

    def as_stop_requester(self) -> StopRequester:
        """What a job keeps of who asked it to stop (StopRequestedBy)."""
        return StopRequester(self.channel, self.principal, self.source)
