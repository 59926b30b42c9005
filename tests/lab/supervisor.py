"""The world's supervisor: runs *inside* the new network + mount namespace.

Started by :class:`tests.lab.runtime.World` as::

    unshare --net --mount --propagation private -- python -m tests.lab serve --spec F --run-dir D --ca-dir C

It brings up ``lo`` with the world's addresses, routes the dropping prefixes
through ``lo`` with no local address (SYNs vanish: a real connect timeout),
bind-mounts the world's resolv.conf / hosts / nsswitch.conf / trust store,
starts every server as a thread, prints one JSON line ``{"ready": ...}`` on
stdout, and serves until SIGTERM, stdin EOF, or ``--max-lifetime``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .spec import WorldSpec, load_spec

MS_BIND = 4096
MS_REC = 16384
PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _mount(src: str, dst: str, fstype: str | None = None, flags: int = MS_BIND) -> None:
    if (
        _libc.mount(src.encode(), dst.encode(), fstype.encode() if fstype else None, flags, None)
        != 0
    ):
        err = ctypes.get_errno()
        raise OSError(err, f"mount {src} -> {dst}: {os.strerror(err)}")


def bind_over(src: Path, target: str) -> None:
    """Bind-mount ``src`` over ``target`` (following symlinks; a dangling one gets a tmpfs parent)."""
    real = os.path.realpath(target)
    if not os.path.exists(real):
        parent = os.path.dirname(real)
        if not os.path.isdir(parent):
            raise OSError(f"cannot place {target}: {parent} missing")
        _mount("tmpfs", parent, "tmpfs", 0)
        Path(real).touch()
    _mount(str(src), real)


def setup_network(spec: WorldSpec) -> None:
    cmds = ["link set lo up"]
    for address in spec.local_addresses:
        plen = 128 if ":" in address else 32
        cmds.append(f"addr add {address}/{plen} dev lo")
    for prefix in spec.network.drop:
        if prefix in ("0.0.0.0/0", "default"):
            cmds.append("route add default dev lo")
        elif prefix == "::/0":  # `-6` is no command inside `ip -batch`: the prefix names the family
            cmds.append("route add ::/0 dev lo")
        else:
            cmds.append(f"route add {prefix} dev lo")
    proc = subprocess.run(
        ["ip", "-batch", "-"],
        input="\n".join(cmds) + "\n",
        text=True,
        capture_output=True,
        timeout=10,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ip -batch failed: {proc.stderr.strip()}")


def trust_store_targets() -> list[str]:
    """Every CA file a client might read: the world's root replaces them all."""
    targets: list[str] = []
    try:
        import certifi

        targets.append(certifi.where())
    except ImportError:
        pass
    try:
        import botocore

        targets.append(os.path.join(os.path.dirname(botocore.__file__), "cacert.pem"))
    except ImportError:
        pass
    paths = ssl.get_default_verify_paths()
    targets += [p for p in (paths.cafile, paths.openssl_cafile) if p]
    targets.append("/etc/ssl/certs/ca-certificates.crt")
    out: list[str] = []
    for t in targets:
        if os.path.isfile(t) and os.path.realpath(t) not in {os.path.realpath(o) for o in out}:
            out.append(t)
    return out


def setup_mounts(run_dir: Path) -> list[str]:
    etc = run_dir / "etc"
    done = []
    bind_over(etc / "resolv.conf", "/etc/resolv.conf")
    bind_over(etc / "hosts", "/etc/hosts")
    done += ["/etc/resolv.conf", "/etc/hosts"]
    if os.path.exists("/etc/nsswitch.conf"):
        bind_over(etc / "nsswitch.conf", "/etc/nsswitch.conf")
        done.append("/etc/nsswitch.conf")
    resolved = etc / "systemd-resolved.conf"
    if (
        resolved.is_file()
    ):  # a systemd-resolved stub world: its upstream list, in a fresh /run/systemd
        _mount("tmpfs", "/run/systemd", "tmpfs", 0)
        os.makedirs("/run/systemd/resolve", exist_ok=True)
        Path("/run/systemd/resolve/resolv.conf").write_text(resolved.read_text())
        done.append("/run/systemd/resolve/resolv.conf")
    for target in trust_store_targets():
        bind_over(run_dir / "trust" / "world-roots.pem", target)
        done.append(target)
    home_aws = Path.home() / ".aws"
    if home_aws.is_dir():  # the host user's own AWS config must not leak into the world
        _mount(str(run_dir / "empty"), str(home_aws))
        done.append(str(home_aws))
    return done


def _server_ctx(cert_chain: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert_chain), str(key))
    return ctx


class Supervisor:
    def __init__(self, spec: WorldSpec, run_dir: Path, ca_dir: Path) -> None:
        from .servers import EventLog, MotoSts

        self.spec = spec
        self.run_dir = run_dir
        self.ca_dir = ca_dir
        self.log = EventLog(run_dir / "events.jsonl")
        self.moto = MotoSts()
        self.servers: list[Any] = []
        self.stop_event = threading.Event()

    def start(self) -> dict[str, Any]:
        from .dnsserver import DnsServer
        from .servers import ImdsHandler, LabTCPServer, SynDropServer, handler_for

        spec = self.spec
        t0 = time.monotonic()
        needs_moto = any(s.kind in ("sts", "tls-other-ca") for s in spec.servers)
        if needs_moto:
            self.moto.start()
        setup_network(spec)
        mounts = setup_mounts(self.run_dir)
        tls_dir = self.run_dir / "tls"
        key = tls_dir / "leaf.key"
        contexts = {
            "amazon": _server_ctx(tls_dir / "amazon-chain.pem", key),
            "gateway": _server_ctx(tls_dir / "gateway-chain.pem", key),
            "portal": _server_ctx(tls_dir / "portal-chain.pem", key),
        }
        context: dict[str, Any] = {
            "moto": self.moto,
            "account_id": spec.instance.account_id if spec.instance else "123456789012",
            "mint": self._minter(),
            "upstream_tls": ssl.create_default_context(
                cafile=str(self.run_dir / "trust" / "world-roots.pem")
            ),
        }
        dns = DnsServer(spec.dns, (spec.network.resolver,), 53, self.log)
        dns.start()
        self.servers.append(dns)
        if spec.instance:
            imds = LabTCPServer(
                (spec.instance.imds_address, 80),
                ImdsHandler,
                name="imds",
                log=self.log,
                context={"instance": spec.instance},
            )
            imds.start()
            self.servers.append(imds)
        for server in spec.servers:
            if server.kind == "syn-drop":
                for address in server.addresses:
                    name = f"syn-drop@{address}:{server.port}"
                    self.servers.append(
                        SynDropServer((address, server.port), name=name, log=self.log)
                    )
                continue
            handler = handler_for(server)
            opts = dict(server.options)
            tls: ssl.SSLContext | None = None
            if server.kind == "sts" or server.kind == "slow-drip":
                tls = contexts["amazon"]
            elif server.kind == "tls-other-ca":
                tls = contexts[str(opts.get("ca", "gateway"))]
            ports = [(server.port, tls)]
            if server.kind == "captive-portal":
                ports = [(server.port, None)] + [
                    (int(p), contexts["portal"]) for p in opts.get("tls_ports", [443])
                ]
            for address in server.addresses:
                for port, ctx in ports:
                    srv = LabTCPServer(
                        (address, port),
                        handler,
                        name=f"{server.kind}@{address}:{port}",
                        log=self.log,
                        tls=ctx,
                        options=opts,
                        context=context,
                    )
                    srv.start()
                    self.servers.append(srv)
        if needs_moto:
            self.moto.wait(30)
        return {
            "ready": True,
            "pid": os.getpid(),
            "world": spec.name,
            "mounts": mounts,
            "setup_seconds": round(time.monotonic() - t0, 3),
        }

    def _minter(self) -> Any:
        """Mint (and cache) an SSLContext with a gateway-CA leaf for each intercepted host."""
        from .ca import load_ca

        cache: dict[str, ssl.SSLContext] = {}
        lock = threading.Lock()
        state: dict[str, Any] = {}

        def mint(host: str) -> ssl.SSLContext:
            with lock:
                if host in cache:
                    return cache[host]
                if "ca" not in state:
                    state["ca"] = load_ca(self.ca_dir)
                lab_ca = state["ca"]
                pem = lab_ca.gateway.issue([host], lab_ca.leaf_key)
                path = self.run_dir / "tls" / f"minted-{len(cache)}.pem"
                path.write_bytes(pem)
                ctx = _server_ctx(path, self.run_dir / "tls" / "leaf.key")
                cache[host] = ctx
                return ctx

        return mint

    def stop(self) -> None:
        """Stop every server at once (each waits for its accept loop), bounded."""

        def one(srv: Any) -> None:
            try:
                srv.stop()
            except Exception as exc:  # keep stopping the others
                print(f"lab: stopping {srv!r}: {exc}", file=sys.stderr)

        threads = [threading.Thread(target=one, args=(srv,), daemon=True) for srv in self.servers]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 2.0
        for t in threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))
        self.servers.clear()
        self.log("supervisor", "stopped")
        self.log.close()


def serve_main(
    spec_path: str, run_dir: str, ca_dir: str, max_lifetime: float, pdeathsig: bool = True
) -> int:
    # Die with the process that started us, whatever happens to it.  (PDEATHSIG follows the
    # *thread* that spawned us, so the parent asks for it only from its main thread; stdin EOF
    # and --max-lifetime bound us in every case.)
    if pdeathsig:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    spec = load_spec(spec_path)
    sup = Supervisor(spec, Path(run_dir), Path(ca_dir))
    try:
        info = sup.start()
    except BaseException as exc:
        print(f"lab: world {spec.name} failed to start: {exc!r}", file=sys.stderr)
        sup.stop()
        print(json.dumps({"ready": False, "error": repr(exc)}), flush=True)
        return 1
    sup.log("supervisor", "ready", **{k: v for k, v in info.items() if k != "ready"})
    print(json.dumps(info), flush=True)

    def watch_stdin() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except OSError:
            pass
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    stop.wait(max_lifetime)
    sup.stop()
    sys.stdout.flush()
    os._exit(0)
