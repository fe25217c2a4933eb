"""The job's details files, details/<lang>.auxiliary-translation-details.json, one per target language,
as Amazon Translate writes them: ``json.dumps(body, indent=2)`` of

    {"sourceLanguageCode", "targetLanguageCode", "inputDataPrefix", "outputDataPrefix",
     "documentCountWithCustomerError", "documentCountWithServerError", "details": [entry, ...]}

written as a stream, byte for byte that text: each entry as it is read from the batches' result
fragments, the header (whose count is known only at the end) last, into the file's held first part
(s3_stream). Memory holds two parts per target language whatever the job's size.
"""

import json
from collections.abc import Iterable
from typing import Any

from translate_jobs.integrations.s3_stream import MIN_PART_BYTES, S3Writer

DETAILS_PART_BYTES = MIN_PART_BYTES


def details_key(out_prefix: str, target: str) -> str:
    return f"{out_prefix}details/{target}.auxiliary-translation-details.json"


def entry(document: dict[str, Any], target: str) -> dict[str, Any]:
    """One document's line in one target's details file (a batch fragment's document, as TranslateBatch wrote it)."""
    line: dict[str, Any] = {"sourceFile": document["SourceFile"], "status": document["Status"]}
    for produced in document.get("Targets", []):
        if produced["TargetLanguageCode"] == target:
            line["targetFile"] = produced["TargetFile"]
    if "Error" in document:
        line["auxiliaryData"] = {"error": {"errorMessage": document["Error"]}}
    return line


class DetailsFiles:
    """The details files of one job, fed document by document."""

    def __init__(self, writers: dict[str, S3Writer], header: dict[str, Any]) -> None:
        self.writers, self.header = writers, header
        self.documents = 0
        self.failed = 0
        self.first_failure: str | None = None

    def add(self, documents: Iterable[dict[str, Any]]) -> None:
        for document in documents:
            separator = ",\n" if self.documents else ""
            for target, writer in self.writers.items():
                writer.write(f"{separator}{_entry_text(entry(document, target))}".encode())
            self.documents += 1
            if document["Status"] == "FAILED":
                self.failed += 1
                if self.first_failure is None and "Error" in document:
                    self.first_failure = document["Error"]

    def close(self) -> None:
        """Write the files (nothing when there were no documents)."""
        if not self.documents:
            return
        for target, writer in self.writers.items():
            header = {**self.header, "targetLanguageCode": target, "documentCountWithCustomerError": self.failed}
            head = json.dumps({**_ordered(header), "details": []}, indent=2).removesuffix("[]\n}") + "[\n"
            writer.write(b"\n  ]\n}")
            writer.close(head.encode())

    def abort(self) -> None:
        for writer in self.writers.values():
            writer.abort()


def _entry_text(line: dict[str, Any]) -> str:
    """``line`` as ``json.dumps(body, indent=2)`` lays out an item of body["details"] (indent 4), without its
    pure-Python indenting encoder (json's C encoder serves only indent=None): the strings are encoded by
    json itself, the layout is fixed. tests/integration/test_details_file.py compares the two byte for byte."""
    text = ['    {\n      "sourceFile": ', json.dumps(line["sourceFile"]), ',\n      "status": ', json.dumps(line["status"])]
    if "targetFile" in line:
        text += [',\n      "targetFile": ', json.dumps(line["targetFile"])]
    if "auxiliaryData" in line:
        message = json.dumps(line["auxiliaryData"]["error"]["errorMessage"])
        text += [',\n      "auxiliaryData": {\n        "error": {\n          "errorMessage": ', message,
                 "\n        }\n      }"]
    text.append("\n    }")
    return "".join(text)


def _ordered(header: dict[str, Any]) -> dict[str, Any]:
    order = ("sourceLanguageCode", "targetLanguageCode", "inputDataPrefix", "outputDataPrefix",
             "documentCountWithCustomerError", "documentCountWithServerError")
    return {name: header[name] for name in order}
