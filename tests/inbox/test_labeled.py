"""The inbox sorter over the labeled set: at least 98 % right, no opt-out missed, and the
return date of every out-of-office that names one."""

from __future__ import annotations

from pathlib import Path

from inbox.helpers import LABELED, labels, record_sent
from preflight.inbox.importer import LedgerCorrespondence
from preflight.inbox.message import read_inbox_message
from preflight.inbox.sorters import sort_message
from preflight.ledger import Ledger


def test_the_sorter_gets_the_labeled_set_right(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        record_sent(ledger)
        known = LedgerCorrespondence(ledger)
        wrong: list[str] = []
        missed_optouts: list[str] = []
        wrong_dates: list[str] = []
        every = labels()
        assert len(every) >= 60
        for label in every:
            data = (LABELED / label.file).read_bytes()
            verdict = sort_message(read_inbox_message(data), data, known)
            if verdict.kind != label.kind:
                wrong.append(f"{label.file}: {verdict.kind} ({verdict.sorter}), not {label.kind}")
                if label.kind == "optout":
                    missed_optouts.append(label.file)
            elif label.kind == "autoreply":
                got = verdict.until.isoformat() if verdict.until else ""
                if got != label.return_date:
                    wrong_dates.append(f"{label.file}: {got or '-'}, not {label.return_date}")
            if verdict.kind in ("reply", "optout", "autoreply") and label.kind == verdict.kind:
                assert verdict.person == label.person, label.file
                assert verdict.sent is not None and verdict.sent.recipient == label.person
    right = len(every) - len(wrong)
    assert missed_optouts == []
    assert right / len(every) >= 0.98, wrong
    assert wrong_dates == []
