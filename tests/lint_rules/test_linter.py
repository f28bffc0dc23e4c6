"""The rule engine: registry, selection, points and options from settings, ordering."""

from __future__ import annotations

import re

import pytest

from preflight.draft import Draft
from preflight.lint.linter import lint_draft, lint_file
from preflight.lint.model import Severity
from preflight.lint.rules import all_rules, rule_by_code_or_name
from preflight.lint.settings import LintSettings

from .conftest import codes, make_draft, make_message

PROSE = "We cast stainless valve bodies for pump makers and ship to Sweden in three weeks."


def spammy() -> Draft:
    return make_draft(
        subject="FREE VALVES!!!",
        sender="deals1987@gmail.com",
        text="Dear Friend,\n\nClick here to buy now!!! 100% free, act now, no obligation.\n",
    )


def test_registry_is_ordered_unique_and_complete() -> None:
    rules = all_rules()
    assert [r.code for r in rules] == sorted(r.code for r in rules)
    assert len({r.code for r in rules}) == len(rules) == len({r.name for r in rules})
    for rule in rules:
        assert re.fullmatch(r"(SUB0|TXT1|LNK2|IMG3|ATT4|STR5|SND6|WRT7)\d\d", rule.code)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
        assert rule.summary and rule.fix and rule.points >= 0
        assert isinstance(rule.severity, Severity)
    assert len(rules) >= 60


def test_lookup_by_code_or_name() -> None:
    rule = rule_by_code_or_name("ATT401")
    assert rule is not None and rule_by_code_or_name(rule.name) is rule
    assert rule_by_code_or_name("NOPE999") is None


def test_score_is_the_sum_of_points_and_the_threshold_decides() -> None:
    report = lint_draft(spammy())
    assert report.score == round(sum(f.points for f in report.findings), 3)
    assert report.score >= 5.0 and not report.passed
    assert lint_draft(spammy(), LintSettings(threshold=100.0)).passed


def test_findings_are_sorted_by_code() -> None:
    found = [f.code for f in lint_draft(spammy()).findings]
    assert found == sorted(found) and len(found) > 5


def test_select_and_ignore_by_prefix_and_name() -> None:
    only_subject = codes(spammy(), LintSettings(select=("SUB",)))
    assert only_subject and all(c.startswith("SUB") for c in only_subject)
    without = codes(spammy(), LintSettings(ignore=("SUB003", "from-free-mail")))
    assert "SUB003" not in without and "SND601" not in without
    assert "SUB004" in without
    # the more specific selector wins
    assert codes(spammy(), LintSettings(ignore=("SUB",), select=("SUB003",))) == {"SUB003"}


def test_points_come_from_settings_and_scale_with_hits() -> None:
    report = lint_draft(spammy(), LintSettings(points={"SUB003": 9.5}))
    (caps,) = [f for f in report.findings if f.code == "SUB003"]
    assert caps.points == 9.5
    by_name = lint_draft(spammy(), LintSettings(points={"subject-all-caps": 2.5}))
    assert [f.points for f in by_name.findings if f.code == "SUB003"] == [2.5]


def test_options_override_defaults() -> None:
    draft = make_draft(subject="A subject of exactly forty-two characters")
    assert "SUB002" not in codes(draft)
    tight = LintSettings(options={"SUB002": {"max_chars": 20}})
    assert "SUB002" in codes(draft, tight)


def test_first_contact_setting_reaches_the_rules() -> None:
    html = '<html><body><p>Hi</p><p><a href="https://hangzhou-valves.com/">site</a></p></body>'
    draft = make_draft(html=html + "<p>" + PROSE + "</p></html>")
    assert "LNK202" in codes(draft)
    assert "LNK202" not in codes(draft, LintSettings(first_contact=False))


def test_report_as_dict_matches_the_jsonl_contract() -> None:
    data = lint_draft(spammy()).as_dict()
    assert set(data) == {"file", "score", "passed", "findings"}
    first = data["findings"][0]
    assert set(first) == {"code", "name", "severity", "points", "message", "fix", "location"}
    assert first["severity"] in {"info", "warning", "error"}


def test_lint_file_reads_and_lints(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "x.eml"  # type: ignore[operator]
    path.write_bytes(make_message(subject="CHEAP VALVES NOW").as_bytes())
    report = lint_file(path)
    assert report.source == str(path)
    assert "SUB003" in {f.code for f in report.findings}


def test_a_rule_that_raises_is_not_swallowed() -> None:
    rule = rule_by_code_or_name("SUB001")
    assert rule is not None
    original = rule.check

    def broken(draft: Draft, options: object) -> None:
        raise RuntimeError("rule bug")

    object.__setattr__(rule, "check", broken)  # Rule is frozen; restore it below
    try:
        with pytest.raises(RuntimeError, match="rule bug"):
            lint_draft(make_draft(), LintSettings(select=("SUB001",)))
    finally:
        object.__setattr__(rule, "check", original)
