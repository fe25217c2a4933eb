"""Jobs with real engines through the project's workflow in moto: ctranslate2 on tiny Argos packages built in
code (every document format, a pivoted pair, a pair refused at Start, packages under an S3 prefix), and amazon
where TranslateText is missing (moto has none): the job fails naming TranslateText, not S3."""

import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import formats
from tests.support.argos import Direct, zip_package
from tests.support.office import docx
from tests.support.stack import configure, http_event, start_job, start_request
from tests.support.workflow import details, outputs, put_documents, read_output, run_to_end, s3
from translate_jobs.domain.content_types import DOCX
from translate_jobs.integrations import documents

FORMATS = formats.documents()


@pytest.fixture
def ctranslate2(buckets: Any, argos_models: Path) -> Any:
    """The stack with TranslationEngine=ctranslate2 and the tiny packages as TranslationModels (en->fr, de->en)."""
    configure(buckets, TRANSLATION_ENGINE="ctranslate2", TRANSLATION_MODELS=str(argos_models))
    return buckets


def expected(content_type: str, data: bytes, translate: Any, target: str) -> bytes:
    """The document as the documents module writes it when each of its segments is translated by ``translate``."""
    return documents.translate_document(content_type, data, translate, target)


@pytest.mark.long  # slow (whole jobs or two stacks): make test-long, which CI runs
def test_every_format_to_a_direct_pair_and_a_pivoted_one_is_the_models_own_output(ctranslate2, argos_models):
    # Given one document of each format in German, and a job to English (a package) and French (through English)
    to_english, to_french = Direct(argos_models / "translate-de_en"), Direct(argos_models / "translate-en_fr")
    jobs = {}
    for content_type, (name, data) in FORMATS.items():
        folder = name.rsplit(".", 1)[1]
        put_documents({f"docs/{folder}/{name}": data})
        jobs[content_type] = start_job(
            ctranslate2, SourceLanguageCode="de", TargetLanguageCodes=["en", "fr"],
            InputDataConfig={"S3Uri": f"s3://input-docs/docs/{folder}/", "ContentType": content_type},
        )
    # When the jobs run
    for content_type, job_id in jobs.items():
        record = run_to_end(ctranslate2, job_id)
        # Then each translation is CTranslate2's own, sentence by sentence, in the document's own structure
        assert record.job_status == "COMPLETED", (content_type, record.message)
        name, data = FORMATS[content_type]
        produced = outputs(job_id)
        assert sorted(produced) == sorted([f"en.{name}", f"fr.{name}"])
        for target, translate in (("en", to_english.lines), ("fr", lambda text: to_french.lines(to_english.lines(text)))):
            body = s3().get_object(Bucket="output-docs", Key=produced[f"{target}.{name}"])["Body"].read()
            wanted = expected(content_type, data, translate, target)
            assert formats.contents(body) == formats.contents(wanted), (content_type, target)
            assert body != data and b"[" + target.encode() + b"]" not in body
        entry = details(job_id, "fr")["details"][0]
        assert entry["status"] == "SUCCEEDED"


@pytest.mark.long
def test_office_documents_stay_valid_packages_with_translated_text(ctranslate2, argos_models):
    import docx as python_docx

    put_documents({"docs/word/report.docx": docx()})
    job_id = start_job(ctranslate2, InputDataConfig={"S3Uri": "s3://input-docs/docs/word/", "ContentType": DOCX})
    assert run_to_end(ctranslate2, job_id).job_status == "COMPLETED"
    body = s3().get_object(Bucket="output-docs", Key=outputs(job_id)["fr.report.docx"])["Body"].read()
    title = python_docx.Document(io.BytesIO(body)).paragraphs[0].text
    assert title == Direct(argos_models / "translate-en_fr")("Hello brave new world")


def test_start_refuses_a_pair_no_package_serves_and_changes_nothing(ctranslate2):
    def start(source: str, targets: list[str]) -> dict[str, Any]:
        request = start_request(SourceLanguageCode=source, TargetLanguageCodes=targets)
        return dict(ctranslate2.runtime.invoke("ApiFunction", http_event("POST", "/", request, target="StartTextTranslationJob")))

    for source, targets, named in (("en", ["fr", "de"], "en to de"), ("fr", ["en"], "fr to en"), ("auto", ["fr"], "auto to fr")):
        response = start(source, targets)
        assert response["statusCode"] == 400, response
        body = json.loads(response["body"])
        assert body["__type"] == "UnsupportedLanguagePairException"
        assert body["message"].startswith(f"Unsupported language pair: {named}. The ctranslate2 engine has models for: ")
        assert "de to en, en to fr" in body["message"]
    listed = ctranslate2.runtime.invoke("ApiFunction", http_event("POST", "/", {}, target="ListTextTranslationJobs"))
    assert json.loads(listed["body"])["TextTranslationJobPropertiesList"] == []  # nothing was created
    assert start("de", ["fr"])["statusCode"] == 200  # through English: served


def test_packages_under_an_s3_prefix_as_folders_and_archives(buckets, argos_models, tmp_path):
    # Given the packages in a bucket: one as a folder of objects, one as an .argosmodel archive
    from translate_jobs.core.config import EngineSettings
    from translate_jobs.integrations.engines import LanguagePair, TranslationOptions, build_engine

    client = s3()
    client.create_bucket(Bucket="models")
    for path in sorted((argos_models / "translate-en_fr").rglob("*")):
        if path.is_file():
            relative = path.relative_to(argos_models / "translate-en_fr")
            client.put_object(Bucket="models", Key=f"argos/en-fr/{relative}", Body=path.read_bytes())
    archive = zip_package(argos_models / "translate-de_en", tmp_path / "de_en.argosmodel")
    client.put_object(Bucket="models", Key="argos/translate-de_en-1_0.argosmodel", Body=archive.read_bytes())
    reads: list[str] = []
    client.meta.events.register("before-parameter-build.s3.GetObject", lambda params, **_: reads.append(params["Key"]))
    engine = build_engine(EngineSettings("ctranslate2", models="s3://models/argos/", model_cache_dir=str(tmp_path / "cache")),
                          lambda service, config=None: client)
    # When the engine lists them and translates through both
    assert engine.problem() is None
    assert engine.serves(LanguagePair("de", "fr"))
    sentence = "Guten Morgen, wie geht es dir?"
    [translated] = engine.translate_segments([sentence], LanguagePair("de", "fr"), TranslationOptions())
    # Then the translation is the models' own; each package was copied once, the archive's list read by range
    direct = Direct(argos_models / "translate-en_fr")(Direct(argos_models / "translate-de_en")(sentence))
    assert translated == direct
    assert len(list((tmp_path / "cache").iterdir())) == 2
    read_before = len(reads)
    engine.translate_segments([sentence], LanguagePair("de", "fr"), TranslationOptions())
    assert len(reads) == read_before  # loaded models and copies are reused: no S3 read


def test_an_amazon_job_without_translatetext_fails_naming_translatetext_not_s3(buckets):
    # moto has no Translate: TranslateText answers 404 "Not yet implemented", as the issue found it
    configure(buckets, TRANSLATION_ENGINE="amazon")
    put_documents({"docs/a.txt": "Hello\n", "docs/b.txt": "World\n"})
    job_id = start_job(buckets)
    record = run_to_end(buckets, job_id)
    refused = (
        "Amazon Translate's TranslateText refused the request (404: Not yet implemented). The amazon engine needs "
        "Amazon Translate: on AWS, with translate:TranslateText allowed to TranslateBatchFunction."
    )
    assert record.job_status == "FAILED"
    assert record.message == f"None of the 2 documents could be translated. The first reason: {refused} " + (
        "Every document's reason is in details/<language>.auxiliary-translation-details.json in the job's output location."
    )
    reasons = {entry["auxiliaryData"]["error"]["errorMessage"] for entry in details(job_id, "fr")["details"]}
    assert reasons == {refused}
    assert outputs(job_id) == {}


def test_a_round_of_several_documents_fails_only_the_one_the_engine_refuses(buckets, monkeypatch):
    # Given an engine that translates many documents at once and refuses one of them
    from tests.support.workflow import use_engine
    from translate_jobs.integrations.engines import DocumentError, PseudoEngine

    calls: list[int] = []

    class Batching(PseudoEngine):
        batch_characters = 10_000

        def translate_segments(self, segments: Any, pair: Any, options: Any) -> list[str]:
            calls.append(len(segments))
            if any("REFUSED" in segment for segment in segments):
                raise DocumentError("The engine refused this document (test).")
            return super().translate_segments(segments, pair, options)

    use_engine(monkeypatch, "batching", Batching, batch_size=4)
    put_documents({"docs/a.txt": "one\n", "docs/b.txt": "REFUSED\n", "docs/c.txt": "three\n", "docs/d.txt": "four\n"})
    job_id = start_job(buckets)
    record = run_to_end(buckets, job_id)
    # Then the round was one call, then one per document; only the refused one failed
    assert record.job_status == "COMPLETED_WITH_ERROR"
    assert calls == [4, 1, 1, 1, 1]
    assert sorted(outputs(job_id)) == ["fr.a.txt", "fr.c.txt", "fr.d.txt"]
    assert read_output(outputs(job_id)["fr.c.txt"]) == "[fr] three\n"
    assert [entry["sourceFile"] for entry in details(job_id, "fr")["details"]] == ["a.txt", "b.txt", "c.txt", "d.txt"]


# ---------- what `make run` checks at start-up (translate_jobs_local/app.py) ----------


@pytest.mark.parametrize(
    ("engine", "service", "variable"),
    [("amazon", "Amazon Translate's TranslateText", "AWS_ENDPOINT_URL_TRANSLATE"),
     ("bedrock", "Amazon Bedrock's Converse API", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME")],
)
def test_an_engine_that_needs_aws_is_refused_at_start_up_saying_so(stack, engine, service, variable):
    from translate_jobs_local.app import engine_problem

    configure(stack, TRANSLATION_ENGINE=engine)
    problem, note = engine_problem(stack, {"TranslationEngine": engine})
    assert note is None
    assert problem is not None and problem.startswith(
        f"TranslationEngine={engine} needs {service}, which the local emulator (moto) does not have, so every job would fail ("
    )
    assert f"point {variable} at a server that implements it" in problem


def test_ctranslate2_models_are_named_at_start_up_and_a_missing_folder_refused(stack, argos_models, tmp_path):
    from translate_jobs_local.app import engine_problem, with_absolute_models

    configure(stack, TRANSLATION_ENGINE="ctranslate2", TRANSLATION_MODELS=str(argos_models))
    problem, note = engine_problem(stack, {"TranslationEngine": "ctranslate2", "TranslationModels": str(argos_models)})
    assert problem is None and note is not None and "models for: de to en, en to fr" in note
    configure(stack, TRANSLATION_MODELS=str(tmp_path / "nowhere"))
    problem, _ = engine_problem(stack, {"TranslationEngine": "ctranslate2", "TranslationModels": str(tmp_path / "nowhere")})
    assert problem == f"TranslationModels names the folder {tmp_path / 'nowhere'}, which does not exist here."
    # An S3 location may still be empty when make run starts: a note, and Start finds the packages later.
    configure(stack, TRANSLATION_MODELS="s3://models/argos/")
    problem, note = engine_problem(stack, {"TranslationEngine": "ctranslate2", "TranslationModels": "s3://models/argos/"})
    assert problem is None and note is not None and note.startswith("engine ctranslate2: The packages in s3://models/argos/")
    assert with_absolute_models({"TranslationModels": "models"})["TranslationModels"] == str(Path("models").resolve())
    assert with_absolute_models({"TranslationModels": "s3://b/p/"}) == {"TranslationModels": "s3://b/p/"}


@pytest.mark.long  # slow (whole jobs or two stacks): make test-long, which CI runs
def test_a_document_longer_than_the_engine_translates_in_one_invocation_fails_alone(ctranslate2, monkeypatch):
    from translate_jobs.integrations.engines.ctranslate2_engine import CTranslate2Engine

    monkeypatch.setattr(CTranslate2Engine, "max_document_characters", 40)
    put_documents({"docs/short.txt": "Hello, world!\n", "docs/long.txt": "The cat sat on the mat. " * 3})
    job_id = start_job(ctranslate2)
    record = run_to_end(ctranslate2, job_id)
    assert record.job_status == "COMPLETED_WITH_ERROR"
    [failed] = [entry for entry in details(job_id, "fr")["details"] if entry["status"] == "FAILED"]
    assert failed["sourceFile"] == "long.txt"
    assert failed["auxiliaryData"]["error"]["errorMessage"] == (
        "The document has 72 characters of text; the translation engine translates at most 40 of one document in one "
        "invocation of TranslateBatchFunction. Split it into smaller documents."
    )
    assert sorted(outputs(job_id)) == ["fr.short.txt"]
