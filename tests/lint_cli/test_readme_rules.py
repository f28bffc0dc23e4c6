"""README.md's rule table must be exactly what `preflight rules --format markdown` prints."""

from __future__ import annotations

from typer.testing import CliRunner

from preflight.cli import app

from .conftest import PROJECT_ROOT

START = "<!-- rules:start -->"
END = "<!-- rules:end -->"


def test_readme_rule_table_matches_preflight_rules() -> None:
    result = CliRunner().invoke(app, ["rules", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    expected = result.stdout.strip()
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert START in readme and END in readme, (
        f"README.md has no {START} ... {END} block: paste the output of "
        "`preflight rules --format markdown` between those two markers"
    )
    table = readme.split(START, 1)[1].split(END, 1)[0].strip()
    assert table == expected, (
        "README.md's rule table is out of date: replace the lines between the markers with "
        "the output of `preflight rules --format markdown`"
    )
