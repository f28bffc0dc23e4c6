"""Fuzz targets: raw bytes in, nothing out but a result or one of preflight's own errors.

Each target takes the bytes a fuzzer (atheris, or hypothesis in tests/hostile) made and runs
one reader of untrusted input the way preflight runs it. Anything but a PreflightError
escaping is a bug; so is a run-away (the runners bound the time per input).

- ``eml``: an .eml file through ``read_draft`` and the linter with default settings.
- ``draft``: ``email.message_from_bytes`` + ``Draft.from_message`` + ``lint_draft`` (a parsed
  message handed over by a caller, as the sender does).
- ``bounce``: ``classify_message``, the bounce reader's entry for one raw message.
- ``template``: the bytes as a template file, rendered with a row made from the same bytes.
"""

from __future__ import annotations

import atexit
import contextlib
import email
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from preflight.bounces.reader import classify_message
from preflight.draft import Draft, read_draft
from preflight.errors import PreflightError
from preflight.lint.charsets import sniff_html
from preflight.lint.linter import lint_draft
from preflight.lint.settings import LintSettings
from preflight.templates import load_template

_SETTINGS = LintSettings()
_SCRATCH = Path(tempfile.mkdtemp(prefix="preflight-fuzz-"))
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)


def _warm_up() -> None:
    """Load what the linter loads lazily (the language model, textstat, bs4) before fuzzing.

    Otherwise the first inputs pay a second or more of one-time loading out of the fuzzer's
    short time budget, on a shared machine most of it.
    """
    words = "Wir liefern Ventilgehäuse aus Edelstahl in drei Wochen nach Schweden. " * 10
    message = email.message_from_string(
        "From: a <a@b.example>\nSubject: x\nContent-Type: text/html; charset=utf-8\n\n"
        f"<p>{words}</p>\n"
    )
    lint_draft(Draft.from_message(message, "warm-up"), _SETTINGS)
    sniff_html(b"<p>\xff\xfe caf\xe9</p>", "utf-8")


_warm_up()


def eml(data: bytes) -> None:
    path = _SCRATCH / f"{os.getpid()}.eml"
    path.write_bytes(data)
    with contextlib.suppress(PreflightError):
        lint_draft(read_draft(path), _SETTINGS)


def draft(data: bytes) -> None:
    try:
        message = email.message_from_bytes(data)
    except RecursionError:
        return  # the stdlib parser's own limit, before preflight runs (``eml`` covers it)
    with contextlib.suppress(PreflightError):
        lint_draft(Draft.from_message(message, "fuzz"), _SETTINGS)


def bounce(data: bytes) -> None:
    try:
        records = classify_message(data)
    except PreflightError:
        return
    for record in records:
        # Whatever the reader makes of a message, a record is well-formed.
        assert isinstance(record.hard, bool)
        assert record.recipient is None or isinstance(record.recipient, str)


def template(data: bytes) -> None:
    """The first line (split on NUL) gives row values; the rest is the template file."""
    values_part, _, source = data.partition(b"\n")
    values = [v.decode("utf-8", "replace") for v in values_part.split(b"\x00")] or [""]
    path = _SCRATCH / f"{os.getpid()}.j2"
    path.write_bytes(source)
    try:
        loaded = load_template(path)
        row = {name: values[i % len(values)] for i, name in enumerate(sorted(loaded.variables))}
        rendered = loaded.render(row)
    except PreflightError:
        return
    assert isinstance(rendered.subject, str) and isinstance(rendered.text, str)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "eml": eml,
    "draft": draft,
    "bounce": bounce,
    "template": template,
}
