"""The resources that customize translations (Amazon Translate's "Customizing your translations"): custom
terminologies and parallel data, each named per account, each with its tags.

Values only: the store (dal/customizations.py) turns its items into these, the API turns these into the
wire's TerminologyProperties and ParallelDataProperties (``requests.wire_members``).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from translate_jobs.domain.errors import InvalidParameterValueError, TooManyTagsError, shown

MAX_TAGS = 50  # per resource, those it has and those added (the model's TagResourceRequest.Tags)
RESERVED_TAG_PREFIX = "aws:"


class ResourceKind(StrEnum):
    """A taggable resource kind, as its ARN names it: arn:aws:translate:<region>:<account>:<kind>/<name>."""

    TERMINOLOGY = "terminology"
    PARALLEL_DATA = "parallel-data"


class ParallelDataStatus(StrEnum):
    CREATING = "CREATING"
    UPDATING = "UPDATING"
    ACTIVE = "ACTIVE"
    DELETING = "DELETING"
    FAILED = "FAILED"


def arn(region: str, account_id: str, kind: ResourceKind, name: str) -> str:
    return f"arn:aws:translate:{region}:{account_id}:{kind.value}/{name}"


@dataclass(frozen=True)
class ResourceArn:
    """A resource ARN a caller names (TagResource and its kin)."""

    account_id: str
    kind: ResourceKind
    name: str

    @classmethod
    def parse(cls, text: str) -> "ResourceArn":
        parts = text.split(":", 5)
        kind, _, name = parts[5].partition("/") if len(parts) == 6 else ("", "", "")
        known = kind in {member.value for member in ResourceKind}
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "translate" or not name or not known:
            raise InvalidParameterValueError(
                f"The ResourceArn {shown(text)} does not name a terminology or parallel data resource "
                "(arn:aws:translate:<region>:<account>:terminology/<name> or ...:parallel-data/<name>): only those can be tagged."
            )
        return cls(parts[4], ResourceKind(kind), name)


def merged_tags(existing: Mapping[str, str], added: Mapping[str, str]) -> dict[str, str]:
    """The tags a resource has once ``added`` are set (a key it has takes the new value); TooManyTagsError beyond
    MAX_TAGS, InvalidParameterValueError for a key AWS reserves."""
    reserved = [key for key in added if key.lower().startswith(RESERVED_TAG_PREFIX)]
    if reserved:
        raise InvalidParameterValueError(f"The tag key {shown(reserved[0])} is reserved: keys may not begin with aws:.")
    tags = {**existing, **added}
    if len(tags) > MAX_TAGS:
        raise TooManyTagsError(f"A resource may have at most {MAX_TAGS} tags; these would give it {len(tags)}.")
    return tags


@dataclass(frozen=True)
class Terminology:
    """A custom terminology: every TerminologyProperties member, plus where its terms are kept."""

    account_id: str
    name: str
    arn: str
    source_language_code: str
    target_language_codes: tuple[str, ...]
    format: str
    directionality: str
    size_bytes: int
    term_count: int
    skipped_term_count: int
    created_at: float
    last_updated_at: float
    version: str  # the import whose files are the terminology's (integrations/customization_data.py)
    description: str | None = None
    encryption_key: Mapping[str, Any] | None = None
    message: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ParallelDataImport:
    """What an import (CreateParallelData, UpdateParallelData) of parallel data made of its file."""

    source_language_code: str
    target_language_codes: tuple[str, ...]
    imported_data_size: int  # characters of the translation examples
    imported_record_count: int
    failed_record_count: int
    skipped_record_count: int
    shards: int  # the translation memory's shard files
    message: str | None = None


@dataclass(frozen=True)
class ParallelData:
    """A parallel data resource: every ParallelDataProperties member, plus the import under way, if any."""

    account_id: str
    name: str
    arn: str
    status: ParallelDataStatus
    parallel_data_config: Mapping[str, Any]
    created_at: float
    last_updated_at: float
    description: str | None = None
    encryption_key: Mapping[str, Any] | None = None
    message: str | None = None
    source_language_code: str | None = None
    target_language_codes: tuple[str, ...] | None = None
    imported_data_size: int | None = None
    imported_record_count: int | None = None
    failed_record_count: int | None = None
    skipped_record_count: int | None = None
    latest_update_attempt_status: ParallelDataStatus | None = None
    latest_update_attempt_at: float | None = None
    version: str | None = None  # the import in use (None until the first one succeeds)
    shards: int = 0
    pending_version: str | None = None  # the import under way (Create, Update), or the deletion's
    pending_config: Mapping[str, Any] | None = None
    pending_description: str | None = None
    request_fingerprint: str | None = None  # of the Create or Update that began the import under way
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def usable(self) -> bool:
        """A job can use it: an import succeeded (an update under way keeps the last one in use)."""
        return self.version is not None and self.status in (ParallelDataStatus.ACTIVE, ParallelDataStatus.UPDATING)
