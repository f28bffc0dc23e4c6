"""Help and usage mistakes, as a new user meets them (the real CLI, output not a terminal)."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from preflight.cli import COMMAND_FAMILIES, app

runner = CliRunner()


def test_dash_h_is_help_everywhere() -> None:
    top = runner.invoke(app, ["-h"])
    assert top.exit_code == 0 and "Commands" in top.stdout
    for args in (["send", "-h"], ["warmup", "show", "-h"], ["bounces", "import", "-h"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.stdout)
        assert "Usage: " in result.stdout and "--help" in result.stdout


def test_a_mistyped_command_gets_a_suggestion() -> None:
    result = runner.invoke(app, ["chek", "leads.csv"])
    assert result.exit_code == 2
    assert "No such command 'chek'. Did you mean check?" in result.stderr
    assert "Did you mean" not in runner.invoke(app, ["zzzzzz"]).stderr


def test_top_level_help_is_whole_with_an_example_per_command() -> None:
    out = runner.invoke(app, ["--help"]).stdout
    commands = out.split("Commands:", 1)[1]
    assert "..." not in commands and "…" not in commands
    flat = " ".join(commands.split())
    for name in COMMAND_FAMILIES:
        assert f" {name} " in f" {flat} "
    assert flat.count("e.g. preflight ") == len(COMMAND_FAMILIES)
    assert "how to fix it." in flat  # lint's sentence, not cut at the width


def test_sink_help_has_no_raw_double_backticks() -> None:
    done = subprocess.run([sys.executable, "-m", "preflight.sink", "--help"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0
    assert "``" not in done.stdout and "python -m preflight.sink --reply" in done.stdout
