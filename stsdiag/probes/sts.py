"""STS layer: signed calls through botocore pinned to one endpoint and address.

The client is built for the endpoint URL and its signing region; botocore signs the request
and, in `before-send`, the prepared request is sent through a `requests` session pinned to
the address (so every address of a VPC endpoint is checked on its own). Only the caller's
identity is kept (account, ARN, user id): never credentials, tokens or signatures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stsdiag.models import ErrorKind, Layer, LayerResult, Status, Target
from stsdiag.probes import bad, ms_since, now, ok, proxy_label
from stsdiag.probes.https import error_kind as https_error_kind
from stsdiag.probes.https import pinned_session, request_url
from stsdiag.redact import excerpt


@dataclass(frozen=True, slots=True)
class StsError:
    """A ClientError, reduced to what the rules need."""

    code: str
    message: str
    http_status: int | None
    request_id: str | None
    operation: str

    def data(self) -> tuple[tuple[str, str], ...]:
        out = [
            ("operation", self.operation),
            ("error_code", self.code),
            ("error_message", self.message),
        ]
        if self.http_status is not None:
            out.append(("http_status", str(self.http_status)))
        if self.request_id:
            out.append(("request_id", self.request_id))
        return tuple(out)


def sts_error(exc: Any, operation: str) -> StsError:
    resp = getattr(exc, "response", {}) or {}
    err = resp.get("Error", {}) or {}
    meta = resp.get("ResponseMetadata", {}) or {}
    return StsError(
        code=str(err.get("Code", "Unknown")),
        message=excerpt(str(err.get("Message", "")), 240),
        http_status=meta.get("HTTPStatusCode"),
        request_id=meta.get("RequestId"),
        operation=operation,
    )


@dataclass(frozen=True, slots=True)
class RoleRequest:
    role_arn: str
    session_name: str = "stsdiag"
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class WebIdentity:
    role_arn: str
    token_file: str
    session_name: str = "stsdiag-web-identity"


def error_kind(exc: BaseException) -> tuple[Status, ErrorKind, str]:
    """Map botocore/requests exceptions to (status, kind, text): the one place for this layer."""
    from botocore import exceptions as bex

    text = excerpt(str(exc), 200)
    if isinstance(exc, bex.NoCredentialsError | bex.PartialCredentialsError):
        return Status.SKIPPED, ErrorKind.NO_CREDENTIALS, f"no credentials: {text}"
    if isinstance(exc, bex.ProxyConnectionError):
        return Status.FAIL, ErrorKind.PROXY, text
    if isinstance(exc, bex.ConnectTimeoutError):
        return Status.TIMEOUT, ErrorKind.CONNECT_TIMEOUT, text
    if isinstance(exc, bex.ReadTimeoutError):
        return Status.TIMEOUT, ErrorKind.READ_TIMEOUT, text
    if isinstance(exc, bex.SSLError):
        return Status.FAIL, ErrorKind.SSL, text
    if isinstance(exc, bex.EndpointConnectionError):
        return Status.FAIL, ErrorKind.CONNECTION_ERROR, text
    if isinstance(exc, bex.NoRegionError):
        return Status.FAIL, ErrorKind.NO_REGION, text
    import requests.exceptions as rex

    if isinstance(exc, rex.RequestException):
        return https_error_kind(exc)
    if isinstance(exc, bex.BotoCoreError):
        return Status.FAIL, ErrorKind.OTHER, f"{type(exc).__name__}: {text}"
    return Status.ERROR, ErrorKind.OTHER, f"{type(exc).__name__}: {text}"


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, *_: Any, **__: Any) -> Any:
        yield self._data


def pin(
    client: Any, target: Target, address: str, *, timeout: float, ca_bundle: str | None
) -> None:
    """Send the client's signed requests to `address` (not through DNS), via `requests`."""
    from botocore.awsrequest import AWSResponse
    from botocore.compat import HTTPHeaders

    scheme = target.url.split("://", 1)[0]

    def _send(request: Any, **_: Any) -> Any:
        path = request.url.split(target.host, 1)[-1]
        path = path[path.index("/") :] if "/" in path else "/"
        url, extra = request_url(scheme, target.host, address, target.port, path, None)
        headers = {
            k: (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()
        }
        headers.update(extra)
        with pinned_session(target.host, ca_bundle=ca_bundle) as s:
            r = s.request(request.method, url, data=request.body, headers=headers,
                          timeout=(timeout, timeout), verify=ca_bundle or True,
                          allow_redirects=False)  # fmt: skip
            content = r.content
        hdrs = HTTPHeaders()
        for k, v in r.headers.items():
            hdrs[k] = v
        return AWSResponse(request.url, r.status_code, hdrs, _Body(content))

    client.meta.events.register_first("before-send.sts", _send)


def _call(layer_op: str, fn: Callable[[], Any], via: tuple[tuple[str, str], ...],
          describe: Callable[[Any], tuple[str, tuple[tuple[str, str], ...]]]) -> LayerResult:  # fmt: skip
    from botocore.exceptions import ClientError

    start = now()
    try:
        resp = fn()
    except ClientError as e:
        err = sts_error(e, layer_op)
        return bad(Layer.STS, Status.FAIL, None, f"{layer_op}: {err.code}: {err.message}",
                   ms_since(start), (*err.data(), *via))  # fmt: skip
    except Exception as e:
        status, kind, text = error_kind(e)
        return bad(Layer.STS, status, kind, f"{layer_op}: {text}", ms_since(start),
                   (("operation", layer_op), *via))  # fmt: skip
    detail, data = describe(resp)
    return ok(Layer.STS, ms_since(start), detail, (("operation", layer_op), *data, *via))


def _identity(resp: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    arn = str(resp.get("Arn", ""))
    return f"caller {arn}", (("account", str(resp.get("Account", ""))), ("arn", arn),
                             ("user_id", str(resp.get("UserId", ""))))  # fmt: skip


def _assumed(resp: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    user = resp.get("AssumedRoleUser", {}) or {}
    exp = (resp.get("Credentials", {}) or {}).get("Expiration")
    arn = str(user.get("Arn", ""))
    data = [("arn", arn), ("assumed_role_id", str(user.get("AssumedRoleId", "")))]
    if exp is not None:
        data.append(("expiration", exp.isoformat() if hasattr(exp, "isoformat") else str(exp)))
    return f"assumed {arn}", tuple(data)


def probe(
    target: Target,
    address: str,
    *,
    make_client: Callable[[bool], Any],
    timeout: float,
    ca_bundle: str | None,
    role: RoleRequest | None = None,
    web_identity: WebIdentity | None = None,
    signed: bool = True,
) -> tuple[LayerResult, ...]:
    """GetCallerIdentity (when `signed`), then AssumeRole (`role`) and
    AssumeRoleWithWebIdentity (`web_identity`). `make_client(signed)` builds a botocore STS
    client for the target; this function pins it to `address` unless a proxy is in the way."""
    via: tuple[tuple[str, str], ...] = (("via", proxy_label(target.proxy)),) if target.proxy else ()
    out: list[LayerResult] = []

    def client(signed_: bool) -> Any:
        c = make_client(signed_)
        if not target.proxy:
            pin(c, target, address, timeout=timeout, ca_bundle=ca_bundle)
        return c

    if signed:
        try:
            c = client(True)
        except Exception as e:
            status, kind, text = error_kind(e)
            return (bad(Layer.STS, status, kind, f"GetCallerIdentity: {text}", None,
                        (("operation", "GetCallerIdentity"),)),)  # fmt: skip
        out.append(_call("GetCallerIdentity", c.get_caller_identity, via, _identity))
        if role and out[-1].status is Status.OK:
            kwargs: dict[str, Any] = {
                "RoleArn": role.role_arn,
                "RoleSessionName": role.session_name,
            }
            if role.external_id:
                kwargs["ExternalId"] = role.external_id
            out.append(_call("AssumeRole", lambda: c.assume_role(**kwargs), via, _assumed))
    if web_identity:
        try:
            with open(web_identity.token_file, encoding="utf-8") as f:
                token = f.read(1_000_000).strip()
        except OSError as e:
            out.append(bad(Layer.STS, Status.FAIL, ErrorKind.OTHER,
                           f"AssumeRoleWithWebIdentity: token file unreadable: {e.strerror}", None,
                           (("operation", "AssumeRoleWithWebIdentity"),)))  # fmt: skip
        else:
            u = client(False)
            out.append(_call(
                "AssumeRoleWithWebIdentity",
                lambda: u.assume_role_with_web_identity(
                    RoleArn=web_identity.role_arn, RoleSessionName=web_identity.session_name,
                    WebIdentityToken=token),
                via, _assumed))  # fmt: skip
    return tuple(out)
