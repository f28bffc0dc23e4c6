"""Read a recipients CSV one row at a time, and write CSV cells a spreadsheet cannot run.

The file is streamed: a million-row list costs the memory of one row. It must be UTF-8
(a byte-order mark is fine) with a header row naming an ``email`` column; a comma is the
separator unless the header has none and uses ``;`` or a tab (spreadsheet exports in many
locales do).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from preflight.errors import RecipientsError

EMAIL_COLUMN = "email"
# One physical line of a recipients file, at most (a row is a few hundred characters).
MAX_LINE_CHARS = 1_000_000

# Cells a spreadsheet would evaluate as a formula (OWASP "CSV injection"); tab and CR too,
# because some spreadsheets strip them and then see the formula behind.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# How far into a cell the guard looks past invisible characters (a formula hidden behind a
# megabyte of spaces is not worth reading: such a cell is quoted anyway).
_GUARD_SCAN = 1000


def visible_start(value: str) -> str | None:
    """The first character a spreadsheet looks at: past whitespace, control and format
    characters (LF, space, NBSP, ZWSP, BOM, VT, FF, U+2028, U+0085, ...), in NFKC form (some
    spreadsheets fold full-width ``＝`` to ``=``). ``None`` for an invisible-only value, and
    ``"="`` past :data:`_GUARD_SCAN` invisible characters (treated as hiding a formula)."""
    for index, char in enumerate(value):
        if index >= _GUARD_SCAN:
            return "="
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
            continue
        return unicodedata.normalize("NFKC", char)
    return None


def safe_csv_cell(value: str) -> str:
    """``value`` made inert for a spreadsheet: a formula-like cell gets a leading ``'``.

    Spreadsheets trim leading whitespace and ignore invisible characters before they look for
    a formula: see :func:`visible_start`.
    """
    if value.startswith(_FORMULA_STARTS):
        return "'" + value
    start = visible_start(value)
    return "'" + value if start is not None and start.startswith(_FORMULA_STARTS) else value


def safe_csv_row(values: Iterable[str]) -> list[str]:
    """Every cell of a row passed through :func:`safe_csv_cell`."""
    return [safe_csv_cell(value) for value in values]


@dataclass(frozen=True, slots=True)
class RecipientRow:
    """One data row: its first physical line in the file, the email cell, all named cells."""

    line: int
    email: str
    fields: dict[str, str]


OnError = Literal["raise", "collect"]


class RecipientReader(Iterator[RecipientRow]):
    """An open recipients file, iterated row by row.

    The header is read when the reader is made, so a missing ``email`` column fails before
    any work starts. With ``on_error="collect"`` a broken row is skipped and its error kept in
    :attr:`errors`; otherwise it is raised.
    """

    def __init__(
        self, path: str | Path, *, on_error: OnError = "raise", email_column: str = EMAIL_COLUMN
    ) -> None:
        if on_error not in ("raise", "collect"):
            raise ValueError(f"on_error must be 'raise' or 'collect', not {on_error!r}")
        self.path = Path(path)
        self.on_error: OnError = on_error
        self.errors: list[RecipientsError] = []
        try:
            raw = self.path.open("rb")
        except OSError as error:
            raise RecipientsError(
                f"cannot open the recipients file: {error.strerror or error}", file=self.path
            ) from error
        # surrogateescape keeps undecodable bytes as lone surrogates, so a bad byte is
        # reported at the row that holds it instead of aborting the whole read.
        self._text: IO[str] = io.TextIOWrapper(
            raw, encoding="utf-8-sig", errors="surrogateescape", newline=""
        )
        try:
            self.columns, self._email_index, delimiter = self._read_header(email_column)
        except BaseException:
            self._text.close()
            raise
        self._reader = csv.reader(self._capped_lines(), delimiter=delimiter, strict=True)
        self._rows = self._generate()

    def _capped_lines(self) -> Iterator[str]:
        """The file's lines, each read with a size limit: a 1 GB line must not become a 1 GB
        string before the csv module sees it (and the csv module's field limit bounds a
        quoted field over several lines)."""
        read = self._text.readline
        while True:
            line = read(MAX_LINE_CHARS + 1)
            if not line:
                return
            if len(line) > MAX_LINE_CHARS:
                raise RecipientsError(
                    f"a line is longer than {MAX_LINE_CHARS:,} characters: not a recipients "
                    "row (is this the right file?)",
                    file=self.path,
                    line=1 + self._reader.line_num + 1,
                )
            yield line

    @property
    def bytes_read(self) -> int:
        """How far into the file the reader is, in bytes (to the buffer's last read)."""
        return self._text.buffer.tell()

    @property
    def email_column(self) -> str:
        """The header cell of the email column as the file spells it."""
        return self.columns[self._email_index]

    def _read_header(self, email_column: str) -> tuple[list[str], int, str]:
        first = self._text.readline()
        if not first.strip():
            raise RecipientsError(
                "the file is empty: a header row is needed", file=self.path, line=1
            )
        delimiter = ","
        if "," not in first:
            delimiter = next((d for d in (";", "\t") if d in first), ",")
        try:
            header = next(csv.reader([first], delimiter=delimiter, strict=True))
        except csv.Error as error:
            raise RecipientsError(f"unreadable header: {error}", file=self.path, line=1) from error
        _check_encoding(header, self.path, 1)
        columns = [cell.strip() for cell in header]
        while columns and not columns[-1]:
            columns.pop()  # trailing separators from a spreadsheet export
        seen: set[str] = set()
        for position, name in enumerate(columns, start=1):
            if not name:
                raise RecipientsError(
                    f"column {position} of the header has no name", file=self.path, line=1
                )
            if name.lower() in seen:
                raise RecipientsError(
                    f"column {name!r} appears twice in the header", file=self.path, line=1
                )
            seen.add(name.lower())
        wanted = email_column.lower()
        for index, name in enumerate(columns):
            if name.lower() == wanted:
                return columns, index, delimiter
        raise RecipientsError(
            f"no {email_column!r} column in the header (columns: {', '.join(columns) or 'none'})",
            file=self.path,
            line=1,
            field=email_column,
        )

    def _generate(self) -> Iterator[RecipientRow]:
        columns = self.columns
        width = len(columns)
        email_index = self._email_index
        reader = self._reader
        path = self.path
        # The csv reader counts the lines it read itself; the header line came before.
        last_line = 1
        try:
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    line = last_line + 1
                    last_line = 1 + reader.line_num
                    self._fail(RecipientsError(f"unreadable row: {error}", file=path, line=line))
                    continue
                line = last_line + 1
                last_line = 1 + reader.line_num
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue  # blank line
                if len(cells) != width:
                    if len(cells) < width or any(c.strip() for c in cells[width:]):
                        self._fail(
                            RecipientsError(
                                f"expected {width} cells like the header, found {len(cells)}",
                                file=path,
                                line=line,
                            )
                        )
                        continue
                    cells = cells[:width]
                try:
                    _check_encoding(cells, path, line)
                except RecipientsError as error:
                    self._fail(error)
                    continue
                yield RecipientRow(line, cells[email_index], dict(zip(columns, cells, strict=True)))
        finally:
            self._text.close()

    def _fail(self, error: RecipientsError) -> None:
        if self.on_error == "raise":
            raise error
        self.errors.append(error)

    def __iter__(self) -> RecipientReader:
        return self

    def __next__(self) -> RecipientRow:
        return next(self._rows)

    def close(self) -> None:
        """Stop reading and release the file."""
        self._rows.close()
        self._text.close()

    def __enter__(self) -> RecipientReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_encoding(cells: list[str], path: Path, line: int) -> None:
    for cell in cells:
        if cell.isascii():
            continue
        try:
            cell.encode("utf-8")
        except UnicodeEncodeError as error:
            raise RecipientsError(
                "not UTF-8 text (save the file as 'CSV UTF-8' in your spreadsheet)",
                file=path,
                line=line,
            ) from error


def read_recipients(
    path: str | Path, *, on_error: OnError = "raise", email_column: str = EMAIL_COLUMN
) -> RecipientReader:
    """Stream the rows of a recipients CSV.

    Raises :class:`RecipientsError` naming the file and line for a missing ``email`` column, a
    row whose cell count differs from the header, or bytes that are not UTF-8. With
    ``on_error="collect"`` broken rows are skipped and listed in the reader's ``errors``.
    """
    return RecipientReader(path, on_error=on_error, email_column=email_column)


__all__ = [
    "EMAIL_COLUMN",
    "MAX_LINE_CHARS",
    "RecipientReader",
    "RecipientRow",
    "read_recipients",
    "safe_csv_cell",
    "safe_csv_row",
    "visible_start",
]
