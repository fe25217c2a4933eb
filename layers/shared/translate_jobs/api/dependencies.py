"""What the API's operations are given: the API function's settings, its store and its clients, built once
per execution environment by functions/api/api.py and passed to every request. Tests build their own, or
inject fakes (an in-memory store, a launcher that records)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config

from translate_jobs.core.clients import OnFirstUse
from translate_jobs.core.config import Settings
from translate_jobs.dal.customizations import CustomizationStore
from translate_jobs.dal.interfaces import ApiJobStore
from translate_jobs.dal.store import JobStore
from translate_jobs.integrations.customization_data import CustomizationFiles
from translate_jobs.integrations.engines import Engine, PseudoEngine, build_engine
from translate_jobs.workflow.launcher import FunctionTranslator, WorkflowLauncher
from translate_jobs.workflow.parallel_data import ParallelDataLauncher


@dataclass
class ApiDependencies:
    settings: Settings
    store: ApiJobStore
    launcher: Callable[[str, str], None]  # Start: the job's workflow execution
    iam: Any  # Start: may the caller pass the job's role (IAM's policy simulator)
    # Start: does the engine translate the job's language pairs (nothing is loaded until asked). Fakes that
    # never Start may leave it out.
    engine: Engine = field(default_factory=PseudoEngine)
    # Terminologies and parallel data: their store, their files, the workflow that imports parallel data.
    customizations: CustomizationStore | None = None
    customization_files: CustomizationFiles | None = None
    parallel_data_launcher: Callable[[str, str, str, str], None] | None = None
    # TranslateText and TranslateDocument: (operation, account, request) -> the answer of TranslateFunction
    translator: Callable[[str, str, dict[str, Any]], dict[str, Any]] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "ApiDependencies":
        """The store and the clients of these settings; each client is made on its first use."""
        sfn = OnFirstUse("stepfunctions", settings.region)
        files = None
        if settings.customizations_bucket:
            presigner = OnFirstUse("s3", settings.region, endpoint_url=settings.presigned_s3_endpoint)
            files = CustomizationFiles(OnFirstUse("s3", settings.region), settings.customizations_bucket, presigner)
        return cls(
            settings=settings,
            store=JobStore(settings),
            launcher=WorkflowLauncher(sfn, settings.state_machine_arn),
            iam=OnFirstUse("iam", settings.region),
            engine=build_engine(settings.engine, lambda service, config=None: OnFirstUse(service, settings.region, config)),
            customizations=CustomizationStore(settings) if settings.customizations_table_name else None,
            customization_files=files,
            parallel_data_launcher=ParallelDataLauncher(sfn, settings.parallel_data_state_machine_arn),
            # Its answer may take as long as the engine needs: up to TranslateFunction's timeout, not botocore's 60 s.
            translator=FunctionTranslator(
                OnFirstUse("lambda", settings.region, Config(read_timeout=60, retries={"mode": "standard"})),
                settings.translate_function_name,
            ),
        )
