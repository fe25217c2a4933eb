"""docx, pptx and xlsx jobs through the workflow (the package rewriting itself: tests/unit/test_office_documents.py)."""

import io

import docx as python_docx
import openpyxl
import pptx as python_pptx
import pytest

from tests.support.office import docx, pptx, replace_part, xlsx
from tests.support.stack import start_job
from tests.support.workflow import details, outputs, put_documents, run_to_end, s3
from translate_jobs.domain.content_types import DOCX, PPTX, XLSX


@pytest.mark.long
def test_office_jobs_through_the_workflow_and_a_hostile_docx_fails_alone(buckets):
    evil = replace_part(docx(), "../../escape.xml", "<x/>")  # path traversal in a part name
    put_documents({
        "docs/word/report.docx": docx(), "docs/word/evil.docx": evil,
        "docs/slides/deck.pptx": pptx(), "docs/sheets/book.xlsx": xlsx(),
    })
    jobs = {
        folder: start_job(buckets, InputDataConfig={"S3Uri": f"s3://input-docs/docs/{folder}/", "ContentType": content_type},
                          TargetLanguageCodes=["fr", "de"])
        for folder, content_type in (("word", DOCX), ("slides", PPTX), ("sheets", XLSX))
    }
    records = {folder: run_to_end(buckets, job_id) for folder, job_id in jobs.items()}

    assert records["word"].job_status == "COMPLETED_WITH_ERROR"
    assert (int(records["word"].translated_documents_count), int(records["word"].documents_with_errors_count)) == (1, 1)
    failed = [entry for entry in details(jobs["word"], "fr")["details"] if entry["status"] == "FAILED"]
    assert [entry["sourceFile"] for entry in failed] == ["evil.docx"]
    assert "unsafe part name" in failed[0]["auxiliaryData"]["error"]["errorMessage"]
    assert records["slides"].job_status == records["sheets"].job_status == "COMPLETED"

    def produced(folder: str, name: str) -> io.BytesIO:
        key = outputs(jobs[folder])[name]
        return io.BytesIO(s3().get_object(Bucket="output-docs", Key=key)["Body"].read())

    assert sorted(outputs(jobs["word"])) == ["de.report.docx", "fr.report.docx"]
    assert python_docx.Document(produced("word", "de.report.docx")).paragraphs[0].text == "[de] Hello brave new world"
    deck = python_pptx.Presentation(produced("slides", "fr.deck.pptx"))
    assert deck.slides[0].notes_slide.notes_text_frame.text == "[fr] Speak slowly here"
    book = openpyxl.load_workbook(produced("sheets", "fr.book.xlsx")).active
    assert (book["A1"].value, book["B2"].value) == ("[fr] Quarterly report", "=SUM(C1,1)")
