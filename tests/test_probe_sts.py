"""The signed STS layer: botocore signs, the request is pinned to one loopback address
through `before-send`, and only identities come back (never credentials)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.config
import botocore.session
import pytest

from stsdiag.models import ErrorKind, Layer, Status, Target, TargetKind
from stsdiag.probes import sts
from tests.probe_support import STS_HOST, Ca, Mute, Server, caller_identity_answer

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _target(port: int, region: str = "ap-northeast-1") -> Target:
    return Target(url=f"https://{STS_HOST}:{port}", host=STS_HOST, port=port, kind=TargetKind.REGIONAL,
                  region=region, partition="aws", signing_region=region)  # fmt: skip


def _factory(target: Target, ca: str, timeout: float = 2.0) -> Callable[[bool], Any]:
    s = botocore.session.Session()

    def make(signed: bool) -> Any:
        cfg: dict[str, Any] = {"connect_timeout": timeout, "read_timeout": timeout,
                               "retries": {"total_max_attempts": 1}}  # fmt: skip
        if not signed:
            cfg["signature_version"] = botocore.UNSIGNED
        return s.create_client("sts", region_name=target.signing_region, endpoint_url=target.url, verify=ca,
                               aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key=SECRET,
                               config=botocore.config.Config(**cfg))  # fmt: skip

    return make


def test_get_caller_identity_and_assume_role_pinned(
    servers: Callable[..., Server], amazon_ca: Ca, bundle: str
) -> None:
    srv = servers(caller_identity_answer, chain_key=amazon_ca.issue((STS_HOST,)))
    t = _target(srv.port)
    out = sts.probe(t, "127.0.0.1", make_client=_factory(t, bundle), timeout=2.0, ca_bundle=bundle,
                    role=sts.RoleRequest("arn:aws:iam::111111111111:role/demo-Role-A", "demo-session"))  # fmt: skip
    assert [r.get("operation") for r in out] == ["GetCallerIdentity", "AssumeRole"]
    gci, ar = out
    assert gci.status is Status.OK and gci.layer is Layer.STS
    assert gci.get("account") == "123456789012"
    assert gci.get("arn") == "arn:aws:sts::123456789012:assumed-role/demo-Role-B/i-0abc"
    assert (
        ar.status is Status.OK
        and ar.get(
            "arn",
        )
        == "arn:aws:sts::111111111111:assumed-role/demo-Role-A/demo-session"
    )
    # signed for the endpoint's region, sent to the pinned address with the endpoint's Host
    method, _, headers, _ = srv.requests[0]
    assert method == "POST" and headers["Host"] == f"{STS_HOST}:{srv.port}"
    assert "/ap-northeast-1/sts/aws4_request" in headers["Authorization"]
    assert (
        b"Action=AssumeRole" in srv.requests[1][3]
        and b"RoleSessionName=demo-session" in srv.requests[1][3]
    )
    # no secret in the results: not the secret key, not the returned session token
    text = repr(out)
    assert SECRET not in text and "SECRETSESSIONTOKEN" not in text and "wJalr" not in text


def test_client_error_becomes_a_small_record(
    servers: Callable[..., Server], amazon_ca: Ca, bundle: str
) -> None:
    def denied(*_: Any) -> tuple[int, dict[str, str], bytes]:
        doc = (b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
               b"<Code>InvalidClientTokenId</Code><Message>The security token included in the request is "
               b"invalid.</Message></Error><RequestId>rid-7</RequestId></ErrorResponse>")  # fmt: skip
        return 403, {"x-amzn-RequestId": "rid-7"}, doc

    srv = servers(denied, chain_key=amazon_ca.issue((STS_HOST,)))
    t = _target(srv.port)
    (r,) = sts.probe(t, "127.0.0.1", make_client=_factory(t, bundle), timeout=2.0, ca_bundle=bundle)
    assert r.status is Status.FAIL
    assert r.get("error_code") == "InvalidClientTokenId" and r.get("http_status") == "403"
    assert r.get("request_id") == "rid-7" and r.get("operation") == "GetCallerIdentity"


def test_stalled_endpoint_times_out(bundle: str) -> None:
    mute = Mute()
    try:
        t = _target(mute.port)
        (r,) = sts.probe(
            t, "127.0.0.1", make_client=_factory(t, bundle, 0.4), timeout=0.4, ca_bundle=bundle
        )
    finally:
        mute.close()
    assert r.status is Status.TIMEOUT and r.error is ErrorKind.READ_TIMEOUT


def test_web_identity_is_unsigned(
    servers: Callable[..., Server], amazon_ca: Ca, bundle: str, tmp_path: Path
) -> None:
    def idp_rejects(
        method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        assert "Authorization" not in headers
        doc = (b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
               b"<Code>InvalidIdentityToken</Code><Message>No OpenIDConnect provider found in your account"
               b"</Message></Error><RequestId>rid-8</RequestId></ErrorResponse>")  # fmt: skip
        return 400, {"x-amzn-RequestId": "rid-8"}, doc

    token = tmp_path / "token"
    token.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJlc2lnbmF0dXJl")
    srv = servers(idp_rejects, chain_key=amazon_ca.issue((STS_HOST,)))
    t = _target(srv.port)
    (r,) = sts.probe(t, "127.0.0.1", make_client=_factory(t, bundle), timeout=2.0, ca_bundle=bundle, signed=False,
                     web_identity=sts.WebIdentity("arn:aws:iam::123456789012:role/irsa", str(token)))  # fmt: skip
    assert (
        r.get("operation") == "AssumeRoleWithWebIdentity"
        and r.get("error_code") == "InvalidIdentityToken"
    )
    assert "eyJhbGci" not in repr(r)


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        ("ConnectTimeoutError", ErrorKind.CONNECT_TIMEOUT),
        ("ReadTimeoutError", ErrorKind.READ_TIMEOUT),
        ("EndpointConnectionError", ErrorKind.CONNECTION_ERROR),
        ("NoCredentialsError", ErrorKind.NO_CREDENTIALS),
    ],
)
def test_botocore_exceptions_map_to_one_kind(exc: str, kind: ErrorKind) -> None:
    from botocore import exceptions as bex

    cls = getattr(bex, exc)
    e = cls(endpoint_url="https://x") if exc != "NoCredentialsError" else cls()
    assert sts.error_kind(e)[1] is kind
