"""A small, forgiving MIME reader for bounce messages.

The standard library's parser reads a message line by line and builds a full object model;
for bounces, which are read once and only for a few parts, that is most of the time spent.
This reader splits on boundaries with bytes operations and decodes only the parts asked for.
It is lenient the way bounce handling needs: a declared boundary that never occurs leaves
the body as one flat part, bad base64 is decoded as far as it goes, 8-bit headers survive.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass, field
from functools import cached_property

from preflight.bounces.limits import MAX_HEADERS, MAX_PARTS

_PARAM = re.compile(
    r';\s*([A-Za-z0-9\-_*]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))', re.DOTALL
)
_MESSAGE_TYPES = frozenset({"message/rfc822", "message/global"})
_MAX_DEPTH = 8


@dataclass
class Part:
    """One MIME entity: its headers, its raw body, and its sub-parts if it is a container."""

    headers: list[tuple[str, str]]
    body: bytes
    parts: list[Part] = field(default_factory=list)
    # What parsing cut (parts or headers over a cap); filled on the root part only.
    notes: list[str] = field(default_factory=list)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of a header (case-insensitive), as text."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    @cached_property
    def _content_type(self) -> tuple[str, dict[str, str]]:
        raw = self.get("Content-Type") or ""
        main, _, rest = raw.partition(";")
        ctype = main.strip().lower()
        if "/" not in ctype:
            ctype = "text/plain"
        params = {
            m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3))
            for m in _PARAM.finditer(";" + rest)
        }
        return ctype, params

    @property
    def content_type(self) -> str:
        return self._content_type[0]

    @property
    def maintype(self) -> str:
        return self.content_type.split("/", 1)[0]

    @property
    def subtype(self) -> str:
        return self.content_type.split("/", 1)[1]

    def param(self, name: str) -> str | None:
        return self._content_type[1].get(name.lower())

    @property
    def charset(self) -> str | None:
        value = self.param("charset")
        return value.strip().lower() if value else None

    def is_multipart(self) -> bool:
        return bool(self.parts)

    def payload(self) -> bytes:
        """The body with its Content-Transfer-Encoding undone."""
        encoding = (self.get("Content-Transfer-Encoding") or "").strip().lower()
        if encoding == "base64":
            return _base64(self.body)
        if encoding == "quoted-printable":
            return binascii.a2b_qp(self.body)
        return self.body


def _base64(data: bytes) -> bytes:
    cleaned = re.sub(rb"[^A-Za-z0-9+/=]", b"", data)
    cleaned = cleaned.split(b"=", 1)[0] if b"=" in cleaned[:-2] else cleaned
    cleaned += b"=" * (-len(cleaned) % 4)
    try:
        return binascii.a2b_base64(cleaned)
    except binascii.Error:
        return data


def _split_head(data: bytes) -> tuple[bytes, bytes]:
    if data.startswith(b"\n"):
        return b"", data[1:]
    head, sep, body = data.partition(b"\n\n")
    if not sep:
        # No body; or no headers at all (a part that starts with text).
        return (data, b"") if _looks_like_header_line(data) else (b"", data)
    return head, body


def _looks_like_header_line(data: bytes) -> bool:
    first = data.split(b"\n", 1)[0]
    name, colon, _ = first.partition(b":")
    return bool(colon) and bool(name) and b" " not in name.strip()


def _headers(head: bytes, notes: list[str]) -> list[tuple[str, str]]:
    text = head.decode("ascii", "surrogateescape")
    found: list[tuple[str, str]] = []
    # Folded lines are collected and joined once: appending to a string per line is
    # quadratic on a header folded over thousands of lines.
    folded: list[str] = []
    for line in text.split("\n"):
        if not line:
            continue
        if line[0] in " \t" and found:
            folded.append(line.strip())
            continue
        if folded:
            key, value = found[-1]
            found[-1] = (key, " ".join((value, *folded)))
            folded = []
        if len(found) >= MAX_HEADERS:
            notes.append(f"header lines after the first {MAX_HEADERS} ignored")
            break
        name, colon, value = line.partition(":")
        if colon and name and " " not in name.strip():
            found.append((name.strip(), value.strip()))
    if folded:
        key, value = found[-1]
        found[-1] = (key, " ".join((value, *folded)))
    return found


def parse(data: bytes) -> Part:
    """Parse raw message bytes (CRLF or LF) into a tree of parts.

    At most :data:`MAX_PARTS` entities are built; what is cut is named in the root's
    ``notes``.
    """
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
    notes: list[str] = []
    root = _parse(data, 0, notes, [MAX_PARTS])
    root.notes = notes
    return root


def _parse(data: bytes, depth: int, notes: list[str], budget: list[int]) -> Part:
    budget[0] -= 1
    head, body = _split_head(data)
    part = Part(headers=_headers(head, notes), body=body)
    if depth >= _MAX_DEPTH:
        return part
    if part.maintype == "multipart":
        boundary = part.param("boundary")
        if boundary:
            marker = boundary.encode("ascii", "surrogateescape")
            for chunk in _chunks(body, marker, budget[0]):
                if budget[0] <= 0:
                    notes.append(f"MIME parts after the first {MAX_PARTS} ignored")
                    break
                part.parts.append(_parse(chunk, depth + 1, notes, budget))
    elif part.content_type in _MESSAGE_TYPES:
        inner = part.payload()
        if inner.strip() and budget[0] > 0:
            part.parts = [_parse(inner.lstrip(b"\n"), depth + 1, notes, budget)]
    return part


def _chunks(body: bytes, boundary: bytes, limit: int = MAX_PARTS) -> list[bytes]:
    """The bodies between "--boundary" lines; [] when the boundary never occurs.

    At most ``limit + 1`` pieces are cut (the caller notes the overflow).
    """
    marker = b"--" + boundary
    pieces: list[bytes] = []
    start: int | None = None
    position = 0
    while len(pieces) <= limit:
        found = body.find(marker, position)
        if found < 0:
            break
        at_line_start = found == 0 or body[found - 1 : found] == b"\n"
        line_end = body.find(b"\n", found)
        line_end = len(body) if line_end < 0 else line_end
        if not at_line_start:
            position = found + len(marker)
            continue
        if start is not None:
            pieces.append(body[start : max(start, found - 1)])
        closing = body[found + len(marker) : found + len(marker) + 2] == b"--"
        if closing:
            start = None
            break
        start = line_end + 1
        position = start
    if start is not None and start < len(body):
        pieces.append(body[start:])
    return pieces


__all__ = ["Part", "parse"]
