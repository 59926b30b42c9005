"""DNS layer: A and AAAA with dnspython through the system resolver or a given nameserver,
the CNAME chain, and the class of each answer (VPC-endpoint private / public / other)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from stsdiag.models import AddressClass, ErrorKind, Layer, LayerResult, Status
from stsdiag.probes import bad, ms_since, now, ok


class DnsFailure(Exception):
    """kind: nxdomain | servfail | timeout | error"""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(text)
        self.kind = kind
        self.text = text


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    addresses: tuple[str, ...] = ()
    cnames: tuple[str, ...] = ()


# (host, "A" | "AAAA", nameserver "ADDR" / "ADDR:PORT" / None for the system, timeout) -> answer
Resolve = Callable[[str, str, str | None, float], DnsAnswer]

_SHARED = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598
_RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_ULA = ipaddress.ip_network("fc00::/7")


def split_nameserver(ns: str) -> tuple[str, int]:
    """`ADDR`, `ADDR:PORT` or `[V6]:PORT` → (address, port); ValueError if not an address."""
    text = ns.strip()
    port = 53
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest.startswith(":"):
            port = int(rest[1:])
    elif text.count(":") == 1:
        host, _, p = text.partition(":")
        port = int(p)
    else:
        host = text
    ipaddress.ip_address(host)
    if not 0 < port < 65536:
        raise ValueError(f"bad port {port}")
    return host, port


def dnspython_resolve(host: str, rdtype: str, nameserver: str | None, timeout: float) -> DnsAnswer:
    import dns.exception
    import dns.rdatatype
    import dns.resolver

    try:
        if nameserver is None:
            r = dns.resolver.Resolver(configure=True)
        else:
            r = dns.resolver.Resolver(configure=False)
            addr, port = split_nameserver(nameserver)
            r.nameservers = [addr]
            r.port = port
    except dns.resolver.NoResolverConfiguration as e:
        raise DnsFailure("error", f"no resolver configured: {e}") from None
    r.timeout = timeout
    r.lifetime = timeout
    try:
        ans = r.resolve(host, rdtype, search=False, raise_on_no_answer=False)
    except dns.resolver.NXDOMAIN:
        raise DnsFailure("nxdomain", "NXDOMAIN (no such name)") from None
    except dns.resolver.NoNameservers as e:
        raise DnsFailure("servfail", f"SERVFAIL/REFUSED from every nameserver: {e}") from None
    except dns.exception.Timeout:
        raise DnsFailure("timeout", f"timeout: no answer within {timeout:g} s") from None
    except dns.exception.DNSException as e:
        raise DnsFailure("error", f"{type(e).__name__}: {e}") from None
    cnames: list[str] = []
    chain = getattr(ans, "chaining_result", None)
    for rrset in getattr(chain, "cnames", []) or []:
        for rd in rrset:
            cnames.append(str(rd.target).rstrip("."))
    found = {
        rd.address for rd in (ans.rrset or []) if rd.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA)
    }
    addresses = tuple(sorted(found, key=ipaddress.ip_address))  # an RRset has no order: be stable
    return DnsAnswer(addresses, tuple(cnames))


def classify(address: str, vpc_cidrs: tuple[str, ...] = ()) -> AddressClass:
    """Private (VPC CIDRs from IMDS, else RFC 1918 / RFC 6598 / ULA), public, or other
    (loopback, link-local, multicast…). Documentation ranges count as public: they are not
    private, and `ipaddress.is_private` would wrongly say so."""
    ip = ipaddress.ip_address(address)
    for c in vpc_cidrs:
        net = ipaddress.ip_network(c, strict=False)
        if net.version == ip.version and ip in net:
            return AddressClass.VPC_PRIVATE
    if ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return AddressClass.OTHER
    if ip.version == 4 and (ip in _SHARED or any(ip in n for n in _RFC1918)):
        return AddressClass.VPC_PRIVATE
    if ip.version == 6 and ip in _ULA:
        return AddressClass.VPC_PRIVATE
    return AddressClass.PUBLIC


def probe(
    host: str,
    *,
    timeout: float,
    nameserver: str | None = None,
    resolve: Resolve = dnspython_resolve,
    clock: Callable[[], float] = now,
) -> tuple[LayerResult, DnsAnswer]:
    """A then AAAA, both within `timeout`. A literal address needs no lookup."""
    try:
        ipaddress.ip_address(host)
        return ok(Layer.DNS, 0.0, "literal address", (("a", host),)), DnsAnswer((host,))
    except ValueError:
        pass
    start = clock()
    who = nameserver or "system resolver"
    found: list[str] = []
    cnames: list[str] = []
    errors: list[DnsFailure] = []
    data: list[tuple[str, str]] = [("resolver", who)]
    for rdtype in ("A", "AAAA"):
        left = timeout - (clock() - start)
        if left <= 0.01:
            errors.append(DnsFailure("timeout", f"timeout: no time left for {rdtype}"))
            break
        try:
            ans = resolve(host, rdtype, nameserver, left)
        except DnsFailure as e:
            errors.append(e)
            if e.kind == "nxdomain":
                break
            continue
        found += [a for a in ans.addresses if a not in found]
        cnames += [c for c in ans.cnames if c not in cnames]
        if ans.addresses:
            data.append((rdtype.lower(), " ".join(ans.addresses)))
    ms = round((clock() - start) * 1000, 1)
    if cnames:
        data.append(("cname", " -> ".join(cnames)))
    if found:
        return ok(Layer.DNS, ms, f"{len(found)} address(es) via {who}", tuple(data)), DnsAnswer(
            tuple(found), tuple(cnames)
        )
    first = errors[0] if errors else DnsFailure("nodata", "no A or AAAA record")
    status = Status.TIMEOUT if first.kind == "timeout" else Status.FAIL
    data.append(("dns_error", first.kind))
    return bad(
        Layer.DNS, status, ErrorKind.DNS, f"{host}: {first.text} ({who})", ms, tuple(data)
    ), DnsAnswer((), tuple(cnames))


__all__ = [
    "DnsAnswer",
    "DnsFailure",
    "Resolve",
    "classify",
    "dnspython_resolve",
    "ms_since",
    "probe",
]
