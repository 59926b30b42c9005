"""Shared helpers and fixtures of the probe tests: a small PKI (an "Amazon" chain and other
CAs), threaded loopback HTTP(S) servers that record requests, listeners that drop or stall,
a fake resolver, and a clean AWS environment. Nothing here leaves 127.0.0.0/8.

Test modules load the fixtures with `pytest_plugins = ("tests.probe_support",)`."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import socket
import socketserver
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from stsdiag.probes import dns

STS_HOST = "sts.ap-northeast-1.amazonaws.com"

# --------------------------------------------------------------------------- PKI


def _name(org: str, cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])  # fmt: skip


def _cert(subject: x509.Name, issuer: x509.Name, key: Any, signer: Any, *, ca: bool,
          names: tuple[str, ...] = (), days: int = 30, key_ids: bool = True) -> x509.Certificate:  # fmt: skip
    now = dt.datetime.now(dt.timezone.utc)
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if key_ids:  # as real CAs issue them: Python 3.13's default TLS context (and urllib3 2.x
        # there) verifies strictly (VERIFY_X509_STRICT) and refuses a chain without them
        b = b.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        ).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False
        )
    if ca:
        b = b.add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False), critical=True)  # fmt: skip
    if names:
        b = b.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
        )
    return b.sign(signer, hashes.SHA256())


def _pem(c: x509.Certificate) -> bytes:
    return c.public_bytes(serialization.Encoding.PEM)


@dataclass
class Ca:
    root_pem: bytes
    issue: Callable[[tuple[str, ...]], tuple[bytes, bytes]]  # names -> (chain pem, key pem)


def make_ca(org: str, root_cn: str, inter_cn: str | None = None, *, key_ids: bool = True) -> Ca:
    """`key_ids=False`: no key identifier extensions, as some corporate proxies' CAs issue."""
    rk = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(org, root_cn)
    root = _cert(root_name, root_name, rk, rk, ca=True, days=3650, key_ids=key_ids)
    ik, inter, inter_name = rk, root, root_name
    if inter_cn:
        ik = ec.generate_private_key(ec.SECP256R1())
        inter_name = _name(org, inter_cn)
        inter = _cert(inter_name, root_name, ik, rk, ca=True, days=3650, key_ids=key_ids)

    def issue(names: tuple[str, ...]) -> tuple[bytes, bytes]:
        lk = ec.generate_private_key(ec.SECP256R1())
        leaf = _cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]), inter_name, lk, ik,
                     ca=False, names=names, key_ids=key_ids)  # fmt: skip
        chain = _pem(leaf) + (_pem(inter) if inter_cn else b"")
        key = lk.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())  # fmt: skip
        return chain, key

    return Ca(_pem(root), issue)


@pytest.fixture(scope="session")
def amazon_ca() -> Ca:
    return make_ca("Amazon", "Amazon Root CA 1", "Amazon RSA 2048 M02")


@pytest.fixture(scope="session")
def gateway_ca() -> Ca:
    return make_ca("Example Corp", "Example Corp Security Gateway Root CA")


@pytest.fixture
def bundle(tmp_path: Path, amazon_ca: Ca) -> str:
    p = tmp_path / "amazon-bundle.pem"
    p.write_bytes(amazon_ca.root_pem)
    return str(p)


# --------------------------------------------------------------------------- servers

Responder = Callable[[str, str, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]


def sts_error_answer(
    method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    doc = (b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
           b"<Code>MissingAuthenticationToken</Code><Message>Request is missing Authentication Token</Message>"
           b"</Error><RequestId>4c1f4a6e-0000-4000-8000-000000000001</RequestId></ErrorResponse>")  # fmt: skip
    return (
        403,
        {"x-amzn-RequestId": "4c1f4a6e-0000-4000-8000-000000000001", "Content-Type": "text/xml"},
        doc,
    )


def caller_identity_answer(
    method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    if "Authorization" not in headers:
        return sts_error_answer(method, path, headers, body)
    if b"AssumeRole" in body:
        doc = (b'<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>'
               b"<Credentials><AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>"
               b"<SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>"
               b"<SessionToken>FQoGZXIvYXdzSECRETSESSIONTOKEN</SessionToken>"
               b"<Expiration>2030-01-01T00:00:00Z</Expiration></Credentials>"
               b"<AssumedRoleUser><AssumedRoleId>AROA3XFRBF535EXAMPLE:demo-session</AssumedRoleId>"
               b"<Arn>arn:aws:sts::111111111111:assumed-role/demo-Role-A/demo-session</Arn></AssumedRoleUser>"
               b"</AssumeRoleResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata>"
               b"</AssumeRoleResponse>")  # fmt: skip
    else:
        doc = (b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
               b"<GetCallerIdentityResult><Arn>arn:aws:sts::123456789012:assumed-role/demo-Role-B/i-0abc</Arn>"
               b"<UserId>AROA3XFRBF535EXAMPLE:i-0abc</UserId><Account>123456789012</Account>"
               b"</GetCallerIdentityResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>"
               b"</GetCallerIdentityResponse>")  # fmt: skip
    return 200, {"x-amzn-RequestId": "r-1", "Content-Type": "text/xml"}, doc


@dataclass
class Server:
    host: str
    port: int
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    stop: Callable[[], None] = lambda: None


def serve(responder: Responder, *, chain_key: tuple[bytes, bytes] | None, tmp: Path,
          address: str = "127.0.0.1", date_offset_s: float = 0.0, delay_s: float = 0.0) -> Server:  # fmt: skip
    """A threaded HTTP(S) server on loopback; records requests; `stop()` shuts it down."""
    box: dict[str, Server] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:
            pass

        def _do(self) -> None:
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            hdrs = {k: v for k, v in self.headers.items()}
            box["s"].requests.append((self.command, self.path, hdrs, body))
            if delay_s:
                time.sleep(delay_s)
            status, headers, out = responder(self.command, self.path, hdrs, body)
            self.send_response_only(status)
            self.send_header("Date", formatdate(time.time() + date_offset_s, usegmt=True))
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(out)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(out)

        do_GET = do_POST = do_PUT = _do

    class Srv(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # clients that time out on purpose leave broken pipes behind

    httpd = Srv((address, 0), Handler)
    if chain_key is not None:
        chain, key = chain_key
        cp, kp = tmp / f"chain-{id(httpd)}.pem", tmp / f"key-{id(httpd)}.pem"
        cp.write_bytes(chain)
        kp.write_bytes(key)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cp, kp)
        httpd.socket = ctx.wrap_socket(
            httpd.socket, server_side=True, do_handshake_on_connect=False
        )
    t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()

    def stop() -> None:
        httpd.shutdown()
        httpd.server_close()
        t.join(2)

    srv = Server(address, httpd.server_address[1], stop=stop)
    box["s"] = srv
    return srv


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(responder: Responder = sts_error_answer, **kw: Any) -> Server:
        s = serve(responder, tmp=tmp_path, **kw)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


class Silent:
    """A listener whose backlog is full: further connects get no SYN-ACK (a drop)."""

    def __init__(self, address: str = "127.0.0.1") -> None:
        self.sock = socket.socket()
        self.sock.bind((address, 0))
        self.sock.listen(0)
        self.port = self.sock.getsockname()[1]
        self.fill: list[socket.socket] = []
        for _ in range(4):
            c = socket.socket()
            c.settimeout(0.3)
            try:
                c.connect((address, self.port))
            except OSError:
                c.close()
                break
            self.fill.append(c)

    def close(self) -> None:
        for c in self.fill:
            c.close()
        self.sock.close()


class Mute:
    """Accepts TCP connections and never says a word (a stalled middlebox)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.stopping = False
        self.t = threading.Thread(target=self._accept, daemon=True)
        self.t.start()

    def _accept(self) -> None:
        self.sock.settimeout(0.1)
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
                self.conns.append(c)
            except OSError:
                continue

    def close(self) -> None:
        self.stopping = True
        self.t.join(1)
        for c in self.conns:
            c.close()
        self.sock.close()


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


# --------------------------------------------------------------------------- DNS


class FakeResolver:
    def __init__(
        self, table: dict[tuple[str, str], dns.DnsAnswer | dns.DnsFailure], delay: float = 0.0
    ) -> None:
        self.table = table
        self.delay = delay
        self.calls: list[tuple[str, str, str | None]] = []

    def __call__(self, host: str, rdtype: str, ns: str | None, timeout: float) -> dns.DnsAnswer:
        self.calls.append((host, rdtype, ns))
        if self.delay:
            time.sleep(min(self.delay, timeout))
            if self.delay >= timeout:
                raise dns.DnsFailure("timeout", f"no answer within {timeout:g} s")
        got = self.table.get((host, rdtype), dns.DnsAnswer())
        if isinstance(got, dns.DnsFailure):
            raise got
        return got


# --------------------------------------------------------------------------- environment


@pytest.fixture
def aws_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No AWS variables from the host (nor REQUESTS_CA_BUNDLE, which botocore reads without
    AWS_CA_BUNDLE); config files in tmp; IMDS disabled."""
    for k in list(os.environ):
        if k.startswith("AWS_") or k.lower() in (
            "https_proxy", "http_proxy", "no_proxy", "requests_ca_bundle"
        ):  # fmt: skip
            monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    (tmp_path / "config").write_text("")
    (tmp_path / "credentials").write_text("")
    yield tmp_path


def stsdiag_cmd() -> list[str]:
    """The stsdiag of the Python that runs the tests (its venv's console script), for a
    command inside a lab world."""
    exe = Path(sys.executable).with_name("stsdiag")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "stsdiag"]


def stsdiag_json(
    w: Any, *args: str, env: dict[str, str | None] | None = None, timeout: float = 60
) -> tuple[int, dict[str, Any]]:
    """`stsdiag ARGS -o json --timeout 2` inside lab world `w`: exit status and report."""
    proc = w.run([*stsdiag_cmd(), *args, "-o", "json", "--timeout", "2"], timeout=timeout, env=env)
    assert proc.stdout, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return proc.returncode, doc
