"""Argos Translate packages: where they are, which language pairs they make, and a local copy to load.

A package is a folder (or an ``.argosmodel`` zip of one, as Argos' package index serves them) holding
``metadata.json`` (``from_code``, ``to_code``, optionally ``target_prefix``), ``model/`` (a CTranslate2
model) and ``sentencepiece.model``. The template parameter TranslationModels names where they are:

- ``s3://bucket/prefix/``: each ``<prefix><name>/`` with a ``metadata.json``, and each
  ``<prefix><name>.argosmodel``. Functions read the list (and each package's metadata.json; a ranged
  read of an archive's) once per ``CATALOGUE_SECONDS``, so packages added later are found without a
  deploy; the worker copies a package to its model cache (Lambda's /tmp) the first time it needs it.
- a folder on the function's file system (``make run``): its sub-folders and archives, the same way.

A pair with a package of its own is translated by it; a pair without one goes through English when both
halves exist, as Argos does (``Catalogue.route``).
"""

import hashlib
import io
import json
import os
import shutil
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from translate_jobs.integrations.engines.base import EngineError, LanguagePair

ARCHIVE_SUFFIX = ".argosmodel"
PIVOT = "en"
CATALOGUE_SECONDS = 300  # how long a function trusts the list of packages it read
# Argos' codes that Amazon Translate writes otherwise (a job names languages as Amazon Translate does).
AMAZON_CODES = {"zt": "zh-TW", "nb": "no"}


@dataclass(frozen=True)
class Package:
    from_code: str  # as Amazon Translate names the language
    to_code: str
    name: str  # its folder or archive name, for messages
    location: str  # a folder or archive on disk, s3://bucket/prefix/name/ or s3://bucket/prefix/name.argosmodel
    version: str  # changes when the package does: a changed package is copied again
    size: int  # bytes, as stored (an archive: compressed)
    target_prefix: str = ""  # multilingual models: the token that selects the target language

    @property
    def pair(self) -> LanguagePair:
        return LanguagePair(self.from_code, self.to_code)

    @property
    def is_archive(self) -> bool:
        return self.location.endswith(ARCHIVE_SUFFIX)


@dataclass(frozen=True)
class Catalogue:
    """The packages found, by pair (for two packages of one pair, the first by name is used)."""

    packages: tuple[Package, ...]

    def _by_pair(self) -> dict[LanguagePair, Package]:
        found: dict[LanguagePair, Package] = {}
        for package in sorted(self.packages, key=lambda p: p.name):
            found.setdefault(package.pair, package)
        return found

    def route(self, pair: LanguagePair) -> list[Package] | None:
        """The packages that translate ``pair``, in order: its own, or two through English; None if none do."""
        by_pair = self._by_pair()
        if pair in by_pair:
            return [by_pair[pair]]
        first, second = by_pair.get(LanguagePair(pair.source, PIVOT)), by_pair.get(LanguagePair(PIVOT, pair.target))
        return [first, second] if first and second and pair.source != pair.target else None

    def describe(self, most: int = 20) -> str:
        """The pairs installed, for a message ("en to fr, de to en"), at most ``most`` of them named."""
        pairs = sorted(str(pair) for pair in self._by_pair())
        if not pairs:
            return "none"
        shown = ", ".join(pairs[:most])
        return shown + (f" and {len(pairs) - most} more" if len(pairs) > most else "")


class PackageSource(Protocol):
    """Where packages are: lists them and copies one to a local folder."""

    location: str

    def packages(self) -> list[Package]: ...

    def copy(self, package: Package, folder: Path) -> None: ...


def read_metadata(raw: bytes, name: str, location: str, version: str, size: int) -> Package:
    try:
        metadata = json.loads(raw)
        from_code, to_code = str(metadata["from_code"]), str(metadata["to_code"])
    except (ValueError, KeyError, TypeError) as exc:
        raise EngineError(
            f"The model package {location} has no readable metadata.json with from_code and to_code ({exc})."
        ) from None
    return Package(
        AMAZON_CODES.get(from_code, from_code), AMAZON_CODES.get(to_code, to_code), name, location, version, size,
        str(metadata.get("target_prefix") or ""),
    )


def _metadata_member(archive: zipfile.ZipFile) -> str:
    """The archive's metadata.json: at its root or in its one top folder."""
    for member in archive.namelist():
        parts = PurePosixPath(member).parts
        if parts and parts[-1] == "metadata.json" and len(parts) <= 2:
            return member
    raise EngineError(f"The archive {archive.filename} holds no metadata.json: it is not an Argos package.")


def extract(archive: zipfile.ZipFile, folder: Path) -> None:
    """The package in ``archive`` into ``folder`` (its top folder, if any, dropped); names are checked (no
    absolute paths, no ``..``) and the total size too, against the room left in ``folder``."""
    member = _metadata_member(archive)
    top = str(PurePosixPath(member).parent) if "/" in member else ""
    room = shutil.disk_usage(folder).free
    needed = sum(info.file_size for info in archive.infolist())
    if needed > room:
        raise EngineError(f"Unpacking {archive.filename} needs {needed // 2**20} MB; {folder} has {room // 2**20} MB free.")
    for info in archive.infolist():
        relative = PurePosixPath(info.filename)
        if top:
            if relative.parts[:1] != (top,):
                continue
            relative = PurePosixPath(*relative.parts[1:])
        if info.is_dir() or not relative.parts:
            continue
        if relative.is_absolute() or ".." in relative.parts:
            raise EngineError(f"The archive {archive.filename} names a file outside its folder ({info.filename}).")
        target = folder.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out, 1024 * 1024)


class FolderSource:
    """Packages in a folder of this file system: its sub-folders and .argosmodel archives (or the folder
    itself, when it is one package)."""

    def __init__(self, location: str) -> None:
        self.location = location
        self._root = Path(location)

    def packages(self) -> list[Package]:
        if not self._root.is_dir():
            raise EngineError(f"TranslationModels names the folder {self.location}, which does not exist here.")
        if (self._root / "metadata.json").is_file():
            return [self._folder_package(self._root)]
        found = []
        for entry in sorted(self._root.iterdir()):
            if entry.is_dir() and (entry / "metadata.json").is_file():
                found.append(self._folder_package(entry))
            elif entry.is_file() and entry.name.endswith(ARCHIVE_SUFFIX):
                stat = entry.stat()
                with zipfile.ZipFile(entry) as archive:
                    raw = archive.read(_metadata_member(archive))
                found.append(read_metadata(raw, entry.name, str(entry), f"{stat.st_mtime_ns}-{stat.st_size}", stat.st_size))
        return found

    @staticmethod
    def _folder_package(folder: Path) -> Package:
        stat = (folder / "metadata.json").stat()
        size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
        return read_metadata((folder / "metadata.json").read_bytes(), folder.name, str(folder), str(stat.st_mtime_ns), size)

    def copy(self, package: Package, folder: Path) -> None:
        with zipfile.ZipFile(package.location) as archive:  # only archives are copied: a folder is used where it is
            extract(archive, folder)


class S3Source:
    """Packages under an S3 prefix, read with the function's own role."""

    def __init__(self, s3: Any, location: str) -> None:
        self.location = location
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        self._s3, self._bucket, self._prefix = s3, bucket, prefix

    def _objects(self, prefix: str) -> Iterator[dict[str, Any]]:
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix):
            yield from page.get("Contents", [])

    def packages(self) -> list[Package]:
        folders: dict[str, str] = {}  # name -> its metadata.json's ETag
        sizes: dict[str, int] = {}
        archives = []
        for obj in self._objects(self._prefix):
            name, _, rest = obj["Key"][len(self._prefix) :].partition("/")
            if rest:
                sizes[name] = sizes.get(name, 0) + int(obj.get("Size", 0))
                if rest == "metadata.json":
                    folders[name] = str(obj.get("ETag", ""))
            elif name.endswith(ARCHIVE_SUFFIX):
                archives.append(obj)
        found = []
        for name, etag in sorted(folders.items()):
            raw = self._s3.get_object(Bucket=self._bucket, Key=f"{self._prefix}{name}/metadata.json")["Body"].read()
            found.append(read_metadata(raw, name, f"s3://{self._bucket}/{self._prefix}{name}/", etag, sizes[name]))
        for obj in archives:
            size = int(obj.get("Size", 0))
            reader = io.BufferedReader(_RangedObject(self._s3, self._bucket, obj["Key"], size), buffer_size=256 * 1024)
            with zipfile.ZipFile(reader) as archive:  # a few ranged GETs: the directory and metadata.json
                raw = archive.read(_metadata_member(archive))
            name, location = obj["Key"].rsplit("/", 1)[-1], f"s3://{self._bucket}/{obj['Key']}"
            found.append(read_metadata(raw, name, location, str(obj.get("ETag", "")), size))
        return found

    def copy(self, package: Package, folder: Path) -> None:
        key = package.location.removeprefix(f"s3://{self._bucket}/")
        if package.is_archive:
            download = folder.with_name(folder.name + ARCHIVE_SUFFIX)
            try:
                self._s3.download_file(self._bucket, key, str(download))
                with zipfile.ZipFile(download) as archive:
                    extract(archive, folder)
            finally:
                download.unlink(missing_ok=True)
            return
        for obj in self._objects(key):
            target = folder.joinpath(*PurePosixPath(obj["Key"][len(key) :]).parts)
            if ".." in target.relative_to(folder).parts:
                raise EngineError(f"The package {package.location} holds a key outside it ({obj['Key']}).")
            target.parent.mkdir(parents=True, exist_ok=True)
            self._s3.download_file(self._bucket, obj["Key"], str(target))


class _RangedObject(io.RawIOBase):
    """An S3 object as a seekable file, each read a ranged GET (zipfile reads an archive's end first)."""

    def __init__(self, s3: Any, bucket: str, key: str, size: int) -> None:
        self._s3, self._bucket, self._key, self._size, self._position = s3, bucket, key, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        if self._position >= self._size or not len(buffer):
            return 0
        last = min(self._size, self._position + len(buffer)) - 1
        body = self._s3.get_object(Bucket=self._bucket, Key=self._key, Range=f"bytes={self._position}-{last}")["Body"].read()
        buffer[: len(body)] = body
        self._position += len(body)
        return len(body)


def source_of(location: str, s3: Callable[[], Any]) -> PackageSource | None:
    """The source TranslationModels names (None when it names none); ``s3`` makes the S3 client."""
    if not location:
        return None
    if location.startswith("s3://"):
        return S3Source(s3(), location if location.endswith("/") else location + "/")
    return FolderSource(location)


class Catalogues:
    """The catalogue of one source, read again after CATALOGUE_SECONDS (the list is small, but read on
    every Start and batch it would cost a request each)."""

    def __init__(self, source: PackageSource | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.source = source
        self._clock = clock
        self._lock = threading.Lock()
        self._read: tuple[float, Catalogue] | None = None

    def current(self) -> Catalogue:
        if self.source is None:
            return Catalogue(())
        with self._lock:
            if self._read is None or self._clock() - self._read[0] > CATALOGUE_SECONDS:
                catalogue = Catalogue(tuple(self.source.packages()))
                if not catalogue.packages:
                    return catalogue  # nothing yet: asked again next time (packages are being uploaded)
                self._read = (self._clock(), catalogue)
            return self._read[1]


class PackageCopies:
    """Local copies of packages (Lambda: under /tmp), one folder per package version, made once and kept
    while there is room; the least recently used go first when a new one needs the space."""

    def __init__(self, source: PackageSource | None, cache_dir: str) -> None:
        self._source = source
        self._cache = Path(cache_dir)
        self._lock = threading.Lock()
        self._used: dict[Path, float] = {}

    def folder(self, package: Package) -> Path:
        """A folder holding the package (metadata.json, model/, sentencepiece.model)."""
        if self._source is None:
            raise EngineError("No TranslationModels location is configured.")
        if isinstance(self._source, FolderSource) and not package.is_archive:
            return Path(package.location)  # already on this file system
        digest = hashlib.sha256(f"{package.location}\n{package.version}".encode()).hexdigest()[:24]
        folder = self._cache / digest
        with self._lock:  # one copy at a time: two batches needing the same package copy it once
            if not folder.is_dir():
                self._cache.mkdir(parents=True, exist_ok=True)
                self._make_room(package.size * 3)  # an archive, what it unpacks to, and a margin
                partial = self._cache / f".{digest}-{uuid.uuid4().hex}"
                partial.mkdir()
                try:
                    self._source.copy(package, partial)
                    os.rename(partial, folder)
                finally:
                    shutil.rmtree(partial, ignore_errors=True)
            self._used[folder] = time.monotonic()
        return folder

    def _make_room(self, needed: int) -> None:
        for old in sorted(self._used, key=self._used.__getitem__):
            if shutil.disk_usage(self._cache).free >= needed:
                return
            shutil.rmtree(old, ignore_errors=True)  # a model already loaded stays in memory
            del self._used[old]
        free = shutil.disk_usage(self._cache).free
        if free < needed:
            raise EngineError(
                f"A model package needs about {needed // 2**20} MB in {self._cache}, which has {free // 2**20} MB free: "
                "raise TranslateBatchFunction's EphemeralStorage (template.yaml)."
            )
