"""moto's backends, saved whole and put back, whatever the service keeps (docs/local-state.md's Snapshot).

Pickle takes moto's objects as they are; what cannot be pickled is made afresh (locks, conditions) or saved as
its bytes (cryptography's keys, KMS); a reference to a backend not kept (a table's to a function) is one to that
backend in the restoring process.
"""

import pickle
import threading
from typing import IO, Any

from cryptography.hazmat.primitives import serialization

# Made from template.yaml at every start, never saved (docs/local-state.md).
NOT_KEPT = {
    "lambda": "the functions are the checkout's code, provisioned from template.yaml",
    "stepfunctions": "state machines are provisioned from template.yaml; running executions are started again",
    "dynamodbstreams": "only shard iterators (a table keeps its stream records)",
    "cloudformation": "the stack is provisioned from template.yaml",
}
# Resources a newer template.yaml may add to a kept service, by the backend attribute that holds them and
# the name a resource goes by: created from the template when the saved state lacks them.
NAMED_RESOURCES: dict[str, tuple[str, str | None]] = {
    "dynamodb": ("tables", None), "s3": ("buckets", None), "sqs": ("queues", None),
    "events": ("event_buses", None), "secretsmanager": ("secrets", "name"), "iam": ("roles", "name"),
}
Key = tuple[str, str, str]  # service, account, region


def kept(service: str) -> bool:
    return service not in NOT_KEPT


def in_use() -> dict[Key, Any]:
    """Every kept backend moto has made so far (never making one)."""
    from moto.core.base_backend import BackendDict

    return {(backend_dict.service_name, account, region): backend
            for backend_dict in list(BackendDict._instances) if kept(backend_dict.service_name)  # type: ignore[misc]
            for account, region, backend in backend_dict.iter_backends()}


# A BackendDict's own attributes; any other is a service's index over all its backends (S3's bucket -> account).
_BACKEND_DICT_ATTRIBUTES = {"backend", "service_name", "_use_boto3_regions", "_additional_regions", "_id"}


def indexes() -> dict[str, dict[str, Any]]:
    """What kept services hold beside their backends (S3's ``bucket_accounts``: which account owns a name)."""
    from moto.core.base_backend import BackendDict

    found: dict[str, dict[str, Any]] = {}
    for backend_dict in list(BackendDict._instances):  # type: ignore[misc]
        extra = {name: value for name, value in vars(backend_dict).items() if name not in _BACKEND_DICT_ATTRIBUTES}
        if extra and kept(backend_dict.service_name):
            found[backend_dict.service_name] = extra
    return found


def install(backends: dict[Key, Any], saved_indexes: dict[str, dict[str, Any]]) -> None:
    """Make restored backends moto's own, each in place of the one moto has (or would make), and their indexes
    (a restored bucket unknown to S3's would be made again, empty, by the next CreateBucket of its name)."""
    for (service, account, region), backend in backends.items():
        dict.__setitem__(_live_backends(service)[account], region, backend)
    for service, attributes in saved_indexes.items():
        live = _live_backends(service)
        for name, value in attributes.items():
            current = getattr(live, name, None)
            if isinstance(current, dict) and isinstance(value, dict):
                current.update(value)  # what provisioning just made (a template's new bucket) stays too
            else:
                setattr(live, name, value)


def add_missing_resources(provisioned: dict[Key, Any], restored: dict[Key, Any]) -> list[str]:
    """Resources template.yaml now declares that the saved state lacks (a new table, queue, role...): the
    provisioned ones, added to the restored backends. Those the saved state has keep what it saved."""
    added = []
    for key, backend in restored.items():
        service = key[0]
        if service not in NAMED_RESOURCES or key not in provisioned:
            continue
        attribute, name_of = NAMED_RESOURCES[service]
        mine, theirs = getattr(backend, attribute), getattr(provisioned[key], attribute)
        names = {getattr(value, name_of) if name_of else name for name, value in dict.items(mine)}
        for name, value in dict.items(theirs):
            if (getattr(value, name_of) if name_of else name) not in names:
                dict.__setitem__(mine, name, value)
                added.append(f"{service}:{getattr(value, name_of) if name_of else name}")
    return added


# Named in the snapshots saved (pickle's references to them): renaming one makes those unreadable.
def _live_backends(service: str) -> Any:
    from moto.backends import get_backend

    return get_backend(service)  # type: ignore[call-overload]


def _live_backend(service: str, account: str, region: str) -> Any:
    return _live_backends(service)[account][region]


def _private_key(der: bytes) -> Any:
    return serialization.load_der_private_key(der, None)


def _public_key(der: bytes) -> Any:
    return serialization.load_der_public_key(der)


class Pickler(pickle.Pickler):
    """Pickles ``in_use()``'s backends: locks made afresh, keys as their bytes, other backends as references."""

    _LOCK, _RLOCK = type(threading.Lock()), type(threading.RLock())

    def __init__(self, file: IO[bytes]) -> None:
        from moto.core.base_backend import BackendDict, BaseBackend

        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._base_backend, self._backend_dict = BaseBackend, BackendDict
        self._services = {backend_dict.backend: backend_dict.service_name for backend_dict in list(BackendDict._instances)}  # type: ignore[misc]
        self._saved: set[int] = {id(backend) for backend in in_use().values()}

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, self._LOCK):
            return threading.Lock, ()
        if isinstance(obj, self._RLOCK):
            return threading.RLock, ()
        if isinstance(obj, (threading.Condition, threading.Event, threading.Semaphore)):
            return type(obj), ()
        if isinstance(obj, threading.Thread):
            return type(None), ()
        if isinstance(obj, self._backend_dict):
            return _live_backends, (obj.service_name,)
        if isinstance(obj, self._base_backend) and id(obj) not in self._saved:
            return _live_backend, (self._services.get(type(obj), ""), obj.account_id, obj.region_name)
        if not type(obj).__module__.startswith("cryptography."):
            return NotImplemented
        if hasattr(obj, "private_bytes"):
            return _private_key, (obj.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()),)
        if hasattr(obj, "public_bytes"):
            return _public_key, (obj.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),)
        return NotImplemented

