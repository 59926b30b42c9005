"""One module per layer (dns, tcp, tls, https, sts); each returns a `LayerResult` and never
raises for an expected network failure. Shared helpers live here."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from stsdiag.models import ErrorKind, Layer, LayerResult, Status

Data = tuple[tuple[str, str], ...]


def now() -> float:
    return time.monotonic()


def ms_since(start: float) -> float:
    return round((time.monotonic() - start) * 1000, 1)


def ok(layer: Layer, ms: float | None, detail: str = "", data: Data = ()) -> LayerResult:
    return LayerResult(layer, Status.OK, ms, detail, None, data)


def bad(
    layer: Layer,
    status: Status,
    kind: ErrorKind | None,
    detail: str,
    ms: float | None = None,
    data: Data = (),
) -> LayerResult:
    return LayerResult(layer, status, ms, detail, kind, data)


def skipped(layer: Layer, reason: str) -> LayerResult:
    return LayerResult(layer, Status.SKIPPED, None, reason)


def host_for_url(address: str) -> str:
    return f"[{address}]" if ":" in address and not address.startswith("[") else address


def proxy_addr(proxy: str) -> tuple[str, int]:
    """(host, port) of a proxy URL (`http://proxy:3128`, `proxy:3128`)."""
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return host, port


def proxy_auth_header(proxy: str) -> str | None:
    """`Proxy-Authorization` for a proxy URL with credentials (`http://user:pass@host:port`),
    built as botocore builds it (percent-decoded user and password, Basic); None without."""
    import base64
    from urllib.parse import unquote

    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if not parts.username:
        return None
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def proxy_has_credentials(proxy: str) -> bool:
    try:
        return proxy_auth_header(proxy) is not None
    except ValueError:
        return False


def proxy_label(proxy: str) -> str:
    try:
        host, port = proxy_addr(proxy)
    except ValueError:  # (never the URL itself: it may hold a password)
        return "proxy (not a valid URL)"
    return f"proxy {host_for_url(host)}:{port}"
