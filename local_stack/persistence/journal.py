"""The journal: what changed since the last snapshot, one record per change, appended before the change is answered.

A record is framed as ``length (4 bytes) | CRC-32 (4 bytes) | payload``, written with one ``os.write``
(looped if the kernel takes less) on a file opened for appending. A process killed with SIGKILL has
handed every completed write to the kernel, so every record whose request was answered is in the file
(the page cache outlives the process; a power cut does not, see docs/local-state.md). A kill in the
middle of a write leaves a torn last record: reading stops there, and that request was never answered.
"""

import os
import pickle
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_HEADER = struct.Struct(">II")


def encode(record: Any) -> bytes:
    payload = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(payload), zlib.crc32(payload)) + payload


class Journal:
    """One journal file, open for appending (the caller serializes appends)."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self.size = os.fstat(self._fd).st_size

    def append(self, record: Any) -> None:
        data = encode(record)
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        self.size += len(data)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def read(path: Path) -> Iterator[Any]:
    """The records of a journal file, in order, up to its first torn or damaged record."""
    with path.open("rb") as file:
        while True:
            header = file.read(_HEADER.size)
            if len(header) < _HEADER.size:
                return
            length, crc = _HEADER.unpack(header)
            payload = file.read(length)
            if len(payload) < length or zlib.crc32(payload) != crc:
                return
            yield pickle.loads(payload)
