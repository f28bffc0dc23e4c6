"""Duplicate memory that spills to disk gives the same answers as one that never does.

The checker keeps up to ``memory_limit`` mailboxes in a dict and moves them to a temporary
SQLite file when it fills; these tests inject a tiny limit so a short list crosses the
boundary many times, and compare every verdict with an unbounded checker's.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import pytest

from preflight.addresses import AddressChecker, SeenMailboxes
from preflight.listcheck import check_rows
from preflight.recipients import read_recipients

# Duplicates placed on both sides of each spill: respelled (case, Gmail dots and +tags,
# googlemail), exact, and one after many spills.
ADDRESSES = [
    "anna@brandt-maschinen.de",  # line 2
    "li.wei@hengtong-valves.com",
    "j.o.h.n@gmail.com",
    "carlos@rossi-impianti.it",
    "ANNA@brandt-maschinen.de",  # line 6: duplicate of line 2, after the first spill
    "fatima@holland-pipe.nl",
    "john+offers@googlemail.com",  # line 8: duplicate of line 4 (one Gmail mailbox)
    "yuki@nordlicht-handel.de",
    "olga@nordlicht-handel.de",
    "ahmed@nordlicht-handel.de",
    "maria@nordlicht-handel.de",
    "jonas@nordlicht-handel.de",
    "li.wei@hengtong-valves.com",  # line 14: exact duplicate of line 3
    "fatima@holland-pipe.nl",  # line 15: duplicate of line 7
    "new.person@holland-pipe.nl",
]


def _verdicts(checker: AddressChecker) -> list[tuple[str, tuple[str, ...], str]]:
    out = []
    for line, address in enumerate(ADDRESSES, start=2):
        verdict = checker.check(address, line=line)
        messages = tuple(r.message for r in verdict.reasons if r.code == "duplicate")
        out.append((verdict.verdict, messages, verdict.normalized or ""))
    return out


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_duplicates_are_found_across_the_spill_boundary(limit: int) -> None:
    with AddressChecker(memory_limit=limit) as small, AddressChecker() as big:
        spilled = _verdicts(small)
        assert small.spilled, "the tiny limit must have moved mailboxes to disk"
        assert not big.spilled
        assert spilled == _verdicts(big)
        assert small.distinct_mailboxes == big.distinct_mailboxes == 11
    rejected = {line for line, (v, _, _) in enumerate(spilled, start=2) if v == "reject"}
    assert rejected == {6, 8, 14, 15}
    by_line = dict(enumerate(spilled, start=2))
    assert by_line[6][1] == ("same mailbox as line 2",)
    assert by_line[8][1] == ("same mailbox as line 4 (the provider treats them as one)",)
    assert by_line[14][1] == ("same mailbox as line 3",)
    assert by_line[15][1] == ("same mailbox as line 7",)


def test_the_first_line_wins_on_disk_too() -> None:
    seen = SeenMailboxes(memory_limit=2)
    seen.add(10, 4)
    seen.add(11, 6)  # fills the dict: both move to disk
    assert seen.spilled and len(seen) == 2
    seen.add(10, 99)  # already known on disk: ignored
    seen.add(12, 8)
    assert (seen.first(10), seen.first(11), seen.first(12), seen.first(13)) == (4, 6, 8, None)
    assert len(seen) == 3
    seen.close()
    assert not seen.spilled and len(seen) == 0 and seen.first(10) is None


def test_bad_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        SeenMailboxes(memory_limit=0)


def _open_files() -> set[str]:
    names = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            names.add(os.readlink(f"/proc/self/fd/{fd}"))
    return names


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/fd")
def test_the_spill_is_an_unlinked_file_on_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past SQLite's small page cache the keys are in a real file, already unlinked (nothing
    to clean up even after a SIGKILL), and closing releases it."""
    monkeypatch.setattr(SeenMailboxes, "_CACHE_KIB", 64)
    before = _open_files()
    seen = SeenMailboxes(memory_limit=100)
    for key in range(20_000):
        seen.add_new(key * 7919, key << 1)
    opened = _open_files() - before
    assert seen.spilled and seen.first(19_999 * 7919) == 39_998 and len(seen) == 20_000
    assert [name for name in opened if name.endswith(" (deleted)")], opened
    seen.close()
    assert not [name for name in _open_files() - before if name.endswith(" (deleted)")]


def test_a_listcheck_over_the_limit_matches_one_under_it(tmp_path: Path) -> None:
    rows = [f"buyer{i % 40}@company{i % 40}.example" for i in range(120)]  # 80 duplicates
    path = tmp_path / "list.csv"
    path.write_text("email\n" + "\n".join(rows) + "\n", encoding="utf-8")

    def run(limit: int) -> list[tuple[int, str, tuple[str, ...]]]:
        with (
            read_recipients(path, on_error="collect") as reader,
            AddressChecker(memory_limit=limit) as checker,
        ):
            return [
                (c.line, c.verdict.verdict, tuple(c.verdict.codes))
                for c in check_rows(reader, checker)
            ]

    spilled, kept = run(7), run(1_000)
    assert spilled == kept
    assert sum(1 for _, verdict, _ in spilled if verdict == "reject") == 80
