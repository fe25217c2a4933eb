"""What the API's operations are given: the API function's settings, its store and its clients, built once
per execution environment by functions/api/api.py and passed to every request. Tests build their own, or
inject fakes (an in-memory store, a launcher that records)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from translate_jobs.core.clients import OnFirstUse
from translate_jobs.core.config import Settings
from translate_jobs.dal.interfaces import ApiJobStore
from translate_jobs.dal.store import JobStore
from translate_jobs.integrations.engines import Engine, PseudoEngine, build_engine
from translate_jobs.workflow.launcher import WorkflowLauncher


@dataclass
class ApiDependencies:
    settings: Settings
    store: ApiJobStore
    launcher: Callable[[str, str], None]  # Start: the job's workflow execution
    iam: Any  # Start: may the caller pass the job's role (IAM's policy simulator)
    # Start: does the engine translate the job's language pairs (nothing is loaded until asked). Fakes that
    # never Start may leave it out.
    engine: Engine = field(default_factory=PseudoEngine)

    @classmethod
    def from_settings(cls, settings: Settings) -> "ApiDependencies":
        """The store and the clients of these settings; each client is made on its first use."""
        return cls(
            settings=settings,
            store=JobStore(settings),
            launcher=WorkflowLauncher(OnFirstUse("stepfunctions", settings.region), settings.state_machine_arn),
            iam=OnFirstUse("iam", settings.region),
            engine=build_engine(settings.engine, lambda service, config=None: OnFirstUse(service, settings.region, config)),
        )
