"""The requests as typed values: built once, by the wire layer, from a request that passed validation.

The operations take these, never the request's dict; nested AWS structures the job keeps as they
came (InputDataConfig, OutputDataConfig, Settings) stay mappings of the wire's members.
"""

import base64
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, Self

from translate_jobs.api.validation import members, snake_case


class WireRequest(Protocol):
    """A typed request: built from the wire's members once they passed the model's validation."""

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> Self: ...


def wire_members(source: object, shape: str, leave_out: Collection[str] = ()) -> dict[str, Any]:
    """The members of the model's structure ``shape`` that ``source`` has a value for, read from its attributes
    of the same names in snake_case, as the wire carries them: tuples as lists, mappings as dicts, a nested
    value by its own ``as_wire()``. The model lists the members; nothing here lists them again."""
    found = {member: _wire_value(getattr(source, snake_case(member))) for member in members(shape) if member not in leave_out}
    return {member: value for member, value in found.items() if value is not None}


def _wire_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value.as_wire() if hasattr(value, "as_wire") else value


def _names(value: Any) -> tuple[str, ...]:
    return tuple(value or ())


@dataclass(frozen=True)
class StartTextTranslationJob:
    client_token: str
    input_data_config: Mapping[str, Any]
    output_data_config: Mapping[str, Any]
    data_access_role_arn: str
    source_language_code: str
    target_language_codes: tuple[str, ...]
    job_name: str | None = None
    terminology_names: tuple[str, ...] | None = None
    parallel_data_names: tuple[str, ...] | None = None
    settings: Mapping[str, Any] | None = None

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> "StartTextTranslationJob":
        terminology, parallel = request.get("TerminologyNames"), request.get("ParallelDataNames")
        return cls(
            client_token=request["ClientToken"],
            input_data_config=dict(request["InputDataConfig"]),
            output_data_config=dict(request["OutputDataConfig"]),
            data_access_role_arn=request["DataAccessRoleArn"],
            source_language_code=request["SourceLanguageCode"],
            target_language_codes=_names(request["TargetLanguageCodes"]),
            job_name=request.get("JobName"),
            terminology_names=None if terminology is None else _names(terminology),
            parallel_data_names=None if parallel is None else _names(parallel),
            settings=request.get("Settings"),
        )

    def parameters(self) -> dict[str, Any]:
        """The job's parameters under the wire's names (all but the ClientToken): what a retry must repeat."""
        return wire_members(self, "StartTextTranslationJobRequest", leave_out={"ClientToken"})


@dataclass(frozen=True)
class DescribeTextTranslationJob:
    job_id: str

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> "DescribeTextTranslationJob":
        return cls(request["JobId"])


@dataclass(frozen=True)
class StopTextTranslationJob:
    job_id: str

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> "StopTextTranslationJob":
        return cls(request["JobId"])


@dataclass(frozen=True)
class JobFilter:
    """List's Filter: at most one member may be set (dal/queries.py says which index answers it)."""

    job_name: str | None = None
    job_status: str | None = None
    submitted_before_time: float | None = None
    submitted_after_time: float | None = None

    @classmethod
    def from_request(cls, members: Mapping[str, Any]) -> "JobFilter":
        return cls(
            members.get("JobName"), members.get("JobStatus"), members.get("SubmittedBeforeTime"),
            members.get("SubmittedAfterTime"),
        )

    def members(self) -> dict[str, Any]:
        """The members that are set, under the wire's names (what queries and the NextToken's digest read)."""
        members = {
            "JobName": self.job_name,
            "JobStatus": self.job_status,
            "SubmittedBeforeTime": self.submitted_before_time,
            "SubmittedAfterTime": self.submitted_after_time,
        }
        return {name: value for name, value in members.items() if value is not None}


@dataclass(frozen=True)
class ListTextTranslationJobs:
    filter: JobFilter | None = None
    next_token: str | None = None
    max_results: int | None = None

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> "ListTextTranslationJobs":
        members = request.get("Filter")
        return cls(
            JobFilter.from_request(members) if members is not None else None,
            request.get("NextToken"),
            request.get("MaxResults"),
        )


# ---------- terminologies, parallel data, tags ----------


def _tags(members: Any) -> dict[str, str]:
    """A TagList as a mapping (a key given twice: the last value, as a later TagResource would leave it)."""
    return {tag["Key"]: tag["Value"] for tag in members or ()}


@dataclass(frozen=True)
class ImportTerminology:
    name: str
    merge_strategy: str
    file: bytes
    format: str
    directionality: str = "UNI"
    description: str | None = None
    encryption_key: Mapping[str, Any] | None = None
    tags: Mapping[str, str] | None = None

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> "ImportTerminology":
        data = request["TerminologyData"]
        return cls(
            name=request["Name"], merge_strategy=request["MergeStrategy"], file=base64.b64decode(data["File"]),
            format=data["Format"], directionality=data.get("Directionality") or "UNI",
            description=request.get("Description"), encryption_key=request.get("EncryptionKey"),
            tags=_tags(request["Tags"]) if request.get("Tags") is not None else None,
        )


@dataclass(frozen=True)
class GetTerminology:
    name: str
    terminology_data_format: str | None = None

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> "GetTerminology":
        return cls(request["Name"], request.get("TerminologyDataFormat"))


@dataclass(frozen=True)
class ResourceByName:
    """DeleteTerminology, GetParallelData, DeleteParallelData: a resource named."""

    name: str

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> "ResourceByName":
        return cls(request["Name"])


@dataclass(frozen=True)
class ListPage:
    """ListTerminologies, ListParallelData."""

    next_token: str | None = None
    max_results: int | None = None

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> "ListPage":
        return cls(request.get("NextToken"), request.get("MaxResults"))


@dataclass(frozen=True)
class CreateParallelData:
    name: str
    parallel_data_config: Mapping[str, Any]
    client_token: str
    description: str | None = None
    encryption_key: Mapping[str, Any] | None = None
    tags: Mapping[str, str] | None = None

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> "CreateParallelData":
        return cls(
            name=request["Name"], parallel_data_config=dict(request["ParallelDataConfig"]), client_token=request["ClientToken"],
            description=request.get("Description"), encryption_key=request.get("EncryptionKey"),
            tags=_tags(request["Tags"]) if request.get("Tags") is not None else None,
        )


@dataclass(frozen=True)
class UpdateParallelData:
    name: str
    parallel_data_config: Mapping[str, Any]
    client_token: str
    description: str | None = None

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> "UpdateParallelData":
        return cls(request["Name"], dict(request["ParallelDataConfig"]), request["ClientToken"], request.get("Description"))


@dataclass(frozen=True)
class TagResource:
    resource_arn: str
    tags: Mapping[str, str]

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> "TagResource":
        return cls(request["ResourceArn"], _tags(request["Tags"]))


@dataclass(frozen=True)
class UntagResource:
    resource_arn: str
    tag_keys: tuple[str, ...]

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> "UntagResource":
        return cls(request["ResourceArn"], _names(request["TagKeys"]))


@dataclass(frozen=True)
class ListTagsForResource:
    resource_arn: str

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> "ListTagsForResource":
        return cls(request["ResourceArn"])


# ---------- real-time translation, languages ----------


@dataclass(frozen=True)
class TranslateText:
    text: str
    source_language_code: str
    target_language_code: str
    terminology_names: tuple[str, ...] = ()
    settings: Mapping[str, Any] | None = None

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> "TranslateText":
        return cls(request["Text"], request["SourceLanguageCode"], request["TargetLanguageCode"],
                   _names(request.get("TerminologyNames")), request.get("Settings"))


@dataclass(frozen=True)
class TranslateDocument:
    content: bytes
    content_type: str
    source_language_code: str
    target_language_code: str
    terminology_names: tuple[str, ...] = ()
    settings: Mapping[str, Any] | None = None

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> "TranslateDocument":
        document = request["Document"]
        return cls(base64.b64decode(document["Content"]), document["ContentType"], request["SourceLanguageCode"],
                   request["TargetLanguageCode"], _names(request.get("TerminologyNames")), request.get("Settings"))


@dataclass(frozen=True)
class ListLanguages:
    display_language_code: str | None = None
    next_token: str | None = None
    max_results: int | None = None

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> "ListLanguages":
        return cls(request.get("DisplayLanguageCode"), request.get("NextToken"), request.get("MaxResults"))
