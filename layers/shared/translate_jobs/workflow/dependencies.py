"""What the workflow's steps, the reconciler and the sweep are given: the function's settings, its store
and its clients, built once per execution environment by the function's module (functions/worker/worker.py,
functions/events/events.py) and passed to every call. Tests build their own, or inject fakes."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.config import Config

from translate_jobs.core.clients import OnFirstUse
from translate_jobs.core.config import Settings
from translate_jobs.dal.customizations import CustomizationStore
from translate_jobs.dal.interfaces import WorkflowJobStore
from translate_jobs.dal.store import JobStore
from translate_jobs.integrations.customization_data import CustomizationFiles, VersionCache
from translate_jobs.integrations.engines import Engine, build_engine
from translate_jobs.integrations.s3_as_role import JobRoles
from translate_jobs.workflow.launcher import WorkflowLauncher

RESULT_READERS = 16  # FinalizeJob's concurrent GetObjects of the batches' result fragments


@dataclass
class WorkflowDependencies:
    settings: Settings
    store: WorkflowJobStore
    sfn: Any  # Step Functions: a queued job continuing in a new execution, the sweep's DescribeExecution
    work_s3: Any  # the service's own S3, for its work bucket only
    job_roles: JobRoles  # S3 as each job's DataAccessRoleArn
    engine: Engine  # the translation engine (TranslationEngine), with its clients and loaded models
    launcher: Callable[[str, str], None]  # starts a job's workflow (the sweep)
    # Terminologies and parallel data (their items, their files): what jobs apply, what ParallelDataFunction imports.
    customizations: CustomizationStore | None = None
    customization_files: CustomizationFiles | None = None
    customization_cache: VersionCache | None = None  # terms and memory shards a container has read, by version

    @classmethod
    def from_settings(cls, settings: Settings) -> "WorkflowDependencies":
        """The store and the clients of these settings; each client is made on its first use."""
        sfn = OnFirstUse("stepfunctions", settings.region)
        bucket = settings.customizations_bucket
        files = CustomizationFiles(OnFirstUse("s3", settings.region), bucket) if bucket else None
        return cls(
            settings=settings,
            store=JobStore(settings),
            sfn=sfn,
            # A connection for each of FinalizeJob's readers.
            work_s3=OnFirstUse("s3", settings.region, Config(max_pool_connections=RESULT_READERS)),
            job_roles=JobRoles(settings.region),
            engine=build_engine(settings.engine, lambda service, config=None: OnFirstUse(service, settings.region, config)),
            launcher=WorkflowLauncher(sfn, settings.state_machine_arn),
            customizations=CustomizationStore(settings) if settings.customizations_table_name else None,
            customization_files=files,
            customization_cache=VersionCache(files) if files else None,
        )
