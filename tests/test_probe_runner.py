"""Concurrency and deadlines of the runner, with fake layers (no sockets)."""

from __future__ import annotations

import time
from typing import Any

from stsdiag.models import AddressClass, ErrorKind, Layer, LayerResult, Status, Target, TargetKind
from stsdiag.probes import dns
from stsdiag.runner import Layers, RunOptions, run
from tests.probe_support import FakeResolver

GLOBAL = Target(
    "https://sts.amazonaws.com",
    "sts.amazonaws.com",
    443,
    TargetKind.GLOBAL,
    None,
    "aws",
    "us-east-1",
)
REGIONAL = Target("https://sts.ap-northeast-1.amazonaws.com", "sts.ap-northeast-1.amazonaws.com", 443,
                  TargetKind.REGIONAL, "ap-northeast-1", "aws", "ap-northeast-1")  # fmt: skip

RESOLVER = FakeResolver({
    ("sts.amazonaws.com", "A"): dns.DnsAnswer(("192.0.2.16",)),
    ("sts.ap-northeast-1.amazonaws.com", "A"): dns.DnsAnswer(("10.0.1.10", "10.0.2.10")),
})  # fmt: skip
DROPPED = {"192.0.2.16", "10.0.2.10"}


def fake_tcp(address: str, port: int, *, timeout: float, proxy: str | None = None) -> LayerResult:
    if address in DROPPED:
        time.sleep(timeout)
        return LayerResult(
            Layer.TCP,
            Status.TIMEOUT,
            timeout * 1000,
            "connect timed out",
            ErrorKind.CONNECT_TIMEOUT,
        )
    time.sleep(0.05)
    return LayerResult(Layer.TCP, Status.OK, 50.0, "connected")


def ok_layer(layer: Layer, delay: float = 0.05) -> Any:
    def f(*_: Any, **__: Any) -> LayerResult:
        time.sleep(delay)
        return LayerResult(layer, Status.OK, delay * 1000, "ok")

    return f


def fake_sts(target: Target, address: str, timeout: float) -> tuple[LayerResult, ...]:
    return (
        LayerResult(
            Layer.STS, Status.OK, 5.0, "caller", data=(("operation", "GetCallerIdentity"),)
        ),
    )


LAYERS = Layers(RESOLVER, fake_tcp, ok_layer(Layer.TLS), ok_layer(Layer.HTTPS), fake_sts)


def test_a_dropped_endpoint_costs_one_timeout_not_more() -> None:
    t = time.monotonic()
    out = run(
        (GLOBAL, REGIONAL), RunOptions(timeout=0.6, total=5.0, vpc_cidrs=("10.0.0.0/16",)), LAYERS
    )
    took = time.monotonic() - t
    assert took < 0.6 + 0.5, took  # everything in parallel: the verdict within timeout + 0.5 s
    g, r = out
    assert g.addresses[0].layers[0].status is Status.TIMEOUT
    assert [x.status for x in g.addresses[0].layers[1:]] == [Status.SKIPPED] * 3
    assert g.addresses[0].layers[1].detail == "skipped: tcp timeout"
    assert g.addresses[0].classification is AddressClass.PUBLIC
    by_addr = {a.address: a for a in r.addresses}
    assert [x.status for x in by_addr["10.0.1.10"].layers] == [Status.OK] * 4
    assert by_addr["10.0.1.10"].classification is AddressClass.VPC_PRIVATE
    assert by_addr["10.0.2.10"].layers[0].status is Status.TIMEOUT


def test_total_deadline_marks_stragglers() -> None:
    slow = Layers(RESOLVER, fake_tcp, ok_layer(Layer.TLS, 5.0), ok_layer(Layer.HTTPS), fake_sts)
    t = time.monotonic()
    (r,) = run((REGIONAL,), RunOptions(timeout=3.0, total=0.5), slow)
    assert time.monotonic() - t < 1.0
    layers = r.addresses[0].layers
    assert layers[0].status is Status.OK
    assert layers[1].status is Status.TIMEOUT and "total deadline" in layers[1].detail
    assert [x.status for x in layers[2:]] == [Status.SKIPPED, Status.SKIPPED]


def test_extra_nameservers_share_address_probes() -> None:
    calls: list[str] = []

    def counting_tcp(
        address: str, port: int, *, timeout: float, proxy: str | None = None
    ) -> LayerResult:
        calls.append(address)
        return LayerResult(Layer.TCP, Status.OK, 1.0)

    layers = Layers(RESOLVER, counting_tcp, ok_layer(Layer.TLS, 0), ok_layer(Layer.HTTPS, 0), None)
    out = run(
        (REGIONAL,), RunOptions(timeout=1.0, total=2.0, nameservers=("127.0.0.1:5353",)), layers
    )
    assert [e.resolver for e in out] == ["system", "127.0.0.1:5353"]
    assert sorted(calls) == ["10.0.1.10", "10.0.2.10"]  # each address probed once
    assert out[1].addresses[0].layers == out[0].addresses[0].layers
    assert out[0].addresses[0].layers[-1].detail == "skipped: no signed call requested"


def test_dns_failure_means_no_addresses() -> None:
    r = FakeResolver({("st.amazonaws.com", "A"): dns.DnsFailure("nxdomain", "NXDOMAIN")})
    t = Target(
        "https://st.amazonaws.com",
        "st.amazonaws.com",
        443,
        TargetKind.CUSTOM,
        None,
        None,
        "us-east-1",
    )
    (e,) = run(
        (t,),
        RunOptions(timeout=1.0, total=2.0),
        Layers(r, fake_tcp, ok_layer(Layer.TLS), ok_layer(Layer.HTTPS)),
    )
    assert e.dns.status is Status.FAIL and e.addresses == ()


def test_proxy_path_is_one_pseudo_address() -> None:
    seen: list[tuple[str, str | None]] = []

    def tcp_(address: str, port: int, *, timeout: float, proxy: str | None = None) -> LayerResult:
        seen.append((address, proxy))
        return LayerResult(Layer.TCP, Status.OK, 1.0)

    t = Target(REGIONAL.url, REGIONAL.host, 443, REGIONAL.kind, REGIONAL.region, "aws", REGIONAL.region,
               proxy="http://proxy.corp:3128")  # fmt: skip
    (e,) = run((t,), RunOptions(timeout=1.0, total=2.0), Layers(RESOLVER, tcp_, ok_layer(Layer.TLS, 0),
                                                                ok_layer(Layer.HTTPS, 0)))  # fmt: skip
    assert seen == [("proxy proxy.corp:3128", "http://proxy.corp:3128")]
    assert [a.address for a in e.addresses] == ["10.0.1.10", "10.0.2.10", "proxy proxy.corp:3128"]
    assert e.addresses[0].layers[0].status is Status.SKIPPED


def _through_proxy(
    tls_status: Status, resolver: FakeResolver = RESOLVER
) -> tuple[Any, list[tuple[str, str | None]]]:
    """REGIONAL behind a proxy whose CONNECT gets `tls_status`; what was connected."""
    seen: list[tuple[str, str | None]] = []

    def tcp_(address: str, port: int, *, timeout: float, proxy: str | None = None) -> LayerResult:
        seen.append((address, proxy))
        return LayerResult(Layer.TCP, Status.OK, 1.0)

    def tls_(
        address: str, port: int, host: str, *, proxy: str | None = None, **_: Any
    ) -> LayerResult:
        if proxy:
            return LayerResult(Layer.TLS, tls_status, 1.0, "proxy answered CONNECT with 'HTTP/1.1 403 Forbidden'",
                               ErrorKind.PROXY if tls_status is Status.FAIL else None)  # fmt: skip
        return LayerResult(Layer.TLS, Status.OK, 1.0)

    t = Target(REGIONAL.url, REGIONAL.host, 443, REGIONAL.kind, REGIONAL.region, "aws", REGIONAL.region,
               proxy="http://10.0.0.80:3128")  # fmt: skip
    (e,) = run((t,), RunOptions(timeout=1.0, total=2.0, vpc_cidrs=("10.0.0.0/16",)),
               Layers(resolver, tcp_, tls_, ok_layer(Layer.HTTPS, 0)))  # fmt: skip
    return e, seen


def test_vpc_private_addresses_are_probed_directly_when_the_proxy_fails() -> None:
    """The proxy refuses CONNECT and the name resolves to VPC-endpoint addresses: they are
    probed directly (the path NO_PROXY gives), with no proxy. The old code only listed them as
    skipped 'through the proxy' (proxy-allowlist-vpce-direct)."""
    e, seen = _through_proxy(Status.FAIL)
    assert sorted(seen) == [("10.0.1.10", None), ("10.0.2.10", None),
                            ("proxy 10.0.0.80:3128", "http://10.0.0.80:3128")]  # fmt: skip
    direct = {a.address: a.layers for a in e.addresses if a.family}
    assert all(ls[0].status is Status.OK and ls[1].status is Status.OK for ls in direct.values())


def test_no_direct_probe_past_a_working_proxy_or_to_public_addresses() -> None:
    # the proxy works: the SDK's path is fine, nothing goes around it
    e, seen = _through_proxy(Status.OK)
    assert seen == [("proxy 10.0.0.80:3128", "http://10.0.0.80:3128")]
    assert e.addresses[0].layers[0].status is Status.SKIPPED
    # the proxy fails but the name is public: never past the proxy to the internet
    public = FakeResolver({(REGIONAL.host, "A"): dns.DnsAnswer(("198.51.100.21",))})
    e, seen = _through_proxy(Status.FAIL, public)
    assert seen == [("proxy 10.0.0.80:3128", "http://10.0.0.80:3128")]
    assert e.addresses[0].layers[0].status is Status.SKIPPED


def test_progress_callback_counts_up() -> None:
    seen: list[tuple[int, int]] = []
    run((REGIONAL,), RunOptions(timeout=1.0, total=2.0),
        Layers(RESOLVER, ok_layer(Layer.TCP, 0), ok_layer(Layer.TLS, 0), ok_layer(Layer.HTTPS, 0)),
        on_progress=lambda d, n, _: seen.append((d, n)))  # fmt: skip
    assert seen[-1][0] == seen[-1][1] == 3  # 1 DNS + 2 addresses
