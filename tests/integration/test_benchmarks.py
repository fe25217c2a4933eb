"""`make bench` compares like with like: its bare boto3 baseline sends the request the store sends."""

import importlib.util
import json
from pathlib import Path

import pytest

from tests.support.requests import dynamodb_requests
from tests.support.stack import ACCOUNT, http_event, put_job

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.long
def test_the_bare_handler_sends_the_stop_the_store_sends(stack):
    spec = importlib.util.spec_from_file_location("stop_update", BENCHMARKS / "stop_update.py")
    assert spec is not None and spec.loader is not None
    stop_update = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stop_update)
    job_id = put_job("IN_PROGRESS")

    with dynamodb_requests() as requests:
        stack.runtime.invoke("ApiFunction", http_event("POST", "/", {"JobId": job_id}, target="StopTextTranslationJob"))

    [(operation, sent)] = requests.sent
    now = float(sent["ExpressionAttributeValues"][":5"]["N"])
    by_hand = stop_update.stop_request(stack.table_name, ACCOUNT, job_id, f"arn:aws:iam::{ACCOUNT}:root", now)
    assert operation == "UpdateItem"
    assert sent == json.loads(json.dumps(by_hand))
