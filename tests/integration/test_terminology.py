"""Custom terminologies and tags through the API function (ImportTerminology, GetTerminology, ListTerminologies,
DeleteTerminology, TagResource, UntagResource, ListTagsForResource), over moto with template.yaml provisioned:
the table and the bucket the template declares, the function's own IAM policy enforced."""

import base64
import json
from typing import Any

import boto3
import pytest
import requests

from tests.support.stack import ACCOUNT, OTHER_ACCOUNT, REGION, configure, http_event, start_request

CSV = b"en,fr,de\nAmazon Photos,Amazon Photos,Amazon Fotos\ncloud,nuage,Wolke\n"
TMX = (b'<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header srclang="en" datatype="plaintext"/><body>'
       b'<tu><tuv xml:lang="en"><seg>Amazon</seg></tuv><tuv xml:lang="es"><seg>Amazon</seg></tuv></tu>'
       b'<tu><tuv xml:lang="en"><seg>bucket</seg></tuv><tuv xml:lang="es"><seg>cubo</seg></tuv></tu></body></tmx>')


def call(stack: Any, operation: str, body: dict[str, Any], account: str = ACCOUNT) -> tuple[int, dict[str, Any]]:
    response = stack.runtime.invoke("ApiFunction", http_event("POST", "/", body, target=operation, account=account))
    return response["statusCode"], json.loads(response["body"] or "{}")


def ok(stack: Any, operation: str, body: dict[str, Any], account: str = ACCOUNT) -> dict[str, Any]:
    status, answer = call(stack, operation, body, account)
    assert status == 200, answer
    return answer


def import_request(name: str = "brand", data: bytes = CSV, form: str = "CSV", **members: Any) -> dict[str, Any]:
    return {"Name": name, "MergeStrategy": "OVERWRITE",
            "TerminologyData": {"File": base64.b64encode(data).decode(), "Format": form}, **members}


def bucket_keys(stack: Any) -> list[str]:
    s3 = boto3.client("s3", region_name=REGION)
    return [obj["Key"] for obj in s3.list_objects_v2(Bucket=stack.resolver.refs["CustomizationsBucket"]).get("Contents", [])]


def download(location: dict[str, str]) -> bytes:
    assert location["RepositoryType"] == "S3"
    response = requests.get(location["Location"], timeout=10)  # moto (in-process) answers the presigned URL
    assert response.status_code == 200, response.text
    return response.content


def test_a_csv_terminology_is_imported_listed_got_and_downloaded_as_imported_and_as_tmx(stack):
    answer = ok(stack, "ImportTerminology", import_request(Description="brand names"))
    properties = answer["TerminologyProperties"]
    assert properties["Name"] == "brand" and properties["Description"] == "brand names"
    assert properties["Arn"] == f"arn:aws:translate:{REGION}:{ACCOUNT}:terminology/brand"
    assert (properties["SourceLanguageCode"], properties["TargetLanguageCodes"]) == ("en", ["fr", "de"])
    assert (properties["TermCount"], properties["SkippedTermCount"], properties["SizeBytes"]) == (2, 0, len(CSV))
    assert (properties["Format"], properties["Directionality"]) == ("CSV", "UNI")
    assert properties["CreatedAt"] == properties["LastUpdatedAt"] and "AuxiliaryDataLocation" not in answer

    got = ok(stack, "GetTerminology", {"Name": "brand"})
    assert got["TerminologyProperties"] == properties
    assert download(got["TerminologyDataLocation"]) == CSV
    as_tmx = download(ok(stack, "GetTerminology", {"Name": "brand", "TerminologyDataFormat": "TMX"})["TerminologyDataLocation"])
    assert b'<header srclang="en"' in as_tmx and b'<tuv xml:lang="de"><seg>Wolke</seg></tuv>' in as_tmx

    listed = ok(stack, "ListTerminologies", {})
    assert listed == {"TerminologyPropertiesList": [properties]}


def test_a_tmx_terminology_is_imported_from_its_header_and_downloadable_as_csv(stack):
    properties = ok(stack, "ImportTerminology", import_request("products", TMX, "TMX"))["TerminologyProperties"]
    assert (properties["SourceLanguageCode"], properties["TargetLanguageCodes"], properties["TermCount"]) == ("en", ["es"], 2)
    got = ok(stack, "GetTerminology", {"Name": "products", "TerminologyDataFormat": "CSV"})
    assert download(got["TerminologyDataLocation"]) == b"en,es\nAmazon,Amazon\nbucket,cubo\n"


def test_a_reimport_overwrites_the_terms_keeps_created_at_and_tags_and_drops_the_old_files(stack):
    first = ok(stack, "ImportTerminology", import_request(Tags=[{"Key": "team", "Value": "docs"}]))["TerminologyProperties"]
    old_files = bucket_keys(stack)
    second = ok(stack, "ImportTerminology", import_request(data=b"en,fr\nbucket,seau\n", Tags=[{"Key": "cost", "Value": "1"}]))
    properties = second["TerminologyProperties"]
    assert (properties["TermCount"], properties["TargetLanguageCodes"]) == (1, ["fr"])
    assert properties["CreatedAt"] == first["CreatedAt"] and properties["LastUpdatedAt"] >= first["LastUpdatedAt"]
    tags = ok(stack, "ListTagsForResource", {"ResourceArn": first["Arn"]})["Tags"]
    assert tags == [{"Key": "team", "Value": "docs"}, {"Key": "cost", "Value": "1"}]
    assert set(old_files).isdisjoint(bucket_keys(stack)) and bucket_keys(stack)
    assert download(ok(stack, "GetTerminology", {"Name": "brand"})["TerminologyDataLocation"]) == b"en,fr\nbucket,seau\n"


@pytest.mark.parametrize(("data", "form", "why"), [
    (b"en,klingon\na,b\n", "CSV", "not a supported language code"),
    (b'<!DOCTYPE tmx [<!ENTITY x "y">]><tmx/>', "TMX", "without a DTD"),
    (b"\xff\xfe", "CSV", "not UTF-8"),
])
def test_a_file_that_cannot_be_read_is_refused_and_nothing_is_kept(stack, data, form, why):
    status, answer = call(stack, "ImportTerminology", import_request(data=data, form=form))
    assert status == 400 and answer["__type"] == "InvalidParameterValueException" and why in answer["message"]
    assert bucket_keys(stack) == []
    assert call(stack, "GetTerminology", {"Name": "brand"})[1]["__type"] == "ResourceNotFoundException"


def test_a_file_that_is_not_base64_or_too_large_is_refused_as_the_model_says(stack):
    request = import_request()
    request["TerminologyData"]["File"] = "not base64!"
    status, answer = call(stack, "ImportTerminology", request)
    assert (status, answer["__type"]) == (400, "ValidationException")
    assert "terminologyData.file" in answer["message"] and "base64" in answer["message"]


def test_skipped_terms_are_counted_and_explained_in_the_auxiliary_file(stack):
    answer = ok(stack, "ImportTerminology", import_request(data=b"en,fr\ncloud,nuage\n,orphelin\nCLOUD,autre\n"))
    properties = answer["TerminologyProperties"]
    assert (properties["TermCount"], properties["SkippedTermCount"]) == (1, 2)
    assert "2 terms were skipped" in properties["Message"]
    skipped = json.loads(download(answer["AuxiliaryDataLocation"]))["skippedTerms"]
    assert len(skipped) == 2 and "no source text" in skipped[0] and "already a term" in skipped[1]


def test_a_multi_directional_terminology_downloads_only_as_imported(stack):
    ok(stack, "ImportTerminology", import_request(TerminologyData={
        "File": base64.b64encode(b"en,es\ncloud,nube\n").decode(), "Format": "CSV", "Directionality": "MULTI"}))
    status, answer = call(stack, "GetTerminology", {"Name": "brand", "TerminologyDataFormat": "TMX"})
    assert (status, answer["__type"]) == (400, "InvalidParameterValueException")
    as_imported = ok(stack, "GetTerminology", {"Name": "brand", "TerminologyDataFormat": "CSV"})
    assert as_imported["TerminologyProperties"]["Directionality"] == "MULTI"


def test_terminologies_are_listed_in_name_order_a_page_at_a_time(stack):
    for name in ("e", "b", "d", "a", "c"):
        ok(stack, "ImportTerminology", import_request(name))
    names, token, pages = [], None, 0
    while True:
        page = ok(stack, "ListTerminologies", {"MaxResults": 2, **({"NextToken": token} if token else {})})
        names += [properties["Name"] for properties in page["TerminologyPropertiesList"]]
        pages += 1
        token = page.get("NextToken")
        if token is None:
            break
    assert (names, pages) == (["a", "b", "c", "d", "e"], 3)
    forged = call(stack, "ListTerminologies", {"NextToken": token or "x.y"})
    assert forged[1]["__type"] == "InvalidRequestException"


def test_deleting_a_terminology_deletes_its_files_and_gives_its_quota_place_back(stack):
    configure(stack, MAX_TERMINOLOGIES="2")
    ok(stack, "ImportTerminology", import_request("one"))
    ok(stack, "ImportTerminology", import_request("two"))
    status, answer = call(stack, "ImportTerminology", import_request("three"))
    assert (status, answer["__type"]) == (400, "LimitExceededException")
    assert ok(stack, "DeleteTerminology", {"Name": "one"}) == {}
    assert not [key for key in bucket_keys(stack) if "/one/" in key]
    assert call(stack, "GetTerminology", {"Name": "one"})[1]["__type"] == "ResourceNotFoundException"
    assert call(stack, "DeleteTerminology", {"Name": "one"})[1]["__type"] == "ResourceNotFoundException"
    ok(stack, "ImportTerminology", import_request("three"))


def test_another_accounts_terminology_is_not_found(stack):
    ok(stack, "ImportTerminology", import_request())
    assert call(stack, "GetTerminology", {"Name": "brand"}, account=OTHER_ACCOUNT)[1]["__type"] == "ResourceNotFoundException"
    assert ok(stack, "ListTerminologies", {}, account=OTHER_ACCOUNT) == {"TerminologyPropertiesList": []}


# ---------- tags ----------


def test_tags_round_trip_on_a_terminology(stack):
    arn = ok(stack, "ImportTerminology", import_request(Tags=[{"Key": "team", "Value": "docs"}]))["TerminologyProperties"]["Arn"]
    tags = [{"Key": "team", "Value": "web"}, {"Key": "env", "Value": ""}]
    assert ok(stack, "TagResource", {"ResourceArn": arn, "Tags": tags}) == {}
    assert ok(stack, "ListTagsForResource", {"ResourceArn": arn})["Tags"] == [
        {"Key": "team", "Value": "web"}, {"Key": "env", "Value": ""}]
    assert ok(stack, "UntagResource", {"ResourceArn": arn, "TagKeys": ["team", "absent"]}) == {}
    assert ok(stack, "ListTagsForResource", {"ResourceArn": arn})["Tags"] == [{"Key": "env", "Value": ""}]


@pytest.mark.parametrize(("arn", "tags", "error"), [
    (f"arn:aws:translate:{REGION}:{ACCOUNT}:terminology/brand", [{"Key": f"k{n}", "Value": "v"} for n in range(50)],
     "TooManyTagsException"),
    (f"arn:aws:translate:{REGION}:{ACCOUNT}:terminology/brand", [{"Key": "aws:owner", "Value": "me"}],
     "InvalidParameterValueException"),
    (f"arn:aws:translate:{REGION}:{ACCOUNT}:terminology/absent", [{"Key": "a", "Value": "b"}], "ResourceNotFoundException"),
    (f"arn:aws:translate:{REGION}:{OTHER_ACCOUNT}:terminology/brand", [{"Key": "a", "Value": "b"}], "ResourceNotFoundException"),
    (f"arn:aws:translate:{REGION}:{ACCOUNT}:text-translation-job/abc", [{"Key": "a", "Value": "b"}],
     "InvalidParameterValueException"),
])
def test_tagging_what_cannot_be_tagged_is_refused_and_changes_nothing(stack, arn, tags, error):
    ok(stack, "ImportTerminology", import_request(Tags=[{"Key": "team", "Value": "docs"}]))
    status, answer = call(stack, "TagResource", {"ResourceArn": arn, "Tags": tags})
    assert (status, answer["__type"]) == (400, error)
    own = f"arn:aws:translate:{REGION}:{ACCOUNT}:terminology/brand"
    assert ok(stack, "ListTagsForResource", {"ResourceArn": own})["Tags"] == [{"Key": "team", "Value": "docs"}]


# ---------- Start names them ----------


@pytest.mark.parametrize(("members", "error"), [
    ({"TerminologyNames": ["NoSuchTerminology"]}, "ResourceNotFoundException"),
    ({"ParallelDataNames": ["NoSuchParallelData"]}, "ResourceNotFoundException"),
    ({"TerminologyNames": ["brand", "brand"]}, "InvalidRequestException"),
])
def test_start_refuses_a_terminology_or_parallel_data_it_does_not_have_and_writes_no_job(stack, members, error):
    ok(stack, "ImportTerminology", import_request())
    status, answer = call(stack, "StartTextTranslationJob", start_request(**members))
    assert (status, answer["__type"]) == (400, error)
    assert ok(stack, "ListTextTranslationJobs", {}) == {"TextTranslationJobPropertiesList": []}


def test_start_takes_a_terminology_the_account_has(stack):
    ok(stack, "ImportTerminology", import_request())
    job_id = ok(stack, "StartTextTranslationJob", start_request(TerminologyNames=["brand"]))["JobId"]
    described = ok(stack, "DescribeTextTranslationJob", {"JobId": job_id})["TextTranslationJobProperties"]
    assert described["TerminologyNames"] == ["brand"]


def test_a_terminology_with_an_encryption_key_has_its_files_written_under_that_key(stack):
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key()["KeyMetadata"]["Arn"]
    answer = ok(stack, "ImportTerminology", import_request(EncryptionKey={"Type": "KMS", "Id": key}))
    assert answer["TerminologyProperties"]["EncryptionKey"] == {"Type": "KMS", "Id": key}
    s3 = boto3.client("s3", region_name=REGION)
    bucket = stack.resolver.refs["CustomizationsBucket"]
    for file_key in bucket_keys(stack):
        head = s3.head_object(Bucket=bucket, Key=file_key)
        assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key), file_key
