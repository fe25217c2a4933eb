"""The customizations table (template.yaml CustomizationsTable): each account's terminologies and parallel data.

One item per resource, keyed by the account and ``<kind>#<name>`` (``terminology#brand-names``,
``parallel-data#support-tm``; a name cannot hold ``#``), so another account's resource is indistinguishable
from a missing one and a List is one Query on the key's prefix, in name order. One more item per account,
``#usage``, counts its resources: it changes only in the transaction that creates or deletes one, so the
account's quotas (100 terminologies, 1,000 parallel data) cannot drift.

Every write is conditional (a resource's state is its condition); a failed condition returns the old item
(``ALL_OLD``), so the caller learns why in the same request. Storage errors leave as domain errors.
"""

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from translate_jobs.core.config import Settings
from translate_jobs.dal.store import _bind, _storage_errors, _transact_part, transact
from translate_jobs.domain.customization import ParallelData, ParallelDataImport, ParallelDataStatus, ResourceKind, Terminology
from translate_jobs.domain.errors import (
    ConcurrentModificationError,
    ConflictError,
    LimitExceededError,
    ResourceNotFoundError,
)

USAGE_KEY = "#usage"
USAGE_COUNTERS = {ResourceKind.TERMINOLOGY: "Terminologies", ResourceKind.PARALLEL_DATA: "ParallelData"}
NOUNS = {ResourceKind.TERMINOLOGY: "terminology", ResourceKind.PARALLEL_DATA: "parallel data"}
BUSY = (ParallelDataStatus.CREATING, ParallelDataStatus.DELETING)


def resource_key(kind: ResourceKind, name: str) -> str:
    return f"{kind.value}#{name}"


def not_found(kind: ResourceKind, name: str) -> ResourceNotFoundError:
    return ResourceNotFoundError(f"The {NOUNS[kind]} {name} was not found in your account.")


class CustomizationRecord(Model):
    """A terminology or a parallel data resource (the members of its Properties, plus its files' version)."""

    class Meta:
        table_name = "translate-jobs-customizations"  # the function's CUSTOMIZATIONS_TABLE_NAME, set by the store

    account_id = UnicodeAttribute(hash_key=True, attr_name="AccountId")
    resource_key = UnicodeAttribute(range_key=True, attr_name="ResourceKey")
    name = UnicodeAttribute(attr_name="Name")
    arn = UnicodeAttribute(attr_name="Arn")
    description = UnicodeAttribute(null=True, attr_name="Description")
    encryption_key = MapAttribute(null=True, attr_name="EncryptionKey")  # type: ignore[var-annotated]
    message = UnicodeAttribute(null=True, attr_name="Message")
    source_language_code = UnicodeAttribute(null=True, attr_name="SourceLanguageCode")
    target_language_codes = ListAttribute(of=UnicodeAttribute, null=True, attr_name="TargetLanguageCodes")  # type: ignore[var-annotated]
    created_at = NumberAttribute(attr_name="CreatedAt")
    last_updated_at = NumberAttribute(attr_name="LastUpdatedAt")
    tags = MapAttribute(null=True, attr_name="Tags")  # type: ignore[var-annotated]
    version = UnicodeAttribute(null=True, attr_name="Version")
    # Terminology
    format = UnicodeAttribute(null=True, attr_name="Format")
    directionality = UnicodeAttribute(null=True, attr_name="Directionality")
    size_bytes = NumberAttribute(null=True, attr_name="SizeBytes")
    term_count = NumberAttribute(null=True, attr_name="TermCount")
    skipped_term_count = NumberAttribute(null=True, attr_name="SkippedTermCount")
    # Parallel data
    status = UnicodeAttribute(null=True, attr_name="Status")
    parallel_data_config = MapAttribute(null=True, attr_name="ParallelDataConfig")  # type: ignore[var-annotated]
    imported_data_size = NumberAttribute(null=True, attr_name="ImportedDataSize")
    imported_record_count = NumberAttribute(null=True, attr_name="ImportedRecordCount")
    failed_record_count = NumberAttribute(null=True, attr_name="FailedRecordCount")
    skipped_record_count = NumberAttribute(null=True, attr_name="SkippedRecordCount")
    latest_update_attempt_status = UnicodeAttribute(null=True, attr_name="LatestUpdateAttemptStatus")
    latest_update_attempt_at = NumberAttribute(null=True, attr_name="LatestUpdateAttemptAt")
    shards = NumberAttribute(null=True, attr_name="Shards")
    pending_version = UnicodeAttribute(null=True, attr_name="PendingVersion")
    pending_config = MapAttribute(null=True, attr_name="PendingConfig")  # type: ignore[var-annotated]
    pending_description = UnicodeAttribute(null=True, attr_name="PendingDescription")
    request_fingerprint = UnicodeAttribute(null=True, attr_name="RequestFingerprint")

    def as_terminology(self) -> Terminology:
        return Terminology(
            account_id=self.account_id, name=self.name, arn=self.arn, description=self.description,
            source_language_code=str(self.source_language_code), target_language_codes=_codes(self.target_language_codes),
            format=str(self.format), directionality=str(self.directionality), size_bytes=int(self.size_bytes or 0),
            term_count=int(self.term_count or 0), skipped_term_count=int(self.skipped_term_count or 0),
            created_at=float(self.created_at), last_updated_at=float(self.last_updated_at), version=str(self.version),
            encryption_key=_plain(self.encryption_key), message=self.message, tags=_plain(self.tags) or {},
        )

    def as_parallel_data(self) -> ParallelData:
        return ParallelData(
            account_id=self.account_id, name=self.name, arn=self.arn, description=self.description,
            status=ParallelDataStatus(str(self.status)), parallel_data_config=_plain(self.parallel_data_config) or {},
            created_at=float(self.created_at), last_updated_at=float(self.last_updated_at),
            encryption_key=_plain(self.encryption_key), message=self.message,
            source_language_code=self.source_language_code,
            target_language_codes=_codes(self.target_language_codes) if self.target_language_codes is not None else None,
            imported_data_size=_int(self.imported_data_size), imported_record_count=_int(self.imported_record_count),
            failed_record_count=_int(self.failed_record_count), skipped_record_count=_int(self.skipped_record_count),
            latest_update_attempt_status=_status(self.latest_update_attempt_status),
            latest_update_attempt_at=float(self.latest_update_attempt_at) if self.latest_update_attempt_at is not None else None,
            version=self.version, shards=int(self.shards or 0), pending_version=self.pending_version,
            pending_config=_plain(self.pending_config), pending_description=self.pending_description,
            request_fingerprint=self.request_fingerprint, tags=_plain(self.tags) or {},
        )


def _status(value: str | None) -> ParallelDataStatus | None:
    return ParallelDataStatus(value) if value else None


def _plain(value: Any) -> dict[str, Any] | None:
    return value.as_dict() if value is not None else None


def _codes(value: Any) -> tuple[str, ...]:
    return tuple(map(str, value or ()))


def _int(value: Any) -> int | None:
    return int(value) if value is not None else None


class _ConditionFailedError(Exception):
    def __init__(self, old: CustomizationRecord | None) -> None:
        self.old = old


class CustomizationStore:
    """Reads and conditional writes of terminologies and parallel data, always scoped to one account."""

    def __init__(self, settings: Settings) -> None:
        if not settings.customizations_table_name:
            from translate_jobs.core.config import ConfigurationError

            raise ConfigurationError("Environment variable CUSTOMIZATIONS_TABLE_NAME must be set (see template.yaml).")
        _bind(CustomizationRecord, settings.customizations_table_name, settings.region)
        self._limits = {ResourceKind.TERMINOLOGY: settings.quotas.max_terminologies,
                        ResourceKind.PARALLEL_DATA: settings.quotas.max_parallel_data}

    def client(self) -> Any:
        return CustomizationRecord._get_connection().connection.client

    # ---------- reads ----------

    def _record(self, account_id: str, kind: ResourceKind, name: str) -> CustomizationRecord:
        with _storage_errors():
            try:
                return CustomizationRecord.get(account_id, resource_key(kind, name), consistent_read=True)
            except CustomizationRecord.DoesNotExist:
                raise not_found(kind, name) from None

    def terminology(self, account_id: str, name: str) -> Terminology:
        return self._record(account_id, ResourceKind.TERMINOLOGY, name).as_terminology()

    def parallel_data(self, account_id: str, name: str) -> ParallelData:
        return self._record(account_id, ResourceKind.PARALLEL_DATA, name).as_parallel_data()

    def page(
        self, account_id: str, kind: ResourceKind, limit: int, start_after: str | None
    ) -> tuple[list[CustomizationRecord], str | None]:
        """One page of the account's resources of ``kind``, in name order, and the name to continue after."""
        kwargs: dict[str, Any] = {
            "TableName": CustomizationRecord.Meta.table_name,
            "KeyConditionExpression": "#a = :a AND begins_with(#k, :k)",
            "ExpressionAttributeNames": {"#a": "AccountId", "#k": "ResourceKey"},
            "ExpressionAttributeValues": {":a": {"S": account_id}, ":k": {"S": f"{kind.value}#"}},
            "Limit": limit + 1,
        }
        if start_after is not None:
            kwargs["ExclusiveStartKey"] = {"AccountId": {"S": account_id}, "ResourceKey": {"S": resource_key(kind, start_after)}}
        with _storage_errors():
            items = self.client().query(**kwargs).get("Items", [])
        records = [CustomizationRecord.from_raw_data(item) for item in items[:limit]]
        return records, (records[-1].name if len(items) > limit else None)

    def terminologies(self, account_id: str, limit: int, start_after: str | None) -> tuple[list[Terminology], str | None]:
        records, after = self.page(account_id, ResourceKind.TERMINOLOGY, limit, start_after)
        return [record.as_terminology() for record in records], after

    def parallel_data_page(self, account_id: str, limit: int, start_after: str | None) -> tuple[list[ParallelData], str | None]:
        records, after = self.page(account_id, ResourceKind.PARALLEL_DATA, limit, start_after)
        return [record.as_parallel_data() for record in records], after

    # ---------- terminologies ----------

    def put_terminology(self, terminology: Terminology, replaces: str | None) -> None:
        """A new terminology (counted against the account's quota), or, with ``replaces``, the one whose files are
        that version replaced: ConcurrentModificationError if another import replaced it meanwhile."""
        record = _terminology_record(terminology)
        if replaces is None:
            self._create(record, ResourceKind.TERMINOLOGY)
            return
        try:
            self._save(record, CustomizationRecord.version == replaces)
        except _ConditionFailedError:
            raise ConcurrentModificationError(
                f"The terminology {terminology.name} was changed by another request while this one imported it; try again."
            ) from None

    def delete_terminology(self, account_id: str, name: str) -> Terminology:
        """Delete it (and give its place in the quota back); the terminology it was, for its files."""
        old = self._record(account_id, ResourceKind.TERMINOLOGY, name)
        self._delete(old, CustomizationRecord.version == old.version, ResourceKind.TERMINOLOGY)
        return old.as_terminology()

    # ---------- parallel data ----------

    def create_parallel_data(self, parallel_data: ParallelData) -> tuple[ParallelData, bool]:
        """A new parallel data resource, CREATING (counted against the quota); if the name exists, it and False."""
        try:
            self._create(_parallel_data_record(parallel_data), ResourceKind.PARALLEL_DATA)
        except ConflictError:
            return self.parallel_data(parallel_data.account_id, parallel_data.name), False
        return parallel_data, True

    def begin_update(self, account_id: str, name: str, version: str, config: Mapping[str, Any], description: str | None,
                     fingerprint: str, now: float) -> ParallelData:
        """An import of a new file begins: the resource stays in use (ACTIVE) as it was, LatestUpdateAttemptStatus
        UPDATING; a resource whose creation failed is CREATING again. ConcurrentModificationError while another
        import or a deletion is under way; the same update asked again (its version) is returned as it stands."""
        current = self._record(account_id, ResourceKind.PARALLEL_DATA, name).as_parallel_data()
        if current.pending_version == version:
            return current
        record = CustomizationRecord(account_id, resource_key(ResourceKind.PARALLEL_DATA, name))
        actions = [
            CustomizationRecord.pending_version.set(version), CustomizationRecord.pending_config.set(dict(config)),
            CustomizationRecord.request_fingerprint.set(fingerprint),
            CustomizationRecord.latest_update_attempt_at.set(now),
        ]
        actions.append(CustomizationRecord.pending_description.set(description) if description is not None
                       else CustomizationRecord.pending_description.remove())
        if current.status == ParallelDataStatus.FAILED:
            actions.append(CustomizationRecord.status.set(ParallelDataStatus.CREATING.value))
        else:
            actions.append(CustomizationRecord.latest_update_attempt_status.set(ParallelDataStatus.UPDATING.value))
        condition = (CustomizationRecord.pending_version.does_not_exist()
                     & CustomizationRecord.status.is_in(ParallelDataStatus.ACTIVE.value, ParallelDataStatus.FAILED.value))
        try:
            self._update(record, actions, condition)
        except _ConditionFailedError as failed:
            if failed.old is None:
                raise not_found(ResourceKind.PARALLEL_DATA, name) from None
            stored = failed.old.as_parallel_data()
            if stored.pending_version == version:
                return stored
            raise ConcurrentModificationError(_busy(stored)) from None
        return self.parallel_data(account_id, name)

    def finish_import(self, account_id: str, name: str, version: str, result: ParallelDataImport, now: float) -> str | None:
        """The import ``version`` succeeded: its files are the resource's from now on (ACTIVE). Returns the version
        it replaced (whose files go), or None; a stale import (another began since, or the resource is being
        deleted) changes nothing and returns its own version, whose files then go."""
        current = self._record(account_id, ResourceKind.PARALLEL_DATA, name)
        record = CustomizationRecord(account_id, current.resource_key)
        actions = [
            CustomizationRecord.status.set(ParallelDataStatus.ACTIVE.value),
            CustomizationRecord.version.set(version), CustomizationRecord.shards.set(result.shards),
            CustomizationRecord.source_language_code.set(result.source_language_code),
            CustomizationRecord.target_language_codes.set(list(result.target_language_codes)),  # type: ignore[arg-type]
            CustomizationRecord.imported_data_size.set(result.imported_data_size),
            CustomizationRecord.imported_record_count.set(result.imported_record_count),
            CustomizationRecord.failed_record_count.set(result.failed_record_count),
            CustomizationRecord.skipped_record_count.set(result.skipped_record_count),
            CustomizationRecord.last_updated_at.set(now),
            CustomizationRecord.pending_version.remove(), CustomizationRecord.pending_config.remove(),
            CustomizationRecord.pending_description.remove(),
            CustomizationRecord.message.set(result.message) if result.message else CustomizationRecord.message.remove(),
        ]
        if current.pending_config is not None:
            actions.append(CustomizationRecord.parallel_data_config.set(current.pending_config.as_dict()))
        if current.pending_description is not None:
            actions.append(CustomizationRecord.description.set(current.pending_description))
        if current.latest_update_attempt_status:
            actions.append(CustomizationRecord.latest_update_attempt_status.set(ParallelDataStatus.ACTIVE.value))
        try:
            self._update(record, actions, CustomizationRecord.pending_version == version)
        except _ConditionFailedError:
            return version
        return current.version

    def fail_import(self, account_id: str, name: str, version: str, message: str, now: float) -> bool:
        """The import ``version`` failed: a creation ends FAILED, an update leaves the resource as it was
        (LatestUpdateAttemptStatus FAILED); both say why in Message. False if the import was stale."""
        try:
            current = self._record(account_id, ResourceKind.PARALLEL_DATA, name)
        except ResourceNotFoundError:
            return False
        record = CustomizationRecord(account_id, current.resource_key)
        actions = [
            CustomizationRecord.message.set(message), CustomizationRecord.pending_version.remove(),
            CustomizationRecord.pending_config.remove(), CustomizationRecord.pending_description.remove(),
        ]
        if current.version is None:
            actions.append(CustomizationRecord.status.set(ParallelDataStatus.FAILED.value))
        else:
            actions.append(CustomizationRecord.latest_update_attempt_status.set(ParallelDataStatus.FAILED.value))
        try:
            self._update(record, actions, CustomizationRecord.pending_version == version)
        except _ConditionFailedError:
            return False
        return True

    def begin_delete(self, account_id: str, name: str) -> ParallelData:
        """DELETING (the files go, then the item): not while it is being created (ConcurrentModificationError).
        An update under way is abandoned (its import finds the resource deleting and drops its files)."""
        record = CustomizationRecord(account_id, resource_key(ResourceKind.PARALLEL_DATA, name))
        condition = CustomizationRecord.status.is_in(ParallelDataStatus.ACTIVE.value, ParallelDataStatus.FAILED.value,
                                                     ParallelDataStatus.DELETING.value)
        try:
            self._update(record, [CustomizationRecord.status.set(ParallelDataStatus.DELETING.value),
                                  CustomizationRecord.pending_version.remove()], condition)
        except _ConditionFailedError as failed:
            if failed.old is None:
                raise not_found(ResourceKind.PARALLEL_DATA, name) from None
            raise ConcurrentModificationError(_busy(failed.old.as_parallel_data())) from None
        return self.parallel_data(account_id, name)

    def finish_delete(self, account_id: str, name: str) -> None:
        """The item goes, and its place in the quota, once its files went (only while DELETING)."""
        record = CustomizationRecord(account_id, resource_key(ResourceKind.PARALLEL_DATA, name))
        try:
            deleting = CustomizationRecord.status == ParallelDataStatus.DELETING.value
            self._delete(record, deleting, ResourceKind.PARALLEL_DATA)
        except ResourceNotFoundError:
            pass  # an earlier attempt deleted it (its answer was lost)

    # ---------- tags ----------

    def tags(self, account_id: str, kind: ResourceKind, name: str) -> dict[str, str]:
        return _plain(self._record(account_id, kind, name).tags) or {}

    def set_tags(
        self, account_id: str, kind: ResourceKind, name: str, tags: Mapping[str, str], expected: Mapping[str, str]
    ) -> None:
        """Replace the resource's tags, only if they are still ``expected`` (what the caller read):
        ConcurrentModificationError if another request changed them meanwhile."""
        record = CustomizationRecord(account_id, resource_key(kind, name))
        unchanged = (CustomizationRecord.tags == dict(expected)) if expected else CustomizationRecord.tags.does_not_exist()
        action = CustomizationRecord.tags.set(dict(tags)) if tags else CustomizationRecord.tags.remove()
        try:
            self._update(record, [action], unchanged)
        except _ConditionFailedError as failed:
            if failed.old is None:
                raise not_found(kind, name) from None
            raise ConcurrentModificationError(f"The tags of {name} were changed by another request; try again.") from None

    # ---------- writes ----------

    def _create(self, record: CustomizationRecord, kind: ResourceKind) -> None:
        """Put a new resource and count it, in one transaction; ConflictError if the name is taken."""
        put = record.get_save_kwargs_from_instance(condition=CustomizationRecord.resource_key.does_not_exist())
        usage = _usage_update(record.account_id, USAGE_COUNTERS[kind], 1, limit=self._limits[kind])
        try:
            self._transact({"Put": _transact_part(put)}, usage)
        except _CanceledError as canceled:
            if canceled.reasons[0].get("Code") == "ConditionalCheckFailed":
                raise ConflictError(f"A {NOUNS[kind]} named {record.name} exists already in your account.") from None
            raise LimitExceededError(
                f"Your account has {self._limits[kind]} {NOUNS[kind]} resources, the most it may have; delete one first."
            ) from None

    def _delete(self, record: CustomizationRecord, condition: Condition, kind: ResourceKind) -> None:
        delete = record.get_delete_kwargs_from_instance(condition=CustomizationRecord.resource_key.exists() & condition)
        try:
            self._transact({"Delete": _transact_part(delete)}, _usage_update(record.account_id, USAGE_COUNTERS[kind], -1))
        except _CanceledError:
            try:
                current = self._record(record.account_id, kind, record.resource_key.partition("#")[2])
            except ResourceNotFoundError:
                raise
            raise ConcurrentModificationError(
                f"The {NOUNS[kind]} {current.name} was changed by another request while this one deleted it; try again."
            ) from None

    def _save(self, record: CustomizationRecord, condition: Condition) -> None:
        kwargs = record.get_save_kwargs_from_instance(condition=CustomizationRecord.resource_key.exists() & condition,
                                                      return_values_on_condition_failure="ALL_OLD")
        self._request("put_item", kwargs)

    def _update(self, record: CustomizationRecord, actions: list[Any], condition: Condition) -> None:
        kwargs = record.get_update_kwargs_from_instance(
            actions=actions, condition=CustomizationRecord.resource_key.exists() & condition,
            return_values_on_condition_failure="ALL_OLD",
        )
        kwargs["ReturnValues"] = "NONE"
        self._request("update_item", kwargs)

    def _request(self, method: str, kwargs: dict[str, Any]) -> None:
        try:
            with _storage_errors():
                getattr(self.client(), method)(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            old = exc.response.get("Item")
            raise _ConditionFailedError(CustomizationRecord.from_raw_data(old) if old else None) from None

    def _transact(self, *items: dict[str, Any]) -> None:
        transact(self.client(), items, "the customizations table", _CanceledError)


class _CanceledError(Exception):
    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        self.reasons = reasons


def _busy(stored: ParallelData) -> str:
    doing = ("being created" if stored.status == ParallelDataStatus.CREATING
             else "being deleted" if stored.status == ParallelDataStatus.DELETING
             else "being updated" if stored.pending_version else f"{stored.status.value}")
    return f"The parallel data {stored.name} is {doing}; wait until that ends, then try again."


def _usage_update(account_id: str, counter: str, delta: int, limit: int | None = None) -> dict[str, Any]:
    update: dict[str, Any] = {
        "TableName": CustomizationRecord.Meta.table_name,
        "Key": {"AccountId": {"S": account_id}, "ResourceKey": {"S": USAGE_KEY}},
        "UpdateExpression": "ADD #c :d",
        "ExpressionAttributeNames": {"#c": counter},
        "ExpressionAttributeValues": {":d": {"N": str(delta)}},
    }
    if limit is not None:
        update["ConditionExpression"] = "attribute_not_exists(#c) OR #c < :limit"
        update["ExpressionAttributeValues"][":limit"] = {"N": str(limit)}
    return {"Update": update}


def _terminology_record(terminology: Terminology) -> CustomizationRecord:
    return CustomizationRecord(
        terminology.account_id, resource_key(ResourceKind.TERMINOLOGY, terminology.name), name=terminology.name,
        arn=terminology.arn, description=terminology.description,
        encryption_key=dict(terminology.encryption_key) if terminology.encryption_key else None,
        message=terminology.message, source_language_code=terminology.source_language_code,
        target_language_codes=list(terminology.target_language_codes), created_at=terminology.created_at,
        last_updated_at=terminology.last_updated_at, tags=dict(terminology.tags) or None, version=terminology.version,
        format=terminology.format, directionality=terminology.directionality, size_bytes=terminology.size_bytes,
        term_count=terminology.term_count, skipped_term_count=terminology.skipped_term_count,
    )


def _parallel_data_record(parallel_data: ParallelData) -> CustomizationRecord:
    return CustomizationRecord(
        parallel_data.account_id, resource_key(ResourceKind.PARALLEL_DATA, parallel_data.name), name=parallel_data.name,
        arn=parallel_data.arn, description=parallel_data.description,
        encryption_key=dict(parallel_data.encryption_key) if parallel_data.encryption_key else None,
        created_at=parallel_data.created_at, last_updated_at=parallel_data.last_updated_at,
        tags=dict(parallel_data.tags) or None, status=parallel_data.status.value,
        parallel_data_config=dict(parallel_data.parallel_data_config), pending_version=parallel_data.pending_version,
        request_fingerprint=parallel_data.request_fingerprint,
    )
