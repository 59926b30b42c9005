"""Each probe layer against controlled inputs: a fake resolver and a loopback DNS server,
loopback TCP listeners, loopback TLS servers with their own CAs, HTTP answers from a
loopback server and from `responses`. Nothing leaves 127.0.0.0/8."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from stsdiag.models import AddressClass, ErrorKind, Layer, Status
from stsdiag.probes import dns, https, tcp, tls
from tests.probe_support import STS_HOST, Ca, FakeResolver, Mute, Server, Silent, free_port, make_ca


def test_dns_collects_a_aaaa_and_cname_chain() -> None:
    r = FakeResolver({
        (STS_HOST, "A"): dns.DnsAnswer(("10.0.1.10", "10.0.2.10"), ("vpce-1.sts.ap-northeast-1.vpce.amazonaws.com",)),
        (STS_HOST, "AAAA"): dns.DnsAnswer(("fd00::10",)),
    })  # fmt: skip
    res, ans = dns.probe(STS_HOST, timeout=1.0, resolve=r)
    assert res.status is Status.OK
    assert ans.addresses == ("10.0.1.10", "10.0.2.10", "fd00::10")
    assert ans.cnames == ("vpce-1.sts.ap-northeast-1.vpce.amazonaws.com",)
    assert res.get("a") == "10.0.1.10 10.0.2.10" and res.get("aaaa") == "fd00::10"


def test_dns_nxdomain_stops_and_fails() -> None:
    r = FakeResolver(
        {("st.amazonaws.com", "A"): dns.DnsFailure("nxdomain", "NXDOMAIN (no such name)")}
    )
    res, ans = dns.probe("st.amazonaws.com", timeout=1.0, resolve=r)
    assert res.status is Status.FAIL and res.error is ErrorKind.DNS
    assert "NXDOMAIN" in res.detail and ans.addresses == ()
    assert [c[1] for c in r.calls] == ["A"]  # no AAAA after NXDOMAIN


def test_dns_timeout_is_bounded() -> None:
    r = FakeResolver({}, delay=5.0)
    t = time.monotonic()
    res, _ = dns.probe(STS_HOST, timeout=0.3, resolve=r)
    assert time.monotonic() - t < 1.0
    assert res.status is Status.TIMEOUT


def test_dns_literal_address_needs_no_lookup() -> None:
    res, ans = dns.probe("127.0.0.1", timeout=1.0, resolve=FakeResolver({}))
    assert res.status is Status.OK and ans.addresses == ("127.0.0.1",)


@pytest.mark.parametrize(
    ("address", "cidrs", "klass"),
    [
        ("10.0.1.10", (), AddressClass.VPC_PRIVATE),
        ("172.31.5.5", (), AddressClass.VPC_PRIVATE),
        ("100.64.1.1", (), AddressClass.VPC_PRIVATE),  # RFC 6598
        ("192.0.2.16", (), AddressClass.PUBLIC),  # documentation range: not private
        ("198.18.0.1", (), AddressClass.PUBLIC),  # benchmark range: not private
        ("52.119.198.10", (), AddressClass.PUBLIC),
        ("127.0.0.1", (), AddressClass.OTHER),
        ("169.254.169.254", (), AddressClass.OTHER),
        ("203.0.113.7", ("203.0.113.0/24",), AddressClass.VPC_PRIVATE),  # inside the VPC's CIDR
    ],
)
def test_classify(address: str, cidrs: tuple[str, ...], klass: AddressClass) -> None:
    assert dns.classify(address, cidrs) is klass


def test_split_nameserver() -> None:
    assert dns.split_nameserver("10.0.0.2") == ("10.0.0.2", 53)
    assert dns.split_nameserver("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert dns.split_nameserver("[::1]:5353") == ("::1", 5353)
    with pytest.raises(ValueError):
        dns.split_nameserver("resolver.example")


class _DnsServer:
    """A tiny UDP DNS server on loopback built with dnspython."""

    def __init__(self, records: dict[str, list[str]], cname: dict[str, str]) -> None:
        import dns.message
        import dns.rcode
        import dns.rrset

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.stopping = False

        def answer(wire: bytes) -> bytes:
            q = dns.message.from_wire(wire)
            r = dns.message.make_response(q)
            qname = q.question[0].name.to_text().rstrip(".")
            rdtype = dns.rdatatype.to_text(q.question[0].rdtype)
            name = qname
            if name in cname:
                r.answer.append(
                    dns.rrset.from_text(name + ".", 60, "IN", "CNAME", cname[name] + ".")
                )
                name = cname[name]
            if name in records:
                addrs = [a for a in records[name] if (":" in a) == (rdtype == "AAAA")]
                if addrs:
                    r.answer.append(dns.rrset.from_text(name + ".", 60, "IN", rdtype, *addrs))
            else:
                r.set_rcode(dns.rcode.NXDOMAIN)
            return bytes(r.to_wire())

        def loop() -> None:
            while not self.stopping:
                try:
                    wire, peer = self.sock.recvfrom(4096)
                except OSError:
                    continue
                self.sock.sendto(answer(wire), peer)

        import dns.rdatatype

        self.t = threading.Thread(target=loop, daemon=True)
        self.t.start()

    def close(self) -> None:
        self.stopping = True
        self.t.join(1)
        self.sock.close()


def test_dnspython_against_a_loopback_nameserver() -> None:
    srv = _DnsServer({"vpce-1.sts.ap-northeast-1.vpce.amazonaws.com": ["10.0.1.10", "10.0.2.10"]},
                     {STS_HOST: "vpce-1.sts.ap-northeast-1.vpce.amazonaws.com"})  # fmt: skip
    try:
        ns = f"127.0.0.1:{srv.port}"
        res, ans = dns.probe(STS_HOST, timeout=2.0, nameserver=ns)
        assert res.status is Status.OK, res.detail
        assert ans.addresses == ("10.0.1.10", "10.0.2.10")
        assert ans.cnames == ("vpce-1.sts.ap-northeast-1.vpce.amazonaws.com",)
        assert res.get("resolver") == ns
        res, _ = dns.probe("nothing-here.example.com", timeout=2.0, nameserver=ns)
        assert res.status is Status.FAIL and res.get("dns_error") == "nxdomain"
    finally:
        srv.close()


def test_dnspython_nameserver_that_does_not_answer_times_out() -> None:
    mute = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mute.bind(("127.0.0.1", 0))
    try:
        t = time.monotonic()
        res, _ = dns.probe(STS_HOST, timeout=0.4, nameserver=f"127.0.0.1:{mute.getsockname()[1]}")
        assert time.monotonic() - t < 1.5
        assert res.status is Status.TIMEOUT
    finally:
        mute.close()


# --------------------------------------------------------------------------- TCP


def test_tcp_connects_and_times_it(servers: Callable[..., Server]) -> None:
    s = servers(chain_key=None)
    r = tcp.probe("127.0.0.1", s.port, timeout=1.0)
    assert r.status is Status.OK and r.ms is not None and r.ms < 1000


def test_tcp_refused() -> None:
    r = tcp.probe("127.0.0.1", free_port(), timeout=1.0)
    assert r.status is Status.FAIL and r.error is ErrorKind.CONNECTION_REFUSED


def test_tcp_dropped_times_out_within_the_timeout() -> None:
    silent = Silent()
    try:
        t = time.monotonic()
        r = tcp.probe("127.0.0.1", silent.port, timeout=0.4)
        took = time.monotonic() - t
    finally:
        silent.close()
    assert r.status is Status.TIMEOUT and r.error is ErrorKind.CONNECT_TIMEOUT
    assert 0.3 < took < 1.0


# --------------------------------------------------------------------------- TLS


def test_tls_verified_amazon_chain(
    servers: Callable[..., Server], amazon_ca: Ca, bundle: str
) -> None:
    s = servers(chain_key=amazon_ca.issue((STS_HOST,)))
    r = tls.probe("127.0.0.1", s.port, STS_HOST, timeout=2.0, ca_bundle=bundle)
    assert r.status is Status.OK, r.detail
    assert r.get("verified") == "true" and r.get("intercepted") == "false"
    assert "CN=Amazon RSA 2048 M02" in (r.get("issuer") or "")
    assert int(r.get("days_left") or 0) in range(28, 31)


def test_tls_name_mismatch_fails_verification(
    servers: Callable[..., Server], amazon_ca: Ca, bundle: str
) -> None:
    s = servers(chain_key=amazon_ca.issue(("sts.eu-west-1.amazonaws.com",)))
    r = tls.probe("127.0.0.1", s.port, STS_HOST, timeout=2.0, ca_bundle=bundle)
    assert r.status is Status.FAIL and r.error is ErrorKind.SSL
    assert "mismatch" in (r.get("verify_error") or "").lower()
    assert r.get("intercepted") == "false"  # still Amazon's certificate, just the wrong name


def test_tls_interception_recognised(
    servers: Callable[..., Server], gateway_ca: Ca, bundle: str, tmp_path: Path
) -> None:
    s = servers(chain_key=gateway_ca.issue((STS_HOST,)))
    r = tls.probe("127.0.0.1", s.port, STS_HOST, timeout=2.0, ca_bundle=bundle)
    assert r.status is Status.FAIL
    assert r.get("intercepted") == "true" and "Example Corp" in (r.get("issuer") or "")
    # with the corporate root in the bundle it verifies, and is still recognised as interception
    corp = tmp_path / "corp.pem"
    corp.write_bytes(gateway_ca.root_pem)
    r = tls.probe("127.0.0.1", s.port, STS_HOST, timeout=2.0, ca_bundle=str(corp))
    assert r.status is Status.OK and r.get("intercepted") == "true"


def test_tls_missing_bundle() -> None:
    r = tls.probe("127.0.0.1", 1, STS_HOST, timeout=1.0, ca_bundle="/nonexistent/bundle.pem")
    assert r.status is Status.FAIL and r.get("verify_error") == "CA bundle file missing"


def test_tls_handshake_that_never_comes_times_out(bundle: str) -> None:
    mute = Mute()
    try:
        t = time.monotonic()
        r = tls.probe("127.0.0.1", mute.port, STS_HOST, timeout=0.4, ca_bundle=bundle)
        assert time.monotonic() - t < 1.2
    finally:
        mute.close()
    assert r.status is Status.TIMEOUT and r.error is ErrorKind.READ_TIMEOUT


def test_der_walker_matches_cryptography(amazon_ca: Ca) -> None:
    chain, _ = amazon_ca.issue((STS_HOST,))
    leaf = x509.load_pem_x509_certificates(chain)[0]
    facts = tls.cert_facts(leaf.public_bytes(serialization.Encoding.DER))
    assert dict(facts.issuer) == {"O": "Amazon", "CN": "Amazon RSA 2048 M02"}
    assert dict(facts.subject) == {"CN": STS_HOST}
    assert facts.not_after == leaf.not_valid_after_utc.replace(microsecond=0)
    assert facts.dns_names == (STS_HOST,)
    assert tls.names_match(STS_HOST, facts) and not tls.names_match("sts.amazonaws.com", facts)
    wild = replace(facts, dns_names=("*.ap-northeast-1.amazonaws.com",))
    assert tls.names_match(STS_HOST, wild) and not tls.names_match(
        "a.b.ap-northeast-1.amazonaws.com", wild
    )


def test_captive_portal_certificate_is_not_interception(
    servers: Callable[..., Server], bundle: str
) -> None:
    portal = make_ca("Guest WiFi", "portal.guest-wifi.example")
    s = servers(chain_key=portal.issue(("portal.guest-wifi.example",)))
    r = tls.probe("127.0.0.1", s.port, STS_HOST, timeout=2.0, ca_bundle=bundle)
    assert r.status is Status.FAIL and r.get("intercepted") == "false"
    assert r.get("names_host") == "false" and r.get("dns_names") == "portal.guest-wifi.example"


# --------------------------------------------------------------------------- HTTPS


def test_https_proves_sts_and_reads_the_clock(
    servers: Callable[..., Server], amazon_ca: Ca, bundle: str
) -> None:
    s = servers(chain_key=amazon_ca.issue((STS_HOST,)), date_offset_s=-400)
    r = https.probe("https", STS_HOST, "127.0.0.1", s.port, timeout=2.0, ca_bundle=bundle)
    assert r.status is Status.OK, r.detail
    assert r.get("http_status") == "403" and r.get("sts_code") == "MissingAuthenticationToken"
    assert abs(float(r.get("clock_offset_s") or 0) + 400) < 3
    method, _, headers, body = s.requests[0]
    assert method == "POST" and headers["Host"] == f"{STS_HOST}:{s.port}"
    assert b"Action=GetCallerIdentity" in body and "Authorization" not in headers


def test_https_captive_portal_is_not_sts(
    servers: Callable[..., Server], amazon_ca: Ca, bundle: str
) -> None:
    def portal(*_: Any) -> tuple[int, dict[str, str], bytes]:
        return 200, {"Content-Type": "text/html"}, b"<html><title>Guest WiFi login</title></html>"

    s = servers(portal, chain_key=amazon_ca.issue((STS_HOST,)))
    r = https.probe("https", STS_HOST, "127.0.0.1", s.port, timeout=2.0, ca_bundle=bundle)
    assert r.status is Status.FAIL and r.get("not_sts") == "true"
    assert r.get("body_excerpt") == "Guest WiFi login"


def test_https_read_timeout(servers: Callable[..., Server], amazon_ca: Ca, bundle: str) -> None:
    s = servers(chain_key=amazon_ca.issue((STS_HOST,)), delay_s=2.0)
    t = time.monotonic()
    r = https.probe("https", STS_HOST, "127.0.0.1", s.port, timeout=0.4, ca_bundle=bundle)
    assert time.monotonic() - t < 1.5
    assert r.status is Status.TIMEOUT and r.error is ErrorKind.READ_TIMEOUT


def test_https_with_responses_mock() -> None:
    responses = pytest.importorskip("responses")
    with responses.RequestsMock() as rs:
        rs.add(responses.POST, "https://127.0.0.9/", status=302, body="",
               headers={"Location": "https://aws.amazon.com/iam", "Date": formatdate(time.time(), usegmt=True)})  # fmt: skip
        r = https.probe("https", STS_HOST, "127.0.0.9", 443, timeout=1.0, ca_bundle=None)
    # a redirect without a request id and an STS document proves nothing
    assert r.status is Status.FAIL and r.get("not_sts") == "true" and r.get("location")


def test_request_url_pins_the_address() -> None:
    assert https.request_url("https", STS_HOST, "10.0.1.10", 443, "/", None) == (
        "https://10.0.1.10/", {"Host": STS_HOST})  # fmt: skip
    assert https.request_url("https", STS_HOST, "fd00::1", 8443, "/x", None) == (
        "https://[fd00::1]:8443/x", {"Host": f"{STS_HOST}:8443"})  # fmt: skip
    assert https.request_url("https", STS_HOST, "proxy", 443, "/", "http://p:3128") == (
        f"https://{STS_HOST}/",
        {},
    )


def test_is_sts_answer() -> None:
    assert https.is_sts_answer(
        {"x-amzn-RequestId": "x"},
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">',
    )
    assert not https.is_sts_answer(
        {}, '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    )
    assert not https.is_sts_answer({"x-amzn-RequestId": "x"}, "<html>login</html>")


def test_layer_enum_values_are_the_json_contract() -> None:
    assert [lr.value for lr in Layer] == ["dns", "tcp", "tls", "https", "sts"]


def test_early_connects_are_reused_not_repeated() -> None:
    """The global endpoint's connects start before the context is read; the TCP layer takes
    their results (the very same ones) instead of connecting again."""
    import socket as _socket

    from stsdiag.probes import tcp

    srv = _socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    port = srv.getsockname()[1]
    try:
        early = tcp.EarlyConnects("127.0.0.1", port, timeout=2.0)
        deadline = time.monotonic() + 2.0
        while not early.started("127.0.0.1") and time.monotonic() < deadline:
            time.sleep(0.01)
        first = early.probe("127.0.0.1", port, timeout=2.0)
        again = early.probe("127.0.0.1", port, timeout=2.0)
        assert first.status is Status.OK and again is first
        other = early.probe("127.0.0.1", port + 1 if port < 65535 else port - 1, timeout=0.5)
        assert other is not first  # another port: a connect of its own
    finally:
        srv.close()


def test_layers_verify_as_botocore_not_strictly(
    servers: Callable[..., Server], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A corporate CA whose certificates carry no key identifiers: Python 3.13's default TLS
    context (and requests/urllib3 2.x there) refuses it under VERIFY_X509_STRICT; botocore
    builds its own context without that flag, so the SDK accepts it, and so must the probe's
    TLS and HTTPS layers (they failed on Python 3.13). Simulated on older Pythons by giving
    Python's default context and urllib3's the flags 3.13 gives them."""
    import ssl

    import urllib3.util.ssl_ as u3

    from stsdiag.rules.registry import strict_tls_fix

    strict = ssl.VERIFY_X509_STRICT | ssl.VERIFY_X509_PARTIAL_CHAIN
    real_default, real_u3 = ssl.create_default_context, u3.create_urllib3_context

    def as_313(*a: Any, **kw: Any) -> ssl.SSLContext:
        ctx = real_default(*a, **kw)
        ctx.verify_flags |= strict
        return ctx

    def u3_as_313(*a: Any, **kw: Any) -> ssl.SSLContext:
        ctx = real_u3(*a, **kw)
        ctx.verify_flags |= strict
        return ctx

    monkeypatch.setattr(ssl, "create_default_context", as_313)
    monkeypatch.setattr(u3, "create_urllib3_context", u3_as_313)
    corp = make_ca("Example Corp", "Example Corp Root CA", key_ids=False)
    s = servers(chain_key=corp.issue((STS_HOST,)))
    bundle = tmp_path / "corp.pem"
    bundle.write_bytes(corp.root_pem)
    r = tls.probe("127.0.0.1", s.port, STS_HOST, timeout=2.0, ca_bundle=str(bundle))
    assert r.status is Status.OK, r
    h = https.probe("https", STS_HOST, "127.0.0.1", s.port, timeout=2.0, ca_bundle=str(bundle))
    assert h.get("http_status") is not None, h
    # what a strict client says of this chain (a real handshake), and the fix for it
    with (
        socket.create_connection(("127.0.0.1", s.port), timeout=2.0) as raw,
        pytest.raises(ssl.SSLCertVerificationError) as e,
    ):
        as_313(cafile=str(bundle)).wrap_socket(raw, server_hostname=STS_HOST)
    fix = strict_tls_fix(str(e.value.verify_message))
    assert fix is not None and "Key Identifier" in fix and "3.13" in fix
    assert strict_tls_fix("unable to get local issuer certificate") is None


def test_botocore_on_python_313_accepts_a_chain_without_key_ids(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The evidence for `sdk_context`: a real boto3 1.44.8 log from Python 3.13 against a
    chain without key identifiers (tests/data/strict-tls/record.py) shows an answer, no TLS
    error; parse-log reads it so."""
    import json

    from stsdiag.cli import run

    log = Path(__file__).parent / "data" / "strict-tls" / "boto3-py313-no-key-ids-accepted.log"
    assert "lang/python#3.13" in log.read_text()  # the User-Agent
    assert run(["parse-log", str(log), "-o", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (req,) = doc["requests"]
    assert req["http_status"] == 501 and "SD303" not in {f["code"] for f in doc["findings"]}
