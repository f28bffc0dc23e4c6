"""Builders of hostile inputs and a loose wall-clock bound shared by the hostile tests."""

from __future__ import annotations

import base64
import contextlib
import multiprocessing
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Generous: a case that takes this long has run away. Normal cases take well under a second;
# the bound only catches exponential or quadratic blow-ups, it is not a timing test.
RUNAWAY_SECONDS = 20.0

HEAD = (
    b"From: Li Wei <li.wei@brightline.example>\r\n"
    b"To: anna@nordlicht.example\r\n"
    b"Subject: Stainless fittings for Nordlicht\r\n"
    b"Date: Mon, 02 Nov 2026 09:00:00 +0000\r\n"
    b"Message-ID: <1.hostile@brightline.example>\r\n"
    b"MIME-Version: 1.0\r\n"
)


@contextlib.contextmanager
def bounded(what: str, seconds: float = RUNAWAY_SECONDS) -> Iterator[None]:
    """Fail when the block takes longer than ``seconds`` of wall time (measured loosely)."""
    started = time.monotonic()
    yield
    took = time.monotonic() - started
    assert took < seconds, f"{what} ran away: {took:.1f} s (bound {seconds:.0f} s)"


def shared_dir() -> Path:
    """/work/shared beside the checkout; a missing folder is a failure, never a skip."""
    path = (Path(__file__).resolve().parents[2] / ".." / "shared").resolve()
    assert path.is_dir(), (
        f"the shared corpora folder is missing: expected {path} beside the checkout "
        "(see /work/shared/README.md)"
    )
    return path


def single(content_type: bytes, body: bytes, *, encoding: bytes | None = None) -> bytes:
    """A one-part message."""
    head = HEAD + b"Content-Type: " + content_type + b"\r\n"
    if encoding:
        head += b"Content-Transfer-Encoding: " + encoding + b"\r\n"
    return head + b"\r\n" + body + b"\r\n"


def multipart(parts: list[bytes], subtype: bytes = b"mixed", boundary: bytes = b"XB") -> bytes:
    """A multipart message; each part is given with its own headers and body."""
    out = [HEAD, b"Content-Type: multipart/" + subtype + b'; boundary="' + boundary + b'"\r\n\r\n']
    for part in parts:
        out += [b"--" + boundary + b"\r\n", part, b"\r\n"]
    out.append(b"--" + boundary + b"--\r\n")
    return b"".join(out)


def text_part(text: bytes) -> bytes:
    return b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + text


def base64_attachment(name: bytes, ctype: bytes, data: bytes) -> bytes:
    return (
        b"Content-Type: " + ctype + b'; name="' + name + b'"\r\n'
        b"Content-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="' + name + b'"\r\n\r\n'
        + base64.encodebytes(data)
    )


def zip_bomb_header(claimed: int = 2**32 - 1) -> bytes:
    """A zip local file header + end-of-central-directory that claim ``claimed`` bytes
    uncompressed while carrying a few bytes: anything that trusts the header runs away."""
    name = b"payload.bin"
    local = (
        b"PK\x03\x04"
        + (20).to_bytes(2, "little")  # version needed
        + (0).to_bytes(2, "little")  # flags
        + (8).to_bytes(2, "little")  # deflate
        + (0).to_bytes(4, "little")  # time, date
        + (0).to_bytes(4, "little")  # crc
        + (16).to_bytes(4, "little")  # compressed size
        + claimed.to_bytes(4, "little")  # uncompressed size: the lie
        + len(name).to_bytes(2, "little")
        + (0).to_bytes(2, "little")
        + name
        + b"\x03\x00" * 8
    )
    end = (
        b"PK\x05\x06"
        + (0).to_bytes(4, "little")
        + (0xFFFF).to_bytes(2, "little") * 2  # "65,535 entries"
        + claimed.to_bytes(4, "little")
        + (0).to_bytes(4, "little")
        + (0).to_bytes(2, "little")
    )
    return local + end


def nested_multipart(depth: int) -> bytes:
    """``depth`` multiparts each holding the next, a text part at the bottom."""
    levels = b"".join(
        b'Content-Type: multipart/mixed; boundary="N%d"\r\n\r\n--N%d\r\n' % (i, i)
        for i in range(depth)
    )
    return HEAD + levels + b"Content-Type: text/plain\r\n\r\nbottom\r\n"


@dataclass(frozen=True)
class ChildOutcome:
    """How a call made in a forked child ended."""

    kind: str  # "returned", "raised", "timeout" or "died"
    value: object = None
    error_type: str = ""
    preflight_error: bool = False  # a PreflightError subclass (ours), not a crash
    message: str = ""
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        """Returned, or failed with our own error: what every hostile input must end in."""
        return self.kind == "returned" or (self.kind == "raised" and self.preflight_error)


def in_child(
    call: Callable[[], object], *, timeout: float = RUNAWAY_SECONDS, memory_mb: int = 1500
) -> ChildOutcome:
    """Run ``call`` in a forked child with a hard wall-clock bound and a memory ceiling.

    For inputs that may truly hang (a regex gone quadratic, a template computing 9**10**8):
    the test then fails after ``timeout`` seconds instead of hanging the suite. The memory
    ceiling turns an attempt to allocate gigabytes into a MemoryError in the child rather than
    trouble for the machine.
    """
    from preflight.errors import PreflightError

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        soft = _address_space_bytes() + memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (soft, soft))
        try:
            result: tuple[object, ...] = ("returned", call(), "", False, "")
        except BaseException as error:  # the point: report whatever escapes
            text = str(error).splitlines()[0][:300] if str(error) else ""
            result = ("raised", None, type(error).__name__, isinstance(error, PreflightError), text)
        sender.send(result)

    started = time.monotonic()
    process = context.Process(target=child, daemon=True)
    process.start()
    sender.close()
    ready = receiver.poll(timeout)
    seconds = time.monotonic() - started
    if not ready:
        process.kill()
        process.join()
        return ChildOutcome("timeout", seconds=seconds)
    try:
        kind, value, error_type, ours, message = receiver.recv()
    except EOFError:
        process.join()
        return ChildOutcome("died", message=f"exit code {process.exitcode}", seconds=seconds)
    process.join()
    return ChildOutcome(kind, value, error_type, ours, message, seconds)


def _address_space_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0
