"""User data made safe to print: control characters shown, never executed by the terminal.

A CSV cell holding ``\\x1b]0;pwned\\x07`` would retitle (or worse) the terminal of whoever
runs ``check`` or ``send``; rich markup in a path (``[/x]``) would be read as markup. Every
value that comes from a user's file goes through :func:`visible` before it is printed.
"""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 controls, DEL, and the invisible format characters that reorder or hide text
# (bidi overrides, zero-width characters): shown as \xNN or \uNNNN escapes.
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control and hidden format character written as an escape.

    Tab and newline are kept (they are layout, not commands) unless ``text`` is meant for one
    line, which callers ensure by printing one value per line.
    """
    return _HIDDEN.sub(_escape, text)


def visible_line(text: str) -> str:
    """:func:`visible`, and line breaks escaped too: one value, one line."""
    return visible(text).replace("\n", "\\n").replace("\t", "\\t").replace(
        "\u2028", "\\u2028"
    ).replace("\u2029", "\\u2029")


def is_hidden(char: str) -> bool:
    """A control or format character (Unicode category Cc or Cf)."""
    return unicodedata.category(char) in ("Cc", "Cf")


__all__ = ["is_hidden", "visible", "visible_line"]
