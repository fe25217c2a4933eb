"""What `sam deploy` ships (.aws-sam/build), checked the way Lambda loads it: `make artifact-test`.

Needs `make build` and .venv-lambda (a venv holding only the SDK the Lambda python3.13 runtime
provides); `make artifact-test` makes both, then runs these tests (marker `artifact`, left out
of the default run because building fetches wheels).

Where the line is: the layer is built for the template's architecture (arm64) and CI machines are
x86_64. There the compiled extensions are checked by their ELF header and file names only; their
code cannot load. Every handler below runs with them failing to import (the pure-Python fallback
is what ran), and test_compiled_extensions_do_not_load_here shows that they really fail to load,
so a handler that needed one would have failed here too. On an arm64 machine they load and run.
"""

import contextlib
import json
import os
import platform
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_stack.provision import Stack, plan
from local_stack.stack import local_environment
from local_stack.template import ROOT, load_template, resources_of_type
from tests.support.front import free_port
from tests.support.stack import ACCOUNT, REGION, forget_table_connections, put_job
from translate_jobs_local.app import TRANSLATE_JOBS

pytestmark = pytest.mark.artifact

BUILD = ROOT / ".aws-sam" / "build"
RUNTIME_PYTHON = ROOT / ".venv-lambda" / "bin" / "python"
RUNNER = Path(__file__).with_name("lambda_runner.py")
E_MACHINE = {"arm64": 0xB7, "x86_64": 0x3E}
TRIPLET = {"arm64": "aarch64", "x86_64": "x86_64"}
HOST_ARCHITECTURE = {"aarch64": "arm64", "arm64": "arm64", "x86_64": "x86_64", "AMD64": "x86_64"}[platform.machine()]
JOB_ID = "0123456789abcdef0123456789abcdef"  # the job events/ name
STALE_JOB_ID = "fedcba9876543210fedcba9876543210"
# `make run` lets the demo account stop its jobs with messages; the handlers see the same environment.
PARAMETERS = {"StopRequestAccounts": ACCOUNT}
ENGINE_FUNCTION = "TranslateBatchFunction"  # the batch worker, the test's engine function
# The functions that translate (batch documents; TranslateText and TranslateDocument): the only ones with EngineLayer
ENGINE_FUNCTIONS = {ENGINE_FUNCTION, "TranslateFunction"}
TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"


@dataclass(frozen=True)
class BuiltFunction:
    logical_id: str
    task_root: Path
    layers: tuple[Path, ...]  # what Lambda unpacks into /opt, in order: each one's python/ is on sys.path
    handler: str
    architecture: str

    @property
    def layer(self) -> Path:
        """SharedLayer's python/ (translate_jobs and its libraries), which every function has."""
        return self.layers[0]


@pytest.fixture(scope="module")
def built_template() -> dict[str, Any]:
    if not (BUILD / "template.yaml").exists():
        pytest.fail("no .aws-sam/build: run `make build` first (`make artifact-test` does both)")
    return load_template(BUILD / "template.yaml")


@pytest.fixture(scope="module")
def functions(built_template: dict[str, Any]) -> list[BuiltFunction]:
    globals_ = built_template.get("Globals", {}).get("Function", {})
    layers = resources_of_type(built_template, "AWS::Serverless::LayerVersion")
    found = []
    for name, resource in resources_of_type(built_template, "AWS::Serverless::Function").items():
        props = resource["Properties"]
        # SAM appends a function's Layers to the Globals' (SharedLayer first, as Lambda unpacks them).
        refs = [ref["Ref"] for ref in [*globals_.get("Layers", []), *props.get("Layers", [])]]
        expected = ["SharedLayer", "EngineLayer"] if name in ENGINE_FUNCTIONS else ["SharedLayer"]
        assert refs == expected, f"{name}: layers {refs}"
        [architecture] = props.get("Architectures", globals_.get("Architectures", ["x86_64"]))
        found.append(BuiltFunction(
            logical_id=name,
            task_root=BUILD / props["CodeUri"],
            layers=tuple(BUILD / layers[ref]["Properties"]["ContentUri"] / "python" for ref in refs),
            handler=props.get("Handler", globals_.get("Handler")),
            architecture=architecture,
        ))
    return found


@pytest.fixture(scope="module")
def runtime_python() -> Path:
    if not RUNTIME_PYTHON.exists():
        pytest.fail("no .venv-lambda: `make .venv-lambda/.installed` (`make artifact-test` makes it)")
    return RUNTIME_PYTHON


def compiled_extensions(layer: Path) -> dict[str, Path]:
    """Module name -> .so file, for every compiled extension in the layer."""
    return {".".join(path.relative_to(layer).parts)[: -len("".join(path.suffixes))]: path for path in layer.rglob("*.so")}


# ---------- the artifact is the source, built for the template's architecture ----------

def test_the_build_is_of_the_current_source(functions):
    """A stale .aws-sam/build would prove nothing about what the next deploy ships."""
    template = load_template()
    pairs = [(ROOT / template["Resources"][function.logical_id]["Properties"]["CodeUri"], function.task_root)
             for function in functions]
    pairs.append((ROOT / "layers" / "shared" / "translate_jobs", functions[0].layer / "translate_jobs"))
    for source, built in pairs:
        modules = sorted(path.relative_to(source) for path in source.rglob("*.py"))
        assert modules == sorted(path.relative_to(built) for path in built.rglob("*.py")), f"{built}: run `make build`"
        for module in modules:
            assert (built / module).read_bytes() == (source / module).read_bytes(), f"{source / module}: rebuild"


def test_every_function_and_layer_share_one_architecture(built_template, functions):
    layers = list(resources_of_type(built_template, "AWS::Serverless::LayerVersion").values())
    assert len(layers) == 2 and all(
        {function.architecture for function in functions} == set(layer["Properties"]["CompatibleArchitectures"])
        for layer in layers
    )


def test_every_compiled_extension_is_for_the_template_architecture(functions):
    architecture = functions[0].architecture  # the one of them all (test above)
    extensions = list(BUILD.rglob("*.so"))
    assert extensions, "expected wrapt's extension in the layer; if none is left, drop this test's fallback story"
    libraries = [path for path in BUILD.rglob("*.so*") if ".libs" in path.parent.name]  # what auditwheel vendored
    for path in extensions + libraries:
        header = path.read_bytes()[:20]
        assert header[:4] == b"\x7fELF", f"{path} is not an ELF file"
        machine = int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")
        assert machine == E_MACHINE[architecture], f"{path.name}: e_machine {machine:#x}, expected {architecture}"
    for path in extensions:  # Python's own extension modules are also named for their platform
        if ".libs" in path.parent.name:
            continue
        tags = (f".cpython-313-{TRIPLET[architecture]}-linux-gnu.so", ".abi3.so")
        assert path.name.endswith(tags), f"{path.name}: file name tags are not for {architecture}"


def test_the_layer_ships_only_its_lock_file_not_the_runtime_sdk(functions):
    layer = functions[0].layer
    shipped = {path.name.split("-")[0].lower() for path in layer.glob("*.dist-info")}
    lock = ROOT / "layers" / "shared" / "layer-requirements.txt"
    locked = {line.split("==")[0].strip().lower().replace("-", "_") for line in lock.read_text().splitlines()
              if line.strip() and not line.startswith("#")}
    assert shipped == locked
    for provided in ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six", "regex"):
        assert not (layer / provided).exists() and not (layer / f"{provided}.py").exists(), provided


@pytest.mark.skipif(HOST_ARCHITECTURE == "arm64", reason="on an arm64 host the extensions load; nothing to show")
def test_compiled_extensions_do_not_load_here(functions, runtime_python):
    """So the handler runs below prove the fallback: a handler that needed the extension would fail."""
    for module, path in compiled_extensions(functions[0].layer).items():
        code = (
            "import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location({module!r}, {str(path)!r})\n"
            "try: spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
            "except ImportError as error: print(error); sys.exit(3)"
        )
        run = subprocess.run([str(runtime_python), "-I", "-c", code], capture_output=True, text=True, timeout=60)
        # glibc refuses another machine's ELF as "cannot open shared object file" (the file is there).
        assert run.returncode == 3, f"{module} loaded on {HOST_ARCHITECTURE}: {run.stdout}{run.stderr}"
        assert path.exists() and str(path) in run.stdout, run.stdout


# ---------- every handler, from the artifact alone, against a running local stack ----------


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    """`python -m translate_jobs_local run` (the dev venv), as `make run` starts it; yields the emulator URL."""
    port, emulator_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if key != "AWS_ENDPOINT_URL"}
    process = subprocess.Popen(
        [sys.executable, "-m", "translate_jobs_local", "run", "--port", str(port), "--emulator-port", str(emulator_port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or []], daemon=True).start()
    output: list[str] = []
    deadline = time.monotonic() + 60
    try:
        while not any("is running locally" in line for line in output):
            remaining = deadline - time.monotonic()
            assert remaining > 0 and process.poll() is None, "local stack did not start:\n" + "".join(output)
            try:
                output.append(lines.get(timeout=remaining))
            except queue.Empty:
                continue
        yield f"http://127.0.0.1:{emulator_port}"
    finally:
        # As tests/e2e/test_e2e.py's fixture: test_e2e owns the Ctrl-C behaviour, this only cleans up.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="module")
def local_plan() -> Stack:
    return plan(ACCOUNT, REGION, PARAMETERS, app=TRANSLATE_JOBS)  # the product's named resources (work_bucket)


@pytest.fixture
def seed(emulator: str, local_plan: Stack, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Writes jobs into the running stack as Start would have (the dev code, not the artifact under test)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator)
    for key, value in local_plan.runtime.find("BeginJobFunction").environment.items():
        monkeypatch.setenv(key, value)
    forget_table_connections()  # put_job's store talks to the emulator
    yield put_job
    forget_table_connections()


def invoke_built(
    function: BuiltFunction, event_file: str, runtime_python: Path, emulator: str, stack: Stack,
    layers: tuple[Path, ...] = (), environment: dict[str, str] | None = None,
) -> Any:
    """One invocation in a fresh interpreter that sees only the artifact and the runtime's SDK (``layers``:
    other builds of the function's layers; ``environment``: variables over the template's)."""
    spec = stack.runtime.find(function.logical_id)
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        **spec.environment,
        **local_environment(emulator, REGION),
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "LAMBDA_TASK_ROOT": str(function.task_root),
        "_HANDLER": function.handler,
        "_X_AMZN_TRACE_ID": TRACE_HEADER,  # Tracing: Active; not sampled, so nothing is sent
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        **(environment or {}),
    }
    layers = os.pathsep.join(str(layer) for layer in layers or function.layers)
    arguments = [str(function.task_root), layers, function.handler, str(ROOT / "events" / event_file)]
    run = subprocess.run(
        # -I: no dev venv, PYTHONPATH or user site; -B: no __pycache__ written into the artifact.
        [str(runtime_python), "-I", "-B", str(RUNNER), *arguments],
        env=env, cwd=function.task_root, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    assert "errorType" not in outcome, f"{function.logical_id} on {event_file}: {outcome.get('stackTrace')}\n{run.stderr}"
    return outcome


def allowed_roots(runtime_python: Path) -> list[Path]:
    stdlib = subprocess.run([str(runtime_python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"],
                            capture_output=True, text=True, check=True).stdout.strip()
    return [Path(stdlib), runtime_python.parent.parent / "lib"]


def test_every_handler_handles_a_fixture_event_from_the_artifact_alone(
    functions, runtime_python, emulator, local_plan, seed,
):
    by_id = {function.logical_id: function for function in functions}
    layer = functions[0].layer
    roots = allowed_roots(runtime_python)
    extensions = compiled_extensions(layer)
    imported: set[str] = set()
    ran: set[str] = set()

    def invoke(logical_id: str, event_file: str) -> Any:
        function = by_id[logical_id]
        outcome = invoke_built(function, event_file, runtime_python, emulator, local_plan)
        for module, file in outcome["modules"].items():
            if file is None:
                continue
            path = Path(file)
            inside = [root for root in (function.task_root, *function.layers, *roots) if path.is_relative_to(root)]
            assert inside, f"{logical_id} imported {module} from {file}: not the artifact nor the runtime"
            assert not (path.is_relative_to(roots[0]) and "site-packages" in path.parts), f"{module} from {file}"
        assert Path(outcome["modules"]["botocore"]).is_relative_to(runtime_python.parent.parent), "botocore: the runtime's"
        assert Path(outcome["modules"]["translate_jobs"]).is_relative_to(function.layer)
        if function.architecture != HOST_ARCHITECTURE:
            loaded = sorted(set(extensions) & set(outcome["modules"]))
            assert not loaded, f"{loaded} cannot load on {HOST_ARCHITECTURE}; what ran?"
        imported.update(outcome["modules"])
        ran.add(logical_id)
        return outcome["result"]

    # The job role the fixtures name, with the trust policy the README asks for (IAM is enforced by the stack).
    from translate_jobs_local.data_access import create_data_access_role

    create_data_access_role(boto3.client("iam", region_name=REGION, endpoint_url=emulator), "TranslateData",
                            service_account=ACCOUNT, job_account=ACCOUNT, input_buckets=["*"], output_buckets=["*"])
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=emulator)
    for bucket in ("input-docs", "output-docs"):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket="input-docs", Key="in/a.txt", Body=b"Hello\n")
    s3.put_object(Bucket="input-docs", Key="in/nested/b.txt", Body=b"World\n")
    s3.put_object(Bucket="translate-jobs-demo-input", Key="docs/hello.txt", Body=b"Hello, world\n")

    # Given the job the fixtures name, just submitted, and a job whose workflow vanished an hour ago
    seed("SUBMITTED", job_id=JOB_ID)
    seed("IN_PROGRESS", job_id=STALE_JOB_ID, submitted_time=time.time() - 3600)
    # The sweep finalizes the stale job and leaves the recent one alone
    assert invoke("SweepFunction", "sweep/scheduled.json") == {"Checked": 1, "Started": [], "Finalized": [STALE_JOB_ID]}
    # A stop message, then the reconciler on its timed-out execution
    assert invoke("StopRequestFunction", "stop-requests/eventbridge-stop.json") == {"JobStatus": "STOP_REQUESTED"}
    assert invoke("ReconcilerFunction", "reconciler/execution-timed-out.json") == {"Action": "FINALIZED", "JobStatus": "STOPPED"}

    # Given the job submitted again: the workflow's four tasks, in order, each on its fixture
    seed("SUBMITTED", job_id=JOB_ID)
    assert invoke("BeginJobFunction", "worker/begin_job.json") == {"Action": "RUN", "WaitSeconds": 0, "Polls": 0}
    assert invoke("PlanBatchesFunction", "worker/plan_batches.json") == {
        "ManifestBucket": local_plan.work_bucket, "ManifestKey": f"manifests/{ACCOUNT}/{JOB_ID}.jsonl", "BatchCount": 1,
        "Continuation": None,
    }
    assert invoke("TranslateBatchFunction", "worker/translate_batch.json") == {"Translated": 2, "Failed": 0, "Skipped": False}
    assert invoke("FinalizeJobFunction", "worker/finalize_job.json") == {"JobStatus": "COMPLETED"}
    output = f"out/{ACCOUNT}-TranslateText-{JOB_ID}/nested/fr.b.txt"
    assert s3.get_object(Bucket="output-docs", Key=output)["Body"].read() == b"[fr] World\n"

    assert invoke("JobEventsFunction", "stream/insert-submitted.json") == {"batchItemFailures": []}
    # TranslateText as the API function hands it on; a parallel data's deletion as its workflow does (none left: done)
    assert invoke("TranslateFunction", "translate/text.json") == {
        "TranslatedText": "[fr] Hello, world", "SourceLanguageCode": "en", "TargetLanguageCode": "fr",
    }
    assert invoke("ParallelDataFunction", "parallel-data/delete.json") == {"Outcome": "DELETED"}

    described = invoke("ApiFunction", "api/describe.json")
    assert described["statusCode"] == 200, described
    assert json.loads(described["body"])["TextTranslationJobProperties"]["JobStatus"] == "COMPLETED"
    started = invoke("ApiFunction", "api/start.json")
    assert started["statusCode"] == 200, started
    assert json.loads(started["body"])["JobStatus"] == "SUBMITTED"

    assert ran == set(by_id), f"not run from the artifact: {sorted(set(by_id) - ran)}"
    # Each compiled extension's package was imported and worked without it, or no handler imports it.
    for module in extensions:
        package = module.split(".")[0]
        print(f"{module}: {'imported, fallback used' if package in imported else 'never imported'} on {HOST_ARCHITECTURE}")


# ---------- the ctranslate2 engine, built (EngineLayer) ----------


def test_the_engine_layer_ships_ctranslate2_and_sentencepiece_for_the_functions_platform(functions):
    """What arm64 Lambda gets, checked here by its files (it cannot load on x86_64): the lock's two packages,
    wheels for aarch64 on a glibc Lambda's python3.13 runtime has (Amazon Linux 2023: 2.34), nothing else."""
    [engine] = [function for function in functions if function.logical_id == ENGINE_FUNCTION]
    layer = engine.layers[1]
    assert {path.name.split("-")[0].lower() for path in layer.glob("*.dist-info")} == {"ctranslate2", "sentencepiece"}
    assert not any((layer / name).exists() for name in ("numpy", "yaml", "boto3"))  # only for building models
    for wheel in layer.glob("*.dist-info/WHEEL"):
        tags = [line.split(": ", 1)[1] for line in wheel.read_text().splitlines() if line.startswith("Tag: ")]
        assert tags and all(tag.endswith(f"_{TRIPLET[engine.architecture]}") for tag in tags), (wheel, tags)
        glibc = [tuple(map(int, tag.split("manylinux_")[1].split("_")[:2])) for tag in tags if "manylinux_" in tag]
        assert glibc and min(glibc) <= (2, 34), (wheel, tags)
    assert compiled_extensions(layer), "ctranslate2 and sentencepiece are compiled: their .so files are in the layer"


@pytest.fixture(scope="module")
def engine_layer_for_this_machine(tmp_path_factory: pytest.TempPathFactory, runtime_python: Path) -> Path:
    """EngineLayer built by its own Makefile from the same requirements, for this machine's architecture (the
    arm64 one cannot load here): the line between what runs here and what is checked by its files."""
    if HOST_ARCHITECTURE == "arm64":
        return Path()  # the built layer itself loads
    out = tmp_path_factory.mktemp("engine-layer")
    subprocess.run(
        ["make", "-C", str(ROOT / "layers" / "engine"), "build-EngineLayer", f"ARTIFACTS_DIR={out}",
         f"PLATFORM=manylinux_2_28_{TRIPLET[HOST_ARCHITECTURE]}", f"PYTHON={runtime_python}"],
        check=True, capture_output=True, text=True, timeout=600,
    )
    return out / "python"


def test_the_built_batch_function_translates_with_an_argos_package_as_lambda_would(
    functions, runtime_python, emulator, local_plan, seed, argos_models, engine_layer_for_this_machine,
):
    """TranslateBatchFunction from the artifact (its code, SharedLayer as built, EngineLayer from the same lock
    for this machine) loads a CTranslate2 model and translates with the runtime's SDK alone (no numpy, no
    pyyaml): the output is CTranslate2's own. On arm64 the built EngineLayer itself is what runs."""
    from tests.support.argos import Direct

    [engine] = [function for function in functions if function.logical_id == ENGINE_FUNCTION]
    layers = engine.layers if engine.architecture == HOST_ARCHITECTURE else (engine.layer, engine_layer_for_this_machine)
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=emulator)
    for bucket in ("input-docs", "output-docs"):
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(Bucket=bucket)
    documents = {"in/engine/a.txt": "Hello, world!\n\nHow are you today?\n", "in/engine/b.txt": "The cat sat on the mat."}
    for key, text in documents.items():
        s3.put_object(Bucket="input-docs", Key=key, Body=text.encode())
    job_id = seed("IN_PROGRESS", job_id="e" * 32)
    event = tmp_event({"AccountId": ACCOUNT, "JobId": job_id, "Batch": 0, "Keys": sorted(documents)})
    environment = {"TRANSLATION_ENGINE": "ctranslate2", "TRANSLATION_MODELS": str(argos_models), "ENGINE_THREADS": "1"}

    outcome = invoke_built(engine, str(event), runtime_python, emulator, local_plan, layers=layers, environment=environment)

    assert outcome["result"] == {"Translated": 2, "Failed": 0, "Skipped": False}
    assert Path(outcome["modules"]["ctranslate2"]).is_relative_to(layers[1])
    assert not {"numpy", "yaml"} & set(outcome["modules"])
    direct = Direct(argos_models / "translate-en_fr")
    for key, text in documents.items():
        name = key.rsplit("/", 1)[1]
        written = s3.get_object(Bucket="output-docs", Key=f"out/{ACCOUNT}-TranslateText-{job_id}/engine/fr.{name}")
        assert written["Body"].read().decode() == direct.lines(text)


def tmp_event(event: dict[str, Any]) -> Path:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out:
        json.dump(event, out)
    return Path(out.name)
