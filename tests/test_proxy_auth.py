"""A proxy URL with credentials (`http://user:pass@host:port`) is used as botocore uses it:
the TLS layer's own CONNECT carries `Proxy-Authorization`; a 407 is a proxy error that says
whether credentials were given, never a TLS verification failure, and the password is never
printed. A loopback stub proxy; nothing leaves 127.0.0.1."""

from __future__ import annotations

import base64
import socket
import threading

import pytest

from stsdiag.context import CredentialInfo, CredState
from stsdiag.models import (
    AddressClass,
    AddressResult,
    EndpointResult,
    ErrorKind,
    Layer,
    Status,
    TargetKind,
)
from stsdiag.probes import proxy_auth_header, proxy_label
from stsdiag.probes import tcp as tcp_layer
from stsdiag.probes import tls as tls_layer
from stsdiag.rules.probe import ProbeFacts, evaluate
from tests.test_plan import ctx
from tests.test_probe_rules import lr, target

WANT = "Basic " + base64.b64encode(b"svc:p@ss:w0rd").decode()


def stub_proxy() -> tuple[int, list[bytes], socket.socket]:
    """Answers CONNECT 200 with the right Proxy-Authorization, else 407; records heads."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    heads: list[bytes] = []

    def run() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    head += chunk
                heads.append(head)
                ok = f"Proxy-Authorization: {WANT}".encode() in head
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n" if ok else
                             b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")  # fmt: skip

    threading.Thread(target=run, daemon=True).start()
    return int(srv.getsockname()[1]), heads, srv


def test_auth_header_is_botocores_basic_of_the_decoded_userinfo() -> None:
    assert proxy_auth_header("http://svc:p%40ss%3Aw0rd@10.0.0.60:3128") == WANT
    assert proxy_auth_header("http://10.0.0.60:3128") is None
    assert proxy_label("http://svc:p%40ss%3Aw0rd@10.0.0.60:3128") == "proxy 10.0.0.60:3128"


def test_connect_through_an_authenticating_proxy_sends_the_credentials() -> None:
    """Old code: CONNECT without Proxy-Authorization, 407, a false SD301 (and SD303)."""
    port, heads, srv = stub_proxy()
    try:
        sock = tcp_layer.open_tunnel(f"http://svc:p%40ss%3Aw0rd@127.0.0.1:{port}",
                                     "sts.ca-central-1.amazonaws.com", 443, 2.0)  # fmt: skip
        sock.close()
        with pytest.raises(tcp_layer.TunnelError, match="407"):
            tcp_layer.open_tunnel(
                f"http://127.0.0.1:{port}", "sts.ca-central-1.amazonaws.com", 443, 2.0
            )
    finally:
        srv.close()
    assert f"Proxy-Authorization: {WANT}".encode() in heads[0]
    assert b"Proxy-Authorization" not in heads[1]


def test_tls_layer_407_is_a_proxy_error() -> None:
    port, _, srv = stub_proxy()
    try:
        r = tls_layer.probe("proxy", 443, "sts.ca-central-1.amazonaws.com", timeout=2.0,
                            ca_bundle=None, proxy=f"http://127.0.0.1:{port}")  # fmt: skip
    finally:
        srv.close()
    assert r.status is Status.FAIL and r.error is ErrorKind.PROXY and "407" in r.detail


@pytest.mark.parametrize(("proxy", "says"), [
    ("http://svc:S3cretPassw0rd@10.0.0.60:3128", "rejects the credentials"),
    ("http://10.0.0.60:3128", "carries no credentials"),
])  # fmt: skip
def test_407_is_sd301_only_and_never_prints_the_password(proxy: str, says: str) -> None:
    """Old code: SD301 with the proxy URL (password included) and SD303 'TLS verification failed'."""
    t = target("https://sts.ca-central-1.amazonaws.com", TargetKind.REGIONAL,
               "ca-central-1", sdk=True, proxy=proxy)  # fmt: skip
    tls = lr(Layer.TLS, Status.FAIL, 8.0, ErrorKind.PROXY,
             "proxy answered CONNECT with 'HTTP/1.1 407 Proxy Authentication Required'")  # fmt: skip
    addr = AddressResult("proxy 10.0.0.60:3128", 0, AddressClass.OTHER, (lr(Layer.TCP), tls))
    results = (EndpointResult(t, lr(Layer.DNS), (addr,)),)
    c = ctx(region="ca-central-1", https_proxy=proxy)
    found = evaluate(ProbeFacts(c, CredentialInfo(CredState.FOUND, "env"), results))
    codes = [f.code for f in found]
    assert "SD301" in codes and "SD303" not in codes
    sd301 = next(f for f in found if f.code == "SD301")
    assert says in sd301.message and "S3cretPassw0rd" not in repr(sd301)
