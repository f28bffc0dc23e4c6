"""Hostile bounce messages: each read in bounded time and memory, cut with a note, and an
import that meets one goes on (issue 13: one message stalled every re-run for minutes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bounces.helpers import seed_messages
from bounces.hostile_messages import HOSTILE
from preflight.bounces import importer as importer_module
from preflight.bounces.importer import Importer, import_source
from preflight.bounces.limits import MAX_RECORDS
from preflight.bounces.sources import RawMessage
from preflight.ledger import Ledger

TESTS = Path(__file__).resolve().parents[1]
# Each message is read in a fresh process: CPU seconds of the read, and the process's peak
# resident memory (interpreter included), against the bounds.
_PROBE = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from bounces.hostile_messages import HOSTILE
from preflight.bounces.reader import read_records
data = HOSTILE[sys.argv[1]][1]()
start = time.process_time()
reading = read_records(data)
seconds = time.process_time() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "mb": peak, "records": len(reading.records),
                  "notes": reading.notes}))
"""


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_each_hostile_message_is_read_within_2_s_and_300_mb(name: str) -> None:
    done = subprocess.run([sys.executable, "-c", _PROBE, name, str(TESTS)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["seconds"] <= 2.0, (HOSTILE[name][0], result)
    assert result["mb"] <= 300, (HOSTILE[name][0], result)
    assert result["records"] <= MAX_RECORDS


@pytest.mark.parametrize(("name", "note"), [
    ("one-line-body", "lines over"),
    ("dash-line", "lines over"),
    ("boundary-lines", "MIME parts after the first"),
    ("final-recipients", f"after the first {MAX_RECORDS} ignored"),
])
def test_a_cut_is_noted(name: str, note: str) -> None:
    from preflight.bounces.reader import read_records

    reading = read_records(HOSTILE[name][1]())
    assert any(note in n for n in reading.notes), reading.notes


def test_import_records_cut_messages_and_goes_on(corpus: Path, ledger: Ledger,
                                                 tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for index, (_, build) in enumerate(HOSTILE.values()):
        (folder / f"{index:02d}-hostile.eml").write_bytes(build())
    (folder / "99-real.eml").write_bytes((corpus / "lhost-postfix-33.eml").read_bytes())
    seed_messages(ledger.db, [("userunknown@libsisimai.org",
                               "<20150429233445.BB8FFFFC16@p6.libsisimai.org>")])
    summary = import_source(ledger, str(folder))
    assert summary.messages == len(HOSTILE) + 1 and summary.unreadable == 0
    assert summary.capped >= 4
    notes = ledger.bounce_message_notes()
    assert {outcome for _, outcome, _ in notes} == {"capped"}
    assert any("ignored" in (note or "") for _, _, note in notes)
    row = ledger.db.execute("SELECT state FROM messages WHERE recipient = ?",
                            ("userunknown@libsisimai.org",)).fetchone()
    assert row[0] == "bounced"  # the real bounce after the hostile ones was applied
    # 200k forged recipients: at most MAX_RECORDS stored, none suppressed (none was sent).
    assert ledger.db.execute("SELECT COUNT(*) FROM bounces WHERE recipient LIKE"
                             " '%@victim.example'").fetchone()[0] <= MAX_RECORDS
    assert [s.address for s in ledger.suppressions()] == ["userunknown@libsisimai.org"]


def test_a_message_that_breaks_the_reader_is_unreadable_and_the_import_goes_on(
    corpus: Path, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Failure injection: the reader is meant never to raise, so no real message makes it.
    real = importer_module.read_records

    def breaks_on_marker(data: bytes) -> object:
        if b"X-Break-Reader" in data:
            raise RecursionError("maximum recursion depth exceeded")
        return real(data)

    monkeypatch.setattr(importer_module, "read_records", breaks_on_marker)
    seed_messages(ledger.db, [("userunknown@libsisimai.org",
                               "<20150429233445.BB8FFFFC16@p6.libsisimai.org>")])
    importer = Importer(ledger)
    importer.import_one(RawMessage(data=b"X-Break-Reader: 1\n\nx\n", location="box#0"))
    importer.import_one(RawMessage(data=(corpus / "lhost-postfix-33.eml").read_bytes(),
                                   location="box#1"))
    assert importer.summary.unreadable == 1 and importer.summary.records == 1
    assert ledger.bounce_message_notes() == [("box#0", "unreadable", "RecursionError")]
