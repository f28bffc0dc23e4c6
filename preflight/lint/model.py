"""What the linter produces: findings, their locations, and a draft's report.

A rule never decides its own points or severity: it yields :class:`Hit` objects and the
linter stamps the configured points and severity onto a :class:`Finding`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from preflight.draft import Draft


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Location:
    """Where a finding is: a header name, a MIME part ("text", "html", "attachment"), a line."""

    part: str
    line: int | None = None
    header: str | None = None

    def __str__(self) -> str:
        where = self.header if self.header else self.part
        return f"{where}:{self.line}" if self.line else where

    def as_dict(self) -> dict[str, Any]:
        return {"part": self.part, "line": self.line, "header": self.header}


@dataclass(frozen=True)
class Hit:
    """One thing a rule found. ``scale`` multiplies the rule's points (e.g. per phrase weight)."""

    message: str
    location: Location
    scale: float = 1.0


@dataclass(frozen=True)
class Rule:
    """A declared rule: its identity, defaults and check function.

    ``check(draft, options)`` yields hits; ``options`` holds ``defaults`` merged with the
    user's configuration (validated against ``defaults`` keys before any file is read).
    """

    code: str  # e.g. "SUB001": family prefix + three digits
    name: str  # kebab-case, e.g. "subject-all-caps"
    summary: str  # one line for `preflight rules` and the README table
    points: float
    severity: Severity
    fix: str
    check: Callable[[Draft, Mapping[str, Any]], Iterator[Hit]]
    defaults: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    points: float
    message: str
    fix: str
    location: Location

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "points": round(self.points, 3),
            "message": self.message,
            "fix": self.fix,
            "location": self.location.as_dict(),
        }


@dataclass(frozen=True)
class LintReport:
    """The result for one draft."""

    source: str  # file path, or "template.j2 [row 3]"
    findings: tuple[Finding, ...]
    threshold: float

    @property
    def score(self) -> float:
        return round(sum(f.points for f in self.findings), 3)

    @property
    def passed(self) -> bool:
        return self.score < self.threshold

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.source,
            "score": self.score,
            "passed": self.passed,
            "findings": [f.as_dict() for f in self.findings],
        }
