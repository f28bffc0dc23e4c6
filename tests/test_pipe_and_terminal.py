"""Output in a pipe is never cut at 80 columns; `check` shows a progress bar on a terminal
only. The real CLI in a child process, once with pipes and once on a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

PREFLIGHT = [sys.executable, "-m", "preflight"]
# What rich draws for a progress bar: the bar's line character and cursor hiding.
BAR = "\u2501"
HIDE_CURSOR = "\x1b[?25l"


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, PREFLIGHT_LEDGER=str(tmp_path / "none" / "l.sqlite3"))
    env.pop("TERMINAL_WIDTH", None)
    env.update(COLUMNS="80", LINES="24", TERM="xterm")
    return env


def _piped(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PREFLIGHT, *args], capture_output=True, text=True, timeout=120,
                          env=_env(tmp_path), cwd=tmp_path, check=False)


def _on_terminal(args: list[str], tmp_path: Path) -> str:
    """Everything the command wrote to its terminal (stdout and stderr both on the pty)."""
    master, slave = pty.openpty()
    child = subprocess.Popen([*PREFLIGHT, *args], stdin=slave, stdout=slave, stderr=slave,
                             env=_env(tmp_path), cwd=tmp_path, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert child.wait(timeout=120) in (0, 1)
    return b"".join(chunks).decode("utf-8", "replace")


def _big_list(tmp_path: Path, rows: int = 8000) -> Path:
    path = tmp_path / "big.csv"
    lines = ["email,first_name,company"]
    lines += [f"person{i}@company{i % 300}.example,Name{i},Company {i}" for i in range(rows)]
    lines.append("kevin@gamil.com,Kevin,Typo")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > 256 * 1024  # "large": above the bar's threshold
    return path


SENTENCE = "Check a recipients list: each row is ok, warn or reject, with the reasons and a fix."


def test_help_in_a_pipe_keeps_each_sentence_on_one_line(tmp_path: Path) -> None:
    result = _piped(["check", "--help"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert SENTENCE in result.stdout.splitlines()[2]
    option = next(line for line in result.stdout.splitlines() if "--template" in line)
    assert "in the columns it uses (default: every column)." in option
    top = _piped(["--help"], tmp_path).stdout
    assert any("Score drafts for what spam filters punish, and say how to fix it." in line
               for line in top.splitlines())
    # On a terminal the same help fits the window.
    shown = _on_terminal(["check", "--help"], tmp_path)
    assert SENTENCE not in shown and "reasons" in shown
    assert max(len(line) for line in shown.splitlines()) <= 80


def test_a_rich_console_in_a_pipe_does_not_wrap(tmp_path: Path) -> None:
    code = ("from preflight.consoles import make_console\n"
            "make_console().print('word ' * 60)\n"
            "make_console(stderr=True).print('other ' * 60)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=_env(tmp_path), timeout=60, check=True)
    assert result.stdout.strip() == ("word " * 60).strip()
    assert result.stderr.strip() == ("other " * 60).strip()


@pytest.mark.parametrize("where", ["terminal", "pipe"])
def test_check_shows_a_progress_bar_on_a_terminal_only(tmp_path: Path, where: str) -> None:
    source = _big_list(tmp_path)
    if where == "terminal":
        out = _on_terminal(["check", str(source)], tmp_path)
        assert HIDE_CURSOR in out and BAR in out and f"checking {source.name}" in out
        assert "100%" in out
    else:
        result = _piped(["check", str(source)], tmp_path)
        out = result.stdout + result.stderr
        assert result.returncode == 1
        assert BAR not in out and "\x1b" not in out and "\r" not in out
        assert "checking big.csv" not in out
    # Either way every line of the report is there, whole.
    assert "reject kevin@gamil.com: domain-typo" in out
    assert "big.csv: 8,001 rows: 8,000 ok, 0 warn, 1 reject" in out


def test_a_small_list_gets_no_bar_even_on_a_terminal(tmp_path: Path) -> None:
    source = tmp_path / "small.csv"
    source.write_text("email\nanna@nordlicht.example\n", encoding="utf-8")
    out = _on_terminal(["check", str(source)], tmp_path)
    assert BAR not in out and " 1 ok, 0 warn, 0 reject" in out
