"""The recipients CSV reader: streaming, encodings, line numbers, and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from preflight.errors import RecipientsError
from preflight.recipients import read_recipients, safe_csv_cell, safe_csv_row


def write(tmp_path: Path, data: bytes | str, name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_rows_keep_columns_and_first_line_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'first_name,Email,company\r\nLi Wei,li.wei@hengtong-valves.com,"Hengtong\r\nValves"\r\n'
        "\r\nAnna,anna@brandt-maschinen.de,Brandt\r\n",
    )
    with read_recipients(path) as reader:
        assert reader.columns == ["first_name", "Email", "company"]
        assert reader.email_column == "Email"
        rows = list(reader)
    assert [row.line for row in rows] == [2, 5]  # the quoted cell spans lines 2-3; 4 is blank
    assert rows[0].email == "li.wei@hengtong-valves.com"
    assert rows[0].fields == {
        "first_name": "Li Wei",
        "Email": "li.wei@hengtong-valves.com",
        "company": "Hengtong\r\nValves",
    }


def test_utf8_with_bom_and_chinese_names(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffemail,name\nzhang@qq.com,张伟\n".encode())
    rows = list(read_recipients(path))
    assert rows[0].fields == {"email": "zhang@qq.com", "name": "张伟"}


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_exports(tmp_path: Path, delimiter: str) -> None:
    path = write(tmp_path, f"email{delimiter}name\nа@почта.рф{delimiter}Ivan, Jr.\n")
    rows = list(read_recipients(path))
    assert rows[0].email == "а@почта.рф"
    assert rows[0].fields["name"] == "Ivan, Jr."


def test_missing_email_column_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "name,mail\nAnn,ann@example.com\n")
    with pytest.raises(RecipientsError) as caught:
        read_recipients(path)
    error = caught.value
    assert (error.file, error.line, error.field) == (str(path), 1, "email")
    assert "columns: name, mail" in str(error)
    assert "\n" not in str(error)


def test_wrong_cell_count_raises_with_line(tmp_path: Path) -> None:
    path = write(tmp_path, "email,name\na@example.com,A\nb@example.com\n")
    reader = read_recipients(path)
    assert next(reader).line == 2
    with pytest.raises(RecipientsError) as caught:
        next(reader)
    assert caught.value.line == 3
    assert "expected 2 cells" in str(caught.value)


def test_trailing_empty_cells_from_spreadsheets_are_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "email,name,,\na@example.com,A,,\nb@example.com,B\n")
    rows = list(read_recipients(path))
    assert [row.fields for row in rows] == [
        {"email": "a@example.com", "name": "A"},
        {"email": "b@example.com", "name": "B"},
    ]


def test_bad_encoding_is_reported_at_its_row(tmp_path: Path) -> None:
    gbk = "email,name\nok@example.com,A\nwang@163.com,王\n".encode("gbk")
    path = write(tmp_path, gbk)
    reader = read_recipients(path)
    assert next(reader).email == "ok@example.com"
    with pytest.raises(RecipientsError, match="not UTF-8") as caught:
        next(reader)
    assert caught.value.line == 3


def test_collect_mode_skips_broken_rows_and_records_them(tmp_path: Path) -> None:
    data = b"email,name\na@example.com,A\nonly-one-cell\nc@example.com,\xff\xfe\nd@example.com,D\n"
    reader = read_recipients(write(tmp_path, data), on_error="collect")
    assert [row.line for row in reader] == [2, 5]
    assert [(e.line, "UTF-8" in e.message) for e in reader.errors] == [(3, False), (4, True)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("email,email\n", "appears twice"),
        ("email,,name\n", "column 2 of the header has no name"),
    ],
)
def test_bad_headers(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(RecipientsError, match=message):
        read_recipients(write(tmp_path, content))


def test_missing_file_is_a_recipients_error(tmp_path: Path) -> None:
    with pytest.raises(RecipientsError, match="cannot open") as caught:
        read_recipients(tmp_path / "nope.csv")
    assert caught.value.file == str(tmp_path / "nope.csv")


def test_reading_streams_instead_of_loading_the_file(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("email,name\n")
        for i in range(200_000):
            out.write(f"user{i}@example.com,User {i}\n")
    size = path.stat().st_size
    with read_recipients(path) as reader:
        first = next(reader)
        # Only a buffer's worth of a ~5 MB file has been read for the first row.
        consumed = reader._text.buffer.tell()  # type: ignore[attr-defined]
    assert first.email == "user0@example.com"
    assert consumed < 256 * 1024 < size


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1 555 0100", "'+1 555 0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Anna", "Anna"),
        ("a@b.example", "a@b.example"),
        ("", ""),
    ],
)
def test_safe_csv_cell(cell: str, safe: str) -> None:
    assert safe_csv_cell(cell) == safe


def test_safe_csv_row() -> None:
    assert safe_csv_row(["=1", "ok"]) == ["'=1", "ok"]
