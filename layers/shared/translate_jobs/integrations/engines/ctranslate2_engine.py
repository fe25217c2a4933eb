"""The ``ctranslate2`` engine: self-hosted translation with CTranslate2 models in Argos Translate packages.

A call's segments are cut into sentences (``text.Units``; each distinct sentence once), SentencePiece
cuts them into tokens, and CTranslate2's ``translate_batch`` translates them in batches of similar
lengths bounded by ``max_batch_tokens``. A sentence longer than MAX_INPUT_TOKENS is translated in pieces
(never truncated), and no translation decodes longer than ``length_ratio`` x its source + LENGTH_MARGIN
tokens (the source's length rounded up to one of LENGTH_CLASSES: a batch holds sentences of one class,
so each has its own bound), so a sentence the model would repeat without end is bounded. A pair without a
package of its own goes through English (argos.Catalogue.route): each sentence's English translation is
translated on.

Models are loaded once per execution environment and kept while they fit in MODEL_MEMORY_SHARE of the
function's memory (the least recently used is dropped first).
"""

import math
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from translate_jobs.core.config import EngineSettings
from translate_jobs.integrations.engines.argos import Catalogue, Catalogues, Package, PackageCopies, source_of
from translate_jobs.integrations.engines.base import EngineClients, EngineError, LanguagePair, TranslationOptions
from translate_jobs.integrations.engines.text import Units

MAX_INPUT_TOKENS = 256  # a longer sentence is translated in pieces (Argos' and OPUS-MT's models are trained on shorter)
LENGTH_MARGIN = 16  # tokens a translation may have beyond length_ratio x its source's
# Source lengths are rounded up to one of these for the bound (and a batch holds one of them): a few classes
# cover a document's sentences, so batches stay large; beyond the last, multiples of it.
LENGTH_CLASSES = (8, 16, 24, 32, 48, 64, 96, 128, 192, 256)
MODEL_MEMORY_SHARE = 0.5  # of the function's memory, for loaded models (the rest: documents, tokens, beams)
WORD_START = "\u2581"  # SentencePiece's mark of a piece that begins a word
LAMBDA_MB_PER_VCPU = 1769


@dataclass(frozen=True)
class Decoding:
    """translate_batch's options (template parameters Engine*; docs/engines.md has the measurements)."""

    beam_size: int = 2
    max_batch_tokens: int = 2048
    length_ratio: float = 2.0
    threads: int = 0  # 0: every vCPU the function has

    def max_decoding_length(self, source_tokens: int) -> int:
        """The most tokens a translation of ``source_tokens`` tokens may have."""
        return math.ceil(self.length_ratio * length_class(source_tokens)) + LENGTH_MARGIN


def length_class(tokens: int) -> int:
    for length in LENGTH_CLASSES:
        if tokens <= length:
            return length
    return math.ceil(tokens / LENGTH_CLASSES[-1]) * LENGTH_CLASSES[-1]


class LoadedModel:
    """One package's CTranslate2 translator and SentencePiece tokenizer."""

    def __init__(self, package: Package, folder: Path, threads: int) -> None:
        # OpenMP threads that wait for work sleep rather than spin: a function's other threads (make run: the
        # whole emulator's) then keep the CPU (measured: a third less time beside one busy Python thread).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import ctranslate2
            import sentencepiece
        except ImportError as exc:
            raise EngineError(
                f"The ctranslate2 engine needs the Python packages ctranslate2 and sentencepiece ({exc}); on Lambda "
                "they come in TranslateBatchFunction's EngineLayer."
            ) from None
        model_dir, tokenizer = folder / "model", folder / "sentencepiece.model"
        if not (model_dir / "model.bin").is_file() or not tokenizer.is_file():
            raise EngineError(
                f"The model package {package.name} lacks model/model.bin or sentencepiece.model: it is not an "
                "Argos Translate package of a CTranslate2 model."
            )
        self.package = package
        self.bytes = sum(path.stat().st_size for path in model_dir.iterdir() if path.is_file())
        self.translator = ctranslate2.Translator(str(model_dir), device="cpu", inter_threads=1, intra_threads=threads)
        self.tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(tokenizer))

    def translate(self, sentences: list[str], decoding: Decoding) -> list[str]:
        """Each sentence's translation, in order."""
        pieces: list[list[str]] = []
        owners: list[int] = []  # the sentence each piece belongs to
        for number, tokens in enumerate(self.tokenizer.encode(sentences, out_type=str)):
            for piece in cut(tokens, MAX_INPUT_TOKENS):
                pieces.append(piece)
                owners.append(number)
        translated: list[list[str]] = [[] for _ in pieces]
        for group in batches(pieces, decoding.max_batch_tokens):
            sources = [pieces[index] for index in group]
            prefix = [[self.package.target_prefix] for _ in group] if self.package.target_prefix else None
            results = self.translator.translate_batch(
                sources, prefix, beam_size=decoding.beam_size, max_input_length=0,
                max_decoding_length=decoding.max_decoding_length(max(map(len, sources))),
            )
            for index, result in zip(group, results, strict=True):
                tokens = result.hypotheses[0]
                translated[index] = tokens[1:] if prefix and tokens[:1] == prefix[0] else tokens
        texts = [""] * len(sentences)
        for owner, text in zip(owners, self.tokenizer.decode(translated), strict=True):
            texts[owner] = f"{texts[owner]} {text}" if texts[owner] else text
        return texts


def cut(tokens: list[str], most: int) -> list[list[str]]:
    """``tokens`` in pieces of at most ``most``, each cut before a word where one is near the limit."""
    pieces = []
    while len(tokens) > most:
        words = [index for index in range(max(1, most * 3 // 4), most + 1) if tokens[index].startswith(WORD_START)]
        end = words[-1] if words else most
        pieces.append(tokens[:end])
        tokens = tokens[end:]
    return [*pieces, tokens] if tokens else pieces


def batches(pieces: list[list[str]], max_tokens: int) -> list[list[int]]:
    """Indexes of ``pieces`` in batches of one length class (sorted by length), each at most ``max_tokens``
    tokens counting padding (CTranslate2's batch_type="tokens"), at least one piece each."""
    order = sorted(range(len(pieces)), key=lambda index: len(pieces[index]))
    groups: list[list[int]] = []
    for index in order:
        length = max(len(pieces[index]), 1)
        same_class = groups and length_class(length) == length_class(len(pieces[groups[-1][0]]))
        if same_class and length * (len(groups[-1]) + 1) <= max_tokens:
            groups[-1].append(index)  # sorted: this piece is the longest of its batch
        else:
            groups.append([index])
    return groups


class LoadedModels:
    """Models loaded in this execution environment, the least recently used dropped beyond ``max_bytes``."""

    def __init__(self, copies: PackageCopies, threads: int, max_bytes: int) -> None:
        self._copies, self._threads, self._max_bytes = copies, threads, max_bytes
        self._loaded: OrderedDict[Package, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, package: Package) -> LoadedModel:
        with self._lock:  # one load at a time; concurrent batches (locally) share what is loaded
            model = self._loaded.get(package)
            if model is None:
                model = LoadedModel(package, self._copies.folder(package), self._threads)
                self._loaded[package] = model
                while len(self._loaded) > 1 and sum(loaded.bytes for loaded in self._loaded.values()) > self._max_bytes:
                    self._loaded.popitem(last=False)  # a batch still using it keeps it until it is done
            self._loaded.move_to_end(package)
            return model


def vcpus(memory_mb: int) -> int:
    """The vCPUs a function has: Lambda gives one per 1,769 MB (its /proc shows more than it lets run),
    elsewhere (memory unknown: make run) the machine's."""
    return max(1, memory_mb // LAMBDA_MB_PER_VCPU) if memory_mb else os.cpu_count() or 1


class CTranslate2Engine:
    batch_characters = 20_000  # a round's worth of text: several translate_batch batches (docs/engines.md)
    # One thread translates 1,500-2,000 characters a CPU-second with a Transformer-base model (make bench-engine):
    # 500,000 take 250-330 s, room in the function's 900 s for a slower core and a retry.
    max_document_characters: int | None = 500_000

    def __init__(self, catalogues: Catalogues, models: LoadedModels, decoding: Decoding) -> None:
        self._catalogues, self._models, self.decoding = catalogues, models, decoding

    @classmethod
    def from_settings(cls, settings: EngineSettings, clients: EngineClients) -> "CTranslate2Engine":
        source = source_of(settings.models, lambda: clients("s3"))
        threads = settings.threads or vcpus(settings.memory_mb)
        memory = settings.memory_mb * 2**20 * MODEL_MEMORY_SHARE if settings.memory_mb else 8 * 2**30
        decoding = Decoding(settings.beam_size, settings.max_batch_tokens, settings.length_ratio, threads)
        models = LoadedModels(PackageCopies(source, settings.model_cache_dir), threads, int(memory))
        return cls(Catalogues(source), models, decoding)

    def catalogue(self) -> Catalogue:
        return self._catalogues.current()

    def serves(self, pair: LanguagePair) -> bool:
        return self.catalogue().route(pair) is not None

    def describe_pairs(self) -> str:
        return (
            f"The ctranslate2 engine has models for: {self.catalogue().describe()} (a pair without one of its own "
            f"is translated through English when both halves are there; it does not detect a source language)."
        )

    def problem(self) -> str | None:
        if self._catalogues.source is None:
            return "The ctranslate2 engine needs models: set the template parameter TranslationModels (docs/engines.md)."
        try:
            catalogue = self.catalogue()
        except EngineError as error:
            return str(error)
        except Exception as error:  # noqa: BLE001 - S3's refusal (no bucket, no permission) says why
            return f"The packages in {self._catalogues.source.location} cannot be listed: {error}"
        if not catalogue.packages:
            return f"There is no Argos Translate package in {self._catalogues.source.location}."
        return None

    def translate_segments(self, segments: Sequence[str], pair: LanguagePair, options: TranslationOptions) -> list[str]:
        route = self.catalogue().route(pair)
        if route is None:
            raise EngineError(f"No model translates {pair} any more. {self.describe_pairs()}")
        units = Units(segments, by_sentence=True)
        sentences = units.units
        for package in route:  # one package, or two through English (sentence by sentence)
            sentences = self._models.get(package).translate(sentences, self.decoding)
        return units.rebuild(sentences)

