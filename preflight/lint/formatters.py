"""Write lint reports and the rule list in the formats the CLI offers.

A report formatter streams: ``report()`` is called once per draft as soon as it is linted,
``finish()`` once at the end. ``jsonl`` and ``github`` write each draft's lines at once and
never touch rich, so linting thousands of drafts costs only the JSON encoding.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from preflight import __version__
from preflight.lint.model import Finding, LintReport, Location, Rule, Severity

if TYPE_CHECKING:
    from rich.text import Text

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)

_SEVERITY_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def format_points(value: float) -> str:
    """``1.0``, ``0.25``, ``12.5``: at least one decimal, no float noise."""
    text = f"{value:.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


class ReportFormatter:
    """Base of the report formats: counts drafts; subclasses write them."""

    def __init__(self, stream: TextIO, rules: Sequence[Rule] = ()) -> None:
        self.stream = stream
        self.rules = rules
        self.drafts = 0
        self.failed = 0
        self.errors = 0  # inputs that could not be linted (reported on stderr by the caller)
        self.threshold: float | None = None

    def report(self, report: LintReport, path: Path) -> None:
        """Take one draft's report; ``path`` is the file it came from."""
        self.drafts += 1
        self.failed += not report.passed
        self.threshold = report.threshold
        self.write(report, path)

    def write(self, report: LintReport, path: Path) -> None:
        raise NotImplementedError

    def input_error(self) -> None:
        """Count an input that could not be linted; its message goes to stderr elsewhere."""
        self.errors += 1

    def finish(self) -> None:
        """Called once after the last draft."""


class JsonlFormatter(ReportFormatter):
    """One JSON object a line, per draft: ``LintReport.as_dict()``."""

    def write(self, report: LintReport, path: Path) -> None:
        self.stream.write(report_json(report) + "\n")


# What json.dumps(..., ensure_ascii=False) encodes a str with (C code).
_encode_str = json.encoder.encode_basestring  # type: ignore[attr-defined]
_MAX_PIECES = 4096  # memo entries (rules, locations) before the memos start again
# (code, name, fix) -> (severity, JSON before the points, JSON between message and location)
_rule_pieces: dict[tuple[str, str, str], tuple[Severity, str, str]] = {}
_location_pieces: dict[tuple[object, object, object, type], str] = {}


class _Unusual(Exception):
    """A value json.dumps encodes in some other way: let it do the whole report."""


def report_json(report: LintReport) -> str:
    """``json.dumps(report.as_dict(), ensure_ascii=False)``, the same text at half the cost:
    the JSON of a rule's code, name, severity and fix, and of a location, is made once, not
    once per finding. Anything but the plain types ``as_dict`` gives (a subclass, a NaN)
    goes to json.dumps. tests/lint_cli/test_formatters.py compares the two."""
    try:
        if type(report) is not LintReport or type(report.source) is not str:
            raise _Unusual
        findings = [_finding_json(finding) for finding in report.findings]
        score = report.score
        head = f'{{"file": {_encode_str(report.source)}, "score": {_number(score)}, '
        passed = "true" if score < report.threshold else "false"
    except _Unusual:
        return json.dumps(report.as_dict(), ensure_ascii=False)
    return f'{head}"passed": {passed}, "findings": [{", ".join(findings)}]}}'


def _finding_json(finding: Finding) -> str:
    if type(finding) is not Finding or type(finding.message) is not str:
        raise _Unusual
    key = (finding.code, finding.name, finding.fix)
    pieces = _rule_pieces.get(key)
    if pieces is None or pieces[0] is not finding.severity:
        pieces = _rule_json(finding)
    location = finding.location
    if type(location) is not Location:
        raise _Unusual
    # The line's type in the key: True and 1.0 equal 1 but are written otherwise.
    where = (location.part, location.line, location.header, type(location.line))
    location_json = _location_pieces.get(where)
    if location_json is None:
        location_json = (
            f'{{"part": {_optional(location.part)}, "line": {_optional(location.line)}, '
            f'"header": {_optional(location.header)}}}'
        )
        if len(_location_pieces) >= _MAX_PIECES:
            _location_pieces.clear()
        _location_pieces[where] = location_json
    return (
        f"{pieces[1]}{_number(round(finding.points, 3))}, "
        f'"message": {_encode_str(finding.message)}{pieces[2]}{location_json}}}'
    )


def _rule_json(finding: Finding) -> tuple[Severity, str, str]:
    severity = finding.severity
    if type(severity) is not Severity or not all(
        type(value) is str for value in (finding.code, finding.name, finding.fix)
    ):
        raise _Unusual
    if len(_rule_pieces) >= _MAX_PIECES:
        _rule_pieces.clear()
    pieces = _rule_pieces[(finding.code, finding.name, finding.fix)] = (
        severity,
        f'{{"code": {_encode_str(finding.code)}, "name": {_encode_str(finding.name)}, '
        f'"severity": {_encode_str(severity.value)}, "points": ',
        f', "fix": {_encode_str(finding.fix)}, "location": ',
    )
    return pieces


def _number(value: object) -> str:
    if type(value) is float and math.isfinite(value):
        return float.__repr__(value)
    if type(value) is int:
        return int.__repr__(value)
    raise _Unusual


def _optional(value: object) -> str:
    if value is None:
        return "null"
    if type(value) is str:
        return _encode_str(value)
    return _number(value)


class JsonFormatter(ReportFormatter):
    """One JSON array of the per-draft objects ``jsonl`` prints, written at the end."""

    def __init__(self, stream: TextIO, rules: Sequence[Rule] = ()) -> None:
        super().__init__(stream, rules)
        self._reports: list[dict[str, Any]] = []

    def write(self, report: LintReport, path: Path) -> None:
        self._reports.append(report.as_dict())

    def finish(self) -> None:
        json.dump(self._reports, self.stream, ensure_ascii=False, indent=2)
        self.stream.write("\n")


class TextFormatter(ReportFormatter):
    """For people: per draft a score line, then each finding with its fix (rich)."""

    def __init__(
        self, stream: TextIO, rules: Sequence[Rule] = (), *, color: bool | None = None
    ) -> None:
        super().__init__(stream, rules)
        # rich is imported only for this format: jsonl runs over thousands of drafts skip it.
        from rich.console import Console

        self.console = Console(
            file=stream,
            highlight=False,
            soft_wrap=True,
            no_color=color is False,
            force_terminal=color,
        )

    def write(self, report: LintReport, path: Path) -> None:
        from rich.text import Text

        verdict = ("pass", "green") if report.passed else ("FAIL", "bold red")
        line = Text()
        line.append(report.source, style="bold")
        line.append(f"  score {format_points(report.score)} / {format_points(report.threshold)}  ")
        line.append(*verdict)
        self.console.print(line)
        for finding in report.findings:
            self.console.print(_finding_text(finding))
        if report.findings:
            self.console.print()

    def finish(self) -> None:
        errors = ""
        if self.errors:
            inputs = "input" if self.errors == 1 else "inputs"
            errors = f"; {self.errors} {inputs} could not be linted (see the errors)"
        if self.drafts == 0:
            found = "no drafts linted" if self.errors else "no drafts found (.eml or .j2 files)"
            self.console.print(found + errors)
            return
        from rich.text import Text

        passed = self.drafts - self.failed
        summary = Text(f"{self.drafts} draft{'s' if self.drafts != 1 else ''} linted: ")
        summary.append(f"{passed} passed", style="green")
        summary.append(", ")
        summary.append(f"{self.failed} failed", style="bold red" if self.failed else "")
        summary.append(f" (threshold {format_points(self.threshold or 0)}){errors}")
        self.console.print(summary)


def _finding_text(finding: Finding) -> Text:
    from rich.text import Text

    text = Text("  ")
    text.append(finding.code, style=_SEVERITY_STYLE[finding.severity])
    text.append(f"  +{format_points(finding.points)}  ")
    text.append(str(finding.location), style="dim")
    text.append(f"  {finding.message}  [{finding.name}]\n")
    text.append("          fix: ", style="dim")
    text.append(finding.fix)
    return text


def _github_escape(value: str, *, property_value: bool = False) -> str:
    # Workflow commands: "%", CR and LF always; ":" and "," also inside properties.
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


class GithubFormatter(ReportFormatter):
    """GitHub Actions workflow annotations: one per finding, one error per failing draft."""

    def write(self, report: LintReport, path: Path) -> None:
        file = _github_escape(path.as_posix(), property_value=True)
        lines = []
        for finding in report.findings:
            title = _github_escape(
                f"{finding.code} {finding.name} (+{format_points(finding.points)})",
                property_value=True,
            )
            body = _github_escape(
                f"{report.source}: {finding.location}: {finding.message}. Fix: {finding.fix}"
            )
            lines.append(f"::{_GITHUB_LEVEL[finding.severity]} file={file},title={title}::{body}")
        if not report.passed:
            body = _github_escape(
                f"{report.source}: score {format_points(report.score)} reaches the threshold "
                f"{format_points(report.threshold)}"
            )
            lines.append(f"::error file={file},title=preflight score::{body}")
        if lines:
            self.stream.write("\n".join(lines) + "\n")


def _artifact_uri(path: Path) -> str:
    if path.is_absolute():
        return path.as_uri()
    return quote(path.as_posix())


class SarifFormatter(ReportFormatter):
    """SARIF 2.1.0 for code-scanning tools; the document is written at the end."""

    def __init__(self, stream: TextIO, rules: Sequence[Rule] = ()) -> None:
        super().__init__(stream, rules)
        self._index = {rule.code: i for i, rule in enumerate(rules)}
        self._results: list[dict[str, Any]] = []
        self._drafts: list[dict[str, Any]] = []

    def write(self, report: LintReport, path: Path) -> None:
        uri = _artifact_uri(path)
        self._drafts.append(
            {"file": report.source, "uri": uri, "score": report.score, "passed": report.passed}
        )
        for finding in report.findings:
            result: dict[str, Any] = {
                "ruleId": finding.code,
                "level": _SARIF_LEVEL[finding.severity],
                "message": {"text": f"{finding.message}. Fix: {finding.fix}"},
                "locations": [
                    {
                        "physicalLocation": {"artifactLocation": {"uri": uri}},
                        "logicalLocations": [{"name": str(finding.location), "kind": "member"}],
                    }
                ],
                "properties": {
                    "draft": report.source,
                    "points": round(finding.points, 3),
                    "location": finding.location.as_dict(),
                },
            }
            if finding.code in self._index:
                result["ruleIndex"] = self._index[finding.code]
            self._results.append(result)

    def finish(self) -> None:
        document = {
            "$schema": SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "preflight",
                            "version": __version__,
                            "rules": [_sarif_rule(rule) for rule in self.rules],
                        }
                    },
                    "results": self._results,
                    "properties": {"threshold": self.threshold, "drafts": self._drafts},
                }
            ],
        }
        json.dump(document, self.stream, ensure_ascii=False, indent=2)
        self.stream.write("\n")


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "help": {"text": rule.fix},
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
        "properties": {"points": rule.points},
    }


REPORT_FORMATS: Mapping[str, Callable[[TextIO, Sequence[Rule]], ReportFormatter]] = {
    "text": TextFormatter,
    "json": JsonFormatter,
    "jsonl": JsonlFormatter,
    "github": GithubFormatter,
    "sarif": SarifFormatter,
}


def make_formatter(name: str, stream: TextIO, rules: Sequence[Rule]) -> ReportFormatter:
    """The report formatter called ``name`` (one of :data:`REPORT_FORMATS`)."""
    return REPORT_FORMATS[name](stream, rules)


# -- the rule list -------------------------------------------------------------------------
def _jsonable(value: Any) -> Any:
    if isinstance(value, frozenset | set):
        return sorted(value, key=str)
    if isinstance(value, tuple):
        return list(value)
    return value


def rules_json(rules: Sequence[Rule]) -> str:
    """Every rule with its defaults, as a JSON array."""
    return json.dumps(
        [
            {
                "code": rule.code,
                "name": rule.name,
                "points": rule.points,
                "severity": rule.severity.value,
                "summary": rule.summary,
                "fix": rule.fix,
                "options": {k: _jsonable(v) for k, v in rule.defaults.items()},
            }
            for rule in rules
        ],
        ensure_ascii=False,
        indent=2,
    )


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def rules_markdown(rules: Sequence[Rule]) -> str:
    """The README's rule table."""
    lines = ["| Code | Name | Points | What it flags |", "| --- | --- | ---: | --- |"]
    lines += [
        f"| {rule.code} | `{rule.name}` | {format_points(rule.points)} | {_cell(rule.summary)} |"
        for rule in rules
    ]
    return "\n".join(lines)


def rules_text(rules: Sequence[Rule]) -> str:
    """One aligned line a rule: code, name, points, summary."""
    if not rules:
        return ""
    width = max(len(rule.name) for rule in rules)
    return "\n".join(
        f"{rule.code}  {rule.name:<{width}}  {format_points(rule.points):>5}  {rule.summary}"
        for rule in rules
    )


RULE_FORMATS: Mapping[str, Callable[[Sequence[Rule]], str]] = {
    "text": rules_text,
    "markdown": rules_markdown,
    "json": rules_json,
}
