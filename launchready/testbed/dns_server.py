"""An authoritative DNS server on loopback: real UDP and TCP, injectable delay and faults.

Records are Python data, ``{name: [(rdtype, text), ...]}``; any number of domains may be mixed
(pass one mapping or a list of them). ``text`` is presentation form (``10 mx.example.com``,
``0 issue "letsencrypt.org"``); for TXT it is the raw string value, split into 255-byte
character-strings on the wire, or a list of strings to publish several character-strings.

Names that are neither owners nor ancestors of owners (empty non-terminals) are NXDOMAIN; an
existing name without the asked type is NODATA. CNAMEs are chased inside the data. ``*.name``
owners act as wildcards.

Faults (per name, or per ``(name, rdtype)``): ``timeout`` never answers, ``servfail`` and
``refused`` set that rcode, ``truncate`` answers UDP with the TC bit and no records so the
client retries over TCP (TCP answers normally). Delays are served by a scheduler thread, so
a slow answer never holds up others: thousands of queries with 20 ms each run concurrently.

DNSSEC is simulated, not real: names under ``signed`` get the AD bit; there are no RRSIGs.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import selectors
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from types import TracebackType

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rrset

RecordText = str | Sequence[str]
Records = Mapping[str, Sequence[tuple[str, RecordText]]]

_MAX_CHASE = 8
_UDP_PLAIN_LIMIT = 512
_REPLY_CACHE_SIZE = 100_000
_UDP_BUFFER = 8 * 1024 * 1024  # bursts of thousands of queries must queue, not drop


class Fault(StrEnum):
    TIMEOUT = "timeout"
    SERVFAIL = "servfail"
    REFUSED = "refused"
    TRUNCATE = "truncate"


def _name(text: str) -> dns.name.Name:
    return dns.name.from_text(text.strip().rstrip(".").lower() + ".")


def _txt_chunks(value: RecordText) -> list[bytes]:
    if not isinstance(value, str):
        return [part.encode() for part in value]
    raw = value.encode()
    return [raw[i:i + 255] for i in range(0, len(raw), 255)] or [b""]


def _rdata(rdtype: dns.rdatatype.RdataType, value: RecordText) -> dns.rdata.Rdata:
    if rdtype == dns.rdatatype.TXT:
        return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, rdtype, _txt_chunks(value))
    if not isinstance(value, str):
        raise ValueError(f"{rdtype.name} record needs one presentation string, got {value!r}")
    return dns.rdata.from_text(dns.rdataclass.IN, rdtype, value, origin=dns.name.root,
                               relativize=False)


class _Scheduler:
    """Runs callables at a given monotonic time on one thread (delays without sleeping per query)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="dns-scheduler", daemon=True)
        self._thread.start()

    def call_at(self, when: float, fn: Callable[[], None]) -> None:
        with self._cond:
            heapq.heappush(self._heap, (when, next(self._seq), fn))
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
                if self._stopped:
                    return
                _, _, fn = heapq.heappop(self._heap)
            with contextlib.suppress(OSError):
                fn()


class DnsServer:
    """Context manager: ``with DnsServer(records) as dns: ... dns.nameserver``.

    Bind ``host``/``port`` explicitly (e.g. ``127.0.0.53``, ``53``) for tools that cannot
    take a port; the default is an ephemeral port on 127.0.0.1 shared by UDP and TCP.
    """

    def __init__(
        self,
        zones: Records | Sequence[Records] = (),
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        delay: float = 0.0,
        delays: Mapping[str, float] | None = None,
        faults: Mapping[str | tuple[str, str], Fault | str] | None = None,
        signed: Iterable[str] = (),
        ttl: int = 300,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.delay = delay
        """Seconds added to every answer (``delays`` overrides it per name)."""
        self.ttl = ttl
        self._lock = threading.Lock()
        self._data: dict[dns.name.Name, dict[int, dns.rdataset.Rdataset]] = {}
        self._existing: set[dns.name.Name] = set()
        self._delays = {_name(k): v for k, v in (delays or {}).items()}
        self._faults: dict[tuple[dns.name.Name, str], Fault] = {}
        self._signed = {_name(n) for n in signed}
        self._counts: Counter[tuple[str, str]] = Counter()
        self._replies: dict[tuple[bool, bytes],
                            tuple[bytes | None, tuple[str, str], dns.name.Name]] = {}
        for key, fault in (faults or {}).items():
            self.set_fault(key, Fault(fault))
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None
        self._selector: selectors.DefaultSelector | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._loop: threading.Thread | None = None
        self._scheduler: _Scheduler | None = None
        self._connections: set[socket.socket] = set()
        self._running = False
        self._port = 0
        mappings = [zones] if isinstance(zones, Mapping) else list(zones)
        for mapping in mappings:
            for owner, records in mapping.items():
                self.add_records(owner, records)

    # ------------------------------------------------------------------ data

    def add_records(self, owner: str, records: Sequence[tuple[str, RecordText]]) -> None:
        """Add records at ``owner`` (adding to any already there)."""
        name = _name(owner)
        with self._lock:
            node = self._data.setdefault(name, {})
            for rdtype_text, value in records:
                rdtype = dns.rdatatype.from_text(rdtype_text.upper())
                rdataset = node.get(rdtype)
                if rdataset is None:
                    rdataset = node[rdtype] = dns.rdataset.Rdataset(dns.rdataclass.IN, rdtype)
                    rdataset.update_ttl(self.ttl)
                rdataset.add(_rdata(rdtype, value))
            self._replies.clear()
            while True:
                self._existing.add(name)
                if name == dns.name.root:
                    break
                name = name.parent()

    def set_fault(self, key: str | tuple[str, str], fault: Fault | None) -> None:
        """Fault a name (all types) or one ``(name, rdtype)``; ``None`` clears it."""
        owner, rdtype = (key, "*") if isinstance(key, str) else key
        slot = (_name(owner), rdtype.upper())
        with self._lock:
            if fault is None:
                self._faults.pop(slot, None)
            else:
                self._faults[slot] = Fault(fault)
            self._replies.clear()

    def set_delay(self, owner: str, seconds: float) -> None:
        with self._lock:
            self._delays[_name(owner)] = seconds

    def count(self, name: str | None = None, rdtype: str | None = None) -> int:
        """Queries received so far, optionally for one name and/or type."""
        with self._lock:
            if name is None and rdtype is None:
                return sum(self._counts.values())
            want = None if name is None else name.rstrip(".").lower()
            return sum(n for (qname, qtype), n in self._counts.items()
                       if (want is None or qname == want) and (rdtype is None or qtype == rdtype.upper()))

    @property
    def queries(self) -> int:
        return self.count()

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()

    # ------------------------------------------------------------------ address

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("DnsServer is not started")
        return self._port

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def nameserver(self) -> str:
        """``IP:PORT`` (``[v6]:PORT`` for IPv6), the form ``--nameserver`` takes."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> DnsServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        if self._running:
            return
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._udp, self._tcp = self._bind_pair(family)
        self._port = int(self._udp.getsockname()[1])
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        for sock in (self._udp, self._tcp, self._wake_r):
            sock.setblocking(False)
            self._selector.register(sock, selectors.EVENT_READ)
        self._scheduler = _Scheduler()
        self._running = True
        self._loop = threading.Thread(target=self._serve, name=f"dns-{self.port}", daemon=True)
        self._loop.start()

    def _bind_pair(self, family: socket.AddressFamily) -> tuple[socket.socket, socket.socket]:
        last_error: OSError | None = None
        for _ in range(20):
            udp = socket.socket(family, socket.SOCK_DGRAM)
            tcp = socket.socket(family, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            with contextlib.suppress(OSError):  # the kernel clamps it to rmem_max/wmem_max
                udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _UDP_BUFFER)
                udp.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _UDP_BUFFER)
            try:
                udp.bind((self.host, self._requested_port))
                tcp.bind((self.host, udp.getsockname()[1]))
                tcp.listen(128)
                return udp, tcp
            except OSError as exc:  # TCP port taken by someone else: try another pair
                last_error = exc
                udp.close()
                tcp.close()
                if self._requested_port:
                    break
        raise OSError(f"cannot bind DNS server on {self.host}:{self._requested_port}: {last_error}")

    def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        assert self._wake_w is not None and self._loop is not None and self._scheduler is not None
        self._wake_w.send(b"x")
        self._loop.join(timeout=5)
        self._scheduler.stop()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for sock in (self._udp, self._tcp, self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        if self._selector is not None:
            self._selector.close()

    # ------------------------------------------------------------------ serving

    def _serve(self) -> None:
        assert self._selector is not None
        while self._running:
            for key, _ in self._selector.select(timeout=1.0):
                sock = key.fileobj
                if sock is self._wake_r:
                    return
                if sock is self._udp:
                    self._on_udp()
                elif sock is self._tcp:
                    self._on_accept()

    def _on_udp(self) -> None:
        assert self._udp is not None and self._scheduler is not None
        udp = self._udp
        for _ in range(64):  # drain what is queued, then go back to select
            try:
                wire, peer = udp.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            reply, delay = self._respond(wire, tcp=False)
            if reply is None:
                continue
            if delay > 0:
                self._scheduler.call_at(time.monotonic() + delay,
                                        functools.partial(_send_udp, udp, reply, peer))
            else:
                with contextlib.suppress(OSError):
                    udp.sendto(reply, peer)

    def _on_accept(self) -> None:
        assert self._tcp is not None
        try:
            conn, _ = self._tcp.accept()
        except (BlockingIOError, InterruptedError, OSError):
            return
        conn.setblocking(True)
        conn.settimeout(10)
        with self._lock:
            self._connections.add(conn)
        threading.Thread(target=self._serve_tcp, args=(conn,), daemon=True).start()

    def _serve_tcp(self, conn: socket.socket) -> None:
        """One thread per connection: a delay here only holds up this connection."""
        try:
            while self._running:
                header = _recv_exact(conn, 2)
                if header is None:
                    return
                wire = _recv_exact(conn, struct.unpack("!H", header)[0])
                if wire is None:
                    return
                reply, delay = self._respond(wire, tcp=True)
                if reply is None:
                    continue
                if delay > 0:
                    time.sleep(delay)
                conn.sendall(struct.pack("!H", len(reply)) + reply)
        except OSError:
            return
        finally:
            with self._lock:
                self._connections.discard(conn)
            conn.close()

    # ------------------------------------------------------------------ answering

    def _respond(self, wire: bytes, *, tcp: bool) -> tuple[bytes | None, float]:
        """Wire reply (``None`` = stay silent) and the delay before sending it.

        Replies are cached by the query bytes after the ID (flags, question, EDNS), so a
        benchmark's thousands of repeated questions cost a dict lookup, not a dnspython render.
        """
        key = (tcp, wire[2:])
        with self._lock:
            cached = self._replies.get(key)
            if cached is not None:
                reply, counted, qname = cached
                self._counts[counted] += 1
                delay = self._delays.get(qname, self.delay)
                return (None if reply is None else wire[:2] + reply[2:]), delay
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None, 0.0
        if len(query.question) != 1:
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.FORMERR)
            return response.to_wire(), 0.0
        question = query.question[0]
        qname = question.name.canonicalize()
        qtype = dns.rdatatype.RdataType(question.rdtype)
        counted = (qname.to_text(omit_final_dot=True), qtype.name)
        with self._lock:
            self._counts[counted] += 1
            delay = self._delays.get(qname, self.delay)
            reply = self._render(query, qname, qtype, tcp=tcp)
            if len(self._replies) > _REPLY_CACHE_SIZE:
                self._replies.clear()
            self._replies[key] = (reply, counted, qname)
        return reply, delay

    def _render(self, query: dns.message.Message, qname: dns.name.Name,
                qtype: dns.rdatatype.RdataType, *, tcp: bool) -> bytes | None:
        fault = self._faults.get((qname, qtype.name)) or self._faults.get((qname, "*"))
        if fault is Fault.TIMEOUT:
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if fault is Fault.SERVFAIL:
            response.set_rcode(dns.rcode.SERVFAIL)
        elif fault is Fault.REFUSED:
            response.set_rcode(dns.rcode.REFUSED)
        elif fault is Fault.TRUNCATE and not tcp:
            response.flags |= dns.flags.TC
        else:
            self._resolve(response, qname, qtype)
            if self._is_signed(qname):
                response.flags |= dns.flags.AD
        limit = 65535 if tcp else max(_UDP_PLAIN_LIMIT, query.payload if query.edns >= 0 else 0)
        try:
            wire: bytes = response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            response.answer.clear()
            response.authority.clear()
            response.additional.clear()
            response.flags |= dns.flags.TC
            wire = response.to_wire()
        return wire

    def _resolve(self, response: dns.message.Message, qname: dns.name.Name,
                 qtype: dns.rdatatype.RdataType) -> None:
        name = qname
        for _ in range(_MAX_CHASE):
            node = self._node(name)
            if node is None:
                response.set_rcode(dns.rcode.NXDOMAIN)
                break
            rdataset = node.get(qtype)
            if rdataset is not None:
                response.answer.append(_rrset(name, rdataset))
                return
            cname = node.get(dns.rdatatype.CNAME)
            if cname is None or qtype == dns.rdatatype.CNAME:
                break
            response.answer.append(_rrset(name, cname))
            name = next(iter(cname)).target.canonicalize()
        soa_owner, soa = self._enclosing_soa(name)
        if soa is not None and soa_owner is not None:
            response.authority.append(_rrset(soa_owner, soa))

    def _node(self, name: dns.name.Name) -> dict[int, dns.rdataset.Rdataset] | None:
        node = self._data.get(name)
        if node is not None:
            return node
        if name in self._existing:
            return {}
        encloser = name
        while encloser != dns.name.root:  # wildcard at the closest encloser (RFC 4592)
            encloser = encloser.parent()
            if encloser in self._existing:
                return self._data.get(dns.name.Name((b"*", *encloser.labels)))
        return None

    def _enclosing_soa(self, name: dns.name.Name
                       ) -> tuple[dns.name.Name | None, dns.rdataset.Rdataset | None]:
        while True:
            node = self._data.get(name)
            if node and dns.rdatatype.SOA in node:
                return name, node[dns.rdatatype.SOA]
            if name == dns.name.root:
                return None, None
            name = name.parent()

    def _is_signed(self, name: dns.name.Name) -> bool:
        return any(name.is_subdomain(zone) for zone in self._signed)


def _rrset(name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    rrset = dns.rrset.RRset(name, rdataset.rdclass, rdataset.rdtype)
    rrset.update_ttl(rdataset.ttl)
    for rdata in rdataset:
        rrset.add(rdata)
    return rrset


def _send_udp(sock: socket.socket, reply: bytes, peer: tuple[str, int]) -> None:
    sock.sendto(reply, peer)


def _recv_exact(conn: socket.socket, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = conn.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)
