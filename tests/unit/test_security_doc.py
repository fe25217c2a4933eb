"""docs/security.md's read-only policy does what the page says, on the routes template.yaml really has."""

import json
import re
from pathlib import Path

from local_stack.iam.policy import Decision, Request, evaluate
from local_stack.template import load_template

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
API = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5"
JOB_ID = "0123456789abcdef0123456789abcdef"


def read_only_policy() -> dict:
    section = DOC.read_text()[DOC.read_text().index("## What IAM can and cannot restrict"):]
    text = re.search(r"```json\n(.*?)```", section, re.S).group(1)
    text = text.replace("<REGION>", "us-east-1").replace("<SERVICE_ACCOUNT_ID>", "123456789012").replace("<API_ID>", "a1b2c3d4e5")
    return json.loads(text)


def routes() -> dict[str, str]:
    """Each route of the API function (template.yaml's HttpApi events) -> the ARN IAM authorizes a request to it."""
    events = load_template()["Resources"]["ApiFunction"]["Properties"]["Events"]
    found = {}
    for event in events.values():
        method, path = event["Properties"].get("Method"), event["Properties"].get("Path")
        if method and path:
            found[f"{method} {path}"] = f"{API}/$default/{method}{path.replace('{JobId}', JOB_ID)}"
    return found


def test_the_read_only_policy_allows_list_and_describe_and_nothing_else():
    policy = read_only_policy()
    allowed = {route for route, arn in routes().items()
               if evaluate([policy], Request("execute-api:Invoke", arn)) is Decision.ALLOW}
    assert set(routes()) == {"POST /", "POST /jobs", "GET /jobs", "GET /jobs/{JobId}", "POST /jobs/{JobId}/stop"}
    assert allowed == {"GET /jobs", "GET /jobs/{JobId}"}
