"""A local SMTP server (aiosmtpd) with scripted replies: the demo's and the tests' far end.

It listens on loopback only, answers each recipient according to a list of *faults* (the
first that answers wins, otherwise 250), and records every message it accepts. A fault is
any object with ``on_rcpt`` and ``on_data`` hooks (see :class:`Fault`), so new kinds of
trouble (a dropped line, a stall, a greylisting server) are one small class each::

    sink = Sink([Reply("*@nowhere.example", "550 5.1.1 User unknown")])
    async with sink:
        ...  # send to 127.0.0.1:sink.port
    sink.received  # [Received(...), ...]
"""

from __future__ import annotations

import asyncio
import fnmatch
import ipaddress
import mailbox
import ssl
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any, Protocol

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    received_at: float  # time.time() when DATA ended

    def message(self) -> EmailMessage:
        message = message_from_bytes(self.data, policy=default_policy)
        assert isinstance(message, EmailMessage)
        return message


class DropConnection(Exception):
    """Raised by a fault hook: the server closes the connection without a reply.

    ``deliver`` (data stage only): record the message before dropping the line.
    """

    def __init__(self, deliver: bool = True) -> None:
        super().__init__("connection dropped by a scripted fault")
        self.deliver = deliver


class Fault(Protocol):
    def on_rcpt(self, address: str) -> str | None:
        """A reply line for this RCPT TO (``"550 5.1.1 ..."``) or None to pass."""
        ...

    def on_data(self, recipients: Sequence[str]) -> str | None:
        """A reply line for the end of DATA, or None to pass."""
        ...


@dataclass
class Reply:
    """Answer recipients matching ``pattern`` (fnmatch, case-insensitive) with ``reply``.

    ``stage`` is ``rcpt`` (refuse the recipient) or ``data`` (refuse after the content, as
    spam filters do). ``times`` limits how often it fires (then the address is accepted).
    """

    pattern: str
    reply: str
    stage: str = "rcpt"
    times: int | None = None
    fired: int = 0

    def _fire(self, address: str) -> str | None:
        if not fnmatch.fnmatch(address.lower(), self.pattern.lower()):
            return None
        if self.times is not None and self.fired >= self.times:
            return None
        self.fired += 1
        return self.reply

    def on_rcpt(self, address: str) -> str | None:
        return self._fire(address) if self.stage == "rcpt" else None

    def on_data(self, recipients: Sequence[str]) -> str | None:
        if self.stage != "data":
            return None
        for address in recipients:
            answer = self._fire(address)
            if answer is not None:
                return answer
        return None


@dataclass
class Drop:
    """Close the connection without replying (``stage`` rcpt or data).

    At the data stage the message is recorded first when ``deliver`` is True: the client
    cannot know it arrived, which is exactly the case the ledger calls ``unknown``.
    """

    pattern: str
    stage: str = "data"
    times: int | None = 1
    deliver: bool = True
    fired: int = 0

    def _matches(self, address: str) -> bool:
        if not fnmatch.fnmatch(address.lower(), self.pattern.lower()):
            return False
        return self.times is None or self.fired < self.times

    def on_rcpt(self, address: str) -> str | None:
        if self.stage == "rcpt" and self._matches(address):
            self.fired += 1
            raise DropConnection(deliver=False)
        return None

    def on_data(self, recipients: Sequence[str]) -> str | None:
        if self.stage == "data" and any(self._matches(a) for a in recipients):
            self.fired += 1
            raise DropConnection(deliver=self.deliver)
        return None


class _Handler:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        try:
            for fault in self.sink.faults:
                answer = fault.on_rcpt(address)
                if answer is not None:
                    return answer
        except DropConnection:
            _drop(server)
            return "421 4.4.2 closing"  # never reaches the client: the line is closed
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        recipients = list(envelope.rcpt_tos)
        try:
            for fault in self.sink.faults:
                answer = fault.on_data(recipients)
                if answer is not None:
                    return answer
        except DropConnection as drop:
            if drop.deliver:
                self.sink._record(envelope)
            _drop(server)
            return "421 4.4.2 closing"
        self.sink._record(envelope)
        return "250 2.0.0 OK: queued"


def _drop(server: SMTP) -> None:
    if server.transport is not None:
        server.transport.abort()


class Sink:
    """The server. Use ``async with`` inside a running loop, or :meth:`in_thread`."""

    def __init__(
        self,
        faults: Iterable[Fault] = (),
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        maildir: Path | None = None,
        tls: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
    ) -> None:
        """``tls`` (a server context) offers STARTTLS, or with ``implicit_tls`` wraps the
        whole connection (port 465 style)."""
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError("the sink listens on loopback only")
        self.faults: list[Fault] = list(faults)
        self.host = host
        self.port = port
        self.received: list[Received] = []
        self.maildir = mailbox.Maildir(maildir, create=True) if maildir else None
        self.tls = tls
        self.implicit_tls = implicit_tls
        self._server: asyncio.Server | None = None
        self._lock = threading.Lock()

    def _record(self, envelope: Envelope) -> None:
        content = envelope.content
        data = content if isinstance(content, bytes) else str(content).encode()
        item = Received(envelope.mail_from or "", list(envelope.rcpt_tos), data, time.time())
        with self._lock:
            self.received.append(item)
            if self.maildir is not None:
                self.maildir.add(data)

    def recipients(self) -> list[str]:
        with self._lock:
            return [address for item in self.received for address in item.rcpt_tos]

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        handler = _Handler(self)
        starttls = None if self.implicit_tls else self.tls
        self._server = await loop.create_server(
            lambda: SMTP(
                handler, hostname="sink.localhost", ident="preflight-sink", tls_context=starttls
            ),
            self.host,
            self.port,
            ssl=self.tls if self.implicit_tls else None,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Sink:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def in_thread(self) -> ThreadedSink:
        """Run in a thread with its own loop (for a sender in another loop or process)."""
        return ThreadedSink(self)


@dataclass
class ThreadedSink:
    sink: Sink
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _ready: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Sink:
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self.sink.start())
            self._ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="preflight-sink", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the sink did not start")
        return self.sink

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._thread is not None
        asyncio.run_coroutine_threadsafe(self.sink.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


__all__ = ["Drop", "DropConnection", "Fault", "Received", "Reply", "Sink", "ThreadedSink"]


def _parse_fault(text: str) -> Reply:
    """``PATTERN=REPLY`` or ``PATTERN=REPLY@data`` (refuse after the content)."""
    pattern, _, reply = text.partition("=")
    stage = "rcpt"
    if reply.endswith("@data"):
        reply, stage = reply[: -len("@data")], "data"
    if not pattern or len(reply) < 3 or not reply[:3].isdigit():
        raise ValueError(f"not PATTERN=CODE TEXT: {text!r}")
    return Reply(pattern, reply, stage=stage)


def main(argv: Sequence[str] | None = None) -> None:
    """Run a sink until SIGTERM/SIGINT: ``python -m preflight.sink --reply '*@x=550 5.1.1 no'``.

    Prints ``port NNNN`` once listening (for a parent process to read); with ``--maildir``
    every accepted message is also stored there, so another process can count them.
    """
    import argparse
    import signal

    parser = argparse.ArgumentParser(prog="python -m preflight.sink", description=main.__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--maildir", type=Path)
    parser.add_argument("--reply", action="append", default=[], help="PATTERN=REPLY[@data]")
    args = parser.parse_args(argv)
    sink = Sink([_parse_fault(f) for f in args.reply], port=args.port, maildir=args.maildir)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        async with sink:
            print(f"port {sink.port}", flush=True)
            await stop.wait()
        print(f"received {len(sink.received)}", flush=True)

    asyncio.run(serve())


if __name__ == "__main__":
    main()
