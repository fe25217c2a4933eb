"""The translation engine, checked when `make run` starts (docs/engines.md): a folder of models as an absolute
path, and an engine that can translate from here; moto has neither Translate nor Bedrock, so `amazon` and
`bedrock` would fail every job: `make run` says so at start-up instead."""

from pathlib import Path
from typing import Any

from local_stack.iam.credentials import acting_as

ENGINE_FUNCTION = "TranslateBatchFunction"


def with_absolute_models(parameters: dict[str, str]) -> dict[str, str]:
    """TranslationModels given as a folder, made absolute (the template takes s3://... or an absolute path)."""
    models = parameters.get("TranslationModels", "")
    if models and not models.startswith("s3://"):
        return {**parameters, "TranslationModels": str(Path(models).expanduser().resolve())}
    return parameters


def engine_problem(stack: Any, parameters: dict[str, str]) -> tuple[str | None, str | None]:
    """(why the engine cannot translate here, or None; a note for the banner, or None). Asked as the engine's
    function would ask (its execution environment, its role)."""
    engine_name = parameters.get("TranslationEngine", "pseudo")
    if engine_name == "pseudo":
        return None, None
    runtime = stack.runtime
    function = runtime.find(ENGINE_FUNCTION)
    engine = runtime.dependencies(function.logical_id).engine
    with acting_as(runtime.credentials(function) if runtime.credentials else None):
        problem = engine.problem()
        described = engine.describe_pairs() if problem is None and hasattr(engine, "describe_pairs") else None
    if problem is None:
        return None, f"engine {engine_name}: {described}" if described else f"engine {engine_name}"
    if engine_name == "ctranslate2" and parameters.get("TranslationModels", "").startswith("s3://"):
        return None, f"engine ctranslate2: {problem} Upload Argos packages there (docs/engines.md); Start finds them."
    if engine_name in ("amazon", "bedrock"):
        service = "Amazon Translate's TranslateText" if engine_name == "amazon" else "Amazon Bedrock's Converse API"
        variable = "AWS_ENDPOINT_URL_TRANSLATE" if engine_name == "amazon" else "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"
        return (
            f"TranslationEngine={engine_name} needs {service}, which the local emulator (moto) does not have, so "
            f"every job would fail ({problem.rstrip('.')}). Deploy to AWS to use it (make deploy), or point {variable} at a "
            "server that implements it; locally, use TranslationEngine=pseudo or ctranslate2 (docs/engines.md).",
            None,
        )
    return problem, None
