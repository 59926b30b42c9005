"""The servers a world runs (threads of the world's supervisor process).

* ``StsServer``: TLS front(s) in front of moto's STS (in-process werkzeug/Flask
  app, i.e. what ``moto_server`` serves), answering like real STS: unsigned
  ``GET /`` redirects, unsigned actions get ``MissingAuthenticationToken``,
  a request whose ``X-Amz-Date`` is more than 15 minutes away from the server's
  (optionally skewed) clock gets ``SignatureDoesNotMatch`` "Signature expired",
  a credential scoped to another region gets "Credential should be scoped to a
  valid region", configured errors (InvalidClientTokenId, ExpiredToken,
  AccessDenied, RegionDisabledException, ...) come back as real STS error XML
  with the right HTTP status, and every response carries ``x-amzn-RequestId``
  and a ``Date`` off by the configured skew.
* ``ImdsServer``: IMDSv2 (token PUT, metadata, identity document, role
  credentials); in ``hop-limit`` mode the token PUT never answers.
* ``CaptivePortalServer``, ``SlowDripServer``, ``ConnectProxyServer``.

Every server binds only the world's own addresses, every connection has an
idle timeout, every hold/drip is bounded, and ``stop()`` closes listeners and
live connections.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import email.utils
import http.server
import io
import json
import re
import secrets
import select
import socket
import socketserver
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .spec import Instance, Server

Log = Callable[..., None]

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
SKEW_LIMIT = 15 * 60  # SigV4: requests more than 15 minutes off are rejected


# --------------------------------------------------------------------------- events


class EventLog:
    """JSON lines of what the world's servers saw (``events.jsonl`` in the run dir)."""

    def __init__(self, path: Path) -> None:
        self._fh = path.open("a", buffering=1, encoding="utf-8")
        self._lock = threading.Lock()

    def __call__(self, server: str, event: str, **fields: Any) -> None:
        rec = {"t": round(time.time(), 3), "server": server, "event": event, **fields}
        with self._lock:
            self._fh.write(json.dumps(rec, default=str) + "\n")

    def close(self) -> None:
        with self._lock:
            self._fh.close()


# --------------------------------------------------------------------------- moto


class MotoSts:
    """moto's STS Flask app, imported in a background thread (it takes ~0.7 s)."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._app: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._load, name="moto-load", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _load(self) -> None:
        try:
            from moto.server import create_backend_app

            app = create_backend_app("sts")
            # Warm up: the first request imports the STS backend.
            status, _, _ = call_wsgi(
                app,
                "POST",
                "/",
                {
                    "Host": "sts.amazonaws.com",
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20200101/us-east-1/sts/"
                    "aws4_request, SignedHeaders=host, Signature=0",
                },
                b"Action=GetCallerIdentity&Version=2011-06-15",
            )
            if status != 200:
                raise RuntimeError(f"moto warm-up answered {status}")
            self._app = app
        except BaseException as exc:  # reported by wait()
            self._error = exc
        finally:
            self._ready.set()

    def wait(self, timeout: float = 30.0) -> Any:
        if not self._ready.wait(timeout):
            raise RuntimeError("moto did not load in time")
        if self._error is not None:
            raise RuntimeError(f"moto failed to load: {self._error!r}") from self._error
        return self._app


def call_wsgi(
    app: Any, method: str, target: str, headers: dict[str, str], body: bytes, scheme: str = "https"
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Call a WSGI app in-process; return (status, headers, body)."""
    parts = urlsplit(target)
    host = headers.get("Host", "localhost")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": parts.path or "/",
        "QUERY_STRING": parts.query,
        "SERVER_NAME": host.split(":")[0],
        "SERVER_PORT": "443" if scheme == "https" else "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    for key, value in headers.items():
        k = key.upper().replace("-", "_")
        if k == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif k != "CONTENT_LENGTH":
            environ["HTTP_" + k] = value
    captured: dict[str, Any] = {}

    def start_response(
        status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        captured["status"] = int(status.split()[0])
        captured["headers"] = response_headers
        return lambda data: None

    result = app(environ, start_response)
    try:
        out = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close:
            close()
    return captured["status"], captured["headers"], out


# --------------------------------------------------------------------------- STS errors

STS_ERRORS: dict[str, tuple[int, str, str]] = {
    # code: (HTTP status, Type, message template)
    "SignatureDoesNotMatch": (
        403,
        "Sender",
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    ),
    "InvalidClientTokenId": (
        403,
        "Sender",
        "The security token included in the request is invalid.",
    ),
    "ExpiredToken": (400, "Sender", "The security token included in the request is expired"),
    "AccessDenied": (
        403,
        "Sender",
        "User: {caller} is not authorized to perform: sts:{action} on resource: {resource}",
    ),
    "RegionDisabledException": (
        403,
        "Sender",
        "STS is not activated in this region for account:{account}. Your account administrator can "
        "activate STS in this region using the IAM Console.",
    ),
    "MissingAuthenticationToken": (403, "Sender", "Request is missing Authentication Token"),
    # the AWS common errors STS answers when it fails itself (the SDK retries them)
    "ServiceUnavailable": (
        503,
        "Receiver",
        "The request has failed due to a temporary failure of the server.",
    ),
    "InternalFailure": (
        500,
        "Receiver",
        "The request processing has failed because of an unknown error, exception or failure.",
    ),
    "IncompleteSignature": (
        400,
        "Sender",
        "Request must contain a signature that conforms to AWS standards",
    ),
    "Throttling": (400, "Sender", "Rate exceeded"),
    "InvalidAction": (400, "Sender", "Could not find operation {action} for version 2011-06-15"),
}


def sts_error_xml(code: str, message: str, request_id: str, error_type: str = "Sender") -> bytes:
    def esc(s: str) -> str:
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    return (
        f'<ErrorResponse xmlns="{STS_NS}">\n'
        f"  <Error>\n"
        f"    <Type>{error_type}</Type>\n"
        f"    <Code>{esc(code)}</Code>\n"
        f"    <Message>{esc(message)}</Message>\n"
        f"  </Error>\n"
        f"  <RequestId>{request_id}</RequestId>\n"
        f"</ErrorResponse>\n"
    ).encode()


def _amz(ts: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(ts))


# actions real STS answers without a signature (the request carries its own token)
UNSIGNED_ACTIONS = frozenset({"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})


def endpoint_region(host: str) -> str | None:
    """The region an STS host name serves (None: not an STS name, e.g. an IP)."""
    host = host.split(":")[0].lower().rstrip(".")
    if host == "sts.amazonaws.com":
        return "us-east-1"
    m = re.match(r"^sts(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$", host)
    if m:
        return m.group(1)
    m = re.search(r"\.sts(?:-fips)?\.([a-z0-9-]+)\.vpce\.amazonaws\.com$", host)
    if m:
        return m.group(1)
    m = re.match(r"^sts(?:-fips)?\.([a-z0-9-]+)\.api\.aws$", host)
    if m:
        return m.group(1)
    return None


# --------------------------------------------------------------------------- base server


class LabTCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """Threading TCP server that tracks live connections so stop() can close them."""

    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 64

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[socketserver.BaseRequestHandler],
        *,
        name: str,
        log: Log,
        tls: ssl.SSLContext | None = None,
        options: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.name = name
        self.log = log
        self.tls = tls
        self.options = options or {}
        self.context = context or {}
        self.stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        super().__init__(address, handler)

    def track(self, sock: socket.socket, old: socket.socket | None = None) -> None:
        with self._conn_lock:
            if old is not None:
                self._conns.discard(old)
            self._conns.add(sock)

    def untrack(self, sock: socket.socket) -> None:
        with self._conn_lock:
            self._conns.discard(sock)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.track(request)
        super().process_request(request, client_address)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.2}, name=self.name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=2)
        self.server_close()
        with self._conn_lock:
            conns = list(self._conns)
            self._conns.clear()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()


class LabHTTPHandler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 handler with optional TLS (handshake in the connection's thread)."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # idle seconds per connection
    server: LabTCPServer

    def setup(self) -> None:
        self.tls_error: str | None = None
        if self.server.tls is not None:
            raw = self.request
            raw.settimeout(10)
            try:
                self.request = self.server.tls.wrap_socket(raw, server_side=True)
                self.server.track(self.request, raw)
            except (ssl.SSLError, OSError) as exc:
                self.tls_error = str(exc)
                self.server.log(
                    self.server.name,
                    "tls-handshake-failed",
                    peer=self.client_address[0],
                    error=str(exc),
                )
        super().setup()

    def handle(self) -> None:
        if self.tls_error is not None:
            return
        with contextlib.suppress(OSError, ssl.SSLError):
            super().handle()

    def finish(self) -> None:
        with contextlib.suppress(OSError, ssl.SSLError):
            super().finish()
        self.server.untrack(self.request)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > 10 * 1024 * 1024:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def respond(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        content_type: str | None = None,
        date: float | None = None,
    ) -> None:
        self.send_response_only(status)
        self.send_header(
            "Date", email.utils.formatdate(time.time() if date is None else date, usegmt=True)
        )
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self) -> None:
        self.dispatch()

    do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def dispatch(self) -> None:  # pragma: no cover - overridden
        self.respond(501)


# --------------------------------------------------------------------------- STS


class StsHandler(LabHTTPHandler):
    def dispatch(self) -> None:
        srv = self.server
        opts = srv.options
        skew = float(opts.get("skew_seconds", 0))
        now = time.time() + skew
        request_id = str(uuid.uuid4())
        body = self.read_body()
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        params = dict(query)
        ctype = self.headers.get("Content-Type", "")
        if body and "x-www-form-urlencoded" in ctype:
            params.update(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))
        action = (params.get("Action") or [None])[0]
        auth = self.headers.get("Authorization", "")
        signed = auth.startswith("AWS4-HMAC-SHA256") or "X-Amz-Signature" in query
        host = self.headers.get("Host", "")
        base_headers = {"x-amzn-RequestId": request_id}
        event = {
            "peer": self.client_address[0],
            "host": host,
            "method": self.command,
            "action": action,
        }

        def error(code: str, message: str | None = None) -> None:
            status, etype, template = STS_ERRORS[code]
            text = (message if message is not None else template).format(**fmt)
            srv.log(srv.name, "sts-error", code=code, status=status, **event)
            self.respond(
                status, sts_error_xml(code, text, request_id, etype), base_headers, "text/xml", now
            )

        credential = ""
        m = re.search(r"Credential=([^,\s]+)", auth)
        if m:
            credential = m.group(1)
        elif "X-Amz-Credential" in query:
            credential = query["X-Amz-Credential"][0]
        cparts = credential.split("/")
        access_key = cparts[0] if cparts else ""
        account = str(srv.context.get("account_id", "123456789012"))
        fmt = {
            "action": action or "",
            "account": account,
            "caller": f"arn:aws:iam::{account}:user/lab-user",
            "resource": (params.get("RoleArn") or [f"arn:aws:iam::{account}:role/unknown"])[0],
        }

        if not signed and action not in UNSIGNED_ACTIONS:
            if action is None and self.command in ("GET", "HEAD"):
                srv.log(srv.name, "sts-unsigned-root", **event)
                self.respond(
                    302, b"", {**base_headers, "Location": "https://aws.amazon.com/iam"}, None, now
                )
                return
            error("MissingAuthenticationToken")
            return
        # real STS takes AssumeRoleWithWebIdentity / AssumeRoleWithSAML unsigned (the request
        # carries its own token): only signed requests get the signature checks
        if signed and not self._signature_ok(cparts, query, now, host, error):
            return
        configured = opts.get("error")
        if configured:
            actions = opts.get("error_actions") or []
            when = opts.get("error_when", "always")
            token = (
                self.headers.get("X-Amz-Security-Token")
                or (query.get("X-Amz-Security-Token") or [""])[0]
            )
            applies = (not actions or action in actions) and (
                when == "always"
                or (when == "session-token" and bool(token))
                or (when == "v1-session-token" and token.startswith("FQoG"))
            )
            if applies:
                error(str(configured), opts.get("error_message"))
                return
        app = srv.context["moto"].wait()
        headers = {k: v for k, v in self.headers.items()}
        status, resp_headers, out = call_wsgi(app, self.command, self.path, headers, body)
        drop = {"date", "server", "content-length", "connection", "access-control-allow-origin"}
        hdrs = {k: v for k, v in resp_headers if k.lower() not in drop}
        if not any(k.lower() == "x-amzn-requestid" for k in hdrs):
            hdrs.update(base_headers)
        srv.log(srv.name, "sts-call", status=status, access_key=access_key, **event)
        self.respond(status, out, hdrs, None, now)

    def _signature_ok(
        self,
        cparts: list[str],
        query: dict[str, list[str]],
        now: float,
        host: str,
        error: Callable[..., None],
    ) -> bool:
        """SigV4 shape, date within 15 minutes of the server clock, scope service and region."""
        if len(cparts) != 5:
            error("IncompleteSignature")
            return False
        amz_date = self.headers.get("X-Amz-Date") or (query.get("X-Amz-Date") or [""])[0]
        try:
            req_ts = (
                _dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
                .replace(tzinfo=_dt.timezone.utc)
                .timestamp()
            )
        except ValueError:
            error(
                "IncompleteSignature",
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
            )
            return False
        if req_ts < now - SKEW_LIMIT:
            error(
                "SignatureDoesNotMatch",
                f"Signature expired: {_amz(req_ts)} is now earlier than {_amz(now - SKEW_LIMIT)} "
                f"({_amz(now)} - 15 min.)",
            )
            return False
        if req_ts > now + SKEW_LIMIT:
            error(
                "SignatureDoesNotMatch",
                f"Signature not yet current: {_amz(req_ts)} is still later than {_amz(now + SKEW_LIMIT)} "
                f"({_amz(now)} + 15 min.)",
            )
            return False
        scope_region, scope_service = cparts[2], cparts[3]
        if scope_service != "sts":
            error(
                "SignatureDoesNotMatch", "Credential should be scoped to correct service: 'sts'. "
            )
            return False
        host_region = endpoint_region(host)
        if host_region and scope_region != host_region:
            error("SignatureDoesNotMatch", "Credential should be scoped to a valid region. ")
            return False
        return True


# --------------------------------------------------------------------------- IMDS


class ImdsHandler(LabHTTPHandler):
    timeout = 10

    def version_string(self) -> str:
        return "EC2ws"

    def dispatch(self) -> None:
        srv = self.server
        inst: Instance = srv.context["instance"]
        tokens: dict[str, float] = srv.context.setdefault("tokens", {})
        self.read_body()
        path = urlsplit(self.path).path
        headers = {
            "Server": "EC2ws",
            "Connection": "close" if self.close_connection else "keep-alive",
        }
        event = {"peer": self.client_address[0], "method": self.command, "path": path}
        if inst.imds_delay > 0:  # a slow metadata service: every answer waits
            srv.log("imds", "delayed", seconds=inst.imds_delay, **event)
            srv.stopping.wait(inst.imds_delay)
        if self.command == "PUT" and path == "/latest/api/token":
            if inst.imds == "hop-limit":
                # The response would die in transit (TTL 1, one hop too many): never answer.
                srv.log("imds", "token-put-held", **event)
                deadline = time.time() + float(srv.options.get("hold_seconds", 120))
                while time.time() < deadline and not srv.stopping.is_set():
                    if _peer_closed(self.connection, 0.1):
                        break
                self.close_connection = True
                return
            if inst.imds == "v1-only":
                # an IMDS without IMDSv2 (emulators, older metadata services)
                srv.log("imds", "token-put-unsupported", status=inst.token_status, **event)
                self.respond(inst.token_status, b"", headers, "text/plain")
                return
            if self.headers.get("X-Forwarded-For"):
                srv.log("imds", "token-put-forwarded", **event)
                self.respond(403, b"", headers, "text/plain")
                return
            try:
                ttl = int(self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", ""))
            except ValueError:
                ttl = -1
            if not 1 <= ttl <= 21600:
                srv.log("imds", "token-put-bad-ttl", **event)
                self.respond(400, b"", headers, "text/plain")
                return
            token = secrets.token_urlsafe(42)
            tokens[token] = time.time() + ttl
            srv.log("imds", "token-issued", ttl=ttl, **event)
            self.respond(
                200,
                token.encode(),
                {**headers, "X-aws-ec2-metadata-token-ttl-seconds": str(ttl)},
                "text/plain",
            )
            return
        if self.command not in ("GET", "HEAD"):
            self.respond(405, b"", headers, "text/plain")
            return
        token = self.headers.get("X-aws-ec2-metadata-token")
        if token is not None:
            if tokens.get(token, 0) < time.time():
                srv.log("imds", "bad-token", **event)
                self.respond(401, b"", headers, "text/plain")
                return
        elif not inst.imdsv1:
            srv.log("imds", "v1-refused", **event)
            self.respond(401, b"", headers, "text/plain")
            return
        value = imds_lookup(inst, path, srv.context)
        if value is None:
            srv.log("imds", "not-found", v1=token is None, **event)
            self.respond(404, _IMDS_404, headers, "text/html")
            return
        srv.log("imds", "get", v1=token is None, **event)
        self.respond(200, value.encode(), headers, "text/plain")


def _peer_closed(sock: socket.socket, wait: float) -> bool:
    """True once the client has gone (readable with EOF, or an error)."""
    try:
        readable, _, _ = select.select([sock], [], [], wait)
        if not readable:
            return False
        return sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


_IMDS_404 = (
    b'<?xml version="1.0" encoding="iso-8859-1"?>\n<!DOCTYPE html>\n<html><head><title>404 - Not Found</title>'
    b"</head><body><h1>404 - Not Found</h1></body></html>\n"
)


def imds_tree(inst: Instance, context: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    host = "ip-" + inst.local_ipv4.replace(".", "-") + f".{inst.region}.compute.internal"
    mac = inst.mac
    now = time.time()
    meta = {
        "ami-id": "ami-0abcdef1234567890",
        "hostname": host,
        "instance-id": inst.instance_id,
        "instance-type": "t3.micro",
        "local-hostname": host,
        "local-ipv4": inst.local_ipv4,
        "mac": mac,
        "placement/availability-zone": inst.availability_zone,
        "placement/availability-zone-id": inst.availability_zone_id or "apne1-az4",
        "placement/region": inst.region,
        "services/domain": "amazonaws.com",
        "services/partition": "aws",
        f"network/interfaces/macs/{mac}/device-number": "0",
        f"network/interfaces/macs/{mac}/local-ipv4s": inst.local_ipv4,
        f"network/interfaces/macs/{mac}/mac": mac,
        f"network/interfaces/macs/{mac}/owner-id": inst.account_id,
        f"network/interfaces/macs/{mac}/subnet-id": inst.subnet_id,
        f"network/interfaces/macs/{mac}/subnet-ipv4-cidr-block": inst.subnet_cidr,
        f"network/interfaces/macs/{mac}/vpc-id": inst.vpc_id,
        f"network/interfaces/macs/{mac}/vpc-ipv4-cidr-block": inst.vpc_cidr,
        f"network/interfaces/macs/{mac}/vpc-ipv4-cidr-blocks": inst.vpc_cidr,
    }
    if inst.vpc_ipv6_cidr:
        meta[f"network/interfaces/macs/{mac}/vpc-ipv6-cidr-blocks"] = inst.vpc_ipv6_cidr
    if inst.role:
        iso = lambda ts: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))  # noqa: E731
        meta["iam/info"] = json.dumps(
            {
                "Code": "Success",
                "LastUpdated": iso(now),
                "InstanceProfileArn": f"arn:aws:iam::{inst.account_id}:instance-profile/{inst.role}",
                "InstanceProfileId": "AIPAEXAMPLEINSTANCEPROF",
            },
            indent=2,
        )
        if inst.role_error:  # what IMDS serves when EC2 cannot assume the role (aws-cli#2060)
            meta[f"iam/security-credentials/{inst.role}"] = json.dumps(
                {
                    "Code": inst.role_error,
                    "Message": f"EC2 cannot assume the role {inst.role}.  Please see documentation at "
                    "http://docs.amazonwebservices.com/IAM/latest/UserGuide/RolesTroubleshooting.html.",
                    "LastUpdated": iso(now),
                },
                indent=2,
            )
        else:
            meta[f"iam/security-credentials/{inst.role}"] = json.dumps(
                {
                    "Code": "Success",
                    "LastUpdated": iso(now),
                    "Type": "AWS-HMAC",
                    "AccessKeyId": "ASIAIMDSEXAMPLEROLE01",
                    "SecretAccessKey": "imdsLabSecretKeyEXAMPLEdoNotUseAnywhere000",
                    "Token": "IQoJb3JpZ2luX2VjEXAMPLEInstanceRoleSessionTokenForTheLab0000",
                    "Expiration": iso(now + 6 * 3600),
                },
                indent=2,
            )
    dynamic = {
        "instance-identity/document": json.dumps(
            {
                "accountId": inst.account_id,
                "architecture": "x86_64",
                "availabilityZone": inst.availability_zone,
                "billingProducts": None,
                "devpayProductCodes": None,
                "marketplaceProductCodes": None,
                "imageId": "ami-0abcdef1234567890",
                "instanceId": inst.instance_id,
                "instanceType": "t3.micro",
                "kernelId": None,
                "pendingTime": "2024-01-01T00:00:00Z",
                "privateIp": inst.local_ipv4,
                "ramdiskId": None,
                "region": inst.region,
                "version": "2017-09-30",
            },
            indent=2,
        )
    }
    return meta, dynamic


def _listing(tree: dict[str, str], prefix: str) -> str | None:
    prefix = prefix.strip("/")
    if prefix in tree:
        return tree[prefix]
    children: dict[str, None] = {}
    for key in tree:
        if prefix == "" or key.startswith(prefix + "/"):
            rest = key[len(prefix) + 1 :] if prefix else key
            head, sep, _ = rest.partition("/")
            children[head + ("/" if sep else "")] = None
    if not children:
        return None
    return "\n".join(sorted(children))


def imds_lookup(inst: Instance, path: str, context: dict[str, Any]) -> str | None:
    meta, dynamic = imds_tree(inst, context)
    if path in ("/", ""):
        return "latest"
    if path.rstrip("/") == "/latest":
        return "dynamic\nmeta-data\nuser-data"
    if path.startswith("/latest/meta-data"):
        return _listing(meta, path[len("/latest/meta-data") :])
    if path.startswith("/latest/dynamic"):
        return _listing(dynamic, path[len("/latest/dynamic") :])
    return None


# --------------------------------------------------------------------------- faults

CAPTIVE_PAGE = b"""<!DOCTYPE html>
<html><head><title>Guest Wi-Fi - Sign in</title></head>
<body><h1>Welcome to Guest Wi-Fi</h1>
<p>Please accept the terms of use to continue to the Internet.</p>
<form method="post" action="http://portal.guest-wifi.example/login"><button>Accept and connect</button></form>
</body></html>
"""


class CaptivePortalHandler(LabHTTPHandler):
    def dispatch(self) -> None:
        self.read_body()
        self.close_connection = True
        self.server.log(
            self.server.name,
            "captive-page",
            peer=self.client_address[0],
            path=self.path,
            host=self.headers.get("Host", ""),
        )
        self.respond(
            200,
            CAPTIVE_PAGE,
            {"Server": "GuestPortal/2.1", "Cache-Control": "no-store"},
            "text/html; charset=utf-8",
        )


class SlowDripHandler(LabHTTPHandler):
    """Reads the request, waits ``first_byte_delay``, then drips a byte per ``interval``."""

    def dispatch(self) -> None:
        srv = self.server
        self.read_body()
        first = float(srv.options.get("first_byte_delay", 30))
        interval = float(srv.options.get("interval", 1.0))
        deadline = time.time() + float(srv.options.get("max_seconds", 60))
        srv.log(srv.name, "slow-drip-start", peer=self.client_address[0], path=self.path)
        payload = (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n"
            + b" " * 100000
        )
        start = time.time()
        while time.time() < start + first:
            if srv.stopping.is_set() or time.time() > deadline:
                self.close_connection = True
                return
            time.sleep(0.1)
        for i in range(len(payload)):
            if srv.stopping.is_set() or time.time() > deadline:
                break
            try:
                self.wfile.write(payload[i : i + 1])
                self.wfile.flush()
            except OSError:
                break
            end = time.time() + interval
            while time.time() < end and not srv.stopping.is_set():
                time.sleep(min(0.1, interval))
        self.close_connection = True


class StallHandler(socketserver.BaseRequestHandler):
    """Accepts the TCP connection, reads what comes (a TLS ClientHello) and never answers: a
    firewall or DPI box that stalls TLS, or a path-MTU black hole (the ServerHello's full-size
    packets never arrive). Holds the connection until the client leaves, ``max_seconds`` pass
    or the world stops."""

    server: LabTCPServer

    def handle(self) -> None:
        _hold(self.request, self.server, "stall", peer=self.client_address[0])

    def finish(self) -> None:
        self.server.untrack(self.request)


def _hold(sock: socket.socket, srv: LabTCPServer, what: str, **fields: Any) -> None:
    """Read and discard until the peer closes, ``max_seconds`` pass or the world stops."""
    srv.log(srv.name, f"{what}-accepted", **fields)
    deadline = time.time() + float(srv.options.get("max_seconds", 60))
    got = 0
    sock.settimeout(0.2)
    while not srv.stopping.is_set() and time.time() < deadline:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            break
        if not data:
            break
        got += len(data)
    srv.log(srv.name, f"{what}-closed", bytes=got, **fields)


class SynDropServer:
    """A listener whose accept queue is full and never drained: the kernel drops every further
    SYN, so connects time out as behind a firewall or security group that drops. Unlike a
    `drop` route (an IPv6 prefix routed via lo answers 'Network is unreachable' after ~1 s),
    the address is local, so getaddrinfo sorts it as reachable (an IPv6 one first)."""

    def __init__(self, address: tuple[str, int], *, name: str, log: Log) -> None:
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.name = name
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(address)
        self.listener.listen(0)
        self.filler = socket.socket(family, socket.SOCK_STREAM)
        self.filler.settimeout(2)
        self.filler.connect(address)  # fills the queue of one: later SYNs are dropped
        log(name, "syn-drop-ready", address=address[0], port=address[1])

    def start(self) -> None:
        return

    def stop(self) -> None:
        for sock in (self.filler, self.listener):
            with contextlib.suppress(OSError):
                sock.close()


# --------------------------------------------------------------------------- CONNECT proxy


class ConnectProxyHandler(socketserver.StreamRequestHandler):
    """HTTP proxy: CONNECT (tunnel, or intercept TLS with the gateway CA) and absolute-form HTTP."""

    timeout = 30
    server: LabTCPServer

    def _head(self) -> tuple[str, str, str, dict[str, str]] | None:
        lines: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(8192)
            if not line:
                return None
            total += len(line)
            if total > 65536:
                return None
            if line in (b"\r\n", b"\n"):
                break
            lines.append(line)
        if not lines:
            return None
        try:
            method, target, version = lines[0].decode("latin-1").strip().split(" ", 2)
        except ValueError:
            return None
        headers: dict[str, str] = {}
        for raw in lines[1:]:
            key, _, value = raw.decode("latin-1").partition(":")
            headers[key.strip().lower()] = value.strip()
        return method, target, version, headers

    def _reply(self, status: int, reason: str, text: str = "", extra: str = "") -> None:
        body = (
            f"<html><body><h1>{status} {reason}</h1><p>{text}</p>"
            f"<hr>Example Corp Secure Web Gateway</body></html>\n"
        ).encode()
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n"
            f"Proxy-Agent: ExampleCorp-SWG/4.2\r\n{extra}Connection: close\r\n\r\n"
        ).encode()
        try:
            self.wfile.write(head + body)
            self.wfile.flush()
        except OSError:
            pass

    def _upstream(self, host: str, port: int) -> socket.socket | None:
        srv = self.server
        timeout = float(srv.options.get("connect_timeout", 5))
        rewrite = srv.options.get("rewrite") or {}  # destination -> where the proxy really goes
        if host in rewrite:
            srv.log(srv.name, "rewrite", host=host, to=rewrite[host])
            host = str(rewrite[host])
        try:
            return socket.create_connection((host, port), timeout=timeout)
        except socket.gaierror as exc:
            srv.log(srv.name, "upstream-dns-failed", host=host, error=str(exc))
            self._reply(502, "Bad Gateway", f"DNS lookup of {host} failed")
        except TimeoutError:
            srv.log(srv.name, "upstream-timeout", host=host, port=port)
            self._reply(504, "Gateway Timeout", f"connection to {host}:{port} timed out")
        except OSError as exc:
            srv.log(srv.name, "upstream-failed", host=host, port=port, error=str(exc))
            self._reply(502, "Bad Gateway", f"connection to {host}:{port} failed: {exc}")
        return None

    def handle(self) -> None:
        srv = self.server
        try:
            if self.connection.recv(1, socket.MSG_PEEK) == b"\x16":
                # a TLS ClientHello where an HTTP request belongs (HTTPS_PROXY=https://... to a
                # plain-HTTP proxy): answered as squid does, 400 in plain HTTP, then closed
                self.connection.recv(16384)
                srv.log(srv.name, "tls-to-plain-proxy", peer=self.client_address[0])
                self._reply(400, "Bad Request", "invalid request: TLS sent to an HTTP proxy port")
                return
            head = self._head()
        except (OSError, ValueError):
            return
        if head is None:
            return
        method, target, _version, headers = head
        peer = self.client_address[0]
        auth = srv.options.get("auth")  # "user:password": Basic proxy authentication required
        if auth:
            want = "Basic " + base64.b64encode(str(auth).encode()).decode()
            got = headers.get("proxy-authorization", "")
            if got != want:
                srv.log(srv.name, "auth-required", peer=peer, target=target,
                        credentials="wrong" if got else "none")  # fmt: skip
                self._reply(407, "Proxy Authentication Required", "credentials required",
                            extra='Proxy-Authenticate: Basic realm="Example Corp SWG"\r\n')  # fmt: skip
                return
        denied = {str(d) for d in srv.options.get("deny", [])}  # destinations refused by policy
        dest = (
            target.rpartition(":")[0].strip("[]")
            if method == "CONNECT"
            else urlsplit(target).hostname
        )
        if dest in denied:
            srv.log(srv.name, "denied", peer=peer, method=method, target=target)
            self._reply(403, "Forbidden", f"access to {dest} is denied by policy")
            return
        if method == "CONNECT":
            host, _, port_s = target.rpartition(":")
            host = host.strip("[]")
            try:
                port = int(port_s)
            except ValueError:
                self._reply(400, "Bad Request")
                return
            mode = srv.options.get("mode", "tunnel")
            srv.log(srv.name, "connect", peer=peer, host=host, port=port, mode=mode)
            if mode == "hang":  # reads CONNECT and never answers it
                _hold(self.connection, srv, "connect-hang", peer=peer, host=host)
                return
            if mode == "dead-tunnel":  # 200 Connection established, then nothing goes through
                with contextlib.suppress(OSError):
                    self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    self.wfile.flush()
                _hold(self.connection, srv, "dead-tunnel", peer=peer, host=host)
                return
            upstream = self._upstream(host, port)
            if upstream is None:
                return
            try:
                self.wfile.write(
                    b"HTTP/1.1 200 Connection established\r\nProxy-Agent: ExampleCorp-SWG/4.2\r\n\r\n"
                )
                self.wfile.flush()
                if mode == "intercept":
                    self._intercept(host, upstream)
                else:
                    _relay(self.connection, upstream, srv.stopping)
            finally:
                upstream.close()
            return
        # absolute-form HTTP request (e.g. http://169.254.169.254/...)
        parts = urlsplit(target)
        if parts.scheme != "http" or not parts.hostname:
            self._reply(400, "Bad Request", "only absolute http:// URLs and CONNECT")
            return
        srv.log(srv.name, "forward", peer=peer, method=method, url=target)
        upstream = self._upstream(parts.hostname, parts.port or 80)
        if upstream is None:
            return
        try:
            length = int(headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            path = parts.path or "/"
            if parts.query:
                path += "?" + parts.query
            out = [f"{method} {path} HTTP/1.1"]
            for key, value in headers.items():
                if key in ("proxy-connection", "connection", "keep-alive", "proxy-authorization"):
                    continue
                out.append(f"{key}: {value}")
            out += ["Connection: close", "Via: 1.1 swg.example.corp", "", ""]
            upstream.settimeout(float(srv.options.get("read_timeout", 10)))
            upstream.sendall("\r\n".join(out).encode("latin-1") + body)
            deadline = time.time() + 30
            while time.time() < deadline:
                chunk = upstream.recv(65536)
                if not chunk:
                    break
                self.wfile.write(chunk)
            self.wfile.flush()
        except OSError:
            pass
        finally:
            upstream.close()

    def _intercept(self, host: str, upstream: socket.socket) -> None:
        srv = self.server
        mint: Callable[[str], ssl.SSLContext] = srv.context["mint"]
        client_ctx = mint(host)
        sock = self.connection
        sock.settimeout(10)
        try:
            client_tls = client_ctx.wrap_socket(sock, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            srv.log(srv.name, "intercept-client-handshake-failed", host=host, error=str(exc))
            return
        try:
            upstream_ctx: ssl.SSLContext = srv.context["upstream_tls"]
            try:
                up_tls = upstream_ctx.wrap_socket(upstream, server_hostname=host)
            except (ssl.SSLError, OSError) as exc:
                srv.log(srv.name, "intercept-upstream-tls-failed", host=host, error=str(exc))
                body = f"upstream TLS to {host} failed: {exc}\n".encode()
                client_tls.sendall(
                    b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                return
            srv.log(srv.name, "intercepted", host=host)
            _relay(client_tls, up_tls, srv.stopping)
        finally:
            with contextlib.suppress(OSError):
                client_tls.close()


def _relay(
    a: socket.socket, b: socket.socket, stopping: threading.Event, idle: float = 30.0
) -> None:
    """Pump bytes both ways until either side closes, ``idle`` seconds pass, or the world stops."""
    a.settimeout(0.2)
    b.settimeout(0.2)
    last = time.time()
    socks = [a, b]
    while not stopping.is_set() and time.time() - last < idle:
        ready = [s for s in socks if isinstance(s, ssl.SSLSocket) and s.pending()]
        if not ready:
            try:
                ready, _, _ = select.select(socks, [], [], 0.2)
            except (OSError, ValueError):
                return
        for src in ready:
            dst = b if src is a else a
            try:
                data = src.recv(65536)
            except (TimeoutError, ssl.SSLWantReadError):
                continue
            except (OSError, ssl.SSLError):
                return
            if not data:
                return
            try:
                dst.sendall(data)
            except (OSError, ssl.SSLError):
                return
            last = time.time()


def handler_for(server: Server) -> type[socketserver.BaseRequestHandler]:
    return {
        "sts": StsHandler,
        "tls-other-ca": StsHandler,
        "captive-portal": CaptivePortalHandler,
        "slow-drip": SlowDripHandler,
        "connect-proxy": ConnectProxyHandler,
        "tls-stall": StallHandler,
    }[server.kind]
