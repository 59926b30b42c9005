"""The world's resolver: an authoritative-for-everything DNS server (UDP + TCP).

Wire format by dnspython.  Per name (exact, or ``*.zone`` for anything below
zone) it answers A/AAAA, follows CNAMEs inside the world, or returns
NXDOMAIN/SERVFAIL/REFUSED, or stays silent (the client's resolver times out).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from .spec import Dns

SOA_TEXT = "ns-1.lab.invalid. hostmaster.lab.invalid. 1 7200 900 1209600 60"
_RCODES = {
    "NXDOMAIN": dns.rcode.NXDOMAIN,
    "SERVFAIL": dns.rcode.SERVFAIL,
    "REFUSED": dns.rcode.REFUSED,
}


def _apex(name: str) -> dns.name.Name:
    labels = name.split(".")
    return dns.name.from_text(".".join(labels[-2:]) if len(labels) >= 2 else name or ".")


def build_answer(zone: Dns, query: dns.message.Message) -> tuple[dns.message.Message | None, str]:
    """Answer ``query`` from ``zone``; ``None`` means stay silent.  Returns (answer, summary)."""
    response = dns.message.make_response(query)
    response.flags |= dns.flags.RA
    if len(query.question) != 1:
        response.set_rcode(dns.rcode.FORMERR)
        return response, "FORMERR"
    question = query.question[0]
    qtype = question.rdtype
    name = question.name.to_text(omit_final_dot=True).lower()
    owner = question.name
    for _hop in range(8):
        rule = zone.rule_for(name)
        kind = rule.kind if rule else zone.default
        if kind == "silent":
            return None, "silent"
        if kind in _RCODES:
            response.set_rcode(_RCODES[kind])
            if kind == "NXDOMAIN":
                response.authority.append(
                    dns.rrset.from_text(
                        _apex(name), zone.ttl, dns.rdataclass.IN, dns.rdatatype.SOA, SOA_TEXT
                    )
                )
            return response, kind
        assert rule is not None
        if rule.cname and qtype != dns.rdatatype.CNAME:
            target = rule.cname.lower().rstrip(".")
            response.answer.append(
                dns.rrset.from_text(
                    owner, zone.ttl, dns.rdataclass.IN, dns.rdatatype.CNAME, target + "."
                )
            )
            name = target
            owner = dns.name.from_text(target)
            continue
        if rule.cname:  # qtype CNAME
            response.answer.append(
                dns.rrset.from_text(
                    owner,
                    zone.ttl,
                    dns.rdataclass.IN,
                    dns.rdatatype.CNAME,
                    rule.cname.rstrip(".") + ".",
                )
            )
            break
        wanted: list[tuple[int, tuple[str, ...]]] = []
        if qtype in (dns.rdatatype.A, dns.rdatatype.ANY):
            wanted.append((dns.rdatatype.A, rule.a))
        if qtype in (dns.rdatatype.AAAA, dns.rdatatype.ANY):
            wanted.append((dns.rdatatype.AAAA, rule.aaaa))
        for rdtype, values in wanted:
            if values:
                response.answer.append(
                    dns.rrset.from_text_list(
                        owner, zone.ttl, dns.rdataclass.IN, rdtype, list(values)
                    )
                )
        break
    else:
        response.set_rcode(dns.rcode.SERVFAIL)  # CNAME loop
        return response, "SERVFAIL (CNAME loop)"
    answered = any(rrset.rdtype == qtype for rrset in response.answer) or (
        qtype == dns.rdatatype.ANY and bool(response.answer)
    )
    if not answered:
        response.authority.append(
            dns.rrset.from_text(
                _apex(name), zone.ttl, dns.rdataclass.IN, dns.rdatatype.SOA, SOA_TEXT
            )
        )
    count = sum(len(r) for r in response.answer)
    return response, f"NOERROR {count} answers"


def to_wire(response: dns.message.Message, query: dns.message.Message, udp: bool) -> bytes:
    limit = 65535
    if udp:
        limit = max(512, query.payload) if query.edns >= 0 else 512
    try:
        return response.to_wire(max_size=limit)
    except dns.exception.TooBig:
        response.answer.clear()
        response.authority.clear()
        response.flags |= dns.flags.TC
        return response.to_wire(max_size=limit)


class DnsServer:
    """UDP and TCP listeners on ``addresses``:``port``, one thread each."""

    def __init__(
        self, zone: Dns, addresses: tuple[str, ...], port: int, log: Callable[..., None]
    ) -> None:
        self.zone = zone
        self.addresses = addresses
        self.port = port
        self.log = log
        self._stop = threading.Event()
        self._socks: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()

    def _answer(self, wire: bytes, peer: str, udp: bool) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except Exception as exc:  # malformed: real resolvers ignore or FORMERR
            self.log("dns", "malformed", peer=peer, error=str(exc))
            return None
        response, summary = build_answer(self.zone, query)
        q = query.question[0] if query.question else None
        self.log(
            "dns",
            "query",
            peer=peer,
            transport="udp" if udp else "tcp",
            name=q.name.to_text() if q else "",
            type=dns.rdatatype.to_text(q.rdtype) if q else "",
            result=summary,
        )
        if response is None:
            return None
        return to_wire(response, query, udp)

    def start(self) -> None:
        for address in self.addresses:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            udp = socket.socket(family, socket.SOCK_DGRAM)
            udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            udp.bind((address, self.port))
            udp.settimeout(0.25)
            tcp = socket.socket(family, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            tcp.bind((address, self.port))
            tcp.listen(16)
            tcp.settimeout(0.25)
            self._socks += [udp, tcp]
            for target, sock in ((self._serve_udp, udp), (self._serve_tcp, tcp)):
                t = threading.Thread(
                    target=target, args=(sock,), name=f"dns-{address}", daemon=True
                )
                t.start()
                self._threads.append(t)

    def _serve_udp(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            out = self._answer(wire, peer[0], udp=True)
            if out is not None:
                with contextlib.suppress(OSError):
                    sock.sendto(out, peer)

    def _serve_tcp(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._conns.add(conn)
            threading.Thread(target=self._tcp_conn, args=(conn, peer[0]), daemon=True).start()

    def _tcp_conn(self, conn: socket.socket, peer: str) -> None:
        conn.settimeout(10)
        try:
            while not self._stop.is_set():
                head = _recv_exact(conn, 2)
                if head is None:
                    return
                (length,) = struct.unpack("!H", head)
                wire = _recv_exact(conn, length)
                if wire is None:
                    return
                out = self._answer(wire, peer, udp=False)
                if out is not None:
                    conn.sendall(struct.pack("!H", len(out)) + out)
        except OSError:
            return
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        for sock in self._socks:
            sock.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for t in self._threads:
            t.join(timeout=1)


def _recv_exact(conn: socket.socket, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf
