"""Where the shipped templates and warm-up plans live, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """Return the folder of shipped files called ``name`` (``templates``, ``warmup_plans``).

    A wheel carries them inside the package (``_bundled``); an editable install or a
    checkout reads them from the project root.
    """
    for candidate in (_PACKAGE / "_bundled" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"shipped folder {name!r} not found beside the preflight package")


def data_file(name: str) -> Path:
    """A data file of the linter (phrase lists, domain lists) by file name."""
    return _PACKAGE / "lint" / "data" / name
