"""Finding the configuration file every command family reads its own table from.

``preflight.toml``, or ``pyproject.toml`` with a ``[tool.preflight]`` table; the first of
those found from the current folder upward.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

CONFIG_FILE = "preflight.toml"
PYPROJECT_FILE = "pyproject.toml"


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``preflight.toml``, or ``pyproject.toml`` with ``[tool.preflight]``."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        own = candidate / CONFIG_FILE
        if own.is_file():
            return own
        pyproject = candidate / PYPROJECT_FILE
        if pyproject.is_file() and _has_tool_preflight(pyproject):
            return pyproject
    return None


def _has_tool_preflight(path: Path) -> bool:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        # A broken pyproject.toml that may not be ours: say so only if it is chosen.
        return "[tool.preflight" in path.read_text(encoding="utf-8", errors="replace")
    tool = data.get("tool")
    return isinstance(tool, dict) and "preflight" in tool


__all__ = ["CONFIG_FILE", "PYPROJECT_FILE", "find_config"]
