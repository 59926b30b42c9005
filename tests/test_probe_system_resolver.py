"""The DNS layer resolves as the SDK does: getaddrinfo (which reads /etc/hosts and
nsswitch.conf) decides the addresses, dnspython adds the detail. Fake resolvers and a
temporary hosts file; the real getaddrinfo only for `localhost` (the host's own hosts file)."""

from __future__ import annotations

import time
from pathlib import Path

from stsdiag.models import Status
from stsdiag.probes import dns
from tests.probe_support import STS_HOST, FakeResolver

NX = dns.DnsFailure("nxdomain", "NXDOMAIN (no such name)")


def sys_answer(*addresses: str, hosts: tuple[str, ...] = (), error: str = "") -> dns.Lookup:
    def lookup(host: str, timeout: float) -> dns.SystemAnswer:
        return dns.SystemAnswer(addresses, error, f"getaddrinfo: {error}" if error else "", hosts)

    return lookup


def test_name_only_in_the_hosts_file_resolves_and_says_so() -> None:
    """Old code: NXDOMAIN, the endpoint failed (no lookup parameter, no system resolver)."""
    r = FakeResolver({(STS_HOST, "A"): NX})
    res, ans = dns.probe(STS_HOST, timeout=1.0, resolve=r,
                         lookup=sys_answer("10.0.1.30", "10.0.2.30", hosts=("10.0.1.30", "10.0.2.30")))  # fmt: skip
    assert res.status is Status.OK
    assert ans.addresses == ("10.0.1.30", "10.0.2.30")
    assert res.get("source") == "/etc/hosts" and "from /etc/hosts" in res.detail
    assert res.get("dns_answer") == "NXDOMAIN (no such name)"


def test_hosts_file_that_differs_from_dns_wins() -> None:
    r = FakeResolver({(STS_HOST, "A"): dns.DnsAnswer(("10.0.1.40", "10.0.2.40"))})
    res, ans = dns.probe(
        STS_HOST, timeout=1.0, resolve=r, lookup=sys_answer("10.0.1.99", hosts=("10.0.1.99",))
    )
    assert res.status is Status.OK and ans.addresses == ("10.0.1.99",)
    assert res.get("dns_answer") == "10.0.1.40 10.0.2.40" and res.get("source") == "/etc/hosts"


def test_other_nss_source_is_named_as_such() -> None:
    r = FakeResolver({(STS_HOST, "A"): dns.DnsAnswer(("198.51.100.1",))})
    res, ans = dns.probe(STS_HOST, timeout=1.0, resolve=r, lookup=sys_answer("10.9.9.9"))
    assert ans.addresses == ("10.9.9.9",) and "nsswitch" in (res.get("source") or "")


def test_agreeing_answers_keep_the_dns_view() -> None:
    r = FakeResolver({(STS_HOST, "A"): dns.DnsAnswer(("10.0.1.10", "10.0.2.10"))})
    res, ans = dns.probe(
        STS_HOST, timeout=1.0, resolve=r, lookup=sys_answer("10.0.2.10", "10.0.1.10")
    )
    assert res.status is Status.OK and ans.addresses == ("10.0.1.10", "10.0.2.10")
    assert res.get("source") is None


def test_a_family_the_host_cannot_use_is_left_out_as_getaddrinfo_does() -> None:
    r = FakeResolver({(STS_HOST, "A"): dns.DnsAnswer(("10.0.1.10",)),
                      (STS_HOST, "AAAA"): dns.DnsAnswer(("fd00::10",))})  # fmt: skip
    res, ans = dns.probe(STS_HOST, timeout=1.0, resolve=r, lookup=sys_answer("10.0.1.10"))
    assert ans.addresses == ("10.0.1.10",) and res.get("source") == "DNS"


def test_dns_answers_but_the_system_resolver_does_not_fails() -> None:
    """nsswitch.conf without dns: the SDK cannot resolve what dnspython can."""
    r = FakeResolver({(STS_HOST, "A"): dns.DnsAnswer(("10.0.1.10",))})
    res, ans = dns.probe(STS_HOST, timeout=1.0, resolve=r, lookup=sys_answer(error="noname"))
    assert res.status is Status.FAIL and ans.addresses == ()
    assert res.get("dns_error") == "system" and "nsswitch.conf" in res.detail


def test_a_slow_system_resolver_does_not_hide_the_dns_answer() -> None:
    r = FakeResolver({(STS_HOST, "A"): dns.DnsAnswer(("10.0.1.10",))})
    res, ans = dns.probe(STS_HOST, timeout=1.0, resolve=r, lookup=sys_answer(error="timeout"))
    assert res.status is Status.OK and ans.addresses == ("10.0.1.10",)


def test_a_hanging_getaddrinfo_is_bounded_by_the_timeout() -> None:
    def hang(host: str, timeout: float) -> dns.SystemAnswer:
        time.sleep(5)
        return dns.SystemAnswer(("10.0.0.1",))

    r = FakeResolver({(STS_HOST, "A"): NX})
    t = time.monotonic()
    res, _ = dns.probe(STS_HOST, timeout=0.3, resolve=r, lookup=hang)
    assert time.monotonic() - t < 1.0
    assert res.status is Status.FAIL and "NXDOMAIN" in res.detail


def test_hosts_file_parsing(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text(
        "127.0.0.1 localhost\n# 10.9.9.9 sts.eu-central-1.amazonaws.com\n"
        "10.0.1.30\tsts.eu-central-1.amazonaws.com   sts  # pinned\n"
        "fd00::30 STS.eu-central-1.amazonaws.com.\nnot-an-ip sts.eu-central-1.amazonaws.com\n"
    )
    got = dns.hosts_file_addresses("sts.eu-central-1.amazonaws.com", hosts)
    assert got == ("10.0.1.30", "fd00::30")
    assert dns.hosts_file_addresses("sts.amazonaws.com", hosts) == ()
    assert dns.hosts_file_addresses("x", tmp_path / "missing") == ()


def test_getaddrinfo_lookup_reads_the_system_resolver(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n")
    got = dns.getaddrinfo_lookup("localhost", 2.0, hosts)
    assert not got.error and ("127.0.0.1" in got.addresses or "::1" in got.addresses)
    assert got.hosts_file == ("127.0.0.1",)


def test_a_search_domain_answer_is_named_as_such() -> None:
    """ndots:5 + search corp.example + a wildcard: getaddrinfo's canonical name shows the
    expansion (old code: DNS's absolute answer was probed, and looked healthy)."""
    host = "sts.ap-northeast-1.amazonaws.com"

    def lookup(h: str, timeout: float) -> dns.SystemAnswer:
        return dns.SystemAnswer(("10.0.9.9",), canonical=f"{host}.corp.example")

    r = FakeResolver({(host, "A"): dns.DnsAnswer(("10.0.1.10", "10.0.2.10"))})
    res, ans = dns.probe(host, timeout=1.0, resolve=r, lookup=lookup)
    assert ans.addresses == ("10.0.9.9",)
    assert (res.get("source") or "").startswith(
        "the search domain (sts.ap-northeast-1.amazonaws.com.corp.example"
    )
