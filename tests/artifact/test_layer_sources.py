"""What goes into the layer, checked without building it (these run in the default `make test`).

The layer ships no compiled regular-expression engine: validation's ``\\p{..}`` classes come from
``unicodedata``. And layer-requirements.txt (what the layer ships) stays in step with requirements.txt.
"""

import re
import unicodedata

import botocore.session
import pytest

from local_stack.template import ROOT
from translate_jobs.api.validation import _pattern, unicode_pattern

LAYER = ROOT / "layers" / "shared"
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"}
SAMPLES = [
    "a", "Z", "0", " ", "_", "#", "\t", "\x7f", "é", "ß", "ǅ", "ʰ", "日", "٣", "Ⅻ", "½", "\u00a0", "\u2028", "\u2029",
    "\u0301", "\u0903", "\u20dd", "\u200b", "\ue000", "\U000f0000", "\U0001f600", "\U0001d400", "\U00010140", "\ud800",
]


def model_patterns() -> set[str]:
    model = botocore.session.get_session().get_service_model("translate")
    return {model.shape_for(name).metadata["pattern"] for name in model.shape_names
            if "pattern" in model.shape_for(name).metadata}


def pins(path: str) -> dict[str, str]:
    found = {}
    for line in (LAYER / path).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            found[re.sub(r"\[.*\]", "", name).lower().replace("_", "-")] = version.strip()
    return found


@pytest.mark.parametrize("pattern", sorted(model_patterns()))
def test_every_pattern_of_the_translate_model_compiles_with_the_standard_library(pattern):
    assert _pattern(pattern)("") in (True, False)


@pytest.mark.parametrize("prop", ["L", "Lu", "N", "Nd", "Z", "M", "Mn", "P", "S", "C", "Co"])
def test_a_property_class_matches_exactly_the_characters_of_its_category(prop):
    for char in SAMPLES:
        expected = unicodedata.category(char).startswith(prop)
        assert _pattern(rf"\p{{{prop}}}")(char) is expected, (prop, char)
        assert _pattern(rf"\P{{{prop}}}")(char) is not expected, (prop, char)
        assert _pattern(rf"[^\P{{{prop}}}]")(char) is expected, (prop, char)  # inside a negated class


def test_the_job_name_pattern_counts_characters_not_bytes():
    # Given the model's JobName pattern and a name mixing letters, a mark, a space and a number
    pattern = r"^([\p{L}\p{Z}\p{N}_.:/=+\-%@]*)$"
    # Then letters, separators and numbers of any script pass, and a combining mark does not
    assert _pattern(pattern)("Zürich 日本 ٣_a")
    assert not _pattern(pattern)("e\u0301")
    assert _pattern(r"[\P{M}\p{M}]{0,3}")("e\u0301x") and not _pattern(r"[\P{M}\p{M}]{0,3}")("abcd")
    assert _pattern(r"\p{ASCII}{0,8}")("a\tb") and not _pattern(r"\p{ASCII}{0,8}")("é")


@pytest.mark.parametrize("pattern", [r"\p{L}\w", r"\p{L}.", r"[\p{L}]\d", r"\p{L}\u00e9", r"\p{Greek}", "\\p{L}é"])
def test_a_pattern_the_stand_ins_would_misread_is_refused(pattern):
    with pytest.raises(ValueError):
        unicode_pattern(pattern)


def test_letters_and_a_literal_dot_in_a_class_are_not_mistaken_for_refused_escapes():
    assert _pattern(r"^[\p{L}.]+wd$")("Été.wd")


def test_the_layer_lock_pins_requirements_at_their_versions():
    layer = pins("layer-requirements.txt")
    for name, version in pins("requirements.txt").items():
        assert layer.get(name) == version, f"{name}: requirements.txt {version}, layer-requirements.txt {layer.get(name)}"


def test_the_layer_lock_leaves_the_runtime_sdk_out():
    assert not RUNTIME_PROVIDED & set(pins("layer-requirements.txt"))
