"""`make run`'s state, kept in a folder across restarts and ``kill -9`` (docs/local-state.md says how).

A snapshot of moto's backends (``backends``) plus a journal of every change since (``recorder``,
``journal``), each written before it is answered. The folder: ``snapshot.pickle`` (generation G),
``journal-<G>.log`` and later ones, ``lock`` (held by the running stack).
"""

import contextlib
import fcntl
import logging
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_stack.persistence import backends, journal
from local_stack.persistence.recorder import CHANGES, Recorder, on_thread, replay, seed_identifiers
from local_stack.timer import Timer

log = logging.getLogger(__name__)
FORMAT = 1
SNAPSHOT = "snapshot.pickle"
# A snapshot once the journal holds this much, or as much as the last snapshot if more (why: docs/local-state.md).
SNAPSHOT_AFTER_BYTES = 32 * 1024 * 1024


class StateError(RuntimeError):
    """The folder cannot be used, in use by another stack (``in_use``) or unreadable here: a message for the user."""

    def __init__(self, message: str, in_use: bool = False) -> None:
        super().__init__(message)
        self.in_use = in_use


@dataclass
class Restored:
    """What the start found in the folder, for the banner."""

    snapshot_time: float | None = None
    replayed: int = 0
    refused: int = 0  # journal records moto refused on replay (should be none)
    added: list[str] = field(default_factory=list)  # resources template.yaml added since the state was saved
    template_changed: bool = False
    seconds: float = 0.0  # how long the restore took

    def describe(self) -> str:
        if self.snapshot_time is None and not self.replayed:
            return "empty (nothing saved yet)"
        parts = []
        if self.snapshot_time is not None:
            parts.append(f"snapshot of {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(self.snapshot_time))}")
        if self.replayed:
            parts.append(f"{self.replayed} changes replayed from the journal (the last stop was not clean)")
        if self.refused:
            parts.append(f"{self.refused} of them refused by moto (see the log)")
        return f"restored in {self.seconds:.1f} s: " + ", ".join(parts)


class LocalState:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: dict[str, tuple[str, str, str]] = {}  # execution ARN -> (state machine ARN, name, input)
        self.cursors: dict[str, str] = {}  # readers' positions (a stream's last delivered sequence number)
        self.generation = 0
        self.restored = Restored()
        self._journal: journal.Journal | None = None
        self._recorder = Recorder(write=self._write)
        self._lock_file: Any = None
        self._locks: tuple[Any, ...] = ()
        self._template = ""
        self._timer = Timer("local-state")  # a snapshot when one is due
        self._snapshot_lock = threading.RLock()  # close() holds it (with CHANGES) around its snapshot
        self._last_snapshot_size = 0
        self._snapshot_due = False

    # -- the folder --

    @classmethod
    def open(cls, folder: Path, fresh: bool = False) -> "LocalState":
        """The folder, locked for this process; ``fresh``: emptied first."""
        state = cls(folder.resolve())
        state.folder.mkdir(parents=True, exist_ok=True)
        state._lock_file = (state.folder / "lock").open("a")
        try:
            fcntl.flock(state._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            state._lock_file.close()
            raise StateError(f"error: {state.folder} is in use by another local stack (one stack per state folder)",
                             in_use=True) from None
        if fresh:
            for path in list(state.folder.iterdir()):
                if path.name.startswith(("snapshot.", "journal-")):
                    path.unlink()
        return state

    def _journals(self) -> list[tuple[int, Path]]:
        numbered = ((path.stem.removeprefix("journal-"), path) for path in self.folder.glob("journal-*.log"))
        return sorted((int(number), path) for number, path in numbered if number.isdecimal())

    # -- start: restore, then record --

    def restore(self, template: str) -> Restored:
        """Load the snapshot over the freshly provisioned backends, then replay the journal onto them.
        ``template`` identifies template.yaml: a state saved under another gets the resources it adds."""
        import moto  # not at the top: unit tests import this module without moto

        began = time.perf_counter()
        self._template = template
        restored = Restored()
        provisioned = backends.in_use()
        snapshot_path = self.folder / SNAPSHOT
        if snapshot_path.exists():
            with snapshot_path.open("rb") as file:
                try:
                    saved = pickle.load(file)
                except Exception as error:  # noqa: BLE001 - any failure to read it means the same to the user
                    raise StateError(f"error: cannot read {snapshot_path} ({error})") from None
            if not isinstance(saved, dict) or (saved.get("format"), saved.get("moto")) != (FORMAT, moto.__version__):
                version = saved.get("moto") if isinstance(saved, dict) else "unknown"
                raise StateError(f"error: {self.folder} was saved by another version (moto {version}, "
                                 f"this checkout uses {moto.__version__})")
            backends.install(saved["backends"], saved["indexes"])
            self._last_snapshot_size = snapshot_path.stat().st_size
            restored.snapshot_time = saved["time"]
            restored.template_changed = saved["template"] != template
            if restored.template_changed:
                restored.added = backends.add_missing_resources(provisioned, saved["backends"])
            self.running, self.cursors, self.generation = dict(saved["running"]), dict(saved["cursors"]), saved["generation"]
        with seed_identifiers(), on_thread("replaying", True):  # replayed requests draw the identifiers they drew
            self._replay_journals(restored)
        self.generation += 1  # this run's journal
        self._snapshot_due = restored.replayed > 0  # folded into a snapshot soon: the next start replays less
        restored.seconds = time.perf_counter() - began
        self.restored = restored
        return restored

    def _replay_journals(self, restored: Restored) -> None:
        for generation, path in self._journals():
            if generation < self.generation:
                path.unlink()  # folded into the snapshot already (a stop between rename and cleanup)
                continue
            for record in journal.read(path):
                applied = self._replay(record)
                restored.replayed += applied is not None
                restored.refused += applied is False
            self.generation = generation

    def _replay(self, record: tuple[Any, ...]) -> bool | None:
        """Apply one journal record: whether moto took the change again (None: not a change to moto)."""
        kind = record[0]
        if kind in ("started", "ended", "cursor"):
            self._remember(record)
        elif kind == "reset":
            from moto.moto_api._internal.models import moto_api_backend

            moto_api_backend.reset()
            self.running.clear()
        else:
            try:
                ok, why = replay(record), ""
            except Exception as error:  # noqa: BLE001 - one record moto refuses must not stop the start
                ok, why = False, f": {error}"
            if not ok:
                log.warning("moto refused a replayed change (%s %s)%s", kind, record[3:6], why)
            return ok
        return None

    def start(self, locks: Iterable[Any] = ()) -> Callable[[], None]:
        """Record every change from now on (``locks``: held with the journal's while a snapshot is taken, for
        what changes moto's backends without a request). Returns the undo of the recording hooks."""
        self._locks = tuple(locks)
        self._journal = journal.Journal(self.folder / f"journal-{self.generation:08d}.log")
        if not (self.folder / SNAPSHOT).exists() or self.restored.template_changed:
            # What provisioning made (a generated secret: the NextToken key) exists nowhere else: saved before
            # anything is served, so that even a kill in the first second keeps it.
            self.snapshot()
        undo = self._recorder.install()
        self._timer.call_later(1.0, lambda: self._timer.every(1.0, self._snapshot_if_due))
        self._timer.start()
        return undo

    def resume_executions(self) -> int:
        """Start again, from the beginning, each workflow execution that was running when the stack stopped."""
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        resumed = 0
        for arn, (machine, name, execution_input) in sorted(self.running.items()):
            account, region = arn.split(":")[4], arn.split(":")[3]
            try:
                stepfunctions_parser_backends[account][region].start_execution(machine, name, execution_input)
            except Exception as error:  # noqa: BLE001 - the state machine may be gone from template.yaml
                log.warning("could not start again execution %s: %s", arn, error)
                self._recorder.note("ended", arn)
                continue
            self._recorder.note("started", arn, machine, name, execution_input)
            resumed += 1
        return resumed

    # -- while running --

    def _write(self, record: tuple[Any, ...]) -> None:
        """Called under CHANGES: the journal first (none once closed), then what this process remembers of it."""
        if self._journal is not None:
            self._journal.append(record)
        self._remember(record)

    def _remember(self, record: tuple[Any, ...]) -> None:
        if record[0] == "started":
            self.running[record[1]] = (record[2], record[3], record[4])
        elif record[0] == "ended":
            self.running.pop(record[1], None)
        elif record[0] == "cursor":
            self.cursors[record[1]] = record[2]

    def set_cursor(self, key: str, value: str) -> None:
        """A reader's position (local_stack.delivery: a stream's last delivered record), kept like any change."""
        self._recorder.note("cursor", key, value)

    def cursor(self, key: str) -> str | None:
        return self.cursors.get(key)

    def _snapshot_if_due(self) -> None:
        current, due_at = self._journal, max(SNAPSHOT_AFTER_BYTES, self._last_snapshot_size)
        if current is not None and (current.size >= due_at or self._snapshot_due):
            try:
                self.snapshot()
            except Exception:  # noqa: BLE001 - the journal still has everything; try again later
                log.exception("could not save a snapshot of the local state")

    def snapshot(self) -> None:
        """Save every kept backend as of now, and start a new journal; then drop the journals it folds in."""
        with self._snapshot_lock:
            temporary = self.folder / f"{SNAPSHOT}.tmp"
            with temporary.open("wb") as file:
                with CHANGES, contextlib.ExitStack() as held:
                    for lock in self._locks:
                        held.enter_context(lock)
                    if self._journal is None:
                        return
                    generation = self.generation + 1
                    state = {"format": FORMAT, "time": time.time(), "generation": generation,
                             "template": self._template, "running": dict(self.running), "cursors": dict(self.cursors)}
                    self._dump(state, file)
                    self._journal.close()
                    self._journal = journal.Journal(self.folder / f"journal-{generation:08d}.log")
                    self.generation = generation
                file.flush()
                os.fsync(file.fileno())
            self._last_snapshot_size = temporary.stat().st_size
            os.replace(temporary, self.folder / SNAPSHOT)
            _fsync_folder(self.folder)
            for older, path in self._journals():
                if older < generation:
                    path.unlink()
            self._snapshot_due = False

    @staticmethod
    def _dump(state: dict[str, Any], file: Any) -> None:
        import moto

        state["moto"] = moto.__version__
        for attempt in range(5):  # something changed a backend without the locks (a retention sweep): again
            file.seek(0)
            file.truncate()
            try:
                state["backends"], state["indexes"] = backends.in_use(), backends.indexes()
                backends.Pickler(file).dump(state)
                return
            except RuntimeError:
                if attempt == 4:
                    raise

    def close(self) -> None:
        """The final snapshot; from now on a change is refused (503), never applied unrecorded. Unlocks the folder."""
        self._timer.stop()  # after a snapshot under way (which holds _snapshot_lock, as the one below does)
        if self._journal is not None:
            # One hold of the change lock from the snapshot to the journal's close: a change (a workflow still
            # running) lands in the snapshot or is refused, never in a journal the next start would replay.
            with self._snapshot_lock, CHANGES:
                try:
                    self.snapshot()
                except Exception:  # noqa: BLE001 - the journal has every change: the next start replays it
                    log.exception("could not save a snapshot of the local state; the next start replays its journal")
                finally:
                    self._journal.close()
                    self._journal = None
                    self._recorder.closed = True
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
