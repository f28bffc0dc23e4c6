"""Data files of the bounce reader (reasons, phrases, provider and format tables).

They ship inside the package (the wheel includes every file under ``preflight/``) and are
read from this folder at import: a plain path is faster than ``importlib.resources``.
"""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
