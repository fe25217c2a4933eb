"""Domain errors. They say what went wrong in the domain; ``wire`` decides how callers see them."""

# A value quoted in a message is cut here: a caller cannot make us build (or log) a large message.
MAX_SHOWN_CHARS = 100


def shown(value: object) -> str:
    """``value`` as a message quotes it: at most MAX_SHOWN_CHARS characters, then "..."."""
    text = str(value)
    return text if len(text) <= MAX_SHOWN_CHARS else text[:MAX_SHOWN_CHARS] + "..."


class TranslateJobsError(Exception):
    """Base of every error this service raises on purpose."""


class ValidationError(TranslateJobsError):
    """The request breaks a constraint of the Translate model."""

    def __init__(self, problems: list[str], listed: int | None = None) -> None:
        self.problems = problems
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        shown = problems[:listed] if listed is not None else problems
        more = f"; and {count - len(shown)} more" if len(shown) < count else ""
        super().__init__(f"{count} validation {noun} detected: " + "; ".join(shown) + more)


class SerializationError(TranslateJobsError):
    """The body is not a JSON object (or holds what JSON text cannot: NaN, lone surrogates, ...)."""


class UnknownOperationError(TranslateJobsError):
    """The X-Amz-Target names no operation of this service."""


class NoRouteError(TranslateJobsError):
    """No route of the API matches the request's method and path."""


class RequestTooLargeError(TranslateJobsError):
    """The body is larger than any valid request."""


class AccessDeniedError(TranslateJobsError):
    """The request carries no caller identity."""


class JobNotFoundError(TranslateJobsError):
    """No job with this id in the caller's account (another account's job looks the same)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"Job {job_id} was not found.")
        self.job_id = job_id


class UnsupportedLanguagePairError(TranslateJobsError):
    """The source language is also a target, or a language is not supported."""


class InvalidRequestError(TranslateJobsError):
    """The request is well formed but cannot be honoured (e.g. a reused ClientToken)."""


class InvalidFilterError(TranslateJobsError):
    """A List filter the service cannot apply (e.g. more than one filter member at a time)."""


class LimitExceededError(TranslateJobsError):
    """An account quota would be exceeded (e.g. too many queued jobs)."""


class TransientError(TranslateJobsError):
    """An AWS service failed in a way that retrying fixes (see ``transient``): the workflow retries it."""


class ThrottledError(TransientError):
    """DynamoDB (or another dependency) throttled us; the caller should retry later."""


class JobStateConflictError(TranslateJobsError):
    """A conditional write found the job in a state that does not allow the change."""

    def __init__(self, job_id: str, status: str | None) -> None:
        super().__init__(f"Job {job_id} is {status}.")
        self.job_id = job_id
        self.status = status


class DocumentError(TranslateJobsError):
    """One document cannot be translated (its format, its content, the engine's refusal): the job records
    the reason for that document and goes on with the others."""


class InvalidParameterValueError(TranslateJobsError):
    """A value the model allows but the service cannot use (a terminology file it cannot read, an ARN of
    nothing that can be tagged)."""


class ResourceNotFoundError(TranslateJobsError):
    """No terminology or parallel data of this name (or ARN) in the caller's account."""


class ConflictError(TranslateJobsError):
    """A resource of this name exists already, made by another request."""


class ConcurrentModificationError(TranslateJobsError):
    """Another change of the resource is under way (an import, an update, a deletion)."""


class TooManyTagsError(TranslateJobsError):
    """A resource would carry more tags than it may."""


class TextSizeLimitExceededError(TranslateJobsError):
    """The text (or document) to translate is larger than the operation takes."""


class UnsupportedDisplayLanguageCodeError(TranslateJobsError):
    """ListLanguages cannot name languages in the display language asked for."""


class ServiceUnavailableError(TranslateJobsError):
    """The translation engine cannot translate now (its service refused, its models are missing): retry later."""
