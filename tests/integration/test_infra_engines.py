"""The engines' part of template.yaml as SAM turns it into CloudFormation (SAM CLI's own translator): the
engine layer on the functions that translate (TranslateBatchFunction, TranslateFunction) only, and each engine's
permission and shape only with that engine."""

import json
import re
from typing import Any

from local_stack.template import cloudformation as sam_transform


def test_only_the_functions_that_translate_carry_the_engine_layer_after_the_shared_one():
    resources = sam_transform()["Resources"]
    functions = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    # SAM names each layer version after its content (a hash suffix)
    layers = {
        name: [re.sub("[0-9a-f]{10}$", "", layer["Ref"]) for layer in props.get("Layers", [])]
        for name, props in functions.items()
    }
    for translating in ("TranslateBatchFunction", "TranslateFunction"):  # a job's batches; TranslateText, TranslateDocument
        assert layers.pop(translating) == ["SharedLayer", "EngineLayer"]
        assert functions[translating]["MemorySize"] == {"Fn::If": ["UseCTranslate2", 1769, 1024]}
        storage = {"Fn::If": ["UseCTranslate2", {"Size": 4096}, {"Ref": "AWS::NoValue"}]}
        assert functions[translating]["EphemeralStorage"] == storage
    assert set(map(tuple, layers.values())) == {("SharedLayer",)}


def conditional_policies(resources: dict[str, Any], role: str) -> dict[str, list[dict[str, Any]]]:
    """A role's policies that hold only under a condition: condition -> their statements."""
    found: dict[str, list[dict[str, Any]]] = {}
    for policy in resources[role]["Properties"]["Policies"]:
        if "Fn::If" in policy:
            condition, when_true, when_false = policy["Fn::If"]
            assert when_false == {"Ref": "AWS::NoValue"}
            found[condition] = when_true["PolicyDocument"]["Statement"]
    return found


def test_each_engines_permission_is_granted_only_with_that_engine():
    resources = sam_transform()["Resources"]
    batch = conditional_policies(resources, "TranslateBatchFunctionRole")
    assert set(batch) == {"UseAmazonTranslate", "UseBedrock", "ModelsInS3"}
    [invoke] = batch["UseBedrock"]
    assert invoke["Action"] == "bedrock:InvokeModel"
    assert "foundation-model/${BedrockModelId}" in json.dumps(invoke["Resource"])
    assert [statement["Action"] for statement in batch["ModelsInS3"]] == ["s3:ListBucket", "s3:GetObject"]
    assert conditional_policies(resources, "TranslateFunctionRole") == batch  # the same engine, for requests
    api = conditional_policies(resources, "ApiFunctionRole")
    assert set(api) == {"ModelsInS3"} and api["ModelsInS3"] == batch["ModelsInS3"]  # Start reads the packages' list
    for role in ("BeginJobFunctionRole", "PlanBatchesFunctionRole", "FinalizeJobFunctionRole"):
        assert conditional_policies(resources, role) == {}
