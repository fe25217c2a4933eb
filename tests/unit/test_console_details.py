"""translate_jobs_local.console.details: a details file read a page at a time, by byte ranges, whatever its size."""

import json
from typing import Any

import pytest

from translate_jobs_local.console import details
from translate_jobs_local.console.details import DetailsFileError, details_page

# Keys a user may give a document: quotes, brackets, the JSON array's own closing, markup, other scripts.
AWKWARD = ['<img src=x onerror=alert(1)>.txt', 'say "hi"], {x}.txt', "naïve café 東京.txt", "back\\slash\n.txt"]


def details_file(count: int, keys: list[str] | None = None) -> bytes:
    """A details file as the service writes it (json.dumps(body, indent=2), tests/integration/test_details_file.py)."""
    keys = keys or [f"doc-{n:05d}.txt" for n in range(count)]
    entries: list[dict[str, Any]] = []
    for n, key in enumerate(keys):
        entry: dict[str, Any] = {"sourceFile": key, "status": "SUCCEEDED" if n % 3 else "FAILED"}
        if n % 3:
            entry["targetFile"] = f"fr.{key}"
        else:
            entry["auxiliaryData"] = {"error": {"errorMessage": f"document {n} is not UTF-8 ✗"}}
        entries.append(entry)
    body = {"sourceLanguageCode": "en", "targetLanguageCode": "fr", "inputDataPrefix": "s3://in/docs/",
            "outputDataPrefix": "s3://out/job/", "documentCountWithCustomerError": 0, "documentCountWithServerError": 0,
            "details": entries}
    return json.dumps(body, indent=2).encode()


class Reads:
    """The file behind S3 range requests, counting the bytes read."""

    def __init__(self, data: bytes) -> None:
        self.data, self.bytes_read = data, 0

    def __call__(self, offset: int, length: int) -> bytes:
        chunk = self.data[offset: offset + length]
        self.bytes_read += len(chunk)
        return chunk


def every_page(reads: Reads, count: int) -> tuple[dict[str, Any] | None, list[list[dict[str, Any]]]]:
    page = details_page(reads, None, count)
    header, pages = page["header"], [page["documents"]]
    while page["next"] is not None:
        page = details_page(reads, page["next"], count)
        assert page["header"] is None
        pages.append(page["documents"])
    return header, pages


@pytest.mark.parametrize("read_bytes", [64 * 1024, 100, 7])  # down to a read that cuts every entry and character
def test_pages_follow_each_other_to_the_last_document_whatever_the_reads_cut(monkeypatch: pytest.MonkeyPatch,
                                                                             read_bytes: int) -> None:
    monkeypatch.setattr(details, "FIRST_READ_BYTES", read_bytes)
    data = details_file(0, keys=[*AWKWARD, *(f"doc-{n}.txt" for n in range(250))])
    header, pages = every_page(Reads(data), 100)
    assert header is not None and header["outputDataPrefix"] == "s3://out/job/" and header["details"] == []
    assert [len(page) for page in pages] == [100, 100, 54]
    assert [document for page in pages for document in page] == json.loads(data)["details"]


def test_a_page_costs_its_own_bytes_not_the_file_s() -> None:
    data = details_file(20_000)
    reads = Reads(data)
    first = details_page(reads, None, 100)
    near_the_end = data.rfind(b"{", 0, data.find(b'"doc-19900.txt"'))  # where a page would have ended
    far = details_page(reads, near_the_end, 100)
    assert first["documents"][0]["sourceFile"] == "doc-00000.txt"
    assert [document["sourceFile"] for document in far["documents"]] == [f"doc-{n}.txt" for n in range(19900, 20000)]
    assert far["next"] is None
    assert reads.bytes_read < 4 * (details.HEADER_BYTES + details.FIRST_READ_BYTES)  # not the file's 2 MB
    assert len(data) > 2_000_000


def test_a_file_with_no_documents_is_one_empty_page() -> None:
    assert details_page(Reads(details_file(0)), None, 100)["documents"] == []
    assert details_page(Reads(details_file(0)), None, 100)["next"] is None


def test_an_entry_longer_than_a_read_is_read_whole() -> None:
    long_key = "k" * 1024 + ".txt"
    page = details_page(Reads(details_file(1, keys=[long_key])), None, 10)
    assert page["documents"][0]["sourceFile"] == long_key and page["next"] is None


@pytest.mark.parametrize("data", [b"", b"<html>not json</html>", b'{"details": [{"sourceFile": "a"}, {"sourceFi'])
def test_what_is_not_a_whole_details_file_is_an_error_not_a_wrong_page(data: bytes) -> None:
    with pytest.raises(DetailsFileError):
        details_page(Reads(data), None, 100)


def test_an_offset_no_page_ended_at_is_an_error_not_a_wrong_page() -> None:
    data = details_file(10)
    inside_an_entry = data.find(b'"status"')
    with pytest.raises(DetailsFileError):
        details_page(Reads(data), inside_an_entry, 100)
