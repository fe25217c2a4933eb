"""Argos Translate packages built in code: no model can be downloaded here, so tests and benchmarks make
their own, in the layout people download (Argos' package index) and the ctranslate2 engine loads:

    <package>/metadata.json          {"from_code": "en", "to_code": "fr", ...}
    <package>/model/                 a CTranslate2 model (model.bin, config.json, vocabularies)
    <package>/sentencepiece.model

The model is a CTranslate2 ``TransformerSpec`` with random weights: its translations are nonsense, but
they are the model's real output, deterministic, computed by the same loading and decoding path a real
OPUS-MT or NLLB conversion takes. ``tiny`` (1 layer, d_model 32) is a few hundred KB and made in well
under a second; ``transformer_base`` has the shape and so the compute per token of a real OPUS-MT model
(6+6 layers, d_model 512, 8 heads, ffn 2048, 32k vocabulary; ~300 MB in float32, ~75 MB in int8).

    python -m tests.support.argos DIR en-fr de-en      # tiny packages to try `make run` with
"""

import io
import json
import random
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

# Sentences to train the SentencePiece models on (any text would do; these give a few hundred pieces).
CORPUS = """\
The quick brown fox jumps over the lazy dog.
Hello, world! How are you today?
Translation jobs read documents from a bucket and write their translations to another one.
Every document is split into sentences, and the sentences of a batch are translated together.
She sells sea shells by the sea shore, and the shells she sells are surely sea shells.
A journey of a thousand miles begins with a single step.
The weather was cold and windy, so we stayed inside and read books all afternoon.
Please send the report to the finance team before Friday at noon.
Our servers are located in three regions, each with its own copy of the data.
Numbers like 42, 3.14 and 1,000,000 appear in documents too.
The museum opens at nine o'clock and closes at six in the evening.
He asked whether the train would leave on time; nobody knew the answer.
Bonjour le monde, comment allez-vous aujourd'hui ?
Guten Morgen, wie geht es dir? Das Wetter ist heute schön.
El rápido zorro marrón salta sobre el perro perezoso.
Water boils at one hundred degrees at sea level.
Machine translation turns text in one language into text in another.
The committee will meet again next week to discuss the budget and the schedule.
Children played in the park while their parents talked on the benches.
If you have any questions, do not hesitate to contact our support team.
""".splitlines()

SPECIAL_TOKENS = ("<blank>", "<s>", "</s>", "<unk>")  # CTranslate2's vocabulary starts with these


@dataclass(frozen=True)
class Shape:
    layers: int
    d_model: int
    heads: int
    ffn: int
    vocab_size: int  # SentencePiece pieces (a little corpus trains fewer: `hard_vocab_limit` is off)
    quantization: str | None = None


TINY = Shape(layers=1, d_model=32, heads=2, ffn=64, vocab_size=300)
TRANSFORMER_BASE = Shape(layers=6, d_model=512, heads=8, ffn=2048, vocab_size=32_000, quantization="int8")


def train_sentencepiece(vocab_size: int, corpus: list[str] = CORPUS, seed_text: int = 0) -> bytes:
    """A SentencePiece unigram model trained in memory (a character it never saw is <unk>, as in Argos' models)."""
    import sentencepiece as spm

    model = io.BytesIO()
    sentences = corpus if vocab_size < 1000 else _synthetic_corpus(vocab_size, seed_text)
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences), model_writer=model, vocab_size=vocab_size, hard_vocab_limit=False,
        character_coverage=1.0, minloglevel=2, num_threads=1,
    )
    return model.getvalue()


class _Language:
    """A made-up language with English's statistics where an engine's cost is concerned: words of 2 to 8
    letters used with Zipf's frequencies, so a 32k SentencePiece vocabulary cuts them into about 1.3 tokens
    a word (as OPUS-MT's cuts English), sentences of 8 to 30 words."""

    def __init__(self, seed: int) -> None:
        import itertools

        rng = random.Random(seed)
        self.words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 8)))
                      for _ in range(40_000)]
        self.cumulative = list(itertools.accumulate(1 / rank for rank in range(1, len(self.words) + 1)))

    def sentence(self, rng: random.Random) -> str:
        chosen = rng.choices(self.words, cum_weights=self.cumulative, k=rng.randint(8, 30))
        for position in rng.sample(range(1, len(chosen) - 1), k=min(2, len(chosen) // 10)):
            chosen[position] += ","
        return " ".join(chosen).capitalize() + rng.choice(".....?!")


def _synthetic_corpus(vocab_size: int, seed: int) -> list[str]:
    """Enough text for a vocabulary of ``vocab_size`` pieces (a real model's ~32k)."""
    language, rng = _Language(seed), random.Random(seed)
    return [language.sentence(rng) for _ in range(vocab_size + 8000)] + CORPUS


def sentences(count: int, seed: int = 0) -> list[str]:
    """``count`` sentences of the made-up language the benchmark's SentencePiece model (seed 0) was trained on."""
    language, rng = _Language(seed), random.Random(seed + 1)
    return [language.sentence(rng) for _ in range(count)]


def build_package(
    folder: Path, from_code: str, to_code: str, shape: Shape = TINY, seed: int = 0, eos_bias: float = 0.0
) -> Path:
    """An Argos package for ``from_code`` -> ``to_code`` in ``folder`` (created), returned.

    ``eos_bias`` is added to the end token's logit: a random model then ends its translations after a
    realistic number of tokens instead of running to the decoding limit (the benchmark sets it)."""
    import numpy as np
    import sentencepiece as spm
    from ctranslate2.specs import common_spec, transformer_spec

    folder.mkdir(parents=True, exist_ok=True)
    sp_model = train_sentencepiece(shape.vocab_size, seed_text=seed)
    (folder / "sentencepiece.model").write_bytes(sp_model)
    processor = spm.SentencePieceProcessor(model_proto=sp_model)
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    vocabulary = list(SPECIAL_TOKENS) + [piece for piece in pieces if piece not in SPECIAL_TOKENS]

    rng = np.random.default_rng(seed)
    d, ff, vocab = shape.d_model, shape.ffn, len(vocabulary)
    spec = transformer_spec.TransformerSpec.from_config(shape.layers, shape.heads)

    def weights(*dims: int) -> "np.ndarray":
        return (rng.standard_normal(dims) / np.sqrt(dims[-1])).astype(np.float32)

    def norm(layer_norm: common_spec.LayerNormSpec) -> None:
        layer_norm.gamma = np.ones(d, dtype=np.float32)
        layer_norm.beta = np.zeros(d, dtype=np.float32)

    spec.encoder.embeddings[0].weight = weights(vocab, d)
    spec.decoder.embeddings.weight = weights(vocab, d)
    norm(spec.encoder.layer_norm)
    norm(spec.decoder.layer_norm)
    for layer in spec.encoder.layer:
        norm(layer.self_attention.layer_norm)
        layer.self_attention.linear[0].weight = weights(3 * d, d)
        layer.self_attention.linear[1].weight = weights(d, d)
        _ffn(layer.ffn, weights, norm, d, ff)
    for layer in spec.decoder.layer:
        norm(layer.self_attention.layer_norm)
        layer.self_attention.linear[0].weight = weights(3 * d, d)
        layer.self_attention.linear[1].weight = weights(d, d)
        norm(layer.attention.layer_norm)
        layer.attention.linear[0].weight = weights(d, d)
        layer.attention.linear[1].weight = weights(2 * d, d)
        layer.attention.linear[2].weight = weights(d, d)
        _ffn(layer.ffn, weights, norm, d, ff)
    spec.decoder.projection.weight = weights(vocab, d)
    if eos_bias:
        bias = np.zeros(vocab, dtype=np.float32)
        bias[vocabulary.index("</s>")] = eos_bias
        spec.decoder.projection.bias = bias
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    spec.validate()
    spec.optimize(quantization=shape.quantization)
    (folder / "model").mkdir(exist_ok=True)
    spec.save(str(folder / "model"))
    metadata = {
        "package_version": "1.0", "argos_version": "1.9.0", "from_code": from_code, "to_code": to_code,
        "from_name": from_code, "to_name": to_code, "type": "translate",
        "description": f"A random {shape.layers}-layer model built by tests/support/argos.py (seed {seed})",
    }
    (folder / "metadata.json").write_text(json.dumps(metadata, indent=2))
    return folder


def _ffn(ffn: object, weights: object, norm: object, d: int, ff: int) -> None:
    norm(ffn.layer_norm)  # type: ignore[attr-defined,operator]
    ffn.linear_0.weight = weights(ff, d)  # type: ignore[attr-defined,operator]
    ffn.linear_1.weight = weights(d, ff)  # type: ignore[attr-defined,operator]


def zip_package(package: Path, archive: Path) -> Path:
    """The package as an ``.argosmodel`` (a zip holding the package's folder, as Argos' index serves them)."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(package.rglob("*")):
            if path.is_file():
                out.write(path, f"{package.name}/{path.relative_to(package)}")
    return archive


def build_packages(folder: Path, pairs: list[tuple[str, str]], shape: Shape = TINY) -> list[Path]:
    """One package per pair, each with its own seed (so each pair translates differently)."""
    return [build_package(folder / f"translate-{source}_{target}", source, target, shape, seed=number)
            for number, (source, target) in enumerate(pairs)]


class Direct:
    """CTranslate2 and SentencePiece called directly on one package, one sentence per call, with the
    ctranslate2 engine's decoding options: what the engine's output is compared with."""

    def __init__(self, package: Path, beam_size: int = 2, length_ratio: float = 2.0) -> None:
        import ctranslate2
        import sentencepiece

        self.translator = ctranslate2.Translator(str(package / "model"))
        self.tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(package / "sentencepiece.model"))
        self.beam_size, self.length_ratio = beam_size, length_ratio

    def bound(self, tokens: int) -> int:
        """The engine's documented bound: ratio x the length rounded up to its class, + 16."""
        import math

        rounded = next((length for length in (8, 16, 24, 32, 48, 64, 96, 128, 192, 256) if tokens <= length), None)
        return math.ceil(self.length_ratio * (rounded or math.ceil(tokens / 256) * 256)) + 16

    def tokens(self, sentence: str) -> list[str]:
        return list(self.tokenizer.encode(sentence, out_type=str))

    def translate_tokens(self, tokens: list[str], max_decoding_length: int | None = None) -> list[str]:
        limit = max_decoding_length or self.bound(len(tokens))
        [result] = self.translator.translate_batch([tokens], beam_size=self.beam_size, max_decoding_length=limit)
        return list(result.hypotheses[0])

    def __call__(self, sentence: str) -> str:
        return str(self.tokenizer.decode(self.translate_tokens(self.tokens(sentence))))

    def lines(self, text: str) -> str:
        """Each line of ``text`` (one sentence each) translated, its whitespace kept."""
        out = []
        for line in text.split("\n"):
            core = line.strip()
            out.append(line.replace(core, self(core), 1) if core else line)
        return "\n".join(out)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or any("-" not in pair for pair in argv[1:]):
        print("usage: python -m tests.support.argos DIR FROM-TO [FROM-TO ...]   e.g. /tmp/models en-fr de-en", file=sys.stderr)
        return 2
    folder = Path(argv[0])
    for package in build_packages(folder, [tuple(pair.split("-", 1)) for pair in argv[1:]]):  # type: ignore[misc]
        print(package)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
