"""Concurrency and deadlines: every endpoint (per resolver) and every resolved address is
probed in parallel, layer after layer (DNS → TCP → TLS → HTTPS → STS); a failed layer skips
the later ones with the reason. A total deadline stops waiting: stragglers are marked
`timeout`. Worker threads are daemons, so Ctrl-C in the main thread stops at once."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from stsdiag.enums import BLOCKING
from stsdiag.models import (
    AddressClass,
    AddressResult,
    EndpointResult,
    ErrorKind,
    Layer,
    LayerResult,
    Status,
    Target,
)
from stsdiag.probes import bad, proxy_label, skipped
from stsdiag.probes import dns as dns_layer
from stsdiag.probes import https as https_layer
from stsdiag.probes import tcp as tcp_layer
from stsdiag.probes import tls as tls_layer

ORDER = (Layer.TCP, Layer.TLS, Layer.HTTPS, Layer.STS)

# (target, address, timeout) -> the STS layer's results (GetCallerIdentity, AssumeRole, …)
StsLayer = Callable[[Target, str, float], tuple[LayerResult, ...]]
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True, slots=True)
class RunOptions:
    timeout: float = 3.0
    total: float = 9.0
    nameservers: tuple[str, ...] = ()
    ca_bundle: str | None = None
    vpc_cidrs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Layers:
    """The layer functions; tests swap in fakes (a resolver, loopback servers)."""

    resolve: dns_layer.Resolve = dns_layer.dnspython_resolve
    tcp: Callable[..., LayerResult] = tcp_layer.probe
    tls: Callable[..., LayerResult] = tls_layer.probe
    https: Callable[..., LayerResult] = https_layer.probe
    sts: StsLayer | None = None
    # the SDK's own resolver (getaddrinfo) next to DNS; None: DNS only (tests' fake resolvers)
    lookup: dns_layer.Lookup | None = None


@dataclass
class _Pipe:
    target: Target
    address: str
    results: list[LayerResult] = field(default_factory=list)
    done: bool = False


def _skip_rest(results: list[LayerResult], why: str) -> None:
    have = {r.layer for r in results}
    for layer in ORDER:
        if layer not in have:
            results.append(skipped(layer, why))


def _proxy_failed(results: list[LayerResult]) -> bool:
    """The CONNECT / request through the proxy failed below the signed call."""
    return any(r.status in (Status.FAIL, Status.TIMEOUT) and r.layer is not Layer.STS
               for r in results)  # fmt: skip


def _blocking(r: LayerResult) -> str | None:
    if r.status in BLOCKING:
        return f"{r.layer.value} {r.status.value}"
    return None


class Runner:
    """Probe targets in daemon threads; `add` may be called again while earlier targets are in
    flight (the plan's slower parts overlap the network waits); `wait` collects the results.
    Targets are keyed by URL: adding a URL again only refreshes its metadata."""

    def __init__(self, opts: RunOptions, layers: Layers | None = None, *,
                 on_progress: Progress | None = None, clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.opts = opts
        self.layers = layers or Layers()
        self.on_progress = on_progress
        self.clock = clock
        self.deadline = clock() + opts.total
        self.lock = threading.Lock()
        self.events: queue.Queue[str] = queue.Queue()
        self.targets: dict[str, Target] = {}
        self.dns: dict[tuple[str, str | None], tuple[LayerResult, dns_layer.DnsAnswer]] = {}
        self.pipes: dict[tuple[str, str], _Pipe] = {}
        self.outstanding = 0
        self.finished = 0

    # ------------------------------------------------------------------ helpers

    def left(self) -> float:
        return min(self.opts.timeout, max(0.0, self.deadline - self.clock()))

    def resolvers(self, t: Target) -> tuple[str | None, ...]:
        return (None,) if t.proxy else (None, *self.opts.nameservers)

    def spawn(self, name: str, fn: Callable[[], None]) -> None:
        with self.lock:
            self.outstanding += 1

        def run() -> None:
            try:
                fn()
            finally:
                self.events.put(name)

        threading.Thread(target=run, daemon=True, name="stsdiag-probe").start()

    # ------------------------------------------------------------------ work

    def do_dns(self, t: Target, ns: str | None) -> None:
        try:
            res = dns_layer.probe(t.host, timeout=max(0.05, self.left()), nameserver=ns,
                                  resolve=self.layers.resolve, lookup=self.layers.lookup)  # fmt: skip
        except Exception as e:  # a bug in stsdiag, not a network failure
            res = (bad(Layer.DNS, Status.ERROR, ErrorKind.OTHER, f"{type(e).__name__}: {e}"),
                   dns_layer.DnsAnswer())  # fmt: skip
        with self.lock:
            self.dns[(t.url, ns)] = res
        if not t.proxy:
            for a in res[1].addresses:
                self.start_pipe(t, a)
        elif ns is None:
            self.maybe_bypass(t)

    def maybe_bypass(self, t: Target) -> None:
        """When the proxy failed for `t` and its name resolves to VPC-private addresses (an
        interface VPC endpoint with private DNS), probe those directly too: traffic that stays
        in the VPC, the path NO_PROXY would give the SDK. Never public addresses past a proxy
        (policy, and no route without NAT), never when the proxy works (the SDK's path is
        fine). Runs once both the DNS answer and the proxy's result are in; same deadline."""
        assert t.proxy is not None
        with self.lock:
            res = self.dns.get((t.url, None))
            pipe = self.pipes.get((t.url, proxy_label(t.proxy)))
            if res is None or pipe is None or not pipe.done or not _proxy_failed(pipe.results):
                return
            private = [a for a in res[1].addresses
                       if dns_layer.classify(a, self.opts.vpc_cidrs) is AddressClass.VPC_PRIVATE]  # fmt: skip
        direct = replace(t, proxy=None)
        for a in private:
            self.start_pipe(direct, a)

    def do_pipe(self, pipe: _Pipe) -> None:
        t = pipe.target
        scheme = t.url.split("://", 1)[0]
        steps: list[tuple[Layer, Callable[[float], LayerResult | tuple[LayerResult, ...]]]] = [
            (Layer.TCP, lambda to: self.layers.tcp(pipe.address, t.port, timeout=to, proxy=t.proxy)),
            (Layer.TLS, lambda to: (
                skipped(Layer.TLS, "plain http endpoint") if scheme != "https" else
                self.layers.tls(pipe.address, t.port, t.host, timeout=to,
                                ca_bundle=self.opts.ca_bundle, proxy=t.proxy))),
            (Layer.HTTPS, lambda to: self.layers.https(scheme, t.host, pipe.address, t.port, timeout=to,
                                                       ca_bundle=self.opts.ca_bundle, proxy=t.proxy)),
        ]  # fmt: skip
        sts = self.layers.sts
        if sts is not None:
            steps.append((Layer.STS, lambda to: sts(t, pipe.address, to)))
        for layer, fn in steps:
            to = self.left()
            if to <= 0:
                return
            try:
                got = fn(max(0.05, to))
            except Exception as e:  # a bug in stsdiag
                got = bad(layer, Status.ERROR, ErrorKind.OTHER, f"{type(e).__name__}: {e}")
            many = got if isinstance(got, tuple) else (got,)
            with self.lock:
                pipe.results.extend(many)
            why = _blocking(many[0])
            if why:
                with self.lock:
                    _skip_rest(pipe.results, f"skipped: {why}")
                    pipe.done = True
                return
        with self.lock:
            if sts is None:
                _skip_rest(pipe.results, "skipped: no signed call requested")
            pipe.done = True

    def start_pipe(self, t: Target, address: str) -> None:
        with self.lock:
            key = (t.url, address)
            if key in self.pipes:
                return
            pipe = _Pipe(t, address)
            self.pipes[key] = pipe

        def work() -> None:
            self.do_pipe(pipe)
            if t.proxy:  # the proxy's own row: it may call for a direct probe (maybe_bypass)
                self.maybe_bypass(t)

        self.spawn(f"probed {t.host} at {address}", work)

    # ------------------------------------------------------------------ API

    def add(self, targets: tuple[Target, ...]) -> None:
        """Start probing these targets now (a URL already started only has its metadata
        refreshed)."""
        for t in targets:
            with self.lock:
                known = t.url in self.targets
                self.targets[t.url] = t
            if known:
                continue
            for ns in self.resolvers(t):
                self.spawn(f"resolved {t.host}", lambda t=t, ns=ns: self.do_dns(t, ns))  # type: ignore[misc]
            if t.proxy:
                self.start_pipe(t, proxy_label(t.proxy))

    def wait(self) -> tuple[EndpointResult, ...]:
        """Wait until every probe finished or the total deadline passed; collect results."""
        while True:
            with self.lock:
                busy = self.outstanding > 0
            remaining = self.deadline - self.clock()
            if not busy or remaining <= 0:
                break
            try:
                name = self.events.get(timeout=min(remaining, 0.25))
            except queue.Empty:
                continue
            with self.lock:
                self.outstanding -= 1
                self.finished += 1
                done, total = self.finished, self.finished + self.outstanding
            if self.on_progress:
                self.on_progress(done, total, name)
        return self.collect()

    def collect(self) -> tuple[EndpointResult, ...]:
        late = f"total deadline of {self.opts.total:g} s reached"
        out: list[EndpointResult] = []
        with self.lock:
            for t in self.targets.values():
                for ns in self.resolvers(t):
                    res = self.dns.get((t.url, ns))
                    if res is None:
                        dres = bad(Layer.DNS, Status.TIMEOUT, ErrorKind.DNS, f"{t.host}: timeout: {late}",
                                   data=(("resolver", ns or "system resolver"), ("dns_error", "timeout")))  # fmt: skip
                        answer = dns_layer.DnsAnswer()
                    else:
                        dres, answer = res
                    addrs: list[AddressResult] = []
                    for a in answer.addresses:
                        klass = dns_layer.classify(a, self.opts.vpc_cidrs)
                        fam = 6 if ":" in a else 4
                        pipe = self.pipes.get((t.url, a))
                        if t.proxy and pipe is None:
                            layers: tuple[LayerResult, ...] = (
                                skipped(
                                    Layer.TCP,
                                    f"the SDK reaches this name through {proxy_label(t.proxy)}",
                                ),
                            )
                        else:  # direct, or probed directly past a failed proxy (maybe_bypass)
                            layers = self._layers(pipe, late)
                        addrs.append(AddressResult(a, fam, klass, layers))
                    if t.proxy and ns is None:
                        label = proxy_label(t.proxy)
                        addrs.append(AddressResult(label, 0, AddressClass.OTHER,
                                                   self._layers(self.pipes.get((t.url, label)), late)))  # fmt: skip
                    out.append(EndpointResult(t, dres, tuple(addrs), answer.cnames, ns or "system"))
        return tuple(out)

    @staticmethod
    def _layers(pipe: _Pipe | None, late: str) -> tuple[LayerResult, ...]:
        if pipe is None:
            return tuple(skipped(layer, "not started") for layer in ORDER)
        results = list(pipe.results)
        if not pipe.done:
            have = {r.layer for r in results}
            nxt = next((layer for layer in ORDER if layer not in have), None)
            if nxt is not None:
                kind = ErrorKind.CONNECT_TIMEOUT if nxt is Layer.TCP else ErrorKind.READ_TIMEOUT
                results.append(bad(nxt, Status.TIMEOUT, kind, late))
            _skip_rest(results, f"skipped: {late}")
        return tuple(results)


def run(
    targets: tuple[Target, ...],
    opts: RunOptions,
    layers: Layers | None = None,
    *,
    on_progress: Progress | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[EndpointResult, ...]:
    r = Runner(opts, layers, on_progress=on_progress, clock=clock)
    r.add(targets)
    return r.wait()
