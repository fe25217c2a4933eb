"""make bench-engine: the ctranslate2 engine in a job beside CTranslate2 called directly, on a model of
realistic size, and what a batch costs in Lambda's shape (issue 22).

    .venv/bin/python tests/benchmarks/engine.py [--documents 1000] [--sentences 3] [--batch-size 10]

1. A Transformer-base model with random weights (6+6 layers, d_model 512, 8 heads, ffn 2048, a 32k
   SentencePiece vocabulary; int8 as CTranslate2 runs OPUS-MT on CPU), built in code into .cache/ the
   first time (a minute or two). Its compute per token is a real OPUS-MT model's; its end-of-sentence
   logit is biased so its translations end after about as many tokens as their source (printed).
2. The same documents two ways: CTranslate2 called directly in this process (SentencePiece, then
   translate_batch over every sentence, the engine's options and bounds: the engine's own limit here),
   and a job through `make run` (TranslationEngine=ctranslate2, the model's folder as TranslationModels).
   Both print documents and source tokens per second; the job's outputs are checked to be the direct ones.
   The same job with the pseudo engine shows what the service itself costs around the engine.
3. Lambda's shape: one batch of BatchSize documents of 2,000 characters translated with one thread (1,769
   MB is one vCPU), in a process of its own: its time and peak memory, and from them the cost of 100,000 and
   1,000,000 such documents on arm64 Lambda beside Amazon Translate's price for the same characters.
   This machine's core is not a Graviton core: the figure is an estimate of the shape, say so when quoting it.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT, ROOT / "layers" / "shared"):
    if str(path) not in sys.path:  # run as a script: the repository's packages
        sys.path.insert(0, str(path))

from tests.benchmarks.make_run import MakeRun  # noqa: E402
from tests.support.argos import TRANSFORMER_BASE, build_package, sentences  # noqa: E402

CACHE = ROOT / ".cache" / "bench-engine"  # git-ignored: ~95 MB
EOS_BIAS = 3.0  # measured: translations end after ~1x their source's tokens (printed below)
INPUT, OUTPUT = "translate-jobs-demo-input", "translate-jobs-demo-output"
ROLE = "arn:aws:iam::123456789012:role/TranslateDemoDataAccess"
# us-east-1, late 2026 (docs/cost-model.md): arm64 Lambda, Amazon Translate.
LAMBDA_GB_SECOND, LAMBDA_REQUEST, TRANSLATE_PER_CHARACTER = 0.0000133334, 0.20 / 1e6, 15.00 / 1e6
SERVICE_PER_DOCUMENT = 13.0 / 1e6  # the service's own requests per document (docs/cost-model.md, STANDARD children)
LAMBDA_MEMORY_MB = 1769


def model() -> Path:
    package = CACHE / f"translate-en_fr-base-eos{EOS_BIAS:g}"
    if not (package / "model" / "model.bin").exists():
        print(f"building the Transformer-base model into {package} (once) ...", flush=True)
        build_package(package.with_name(package.name + ".partial"), "en", "fr", TRANSFORMER_BASE, seed=0, eos_bias=EOS_BIAS)
        os.replace(package.with_name(package.name + ".partial"), package)
    return package


def documents(count: int, per_document: int) -> list[list[str]]:
    flat = sentences(count * per_document)
    return [flat[n * per_document : (n + 1) * per_document] for n in range(count)]


def process_seconds(pid: int) -> float:
    """CPU seconds a process has used, all its threads (user + system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def direct(package: Path, docs: list[list[str]], threads: int) -> tuple[float, float, list[str], int, int]:
    """CTranslate2 called directly: (seconds, CPU seconds, each document's translation, source tokens, output tokens)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the engine runs it
    import ctranslate2
    import sentencepiece

    from translate_jobs.integrations.engines.ctranslate2_engine import Decoding, length_class

    decoding = Decoding()
    translator = ctranslate2.Translator(str(package / "model"), intra_threads=threads)
    tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(package / "sentencepiece.model"))
    flat = [sentence for doc in docs for sentence in doc]
    started, cpu = time.perf_counter(), process_seconds(os.getpid())
    tokens = tokenizer.encode(flat, out_type=str)
    out: list[list[str]] = [[] for _ in tokens]
    # One translate_batch per length class (each class has its bound, as the engine's), all sentences at once.
    classes: dict[int, list[int]] = {}
    for index, sentence in enumerate(tokens):
        classes.setdefault(length_class(len(sentence)), []).append(index)
    for length, indexes in sorted(classes.items()):
        results = translator.translate_batch(
            [tokens[i] for i in indexes], max_batch_size=decoding.max_batch_tokens, batch_type="tokens",
            beam_size=decoding.beam_size, max_input_length=0, max_decoding_length=decoding.max_decoding_length(length),
        )
        for index, result in zip(indexes, results, strict=True):
            out[index] = result.hypotheses[0]
    texts = tokenizer.decode(out)
    seconds, cpu = time.perf_counter() - started, process_seconds(os.getpid()) - cpu
    translated, position = [], 0
    for doc in docs:
        translated.append(" ".join(texts[position : position + len(doc)]))
        position += len(doc)
    return seconds, cpu, translated, sum(map(len, tokens)), sum(map(len, out))


def sweep(package: Path, threads: int, count: int = 100) -> None:
    """The decoding options' cost on this machine: the same sentences at each beam size and batch budget."""
    from dataclasses import replace

    from translate_jobs.core.config import EngineSettings
    from translate_jobs.integrations.engines import LanguagePair, TranslationOptions, build_engine

    text = sentences(count, seed=7)
    print(f"\n| beam size | max batch tokens | source tokens per CPU-second ({count} sentences, {threads} threads) |")
    print("|---:|---:|---:|")
    settings = EngineSettings("ctranslate2", models=str(single_package(package)), threads=threads)
    engine = build_engine(settings, None)
    engine.translate_segments(["Warm up."], LanguagePair("en", "fr"), TranslationOptions())
    tokens = source_token_count(package, text)
    for beam, budget in ((1, 2048), (2, 2048), (4, 2048), (2, 512), (2, 8192)):
        engine.decoding = replace(engine.decoding, beam_size=beam, max_batch_tokens=budget)
        started = process_seconds(os.getpid())
        engine.translate_segments(text, LanguagePair("en", "fr"), TranslationOptions())
        seconds = process_seconds(os.getpid()) - started
        print(f"| {beam} | {budget} | {tokens / seconds:.0f} |", flush=True)


def source_token_count(package: Path, text: list[str]) -> int:
    import sentencepiece

    tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(package / "sentencepiece.model"))
    return sum(map(len, tokenizer.encode(text, out_type=str)))


def single_package(package: Path) -> Path:
    """A TranslationModels folder holding only ``package``."""
    single = CACHE / "single"
    single.mkdir(parents=True, exist_ok=True)
    if not (single / package.name).exists():
        (single / package.name).symlink_to(package)
    return single


def job(package: Path | None, docs: list[list[str]], batch_size: int) -> tuple[float, float, dict[str, str]]:
    """A job through `make run`: (seconds from Start to COMPLETED, make run's CPU seconds meanwhile, each output)."""
    overrides = f"BatchSize={batch_size}" + (f" TranslationEngine=ctranslate2 TranslationModels={single_package(package)}"
                                             if package else "")
    run = MakeRun(PARAMETER_OVERRIDES=overrides)
    try:
        for number, doc in enumerate(docs):
            run.s3.put_object(Bucket=INPUT, Key=f"bench/d{number:05d}.txt", Body=" ".join(doc).encode())
        started, cpu = time.perf_counter(), process_seconds(run.process.pid)
        job_id = run.translate.start_text_translation_job(
            InputDataConfig={"S3Uri": f"s3://{INPUT}/bench/", "ContentType": "text/plain"},
            OutputDataConfig={"S3Uri": f"s3://{OUTPUT}/bench/"}, DataAccessRoleArn=ROLE,
            SourceLanguageCode="en", TargetLanguageCodes=["fr"],
        )["JobId"]
        while True:
            properties = run.translate.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"]
            if properties["JobStatus"] not in ("SUBMITTED", "IN_PROGRESS"):
                break
            time.sleep(0.5)  # polling a job, as a client does
        seconds, cpu = time.perf_counter() - started, process_seconds(run.process.pid) - cpu
        assert properties["JobStatus"] == "COMPLETED", properties
        prefix = properties["OutputDataConfig"]["S3Uri"].removeprefix(f"s3://{OUTPUT}/")
        outputs = {}
        for page in run.s3.get_paginator("list_objects_v2").paginate(Bucket=OUTPUT, Prefix=prefix):
            for obj in page.get("Contents", []):
                if "/details/" not in obj["Key"]:
                    body = run.s3.get_object(Bucket=OUTPUT, Key=obj["Key"])["Body"].read()
                    outputs[obj["Key"].rsplit("/", 1)[1]] = body.decode()
        return seconds, cpu, outputs
    finally:
        run.close()


def lambda_batch(package: Path, batch_size: int) -> dict[str, float]:
    """One batch of ``batch_size`` documents of 2,000 characters through the engine with one thread, in a
    process of its own (its peak memory is the function's): load and translate seconds, peak MB."""
    code = f"""
import json, resource, sys, time
sys.path[:0] = {[str(ROOT), str(ROOT / "layers" / "shared")]!r}
from tests.support.argos import sentences
from translate_jobs.core.config import EngineSettings
from translate_jobs.integrations.engines import LanguagePair, TranslationOptions, build_engine
flat = sentences(40 * {batch_size})
docs, doc = [], []
for sentence in flat:
    doc.append(sentence)
    if sum(map(len, doc)) >= 2000:
        docs.append(" ".join(doc)[:2000]); doc = []
    if len(docs) == {batch_size}:
        break
settings = EngineSettings("ctranslate2", models={str(package.parent)!r}, threads=1, memory_mb={LAMBDA_MEMORY_MB})
engine = build_engine(settings, None)
started = time.perf_counter()
engine.translate_segments(["Warm up."], LanguagePair("en", "fr"), TranslationOptions())
loaded = time.perf_counter() - started
started, cpu = time.perf_counter(), time.process_time()
engine.translate_segments(docs, LanguagePair("en", "fr"), TranslationOptions())
print(json.dumps({{"load": loaded, "translate": time.perf_counter() - started, "cpu": time.process_time() - cpu,
                  "documents": len(docs), "characters": sum(map(len, docs)),
                  # VmHWM, this process's own peak (ru_maxrss would keep the parent's across fork and exec)
                  "peak_mb": int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024}}))
"""
    code = code.replace(repr(str(package.parent)), repr(str(single_package(package))))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--sentences", type=int, default=3, help="sentences per document (~130 characters each)")
    parser.add_argument("--batch-size", type=int, default=0, help="the job's BatchSize (0, the template's: the engine's own)")
    parser.add_argument("--lambda-documents", type=int, default=10, help="documents of 2,000 characters timed in Lambda's shape")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="the direct run's CTranslate2 threads")
    parser.add_argument("--skip-pseudo", action="store_true", help="leave out the pseudo-engine job")
    parser.add_argument("--sweep", action="store_true", help="also time beam sizes and batch budgets (the defaults' measurement)")
    parser.add_argument("--lambda-only", action="store_true", help="only Lambda's shape and the cost model")
    args = parser.parse_args()

    from translate_jobs.core.config import BATCH_DEFAULTS

    batch_size = args.batch_size or BATCH_DEFAULTS["ctranslate2"][0]  # the ctranslate2 job's (and the pseudo one's)
    package = model()
    docs = documents(args.documents, args.sentences)
    characters = sum(len(" ".join(doc)) for doc in docs)
    each = characters / args.documents
    print(f"{args.documents} documents of {args.sentences} sentences ({each:.0f} characters each), "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)

    if not args.lambda_only:
        compare(package, docs, batch_size, characters, args)
    if args.sweep:
        sweep(package, args.threads)
    lambda_cost(package, batch_size, args.lambda_documents)
    return 0


def compare(package: Path, docs: list[list[str]], batch_size: int, characters: int, args: argparse.Namespace) -> None:
    """The same documents directly and as a job, side by side."""
    direct_seconds, direct_cpu, expected, source_tokens, output_tokens = direct(package, docs, args.threads)
    print(f"direct: {direct_seconds:.1f} s; {source_tokens} source tokens ({characters / source_tokens:.2f} characters a token), "
          f"output/source tokens {output_tokens / source_tokens:.2f}", flush=True)
    job_seconds, job_cpu, outputs = job(package, docs, batch_size)
    same = sum(outputs.get(f"fr.d{number:05d}.txt") == text for number, text in enumerate(expected))
    print(f"job: {job_seconds:.1f} s; outputs identical to the direct run's: {same} of {len(expected)}", flush=True)
    pseudo = None if args.skip_pseudo else job(None, docs, batch_size)

    # This machine's cores are shared: wall time depends on what else runs. CPU time does not, and is what
    # the engine's own limit is (a core translates so many tokens a second): the ratio to read is the CPU one.
    print("\n| path | seconds | CPU seconds | documents/s | source tokens/s | tokens/CPU-s | vs direct: wall | CPU |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    rows = [("CTranslate2 directly (translate_batch, the engine's options)", direct_seconds, direct_cpu),
            (f"job through make run, ctranslate2 (BatchSize {batch_size})", job_seconds, job_cpu)]
    if pseudo is not None:
        rows.append(("the same job, pseudo engine (the service around the engine)", pseudo[0], pseudo[1]))
    for name, seconds, cpu in rows:
        ratios = "| |" if "pseudo" in name else f"{direct_seconds / seconds:.2f}x | {direct_cpu / cpu:.2f}x |"
        print(f"| {name} | {seconds:.1f} | {cpu:.1f} | {args.documents / seconds:.1f} | {source_tokens / seconds:.0f} | "
              f"{source_tokens / cpu:.0f} | {ratios}")


def lambda_cost(package: Path, batch_size: int, documents_timed: int) -> None:
    """One thread's batch in Lambda's shape, and the cost model from it."""
    shape = lambda_batch(package, documents_timed)
    # One thread on a vCPU of its own (Lambda's 1,769 MB): the CPU time it used; the wall time here also
    # holds the waits for this machine's shared cores.
    per_document = shape["cpu"] / shape["documents"]
    chars = shape["characters"] / shape["documents"]
    print(f"\nLambda's shape ({LAMBDA_MEMORY_MB} MB = 1 vCPU, one thread): {shape['documents']:.0f} documents of "
          f"{chars:.0f} characters in {shape['cpu']:.1f} CPU seconds ({shape['translate']:.1f} s here); "
          f"{per_document:.2f} s a document, a batch of {batch_size}: ~{per_document * batch_size:.0f} s of the "
          f"function's 900; model loaded in {shape['load']:.1f} s; peak memory {shape['peak_mb']:.0f} MB of {LAMBDA_MEMORY_MB}")
    print("\n| documents of 2,000 characters | ctranslate2 on arm64 Lambda (GB-s + requests) | "
          "+ the service's own requests | Amazon Translate for the same characters |")
    print("|---:|---:|---:|---:|")
    for count in (100_000, 1_000_000):
        gb_seconds = LAMBDA_MEMORY_MB / 1024 * per_document * count
        batches_ = math.ceil(count / batch_size)
        engine_cost = gb_seconds * LAMBDA_GB_SECOND + batches_ * LAMBDA_REQUEST
        with_service = engine_cost + SERVICE_PER_DOCUMENT * count
        print(f"| {count:,} | ${engine_cost:,.0f} ({gb_seconds / 3600:,.0f} GB-hours) | ${with_service:,.0f} | "
              f"${count * 2000 * TRANSLATE_PER_CHARACTER:,.0f} |")


if __name__ == "__main__":
    sys.exit(main())
