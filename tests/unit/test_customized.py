"""Terms and a memory around any engine (workflow/customized.py), without AWS: each engine takes the terms as it
says it does (``terminology``), and a term is listed as applied only when its target is in the translation."""

from collections.abc import Sequence
from typing import Any

from translate_jobs.domain.terminology import TermTable
from translate_jobs.integrations.engines import LanguagePair, TranslationOptions
from translate_jobs.workflow import customized
from translate_jobs.workflow.customized import Customization

PAIR = LanguagePair("en", "fr")
TABLE = TermTable(("en", "fr"), (("cloud", "nuage"), ("bucket", "seau")))


class Recording:
    """An engine that says how it takes terms, records what it was given, and answers ``answer(text, options)``."""

    batch_characters, max_document_characters = 0, None

    def __init__(self, terminology: str, answer: Any) -> None:
        self.terminology, self.answer = terminology, answer
        self.calls: list[tuple[list[str], TranslationOptions]] = []

    def serves(self, pair: LanguagePair) -> bool:
        return True

    def problem(self) -> None:
        return None

    def translate_segments(self, segments: Sequence[str], pair: LanguagePair, options: TranslationOptions) -> list[str]:
        self.calls.append((list(segments), options))
        return [self.answer(segment, options) for segment in segments]


def test_an_engine_that_takes_terms_in_its_prompt_is_given_those_found_and_the_applied_ones_are_those_it_used():
    # A model told the terms that uses one of them (as an LLM may)
    engine = Recording("prompt", lambda text, options: "Le nuage et le bucket.")
    done = customized.translate(engine, ["The cloud and the bucket."], PAIR, TranslationOptions(), Customization("brand", TABLE))
    [(sent, options)] = engine.calls
    assert sent == ["The cloud and the bucket."]  # the text as it is: no placeholders
    assert options.terms == (("cloud", "nuage"), ("bucket", "seau"))
    assert done.terms_of(["The cloud and the bucket."]) == [("cloud", "nuage")]


def test_an_engine_that_takes_names_is_given_the_text_and_the_terminologys_name_only():
    engine = Recording("names", lambda text, options: "Le seau.")
    options = TranslationOptions(terminology_names=("brand",))
    done = customized.translate(engine, ["The bucket."], PAIR, options, Customization("brand", TABLE))
    [(sent, given)] = engine.calls
    assert (sent, given.terms, given.terminology_names) == (["The bucket."], (), ("brand",))
    assert done.terms_of(["The bucket."]) == [("bucket", "seau")]


def test_an_engine_that_says_nothing_gets_placeholders_and_every_term_is_applied():
    engine = Recording("placeholders", lambda text, options: f"<{text}>")
    done = customized.translate(engine, ["A cloud."], PAIR, TranslationOptions(), Customization("brand", TABLE))
    assert engine.calls[0][0] == ["A \u27e60\u27e7."] and done.text == {"A cloud.": "<A nuage.>"}
