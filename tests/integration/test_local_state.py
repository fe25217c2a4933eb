"""`make run`'s state across restarts (local_stack.persistence), with `make run` in this process.

A crash is the state folder as it is at one moment of a running stack (a copy: what a ``kill -9``
leaves on disk, since every answered change is written before its answer), then a new stack started on
it. The real ``kill -9`` of a real `make run` is tests/e2e/test_kill_and_restart.py's.
"""

import pickle
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from local_stack.persistence import LocalState, StateError
from tests.support.stack import REGION, running_local_stack
from translate_jobs_local.__main__ import what_to_do

ONE_TRY = Config(retries={"total_max_attempts": 1})


def clients(endpoint: str | None) -> Any:
    """The clients a user's CLI has (over HTTP, ``endpoint``), or those the functions have (in-process: None)."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)

    class Clients:
        s3 = session.client("s3", endpoint_url=endpoint)
        sqs = session.client("sqs", endpoint_url=endpoint)
        iam = session.client("iam", endpoint_url=endpoint)
        dynamodb = session.client("dynamodb", endpoint_url=endpoint)
        secrets = session.client("secretsmanager", endpoint_url=endpoint)

    return Clients


def as_a_crash_leaves_it(folder: Path, into: Path) -> Path:
    """The state folder as it is now, while the stack runs: what a kill -9 at this moment leaves."""
    shutil.copytree(folder, into, ignore=shutil.ignore_patterns("lock"))
    return into


@pytest.mark.long  # slow (whole jobs or two stacks): make test-long, which CI runs
def test_a_crash_loses_no_answered_change_and_every_identifier_comes_back(tmp_path):
    # Given a running stack that saved a snapshot, then changes of every kept service, over HTTP and in-process
    with running_local_stack(LocalState.open(tmp_path / "state")) as local:
        cli, inside = clients(local.emulator_url), clients(None)
        cli.s3.create_bucket(Bucket="mine")
        cli.s3.put_object(Bucket="mine", Key="before-snapshot.txt", Body=b"kept by the snapshot")
        local.state.snapshot()
        cli.s3.put_object(Bucket="mine", Key="docs/a b+c.txt", Body=b"kept by the journal")
        inside.s3.put_object(Bucket="mine", Key="written-by-a-function.txt", Body=b"in-process")
        upload = cli.s3.create_multipart_upload(Bucket="mine", Key="big.bin")["UploadId"]
        part = cli.s3.upload_part(Bucket="mine", Key="big.bin", UploadId=upload, PartNumber=1, Body=b"x" * 1024)["ETag"]
        url = cli.sqs.create_queue(QueueName="mine")["QueueUrl"]
        for n in range(3):
            cli.sqs.send_message(QueueUrl=url, MessageBody=f"message {n}")
        [in_flight] = cli.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=600)["Messages"]
        cli.iam.create_user(UserName="alice")
        key = cli.iam.create_access_key(UserName="alice")["AccessKey"]
        cli.dynamodb.create_table(TableName="mine", BillingMode="PAY_PER_REQUEST",
                                  KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
                                  AttributeDefinitions=[{"AttributeName": "Id", "AttributeType": "S"}])
        inside.dynamodb.put_item(TableName="mine", Item={"Id": {"S": "a"}, "Count": {"N": "1"}})
        inside.dynamodb.update_item(TableName="mine", Key={"Id": {"S": "a"}}, UpdateExpression="ADD #c :one",
                                    ExpressionAttributeNames={"#c": "Count"}, ExpressionAttributeValues={":one": {"N": "1"}})
        inside.dynamodb.transact_write_items(TransactItems=[{"Put": {"TableName": "mine", "Item": {"Id": {"S": "b"}}}}])
        secret = local.stack.resolver.ref("PaginationTokenSecret").rsplit(":", 1)[1]
        token_key = cli.secrets.get_secret_value(SecretId=secret)["SecretString"]
        crashed = as_a_crash_leaves_it(local.state.folder, tmp_path / "crashed")

    # When a new stack starts on the folder as the crash left it
    with running_local_stack(LocalState.open(crashed)) as local:
        cli = clients(local.emulator_url)

        # Then every change answered is there, with the identifiers the clients were given
        assert local.state.restored.replayed > 0 and local.state.restored.refused == 0
        bodies = {key: cli.s3.get_object(Bucket="mine", Key=key)["Body"].read()
                  for key in ("before-snapshot.txt", "docs/a b+c.txt", "written-by-a-function.txt")}
        assert bodies == {"before-snapshot.txt": b"kept by the snapshot", "docs/a b+c.txt": b"kept by the journal",
                          "written-by-a-function.txt": b"in-process"}
        cli.s3.complete_multipart_upload(Bucket="mine", Key="big.bin", UploadId=upload,
                                         MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part}]})
        assert cli.s3.get_object(Bucket="mine", Key="big.bin")["Body"].read() == b"x" * 1024
        visible = cli.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert sorted(m["Body"] for m in visible) == sorted({"message 0", "message 1", "message 2"} - {in_flight["Body"]})
        cli.sqs.delete_message(QueueUrl=url, ReceiptHandle=in_flight["ReceiptHandle"])  # the handle the consumer holds
        assert [k["AccessKeyId"] for k in cli.iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]] == [key["AccessKeyId"]]
        items = {item["Id"]["S"]: item for item in cli.dynamodb.scan(TableName="mine")["Items"]}
        assert items["a"]["Count"] == {"N": "2"} and set(items) == {"a", "b"}
        assert cli.secrets.get_secret_value(SecretId=secret)["SecretString"] == token_key  # List's NextTokens still open


@pytest.mark.long  # slow (whole jobs or two stacks): make test-long, which CI runs
def test_a_clean_stop_saves_a_snapshot_and_jobs_and_list_tokens_survive_it(tmp_path):
    # Given a stopped stack that ran two jobs, and a List NextToken handed out before the stop
    folder = tmp_path / "state"
    with running_local_stack(LocalState.open(folder)) as local:
        translate = boto3.client("translate", endpoint_url=local.api_url, region_name=REGION,
                                 aws_access_key_id="testing", aws_secret_access_key="testing")
        cli = clients(local.emulator_url)
        cli.s3.put_object(Bucket="translate-jobs-demo-input", Key="docs/a.txt", Body=b"Hello\n")
        jobs = [translate.start_text_translation_job(
            JobName=f"job-{n}", ClientToken=f"token-{n}", SourceLanguageCode="en", TargetLanguageCodes=["fr"],
            InputDataConfig={"S3Uri": "s3://translate-jobs-demo-input/docs/", "ContentType": "text/plain"},
            OutputDataConfig={"S3Uri": "s3://translate-jobs-demo-output/out/"},
            DataAccessRoleArn="arn:aws:iam::123456789012:role/TranslateDemoDataAccess")["JobId"] for n in range(2)]
        first = translate.list_text_translation_jobs(MaxResults=1)
        # and the user deleted one of the template's queues
        queue = local.stack.resolver.attributes["CompletedJobsExampleQueue"]["QueueName"]
        cli.sqs.delete_queue(QueueUrl=cli.sqs.get_queue_url(QueueName=queue)["QueueUrl"])
    assert (folder / "snapshot.pickle").exists()

    # When it starts again
    with running_local_stack(LocalState.open(folder)) as local:
        translate = boto3.client("translate", endpoint_url=local.api_url, region_name=REGION,
                                 aws_access_key_id="testing", aws_secret_access_key="testing")

        # Then it restored the snapshot alone, and the jobs and the token are there
        assert local.state.restored.snapshot_time is not None and local.state.restored.replayed == 0
        rest = translate.list_text_translation_jobs(MaxResults=1, NextToken=first["NextToken"])
        listed = first["TextTranslationJobPropertiesList"] + rest["TextTranslationJobPropertiesList"]
        assert sorted(job["JobId"] for job in listed) == sorted(jobs)
        # Start again with a token used before the stop: the same job, not a second one
        again = translate.start_text_translation_job(
            JobName="job-0", ClientToken="token-0", SourceLanguageCode="en", TargetLanguageCodes=["fr"],
            InputDataConfig={"S3Uri": "s3://translate-jobs-demo-input/docs/", "ContentType": "text/plain"},
            OutputDataConfig={"S3Uri": "s3://translate-jobs-demo-output/out/"},
            DataAccessRoleArn="arn:aws:iam::123456789012:role/TranslateDemoDataAccess")
        assert again["JobId"] == jobs[0]
        # The documents too, in a bucket the stack creates at each start (CreateBucket of a restored bucket is a no-op)
        cli = clients(local.emulator_url)
        assert cli.s3.get_object(Bucket="translate-jobs-demo-input", Key="docs/a.txt")["Body"].read() == b"Hello\n"
        # The same template.yaml: what the user deleted stays deleted
        assert not local.state.restored.template_changed
        with pytest.raises(ClientError, match="NonExistentQueue"):
            clients(local.emulator_url).sqs.get_queue_url(QueueName=queue)


@pytest.mark.long
def test_resources_a_changed_template_adds_are_created(tmp_path, monkeypatch):
    # Given a saved state that lacks one of the template's queues (as one saved before the template added it)
    folder = tmp_path / "state"
    with running_local_stack(LocalState.open(folder)) as local:
        queue = local.stack.resolver.attributes["CompletedJobsExampleQueue"]["QueueName"]
        sqs = clients(local.emulator_url).sqs
        sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=queue)["QueueUrl"])

    # When another template.yaml starts on it
    monkeypatch.setattr("local_stack.stack.template_id", lambda app: "another template.yaml")
    with running_local_stack(LocalState.open(folder)) as local:
        # Then the queue is created (the same template keeps the deletion: the test above)
        assert local.state.restored.template_changed and f"sqs:{queue}" in local.state.restored.added
        assert clients(local.emulator_url).sqs.get_queue_url(QueueName=queue)["QueueUrl"]


@pytest.mark.long
def test_a_stopped_stack_refuses_changes_rather_than_lose_them(tmp_path):
    state = LocalState.open(tmp_path / "state")
    with running_local_stack(state) as local:
        s3 = clients(None).s3
        s3.put_object(Bucket="translate-jobs-demo-input", Key="kept.txt", Body=b"1")
        # When the state was saved for the last time (the stop's snapshot), a change arrives
        local.state.close()
        with pytest.raises(ClientError, match="ServiceUnavailable"):
            boto3.client("s3", region_name=REGION, config=ONE_TRY).put_object(Bucket="translate-jobs-demo-input",
                                                                             Key="lost.txt", Body=b"2")
        # (over HTTP too, from another process, in S3's own error shape)
        request = urllib.request.Request(f"{local.emulator_url}/translate-jobs-demo-input/lost.txt", b"2", method="PUT")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 503
        assert "<Error><Code>ServiceUnavailable</Code>" in refused.value.read().decode()
        # Then it was not applied: what a client was told failed is not there after a restart either
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="translate-jobs-demo-input")["Contents"]] == ["kept.txt"]



@pytest.mark.long
def test_a_long_poll_does_not_hold_the_changes_it_waits_for(tmp_path, monkeypatch):
    from moto.sqs.models import Queue

    with running_local_stack(LocalState.open(tmp_path / "state")) as local:
        sqs = clients(local.emulator_url).sqs
        url = sqs.create_queue(QueueName="polled")["QueueUrl"]
        waiting, received = threading.Event(), []
        wait_for_messages = Queue.wait_for_messages

        def entered(queue: Any, timeout: int) -> None:
            waiting.set()
            wait_for_messages(queue, timeout)

        monkeypatch.setattr(Queue, "wait_for_messages", entered)
        # Given a consumer long-polling an empty queue (its ReceiveMessage, a recorded change, waits inside moto)
        poller = threading.Thread(target=lambda: received.extend(
            clients(local.emulator_url).sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])))
        poller.start()
        assert waiting.wait(timeout=60)
        # When a producer sends while it waits
        sqs.send_message(QueueUrl=url, MessageBody="hello")
        poller.join()
        # Then the send was not held until the poll ended: the poll received it
        assert [message["Body"] for message in received] == ["hello"]


@pytest.mark.parametrize(("saved", "says"), [(pickle.dumps({"format": 1, "moto": "0.0.1"}), "saved by another version"),
                                             (b"not a snapshot", "cannot read")])
def test_a_state_this_checkout_cannot_use_is_refused_with_what_to_do(tmp_path, saved, says):
    state = LocalState.open(tmp_path / "state")
    (tmp_path / "state" / "snapshot.pickle").write_bytes(saved)
    with pytest.raises(StateError, match=says) as refused:
        state.restore("template")
    assert what_to_do(refused.value).endswith("`make run FRESH=1` (or `make reset`) starts empty")
    state.close()
