"""How the results of a list check are written: text lines, JSON Lines, CSV, the clean list.

Every CSV cell preflight writes goes through :func:`preflight.recipients.safe_csv_cell`, so a
list opened in a spreadsheet cannot run a formula smuggled into a name or an address.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO

from preflight.addresses import SEVERITY_RANK
from preflight.errors import InputError
from preflight.listcheck import CheckedRow, ListSummary
from preflight.recipients import safe_csv_row
from preflight.terminal import visible_line

REPORT_COLUMNS = ("line", "email", "verdict", "address", "suggestion", "reasons", "details")


def verdict_dict(checked: CheckedRow) -> dict[str, object]:
    """One row's result as plain data (the JSON Lines record)."""
    verdict = checked.verdict
    return {
        "line": checked.line,
        "email": verdict.address,
        "verdict": verdict.verdict,
        "address": verdict.normalized,
        "suggestion": verdict.suggestion,
        "corrected": verdict.corrected,
        "reasons": [
            {"code": r.code, "severity": r.severity, "message": r.message, "fix": r.fix}
            for r in verdict.reasons
        ],
    }


def jsonl_line(checked: CheckedRow) -> str:
    return json.dumps(verdict_dict(checked), ensure_ascii=False)


def report_csv_row(checked: CheckedRow) -> list[str]:
    verdict = checked.verdict
    return safe_csv_row(
        [
            str(checked.line),
            verdict.address,
            verdict.verdict,
            verdict.normalized or "",
            verdict.suggestion or "",
            ";".join(verdict.codes),
            " | ".join(f"{r.message} (fix: {r.fix})" for r in verdict.reasons),
        ]
    )


def text_line(source: str, checked: CheckedRow) -> str:
    """``list.csv:17: reject john@gamil.com: domain-typo: ... (fix: use john@gmail.com)``."""
    verdict = checked.verdict
    shown = [r for r in verdict.reasons if r.severity != "info"]
    details = "; ".join(f"{r.code}: {r.message} (fix: {r.fix})" for r in shown)
    address = verdict.address.strip() or ("(unreadable row)" if checked.row is None else "(empty)")
    return visible_line(f"{source}:{checked.line}: {verdict.verdict} {address}: {details}")


def summary_lines(source: str, summary: ListSummary) -> list[str]:
    counts = summary.verdicts
    corrected = f" ({summary.corrected:,} corrected by --fix)" if summary.corrected else ""
    lines = [
        f"{source}: {summary.rows:,} rows: {counts['ok']:,} ok, {counts['warn']:,} warn,"
        f" {counts['reject']:,} reject{corrected}"
    ]
    for (severity, code), count in sorted(
        summary.reasons.items(), key=lambda item: (-SEVERITY_RANK[item[0][0]], -item[1], item[0][1])
    ):
        lines.append(f"  {severity:<6} {code:<16} {count:>9,}")
    return lines


class CleanListWriter:
    """Writes the rows to keep, columns as in the input, to a temporary file renamed on close.

    The file appears only when the check finishes, so a crash never leaves half a list behind.
    It is UTF-8 with a byte-order mark, which spreadsheets need to show non-ASCII names.
    """

    def __init__(self, path: Path, columns: list[str], email_column: str) -> None:
        self.path = path
        self.columns = columns
        self.email_column = email_column
        self.rows = 0
        directory = path.resolve().parent
        try:
            handle, self._temp = tempfile.mkstemp(
                prefix=f".{path.name}.", suffix=".tmp", dir=directory
            )
        except OSError as error:
            raise InputError(f"cannot write there: {error.strerror}", file=path) from error
        self._file: IO[str] = os.fdopen(handle, "w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._file)
        self._writer.writerow(safe_csv_row(columns))

    def write(self, checked: CheckedRow, *, use_corrected: bool) -> None:
        if checked.row is None or checked.verdict.verdict == "reject":
            return
        fields = checked.row.fields
        if use_corrected and checked.verdict.normalized:
            fields = {**fields, self.email_column: checked.verdict.normalized}
        self._writer.writerow(safe_csv_row(fields.get(column, "") for column in self.columns))
        self.rows += 1

    def __enter__(self) -> CleanListWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._file.close()
        if kind is None:
            os.replace(self._temp, self.path)
        else:
            os.unlink(self._temp)


__all__ = [
    "REPORT_COLUMNS",
    "CleanListWriter",
    "jsonl_line",
    "report_csv_row",
    "summary_lines",
    "text_line",
    "verdict_dict",
]
