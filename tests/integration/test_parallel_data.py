"""Parallel data through the API function and its own workflow (statemachine/parallel_data.asl.json, run by moto's
interpreter): CREATING -> ACTIVE or FAILED, updates that keep the resource in use until the new file is in,
DELETING -> gone, each import's files in the template's bucket, the caller's right to read its file checked."""

import json
import time
from typing import Any

import boto3
import pytest
import requests

from tests.support.stack import ACCOUNT, REGION, configure, http_event

TSV = "en\tfr\tde\nHello, world.\tBonjour, le monde.\tHallo, Welt.\nGoodbye.\tAu revoir.\tAuf Wiedersehen.\n"
TMX = ('<?xml version="1.0"?><tmx version="1.4"><header srclang="en"/><body>'
       '<tu><tuv xml:lang="en"><seg>Thank you.</seg></tuv><tuv xml:lang="es"><seg>Gracias.</seg></tuv></tu>'
       '<tu><tuv xml:lang="en"><seg></seg></tuv><tuv xml:lang="es"><seg>vacío</seg></tuv></tu></body></tmx>')


def call(stack: Any, operation: str, body: dict[str, Any], caller_arn: str | None = None) -> tuple[int, dict[str, Any]]:
    event = http_event("POST", "/", body, target=operation)
    if caller_arn:
        event["requestContext"]["authorizer"]["iam"]["userArn"] = caller_arn
    response = stack.runtime.invoke("ApiFunction", event)
    return response["statusCode"], json.loads(response["body"] or "{}")


def ok(stack: Any, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    status, answer = call(stack, operation, body)
    assert status == 200, answer
    return answer


def s3() -> Any:
    return boto3.client("s3", region_name=REGION)


@pytest.fixture
def files(stack: Any) -> Any:
    s3().create_bucket(Bucket="examples")
    s3().put_object(Bucket="examples", Key="tm/support.tsv", Body=TSV.encode())
    s3().put_object(Bucket="examples", Key="tm/thanks.tmx", Body=TMX.encode())
    return stack


def create(stack: Any, name: str = "support", uri: str = "s3://examples/tm/support.tsv", form: str = "TSV",
           token: str = "token-1", **members: Any) -> dict[str, Any]:
    return ok(stack, "CreateParallelData", {"Name": name, "ParallelDataConfig": {"S3Uri": uri, "Format": form},
                                            "ClientToken": token, **members})


def settled(stack: Any, name: str, timeout: float = 60) -> dict[str, Any]:
    """GetParallelData once no import or deletion of it is under way (its workflow's executions all ended)."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    machine = stack.resolver.refs["ParallelDataStateMachine"]
    deadline = time.monotonic() + timeout
    while sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]:
        assert time.monotonic() < deadline, "the parallel data workflow is still running"
        time.sleep(0.05)
    status, answer = call(stack, "GetParallelData", {"Name": name})
    return answer if status == 200 else {"Error": answer["__type"]}


def bucket_keys(stack: Any) -> list[str]:
    listed = s3().list_objects_v2(Bucket=stack.resolver.refs["CustomizationsBucket"]).get("Contents", [])
    return [obj["Key"] for obj in listed]


def test_created_parallel_data_goes_creating_to_active_with_its_counts_and_its_file_downloadable(files):
    assert create(files, Description="support answers", Tags=[{"Key": "team", "Value": "support"}]) == {
        "Name": "support", "Status": "CREATING"}
    got = settled(files, "support")
    properties = got["ParallelDataProperties"]
    assert properties["Status"] == "ACTIVE" and properties["Description"] == "support answers"
    assert (properties["SourceLanguageCode"], properties["TargetLanguageCodes"]) == ("en", ["fr", "de"])
    assert (properties["ImportedRecordCount"], properties["FailedRecordCount"], properties["SkippedRecordCount"]) == (2, 0, 0)
    assert properties["ImportedDataSize"] == sum(len(text) for line in TSV.splitlines()[1:] for text in line.split("\t"))
    assert properties["ParallelDataConfig"] == {"S3Uri": "s3://examples/tm/support.tsv", "Format": "TSV"}
    assert properties["Arn"] == f"arn:aws:translate:{REGION}:{ACCOUNT}:parallel-data/support"
    assert requests.get(got["DataLocation"]["Location"], timeout=10).content == TSV.encode()
    assert ok(files, "ListTagsForResource", {"ResourceArn": properties["Arn"]})["Tags"] == [{"Key": "team", "Value": "support"}]
    assert [p["Name"] for p in ok(files, "ListParallelData", {})["ParallelDataPropertiesList"]] == ["support"]


def test_the_memory_is_written_in_shards_a_job_can_read(files):
    from translate_jobs.domain.customization import ResourceKind
    from translate_jobs.domain.parallel_data import memory_key, shard_of
    from translate_jobs.integrations.customization_data import CustomizationFiles, version_prefix

    create(files)
    settled(files, "support")
    store = files.runtime.dependencies("ApiFunction").customizations
    resource = store.parallel_data(ACCOUNT, "support")
    memory = CustomizationFiles(s3(), files.resolver.refs["CustomizationsBucket"])
    prefix = version_prefix(ResourceKind.PARALLEL_DATA, ACCOUNT, "support", str(resource.version))
    key = memory_key("  Hello,   world. ")
    assert memory.memory_shard(prefix, shard_of(key, resource.shards))[key] == {"fr": "Bonjour, le monde.", "de": "Hallo, Welt."}


def test_skipped_records_are_counted_and_explained(files):
    create(files, "thanks", "s3://examples/tm/thanks.tmx", "TMX")
    got = settled(files, "thanks")
    properties = got["ParallelDataProperties"]
    assert (properties["Status"], properties["ImportedRecordCount"], properties["SkippedRecordCount"]) == ("ACTIVE", 1, 1)
    problems = json.loads(requests.get(got["AuxiliaryDataLocation"]["Location"], timeout=10).content)["problems"]
    assert problems == ["Record 2: it has no source text or no translation."]


@pytest.mark.parametrize(("uri", "form", "why"), [
    ("s3://examples/tm/absent.tsv", "TSV", "does not exist"),
    ("s3://examples/tm/support.tsv", "TMX", "not well-formed"),
])
def test_a_file_that_cannot_be_imported_ends_failed_saying_why_with_nothing_kept(files, uri, form, why):
    create(files, uri=uri, form=form)
    properties = settled(files, "support")["ParallelDataProperties"]
    assert properties["Status"] == "FAILED" and why in properties["Message"]
    assert bucket_keys(files) == []


def test_an_update_keeps_the_resource_in_use_until_the_new_file_is_in(files):
    create(files)
    first = settled(files, "support")["ParallelDataProperties"]
    old_files = bucket_keys(files)
    s3().put_object(Bucket="examples", Key="tm/v2.tsv", Body=b"en\tfr\nYes.\tOui.\n")
    answer = ok(files, "UpdateParallelData", {"Name": "support", "ClientToken": "update-1", "Description": "v2",
                                               "ParallelDataConfig": {"S3Uri": "s3://examples/tm/v2.tsv", "Format": "TSV"}})
    assert (answer["Status"], answer["LatestUpdateAttemptStatus"]) == ("ACTIVE", "UPDATING")
    properties = settled(files, "support")["ParallelDataProperties"]
    assert (properties["Status"], properties["LatestUpdateAttemptStatus"]) == ("ACTIVE", "ACTIVE")
    assert (properties["ImportedRecordCount"], properties["TargetLanguageCodes"], properties["Description"]) == (1, ["fr"], "v2")
    assert properties["ParallelDataConfig"]["S3Uri"] == "s3://examples/tm/v2.tsv"
    assert properties["CreatedAt"] == first["CreatedAt"]
    assert set(old_files).isdisjoint(bucket_keys(files))


def test_a_failed_update_leaves_the_resource_as_it_was_and_says_why(files):
    create(files)
    settled(files, "support")
    ok(files, "UpdateParallelData", {"Name": "support", "ClientToken": "update-1",
                                     "ParallelDataConfig": {"S3Uri": "s3://examples/tm/absent.tsv", "Format": "TSV"}})
    properties = settled(files, "support")["ParallelDataProperties"]
    assert (properties["Status"], properties["LatestUpdateAttemptStatus"]) == ("ACTIVE", "FAILED")
    assert "does not exist" in properties["Message"] and properties["ImportedRecordCount"] == 2


def test_a_second_change_while_one_is_under_way_is_refused(files, monkeypatch):
    # The import is held (its state machine is not started): the resource stays CREATING.
    monkeypatch.setattr(files.runtime.dependencies("ApiFunction"), "parallel_data_launcher", lambda *args: None)
    create(files)
    config = {"S3Uri": "s3://examples/tm/support.tsv", "Format": "TSV"}
    update = {"Name": "support", "ClientToken": "u", "ParallelDataConfig": config}
    assert call(files, "UpdateParallelData", update)[1]["__type"] == "ConcurrentModificationException"
    assert call(files, "DeleteParallelData", {"Name": "support"})[1]["__type"] == "ConcurrentModificationException"
    status, answer = call(files, "StartTextTranslationJob", {
        "ClientToken": "job", "InputDataConfig": {"S3Uri": "s3://examples/in/", "ContentType": "text/plain"},
        "OutputDataConfig": {"S3Uri": "s3://examples/out/"}, "DataAccessRoleArn": f"arn:aws:iam::{ACCOUNT}:role/TranslateData",
        "SourceLanguageCode": "en", "TargetLanguageCodes": ["fr"], "ParallelDataNames": ["support"]})
    assert (status, answer["__type"]) == (400, "InvalidRequestException") and "CREATING" in answer["message"]


def test_a_retried_create_is_one_resource_and_another_request_for_the_name_conflicts(files):
    create(files)
    assert create(files)["Name"] == "support"  # the SDK's retry: same ClientToken, same parameters
    other = {"S3Uri": "s3://examples/tm/thanks.tmx", "Format": "TMX"}
    status, answer = call(files, "CreateParallelData", {"Name": "support", "ClientToken": "other", "ParallelDataConfig": other})
    assert (status, answer["__type"]) == (400, "ConflictException")
    assert settled(files, "support")["ParallelDataProperties"]["Status"] == "ACTIVE"
    assert len(ok(files, "ListParallelData", {})["ParallelDataPropertiesList"]) == 1


def test_deleted_parallel_data_goes_deleting_then_is_gone_with_its_files_and_its_quota_place(files):
    configure(files, MAX_PARALLEL_DATA="1")
    create(files)
    settled(files, "support")
    assert call(files, "CreateParallelData", {"Name": "other", "ClientToken": "t", "ParallelDataConfig": {
        "S3Uri": "s3://examples/tm/thanks.tmx", "Format": "TMX"}})[1]["__type"] == "LimitExceededException"
    assert ok(files, "DeleteParallelData", {"Name": "support"}) == {"Name": "support", "Status": "DELETING"}
    assert settled(files, "support") == {"Error": "ResourceNotFoundException"}
    assert bucket_keys(files) == []
    create(files, "other", "s3://examples/tm/thanks.tmx", "TMX", token="t")


def test_a_caller_that_may_not_read_the_file_is_refused(files):
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::examples/tm/thanks.tmx"}]}))
    config = {"S3Uri": "s3://examples/tm/support.tsv", "Format": "TSV"}
    request = {"Name": "support", "ClientToken": "t", "ParallelDataConfig": config}
    status, answer = call(files, "CreateParallelData", request, caller_arn=f"arn:aws:iam::{ACCOUNT}:user/reader")
    assert (status, answer["__type"]) == (403, "AccessDeniedException") and "s3:GetObject" in answer["message"]
    allowed = {**request, "ParallelDataConfig": {"S3Uri": "s3://examples/tm/thanks.tmx", "Format": "TMX"}}
    assert call(files, "CreateParallelData", allowed, caller_arn=f"arn:aws:iam::{ACCOUNT}:user/reader")[0] == 200


def test_the_memory_writer_spills_and_merges_to_what_it_writes_without_spilling():
    from translate_jobs.domain.parallel_data import Example
    from translate_jobs.integrations.customization_data import MemoryWriter

    examples = [Example(f"segment {n % 40}", {"fr": f"segment {n} fr"}) for n in range(200)]

    def written(spill_bytes: int) -> tuple[dict[str, bytes], int]:
        out: dict[str, bytes] = {}

        def runs(shard: int) -> Any:
            return (json.loads(body) for key, body in sorted(out.items()) if key.startswith(f"runs/{shard}/"))

        writer = MemoryWriter(3, out.__setitem__, runs, spill_bytes=spill_bytes)
        for example in examples:
            writer.add(example)
        writer.finish()
        return {key: body for key, body in out.items() if key.startswith("shard-")}, writer.spills

    whole, none = written(10**9)
    spilled, spills = written(500)
    assert none == 0 and spills > 5
    assert {key: json.loads(body) for key, body in spilled.items()} == {key: json.loads(body) for key, body in whole.items()}


@pytest.mark.long
def test_its_workflow_calls_as_its_own_state_machines_role(files):
    # Given the parallel data workflow's role without its permissions (the job workflow's role keeps its own)
    iam, role = boto3.client("iam", region_name=REGION), "translate-jobs-ParallelDataStateMachineRole"
    for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        iam.delete_role_policy(RoleName=role, PolicyName=policy)
    # When an import starts
    create(files)
    settled(files, "support")
    # Then its workflow's Lambda task is refused, as that role (not the job workflow's, which may not invoke it either)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    execution = sfn.list_executions(stateMachineArn=files.resolver.refs["ParallelDataStateMachine"])["executions"][0]
    assert execution["status"] == "FAILED"
    cause = sfn.describe_execution(executionArn=execution["executionArn"])["cause"]
    assert f"assumed-role/{role}/" in cause and "lambda:InvokeFunction" in cause


def test_a_file_larger_than_the_stack_imports_ends_failed_saying_so(files):
    configure(files, MAX_PARALLEL_DATA_BYTES=str(len(TSV) - 1))
    create(files)
    properties = settled(files, "support")["ParallelDataProperties"]
    assert properties["Status"] == "FAILED"
    size = len(TSV.encode())
    uri = "s3://examples/tm/support.tsv"
    assert properties["Message"] == f"The parallel data file {uri} is {size} bytes; it may be at most {size - 1}."


def test_an_executions_threads_carry_its_role_and_nothing_else_of_their_starter(stack):
    # moto's interpreter starts threads (an execution, its program, Map iterations): each carries the execution's role,
    # and not the starter's other context (an invoking function's fault plan or credentials would leak into the
    # interpreter's own calls: a fault injected there failed a chaos job once).
    import contextvars

    from moto.stepfunctions.parser.asl.component.program import program

    from local_stack.iam import credentials

    marker: contextvars.ContextVar[str | None] = contextvars.ContextVar("marker", default=None)
    seen: dict[str, Any] = {}

    def start_a_thread() -> None:
        marker.set("the starter's")
        credentials._execution_role.set("arn:aws:iam::123456789012:role/machine")
        thread = program.threading.Thread(target=lambda: seen.update(role=credentials._execution_role.get(), marker=marker.get()))
        thread.start()
        thread.join()

    contextvars.copy_context().run(start_a_thread)
    assert seen == {"role": "arn:aws:iam::123456789012:role/machine", "marker": None}
