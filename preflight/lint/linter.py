"""Run the enabled rules on a draft and stamp each hit with its configured points and severity.

A rule only says what it found (:class:`~preflight.lint.model.Hit`); points, severity and the
fix come from the rule's declaration and the user's settings. A rule that raises is a bug in
preflight, so its exception is not caught here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from preflight.draft import Draft, read_draft
from preflight.lint.model import Finding, LintReport, Rule
from preflight.lint.rules import all_rules
from preflight.lint.settings import LintSettings


def rule_options(rule: Rule, settings: LintSettings) -> Mapping[str, Any]:
    """The rule's defaults overlaid with the user's options (by code, or by name)."""
    configured = settings.options.get(rule.code) or settings.options.get(rule.name) or {}
    options = dict(rule.defaults)
    if "first_contact" in options:
        options["first_contact"] = settings.first_contact
    options.update(configured)
    return options


def rule_points(rule: Rule, settings: LintSettings) -> float:
    if rule.code in settings.points:
        return float(settings.points[rule.code])
    return float(settings.points.get(rule.name, rule.points))


_Plan = list[tuple[Rule, float, Mapping[str, Any]]]
_last_plan: tuple[LintSettings, _Plan] | None = None


def _plan(settings: LintSettings) -> _Plan:
    """Enabled rules with their points and options; reused while the settings object is."""
    global _last_plan
    if _last_plan is not None and _last_plan[0] is settings:
        return _last_plan[1]
    plan = [
        (rule, rule_points(rule, settings), rule_options(rule, settings))
        for rule in all_rules()
        if settings.enabled(rule.code, rule.name)
    ]
    _last_plan = (settings, plan)
    return plan


_DEFAULT_SETTINGS = LintSettings()


def lint_draft(draft: Draft, settings: LintSettings | None = None) -> LintReport:
    """Lint one parsed draft; findings come in rule-code order, hits of a rule in their order."""
    settings = settings or _DEFAULT_SETTINGS
    findings: list[Finding] = []
    for rule, points, options in _plan(settings):
        for hit in rule.check(draft, options):
            findings.append(
                Finding(
                    code=rule.code,
                    name=rule.name,
                    severity=rule.severity,
                    points=points * hit.scale,
                    message=hit.message,
                    fix=rule.fix,
                    location=hit.location,
                )
            )
    findings.sort(key=lambda f: f.code)  # stable: a rule's hits keep their order
    return LintReport(source=draft.source, findings=tuple(findings), threshold=settings.threshold)


def lint_file(path: str | Path, settings: LintSettings | None = None) -> LintReport:
    """Parse an ``.eml`` file and lint it (DraftError when it cannot be parsed)."""
    return lint_draft(read_draft(path), settings)
