"""What the tests share, in one package; fixtures stay in the conftest.py files.

- ``support`` (here): the test accounts, a valid Start request and the environment every test runs in
  (no moto, no sockets).
- ``support.fakes``: in-memory stand-ins for the API's dependencies (the job store, the launcher).
- ``support.stack``: the moto stack provisioned from template.yaml and what tests do with it (tests/integration).
- ``support.workflow``, ``support.listing``, ``support.events``: jobs, List pages and events over that stack.
- ``support.front``: raw, SigV4-signed HTTP to the local front.
- ``support.office``: docx, pptx and xlsx packages built in code.
- ``support.e2e``: `make run` as a subprocess (tests/e2e).
"""

from typing import Any

ACCOUNT = "123456789012"  # local_stack.stack.DEFAULT_ACCOUNT (checked in support.stack)
OTHER_ACCOUNT = "210987654321"
REGION = "us-east-1"
TARGET_PREFIX = "AWSShineFrontendService_20170701."
# The jobs' DataAccessRoleArn: trusts the workers for ACCOUNT's jobs, reads and writes any bucket.
DATA_ACCESS_ROLE = f"arn:aws:iam::{ACCOUNT}:role/TranslateData"

# Set before anything imports boto3 or moto: fake credentials, one region, Powertools quiet.
ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "TranslateJobs",
    "POWERTOOLS_SERVICE_NAME": "translate-jobs",
}


def use_test_environment() -> None:
    import os

    os.environ.update(ENVIRONMENT)
    # The endpoints a user's shell may point the SDKs at (the README exports AWS_ENDPOINT_URL and
    # AWS_ENDPOINT_URL_TRANSLATE for `make run`): each test chooses its own.
    for name in [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]


def start_request(**overrides: Any) -> dict[str, Any]:
    """A valid StartTextTranslationJob request (input-docs -> output-docs, en -> fr); None drops a member."""
    request = {
        "JobName": "test-job",
        "InputDataConfig": {"S3Uri": "s3://input-docs/docs/", "ContentType": "text/plain"},
        "OutputDataConfig": {"S3Uri": "s3://output-docs/out/"},
        "DataAccessRoleArn": DATA_ACCESS_ROLE,
        "SourceLanguageCode": "en",
        "TargetLanguageCodes": ["fr"],
        "ClientToken": "token-1",
        **overrides,
    }
    return {key: value for key, value in request.items() if value is not None}
