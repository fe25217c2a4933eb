"""Job messages written for people: every way a job can end, and the sentence its Message carries.

A Message says what happened in the service's words, names what was wrong and where (the input or
output location, the role, the documents), and what to do. It never carries an internal exception's
text, class or stack: those go to the logs, with the job id, for whoever runs the service.
"""

from translate_jobs.domain.failure import Failure

# Failures the workers raise knowing what went wrong and where: their text is written for the user.
USER_FACING = frozenset({"NoDocumentsError", "JobLimitExceededError", "DataAccessError"})
# AWS kept failing (core/transient.py): the text names the service's answer and what the job was doing.
TRANSIENT = frozenset({"ThrottledError", "TransientError"})
# A step's Lambda ended abnormally, every time it was retried.
LAMBDA_ENDS = {
    "Sandbox.Timedout": "a step of the job ran out of time",
    "States.Timeout": "a step of the job ran out of time",
    "Runtime.ExitError": "a step of the job stopped unexpectedly",
    "Runtime.OutOfMemory": "a step of the job ran out of memory",
}
# The reconciler and the sweep: the workflow ended before the job did.
WORKFLOW_ENDS = {
    "ExecutionFailed": "failed",
    "ExecutionTimedOut": "timed out",
    "ExecutionAborted": "was stopped",
    "ExecutionSucceeded": "ended",
    "WorkflowGone": "was no longer running",
}
DETAILS = "details/<language>.auxiliary-translation-details.json in the job's output location"


def progress(done: int, total: int) -> str:
    return f"after {done} of {total} documents" if total else "before any document was translated"


def completed(total: int) -> str:
    return f"Translated {total} of {total} documents."


def completed_with_error(translated: int, failed: int, total: int) -> str:
    return f"Translated {translated} of {total} documents; {failed} could not be translated: see {DETAILS}."


def all_documents_failed(total: int, reason: str | None) -> str:
    why = f" The first reason: {reason}" if reason else ""
    return f"None of the {total} documents could be translated.{why} Every document's reason is in {DETAILS}."


def stopped(done: int, total: int) -> str:
    return f"Stopped on request {progress(done, total)}; what was translated is in the job's output location."


def failure(failure: Failure | None, done: int, total: int) -> str:
    """The Message of a job the workflow could not finish: the failure's own text for the names above that
    carry our sentences, else a sentence of ours (an internal error's text is for the logs only)."""
    name = failure.error if failure else ""
    cause_message = failure.cause if failure else ""
    where = progress(done, total)
    if name in USER_FACING and cause_message:
        return cause_message
    if name in TRANSIENT and cause_message:
        return f"The job stopped {where}: {cause_message.rstrip('.')}, even after retrying. Start the job again."
    if name in LAMBDA_ENDS:
        return (f"The job stopped {where}: {LAMBDA_ENDS[name]}, even after retrying. Start the job again; if it "
                "happens again, look for a very large or unusual document in the input.")
    if name in WORKFLOW_ENDS:
        return f"The job's workflow {WORKFLOW_ENDS[name]} {where}, before the job finished. Start the job again."
    return (f"The job stopped {where} because of an internal error in the translation service. Start the job "
            "again; if it fails again, report the job id to the service's operators.")


def import_failure(failure: Failure) -> str:
    """The Message of a parallel data import its workflow could not finish (AWS kept failing, the function ended)."""
    if failure.error == "Sandbox.Timedout":
        return ("The parallel data file could not be imported within 15 minutes (ParallelDataFunction's timeout): "
                "split it into smaller files. The parallel data is as it was before this import.")
    if failure.error in TRANSIENT and failure.cause:
        return f"The import stopped: {failure.cause.rstrip('.')}, even after retrying. Update the parallel data to try again."
    if failure.error in LAMBDA_ENDS:
        return f"The import stopped: {LAMBDA_ENDS[failure.error].replace('the job', 'the import')}, even after retrying."
    return ("The import failed because of an internal error in the translation service. Update the parallel data to try "
            "again; if it fails again, report its name to the service's operators.")
