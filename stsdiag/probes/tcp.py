"""TCP layer: a timed connect to one address (or to the proxy the SDK would use), and the
CONNECT tunnel helper the TLS layer uses through a proxy."""

from __future__ import annotations

import errno
import socket
import threading
import time

from stsdiag.models import ErrorKind, Layer, LayerResult, Status
from stsdiag.probes import bad, ms_since, now, ok, proxy_addr, proxy_auth_header, proxy_label


class TunnelError(OSError):
    """The proxy refused or broke the CONNECT tunnel."""


class TunnelTimeout(TunnelError):
    """The proxy accepted the connection and never answered CONNECT."""


def open_socket(address: str, port: int, timeout: float) -> socket.socket:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect((address, port))
    except BaseException:
        sock.close()
        raise
    return sock


def open_tunnel(proxy: str, host: str, port: int, timeout: float) -> socket.socket:
    """A socket through an HTTP proxy's CONNECT to host:port, ready for TLS."""
    phost, pport = proxy_addr(proxy)
    sock = socket.create_connection((phost, pport), timeout=timeout)
    try:
        auth = proxy_auth_header(proxy)  # credentials in the proxy URL, as botocore sends them
        extra = f"Proxy-Authorization: {auth}\r\n" if auth else ""
        sock.sendall(
            f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n".encode("ascii")
        )
        buf = b""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in buf:
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise TimeoutError
                sock.settimeout(left)
                chunk = sock.recv(4096)
            except TimeoutError:
                raise TunnelTimeout(
                    errno.ETIMEDOUT,
                    f"the proxy accepted the connection but did not answer CONNECT within {timeout:g} s",
                ) from None
            if not chunk:
                raise TunnelError(errno.ECONNRESET, "proxy closed the connection during CONNECT")
            buf += chunk
            if len(buf) > 65536:
                raise TunnelError(errno.EPROTO, "proxy sent an oversized CONNECT answer")
        status_line = buf.split(b"\r\n", 1)[0].decode("latin-1", "replace")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or parts[1] != "200":
            raise TunnelError(errno.ECONNREFUSED, f"proxy answered CONNECT with {status_line!r}")
    except BaseException:
        sock.close()
        raise
    sock.settimeout(timeout)
    return sock


def error_kind(exc: BaseException) -> tuple[Status, ErrorKind, str]:
    """Map a socket-level exception to (status, kind, text): the one place for this layer."""
    if isinstance(exc, TunnelTimeout):
        return Status.TIMEOUT, ErrorKind.PROXY, str(exc.strerror or exc)
    if isinstance(exc, TunnelError):
        return Status.FAIL, ErrorKind.PROXY, str(exc.strerror or exc)
    if isinstance(exc, TimeoutError | socket.timeout):
        return Status.TIMEOUT, ErrorKind.CONNECT_TIMEOUT, "connect timed out"
    if isinstance(exc, ConnectionRefusedError):
        return Status.FAIL, ErrorKind.CONNECTION_REFUSED, "connection refused"
    if isinstance(exc, ConnectionResetError):
        return Status.FAIL, ErrorKind.CONNECTION_REFUSED, "connection reset"
    if isinstance(exc, socket.gaierror):
        return Status.FAIL, ErrorKind.DNS, f"name resolution failed: {exc}"
    if isinstance(exc, OSError):
        return Status.FAIL, ErrorKind.CONNECTION_ERROR, f"{exc.strerror or exc}"
    return Status.ERROR, ErrorKind.OTHER, f"{type(exc).__name__}: {exc}"


def probe(address: str, port: int, *, timeout: float, proxy: str | None = None) -> LayerResult:
    start = now()
    if proxy:
        data: tuple[tuple[str, str], ...] = (("via", proxy_label(proxy)),)
        try:
            phost, pport = proxy_addr(proxy)
        except ValueError as e:  # botocore fails every call: HTTPClientError "Failed to parse"
            return bad(
                Layer.TCP,
                Status.FAIL,
                ErrorKind.PROXY,
                f"the proxy setting is not a valid URL ({e}): botocore fails every call with "
                "HTTPClientError; write it as http://HOST:PORT",
                ms_since(start),
                data,
            )
        try:
            sock = socket.create_connection((phost, pport), timeout=timeout)
        except OSError as e:
            status, kind, text = error_kind(e)
            return bad(
                Layer.TCP,
                status,
                ErrorKind.PROXY,
                f"{proxy_label(proxy)}: {text}",
                ms_since(start),
                data,
            )
        sock.close()
        return ok(Layer.TCP, ms_since(start), f"connected to {proxy_label(proxy)}", data)
    try:
        sock = open_socket(address, port, timeout)
    except OSError as e:
        status, kind, text = error_kind(e)
        return bad(Layer.TCP, status, kind, text, ms_since(start))
    sock.close()
    return ok(Layer.TCP, ms_since(start), "connected")


class EarlyConnects:
    """TCP connects to one host started before anything else (the global endpoint, which every
    plan of the commercial partition probes and which drops from private subnets: its connect
    timeout is the floor of a probe's duration). The runner's TCP layer takes a started
    connect's result instead of connecting again; anything else connects as usual."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self._port = port
        self._timeout = timeout
        self._lock = threading.Lock()
        self._started: dict[str, tuple[threading.Event, list[LayerResult]]] = {}
        threading.Thread(
            target=self._resolve, args=(host,), daemon=True, name="stsdiag-early"
        ).start()

    def _resolve(self, host: str) -> None:
        try:  # the system resolver, as the SDK uses; a daemon thread, so it may block freely
            infos = socket.getaddrinfo(host, self._port, type=socket.SOCK_STREAM)
        except OSError:
            return
        for info in infos:
            address = str(info[4][0])
            with self._lock:
                if address in self._started:
                    continue
                slot: tuple[threading.Event, list[LayerResult]] = (threading.Event(), [])
                self._started[address] = slot
            threading.Thread(target=self._connect, args=(address, slot), daemon=True).start()

    def _connect(self, address: str, slot: tuple[threading.Event, list[LayerResult]]) -> None:
        try:
            slot[1].append(probe(address, self._port, timeout=self._timeout))
        finally:
            slot[0].set()

    def started(self, address: str) -> bool:
        with self._lock:
            return address in self._started

    def probe(
        self, address: str, port: int, *, timeout: float, proxy: str | None = None
    ) -> LayerResult:
        with self._lock:
            slot = self._started.get(address) if proxy is None and port == self._port else None
        if slot is not None and timeout >= self._timeout:
            slot[0].wait(timeout + 1.0)
            if slot[1]:
                return slot[1][0]
        return probe(address, port, timeout=timeout, proxy=proxy)
