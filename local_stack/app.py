"""What the emulator is told about the SAM application it runs, beyond its template.

Everything local_stack knows of one application is an ``App``, handed in from the top (translate-jobs':
``python -m translate_jobs_local``, the tests): the rooms below read its fields and never import the application. An App
with only its defaults runs any SAM template: its stack name is samconfig.toml's (as ``sam deploy``
reads it), its HTTP API accepts API Gateway's own signing name, and nothing else is added.
"""

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_stack.template import TEMPLATE_PATH


@dataclass(frozen=True)
class EventsQueue:
    """A queue that receives every event a rule on ``bus`` (a logical id) matches, so a user can read them."""

    name: str
    bus: str
    pattern: dict[str, Any]


@dataclass(frozen=True)
class EventMirror:
    """Events an AWS service would publish on the default bus for events the application puts on its own bus
    (a deployed stack cannot: AWS reserves ``aws.*`` sources): those on ``bus`` (a logical id) with this
    source and detail-type and ``detail[field]`` in ``values`` are put again on the default bus as ``as_source``."""

    bus: str
    source: str
    detail_type: str
    field: str
    values: frozenset[str]
    as_source: str


@dataclass(frozen=True)
class FaultTargets:
    """Where injected faults land (local_stack.faults): the functions a workflow invokes (which may time out),
    and the function whose invocations may die right before writing an output (an S3 PutObject outside the
    bucket named by the ``scratch_bucket_variable`` environment variable), after writing one."""

    tasks: frozenset[str] = frozenset()
    writer: str = ""
    scratch_bucket_variable: str = ""


@dataclass(frozen=True)
class App:
    template: Path = TEMPLATE_PATH
    parameter_defaults: dict[str, str] = field(default_factory=dict)  # locally, unless overridden
    signing_names: tuple[str, ...] = ("execute-api",)  # the SigV4 service names the HTTP API accepts
    named: dict[str, str] = field(default_factory=dict)  # a Stack attribute -> the logical id whose Ref it is
    events_queue: EventsQueue | None = None
    mirrors: tuple[EventMirror, ...] = ()
    faults: FaultTargets = FaultTargets()
    # the provisioned stack -> more retention steps (local_stack.retention: each called with the Sweep and now)
    retention_steps: Callable[[Any], tuple[Callable[..., None], ...]] | None = None
    prepare: Callable[[Any, str], None] | None = None  # after provisioning (stack, region): demo resources and such
    # An environment variable the functions are given the emulator's URL in, for the links they hand out (presigned
    # URLs a caller fetches): in-process they reach moto without it, a caller cannot.
    emulator_url_variable: str = ""
    # What the application authorizes of a request beyond API Gateway's IAM authorizer, given its caller, method,
    # path, headers and body; it raises local_stack.authorizer.AuthorizationError to refuse (a 403 with its type).
    authorize: Callable[[Any, str, str, dict[str, str], bytes], None] | None = None
    banner: Callable[[Any], str] | None = None  # what `make run` prints once ready (the LocalStack)
    # Added to the notice over an emulator this stack did not start, where the workflows' functions only echo.
    external_emulator_note: str = ""

    @property
    def stack_name(self) -> str:
        """As `sam deploy` reads it: samconfig.toml beside the template (default environment), else the folder's name."""
        config = self.root / "samconfig.toml"
        if config.exists():
            name = tomllib.loads(config.read_text()).get("default", {}).get("global", {}).get("parameters", {}).get("stack_name")
            if name:
                return str(name)
        return self.root.name

    @property
    def root(self) -> Path:
        """Where the template's code paths (CodeUri, DefinitionUri) start."""
        return self.template.parent
