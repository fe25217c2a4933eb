"""The state folder's files (local_stack.persistence): the journal's framing, the folder's lock, FRESH."""

import pytest

from local_stack.persistence import LocalState, StateError, journal


def test_a_torn_last_record_is_dropped_and_every_record_before_it_is_read(tmp_path):
    # Given a journal whose last write was cut short (a kill -9 in the middle of it)
    path = tmp_path / "journal-00000001.log"
    log = journal.Journal(path)
    for n in range(3):
        log.append(("sdk", f"1:{n}", b"body" * n))
    log.close()
    whole = path.read_bytes()
    path.write_bytes(whole + journal.encode(("sdk", "1:3", b"cut"))[:-2])

    # Then reading it gives the whole records, in order, and stops at the torn one
    assert [record[1] for record in journal.read(path)] == ["1:0", "1:1", "1:2"]


def test_a_damaged_record_ends_the_journal_there(tmp_path):
    path = tmp_path / "journal-00000001.log"
    log = journal.Journal(path)
    for n in range(3):
        log.append(("sdk", f"1:{n}", b"abc"))
    log.close()
    data = bytearray(path.read_bytes())
    data[len(journal.encode(("sdk", "1:0", b"abc"))) + 12] ^= 0xFF  # a byte of the second record's payload
    path.write_bytes(bytes(data))
    assert [record[1] for record in journal.read(path)] == ["1:0"]


def test_one_folder_serves_one_stack_and_fresh_empties_it(tmp_path):
    folder = tmp_path / "state"
    first = LocalState.open(folder)
    with pytest.raises(StateError, match="in use by another"):
        LocalState.open(folder)
    (folder / "journal-00000001.log").write_bytes(b"")
    (folder / "snapshot.pickle").write_bytes(b"")
    first.close()
    LocalState.open(folder, fresh=True).close()
    assert sorted(path.name for path in folder.iterdir()) == ["lock"]
