"""Attachment rules (ATT4xx): size, type and number of attached files."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.draft import Draft
from preflight.lint.model import Hit, Location, Rule, Severity
from preflight.lint.text import word_set

MB = 1024 * 1024
_WHERE = Location(part="attachment")
_MACRO_TYPES = (
    "application/x-msdownload",
    "application/x-msdos-program",
    "application/x-executable",
    "application/x-sh",
    "application/javascript",
    "application/vnd.ms-excel.sheet.macroenabled.12",
    "application/vnd.ms-word.document.macroenabled.12",
)


def _total(draft: Draft) -> int:
    return sum(a.size for a in draft.attachments)


def _too_large(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    total = _total(draft)
    if total > options["max_bytes"]:
        yield Hit(
            f"attachments total {total / MB:.1f} MB (limit {options['max_bytes'] / MB:.0f} MB)",
            _WHERE,
        )


def _large(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    total = _total(draft)
    if options["warn_bytes"] < total <= options["max_bytes"]:
        yield Hit(f"attachments total {total / MB:.1f} MB", _WHERE)


def _dangerous(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    extensions = word_set("dangerous_extensions.txt")
    for att in draft.attachments:
        ext = att.filename.rsplit(".", 1)[-1].lower() if "." in att.filename else ""
        if ext in extensions or att.content_type in _MACRO_TYPES:
            yield Hit(f"{att.filename} ({att.content_type}) is an executable or macro file", _WHERE)


def _many(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    count = len(draft.attachments)
    if count > options["max_count"]:
        yield Hit(f"{count} attachments", _WHERE)


def _first_contact(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if draft.is_first_contact(options["first_contact"]) and draft.attachments:
        yield Hit(f"a first-contact mail with {len(draft.attachments)} attachment(s)", _WHERE)


RULES = [
    Rule(
        "ATT401",
        "attachments-too-large",
        "Attachments over 10 MB in total.",
        5.0,
        Severity.ERROR,
        "Share a cloud link instead.",
        _too_large,
        {"max_bytes": 10 * MB},
    ),
    Rule(
        "ATT402",
        "attachments-large",
        "Attachments over 3 MB in total.",
        1.0,
        Severity.WARNING,
        "Share a cloud link instead, or compress the files.",
        _large,
        {"warn_bytes": 3 * MB, "max_bytes": 10 * MB},
    ),
    Rule(
        "ATT403",
        "attachment-dangerous-type",
        "Executable, script or macro attachments.",
        5.0,
        Severity.ERROR,
        "Never attach programs or macro documents; send a PDF or a link.",
        _dangerous,
    ),
    Rule(
        "ATT404",
        "attachments-many",
        "More than three attachments.",
        0.5,
        Severity.WARNING,
        "Attach one file, or share a folder link.",
        _many,
        {"max_count": 3},
    ),
    Rule(
        "ATT405",
        "attachment-first-contact",
        "Attachments in a first-contact mail.",
        0.2,
        Severity.INFO,
        "Send the first mail without attachments; offer them on reply.",
        _first_contact,
        {"first_contact": True},
    ),
]
