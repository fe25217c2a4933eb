"""What a stopped job left, found without holding its manifest (workflow/details.py ``Untranslated``): in
memory that does not grow with the job, whichever batches wrote results."""

import tracemalloc
from collections.abc import Iterator
from typing import Any

from translate_jobs.workflow.details import Untranslated

BATCHES, PER_BATCH = 5_000, 10  # 50,000 documents


def manifest() -> Iterator[dict[str, Any]]:
    """The batch manifest, one line at a time, as the job's S3 body is read."""
    for batch in range(BATCHES):
        yield {"Batch": batch, "Keys": [f"docs/folder-{batch:06d}/document-{n}.txt" for n in range(PER_BATCH)]}


def results(batch: int, done: int) -> list[dict[str, Any]]:
    return [{"SourceFile": f"folder-{batch:06d}/document-{n}.txt", "Status": "SUCCEEDED"} for n in range(done)]


def test_every_document_left_is_named_once_in_the_manifests_order():
    left = Untranslated(iter([{"Batch": 0, "Keys": ["docs/a", "docs/b"]}, {"Batch": 1, "Keys": ["docs/c"]},
                              {"Batch": 2, "Keys": ["docs/d", "docs/e"]}]), lambda key: key.removeprefix("docs/"))
    left.note(0, [{"SourceFile": "a"}])  # batch 0 stopped after its first document; 1 never ran; 2 finished
    left.note(2, [{"SourceFile": "d"}, {"SourceFile": "e"}])
    assert list(left.left(iter([{"Batch": 0, "Keys": ["docs/a", "docs/b"]}, {"Batch": 1, "Keys": ["docs/c"]},
                                {"Batch": 2, "Keys": ["docs/d", "docs/e"]}]))) == ["b", "c"]


def test_memory_does_not_grow_with_the_documents_left():
    # Given a job of 50,000 documents stopped with a tenth of its batches written, one of them part way
    tracemalloc.start()
    try:
        left = Untranslated(manifest(), lambda key: key.removeprefix("docs/"))
        for batch in range(0, BATCHES, 10):
            left.note(batch, results(batch, PER_BATCH if batch != 500 else 3))
        # When every document left is named
        count = sum(1 for _ in left.left(manifest()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Then all 45,007 are, and memory held a bitmap, a line of the manifest and one batch's names, never the
    # list (45,007 names of ~35 characters would be ~3 MB)
    assert count == BATCHES * PER_BATCH * 9 // 10 + (PER_BATCH - 3)
    assert peak < 512 * 1024, f"peak {peak} bytes"
