"""TLS layer: handshake with SNI, chain verified against the CA bundle the SDK uses, names
checked, issuer and expiry reported, interception recognised (a leaf not issued by the CAs
AWS uses). Standard library only: the certificate's issuer is read with a small DER walker so
an unverifiable certificate can still be described."""

from __future__ import annotations

import datetime as dt
import os
import socket
import ssl
from dataclasses import dataclass

from stsdiag.models import ErrorKind, Layer, LayerResult, Status
from stsdiag.probes import bad, ms_since, now, ok, proxy_label
from stsdiag.probes.tcp import error_kind as tcp_error_kind
from stsdiag.probes.tcp import open_socket, open_tunnel

# Organisations that issue the certificates of AWS service endpoints: Amazon Trust Services
# today; DigiCert and Starfield (cross-signing Amazon's roots) on older or China endpoints.
AWS_ISSUER_ORGS = frozenset({"Amazon", "DigiCert Inc", "Starfield Technologies, Inc."})

_OIDS = {"2.5.4.3": "CN", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.6": "C"}


class DerError(ValueError):
    pass


def _tlv(buf: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the DER element at pos."""
    if pos + 2 > len(buf):
        raise DerError("truncated")
    tag = buf[pos]
    length = buf[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0 or n > 4 or pos + n > len(buf):
            raise DerError("bad length")
        length = int.from_bytes(buf[pos : pos + n], "big")
        pos += n
    if pos + length > len(buf):
        raise DerError("truncated value")
    return tag, pos, pos + length


def _children(buf: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    out: list[tuple[int, int, int]] = []
    pos = start
    while pos < end and len(out) < 64:
        tag, vs, ve = _tlv(buf, pos)
        out.append((tag, vs, ve))
        pos = ve
    return out


def _oid(raw: bytes) -> str:
    if not raw:
        return ""
    parts = [raw[0] // 40, raw[0] % 40]
    val = 0
    for b in raw[1:]:
        val = (val << 7) | (b & 0x7F)
        if not b & 0x80:
            parts.append(val)
            val = 0
    return ".".join(str(p) for p in parts)


def _string(tag: int, raw: bytes) -> str:
    if tag == 0x1E:
        return raw.decode("utf-16-be", "replace")
    return raw.decode("utf-8" if tag == 0x0C else "latin-1", "replace")


def _name(buf: bytes, start: int, end: int) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for _, rs, re_ in _children(buf, start, end):  # RDN sets
        for _, as_, ae in _children(buf, rs, re_):  # AttributeTypeAndValue
            kids = _children(buf, as_, ae)
            if len(kids) == 2:
                oid = _oid(buf[kids[0][1] : kids[0][2]])
                if oid in _OIDS:
                    out.append((_OIDS[oid], _string(kids[1][0], buf[kids[1][1] : kids[1][2]])))
    return tuple(out)


def _time(tag: int, raw: bytes) -> dt.datetime:
    text = raw.decode("ascii").rstrip("Z")
    fmt = "%y%m%d%H%M%S" if tag == 0x17 else "%Y%m%d%H%M%S"
    return dt.datetime.strptime(text[: 12 if tag == 0x17 else 14], fmt).replace(
        tzinfo=dt.timezone.utc
    )


@dataclass(frozen=True, slots=True)
class CertFacts:
    issuer: tuple[tuple[str, str], ...]
    subject: tuple[tuple[str, str], ...]
    not_after: dt.datetime
    dns_names: tuple[str, ...]  # subjectAltName dNSName entries


def cert_facts(der: bytes) -> CertFacts:
    """Issuer, subject, expiry and DNS names of a DER certificate."""
    _, cs, ce = _tlv(der, 0)
    _, ts, te = _children(der, cs, ce)[0]
    kids = _children(der, ts, te)
    i = 1 if kids and kids[0][0] == 0xA0 else 0
    issuer = _name(der, kids[i + 2][1], kids[i + 2][2])
    validity = _children(der, kids[i + 3][1], kids[i + 3][2])
    not_after = _time(validity[1][0], der[validity[1][1] : validity[1][2]])
    subject = _name(der, kids[i + 4][1], kids[i + 4][2])
    names: list[str] = []
    for tag, vs, ve in kids[i + 6 :]:
        if tag != 0xA3:  # [3] extensions
            continue
        (_, es, ee), *_ = _children(der, vs, ve)
        for _, xs, xe in _children(der, es, ee):
            parts = _children(der, xs, xe)
            if _oid(der[parts[0][1] : parts[0][2]]) != "2.5.29.17":  # subjectAltName
                continue
            _, os_, _ = parts[-1]  # extnValue OCTET STRING holding GeneralNames
            _, gs, ge = _tlv(der, os_)
            names += [
                der[a:b].decode("ascii", "replace")
                for t, a, b in _children(der, gs, ge)
                if t == 0x82
            ]
    return CertFacts(issuer, subject, not_after, tuple(names))


def names_match(host: str, facts: CertFacts) -> bool:
    """Does the certificate name `host` (SAN dNSName, else subject CN; `*.` one label)?"""
    h = host.lower().rstrip(".")
    names = facts.dns_names or tuple(v for k, v in facts.subject if k == "CN")
    for n in names:
        n = n.lower().rstrip(".")
        if n == h or (n.startswith("*.") and h.count(".") >= 2 and h.split(".", 1)[1] == n[2:]):
            return True
    return False


def dn(attrs: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{k}={v}" for k, v in attrs)


def is_aws_issuer(issuer: tuple[tuple[str, str], ...]) -> bool:
    orgs = {v for k, v in issuer if k == "O"}
    cns = [v for k, v in issuer if k == "CN"]
    return bool(orgs & AWS_ISSUER_ORGS) or (not orgs and any(cn.startswith("Amazon") for cn in cns))


def _connect(
    address: str, port: int, host: str, timeout: float, proxy: str | None
) -> socket.socket:
    if proxy:
        return open_tunnel(proxy, host, port, timeout)
    return open_socket(address, port, timeout)


def sdk_context(cafile: str | None) -> ssl.SSLContext:
    """A context that verifies as botocore does: built by botocore's own
    `create_urllib3_context` (which, unlike Python 3.13's default context and urllib3 2.x's
    there, adds no VERIFY_X509_STRICT: a corporate CA without key identifiers passes the SDK,
    so it must pass here), with the SDK's CA bundle."""
    from botocore.httpsession import create_urllib3_context

    ctx: ssl.SSLContext = create_urllib3_context()
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.check_hostname = True
    if cafile:
        ctx.load_verify_locations(cafile)
    else:
        ctx.load_default_certs()
    return ctx


def _peer_der(
    address: str, port: int, host: str, timeout: float, proxy: str | None
) -> bytes | None:
    """The leaf certificate without verification (to describe a certificate that failed)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with (
            _connect(address, port, host, timeout, proxy) as raw,
            ctx.wrap_socket(raw, server_hostname=host) as s,
        ):
            return s.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return None


# what the handshake with botocore's own bundle leaves in a failed layer's data (the facts
# about the server's certificate; never `intercepted`: the layer failed for the bundle)
_FALLBACK_KEYS = (
    "tls_version",
    "issuer",
    "subject",
    "dns_names",
    "names_host",
    "not_after",
    "days_left",
)


def _bundle_fault(
    address: str,
    port: int,
    host: str,
    timeout: float,
    ca_bundle: str,
    proxy: str | None,
    now_utc: dt.datetime | None,
    detail: str,
    verify_error: str,
    via: tuple[tuple[str, str], ...],
) -> LayerResult:
    """The SDK's CA bundle is missing or unusable: botocore fails every HTTPS call before it
    sends one. The handshake is still made, with botocore's own bundle (what the SDK uses once
    the setting is gone), to say whether that alone would verify this endpoint."""
    from botocore.httpsession import get_cert_path

    data: list[tuple[str, str]] = [("verified", "false"), ("verify_error", verify_error), *via]
    default = str(get_cert_path(True))
    if default and default != ca_bundle and os.path.isfile(default):
        r = probe(
            address, port, host, timeout=timeout, ca_bundle=default, proxy=proxy, now_utc=now_utc
        )
        seen = dict(r.data)
        data += [(k, seen[k]) for k in _FALLBACK_KEYS if k in seen]
        verdict = (
            "verifies" if r.status is Status.OK
            else f"fails: {seen['verify_error']}" if seen.get("verify_error")
            else f"no handshake: {r.detail}"
        )  # fmt: skip
        data += [("default_bundle", default), ("default_bundle_result", verdict)]
        detail += f"; with botocore's own bundle the certificate {verdict}"
        return bad(Layer.TLS, Status.FAIL, ErrorKind.SSL, detail, r.ms, tuple(data))
    return bad(Layer.TLS, Status.FAIL, ErrorKind.SSL, detail, None, tuple(data))


def probe(
    address: str,
    port: int,
    host: str,
    *,
    timeout: float,
    ca_bundle: str | None,
    proxy: str | None = None,
    now_utc: dt.datetime | None = None,
) -> LayerResult:
    start = now()
    via: tuple[tuple[str, str], ...] = (("via", proxy_label(proxy)),) if proxy else ()
    if ca_bundle and os.path.isdir(ca_bundle):  # botocore loads it as a file: [Errno 21]
        return _bundle_fault(address, port, host, timeout, ca_bundle, proxy, now_utc,
                             f"CA bundle {ca_bundle} is a directory", "CA bundle is a directory", via)  # fmt: skip
    if ca_bundle and not os.path.isfile(ca_bundle):
        return _bundle_fault(address, port, host, timeout, ca_bundle, proxy, now_utc,
                             f"CA bundle {ca_bundle} does not exist", "CA bundle file missing", via)  # fmt: skip
    try:
        ctx = sdk_context(ca_bundle)
    except (OSError, ssl.SSLError) as e:
        return _bundle_fault(address, port, host, timeout, ca_bundle or "", proxy, now_utc,
                             f"CA bundle {ca_bundle} unusable: {e}", "CA bundle unusable", via)  # fmt: skip
    verify_error = ""
    der: bytes | None = None
    version = ""
    try:
        raw = _connect(address, port, host, timeout, proxy)
    except OSError as e:
        st, kind, text = tcp_error_kind(e)
        return bad(Layer.TLS, st, ErrorKind.PROXY if proxy else kind, text, ms_since(start), via)
    try:
        with raw:
            raw.settimeout(max(0.05, timeout - (now() - start)))
            with ctx.wrap_socket(raw, server_hostname=host) as s:
                der = s.getpeercert(binary_form=True)
                version = s.version() or ""
    except ssl.SSLCertVerificationError as e:
        verify_error = str(e.verify_message or e.reason or e)
    except TimeoutError:
        return bad(Layer.TLS, Status.TIMEOUT, ErrorKind.READ_TIMEOUT,
                   "TLS handshake stalled: TCP connected, no ServerHello in time",
                   ms_since(start), (("stalled", "handshake"), *via))  # fmt: skip
    except ssl.SSLError as e:
        return bad(Layer.TLS, Status.FAIL, ErrorKind.SSL, f"TLS handshake failed: {e.reason or e}",
                   ms_since(start), via)  # fmt: skip
    except OSError as e:
        st, kind, text = tcp_error_kind(e)
        return bad(Layer.TLS, st, kind, f"during the TLS handshake: {text}", ms_since(start), via)
    ms = ms_since(start)
    if der is None:
        der = _peer_der(address, port, host, max(0.05, timeout), proxy)
    data: list[tuple[str, str]] = [("verified", "false" if verify_error else "true"), *via]
    if version:
        data.append(("tls_version", version))
    issuer: tuple[tuple[str, str], ...] = ()
    named = True
    if der:
        try:
            facts = cert_facts(der)
            issuer = facts.issuer
            named = names_match(host, facts)
            when = now_utc or dt.datetime.now(dt.timezone.utc)
            data += [
                ("issuer", dn(facts.issuer)),
                ("subject", dn(facts.subject)),
                ("dns_names", " ".join(facts.dns_names[:8])),
                ("names_host", "true" if named else "false"),
                ("not_after", facts.not_after.isoformat()),
                ("days_left", str((facts.not_after - when).days)),
            ]
        except (DerError, IndexError, ValueError) as e:
            data.append(("cert_error", f"unreadable certificate: {e}"))
    # interception = a certificate minted for *our* host name by a CA AWS does not use; a
    # certificate for another name (a captive portal's own) is something else answering
    intercepted = bool(issuer) and named and not is_aws_issuer(issuer)
    data.append(("intercepted", "true" if intercepted else "false"))
    who = dn(issuer) or "unknown issuer"
    if verify_error:
        data.append(("verify_error", verify_error))
        return bad(Layer.TLS, Status.FAIL, ErrorKind.SSL, f"certificate not trusted: {verify_error} (issuer {who})",
                   ms, tuple(data))  # fmt: skip
    note = "; not issued by AWS's CAs" if intercepted else ""
    return ok(Layer.TLS, ms, f"verified, issuer {who}{note}", tuple(data))
