"""Translation customized by a terminology and a parallel data resource, around any engine: what a job's batches
and the TranslateText and TranslateDocument requests translate with.

- The translation memory (parallel data) first: a segment it holds comes out as stored, whatever the engine,
  and is not sent to it.
- Then the engine, with the terminology applied as the engine takes it (its ``terminology`` attribute):
  ``placeholders`` (the default: pseudo, ctranslate2) by domain/terminology.py ``translate_with_terms``, which
  applies every term found whatever the engine gives back; ``prompt`` (bedrock) as the terms found, which its
  prompt lists; ``names`` (amazon) as the terminology's name, which Amazon Translate applies. A term is listed as
  applied when its target term is in the translation (always, for ``placeholders``).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from botocore.exceptions import ClientError

from translate_jobs.core import transient
from translate_jobs.dal.customizations import CustomizationStore
from translate_jobs.domain.customization import ResourceKind
from translate_jobs.domain.errors import ResourceNotFoundError
from translate_jobs.domain.parallel_data import from_memory
from translate_jobs.domain.terminology import Match, Terms, TermTable, applied, translate_with_terms
from translate_jobs.integrations.customization_data import VersionCache, version_prefix
from translate_jobs.integrations.engines import Engine, EngineError, LanguagePair, TranslationOptions


@dataclass(frozen=True)
class Customization:
    """A terminology's terms and a parallel data's memory, as one translation uses them (either may be absent)."""

    terminology: str | None = None
    table: TermTable | None = None
    memory: str | None = None
    memory_prefix: str | None = None
    memory_shards: int = 0
    cache: VersionCache | None = None

    @classmethod
    def load(cls, store: CustomizationStore | None, cache: VersionCache | None, account_id: str,
             terminology_names: Sequence[str] = (), parallel_data_names: Sequence[str] = ()) -> "Customization":
        """The account's resources of these names, as they are now. One that is gone (deleted since the job started)
        is an EngineError: nothing can be translated as asked, and the job says why."""
        if not terminology_names and not parallel_data_names:
            return cls()
        if store is None or cache is None:
            raise EngineError("This function is not given the customizations table and bucket (see template.yaml).")
        table, prefix, shards = None, None, 0
        terminology = terminology_names[0] if terminology_names else None
        memory = parallel_data_names[0] if parallel_data_names else None
        try:
            if terminology:
                table = _terms(store, cache, account_id, terminology)
            if memory:
                parallel_data = store.parallel_data(account_id, memory)
                if parallel_data.version is None:
                    raise ResourceNotFoundError(f"The parallel data {memory} has no imported examples ({parallel_data.status}).")
                prefix = version_prefix(ResourceKind.PARALLEL_DATA, account_id, memory, parallel_data.version)
                shards = parallel_data.shards
        except ResourceNotFoundError as gone:
            raise EngineError(f"{gone} It was named when the job started, and is gone: start the job again.") from None
        return cls(terminology, table, memory, prefix, shards, cache)

    def terms(self, pair: LanguagePair) -> Terms:
        return self.table.terms(pair.source, pair.target) if self.table else Terms(pair.source)

    def remembered(self, key: str, target: str) -> str | None:
        if self.memory_prefix is None or self.cache is None:
            return None
        return self.cache.memory(self.memory_prefix, self.memory_shards, key).get(target)


def _terms(store: CustomizationStore, cache: VersionCache, account_id: str, name: str) -> TermTable:
    """The terminology's terms as it is now: a version replaced between reading the item and reading its files
    (an import overwrote it) is read again, as the new version."""
    for attempt in range(2):
        found = store.terminology(account_id, name)
        try:
            return cache.terms(version_prefix(ResourceKind.TERMINOLOGY, account_id, name, found.version))
        except ClientError as error:
            if attempt or transient.error_code(error) not in ("NoSuchKey", "404"):
                raise
    raise AssertionError("unreachable")


@dataclass
class Translated:
    """Segments translated to one target: each one's translation, the terms applied to it, and how many of its lines
    the memory gave."""

    text: dict[str, str] = field(default_factory=dict)
    applied: dict[str, list[Match]] = field(default_factory=dict)
    remembered: dict[str, int] = field(default_factory=dict)

    def update(self, other: "Translated") -> None:
        self.text.update(other.text)
        self.applied.update(other.applied)
        self.remembered.update(other.remembered)

    def terms_of(self, segments: Sequence[str]) -> list[tuple[str, str]]:
        """The distinct terms applied to these segments (a document's), in the order found, at most 250."""
        return applied([match for segment in segments for match in self.applied.get(segment, ())])

    def from_memory(self, segments: Sequence[str]) -> int:
        """How many of these segments' lines (a document's) the memory gave."""
        return sum(self.remembered.get(segment, 0) for segment in segments)


def translate(engine: Engine, segments: Sequence[str], pair: LanguagePair, options: TranslationOptions,
              customization: Customization) -> Translated:
    """``segments`` (distinct) translated for ``pair`` as ``customization`` asks. With a memory, each segment is
    looked up line by line (a text document is one segment: its lines are what a memory holds), and the lines it
    does not hold are what the engine translates."""
    units_of = {segment: _lines(segment) if customization.memory_prefix else [segment] for segment in segments}
    units = list(dict.fromkeys(unit for each in units_of.values() for unit in each if unit.strip()))
    remembered = from_memory(units, lambda key: customization.remembered(key, pair.target))
    text = {units[index]: translation for index, translation in remembered.items()}
    from_the_memory = set(text)
    rest = [unit for index, unit in enumerate(units) if index not in remembered]
    found: list[list[Match]] = []
    if rest:
        out, found = _engine(engine, rest, pair, options, customization.terms(pair))
        text.update(zip(rest, out, strict=True))
    applied_to = dict(zip(rest, found, strict=True))
    done = Translated()
    for segment, each in units_of.items():
        done.text[segment] = "".join(text.get(unit, unit) for unit in each)
        if matches := [match for unit in each for match in applied_to.get(unit, ())]:
            done.applied[segment] = matches
        if count := sum(1 for unit in each if unit in from_the_memory):
            done.remembered[segment] = count
    return done


def _engine(engine: Engine, texts: list[str], pair: LanguagePair, options: TranslationOptions,
            terms: Terms) -> tuple[list[str], list[list[Match]]]:
    """The engine's translations of ``texts``, with the terms applied as it takes them, and the terms applied."""
    mode = getattr(engine, "terminology", "placeholders")

    def call(sent: list[str], with_options: TranslationOptions = options) -> list[str]:
        translated = engine.translate_segments(sent, pair, with_options)
        if len(translated) != len(sent):
            raise EngineError(f"The translation engine returned {len(translated)} translations for {len(sent)} segments.")
        return list(translated)

    if mode == "placeholders":
        return translate_with_terms(texts, terms, call)
    found = [terms.find(text) if terms else [] for text in texts]
    pairs = tuple(dict.fromkeys((match.source_text, match.replacement) for matches in found for match in matches))
    out = call(texts, replace(options, terms=pairs) if mode == "prompt" else options)
    return out, [[match for match in matches if match.replacement.casefold() in translated.casefold()]
                 for matches, translated in zip(found, out, strict=True)]


def _lines(segment: str) -> list[str]:
    return segment.splitlines(keepends=True) or [segment]


def applied_terminologies(name: str | None, terms: Sequence[tuple[str, str]], *, wire: bool = False) -> list[dict[str, Any]]:
    """AppliedTerminologies as TranslateText answers it (``wire``) or as the details file lists it (camelCase)."""
    if not name or not terms:
        return []
    if wire:
        return [{"Name": name, "Terms": [{"SourceText": source, "TargetText": target} for source, target in terms]}]
    return [{"name": name, "terms": [{"sourceText": source, "targetText": target} for source, target in terms]}]
