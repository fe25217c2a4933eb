"""The ctranslate2 engine with real models: tiny Argos packages built in code (tests/support/argos.py), loaded
and run by CTranslate2 as a downloaded package would be. A random model's output is nonsense, so every
expectation is CTranslate2 called directly, one sentence at a time, with the engine's options."""

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.support.argos import Direct, build_package, zip_package
from translate_jobs.core.config import EngineSettings
from translate_jobs.domain.errors import UnsupportedLanguagePairError
from translate_jobs.integrations.engines import EngineError, LanguagePair, TranslationOptions, build_engine, check_language_pairs
from translate_jobs.integrations.engines.argos import Catalogue, Package, PackageCopies
from translate_jobs.integrations.engines.ctranslate2_engine import (
    MAX_INPUT_TOKENS,
    CTranslate2Engine,
    LoadedModels,
    batches,
    cut,
)

EN_FR, DE_EN, DE_FR = LanguagePair("en", "fr"), LanguagePair("de", "en"), LanguagePair("de", "fr")
OPTIONS = TranslationOptions()
SENTENCES = ["Hello, world!", "How are you today?", "The cat sat on the mat.", "Please send the report before Friday."]


def engine_of(models: Path | str, tmp_path: Path, **settings: Any) -> CTranslate2Engine:
    built = build_engine(
        EngineSettings(name="ctranslate2", models=str(models), model_cache_dir=str(tmp_path / "cache"), **settings),
        lambda *_: pytest.fail("a folder of packages needs no AWS client"),
    )
    assert isinstance(built, CTranslate2Engine)
    return built


@pytest.fixture
def engine(argos_models: Path, tmp_path: Path) -> CTranslate2Engine:
    return engine_of(argos_models, tmp_path)


def test_each_sentence_is_what_ctranslate2_gives_directly_and_the_layout_is_kept(engine, argos_models):
    # Given segments of several lines and sentences, whitespace around them, and a repeated sentence
    a, b, c, d = SENTENCES
    segments = [f"  {a} {b}\n\n\t{c}  \n", d, f"{a}\n"]
    # When the engine translates them (all at once, in batches)
    translated = engine.translate_segments(segments, EN_FR, OPTIONS)
    # Then each sentence is exactly the model's own translation of it, in the segment's layout
    direct = Direct(argos_models / "translate-en_fr")
    assert translated == [f"  {direct(a)} {direct(b)}\n\n\t{direct(c)}  \n", direct(d), f"{direct(a)}\n"]
    assert engine.translate_segments(segments, EN_FR, OPTIONS) == translated  # deterministic
    assert all(text and text not in segments and "[fr]" not in text for text in translated)


def test_a_pair_without_a_package_goes_through_english(engine, argos_models):
    to_english, to_french = Direct(argos_models / "translate-de_en"), Direct(argos_models / "translate-en_fr")
    sentence = "Guten Morgen, wie geht es dir?"
    [translated] = engine.translate_segments([sentence], DE_FR, OPTIONS)
    assert translated == to_french(to_english(sentence))
    assert translated != to_french(sentence)


def test_the_engine_serves_the_packages_pairs_and_their_pivots_only(engine):
    assert engine.serves(EN_FR) and engine.serves(DE_EN) and engine.serves(DE_FR)
    assert not engine.serves(LanguagePair("fr", "de")) and not engine.serves(LanguagePair("en", "de"))
    assert not engine.serves(LanguagePair("auto", "fr"))  # it cannot detect a language
    assert engine.problem() is None
    with pytest.raises(UnsupportedLanguagePairError) as refused:
        check_language_pairs(engine, "en", ["fr", "ja"])
    assert str(refused.value) == (
        "Unsupported language pair: en to ja. The ctranslate2 engine has models for: de to en, en to fr (a pair without "
        "one of its own is translated through English when both halves are there; it does not detect a source language)."
    )
    with pytest.raises(EngineError, match="No model translates fr to de"):
        engine.translate_segments(["Bonjour"], LanguagePair("fr", "de"), OPTIONS)


def test_no_translation_decodes_beyond_its_bound(engine, argos_models):
    direct = Direct(argos_models / "translate-en_fr")
    for sentence in SENTENCES:
        tokens = direct.tokens(sentence)
        bounded = direct.translate_tokens(tokens)
        assert len(bounded) <= direct.bound(len(tokens))
        [translated] = engine.translate_segments([sentence], EN_FR, OPTIONS)
        assert translated == direct.tokenizer.decode(bounded)
    # A random model rarely ends a sentence: unbounded, it runs on to CTranslate2's own limit.
    tokens = direct.tokens(SENTENCES[0])
    assert len(direct.translate_tokens(tokens, max_decoding_length=256)) > direct.bound(len(tokens))


def test_a_sentence_longer_than_the_input_limit_is_translated_in_pieces_never_truncated(engine, argos_models):
    direct = Direct(argos_models / "translate-en_fr")
    sentence = " ".join(["the quick brown fox jumps over the lazy dog"] * 20)  # no full stop: one sentence
    tokens = direct.tokens(sentence)
    assert len(tokens) > MAX_INPUT_TOKENS
    pieces = cut(tokens, MAX_INPUT_TOKENS)
    assert len(pieces) == 2 and sum(pieces, []) == tokens and max(map(len, pieces)) <= MAX_INPUT_TOKENS
    [translated] = engine.translate_segments([sentence], EN_FR, OPTIONS)
    assert translated == " ".join(direct.tokenizer.decode(direct.translate_tokens(piece)) for piece in pieces)


def test_batches_hold_one_length_class_within_the_token_budget():
    pieces = [["t"] * length for length in (3, 9, 1, 8, 16, 17, 5, 40, 33)]
    assert batches(pieces, max_tokens=16) == [[2, 0, 6], [3], [1], [4], [5], [8], [7]]  # 1 3 5 | 8 | 9 | 16 | 17 | 33 | 40
    assert batches(pieces, max_tokens=200) == [[2, 0, 6, 3], [1, 4], [5], [8, 7]]  # classes 8, 16, 24, 48
    assert batches(pieces, max_tokens=1) == [[2], [0], [6], [3], [1], [4], [5], [8], [7]]  # never less than one each


def test_pieces_are_cut_before_a_word_near_the_limit():
    tokens = ["\u2581a", "b", "c", "\u2581d", "e", "\u2581f", "g", "h", "i", "j"]
    # A word starting in the last quarter before the limit: cut before it; none: cut at the limit.
    assert cut(tokens, 4) == [["\u2581a", "b", "c"], ["\u2581d", "e", "\u2581f", "g"], ["h", "i", "j"]]
    assert cut(["x"] * 5, 2) == [["x", "x"], ["x", "x"], ["x"]]  # no word start: cut at the limit
    assert cut([], 4) == []
    assert cut(["\u2581x"] * 3, 1) == [["\u2581x"]] * 3


def test_options_decide_the_decoding(argos_models, tmp_path):
    greedy = engine_of(argos_models, tmp_path, beam_size=1, length_ratio=1.0)
    direct = Direct(argos_models / "translate-en_fr", beam_size=1, length_ratio=1.0)
    assert greedy.translate_segments(SENTENCES, EN_FR, OPTIONS) == [direct(sentence) for sentence in SENTENCES]


def test_an_argosmodel_archive_translates_as_its_folder(argos_models, tmp_path):
    archives = tmp_path / "archives"
    archives.mkdir()
    zip_package(argos_models / "translate-en_fr", archives / "translate-en_fr-1_0.argosmodel")
    engine = engine_of(archives, tmp_path)
    assert [package.name for package in engine.catalogue().packages] == ["translate-en_fr-1_0.argosmodel"]
    direct = Direct(argos_models / "translate-en_fr")
    assert engine.translate_segments(SENTENCES, EN_FR, OPTIONS) == [direct(sentence) for sentence in SENTENCES]
    assert len(list((tmp_path / "cache").iterdir())) == 1  # unpacked once, in the model cache


def test_an_archive_naming_a_file_outside_its_folder_is_refused(argos_models, tmp_path):
    archives = tmp_path / "archives"
    archives.mkdir()
    evil = archives / "evil.argosmodel"
    with zipfile.ZipFile(evil, "w") as out:
        out.writestr("evil/metadata.json", json.dumps({"from_code": "en", "to_code": "fr"}))
        out.writestr("evil/../../escaped.txt", "x")
    engine = engine_of(archives, tmp_path)
    with pytest.raises(EngineError, match="names a file outside its folder"):
        engine.translate_segments(["Hello."], EN_FR, OPTIONS)
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "cache" / "escaped.txt").exists()


def test_problems_say_what_is_missing(tmp_path):
    assert "set the template parameter TranslationModels" in str(engine_of("", tmp_path).problem())
    assert "does not exist here" in str(engine_of(tmp_path / "nowhere", tmp_path).problem())
    (tmp_path / "empty").mkdir()
    empty = tmp_path / "empty"
    assert str(engine_of(empty, tmp_path).problem()) == f"There is no Argos Translate package in {empty}."
    broken = tmp_path / "broken" / "pkg"
    broken.mkdir(parents=True)
    (broken / "metadata.json").write_text('{"from_code": "en"}')
    assert "has no readable metadata.json with from_code and to_code" in str(engine_of(broken.parent, tmp_path).problem())


def test_a_package_that_is_not_a_ctranslate2_model_is_named(tmp_path):
    package = tmp_path / "models" / "not-a-model"
    package.mkdir(parents=True)
    (package / "metadata.json").write_text('{"from_code": "en", "to_code": "fr"}')
    with pytest.raises(EngineError, match="not-a-model lacks model/model.bin or sentencepiece.model"):
        engine_of(package.parent, tmp_path).translate_segments(["Hello."], EN_FR, OPTIONS)


def test_loaded_models_beyond_the_memory_share_are_dropped_least_recently_used_first(argos_models, tmp_path):
    catalogue = engine_of(argos_models, tmp_path).catalogue()
    en_fr, de_en = (next(p for p in catalogue.packages if p.pair == pair) for pair in (EN_FR, DE_EN))
    from translate_jobs.integrations.engines.argos import FolderSource

    models = LoadedModels(PackageCopies(FolderSource(str(argos_models)), str(tmp_path)), threads=1, max_bytes=1)
    first = models.get(en_fr)
    assert models.get(en_fr) is first  # kept while it is the only one
    models.get(de_en)  # over the budget: the least recently used goes
    assert models.get(en_fr) is not first


def test_two_packages_of_one_pair_the_first_by_name_translates():
    def package(name: str) -> Package:
        return Package("en", "fr", name, f"/models/{name}", "1", 1)

    catalogue = Catalogue((package("b"), package("a")))
    assert catalogue.route(EN_FR) == [package("a")]
    assert catalogue.route(LanguagePair("fr", "en")) is None
    assert Catalogue(()).describe() == "none"


def test_argos_language_codes_become_amazon_translates(tmp_path):
    build_package(tmp_path / "models" / "translate-en_zt", "en", "zt")
    engine = engine_of(tmp_path / "models", tmp_path)
    assert engine.serves(LanguagePair("en", "zh-TW")) and not engine.serves(LanguagePair("en", "zt"))


def test_threads_are_the_functions_vcpus_on_lambda_and_the_machines_elsewhere():
    import os

    from translate_jobs.integrations.engines.ctranslate2_engine import vcpus

    assert (vcpus(512), vcpus(1769), vcpus(3538), vcpus(10240)) == (1, 1, 2, 5)
    assert vcpus(0) == (os.cpu_count() or 1)
