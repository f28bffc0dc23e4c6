"""Expanding PATH... into drafts: folders, templates with JSON or CSV rows, samples, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from preflight.errors import (
    DraftError,
    HeaderInjectionError,
    InputError,
    PreflightError,
    RecipientsError,
    TemplateError,
    UsageError,
)
from preflight.lint.inputs import (
    TemplateData,
    expand_paths,
    iter_drafts,
    load_data_rows,
    sample_rows,
)

from .conftest import GOOD_EML, TEMPLATE

SENDER = "Li Wei <li@brightline.example>"


def collect(paths: list[Path], data: TemplateData | None = None):  # type: ignore[no-untyped-def]
    errors: list[PreflightError] = []
    drafts = list(iter_drafts(paths, sender=SENDER, data=data, on_error=errors.append))
    return drafts, errors


def test_folders_are_walked_recursively_in_sorted_order(
    write: Callable[..., Path], tmp_path: Path
) -> None:
    write("drafts/b.eml", GOOD_EML)
    write("drafts/a.eml", GOOD_EML)
    write("drafts/sub/c.j2", TEMPLATE)
    write("drafts/notes.txt", "not a draft")
    write("drafts/.git/x.eml", GOOD_EML)
    write("drafts/.hidden.eml", GOOD_EML)
    explicit = write("saved-as.txt", GOOD_EML)
    found = expand_paths([tmp_path / "drafts", explicit])
    names = [p.relative_to(tmp_path).as_posix() for p in found]
    assert names == ["drafts/a.eml", "drafts/b.eml", "drafts/sub/c.j2", "saved-as.txt"]


def test_a_missing_path_fails_before_anything_is_read(
    write: Callable[..., Path], tmp_path: Path
) -> None:
    good = write("a.eml", GOOD_EML)
    with pytest.raises(InputError) as caught:
        next(iter_drafts([good, tmp_path / "missing.eml"], sender=SENDER))
    assert caught.value.file == str(tmp_path / "missing.eml")
    assert "no such file" in caught.value.message


def test_eml_and_template_with_sample_values(write: Callable[..., Path]) -> None:
    eml = write("a.eml", GOOD_EML)
    template = write("t.j2", TEMPLATE)
    (first, second), errors = collect([eml, template])
    assert errors == []
    assert first.label == str(eml) and first.draft.subject == "Pipe fittings for Nordlicht"
    assert first.draft.personalization is None
    assert second.label == str(template) and second.path == template
    assert second.draft.subject == "Pipe fittings for Nordlicht Handel GmbH"
    assert second.draft.text.startswith("Hi Anna,")
    assert second.draft.from_addr == "li@brightline.example"
    assert second.draft.personalization is not None
    assert second.draft.personalization.subject_vars == {"company"}


def test_recipients_csv_with_bom_renders_every_row(write: Callable[..., Path]) -> None:
    template = write("t.j2", TEMPLATE)
    csv_text = (
        "email,first_name,company\r\nanna@n.example,Anna,Nordlicht\r\njo@k.example,Jo,Kraft AG\r\n"
    )
    recipients = write("list.csv", b"\xef\xbb\xbf" + csv_text.encode())
    drafts, errors = collect([template], TemplateData(recipients=recipients))
    assert errors == []
    assert [d.label for d in drafts] == [f"{template} [list.csv:2]", f"{template} [list.csv:3]"]
    assert [d.draft.to for d in drafts] == [("anna@n.example",), ("jo@k.example",)]
    assert drafts[1].draft.subject == "Pipe fittings for Kraft AG"
    assert drafts[1].draft.text.startswith("Hi Jo,")


def test_recipient_row_problems_are_reported_and_other_rows_linted(
    write: Callable[..., Path],
) -> None:
    template = write("t.j2", TEMPLATE)
    recipients = write(
        "list.csv",
        "email,first_name,company\nanna@n.example,Anna,Nordlicht\n"
        'x@evil.example,Eve,"Evil\r\nBcc: victim@example.com"\n'
        "broken row,only two\n"
        "jo@k.example,Jo,Kraft AG\n",
    )
    drafts, errors = collect([template], TemplateData(recipients=recipients))
    assert [d.label.rsplit(":", 1)[1] for d in drafts] == ["2]", "6]"]
    injection = next(e for e in errors if isinstance(e, HeaderInjectionError))
    assert (injection.file, injection.line, injection.field) == (str(template), 1, "Subject")
    assert "data row list.csv:3" in injection.message
    broken = next(e for e in errors if isinstance(e, RecipientsError))
    assert (broken.file, broken.line) == (str(recipients), 5)


def test_recipients_without_email_column_fail_before_linting(write: Callable[..., Path]) -> None:
    template = write("t.j2", TEMPLATE)
    recipients = write("list.csv", "name,company\nAnna,Nordlicht\n")
    with pytest.raises(RecipientsError) as caught:
        next(iter_drafts([template], sender=SENDER, data=TemplateData(recipients=recipients)))
    assert (caught.value.file, caught.value.line) == (str(recipients), 1)


def test_undefined_variable_stops_that_template_once(write: Callable[..., Path]) -> None:
    template = write("t.j2", TEMPLATE)
    eml = write("z.eml", GOOD_EML)
    recipients = write("list.csv", "email,first_name\na@n.example,Anna\nb@n.example,Ben\n")
    drafts, errors = collect([template, eml], TemplateData(recipients=recipients))
    assert [d.path for d in drafts] == [eml]  # the .eml after it is still linted
    (error,) = errors
    assert isinstance(error, TemplateError)
    assert (error.file, error.line, error.field) == (str(template), 1, "company")
    assert "data row list.csv:2" in error.message


def test_data_json_object_or_list(write: Callable[..., Path]) -> None:
    template = write("t.j2", TEMPLATE)
    one = write("row.json", '{"first_name": "Anna", "company": "Nordlicht", "employees": 40}')
    drafts, _ = collect([template], TemplateData(data=one))
    assert [d.label for d in drafts] == [f"{template} [row.json]"]
    many = write(
        "rows.json", '[{"first_name": "A", "company": "X"}, {"first_name": "B", "company": "Y"}]'
    )
    drafts, _ = collect([template], TemplateData(data=many))
    assert [d.draft.subject for d in drafts] == ["Pipe fittings for X", "Pipe fittings for Y"]
    assert drafts[1].label == f"{template} [rows.json:2]"


@pytest.mark.parametrize(
    ("text", "line", "field", "fragment"),
    [
        ('{"first_name": "Anna",\n "company": }', 2, None, "not valid JSON"),
        ('["just a string"]', None, None, "not an object"),
        ('{"first_name": {"nested": 1}}', None, "first_name", "string or a number"),
        ('{"first_name": null}', None, "first_name", "string or a number"),
    ],
)
def test_bad_data_files_name_file_line_or_key(
    write: Callable[..., Path], text: str, line: int | None, field: str | None, fragment: str
) -> None:
    path = write("row.json", text)
    with pytest.raises(InputError) as caught:
        load_data_rows(path)
    assert (caught.value.file, caught.value.line, caught.value.field) == (str(path), line, field)
    assert fragment in caught.value.message


def test_sample_is_reproducible_ordered_and_bounded(write: Callable[..., Path]) -> None:
    template = write("t.j2", TEMPLATE)
    rows = "".join(f"p{i}@n.example,P{i},C{i}\n" for i in range(200))
    recipients = write("list.csv", "email,first_name,company\n" + rows)
    data = TemplateData(recipients=recipients, sample=5)
    first, _ = collect([template], data)
    again, _ = collect([template], data)
    lines = [int(d.label.rsplit(":", 1)[1].rstrip("]")) for d in first]
    assert len(first) == 5 and lines == sorted(lines) and len(set(lines)) == 5
    assert [d.label for d in again] == [d.label for d in first]
    assert lines != [2, 3, 4, 5, 6]  # a sample, not the head of the file
    everything, _ = collect([template], TemplateData(recipients=recipients, sample=500))
    assert len(everything) == 200


def test_sample_rows_keeps_everything_when_small() -> None:
    from preflight.lint.inputs import DataRow

    rows = [DataRow(str(i), {}, "a@b.example") for i in range(3)]
    assert sample_rows(rows, 10) == rows


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"data": Path("a.json"), "recipients": Path("b.csv")}, "--data"),
        ({"sample": 0}, "--sample"),
    ],
)
def test_conflicting_options_are_usage_errors(kwargs: dict, field: str) -> None:
    with pytest.raises(UsageError) as caught:
        TemplateData(**kwargs)
    assert caught.value.field == field


def test_broken_eml_is_reported_and_skipped(write: Callable[..., Path]) -> None:
    empty = write("a-empty.eml", "")
    no_headers = write("b-text.eml", "just some words\nand more\n")
    good = write("c.eml", GOOD_EML)
    drafts, errors = collect([empty, no_headers, good])
    assert [d.path for d in drafts] == [good]
    assert all(isinstance(e, DraftError) for e in errors)
    assert [e.file for e in errors] == [str(empty), str(no_headers)]


def test_default_error_handler_raises(write: Callable[..., Path]) -> None:
    broken = write("a.eml", "")
    with pytest.raises(DraftError):
        list(iter_drafts([broken], sender=SENDER))
