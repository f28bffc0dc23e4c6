"""`preflight lint` and `preflight rules` end to end: exit codes, formats and error lines."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from preflight.lint.rules import all_rules
from preflight.resources import shipped_dir

from .conftest import GOOD_EML, PROJECT_ROOT, SPAMMY_EML, TEMPLATE

Run = Callable[..., Any]


def test_a_clean_draft_passes_with_exit_0(run_cli: Run, write: Callable[..., Path]) -> None:
    good = write("good.eml", GOOD_EML)
    result = run_cli("lint", str(good))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{good}  score ")
    assert "1 draft linted: 1 passed, 0 failed (threshold 5.0)" in result.stdout


def test_a_spammy_draft_fails_with_exit_1(run_cli: Run, write: Callable[..., Path]) -> None:
    good = write("good.eml", GOOD_EML)
    spam = write("spam.eml", SPAMMY_EML)
    result = run_cli("lint", str(good), str(spam))
    assert result.exit_code == 1, result.output
    assert f"{spam}  score " in result.stdout and "FAIL" in result.stdout
    assert "fix: " in result.stdout
    assert "2 drafts linted: 1 passed, 1 failed" in result.stdout
    assert run_cli("lint", "--exit-zero", str(spam)).exit_code == 0


def test_jsonl_prints_one_report_object_per_message(
    run_cli: Run, write: Callable[..., Path], tmp_path: Path
) -> None:
    write("box/good.eml", GOOD_EML)
    write("box/spam.eml", SPAMMY_EML)
    write("box/t.j2", TEMPLATE)
    result = run_cli("lint", "--exit-zero", "--format", "jsonl", str(tmp_path / "box"))
    assert result.exit_code == 0 and result.stderr == ""
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(r["file"]).name for r in records] == ["good.eml", "spam.eml", "t.j2"]
    for record in records:
        assert list(record) == ["file", "score", "passed", "findings"]
        assert record["passed"] == (record["score"] < 5.0)
        assert record["score"] == pytest.approx(
            sum(f["points"] for f in record["findings"]), abs=0.01
        )
        for finding in record["findings"]:
            assert list(finding) == [
                "code",
                "name",
                "severity",
                "points",
                "message",
                "fix",
                "location",
            ]
    assert records[1]["score"] >= 5.0 and records[0]["score"] < 5.0


def test_threshold_select_and_ignore(run_cli: Run, write: Callable[..., Path]) -> None:
    spam = write("spam.eml", SPAMMY_EML)

    def codes(*options: str) -> set[str]:
        result = run_cli("lint", "--exit-zero", "--format", "jsonl", *options, str(spam))
        assert result.exit_code == 0, result.output
        return {f["code"] for f in json.loads(result.stdout)["findings"]}

    everything = codes()
    assert any(c.startswith("SUB") for c in everything) and any(
        c.startswith("LNK") for c in everything
    )
    assert codes("--select", "SUB") == {c for c in everything if c.startswith("SUB")}
    assert codes("--ignore", "SUB,LNK") == {c for c in everything if c[:3] not in {"SUB", "LNK"}}
    assert codes("--select", "SUB", "--ignore", "subject-exclamation") == {
        c for c in everything if c.startswith("SUB") and c != "SUB004"
    }
    assert run_cli("lint", "--threshold", "1000", str(spam)).exit_code == 0


def test_config_file_is_used_and_cli_overrides_it(run_cli: Run, write: Callable[..., Path]) -> None:
    spam = write("spam.eml", SPAMMY_EML)
    write("preflight.toml", '[lint]\nthreshold = 1000\nselect = ["SUB"]\n')
    result = run_cli("lint", "--format", "jsonl", str(spam))
    assert result.exit_code == 0
    assert {f["code"][:3] for f in json.loads(result.stdout)["findings"]} == {"SUB"}
    assert run_cli("lint", "--threshold", "1", str(spam)).exit_code == 1
    other = write("other.toml", "[lint]\nthreshold = 0\n")  # even a score of 0 fails
    assert run_cli("lint", "--config", str(other), str(write("g.eml", GOOD_EML))).exit_code == 1


@pytest.mark.parametrize(
    ("setup", "args", "expected"),
    [
        (
            lambda w: None,
            ["lint", "missing.eml"],
            "preflight: error: missing.eml: no such file or folder",
        ),
        (
            lambda w: w("broken.eml", ""),
            ["lint", "broken.eml"],
            "preflight: error: broken.eml: the file is empty",
        ),
        (
            lambda w: w("t.j2", TEMPLATE),
            ["lint", "--data", "row.json", "t.j2"],
            "preflight: error: row.json: no such data file",
        ),
        (
            lambda w: w("preflight.toml", '[lint]\nthreshold = 5\ncolour = "red"\n'),
            ["lint", "x.eml"],
            "preflight: error: {tmp}/preflight.toml:3: lint.colour: unknown key",
        ),
        (
            lambda w: (w("t.j2", "Subject: Hi\n\nHello {{ frist_name }},\n"), w("row.json", "{}")),
            ["lint", "--data", "row.json", "t.j2"],
            "preflight: error: t.j2:3: frist_name: undefined variable",
        ),
        (
            lambda w: None,
            ["lint", "--select", "NOPE", "x.eml"],
            "preflight: error: --select: no rule matches 'NOPE'",
        ),
        (
            lambda w: None,
            ["lint", "--sample", "0", "x.eml"],
            "preflight: error: --sample: must be 1 or more",
        ),
    ],
)
def test_errors_are_one_line_on_stderr_with_exit_2(
    run_cli: Run,
    write: Callable[..., Path],
    tmp_path: Path,
    setup: Callable,
    args: list[str],
    expected: str | None,
) -> None:
    setup(write)
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("preflight: error: ")
    if expected is not None:
        assert lines[0].startswith(expected.format(tmp=tmp_path)), lines[0]
    assert "Traceback" not in result.output


def test_bad_config_fails_before_any_draft_is_read(
    run_cli: Run, write: Callable[..., Path]
) -> None:
    write("preflight.toml", "[lint.rules.LNK999]\npoints = 1\n")
    result = run_cli("lint", "--format", "jsonl", "does-not-exist.eml")
    assert result.exit_code == 2 and result.stdout == ""
    assert "preflight.toml:1: lint.rules.LNK999: unknown rule" in result.stderr


def test_input_errors_do_not_stop_the_other_drafts(
    run_cli: Run, write: Callable[..., Path]
) -> None:
    write("box/a-broken.eml", "no headers here\n")
    write("box/b-good.eml", GOOD_EML)
    result = run_cli("lint", "--format", "jsonl", "--exit-zero", "box")
    assert result.exit_code == 2  # errors outrank --exit-zero
    assert [Path(json.loads(line)["file"]).name for line in result.stdout.splitlines()] == [
        "b-good.eml"
    ]
    assert result.stderr.startswith("preflight: error: box/a-broken.eml: no mail headers found")


def test_template_per_recipient_row(run_cli: Run, write: Callable[..., Path]) -> None:
    write("t.j2", TEMPLATE)
    write(
        "list.csv",
        "\ufeffemail,first_name,company\na@n.example,Anna,Nordlicht\nb@k.example,Ben,Kraft\n",
    )
    result = run_cli("lint", "--format", "jsonl", "--recipients", "list.csv", "t.j2")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["file"] for line in result.stdout.splitlines()] == [
        "t.j2 [list.csv:2]",
        "t.j2 [list.csv:3]",
    ]


def test_injection_through_a_recipient_value_is_an_error_not_a_header(
    run_cli: Run, write: Callable[..., Path]
) -> None:
    write("t.j2", TEMPLATE)
    write("list.csv", 'email,first_name,company\na@n.example,Anna,"X\nBcc: victim@example.com"\n')
    result = run_cli("lint", "--format", "jsonl", "--recipients", "list.csv", "t.j2")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(
        "preflight: error: t.j2:1: Subject: the rendered value contains a line break"
    )
    assert "list.csv:2" in result.stderr


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "github", "sarif"])
def test_every_format_runs_through_the_cli(
    run_cli: Run, write: Callable[..., Path], fmt: str
) -> None:
    spam = write("spam.eml", SPAMMY_EML)
    result = run_cli("lint", "--format", fmt, str(spam))
    assert result.exit_code == 1 and result.stdout.strip()
    if fmt in {"json", "sarif"}:
        json.loads(result.stdout)
    if fmt == "github":
        assert all(line.startswith("::") for line in result.stdout.splitlines())
    if fmt == "sarif":
        rules = json.loads(result.stdout)["runs"][0]["tool"]["driver"]["rules"]
        assert len(rules) == len(all_rules())


def test_shipped_templates_pass_with_a_low_score(run_cli: Run) -> None:
    folder = shipped_dir("templates")
    result = run_cli("lint", "--format", "jsonl", str(folder))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) >= 2 and any(r["file"].endswith("first-contact.j2") for r in records)
    for record in records:
        assert record["score"] < 1.0, record


def test_rules_lists_every_rule_in_each_format(run_cli: Run) -> None:
    rules = all_rules()
    text = run_cli("rules")
    assert text.exit_code == 0
    assert [line.split()[0] for line in text.stdout.splitlines()] == [r.code for r in rules]
    markdown = run_cli("rules", "--format", "markdown").stdout.splitlines()
    assert len(markdown) == len(rules) + 2 and markdown[2].startswith(f"| {rules[0].code} |")
    listed = json.loads(run_cli("rules", "--format", "json").stdout)
    assert [(r["code"], r["name"], r["points"]) for r in listed] == [
        (r.code, r.name, r.points) for r in rules
    ]


def test_real_process_prints_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "preflight.toml").write_text("", encoding="utf-8")
    (tmp_path / "t.j2").write_text("Subject: Hi\n\nHello {{ name }}\n{{ ''.__class__ }}\n")
    process = subprocess.run(
        [sys.executable, "-m", "preflight", "lint", "t.j2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 2
    assert (
        process.stderr == "preflight: error: t.j2:4: refused by the template sandbox: "
        "access to attribute '__class__' of 'str' object is unsafe.\n"
    )


def test_readme_command_lints_the_shipped_templates() -> None:
    process = subprocess.run(
        [sys.executable, "-m", "preflight", "lint", "templates/"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 0, process.stdout + process.stderr
    assert "passed, 0 failed" in process.stdout
