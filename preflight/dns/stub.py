"""A lean stub resolver: many concurrent queries over one UDP socket per nameserver.

dnspython's async resolver opens a socket for every query, which caps a list check at a few
hundred domains a second of CPU. Here queries share one connected socket and are matched to
answers by message ID; a truncated answer is asked again over TCP (dnspython's
``asyncquery.tcp``), a lost one is sent again once, and the next nameserver is tried when one
times out or fails. Messages are built and parsed by dnspython.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

from preflight.dns.answer import Answer


class _Socket(asyncio.DatagramProtocol):
    """One connected UDP socket; answers go to the waiting query with the same ID."""

    def __init__(self) -> None:
        self.waiting: dict[int, asyncio.Future[bytes]] = {}
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: object) -> None:
        if len(data) < 12:
            return
        future = self.waiting.pop(int.from_bytes(data[:2], "big"), None)
        if future is not None and not future.done():
            future.set_result(data)

    def error_received(self, exc: Exception) -> None:
        # An ICMP "port unreachable" arrives here: fail every waiting query at once rather
        # than let each run into its timeout.
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(exc)
        self.waiting.clear()

    def new_id(self) -> int:
        while True:
            ident = random.getrandbits(16)
            if ident not in self.waiting:
                return ident


class StubResolver:
    """Ask ``nameservers`` (in order, on ``port``) with an overall ``timeout`` per query."""

    def __init__(self, nameservers: Sequence[str], *, port: int = 53, timeout: float = 3.0) -> None:
        if not nameservers:
            raise ValueError("no nameservers")
        self.nameservers = list(nameservers)
        self.port = port
        self.timeout = timeout
        self._sockets: dict[str, _Socket] = {}
        self._opening: dict[str, asyncio.Future[_Socket]] = {}

    async def _socket(self, server: str) -> _Socket:
        known = self._sockets.get(server)
        if known is not None:
            return known
        opening = self._opening.get(server)
        if opening is None:
            opening = asyncio.ensure_future(self._open(server))
            self._opening[server] = opening
        return await opening

    async def _open(self, server: str) -> _Socket:
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_datagram_endpoint(_Socket, remote_addr=(server, self.port))
        self._sockets[server] = protocol
        return protocol

    def close(self) -> None:
        for sock in self._sockets.values():
            if sock.transport is not None:
                sock.transport.close()
        self._sockets.clear()
        self._opening.clear()

    async def query(self, name: str, rdtype: str) -> Answer:
        """One question; every outcome is an :class:`Answer`, never an exception."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        last = Answer(name, rdtype, "timeout", error="no nameserver answered")
        for server in self.nameservers:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            share = remaining / max(1, len(self.nameservers) - self.nameservers.index(server))
            last = await self._ask(server, name, rdtype, share)
            if last.status not in ("timeout", "servfail", "error"):
                return last
        return last

    async def _ask(self, server: str, name: str, rdtype: str, budget: float) -> Answer:
        try:
            question = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)
        except (dns.exception.DNSException, ValueError) as error:
            return Answer(name, rdtype, "error", error=str(error) or type(error).__name__)
        try:
            sock = await self._socket(server)
            wire = await self._exchange(sock, question, budget)
            reply = dns.message.from_wire(wire, ignore_trailing=True)
            if not question.is_response(reply):
                return Answer(name, rdtype, "error", error="an answer to another question")
            if reply.flags & dns.flags.TC:
                reply = await dns.asyncquery.tcp(question, server, timeout=budget, port=self.port)
        except TimeoutError:
            return Answer(name, rdtype, "timeout", error=f"{server} did not answer in time")
        except (dns.exception.DNSException, OSError, EOFError) as error:
            return Answer(name, rdtype, "error", error=str(error) or type(error).__name__)
        return _read(name, rdtype, reply)

    async def _exchange(self, sock: _Socket, question: dns.message.Message, budget: float) -> bytes:
        loop = asyncio.get_running_loop()
        # Send once, and once more halfway through the budget in case a datagram was lost.
        for attempt, wait in enumerate((budget / 2, budget / 2)):
            question.id = sock.new_id()
            future: asyncio.Future[bytes] = loop.create_future()
            sock.waiting[question.id] = future
            assert sock.transport is not None
            sock.transport.sendto(question.to_wire())
            try:
                return await asyncio.wait_for(future, wait)
            except TimeoutError:
                sock.waiting.pop(question.id, None)
                if attempt == 1:
                    raise
        raise TimeoutError  # pragma: no cover - the loop always returns or raises


def _read(name: str, rdtype: str, reply: dns.message.Message) -> Answer:
    code = reply.rcode()
    if code == dns.rcode.NXDOMAIN:
        return Answer(name, rdtype, "nxdomain")
    if code != dns.rcode.NOERROR:
        return Answer(name, rdtype, "servfail", error=dns.rcode.to_text(code))
    try:
        chain = reply.resolve_chaining()
    except dns.exception.DNSException as error:
        return Answer(name, rdtype, "error", error=str(error) or type(error).__name__)
    if chain.answer is None:
        return Answer(name, rdtype, "nodata")
    return Answer(name, rdtype, "ok", tuple(chain.answer))


__all__ = ["StubResolver"]
