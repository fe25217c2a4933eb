"""Everything the emulator is told of translate-jobs beyond its template: the App handed in from the top.

``python -m translate_jobs_local`` and the tests pass ``TRANSLATE_JOBS`` to the stack; local_stack imports
nothing of translate-jobs (tests/unit/test_local_stack_layering.py checks it), so it is a generic "SAM
application on moto" another project could run with an App of its own.
"""

import contextlib
import datetime
import json
import re
from pathlib import Path
from typing import Any

from local_stack.app import App, EventMirror, EventsQueue, FaultTargets
from local_stack.iam.credentials import acting_as
from local_stack.provision import create_bucket
from local_stack.retention import Sweep, aware, tables
from local_stack.stack import DEFAULT_ACCOUNT
from translate_jobs_local.data_access import create_data_access_role

DEMO_BUCKETS = ("translate-jobs-demo-input", "translate-jobs-demo-output")
DEMO_ROLE = f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/TranslateDemoDataAccess"
STACK_SOURCE = "translate-jobs"  # translate_jobs.events.state_changes.SOURCE (a test checks they agree)
STATE_CHANGE = "Translate TextTranslationJob State Change"
LOCAL_EVENTS_QUEUE = "translate-jobs-local-events"
# translate_jobs.domain.lifecycle.TERMINAL (local_stack does not import the library; a test checks they agree)
FINISHED = frozenset({"COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOPPED"})


class FinishedJobsWorkData:
    """A retention step: the batch markers and work files (manifest, batch results) of jobs finished more
    than the retention ago, and the Distributed Map's ResultWriter files (never read) older than that.

    Only FinalizeJob reads a job's work data, while the job runs. AWS drops it after 30 days (the markers'
    TTL, the work bucket's lifecycle rule); moto never does: ~8 MB per 5,000-document job."""

    def __init__(self, stack: Any) -> None:
        self.jobs_table, self.work_bucket = stack.resolver.ref("JobsTable"), stack.resolver.ref("WorkBucket")
        self.batch_counts_table = stack.resolver.ref("BatchCountsTable")
        self._swept_until = 0.0  # jobs that ended by then had their work data dropped (a time: it does not grow)

    def __call__(self, sweep: Sweep, now: float) -> None:
        from moto.dynamodb.models import dynamodb_backends

        # An EndTime written more than `retention` after it was taken would be missed: its data kept.
        swept, cutoff = self._swept_until, now - sweep.retention
        self._swept_until = max(swept, cutoff)
        jobs: set[tuple[str, str]] = set()
        with sweep.dynamodb_lock or contextlib.nullcontext():
            for table in tables(dynamodb_backends, self.jobs_table):
                for item in (item for by_job in table.items.values() for item in by_job.values()):
                    status, ended = item.attrs.get("JobStatus"), item.attrs.get("EndTime")
                    if status and ended and status.value in FINISHED and swept < float(ended.value) <= cutoff:
                        jobs.add((item.attrs["AccountId"].value, item.attrs["JobId"].value))
            markers = tuple(f"{account}#{job}#" for account, job in jobs)  # BatchId: account#job#batch
            for table in tables(dynamodb_backends, self.batch_counts_table) if jobs else []:
                for key in [key for key in table.items if key.value.startswith(markers)]:
                    table.delete_item(key, None)
                    sweep.count("batch markers", 1)
        prefixes = tuple(p for account, job in jobs for p in (f"manifests/{account}/{job}.", f"results/{account}/{job}/"))
        if prefixes:
            sweep.count("work files", sweep.delete_objects(self.work_bucket, lambda key, _: key.startswith(prefixes)))
        expired_at = datetime.datetime.fromtimestamp(cutoff, datetime.UTC)
        sweep.count("map results", sweep.delete_objects(
            self.work_bucket, lambda key, stored: key.startswith("map-results/") and aware(stored.last_modified) < expired_at))


def work_data_sweeps(stack: Any) -> tuple[Any, ...]:
    return (FinishedJobsWorkData(stack),)


def create_demo_resources(stack: Any, region: str) -> None:
    """The README's walkthrough's buckets, and the data-access role it names (with the trust policy docs/security.md
    asks users to write: only the demo account's jobs may use it)."""
    import boto3

    s3 = boto3.client("s3", region_name=region)
    for bucket in DEMO_BUCKETS:
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
            create_bucket(s3, bucket, region)
    iam = boto3.client("iam", region_name=region)
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        create_data_access_role(iam, DEMO_ROLE.rsplit("/", 1)[-1], service_account=DEFAULT_ACCOUNT, job_account=DEFAULT_ACCOUNT,
                                input_buckets=[DEMO_BUCKETS[0]], output_buckets=[DEMO_BUCKETS[1]])


# The console's Start form, filled in (translate_jobs_local.views).
CONSOLE_START_DEFAULTS = {"input": f"s3://{DEMO_BUCKETS[0]}/", "output": f"s3://{DEMO_BUCKETS[1]}/out/", "role": DEMO_ROLE}


def banner(local: Any) -> str:
    """What `make run` prints once ready: where things are, and the walkthrough's first steps."""
    return f"""  demo buckets: s3://{DEMO_BUCKETS[0]}  s3://{DEMO_BUCKETS[1]}   demo role: {DEMO_ROLE}

Try it (the README has the whole walkthrough):
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
  echo "Hello, world" | .venv-awscli/bin/aws s3 cp - s3://{DEMO_BUCKETS[0]}/docs/hello.txt --endpoint-url {local.emulator_url}
  .venv-awscli/bin/aws translate start-text-translation-job --endpoint-url {local.api_url} \\
      --input-data-config S3Uri=s3://{DEMO_BUCKETS[0]}/docs/,ContentType=text/plain \\
      --output-data-config S3Uri=s3://{DEMO_BUCKETS[1]}/out/ \\
      --data-access-role-arn {DEMO_ROLE} --source-language-code en --target-language-codes fr"""


# ---------- the translation engine, checked when `make run` starts (docs/engines.md) ----------
# A folder of models as an absolute path, and an engine that can translate from here: moto has neither Translate
# nor Bedrock, so `amazon` and `bedrock` would fail every job; `make run` says so at start-up instead.

ENGINE_FUNCTION = "TranslateBatchFunction"


def with_absolute_models(parameters: dict[str, str]) -> dict[str, str]:
    """TranslationModels given as a folder, made absolute (the template takes s3://... or an absolute path)."""
    models = parameters.get("TranslationModels", "")
    if models and not models.startswith("s3://"):
        return {**parameters, "TranslationModels": str(Path(models).expanduser().resolve())}
    return parameters


def engine_problem(stack: Any, parameters: dict[str, str]) -> tuple[str | None, str | None]:
    """(why the engine cannot translate here, or None; a note for the banner, or None). Asked as the engine's
    function would ask (its execution environment, its role)."""
    engine_name = parameters.get("TranslationEngine", "pseudo")
    if engine_name == "pseudo":
        return None, None
    runtime = stack.runtime
    function = runtime.find(ENGINE_FUNCTION)
    engine = runtime.dependencies(function.logical_id).engine
    with acting_as(runtime.credentials(function) if runtime.credentials else None):
        problem = engine.problem()
        described = engine.describe_pairs() if problem is None and hasattr(engine, "describe_pairs") else None
    if problem is None:
        return None, f"engine {engine_name}: {described}" if described else f"engine {engine_name}"
    if engine_name == "ctranslate2" and parameters.get("TranslationModels", "").startswith("s3://"):
        return None, f"engine ctranslate2: {problem} Upload Argos packages there (docs/engines.md); Start finds them."
    if engine_name in ("amazon", "bedrock"):
        service = "Amazon Translate's TranslateText" if engine_name == "amazon" else "Amazon Bedrock's Converse API"
        variable = "AWS_ENDPOINT_URL_TRANSLATE" if engine_name == "amazon" else "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"
        return (
            f"TranslationEngine={engine_name} needs {service}, which the local emulator (moto) does not have, so "
            f"every job would fail ({problem.rstrip('.')}). Deploy to AWS to use it (make deploy), or point {variable} at a "
            "server that implements it; locally, use TranslationEngine=pseudo or ctranslate2 (docs/engines.md).",
            None,
        )
    return problem, None


# ---------- each operation is its IAM action (Amazon Translate authorizes translate:<Operation>) ----------

TARGET_PREFIX = "AWSShineFrontendService_20170701."
# The REST routes of template.yaml's ApiFunction, as the operations they run.
REST_OPERATIONS = (("POST", re.compile(r"/jobs/?"), "StartTextTranslationJob"),
                   ("GET", re.compile(r"/jobs/?"), "ListTextTranslationJobs"),
                   ("GET", re.compile(r"/jobs/[^/]+/?"), "DescribeTextTranslationJob"),
                   ("POST", re.compile(r"/jobs/[^/]+/stop/?"), "StopTextTranslationJob"))
# Operations on one terminology or parallel data resource: authorized on its ARN (the others on "*").
NAMED = {"ImportTerminology": "terminology", "GetTerminology": "terminology", "DeleteTerminology": "terminology",
         "CreateParallelData": "parallel-data", "GetParallelData": "parallel-data", "UpdateParallelData": "parallel-data",
         "DeleteParallelData": "parallel-data"}


def authorize_operation(caller: Any, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
    """Refuse a caller whose own IAM policies do not allow the request's operation as ``translate:<Operation>``
    (AccessDeniedException, as Amazon Translate answers), on the resource it names: a policy granting only
    translate:DescribeTextTranslationJob cannot Start. Locally only: the deployed HTTP API authorizes POST / as a
    whole (docs/security.md). The account root (keys the emulator did not issue) may do anything."""
    from local_stack.authorizer import AuthorizationError
    from local_stack.iam.enforcement import caller_allowed

    operation = _operation(method, path, headers)
    if operation is None or caller.user_arn.endswith(":root"):
        return  # not an operation (the API answers what it is), or the account root
    resource = _resource(operation, caller.account_id, _region(headers), body)
    if not caller_allowed(caller.account_id, caller.user_arn, f"translate:{operation}", resource):
        raise AuthorizationError(
            "AccessDeniedException",
            f"User: {caller.user_arn} is not authorized to perform: translate:{operation} on resource: {resource}",
        )


def _operation(method: str, path: str, headers: dict[str, str]) -> str | None:
    target = headers.get("x-amz-target", "")
    if method == "POST" and path == "/":
        operation = target.removeprefix(TARGET_PREFIX)
        return operation if target.startswith(TARGET_PREFIX) and operation else None
    return next((operation for verb, route, operation in REST_OPERATIONS if verb == method and route.fullmatch(path)), None)


def _region(headers: dict[str, str]) -> str:
    """The region the request was signed for (its credential scope: the authenticator checked it is the stack's)."""
    scope = re.search(r"Credential=[^/,]+/\d{8}/([a-z0-9-]+)/", headers.get("authorization", ""))
    return scope.group(1) if scope else "us-east-1"


def _resource(operation: str, account_id: str, region: str, body: bytes) -> str:
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return "*"  # not JSON: the API refuses it (SerializationException)
    if not isinstance(request, dict):
        return "*"
    if operation in NAMED and isinstance(request.get("Name"), str):
        return f"arn:aws:translate:{region}:{account_id}:{NAMED[operation]}/{request['Name']}"
    if isinstance(request.get("ResourceArn"), str) and operation.endswith(("TagResource", "TagsForResource")):
        return str(request["ResourceArn"])
    return "*"


TRANSLATE_JOBS = App(
    parameter_defaults={
        # Locally the demo account may stop its jobs with messages (template default: no account).
        "StopRequestAccounts": DEFAULT_ACCOUNT,
        # moto runs each Map lane as a thread of this one process: lanes add CPU, not throughput (make
        # bench-scale, 1,000 documents: 43.5 documents per CPU-second at 4 lanes, 36.7 at 16, 32.4 at 100).
        "MapMaxConcurrency": "4",
    },
    signing_names=("translate", "execute-api"),  # the Translate SDKs sign for "translate"
    emulator_url_variable="PRESIGNED_S3_ENDPOINT",  # GetTerminology's and GetParallelData's downloads (core/config.py)
    authorize=authorize_operation,
    named={"table_name": "JobsTable", "work_bucket": "WorkBucket", "state_machine_arn": "TranslationJobStateMachine"},
    events_queue=EventsQueue(LOCAL_EVENTS_QUEUE, bus="JobEventBus", pattern={"source": [STACK_SOURCE]}),
    # Amazon Translate sends its event when a job ends, successfully or not (its EventBridge docs).
    mirrors=(EventMirror(bus="JobEventBus", source=STACK_SOURCE, detail_type=STATE_CHANGE, field="jobStatus", values=FINISHED,
                         as_source="aws.translate"),),
    faults=FaultTargets(
        tasks=frozenset({"BeginJobFunction", "PlanBatchesFunction", "TranslateBatchFunction", "FinalizeJobFunction"}),
        writer="TranslateBatchFunction", scratch_bucket_variable="WORK_BUCKET",
    ),
    retention_steps=work_data_sweeps,
    prepare=create_demo_resources,
    banner=banner,
    external_emulator_note="Start, Describe and Stop work, but jobs will stay SUBMITTED.",
)
