"""Every report format and rule-list format, on real LintReport objects."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from preflight import __version__
from preflight.lint.formatters import (
    REPORT_FORMATS,
    format_points,
    make_formatter,
    rules_json,
    rules_markdown,
    rules_text,
)
from preflight.lint.model import Finding, LintReport, Location, Rule, Severity


def _no_hits(draft, options):  # type: ignore[no-untyped-def]
    return iter(())


RULES = [
    Rule(
        "LNK203",
        "link-shortener",
        "Links through a | shortener.",
        1.5,
        Severity.WARNING,
        "Link to the full address.",
        _no_hits,
        {"hosts": frozenset({"t.co", "bit.ly"})},
    ),
    Rule(
        "SUB001",
        "subject-missing",
        "The subject is empty.",
        1.5,
        Severity.ERROR,
        "Write a subject.",
        _no_hits,
    ),
    Rule(
        "WRT701",
        "word-count",
        "Too short or too long.",
        0.25,
        Severity.INFO,
        "Aim for 50-150 words.",
        _no_hits,
    ),
]

SHORTENER = Finding(
    "LNK203",
    "link-shortener",
    Severity.WARNING,
    3.0,
    "2 links go through bit.ly, a shortener",
    "Link to the full address.",
    Location("html", line=4),
)
NO_SUBJECT = Finding(
    "SUB001",
    "subject-missing",
    Severity.ERROR,
    1.5,
    "the subject is empty",
    "Write a subject.",
    Location("header", header="Subject"),
)
SHORT = Finding(
    "WRT701",
    "word-count",
    Severity.INFO,
    0.25,
    "only 12 words",
    "Aim for 50-150.",
    Location("text"),
)

FAILING = LintReport("drafts/spam, 100%.eml", (SHORTENER, NO_SUBJECT, SHORT), threshold=4.0)
PASSING = LintReport("templates/a.j2 [list.csv:3]", (SHORT,), threshold=4.0)
CLEAN = LintReport("clean.eml", (), threshold=4.0)
PATHS = {
    FAILING: Path("drafts/spam, 100%.eml"),
    PASSING: Path("templates/a.j2"),
    CLEAN: Path("clean.eml"),
}


def run(name: str, reports: tuple[LintReport, ...] = (FAILING, PASSING, CLEAN)) -> str:
    stream = io.StringIO()
    formatter = make_formatter(name, stream, RULES)
    for report in reports:
        formatter.report(report, PATHS[report])
    formatter.finish()
    assert (formatter.drafts, formatter.failed) == (
        len(reports),
        sum(not r.passed for r in reports),
    )
    return stream.getvalue()


def test_jsonl_is_exactly_one_report_object_per_line() -> None:
    lines = run("jsonl").splitlines()
    assert len(lines) == 3
    first = json.loads(lines[0])
    assert list(first) == ["file", "score", "passed", "findings"]
    assert first["file"] == "drafts/spam, 100%.eml"
    assert first["score"] == 4.75 and first["passed"] is False
    assert list(first["findings"][0]) == [
        "code",
        "name",
        "severity",
        "points",
        "message",
        "fix",
        "location",
    ]
    assert first["findings"][0]["location"] == {"part": "html", "line": 4, "header": None}
    assert [json.loads(line)["passed"] for line in lines] == [False, True, True]
    assert json.loads(lines[2]) == CLEAN.as_dict()


def test_jsonl_keeps_non_ascii_readable() -> None:
    report = LintReport("免费.eml", (), threshold=5.0)
    stream = io.StringIO()
    formatter = make_formatter("jsonl", stream, RULES)
    formatter.report(report, Path("免费.eml"))
    assert stream.getvalue() == '{"file": "免费.eml", "score": 0, "passed": true, "findings": []}\n'


def test_json_is_one_array_of_the_same_objects() -> None:
    document = json.loads(run("json"))
    assert document == [FAILING.as_dict(), PASSING.as_dict(), CLEAN.as_dict()]


def test_text_shows_score_line_then_findings_with_fix() -> None:
    out = run("text")
    lines = out.splitlines()
    assert lines[0] == "drafts/spam, 100%.eml  score 4.75 / 4.0  FAIL"
    assert (
        "  LNK203  +3.0  html:4  2 links go through bit.ly, a shortener  [link-shortener]" in lines
    )
    assert "          fix: Link to the full address." in lines
    assert "  SUB001  +1.5  Subject  the subject is empty  [subject-missing]" in lines
    assert "templates/a.j2 [list.csv:3]  score 0.25 / 4.0  pass" in lines
    assert "clean.eml  score 0.0 / 4.0  pass" in lines
    assert lines[-1] == "3 drafts linted: 2 passed, 1 failed (threshold 4.0)"
    assert "\x1b[" not in out  # no colour codes when writing to a file


def test_text_does_not_interpret_markup_in_user_text() -> None:
    report = LintReport("[bold]x[/bold].eml", (), threshold=5.0)
    stream = io.StringIO()
    formatter = make_formatter("text", stream, RULES)
    formatter.report(report, Path("x.eml"))
    assert stream.getvalue().startswith("[bold]x[/bold].eml  score 0.0")


def test_text_with_nothing_to_lint_says_so() -> None:
    assert "no drafts found" in run("text", ())


def test_github_annotations_are_escaped_workflow_commands() -> None:
    lines = run("github").splitlines()
    assert lines[0] == (
        "::warning file=drafts/spam%2C 100%25.eml,title=LNK203 link-shortener (+3.0)::"
        "drafts/spam, 100%25.eml: html:4: 2 links go through bit.ly, a shortener. "
        "Fix: Link to the full address."
    )
    assert lines[1].startswith("::error file=drafts/spam%2C 100%25.eml,title=SUB001 ")
    assert lines[2].startswith("::notice file=drafts/spam%2C 100%25.eml,title=WRT701 word-count")
    assert lines[3] == (
        "::error file=drafts/spam%2C 100%25.eml,title=preflight score::"
        "drafts/spam, 100%25.eml: score 4.75 reaches the threshold 4.0"
    )
    assert lines[4].startswith("::notice file=templates/a.j2,title=WRT701")
    assert len(lines) == 5  # the clean draft says nothing


def test_github_escapes_newlines_in_messages() -> None:
    finding = Finding(
        "SUB001", "subject-missing", Severity.ERROR, 1.0, "a\nb\r", "fix: x", Location("text")
    )
    stream = io.StringIO()
    formatter = make_formatter("github", stream, RULES)
    formatter.report(LintReport("a.eml", (finding,), 5.0), Path("a.eml"))
    assert stream.getvalue().count("\n") == 1 and "a%0Ab%0D" in stream.getvalue()


def test_sarif_is_a_consistent_2_1_0_log() -> None:
    log = json.loads(run("sarif"))
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-schema-2.1.0.json")
    (only_run,) = log["runs"]
    driver = only_run["tool"]["driver"]
    assert driver["name"] == "preflight" and driver["version"] == __version__
    assert [r["id"] for r in driver["rules"]] == ["LNK203", "SUB001", "WRT701"]
    assert driver["rules"][0]["shortDescription"]["text"] == "Links through a | shortener."
    assert driver["rules"][2]["defaultConfiguration"] == {"level": "note"}
    results = only_run["results"]
    assert [r["ruleId"] for r in results] == ["LNK203", "SUB001", "WRT701", "WRT701"]
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in {"error", "warning", "note"}
        assert result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert location in {"drafts/spam%2C%20100%25.eml", "templates/a.j2"}
    assert [r["level"] for r in results] == ["warning", "error", "note", "note"]
    assert only_run["properties"]["drafts"][0] == {
        "file": "drafts/spam, 100%.eml",
        "uri": "drafts/spam%2C%20100%25.eml",
        "score": 4.75,
        "passed": False,
    }


def test_sarif_uses_file_uris_for_absolute_paths(tmp_path: Path) -> None:
    stream = io.StringIO()
    formatter = make_formatter("sarif", stream, RULES)
    formatter.report(LintReport("x", (NO_SUBJECT,), 5.0), tmp_path / "a b.eml")
    formatter.finish()
    uri = json.loads(stream.getvalue())["runs"][0]["results"][0]["locations"][0][
        "physicalLocation"
    ]["artifactLocation"]["uri"]
    assert uri == (tmp_path / "a b.eml").as_uri() and uri.startswith("file:///")


@pytest.mark.parametrize("name", sorted(REPORT_FORMATS))
def test_every_format_handles_an_empty_run(name: str) -> None:
    out = run(name, ())
    if name in {"json", "sarif"}:
        json.loads(out)
    assert name != "jsonl" or out == ""


def test_rules_markdown_table() -> None:
    assert rules_markdown(RULES).splitlines() == [
        "| Code | Name | Points | What it flags |",
        "| --- | --- | ---: | --- |",
        "| LNK203 | `link-shortener` | 1.5 | Links through a \\| shortener. |",
        "| SUB001 | `subject-missing` | 1.5 | The subject is empty. |",
        "| WRT701 | `word-count` | 0.25 | Too short or too long. |",
    ]


def test_rules_text_and_json() -> None:
    lines = rules_text(RULES).splitlines()
    assert lines[0] == "LNK203  link-shortener     1.5  Links through a | shortener."
    assert lines[2] == "WRT701  word-count        0.25  Too short or too long."
    listed = json.loads(rules_json(RULES))
    assert listed[0] == {
        "code": "LNK203",
        "name": "link-shortener",
        "points": 1.5,
        "severity": "warning",
        "summary": "Links through a | shortener.",
        "fix": "Link to the full address.",
        "options": {"hosts": ["bit.ly", "t.co"]},
    }


@pytest.mark.parametrize(
    ("value", "text"), [(0, "0.0"), (1, "1.0"), (0.25, "0.25"), (12.5, "12.5"), (0.1 + 0.2, "0.3")]
)
def test_format_points(value: float, text: str) -> None:
    assert format_points(value) == text


def test_text_summary_counts_inputs_that_could_not_be_linted() -> None:
    stream = io.StringIO()
    formatter = make_formatter("text", stream, RULES)
    formatter.input_error()
    formatter.finish()
    assert stream.getvalue() == "no drafts linted; 1 input could not be linted (see the errors)\n"
    stream = io.StringIO()
    formatter = make_formatter("text", stream, RULES)
    formatter.report(CLEAN, PATHS[CLEAN])
    formatter.input_error()
    formatter.input_error()
    formatter.finish()
    assert stream.getvalue().splitlines()[-1] == (
        "1 draft linted: 1 passed, 0 failed (threshold 4.0); 2 inputs could not be linted "
        "(see the errors)"
    )


def _odd_reports() -> list[LintReport]:
    location_kinds = [
        Location("text", 3),
        Location("header", None, "Subject"),
        Location("html"),
        Location('pa"rt\n', 0, "\\x\u2028"),
    ]
    messages = ["plain", 'quote " and \\ and \n\t\x00\x1f', "Unicode: ä 中文 🙂 \u2028", ""]
    points = [0.1, 1.0, 0.30000000000000004, 1e-9, 123456789.123456, 2, -0.0]
    reports = [LintReport("empty.eml", (), 5.0), LintReport('ünï "q".eml', (), 0)]
    for i in range(60):
        findings = tuple(
            Finding(
                code=f"R{(i + j) % 7:03d}",
                name="rule-name",
                severity=list(Severity)[(i + j) % 3],
                points=points[(i * 3 + j) % len(points)],
                message=messages[(i + j) % len(messages)],
                fix=messages[(i + 2 * j) % len(messages)] + " fix",
                location=location_kinds[(i + j) % len(location_kinds)],
            )
            for j in range(i % 5)
        )
        reports.append(LintReport(f"draft-{i}.eml", findings, 5.0 if i % 2 else 0.5))
    return reports


def test_jsonl_line_is_json_dumps_of_the_report() -> None:
    from preflight.lint.formatters import report_json

    for report in _odd_reports():
        assert report_json(report) == json.dumps(report.as_dict(), ensure_ascii=False)


@pytest.mark.parametrize("points", [float("nan"), float("inf"), True])
def test_jsonl_line_of_unusual_values_is_left_to_json(points: object) -> None:
    from preflight.lint.formatters import report_json

    finding = Finding("X001", "x", Severity.INFO, points, "m", "f", Location("text"))  # type: ignore[arg-type]
    report = LintReport("a.eml", (finding,), 5.0)
    assert report_json(report) == json.dumps(report.as_dict(), ensure_ascii=False)


def test_jsonl_location_memo_keeps_equal_values_of_other_types_apart() -> None:
    from preflight.lint.formatters import report_json

    for line in (1, True, 1.0, 1):
        where = Location("text", line)  # type: ignore[arg-type]
        report = LintReport(
            "a.eml", (Finding("X001", "x", Severity.INFO, 1.0, "m", "f", where),), 5
        )
        assert report_json(report) == json.dumps(report.as_dict(), ensure_ascii=False)
