"""The in-memory job store (tests/support/fakes.py) answers as the DynamoDB store does.

The same requests go through the API function's handler twice: once with the function's own dependencies
(the DynamoDB store over moto, from template.yaml), once with the jobs in memory; the answers must be the
same but for the values only a clock or a signature makes (SubmittedTime, NextToken). Neither launches a
workflow (a launcher that records), so no job changes under the comparison.
"""

import dataclasses
import json
import time
from typing import Any

from tests.support import ACCOUNT, OTHER_ACCOUNT
from tests.support.fakes import InMemoryJobs, RecordedLaunches
from tests.support.stack import http_event, start_request

START, DESCRIBE, STOP, LIST = (
    "StartTextTranslationJob", "DescribeTextTranslationJob", "StopTextTranslationJob", "ListTextTranslationJobs",
)


def conversation(call: Any) -> list[Any]:
    """Start, Describe, Stop and List, with the refusals of each; the answers, in order."""
    answers = [
        call(START, start_request(ClientToken="a", JobName="alpha")),
        call(START, start_request(ClientToken="a", JobName="alpha")),  # a retry: the same job
        call(START, start_request(ClientToken="a", JobName="other")),  # the token reused for another job
    ]
    for token, name in (("b", "beta"), ("c", None)):
        time.sleep(0.002)  # SubmittedTime has milliseconds: the three jobs are ordered, in both stores
        answers.append(call(START, start_request(ClientToken=token, JobName=name)))
    job_a, job_b, job_c = answers[0][1]["JobId"], answers[3][1]["JobId"], answers[4][1]["JobId"]
    answers += [
        call(DESCRIBE, {"JobId": job_a}),
        call(DESCRIBE, {"JobId": "0" * 32}),
        call(DESCRIBE, {"JobId": job_a}, account=OTHER_ACCOUNT),  # another account's job is a missing one
        call(STOP, {"JobId": job_b}),
        call(STOP, {"JobId": job_b}),
        call(STOP, {"JobId": "0" * 32}),
        call(DESCRIBE, {"JobId": job_b}),
        call(LIST, {"Filter": {"JobStatus": "STOP_REQUESTED"}}),
        call(LIST, {"Filter": {"JobName": "alpha"}}),
        call(LIST, {"Filter": {"JobName": "alpha", "JobStatus": "SUBMITTED"}}),
        call(LIST, {}, account=OTHER_ACCOUNT),
    ]
    first = call(LIST, {"MaxResults": 2})
    rest = call(LIST, {"MaxResults": 2, "NextToken": first[1].get("NextToken")})
    oldest_first = call(LIST, {"Filter": {"SubmittedBeforeTime": time.time() + 60}})
    answers += [first, rest, oldest_first]
    assert [job["JobId"] for job in first[1]["TextTranslationJobPropertiesList"] + rest[1]["TextTranslationJobPropertiesList"]] \
        == [job_c, job_b, job_a]  # newest first, over two pages
    assert [job["JobId"] for job in oldest_first[1]["TextTranslationJobPropertiesList"]] == [job_a, job_b, job_c]
    return answers


def comparable(answer: tuple[int, dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    """The answer without what a clock or a signature makes."""
    status, body = answer
    text = json.dumps(body)
    body = json.loads(text)
    for job in [body.get("TextTranslationJobProperties"), *body.get("TextTranslationJobPropertiesList", [])]:
        if job:
            assert isinstance(job.pop("SubmittedTime"), float)
    if "NextToken" in body:
        body["NextToken"] = "<a token>"
    return status, body


def test_the_in_memory_store_answers_as_the_dynamodb_store(stack):
    handler = stack.runtime.handler(stack.runtime.find("ApiFunction"))
    deployed = stack.runtime.dependencies("ApiFunction")

    def caller_of(deps: Any) -> Any:
        def call(operation: str, body: Any, account: str = ACCOUNT) -> tuple[int, dict[str, Any]]:
            response = handler(http_event("POST", "/", body, target=operation, account=account), None, dependencies=deps)
            return response["statusCode"], json.loads(response["body"])

        return call

    real_launches, fake_launches = RecordedLaunches(), RecordedLaunches()
    real = conversation(caller_of(dataclasses.replace(deployed, launcher=real_launches)))
    fake = conversation(caller_of(dataclasses.replace(deployed, store=InMemoryJobs(), launcher=fake_launches)))

    assert [comparable(answer) for answer in fake] == [comparable(answer) for answer in real]
    assert [status for status, _ in real] == [200, 200, 400, 200, 200, 200, 400, 400, 200, 200, 400, 200, 200, 200, 400, 200,
                                              200, 200, 200]
    assert fake_launches.launched == real_launches.launched and len(real_launches.launched) == 4  # the retry launches again
