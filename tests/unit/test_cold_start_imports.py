"""The API function's cold start imports what Stop needs, no more (issue 13; the time is `make bench`'s).

Each module kept out here was measured in the cold start of the API function: boto3 (~40 ms of CPU; only
Start and List make boto3 clients), Powertools' event_handler (~90 ms; the function needs none of its
resolvers) and data_classes (~30 ms: all ~40 event classes), and the XML parsers of Office
documents (the worker's). A fresh interpreter imports the handler module as Lambda's init does.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEPT_OUT = ("boto3", "aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.data_classes",
            "defusedxml", "translate_jobs.integrations.office", "translate_jobs.integrations.s3_as_role")


def modules_after_import(handler_file: Path) -> set[str]:
    code = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('handler', {str(handler_file)!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {"PATH": os.environ.get("PATH", ""), "JOBS_TABLE_NAME": "jobs", "AWS_REGION": "us-east-1",
           "POWERTOOLS_SERVICE_NAME": "translate-jobs", "POWERTOOLS_METRICS_NAMESPACE": "TranslateJobs",
           "PYTHONPATH": f"{ROOT / 'layers' / 'shared'}:{handler_file.parent}"}
    child = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return set(json.loads(child.stdout.strip().splitlines()[-1]))


def test_the_api_function_imports_only_what_stop_needs():
    loaded = modules_after_import(ROOT / "functions" / "api" / "api.py")
    assert "translate_jobs.api.operations" in loaded and "pynamodb" in loaded  # it did import the handler
    assert sorted(name for name in loaded if name.startswith(KEPT_OUT)) == []
