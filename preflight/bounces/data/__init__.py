"""Data files of the bounce reader (reasons, phrases, provider and format tables).

They ship inside the package (the wheel includes every file under ``preflight/``) and are
read from this folder at import: a plain path is faster than ``importlib.resources``.
Strings are TOML literal strings ('...') where they can be: tomllib reads a basic string
("...") one character at a time and a literal one with a single search, and every command
that classifies pays for the parse.
"""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
