"""List pages over the stack (tests.support.stack): the API function called, jobs written in one batch."""

import json
import uuid
from typing import Any

from tests.support.stack import ACCOUNT, http_event, job_store

LIST = "ListTextTranslationJobs"
T0 = 1_700_000_000.0  # jobs are submitted at T0 + i seconds, so the expected order is known


def call(stack: Any, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = stack.runtime.invoke("ApiFunction", event)
    return response["statusCode"], json.loads(response["body"] or "{}")


def list_jobs(stack: Any, account: str = ACCOUNT, **request: Any) -> tuple[int, dict[str, Any]]:
    return call(stack, http_event("POST", "/", request, target=LIST, account=account))


def put_jobs(count: int, *, account: str = ACCOUNT, start: float = T0, **fields: Any) -> list[str]:
    """``count`` jobs submitted one second apart from ``start``, oldest first (one batch write)."""
    from translate_jobs.dal.store import JobRecord

    job_store()  # binds JobRecord to the template's table
    records = [
        JobRecord(
            account,
            uuid.uuid4().hex,
            job_name=fields.get("job_name", "batch-job"),
            job_status=fields.get("status", "COMPLETED"),
            submitted_time=start + index,
            source_language_code="en",
            target_language_codes=["fr"],
            input_data_config={"S3Uri": "s3://input-docs/in/", "ContentType": "text/plain"},
            output_data_config={"S3Uri": "s3://output-docs/out/"},
            data_access_role_arn=f"arn:aws:iam::{account}:role/TranslateData",
        )
        for index in range(count)
    ]
    with JobRecord.batch_write() as batch:
        for record in records:
            batch.save(record)
    return [record.job_id for record in records]
