"""Turn the paths given to ``preflight lint`` into drafts, one at a time.

A path is an ``.eml`` file, a template (``.j2``), or a folder searched recursively for both.
A template becomes one draft per data row: the rows of ``--data row.json``, of
``--recipients list.csv`` (all of them, or a reproducible ``--sample N``), or one row of
built-in sample values. Everything streams: a million-row list is never held in memory.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.utils import formataddr
from pathlib import Path
from typing import TYPE_CHECKING

from preflight.draft import Draft, read_draft
from preflight.errors import (
    InputError,
    PreflightError,
    TemplateError,
    UsageError,
)
from preflight.lint.config import DEFAULT_SENDER

# Templates (jinja2), message building and recipient lists are imported where a template is
# rendered: a folder of .eml drafts never needs them (0.05 s of start-up).
if TYPE_CHECKING:
    from preflight.lint.config import LintConfig
    from preflight.lint.model import LintReport
    from preflight.templates import RenderedMessage, Template

TEMPLATE_SUFFIXES = (".j2",)
DRAFT_SUFFIXES = (".eml",)
SAMPLE_SEED = 20240601  # a fixed seed: --sample picks the same rows every run

ErrorHandler = Callable[[PreflightError], None]


@dataclass(frozen=True)
class LintInput:
    """One draft to lint: the file it came from and the label reports show for it."""

    path: Path
    label: str  # the path, or "template.j2 [list.csv:12]" for a rendered row
    draft: Draft


@dataclass(frozen=True)
class DataRow:
    """One row of template data and where it came from."""

    where: str  # "list.csv:12", "row.json:2", or "" for sample values
    values: Mapping[str, str]
    to_addr: str
    file: Path | None = None  # the data file, None for sample values
    line: int | None = None  # the CSV line


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Every ``.eml`` and ``.j2`` file under ``paths``, folders walked in sorted order.

    A path that does not exist is an InputError before anything is linted. Files named
    explicitly are kept whatever their suffix (an ``.eml`` saved as ``.txt`` is still a draft).
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(_walk(path))
        elif path.is_file():
            found.append(path)
        else:
            raise InputError("no such file or folder", file=path)
    return found


def _walk(folder: Path) -> Iterator[Path]:
    wanted = DRAFT_SUFFIXES + TEMPLATE_SUFFIXES
    for root, dirs, files in os.walk(folder):
        # Hidden folders (.git, .venv) hold no drafts; sorting keeps the output stable.
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        base = Path(root)
        for name in sorted(files):
            if name.endswith(wanted) and not name.startswith("."):
                yield base / name


def is_template(path: Path) -> bool:
    return path.suffix.lower() in TEMPLATE_SUFFIXES


def load_data_rows(path: Path) -> list[DataRow]:
    """Rows of a ``--data`` JSON file: one object, or a list of objects, of scalar values."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("no such data file", file=path) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the data file: {error}", file=path) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"not valid JSON: {error.msg}", file=path, line=error.lineno) from None
    objects = data if isinstance(data, list) else [data]
    rows = []
    for number, obj in enumerate(objects, start=1):
        if not isinstance(obj, dict):
            raise InputError(
                f'row {number} is not an object like {{"first_name": "Anna"}}', file=path
            )
        values: dict[str, str] = {}
        for key, value in obj.items():
            if isinstance(value, dict | list) or value is None:
                raise InputError(
                    f"row {number}: a value must be a string or a number", file=path, field=key
                )
            values[key] = str(value).lower() if isinstance(value, bool) else str(value)
        where = f"{path.name}:{number}" if isinstance(data, list) else path.name
        rows.append(DataRow(where, values, _to_addr(values), file=path))
    return rows


def _to_addr(values: Mapping[str, str]) -> str:
    """The row's own address, or the sample one when the data has no email column."""
    if "email" in values:
        return values["email"]
    from preflight.templates import sample_value

    return sample_value("email")


def _recipient_rows(path: Path, on_error: ErrorHandler) -> Iterator[DataRow]:
    from preflight.recipients import read_recipients

    with read_recipients(path, on_error="collect") as reader:
        for row in reader:
            yield DataRow(
                f"{path.name}:{row.line}",
                row.fields | {"email": row.email},
                row.email,
                file=path,
                line=row.line,
            )
        for error in reader.errors:
            on_error(error)


def sample_rows(rows: Iterable[DataRow], size: int) -> list[DataRow]:
    """A reproducible random sample of ``size`` rows (reservoir: the rows are streamed)."""
    chosen: list[tuple[int, DataRow]] = []
    pick = random.Random(SAMPLE_SEED)
    for index, row in enumerate(rows):
        if index < size:
            chosen.append((index, row))
        else:
            slot = pick.randrange(index + 1)
            if slot < size:
                chosen[slot] = (index, row)
    return [row for _, row in sorted(chosen, key=lambda pair: pair[0])]


@dataclass(frozen=True)
class TemplateData:
    """Where template rows come from; with neither file, built-in sample values are used."""

    data: Path | None = None
    recipients: Path | None = None
    sample: int | None = None

    def __post_init__(self) -> None:
        if self.data is not None and self.recipients is not None:
            raise UsageError("give --data or --recipients, not both", field="--data")
        if self.sample is not None and self.sample < 1:
            raise UsageError("must be 1 or more", field="--sample")

    def preload(self) -> list[DataRow] | None:
        """Read what can be checked before linting: the JSON rows, the recipients header."""
        if self.data is not None:
            return load_data_rows(self.data)
        if self.recipients is not None:
            from preflight.recipients import read_recipients

            read_recipients(self.recipients).close()  # fails now on a missing email column
        return None

    def rows(
        self, template: Template, preloaded: list[DataRow] | None, on_error: ErrorHandler
    ) -> Iterable[DataRow]:
        rows: Iterable[DataRow]
        if preloaded is not None:
            rows = preloaded
        elif self.recipients is not None:
            rows = _recipient_rows(self.recipients, on_error)
        else:
            from preflight.templates import sample_row

            values = sample_row(template.variables)
            return [DataRow("", values, _to_addr(values))]
        return sample_rows(rows, self.sample) if self.sample else rows


def _raise(error: PreflightError) -> None:
    raise error


def iter_drafts(
    paths: Sequence[str | Path],
    *,
    sender: str,
    data: TemplateData | None = None,
    on_error: ErrorHandler | None = None,
) -> Iterator[LintInput]:
    """Yield a draft for every ``.eml`` and every template row under ``paths``.

    An input that cannot be read is passed to ``on_error`` and skipped (the default raises).
    Missing paths and unreadable data files fail before the first draft.
    """
    handle = on_error or _raise
    data = data or TemplateData()
    files = expand_paths(paths)
    preloaded = data.preload()
    for path in files:
        if is_template(path):
            yield from _template_drafts(path, sender, data, preloaded, handle)
            continue
        try:
            draft = read_draft(path)
        except InputError as error:
            handle(error)
            continue
        yield LintInput(path, draft.source, draft)


def _template_drafts(
    path: Path,
    sender: str,
    data: TemplateData,
    preloaded: list[DataRow] | None,
    on_error: ErrorHandler,
) -> Iterator[LintInput]:
    from preflight.message import build_message
    from preflight.templates import load_template, unknown_samples

    try:
        template = load_template(path)
    except TemplateError as error:
        on_error(error)
        return
    for row in data.rows(template, preloaded, on_error):
        label = f"{path} [{row.where}]" if row.where else str(path)
        try:
            rendered = template.render(row.values)
            message = build_message(
                rendered, from_addr=_from_for(sender, rendered), to_addr=row.to_addr
            )
            draft = Draft.from_message(message, label, rendered.personalization)
            if not row.where:  # built-in sample values: say which, and which look like typos
                draft.sample_values = dict(row.values)
                draft.unknown_variables = unknown_samples(template.variables)
        except TemplateError as error:
            # A render error is the template's, not the row's: every row would repeat it.
            on_error(_with_row(error, row))
            return
        except InputError as error:  # a bad value in this row (line break, no address)
            on_error(_with_row(error, row))
            continue
        yield LintInput(path, label, draft)


def _from_for(sender: str, rendered: RenderedMessage) -> str:
    """The configured sender; with none configured, the template's own Reply-To, so a
    placeholder From does not make the Reply-To look like it goes to another domain."""
    reply_to = rendered.addresses.get("Reply-To")
    if sender != DEFAULT_SENDER or reply_to is None or not reply_to[1]:
        return sender
    return formataddr(reply_to)


def _with_row(error: PreflightError, row: DataRow) -> PreflightError:
    """The same error, saying which data row caused it."""
    if not row.where:
        return error
    # build_message knows the field, not the file: then the data row is where to look.
    in_row = error.file is None
    return type(error)(
        error.message + f" (data row {row.where})",
        file=row.file if in_row else error.file,
        line=row.line if in_row else error.line,
        field=error.field,
    )


def lint_paths(
    paths: Sequence[str | Path],
    config: LintConfig,
    *,
    data: TemplateData | None = None,
    on_error: ErrorHandler | None = None,
) -> Iterator[tuple[LintInput, LintReport]]:
    """Lint every draft under ``paths``: the library form of ``preflight lint``."""
    from preflight.lint.linter import lint_draft

    for item in iter_drafts(paths, sender=config.sender, data=data, on_error=on_error):
        yield item, lint_draft(item.draft, config.settings)


__all__ = [
    "DataRow",
    "LintInput",
    "TemplateData",
    "expand_paths",
    "iter_drafts",
    "lint_paths",
    "load_data_rows",
    "sample_rows",
]
