"""Split a reply's own words from the text it quotes (">" lines, Outlook and Gmail blocks).

What the buyer wrote is not ours to lint: their links, prices and capitals must not count
against the reply. The markers, one per mail client and language, are in
``data/reply_markers.txt``.
"""

from __future__ import annotations

import re
from functools import cache

from preflight.resources import data_file

_SCAN_LINES = 5000  # a reply's own part is short; markers further down are not looked for


@cache
def _markers() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    lines, from_fields, sent_fields = [], [], []
    for raw in data_file("reply_markers.txt").read_text("utf-8").splitlines():
        pattern = re.split(r"\s+#\s", raw, maxsplit=1)[0].strip()
        if not pattern or pattern.startswith("#"):
            continue
        if pattern.startswith("field-from "):
            from_fields.append(pattern.removeprefix("field-from ").strip())
        elif pattern.startswith("field-sent "):
            sent_fields.append(pattern.removeprefix("field-sent ").strip())
        else:
            lines.append(pattern)
    flags = re.IGNORECASE
    return (
        re.compile("|".join(f"(?:{p})" for p in lines), flags),
        re.compile("^(?:" + "|".join(from_fields) + ")", flags),
        re.compile("^(?:" + "|".join(sent_fields) + ")", flags),
    )


def split_quoted(text: str) -> tuple[str, int]:
    """(our own text, number of quoted lines dropped)."""
    if ">" not in text and "-" not in text and ":" not in text and "：" not in text:
        return text, 0
    marker, from_field, sent_field = _markers()
    lines = text.split("\n")
    own: list[str] = []
    quoted = 0
    for index, line in enumerate(lines[:_SCAN_LINES]):
        stripped = line.strip()
        if stripped.startswith(">"):
            quoted += 1
            continue
        # Every marker ends in a colon or is a dashed separator: cheap tests first.
        if stripped and (
            (
                (stripped[-1] in ":：" or "--" in stripped or "原始" in stripped)
                and marker.fullmatch(stripped)
            )
            or (
                (":" in stripped[:12] or "：" in stripped[:12])
                and from_field.match(stripped)
                and any(sent_field.match(n.strip()) for n in lines[index + 1 : index + 3])
            )
        ):
            return "\n".join(own), quoted + len(lines) - index
        own.append(line)
    own.extend(lines[_SCAN_LINES:])
    return "\n".join(own), quoted
