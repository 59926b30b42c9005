"""DNS layer: the addresses the SDK would connect to, and why.

The SDK (urllib3) resolves with `socket.getaddrinfo`, which honours `/etc/hosts` and
nsswitch.conf; dnspython asks DNS only but tells NXDOMAIN from SERVFAIL from a timeout and
shows the CNAME chain. For the system resolver both run concurrently: the addresses probed
are getaddrinfo's, the detail dnspython's, and when the two disagree the answer says where
the SDK's addresses come from (`/etc/hosts`, another NSS source). With an explicit
nameserver only dnspython runs. The class of each answer: VPC-endpoint private / public /
other."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

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


@dataclass(frozen=True, slots=True)
class SystemAnswer:
    """What `socket.getaddrinfo` (the SDK's resolver) said: addresses in its order, or why not.
    error: "" (answered) | "noname" | "again" | "timeout" | "error"."""

    addresses: tuple[str, ...] = ()
    error: str = ""
    text: str = ""
    hosts_file: tuple[str, ...] = ()  # the host's addresses in the hosts file, if any
    canonical: str = ""  # getaddrinfo's canonical name (a search domain's expansion shows here)


# (host, timeout) -> what the system resolver says
Lookup = Callable[[str, float], SystemAnswer]

HOSTS_FILE = Path("/etc/hosts")

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


def hosts_file_addresses(host: str, path: Path = HOSTS_FILE) -> tuple[str, ...]:
    """The addresses `path` (hosts(5) format) gives `host`, in file order."""
    name = host.lower().rstrip(".")
    out: list[str] = []
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ()
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2 or name not in (f.lower().rstrip(".") for f in fields[1:]):
            continue
        try:
            addr = str(ipaddress.ip_address(fields[0].split("%", 1)[0]))
        except ValueError:
            continue
        if addr not in out:
            out.append(addr)
    return tuple(out)


def _gai_family() -> int:
    """The address family urllib3 asks getaddrinfo for (AF_UNSPEC when IPv6 works here)."""
    try:
        from urllib3.util.connection import allowed_gai_family

        return int(allowed_gai_family())
    except Exception:  # pragma: no cover - urllib3 always ships with botocore
        return int(socket.AF_UNSPEC)


def getaddrinfo_lookup(host: str, timeout: float, hosts_path: Path = HOSTS_FILE) -> SystemAnswer:
    """`socket.getaddrinfo` as urllib3 calls it, in a daemon thread bounded by `timeout`
    (getaddrinfo itself has no timeout)."""
    box: list[SystemAnswer] = []

    def run() -> None:
        try:
            infos = socket.getaddrinfo(
                host, 443, _gai_family(), socket.SOCK_STREAM, 0, socket.AI_CANONNAME
            )
        except socket.gaierror as e:
            codes = {socket.EAI_NONAME: "noname", socket.EAI_AGAIN: "again"}
            err = codes.get(e.errno or 0, "error")
            box.append(SystemAnswer(error=err, text=f"getaddrinfo: {e.strerror or e}"))
            return
        except (OSError, UnicodeError) as e:
            box.append(SystemAnswer(error="error", text=f"getaddrinfo: {type(e).__name__}: {e}"))
            return
        addrs: list[str] = []
        for info in infos:
            a = str(info[4][0]).split("%", 1)[0]
            if a not in addrs:
                addrs.append(a)
        canon = next((str(i[3]) for i in infos if i[3]), "").lower().rstrip(".")
        box.append(SystemAnswer(tuple(addrs), canonical=canon))

    t = threading.Thread(target=run, daemon=True, name="stsdiag-getaddrinfo")
    t.start()
    t.join(max(0.0, timeout))
    hosts = hosts_file_addresses(host, hosts_path)
    if not box:
        return SystemAnswer(error="timeout", text=f"getaddrinfo: no answer within {timeout:g} s",
                            hosts_file=hosts)  # fmt: skip
    return replace(box[0], hosts_file=hosts)


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
    lookup: Lookup | None = None,
    clock: Callable[[], float] = now,
) -> tuple[LayerResult, DnsAnswer]:
    """A then AAAA, both within `timeout`; with the system resolver and a `lookup`, the
    system's own answer (getaddrinfo) at the same time, which decides the addresses. A
    literal address needs no lookup."""
    try:
        ipaddress.ip_address(host)
        return ok(Layer.DNS, 0.0, "literal address", (("a", host),)), DnsAnswer((host,))
    except ValueError:
        pass
    start = clock()
    system: list[SystemAnswer] = []
    worker: threading.Thread | None = None
    if lookup is not None and nameserver is None:
        fn = lookup
        worker = threading.Thread(target=lambda: system.append(fn(host, timeout)), daemon=True,
                                  name="stsdiag-system-resolver")  # fmt: skip
        worker.start()
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
    if worker is not None:
        worker.join(max(0.0, timeout - (clock() - start)) + 0.1)
    sysans = system[0] if system else None
    if worker is not None and sysans is None:
        sysans = SystemAnswer(error="timeout", text=f"getaddrinfo: no answer within {timeout:g} s")
    ms = round((clock() - start) * 1000, 1)
    if cnames:
        data.append(("cname", " -> ".join(cnames)))
    if sysans is not None and sysans.addresses:
        data.append(("sdk_order", " ".join(sysans.addresses)))  # urllib3 connects in this order
    if sysans is not None and sysans.addresses and set(sysans.addresses) != set(found):
        return _from_system(host, ms, who, sysans, found, errors, data), DnsAnswer(
            sysans.addresses, tuple(cnames)
        )
    if found:
        if sysans is not None and sysans.error:
            data.append(("system", f"{sysans.text} (DNS answer used)"))
        if sysans is not None and sysans.error and sysans.error != "timeout":
            # DNS answers, but the resolver the SDK uses does not: the SDK cannot connect
            data += [("dns_error", "system"), ("dns_answer", " ".join(found))]
            return bad(
                Layer.DNS, Status.FAIL, ErrorKind.DNS,
                f"{host}: the system resolver fails ({sysans.text}), though DNS via {who} answers "
                f"{' '.join(found)}: the SDK resolves with getaddrinfo; check the `hosts:` line of "
                "/etc/nsswitch.conf",
                ms, tuple(data),
            ), DnsAnswer((), tuple(cnames))  # fmt: skip
        return ok(Layer.DNS, ms, f"{len(found)} address(es) via {who}", tuple(data)), DnsAnswer(
            tuple(found), tuple(cnames)
        )
    first = errors[0] if errors else DnsFailure("nodata", "no A or AAAA record")
    status = Status.TIMEOUT if first.kind == "timeout" else Status.FAIL
    data.append(("dns_error", first.kind))
    if sysans is not None and sysans.text:
        data.append(("system", sysans.text))
    return bad(
        Layer.DNS, status, ErrorKind.DNS, f"{host}: {first.text} ({who})", ms, tuple(data)
    ), DnsAnswer((), tuple(cnames))


def _from_system(
    host: str,
    ms: float,
    who: str,
    sysans: SystemAnswer,
    found: list[str],
    errors: list[DnsFailure],
    data: list[tuple[str, str]],
) -> LayerResult:
    """getaddrinfo answered other addresses than DNS: they are the SDK's; say where from."""
    mine = set(sysans.addresses)
    if found and mine < set(found):
        source = "DNS"  # the same answer, without the families this host cannot use
        detail = (f"{len(mine)} address(es) via {who}; getaddrinfo leaves out "
                  f"{' '.join(a for a in found if a not in mine)} (address family unused here)")  # fmt: skip
    else:
        name = host.lower().rstrip(".")
        if sysans.hosts_file and mine <= set(sysans.hosts_file):
            source = "/etc/hosts"
        elif sysans.canonical.startswith(name + "."):
            # ndots and a search domain: the name was tried relative first, and answered
            source = f"the search domain ({sysans.canonical}; resolv.conf search/ndots)"
        else:
            source = "another NSS source (see the hosts: line of /etc/nsswitch.conf)"
        dns_said = (
            " ".join(found) if found else (errors[0].text if errors else "no A or AAAA record")
        )
        detail = (f"{len(mine)} address(es) from {source} (getaddrinfo, as the SDK resolves); "
                  f"DNS via {who}: {dns_said}")  # fmt: skip
        data.append(("dns_answer", dns_said))
    data += [("source", source), ("system", " ".join(sysans.addresses))]
    return ok(Layer.DNS, ms, f"{host}: {detail}", tuple(data))


__all__ = [
    "DnsAnswer",
    "DnsFailure",
    "Lookup",
    "Resolve",
    "SystemAnswer",
    "classify",
    "dnspython_resolve",
    "getaddrinfo_lookup",
    "hosts_file_addresses",
    "ms_since",
    "probe",
]
