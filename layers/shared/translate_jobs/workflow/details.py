"""The job's details files, details/<lang>.auxiliary-translation-details.json, one per target language, in
the shape Amazon Translate's developer guide documents ("Getting batch translation results"): its counts
are strings, as AWS writes them, and ``json.dumps(body, indent=2)`` lays the file out::

    {"sourceLanguageCode", "targetLanguageCode", "charactersTranslated", "documentCountWithCustomerError",
     "documentCountWithServerError", "inputDataPrefix", "outputDataPrefix",
     "details": [{"sourceFile", "targetFile", "status", "auxiliaryData": {"appliedTerminologies": [...]}}, ...]}

A document that failed has ``"auxiliaryData": {"error": {"errorMessage": ...}}`` instead of a targetFile
(``status`` is this service's addition, SUCCEEDED or FAILED). A job with parallel data adds, beyond AWS, each
document's ``"auxiliaryData": {"parallelData": {"name", "segments"}}`` (its segments the translation memory
gave) and the header's ``segmentCountFromParallelData``. A job that was stopped, or that failed, before
every document was translated adds what it left, so it can be resumed over exactly that::

    "documentCountNotTranslated": "2", ... "details": [...],
    "documentsNotTranslated": [{"sourceFile": "b.txt", "reason": "The job was stopped before ..."}, ...]

(after "details", so code written for AWS's file reads "details" as it always does). Everything is written
as a stream, byte for byte that text: each entry as it is read from the batches' result fragments, the header
(whose counts are known only at the end) last, into the file's held first part (s3_stream). Memory holds two
parts per target language whatever the job's size; what was left is found by reading the batch manifest
alongside the fragments (``Untranslated``), only for a job that did not finish every document.
"""

import json
from collections.abc import Iterable, Iterator
from typing import Any

from translate_jobs.integrations.s3_stream import MIN_PART_BYTES, S3Writer

DETAILS_PART_BYTES = MIN_PART_BYTES
_HEADER = ("sourceLanguageCode", "targetLanguageCode", "charactersTranslated", "documentCountWithCustomerError",
           "documentCountWithServerError", "inputDataPrefix", "outputDataPrefix")
STOPPED_REASON = "The job was stopped before this document was translated."
ENDED_REASON = "The job ended before this document was translated (see the job's Message)."


def details_key(out_prefix: str, target: str) -> str:
    return f"{out_prefix}details/{target}.auxiliary-translation-details.json"


def entry(document: dict[str, Any], target: str) -> dict[str, Any]:
    """One document's entry in one target's details file (a batch fragment's document, as TranslateBatch wrote it)."""
    line: dict[str, Any] = {"sourceFile": document["SourceFile"]}
    produced = next((t for t in document.get("Targets", []) if t["TargetLanguageCode"] == target), None)
    if produced is not None:
        line["targetFile"] = produced["TargetFile"]
    line["status"] = document["Status"]
    if "Error" in document:
        line["auxiliaryData"] = {"error": {"errorMessage": document["Error"]}}
    elif produced is not None:
        auxiliary = {"appliedTerminologies": produced.get("AppliedTerminologies"), "parallelData": produced.get("ParallelData")}
        if any(auxiliary.values()):
            line["auxiliaryData"] = {name: value for name, value in auxiliary.items() if value}
    return line


def characters(document: dict[str, Any], target: str) -> int:
    return sum(int(t.get("Characters", 0)) for t in document.get("Targets", []) if t["TargetLanguageCode"] == target)


def remembered(document: dict[str, Any], target: str) -> int:
    """The document's segments the job's parallel data translated, for ``target``."""
    return sum(int((t.get("ParallelData") or {}).get("segments", 0))
               for t in document.get("Targets", []) if t["TargetLanguageCode"] == target)


class DetailsFiles:
    """The details files of one job, fed document by document, then (``leave``) what the job left."""

    def __init__(self, writers: dict[str, S3Writer], header: dict[str, Any]) -> None:
        self.writers, self.header = writers, header
        self.documents = 0
        self.failed = 0
        self.left = 0
        self.characters = dict.fromkeys(writers, 0)
        self.remembered = dict.fromkeys(writers, 0)
        self.first_failure: str | None = None

    def add(self, documents: Iterable[dict[str, Any]]) -> None:
        for document in documents:
            separator = ",\n" if self.documents else ""
            for target, writer in self.writers.items():
                writer.write(f"{separator}    {_layout(entry(document, target), 2)}".encode())
                self.characters[target] += characters(document, target)
                self.remembered[target] += remembered(document, target)
            self.documents += 1
            if document["Status"] == "FAILED":
                self.failed += 1
                if self.first_failure is None and "Error" in document:
                    self.first_failure = document["Error"]

    def leave(self, left: Iterable[tuple[str, str]]) -> None:
        """The documents the job did not translate, (source file, reason) in the manifest's order: after
        every ``add``."""
        for source_file, reason in left:
            separator = ",\n" if self.left else '\n  ],\n  "documentsNotTranslated": [\n'
            text = separator + "    " + _layout({"sourceFile": source_file, "reason": reason}, 2)
            for writer in self.writers.values():
                writer.write(text.encode())
            self.left += 1

    def close(self) -> None:
        """Write the files (nothing when there were no documents)."""
        if not self.documents:
            return
        for target, writer in self.writers.items():
            counts = {
                "targetLanguageCode": target,
                "charactersTranslated": str(self.characters[target]),
                "documentCountWithCustomerError": str(self.failed),
            }
            header = {name: {**self.header, **counts}[name] for name in _HEADER}
            if self.remembered[target]:
                header["segmentCountFromParallelData"] = str(self.remembered[target])
            if self.left:
                header["documentCountNotTranslated"] = str(self.left)
            head = json.dumps({**header, "details": []}, indent=2).removesuffix("[]\n}") + "[\n"
            writer.write(b"\n  ]\n}")
            writer.close(head.encode())

    def abort(self) -> None:
        for writer in self.writers.values():
            writer.abort()


class Untranslated:
    """Which documents of the batch manifest a job did not translate, without holding the manifest: the
    batches that wrote results are marked in a bitmap (a bit each: 125 KB for a million batches), and only a
    batch that stopped part way (at most one per Map lane running at the stop) keeps the names it left."""

    def __init__(self, manifest: Iterator[dict[str, Any]], relative: Any) -> None:
        self._manifest, self._relative = manifest, relative
        self._written = bytearray()
        self._partial: dict[int, list[str]] = {}
        self._line: dict[str, Any] | None = None

    def note(self, batch: int, documents: list[dict[str, Any]]) -> None:
        """A batch's result fragment (fragments come in batch order)."""
        if batch // 8 >= len(self._written):
            self._written.extend(bytes(batch // 8 + 1 - len(self._written)))
        self._written[batch // 8] |= 1 << (batch % 8)
        keys = self._keys_of(batch)
        if len(documents) < len(keys):
            done = {document["SourceFile"] for document in documents}
            self._partial[batch] = [name for name in map(self._relative, keys) if name not in done]

    def left(self, manifest: Iterator[dict[str, Any]]) -> Iterator[str]:
        """The documents not translated, in the manifest's order (a second read of it)."""
        for line in manifest:
            batch = int(line["Batch"])
            if batch in self._partial:
                yield from self._partial[batch]
            elif not (batch // 8 < len(self._written) and self._written[batch // 8] >> (batch % 8) & 1):
                yield from map(self._relative, line["Keys"])

    def _keys_of(self, batch: int) -> list[str]:
        while self._line is None or int(self._line["Batch"]) < batch:
            self._line = next(self._manifest, None)
            if self._line is None:
                raise ValueError(f"Batch {batch} has results but is not in the job's batch manifest.")
        return list(self._line["Keys"]) if int(self._line["Batch"]) == batch else []


def _layout(value: Any, level: int) -> str:
    """``value`` as ``json.dumps(body, indent=2)`` lays it out at ``level``, without json's pure-Python indenting
    encoder (its C encoder serves only indent=None, here for each scalar): tests/integration/test_details_file.py
    compares the two byte for byte."""
    if isinstance(value, dict) and value:
        pad = "  " * (level + 1)
        items = ",\n".join(f"{pad}{json.dumps(key)}: {_layout(item, level + 1)}" for key, item in value.items())
        return "{\n" + items + "\n" + "  " * level + "}"
    if isinstance(value, list) and value:
        pad = "  " * (level + 1)
        return "[\n" + ",\n".join(pad + _layout(item, level + 1) for item in value) + "\n" + "  " * level + "]"
    return json.dumps(value)
