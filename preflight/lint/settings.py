"""The linter's settings once loaded: which rules run, with what points and options.

Loading and validating them from ``preflight.toml`` / ``pyproject.toml`` / the command line
is ``preflight.lint.config``'s job; this module only holds the result and answers
"does this rule run".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_THRESHOLD = 5.0


def _matches(selector: str, code: str, name: str) -> int:
    """How specifically ``selector`` names the rule: length of the matched prefix, 0 if not.

    A selector is a code prefix ("LNK", "LNK1", "LNK101"), a full rule name
    ("link-shortener"), or "ALL".
    """
    if selector == "ALL":
        return 1
    if selector == name:
        return 100
    if code.startswith(selector.upper()):
        return len(selector)
    return 0


@dataclass(frozen=True)
class LintSettings:
    threshold: float = DEFAULT_THRESHOLD
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    points: Mapping[str, float] = field(default_factory=dict)  # code -> points
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # code -> options
    first_contact: bool = True  # cold email: links, images and "RE:" are judged stricter

    def enabled(self, code: str, name: str) -> bool:
        """Like ruff: the more specific of the matching select/ignore entries wins."""
        chosen = max((_matches(s, code, name) for s in self.select), default=0)
        ignored = max((_matches(s, code, name) for s in self.ignore), default=0)
        return chosen > 0 and chosen > ignored
