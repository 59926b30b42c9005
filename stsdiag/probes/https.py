"""HTTPS layer: an unsigned STS request through `requests`, pinned to one address (SNI and
certificate checks still use the host name). The answer must prove it is STS (an STS XML
document and an `x-amzn-RequestId`); the server's `Date` is compared with the local clock."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import time
from collections.abc import Callable
from typing import Any

from stsdiag.models import ErrorKind, Layer, LayerResult, Status
from stsdiag.probes import bad, host_for_url, ms_since, now, ok, proxy_label
from stsdiag.probes.tls import sdk_context
from stsdiag.redact import excerpt

STS_NS = "sts.amazonaws.com/doc/2011-06-15"
BODY = "Action=GetCallerIdentity&Version=2011-06-15"
_TITLE = re.compile(r"(?is)<title[^>]*>(.*?)</title>")
_CODE = re.compile(r"(?s)<Code>(.*?)</Code>")


def pinned_session(host: str, *, proxy: str | None = None, ca_bundle: str | None = None) -> Any:
    """A requests session whose HTTPS connections verify as botocore's do (its TLS context,
    `tls.sdk_context`: requests' own would verify strictly on Python 3.13) and verify `host`
    (SNI and names) whatever address the URL names. With a proxy nothing is pinned: the proxy
    resolves the name."""
    import requests
    from requests.adapters import HTTPAdapter

    ctx = sdk_context(ca_bundle)
    pin = proxy is None

    class _Sdk(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["ssl_context"] = ctx
            if pin:
                kwargs["server_hostname"] = host
                kwargs["assert_hostname"] = host
            super().init_poolmanager(*args, **kwargs)

        def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
            proxy_kwargs["ssl_context"] = ctx  # the TLS to STS inside the tunnel
            return super().proxy_manager_for(proxy, **proxy_kwargs)

    s = requests.Session()
    s.trust_env = False
    if proxy:
        s.proxies = {"https": proxy, "http": proxy}
    s.mount("https://", _Sdk(max_retries=0))
    s.mount("http://", HTTPAdapter(max_retries=0))
    return s


def request_url(
    scheme: str, host: str, address: str, port: int, path: str, proxy: str | None
) -> tuple[str, dict[str, str]]:
    """(URL, extra headers) for a request to `host` pinned at `address`."""
    default = 443 if scheme == "https" else 80
    hostport = host if port == default else f"{host}:{port}"
    if proxy:
        return f"{scheme}://{hostport}{path}", {}
    netloc = host_for_url(address) if port == default else f"{host_for_url(address)}:{port}"
    return f"{scheme}://{netloc}{path}", {"Host": hostport}


def error_kind(exc: BaseException) -> tuple[Status, ErrorKind, str]:
    """Map a requests exception to (status, kind, text): the one place for this layer."""
    import requests.exceptions as rex

    text = excerpt(str(exc), 200)
    if isinstance(exc, rex.ProxyError):
        return Status.FAIL, ErrorKind.PROXY, f"proxy error: {text}"
    if isinstance(exc, rex.ConnectTimeout):
        return Status.TIMEOUT, ErrorKind.CONNECT_TIMEOUT, "connect timed out"
    if isinstance(exc, rex.ReadTimeout):
        return Status.TIMEOUT, ErrorKind.READ_TIMEOUT, "no answer in time (read timeout)"
    if isinstance(exc, rex.SSLError):
        return Status.FAIL, ErrorKind.SSL, f"TLS error: {text}"
    if isinstance(exc, rex.ConnectionError):
        low = text.lower()
        if "refused" in low or "reset" in low:
            return Status.FAIL, ErrorKind.CONNECTION_REFUSED, f"connection refused/reset: {text}"
        return Status.FAIL, ErrorKind.CONNECTION_ERROR, f"connection error: {text}"
    if isinstance(exc, rex.RequestException):
        return Status.FAIL, ErrorKind.OTHER, text
    return Status.ERROR, ErrorKind.OTHER, f"{type(exc).__name__}: {text}"


def is_sts_answer(headers: Any, body: str) -> bool:
    """An STS answer: a request id and an STS XML document (an error or a result)."""
    rid = headers.get("x-amzn-RequestId") or headers.get("x-amz-request-id")
    has_doc = STS_NS in body or ("<ErrorResponse" in body and "<RequestId>" in body)
    return bool(rid) and has_doc


def probe(
    scheme: str,
    host: str,
    address: str,
    port: int,
    *,
    timeout: float,
    ca_bundle: str | None,
    proxy: str | None = None,
    wall_clock: Callable[[], float] = time.time,
    session_factory: Callable[[str, str | None, str | None], Any] = (
        lambda h, p, ca: pinned_session(h, proxy=p, ca_bundle=ca)
    ),
) -> LayerResult:
    url, headers = request_url(scheme, host, address, port, "/", proxy)
    headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    via: tuple[tuple[str, str], ...] = (("via", proxy_label(proxy)),) if proxy else ()
    start = now()
    sent = wall_clock()
    try:
        with session_factory(host, proxy, ca_bundle) as s:
            r = s.post(url, data=BODY, headers=headers, timeout=(timeout, timeout),
                       verify=ca_bundle or True, allow_redirects=False)  # fmt: skip
            body = r.text[:65536]
    except Exception as e:
        status, kind, text = error_kind(e)
        return bad(Layer.HTTPS, status, kind, text, ms_since(start), via)
    ms = ms_since(start)
    received = wall_clock()
    data: list[tuple[str, str]] = [("http_status", str(r.status_code)), *via]
    rid = r.headers.get("x-amzn-RequestId") or r.headers.get("x-amz-request-id")
    if rid:
        data.append(("request_id", rid))
    code = _CODE.search(body)
    if code:
        data.append(("sts_code", excerpt(code.group(1), 80)))
    date = r.headers.get("Date")
    if date:
        try:
            server = email.utils.parsedate_to_datetime(date)
            if server.tzinfo is None:
                server = server.replace(tzinfo=dt.timezone.utc)
            local_mid = (sent + received) / 2
            offset = server.timestamp() - local_mid
            data += [("server_date", server.isoformat()), ("clock_offset_s", f"{offset:.1f}")]
        except (TypeError, ValueError):
            data.append(("server_date", excerpt(date, 60)))
    if is_sts_answer(r.headers, body):
        return ok(Layer.HTTPS, ms, f"STS answered HTTP {r.status_code}", tuple(data))
    title = _TITLE.search(body)
    what = excerpt(title.group(1), 80) if title else excerpt(body, 80) or "empty body"
    ctype = r.headers.get("Content-Type", "?")
    data += [("not_sts", "true"), ("content_type", excerpt(ctype, 80)), ("body_excerpt", what)]
    if r.headers.get("Location"):
        data.append(("location", excerpt(r.headers["Location"], 120)))
    return bad(Layer.HTTPS, Status.FAIL, ErrorKind.OTHER,
               f"not an STS answer: HTTP {r.status_code} {ctype}: {what}", ms, tuple(data))  # fmt: skip
