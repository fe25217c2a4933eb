"""The Message of a job that the workflow ended with a failure (translate_jobs.domain.messages); the jobs that
end each way are run in tests/integration/test_job_messages.py."""

import pytest

from translate_jobs.domain import messages
from translate_jobs.domain.failure import Failure


# The ends a real AWS produces that moto cannot stage quickly: the names Step Functions passes to FinalizeFailedJob.
@pytest.mark.parametrize(
    ("error", "cause", "expected"),
    [
        ("TransientError", "AWS failed transiently while writing s3://out/fr.a.txt (SlowDown: Please reduce your request rate.).",
         "The job stopped after 3 of 10 documents: AWS failed transiently while writing s3://out/fr.a.txt (SlowDown: Please "
         "reduce your request rate.), even after retrying. Start the job again."),
        ("Sandbox.Timedout", "RequestId: 1 Task timed out after 900.00 seconds",
         "The job stopped after 3 of 10 documents: a step of the job ran out of time, even after retrying. Start the job "
         "again; if it happens again, look for a very large or unusual document in the input."),
        ("Runtime.ExitError", "RequestId: 1 Error: Runtime exited with error: signal: killed",
         "The job stopped after 3 of 10 documents: a step of the job stopped unexpectedly, even after retrying. Start the "
         "job again; if it happens again, look for a very large or unusual document in the input."),
        ("ExecutionTimedOut", "The job's workflow ended TIMED_OUT: States.Timeout",
         "The job's workflow timed out after 3 of 10 documents, before the job finished. Start the job again."),
        ("WorkflowGone", "The job's workflow execution does not exist before the job finished.",
         "The job's workflow was no longer running after 3 of 10 documents, before the job finished. Start the job again."),
        ("States.Runtime", "An error occurred while executing the state 'PlanBatches' (internal detail)",
         "The job stopped after 3 of 10 documents because of an internal error in the translation service. Start the job "
         "again; if it fails again, report the job id to the service's operators."),
    ],
)
def test_failures_the_workflow_reports(error, cause, expected):
    message = messages.failure(Failure(error, cause), done=3, total=10)
    assert message == expected
    assert "internal detail" not in message and "RequestId" not in message

