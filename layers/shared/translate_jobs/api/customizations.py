"""The operations on custom terminologies, parallel data and their tags (one signature: ``run(deps, caller,
request)``, listed in api/operations.py's OPERATIONS), and the check Start and TranslateText make of the names
they are given.

Terminologies are imported synchronously, as Amazon Translate's: the file is parsed, its files written under a
version of their own, then one conditional write makes that version the terminology's. Parallel data is
imported asynchronously: Create and Update write the resource (CREATING, or an update under way) and start
its workflow (workflow/parallel_data.py), which makes it ACTIVE or FAILED.
"""

import hashlib
import json
import time
import uuid
from typing import Any

from translate_jobs.api.dependencies import ApiDependencies
from translate_jobs.api.requests import (
    CreateParallelData,
    GetTerminology,
    ImportTerminology,
    ListPage,
    ListTagsForResource,
    ResourceByName,
    TagResource,
    UntagResource,
    UpdateParallelData,
    wire_members,
)
from translate_jobs.api.tokens import decode_name_token, encode_name_token
from translate_jobs.core.config import ConfigurationError
from translate_jobs.core.observability import logger
from translate_jobs.dal.customizations import CustomizationStore
from translate_jobs.domain.caller import Caller
from translate_jobs.domain.customization import (
    ParallelData,
    ParallelDataStatus,
    ResourceArn,
    ResourceKind,
    Terminology,
    arn,
    merged_tags,
)
from translate_jobs.domain.errors import (
    ConcurrentModificationError,
    ConflictError,
    InvalidParameterValueError,
    InvalidRequestError,
    ResourceNotFoundError,
    shown,
)
from translate_jobs.domain.terminology import Directionality, TerminologyFormat, parse_terminology
from translate_jobs.integrations.customization_data import CustomizationFiles, version_prefix

DEFAULT_MAX_RESULTS = 100
# Amazon Translate takes one terminology and one parallel data resource per job or request.
MOST_NAMES = 1


def _store(deps: ApiDependencies) -> CustomizationStore:
    if deps.customizations is None:
        raise ConfigurationError("Environment variable CUSTOMIZATIONS_TABLE_NAME must be set (see template.yaml).")
    return deps.customizations


def _files(deps: ApiDependencies) -> CustomizationFiles:
    if deps.customization_files is None:
        raise ConfigurationError("Environment variable CUSTOMIZATIONS_BUCKET must be set (see template.yaml).")
    return deps.customization_files


def _location(url: str) -> dict[str, str]:
    return {"RepositoryType": "S3", "Location": url}


# ---------- terminologies ----------


def import_terminology(deps: ApiDependencies, caller: Caller, request: ImportTerminology) -> dict[str, Any]:
    """Create the terminology, or (MergeStrategy OVERWRITE, the only one) replace the one of that name."""
    store, files = _store(deps), _files(deps)
    form, directionality = TerminologyFormat(request.format), Directionality(request.directionality)
    table = parse_terminology(request.file, form, directionality)  # InvalidParameterValueError: nothing written
    try:
        existing: Terminology | None = store.terminology(caller.account_id, request.name)
    except ResourceNotFoundError:
        existing = None
    tags = merged_tags(existing.tags if existing else {}, request.tags or {})
    now = round(time.time(), 3)
    version = uuid.uuid4().hex
    skipped = len(table.skipped)
    terminology = Terminology(
        account_id=caller.account_id, name=request.name,
        arn=arn(deps.settings.region, caller.account_id, ResourceKind.TERMINOLOGY, request.name),
        source_language_code=table.source_language, target_language_codes=table.target_languages, format=form.value,
        directionality=directionality.value, size_bytes=len(request.file), term_count=len(table.rows),
        skipped_term_count=skipped, created_at=existing.created_at if existing else now, last_updated_at=now,
        version=version, description=request.description, encryption_key=request.encryption_key,
        message=f"{skipped} terms were skipped: see AuxiliaryDataLocation." if skipped else None, tags=tags,
    )
    prefix = version_prefix(ResourceKind.TERMINOLOGY, caller.account_id, request.name, version)
    try:
        files.put_terminology(prefix, request.file, form, table, dict(request.encryption_key) if request.encryption_key else None)
        store.put_terminology(terminology, replaces=existing.version if existing else None)
    except BaseException as failure:
        _delete_files(files, prefix)  # this import's files: nothing else refers to them
        if isinstance(failure, ConflictError):  # another import created it between our read and our write
            raise ConcurrentModificationError(
                f"The terminology {request.name} was created by another request while this one imported it; try again."
            ) from None
        raise
    if existing is not None:
        _delete_files(files, version_prefix(ResourceKind.TERMINOLOGY, caller.account_id, existing.name, existing.version))
    return {"TerminologyProperties": terminology_properties(terminology), **_auxiliary(files, terminology, prefix)}


def get_terminology(deps: ApiDependencies, caller: Caller, request: GetTerminology) -> dict[str, Any]:
    terminology = _store(deps).terminology(caller.account_id, request.name)
    asked = request.terminology_data_format
    if asked not in (None, terminology.format) and terminology.directionality == Directionality.MULTI:
        raise InvalidParameterValueError(
            f"The terminology {terminology.name} is multi-directional: it can be downloaded only as it was imported "
            f"({terminology.format}), not as {asked}."
        )
    files = _files(deps)
    prefix = version_prefix(ResourceKind.TERMINOLOGY, caller.account_id, terminology.name, terminology.version)
    return {
        "TerminologyProperties": terminology_properties(terminology),
        "TerminologyDataLocation": _location(files.terminology_download(prefix, terminology.format, asked)),
        **_auxiliary(files, terminology, prefix),
    }


def list_terminologies(deps: ApiDependencies, caller: Caller, request: ListPage) -> dict[str, Any]:
    return _page(deps, caller, request, "terminologies", "TerminologyPropertiesList", _store(deps).terminologies,
                 terminology_properties)


def delete_terminology(deps: ApiDependencies, caller: Caller, request: ResourceByName) -> dict[str, Any]:
    deleted = _store(deps).delete_terminology(caller.account_id, request.name)
    _delete_files(_files(deps), version_prefix(ResourceKind.TERMINOLOGY, caller.account_id, deleted.name, deleted.version))
    return {}


def terminology_properties(terminology: Terminology) -> dict[str, Any]:
    return wire_members(terminology, "TerminologyProperties")


def _auxiliary(files: CustomizationFiles, terminology: Terminology, prefix: str) -> dict[str, Any]:
    """AuxiliaryDataLocation: the terms the import skipped, and why (only when it skipped some)."""
    if not terminology.skipped_term_count:
        return {}
    return {"AuxiliaryDataLocation": _location(files.presigned(prefix + "auxiliary.json"))}


def _delete_files(files: CustomizationFiles, prefix: str) -> None:
    """A replaced or deleted version's files. The resource is already right without them: a failure here leaves
    only unreferenced files (logged, for whoever runs the service), never a wrong answer."""
    try:
        files.delete_prefix(prefix)
    except Exception as exc:  # noqa: BLE001 - the request succeeded; what is left is logged
        logger.warning("Could not delete a replaced version's files", extra={"prefix": prefix, "error": str(exc)})


# ---------- parallel data ----------


def create_parallel_data(deps: ApiDependencies, caller: Caller, request: CreateParallelData) -> dict[str, Any]:
    store = _store(deps)
    config = _checked_config(deps, caller, request.parallel_data_config)
    tags = merged_tags({}, request.tags or {})
    version = _version(caller.account_id, request.name, "create", request.client_token)
    fingerprint = _fingerprint(request.name, config, request.description, request.encryption_key, tags)
    now = round(time.time(), 3)
    parallel_data = ParallelData(
        account_id=caller.account_id, name=request.name,
        arn=arn(deps.settings.region, caller.account_id, ResourceKind.PARALLEL_DATA, request.name),
        status=ParallelDataStatus.CREATING, parallel_data_config=config, created_at=now, last_updated_at=now,
        description=request.description, encryption_key=request.encryption_key, pending_version=version,
        request_fingerprint=fingerprint, tags=tags,
    )
    stored, created = store.create_parallel_data(parallel_data)
    if not created and not (stored.request_fingerprint == fingerprint and version in (stored.pending_version, stored.version)):
        raise ConflictError(
            f"A parallel data resource named {request.name} exists already in your account. Use another name, "
            "or UpdateParallelData to import a new file into it."
        )
    if stored.status == ParallelDataStatus.CREATING:  # also on a retry: a Create that wrote the item, then failed
        _launcher(deps)(caller.account_id, request.name, version, "IMPORT")
    return {"Name": stored.name, "Status": stored.status.value}


def update_parallel_data(deps: ApiDependencies, caller: Caller, request: UpdateParallelData) -> dict[str, Any]:
    config = _checked_config(deps, caller, request.parallel_data_config)
    version = _version(caller.account_id, request.name, "update", request.client_token)
    fingerprint = _fingerprint(request.name, config, request.description)
    updating = _store(deps).begin_update(
        caller.account_id, request.name, version, config, request.description, fingerprint, now=round(time.time(), 3)
    )
    if updating.request_fingerprint != fingerprint and updating.pending_version == version:
        raise InvalidRequestError(
            f"ClientToken {request.client_token} was already used to update {request.name} with different parameters."
        )
    if updating.pending_version == version:
        _launcher(deps)(caller.account_id, request.name, version, "IMPORT")
    response: dict[str, Any] = {"Name": updating.name, "Status": updating.status.value}
    if updating.latest_update_attempt_status is not None:
        response["LatestUpdateAttemptStatus"] = updating.latest_update_attempt_status.value
    if updating.latest_update_attempt_at is not None:
        response["LatestUpdateAttemptAt"] = updating.latest_update_attempt_at
    return response


def get_parallel_data(deps: ApiDependencies, caller: Caller, request: ResourceByName) -> dict[str, Any]:
    parallel_data = _store(deps).parallel_data(caller.account_id, request.name)
    response: dict[str, Any] = {"ParallelDataProperties": parallel_data_properties(parallel_data)}
    if parallel_data.version is not None and parallel_data.status != ParallelDataStatus.DELETING:
        files = _files(deps)
        prefix = version_prefix(ResourceKind.PARALLEL_DATA, caller.account_id, parallel_data.name, parallel_data.version)
        form = str(parallel_data.parallel_data_config.get("Format", "")).lower()
        response["DataLocation"] = _location(files.presigned(f"{prefix}input.{form}"))
        if (parallel_data.skipped_record_count or 0) + (parallel_data.failed_record_count or 0):
            response["AuxiliaryDataLocation"] = _location(files.presigned(prefix + "auxiliary.json"))
    return response


def list_parallel_data(deps: ApiDependencies, caller: Caller, request: ListPage) -> dict[str, Any]:
    return _page(deps, caller, request, "parallel-data", "ParallelDataPropertiesList", _store(deps).parallel_data_page,
                 parallel_data_properties)


def _page(deps: ApiDependencies, caller: Caller, request: ListPage, listing: str, member: str, fetch: Any,
          properties: Any) -> dict[str, Any]:
    """One page of the account's resources, in name order (``fetch(account, limit, after)``), with a signed NextToken
    bound to the account and the listing (api/tokens.py)."""
    secret, now, token = deps.settings.pagination_secret(), time.time(), request.next_token
    after = decode_name_token(secret, caller.account_id, listing, token, now=now) if token else None
    found, last = fetch(caller.account_id, request.max_results or DEFAULT_MAX_RESULTS, after)
    response: dict[str, Any] = {member: [properties(item) for item in found]}
    if last is not None:
        response["NextToken"] = encode_name_token(secret, caller.account_id, listing, last, now=now)
    return response


def delete_parallel_data(deps: ApiDependencies, caller: Caller, request: ResourceByName) -> dict[str, Any]:
    """DELETING at once; its workflow deletes its files, then the resource."""
    deleting = _store(deps).begin_delete(caller.account_id, request.name)
    _launcher(deps)(caller.account_id, request.name, f"{deleting.created_at}", "DELETE")
    return {"Name": deleting.name, "Status": deleting.status.value}


def parallel_data_properties(parallel_data: ParallelData) -> dict[str, Any]:
    return wire_members(parallel_data, "ParallelDataProperties")


def _checked_config(deps: ApiDependencies, caller: Caller, config: Any) -> dict[str, str]:
    """The file's S3Uri and Format (the model makes both optional; an import needs both), once the caller is seen
    to be allowed to read it: Translate reads it with the caller's rights, as Amazon Translate does."""
    missing = [member for member in ("S3Uri", "Format") if not config.get(member)]
    if missing:
        raise InvalidParameterValueError(f"ParallelDataConfig needs {' and '.join(missing)}: the file to import and its format.")
    from translate_jobs.integrations.s3_as_role import check_caller_may_read  # boto3: only these operations need it

    check_caller_may_read(deps.iam, caller.account_id, caller.principal, str(config["S3Uri"]))
    return {"S3Uri": str(config["S3Uri"]), "Format": str(config["Format"])}


def _launcher(deps: ApiDependencies) -> Any:
    if deps.parallel_data_launcher is None:
        raise ConfigurationError("Environment variable PARALLEL_DATA_STATE_MACHINE_ARN must be set (see template.yaml).")
    return deps.parallel_data_launcher


def _version(account_id: str, name: str, what: str, token: str) -> str:
    """An import's id, from the request's ClientToken: a retried request is the same import."""
    return hashlib.sha256(f"{account_id}:{name}:{what}:{token}".encode()).hexdigest()[:32]


def _fingerprint(*parameters: Any) -> str:
    return hashlib.sha256(json.dumps(parameters, sort_keys=True, default=dict).encode()).hexdigest()


# ---------- tags ----------


def tag_resource(deps: ApiDependencies, caller: Caller, request: TagResource) -> dict[str, Any]:
    store, target = _store(deps), _resource(caller, request.resource_arn)
    existing = store.tags(caller.account_id, target.kind, target.name)
    store.set_tags(caller.account_id, target.kind, target.name, merged_tags(existing, request.tags), expected=existing)
    return {}


def untag_resource(deps: ApiDependencies, caller: Caller, request: UntagResource) -> dict[str, Any]:
    store, target = _store(deps), _resource(caller, request.resource_arn)
    existing = store.tags(caller.account_id, target.kind, target.name)
    kept = {key: value for key, value in existing.items() if key not in request.tag_keys}
    if kept != existing:
        store.set_tags(caller.account_id, target.kind, target.name, kept, expected=existing)
    return {}


def list_tags_for_resource(deps: ApiDependencies, caller: Caller, request: ListTagsForResource) -> dict[str, Any]:
    target = _resource(caller, request.resource_arn)
    tags = _store(deps).tags(caller.account_id, target.kind, target.name)
    return {"Tags": [{"Key": key, "Value": value} for key, value in tags.items()]}


def _resource(caller: Caller, text: str) -> ResourceArn:
    """The resource an ARN names, in the caller's account (another account's looks like none)."""
    target = ResourceArn.parse(text)
    if target.account_id != caller.account_id:
        raise ResourceNotFoundError(f"The resource {shown(text)} was not found in your account.")
    return target


# ---------- what Start and TranslateText name ----------


def check_customizations(deps: ApiDependencies, caller: Caller, terminology_names: Any, parallel_data_names: Any = ()) -> None:
    """The names a job (or a translation) asks for exist in the caller's account and can be used, as Amazon
    Translate checks them: ResourceNotFoundException for a name it does not have."""
    for names, what in ((terminology_names, "custom terminology"), (parallel_data_names, "parallel data")):
        if len(names or ()) > MOST_NAMES:
            raise InvalidRequestError(f"A request may name at most {MOST_NAMES} {what} resource; it named {len(names)}.")
    store = _store(deps) if terminology_names or parallel_data_names else None
    for name in terminology_names or ():
        assert store is not None
        store.terminology(caller.account_id, name)
    for name in parallel_data_names or ():
        assert store is not None
        parallel_data = store.parallel_data(caller.account_id, name)
        if not parallel_data.usable:
            raise InvalidRequestError(
                f"The parallel data {name} is {parallel_data.status.value}: a job can use it once it is ACTIVE "
                "(GetParallelData says why an import failed)."
            )
