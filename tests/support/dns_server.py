"""A real DNS server on 127.0.0.1 serving fixture zones, for tests and benchmarks.

    zones = {
        "example.com": {"MX": ["10 mx.example.com."], "TXT": ["v=spf1 -all"]},
        "mx.example.com": {"A": ["192.0.2.1"]},
        "*.dnsbl.test": {"A": "127.255.255.254"},  # wildcard: any name below
    }
    with LoopbackDNS(zones) as server:
        os.environ["PREFLIGHT_NAMESERVER"] = server.address   # "127.0.0.1:PORT"

Values are in zone-file form (``"10 mx.example.com."``, ``"0 ."`` for a null MX); a TXT value
is the plain text, split into 255-byte strings as a real server does. A name that exists
without the asked type answers NOERROR with no records; an unknown name answers NXDOMAIN.
``drop`` names never get an answer (a timeout), ``servfail`` names answer SERVFAIL, and
``delay`` holds every UDP answer back that many seconds (a distant server's latency). UDP and
TCP on the same random port; answers too big for the client's UDP size are truncated so the
client retries over TCP. ``queries`` records every ``(name, type)`` asked.
"""

from __future__ import annotations

import heapq
import itertools
import selectors
import socket
import struct
import threading
import time
from collections.abc import Iterable, Mapping
from types import TracebackType

from dnslib import QTYPE, RCODE, RR, TXT, DNSRecord

ZoneValues = str | Iterable[str]
Zones = Mapping[str, Mapping[str, ZoneValues]]


def _name(name: str) -> str:
    return name.rstrip(".").lower()


def _records(name: str, rtype: str, values: ZoneValues) -> list[RR]:
    if isinstance(values, str):
        values = [values]
    records = []
    for value in values:
        if rtype == "TXT":
            raw = value.encode("utf-8")
            chunks = [raw[i : i + 255] for i in range(0, len(raw), 255)] or [b""]
            records.append(RR(name + ".", QTYPE.TXT, rdata=TXT(chunks), ttl=60))
        else:
            records.extend(RR.fromZone(f"{name}. 60 IN {rtype} {value}"))
    return records


class LoopbackDNS:
    """A DNS server for ``zones`` on 127.0.0.1 (random port) while the ``with`` block runs."""

    host = "127.0.0.1"

    def __init__(
        self,
        zones: Zones,
        *,
        drop: Iterable[str] = (),
        servfail: Iterable[str] = (),
        delay: float = 0.0,
    ) -> None:
        self._zones: dict[str, dict[str, list[RR]]] = {}
        for name, types in zones.items():
            owner = _name(name)
            self._zones[owner] = {
                rtype.upper(): _records(owner, rtype.upper(), values)
                for rtype, values in types.items()
            }
        self._parents = {
            ".".join(owner.split(".")[i:])
            for owner in self._zones
            for i in range(1, owner.count(".") + 1)
        }
        self._drop = {_name(n) for n in drop}
        self._servfail = {_name(n) for n in servfail}
        self.delay = delay
        self._sequence = itertools.count()
        self.most_held = 0  # the most delayed answers waiting at once: the client's concurrency
        self._due: list[tuple[float, int, bytes, tuple[str, int]]] = []
        self.queries: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def address(self) -> str:
        """``host:port``, the form ``PREFLIGHT_NAMESERVER`` takes."""
        return f"{self.host}:{self.port}"

    def query_count(self, name: str, rtype: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for asked, kind in self.queries
                if asked == _name(name) and (rtype is None or kind == rtype)
            )

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> LoopbackDNS:
        self._udp, self._tcp = self._bind_pair()
        self.port = self._udp.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="loopback-dns", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._udp.close()
        self._tcp.close()

    def _bind_pair(self) -> tuple[socket.socket, socket.socket]:
        # UDP and TCP must share one port (a truncated answer is retried over TCP there).
        for _ in range(50):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind((self.host, 0))
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind((self.host, udp.getsockname()[1]))
            except OSError:
                udp.close()
                tcp.close()
                continue
            tcp.listen(64)
            udp.setblocking(False)
            tcp.setblocking(False)
            return udp, tcp
        raise RuntimeError("no free port for both UDP and TCP on 127.0.0.1")

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._udp, selectors.EVENT_READ, "udp")
            selector.register(self._tcp, selectors.EVENT_READ, "tcp")
            while not self._stop.is_set():
                wait = 0.05
                if self._due:
                    wait = min(wait, max(0.0, self._due[0][0] - time.monotonic()))
                for key, _ in selector.select(timeout=wait):
                    if key.data == "udp":
                        self._serve_udp()
                    else:
                        self._serve_tcp()
                self._send_due()

    def _send_due(self) -> None:
        now = time.monotonic()
        while self._due and self._due[0][0] <= now:
            _, _, answer, peer = heapq.heappop(self._due)
            self._udp.sendto(answer, peer)

    def _serve_udp(self) -> None:
        while True:
            try:
                data, peer = self._udp.recvfrom(65535)
            except BlockingIOError:
                return
            answer = self._answer(data, udp=True)
            if answer is None:
                continue
            if self.delay:
                # Held back like a resolver's round trip to a distant server; a sequence
                # number keeps the heap from comparing packets.
                due = (time.monotonic() + self.delay, next(self._sequence), answer, peer)
                heapq.heappush(self._due, due)
                self.most_held = max(self.most_held, len(self._due))
            else:
                self._udp.sendto(answer, peer)

    def _serve_tcp(self) -> None:
        try:
            conn, _ = self._tcp.accept()
        except BlockingIOError:
            return
        with conn:
            conn.settimeout(2)
            try:
                while True:
                    head = _read_exact(conn, 2)
                    if head is None:
                        return
                    data = _read_exact(conn, struct.unpack("!H", head)[0])
                    if data is None:
                        return
                    answer = self._answer(data, udp=False)
                    if answer is None:
                        return
                    conn.sendall(struct.pack("!H", len(answer)) + answer)
            except OSError:
                return

    # -- answering -------------------------------------------------------------------------
    def _answer(self, data: bytes, *, udp: bool) -> bytes | None:
        try:
            request = DNSRecord.parse(data)
        except Exception:
            return None
        qname = _name(str(request.q.qname))
        qtype = QTYPE.get(request.q.qtype)
        with self._lock:
            self.queries.append((qname, qtype))
        if qname in self._drop:
            return None
        reply = request.reply()
        if qname in self._servfail:
            reply.header.rcode = RCODE.SERVFAIL
            return reply.pack()
        self._fill(reply, qname, qtype)
        packed = reply.pack()
        if udp:
            limit = 512
            for extra in request.ar:
                if extra.rtype == QTYPE.OPT:
                    limit = max(512, extra.rclass)
            if len(packed) > limit:
                # An empty answer with TC set and the question kept (dnslib's truncate() drops
                # the question, which resolvers reject as an answer to something else).
                cut = request.reply()
                cut.header.tc = 1
                packed = cut.pack()
        return packed

    def _lookup(self, qname: str) -> dict[str, list[RR]] | None:
        if qname in self._zones:
            return self._zones[qname]
        labels = qname.split(".")
        for start in range(1, len(labels)):
            wildcard = "*." + ".".join(labels[start:])
            if wildcard in self._zones:
                return {
                    rtype: [RR(qname + ".", rr.rtype, rdata=rr.rdata, ttl=rr.ttl) for rr in records]
                    for rtype, records in self._zones[wildcard].items()
                }
        return None

    def _fill(self, reply: DNSRecord, qname: str, qtype: str) -> None:
        for _ in range(8):  # follow CNAME chains inside the fixture, as a recursive server does
            records = self._lookup(qname)
            if records is None:
                if qname not in self._parents:
                    reply.header.rcode = RCODE.NXDOMAIN
                return
            if qtype in records:
                for rr in records[qtype]:
                    reply.add_answer(rr)
                return
            if "CNAME" not in records:
                return
            alias = records["CNAME"][0]
            reply.add_answer(alias)
            qname = _name(str(alias.rdata.label))


def _read_exact(conn: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


__all__ = ["LoopbackDNS", "Zones"]
