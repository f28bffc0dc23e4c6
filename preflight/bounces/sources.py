"""Where bounce messages come from: .eml files, folders, mbox files and Maildirs (IMAP is in
:mod:`preflight.bounces.imap`, imported only by the commands that need it).

Every source yields :class:`RawMessage` items: the raw bytes plus a ``location`` string a
user can follow back to the message (a path, ``mbox-path#index``, ``imap://.../FOLDER;UID=n``).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from preflight.errors import InputError

# Files in a folder that are certainly not messages.
_NOT_MESSAGES = frozenset(
    {".json", ".jsonl", ".md", ".py", ".pl", ".csv", ".toml", ".sqlite3", ".db", ".gz", ".zip"}
)


@dataclass(frozen=True)
class RawMessage:
    """One message as read from a source."""

    data: bytes
    location: str
    # When the message arrived, if the source knows (IMAP INTERNALDATE, file mtime).
    received_at: datetime | None = None
    # A key to mark the message processed (IMAP UID); None for local files.
    uid: str | None = None


def is_mbox(path: Path) -> bool:
    """True when a file starts like an mbox ("From " line) rather than a single message.

    An ``.eml`` file is always one message, even with a leading "From " envelope line.
    """
    if path.suffix.lower() == ".eml":
        return False
    try:
        with path.open("rb") as handle:
            return handle.read(5) == b"From "
    except OSError:
        return False


def is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def iter_paths(paths: Sequence[Path]) -> Iterator[RawMessage]:
    """Messages from files (single messages or mbox), folders of files, and Maildirs."""
    for path in paths:
        if not path.exists():
            raise InputError("no such file or folder", file=path)
        if is_maildir(path):
            yield from iter_maildir(path)
        elif path.is_dir():
            yield from iter_folder(path)
        elif is_mbox(path):
            yield from iter_mbox(path)
        else:
            yield _read_file(path)


def iter_folder(folder: Path) -> Iterator[RawMessage]:
    """Every message file under a folder (recursively), in name order."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        base = Path(root)
        if is_maildir(base) and base != folder:
            dirs[:] = []
            yield from iter_maildir(base)
            continue
        for name in sorted(files):
            path = base / name
            if name.startswith(".") or path.suffix.lower() in _NOT_MESSAGES:
                continue
            if is_mbox(path):
                yield from iter_mbox(path)
                continue
            message = _read_if_message(path)
            if message is not None:
                yield message


_HEADER_START = re.compile(rb"^(?:From |[A-Za-z][A-Za-z0-9-]*:)")


def _read_if_message(path: Path) -> RawMessage | None:
    """A file in a folder counts only if it starts like a message (a header line)."""
    try:
        with path.open("rb") as handle:
            data = handle.read()
            mtime = datetime.fromtimestamp(os.fstat(handle.fileno()).st_mtime, UTC)
    except OSError:
        return None
    if not _HEADER_START.match(data[:512].lstrip(b"\r\n")):
        return None
    return RawMessage(data=data, location=str(path), received_at=mtime)


def _read_file(path: Path) -> RawMessage:
    try:
        data = path.read_bytes()
        mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}", file=path) from error
    return RawMessage(data=data, location=str(path), received_at=mtime)


def iter_mbox(path: Path) -> Iterator[RawMessage]:
    """Messages of an mbox file; the location is ``path#n`` (0-based, in file order)."""
    import mailbox  # only mbox sources pay for it

    try:
        box = mailbox.mbox(path, create=False)
        keys = box.keys()
    except (OSError, mailbox.Error) as error:
        raise InputError(f"cannot read as mbox: {error}", file=path) from error
    try:
        for index, key in enumerate(keys):
            # One read gives both the "From " line and the message: get_message() would read
            # the message again and parse it only for its envelope date.
            from_line, _, data = box.get_bytes(key, from_=True).partition(b"\n")
            yield RawMessage(
                data=data,
                location=f"{path}#{index}",
                received_at=_from_line_date(from_line[5:].decode("ascii", "replace")),
            )
    finally:
        box.close()


def _from_line_date(line: str) -> datetime | None:
    """The date of an mbox "From sender Thu Nov 20 10:00:00 2026" line, after "From "."""
    parts = line.split(None, 1)
    if len(parts) < 2:
        return None
    with contextlib.suppress(ValueError, TypeError):
        parsed = datetime.strptime(" ".join(parts[1].split()[:5]), "%a %b %d %H:%M:%S %Y")
        return parsed.replace(tzinfo=UTC)
    return None


def iter_maildir(path: Path) -> Iterator[RawMessage]:
    """Messages of a Maildir (new/ and cur/), in file-name order (delivery order)."""
    for sub in ("new", "cur"):
        folder = path / sub
        for name in sorted(os.listdir(folder)):
            if name.startswith("."):
                continue
            yield _read_file(folder / name)


__all__ = [
    "RawMessage",
    "is_maildir",
    "is_mbox",
    "iter_folder",
    "iter_maildir",
    "iter_mbox",
    "iter_paths",
]
