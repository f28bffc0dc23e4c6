"""A local SMTP server (aiosmtpd) with scripted replies: the demo's and the tests' far end.

It listens on loopback only, answers each recipient according to a list of *faults* (the
first that answers wins, otherwise 250), and records every message it accepts. A fault is
any object with ``on_rcpt`` and ``on_data`` hooks (see :class:`Fault`), and optionally
``on_connect`` and ``on_data_command``, so each kind of trouble is one small class:
:class:`Reply` (any scripted answer: 452, 552, 550, ...), :class:`Greylist`, :class:`Drop`
(the line dies after RCPT or during DATA), :class:`Stall` (no answer at all: timeouts),
:class:`RefuseConnection` (closed at once, or greeted with 421). ``auth`` offers AUTH and
answers 535 to a wrong password; ``tls`` offers STARTTLS (a context without a certificate
makes every handshake fail)::

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

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


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


class Silence(Exception):
    """Raised by a fault hook: the server says nothing for ``seconds`` (the client times out)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no answer for {seconds:g} s")
        self.seconds = seconds


class Fault(Protocol):
    def on_rcpt(self, address: str) -> str | None:
        """A reply line for this RCPT TO (``"550 5.1.1 ..."``) or None to pass."""
        ...

    def on_data(self, recipients: Sequence[str]) -> str | None:
        """A reply line for the end of DATA, or None to pass."""
        ...


# Optional hooks, looked up with getattr so a fault needs only the ones it uses:
#   on_connect() -> str | None: a reply line to greet with before closing ("" closes
#       without a word), or None to pass;
#   on_data_command(recipients) -> str | None: a reply to the DATA command itself (before
#       "354"), or None to pass.
# Any hook may raise DropConnection or Silence.


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
    """Close the connection without replying (``stage`` rcpt, data-command or data).

    ``data-command`` drops the line when the DATA command arrives, after the recipients were
    accepted and before any content: nothing can have been delivered. At the data stage the
    message is recorded first when ``deliver`` is True: the client cannot know it arrived,
    which is exactly the case the ledger calls ``unknown``.
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

    def on_data_command(self, recipients: Sequence[str]) -> str | None:
        if self.stage == "data-command" and any(self._matches(a) for a in recipients):
            self.fired += 1
            raise DropConnection(deliver=False)
        return None

    def on_data(self, recipients: Sequence[str]) -> str | None:
        if self.stage == "data" and any(self._matches(a) for a in recipients):
            self.fired += 1
            raise DropConnection(deliver=self.deliver)
        return None


@dataclass
class Greylist:
    """Refuse each matching address ``tries`` times with a temporary reply, then accept it
    (what greylisting servers do to senders that never come back)."""

    pattern: str = "*"
    reply: str = "451 4.7.1 Greylisted, please try again later"
    tries: int = 1
    seen: dict[str, int] = field(default_factory=dict)

    def on_rcpt(self, address: str) -> str | None:
        key = address.lower()
        if not fnmatch.fnmatch(key, self.pattern.lower()) or self.seen.get(key, 0) >= self.tries:
            return None
        self.seen[key] = self.seen.get(key, 0) + 1
        return self.reply

    def on_data(self, recipients: Sequence[str]) -> str | None:
        return None


@dataclass
class Stall:
    """Say nothing for ``seconds`` at ``stage``: ``connect`` (no greeting), ``rcpt``,
    ``data-command`` (no 354) or ``data`` (the content was received, no final reply; the
    message is recorded first when ``deliver``). The client's timeout decides the rest."""

    stage: str = "data"
    pattern: str = "*"
    times: int | None = 1
    seconds: float = 3600.0
    deliver: bool = True
    fired: int = 0

    def _fire(self, stage: str, addresses: Sequence[str]) -> None:
        if stage != self.stage or (self.times is not None and self.fired >= self.times):
            return
        if stage == "connect" or any(
            fnmatch.fnmatch(a.lower(), self.pattern.lower()) for a in addresses
        ):
            self.fired += 1
            if stage == "data" and self.deliver:
                raise _SilenceAfterDelivery(self.seconds)
            raise Silence(self.seconds)

    def on_connect(self) -> str | None:
        self._fire("connect", ())
        return None

    def on_rcpt(self, address: str) -> str | None:
        self._fire("rcpt", (address,))
        return None

    def on_data_command(self, recipients: Sequence[str]) -> str | None:
        self._fire("data-command", recipients)
        return None

    def on_data(self, recipients: Sequence[str]) -> str | None:
        self._fire("data", recipients)
        return None


class _SilenceAfterDelivery(Silence):
    """Silence at the end of DATA after the message was recorded."""


@dataclass
class RefuseConnection:
    """Refuse new connections: close at once (``greeting`` None) or greet with a reply
    line such as ``421 4.3.2 Service not available`` and close. ``times`` limits how many."""

    greeting: str | None = None
    times: int | None = None
    fired: int = 0

    def on_connect(self) -> str | None:
        if self.times is not None and self.fired >= self.times:
            return None
        self.fired += 1
        return self.greeting or ""

    def on_rcpt(self, address: str) -> str | None:
        return None

    def on_data(self, recipients: Sequence[str]) -> str | None:
        return None


class _Handler:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        try:
            answer = _first_answer(self.sink.faults, "on_rcpt", address)
            if answer is not None:
                return answer
        except DropConnection:
            _drop(server)
            return "421 4.4.2 closing"  # never reaches the client: the line is closed
        except Silence as silence:
            await asyncio.sleep(silence.seconds)
            _drop(server)
            return "421 4.4.2 closing"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        recipients = list(envelope.rcpt_tos)
        try:
            answer = _first_answer(self.sink.faults, "on_data", recipients)
            if answer is not None:
                return answer
        except DropConnection as drop:
            if drop.deliver:
                self.sink._record(envelope)
            _drop(server)
            return "421 4.4.2 closing"
        except Silence as silence:
            if isinstance(silence, _SilenceAfterDelivery):
                self.sink._record(envelope)
            await asyncio.sleep(silence.seconds)
            _drop(server)
            return "421 4.4.2 closing"
        self.sink._record(envelope)
        if self.sink.reply_delay:
            # The window in which the message is stored but the client does not know yet.
            await asyncio.sleep(self.sink.reply_delay)
        return "250 2.0.0 OK: queued"


def _first_answer(faults: Iterable[Fault], hook: str, *args: Any) -> str | None:
    """The first fault's answer from ``hook``; a fault without that optional hook passes.
    DropConnection and Silence raised by a hook reach the caller, which knows the stage."""
    for fault in faults:
        method = getattr(fault, hook, None)
        answer = method(*args) if method is not None else None
        if answer is not None:
            return answer
    return None


def _drop(server: SMTP) -> None:
    if server.transport is not None:
        server.transport.abort()


class _SinkSMTP(SMTP):
    """aiosmtpd's server with one more place for faults: the DATA command itself."""

    def __init__(self, sink: Sink, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sink = sink

    async def smtp_DATA(self, arg: str) -> None:
        envelope = self.envelope
        recipients = list(envelope.rcpt_tos) if envelope is not None else []
        if recipients:
            try:
                answer = _first_answer(self.sink.faults, "on_data_command", recipients)
                if answer is not None:
                    await self.push(answer)
                    return
            except DropConnection:
                _drop(self)
                return
            except Silence as silence:
                await asyncio.sleep(silence.seconds)
                _drop(self)
                return
        await super().smtp_DATA(arg)

    async def smtp_STARTTLS(self, arg: str) -> None:
        if not self.sink.broken_tls:
            await super().smtp_STARTTLS(arg)
            return
        # Agree, then answer the client's handshake with text: its TLS layer must fail.
        await self.push("220 2.0.0 Ready to start TLS")
        if self.transport is not None:
            self.transport.write(b"220 this is not a TLS handshake\r\n" * 4)


class _Refusal(asyncio.Protocol):
    """A connection refused by a fault: greet with ``line`` (if any) and close, or say
    nothing for ``silence`` seconds."""

    def __init__(self, line: str | None, silence: float | None) -> None:
        self.line = line
        self.silence = silence
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        if self.silence is not None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self.silence, transport.abort)
            return
        if self.line:
            transport.write(self.line.encode() + b"\r\n")
            transport.close()  # after the greeting is flushed
        else:
            transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()


class _Authenticator:
    """Accept exactly one username and password; remember who tried (never the password)."""

    def __init__(self, sink: Sink, username: str, password: str) -> None:
        self.sink = sink
        self.username = username.encode()
        self.password = password.encode()

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == self.username
            and data.password == self.password
        )
        login = data.login.decode(errors="replace") if isinstance(data, LoginPassword) else ""
        self.sink.logins.append((login, ok))
        if ok:
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


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
        auth: tuple[str, str] | None = None,
        reply_delay: float = 0.0,
        broken_tls: bool = False,
    ) -> None:
        """``tls`` (a server context) offers STARTTLS, or with ``implicit_tls`` wraps the
        whole connection (port 465 style). ``auth`` (username, password) offers AUTH PLAIN
        and LOGIN, over plain connections too, and answers 535 to anything else.
        ``reply_delay`` waits that long between storing a message and saying 250.
        ``broken_tls`` offers STARTTLS (or, with ``implicit_tls``, listens as a TLS port) but
        answers the handshake with plain text, so the client's handshake fails."""
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError("the sink listens on loopback only")
        self.faults: list[Fault] = list(faults)
        self.host = host
        self.port = port
        self.received: list[Received] = []
        self.maildir = mailbox.Maildir(maildir, create=True) if maildir else None
        self.tls = tls
        self.implicit_tls = implicit_tls
        self.auth = auth
        self.reply_delay = reply_delay
        self.broken_tls = broken_tls
        self.logins: list[tuple[str, bool]] = []  # (username, accepted)
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._lock = threading.Lock()

    def _record(self, envelope: Envelope) -> None:
        content = envelope.content
        data = content if isinstance(content, bytes) else str(content).encode()
        item = Received(envelope.mail_from or "", list(envelope.rcpt_tos), data, time.time())
        with self._lock:
            self.received.append(item)
            if self.maildir is not None:
                # The envelope recipients, as a local delivery agent would write them.
                stamp = b"".join(b"Delivered-To: %s\r\n" % r.encode() for r in item.rcpt_tos)
                self.maildir.add(stamp + data)

    def recipients(self) -> list[str]:
        with self._lock:
            return [address for item in self.received for address in item.rcpt_tos]

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        handler = _Handler(self)
        starttls = None if self.implicit_tls else self.tls
        if self.broken_tls and not self.implicit_tls:
            starttls = starttls or broken_tls_context()  # only to offer STARTTLS
        listen_tls = self.tls if self.implicit_tls and not self.broken_tls else None
        authenticator = _Authenticator(self, *self.auth) if self.auth else None

        def connection() -> asyncio.BaseProtocol:
            self.connections += 1
            try:
                line = _first_answer(self.faults, "on_connect")
                if line is not None:
                    return _Refusal(line, None)
            except DropConnection:
                return _Refusal(None, None)
            except Silence as silence:
                return _Refusal(None, silence.seconds)
            return _SinkSMTP(
                self,
                handler,
                hostname="sink.localhost",
                ident="preflight-sink",
                tls_context=starttls,
                authenticator=authenticator,
                auth_require_tls=False,
            )

        self._server = await loop.create_server(connection, self.host, self.port, ssl=listen_tls)
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


__all__ = [
    "Drop",
    "DropConnection",
    "Fault",
    "Greylist",
    "Received",
    "RefuseConnection",
    "Reply",
    "Silence",
    "Sink",
    "Stall",
    "ThreadedSink",
    "broken_tls_context",
]


def broken_tls_context() -> ssl.SSLContext:
    """A server context with no certificate: the server aborts every handshake (the client
    sees the connection reset, as from a broken middlebox)."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)


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

    # The docstring's reST literals (``x``) read as plain quotes-free text in --help.
    description = (main.__doc__ or "").replace("``", "")
    parser = argparse.ArgumentParser(prog="python -m preflight.sink", description=description)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--maildir", type=Path)
    parser.add_argument("--reply", action="append", default=[], help="PATTERN=REPLY[@data]")
    parser.add_argument(
        "--reply-delay",
        type=float,
        default=0.0,
        help="seconds between storing a message and answering 250 (widens the window a "
        "crash test aims at)",
    )
    args = parser.parse_args(argv)
    try:
        faults = [_parse_fault(f) for f in args.reply]
    except ValueError as error:
        parser.error(str(error))  # one line and exit 2, not a traceback
    sink = Sink(
        faults,
        port=args.port,
        maildir=args.maildir,
        reply_delay=args.reply_delay,
    )

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
