"""`stsdiag probe` and `stsdiag endpoints` in process: bad input exits 2 with one line; a
whole probe against loopback servers (IMDS, a dropped global endpoint, a regional STS behind
TLS) gives the expected findings, JSON and recommendation within timeout + 0.5 s.

Only the resolver is faked (the host's resolver must not be asked): every name resolves to
a 127.0.0.x address where a real server listens (ports remapped from 443)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from stsdiag import cli
from stsdiag import probe as probe_mod
from stsdiag.models import LayerResult, Target
from stsdiag.probes import dns, https, tcp, tls
from stsdiag.runner import Layers
from tests.probe_support import STS_HOST, Ca, FakeResolver, Server, Silent, caller_identity_answer


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.run(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["probe", "--region", "ap-northeast1"], "did you mean ap-northeast-1"),
        (["probe", "--region", "us-east-1a"], "did you mean us-east-1"),
        # comma-separated as in `check`: each region is checked on its own
        (["probe", "--region", "ap-northeast-1,eu-west-9"], "unknown region 'eu-west-9'"),
        (["probe", "--endpoint-url", "sts.amazonaws.com"], "malformed endpoint URL"),
        (["probe", "--endpoint-url", "https://st s.amazonaws.com"], "malformed endpoint URL"),
        (["probe", "--ca-bundle", "/nonexistent/ca.pem"], "not a readable file"),
        (["probe", "--nameserver", "dns.example.com"], "is not an IP address"),
        (["probe", "--timeout", "0"], "--timeout"),
        (["endpoints", "--partition", "aws-moon"], "unknown partition"),
        (["endpoints", "--region", "eu-west-9"], "unknown region"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(args, capsys)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err


def test_unreadable_ca_bundle_content(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    code, _, err = run_cli(["probe", "--ca-bundle", str(junk)], capsys)
    assert code == 2 and "no usable certificate" in err


def test_endpoints_map(
    aws_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-northeast-3")
    code, out, _ = run_cli(["endpoints", "--partition", "aws", "-o", "json"], capsys)
    assert code == 0
    doc = json.loads(out)
    marked = [e for e in doc["endpoints"] if e["sdk_would_use"]]
    assert [e["url"] for e in marked] == ["https://sts.ap-northeast-3.amazonaws.com"]
    assert doc["endpoints"][0] == {"partition": "aws", "region": None, "kind": "global",
                                   "url": "https://sts.amazonaws.com", "opt_in": False, "sdk_would_use": False}  # fmt: skip
    code, out, _ = run_cli(["endpoints", "--region", "ap-northeast-3"], capsys)
    assert code == 0 and "* " in out and "sts-fips.ap-northeast-3.amazonaws.com" in out
    assert "The SDK would use now: https://sts.ap-northeast-3.amazonaws.com" in out


# --------------------------------------------------------------------------- a whole probe


def imds_answer(
    method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    if method == "PUT" and path == "/latest/api/token":
        return 200, {}, b"token-123"
    if headers.get("X-aws-ec2-metadata-token") != "token-123":
        return 401, {}, b""
    tree = {
        "placement/region": "ap-northeast-1",
        "placement/availability-zone": "ap-northeast-1a",
        "instance-id": "i-0a1b2c3d4e5f60001",
        "mac": "0e:00:00:00:00:01",
        "network/interfaces/macs/0e:00:00:00:00:01/vpc-id": "vpc-0a1b2c3d4e5f60001",
        "network/interfaces/macs/0e:00:00:00:00:01/vpc-ipv4-cidr-blocks": "10.0.0.0/16",
    }
    val = tree.get(path.removeprefix("/latest/meta-data/"))
    return (200, {}, val.encode()) if val else (404, {}, b"")


@pytest.fixture
def loopback_world(
    aws_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    servers: Callable[..., Server],
    amazon_ca: Ca,
    tmp_path: Path,
) -> dict[str, Any]:
    """No region configured; IMDS says ap-northeast-1; sts.amazonaws.com drops; the regional
    endpoint answers at 127.0.0.3 behind an "Amazon" chain."""
    imds = servers(imds_answer, chain_key=None)
    sts_srv = servers(
        caller_identity_answer, chain_key=amazon_ca.issue((STS_HOST,)), address="127.0.0.3"
    )
    silent = Silent("127.0.0.2")
    ports = {"127.0.0.2": silent.port, "127.0.0.3": sts_srv.port}
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", f"http://127.0.0.1:{imds.port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    resolver = FakeResolver({
        ("sts.amazonaws.com", "A"): dns.DnsAnswer(("127.0.0.2",)),
        (STS_HOST, "A"): dns.DnsAnswer(("127.0.0.3",)),
    })  # fmt: skip

    def tcp_(address: str, port: int, **kw: Any) -> LayerResult:
        return tcp.probe(address, ports.get(address, port), **kw)

    def tls_(address: str, port: int, host: str, **kw: Any) -> LayerResult:
        return tls.probe(address, ports.get(address, port), host, **kw)

    def https_(scheme: str, host: str, address: str, port: int, **kw: Any) -> LayerResult:
        return https.probe(scheme, host, address, ports.get(address, port), **kw)

    monkeypatch.setattr(probe_mod, "default_layers", lambda: Layers(resolver, tcp_, tls_, https_))
    real_sts_layer = probe_mod.sts_layer

    def sts_layer(g: Any, opts: Any) -> Any:
        inner = real_sts_layer(g, opts)

        def layer(t: Target, address: str, timeout: float) -> tuple[LayerResult, ...]:
            p = ports.get(address, t.port)
            return inner(replace(t, url=f"https://{t.host}:{p}", port=p), address, timeout)

        return layer

    monkeypatch.setattr(probe_mod, "sts_layer", sts_layer)
    bundle_path = tmp_path / "amazon.pem"
    bundle_path.write_bytes(amazon_ca.root_pem)
    yield {"bundle": str(bundle_path), "sts": sts_srv}
    silent.close()


def test_whole_probe_json(
    loopback_world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    t = time.monotonic()
    code, out, err = run_cli(["probe", "-o", "json", "--timeout", "0.6", "--ca-bundle", loopback_world["bundle"]],
                             capsys)  # fmt: skip
    took = time.monotonic() - t
    assert code == 1, err
    doc = json.loads(out)
    assert doc["command"] == "probe" and doc["exit_status"] == 1
    found = {f["code"]: f for f in doc["findings"]}
    assert {"SD101", "SD102", "SD202", "SD503"} <= set(found), list(found)
    assert found["SD102"]["severity"] == "error"
    assert found["SD202"]["evidence"][0]["endpoint"] == "https://sts.amazonaws.com"
    assert found["SD202"]["evidence"][0]["address"] == "127.0.0.2"
    rec = doc["recommendation"]
    assert (rec["region"], rec["endpoint_url"]) == (
        "ap-northeast-1",
        "https://sts.ap-northeast-1.amazonaws.com",
    )
    eps = {e["target"]["host"]: e for e in doc["endpoints"]}
    regional = eps[STS_HOST]["addresses"][0]["layers"]
    assert [lr["layer"] for lr in regional] == ["tcp", "tls", "https", "sts"]
    assert all(lr["status"] == "ok" for lr in regional), regional
    assert regional[3]["data"]["account"] == "123456789012"
    glob = eps["sts.amazonaws.com"]["addresses"][0]["layers"]
    assert glob[0]["status"] == "timeout" and glob[1]["status"] == "skipped"
    ctx = {s["name"]: s for s in doc["context"]["settings"]}
    assert ctx["region"]["value"] is None and ctx["credentials"]["value"] == "env"
    imds = {s["name"]: s["value"] for s in doc["context"]["imds"]}
    assert imds["instance_region"] == "ap-northeast-1" and imds["vpc_id"] == "vpc-0a1b2c3d4e5f60001"
    assert "wJalrXUtnFEMI" not in out and "AKIAIOSFODNN7EXAMPLE" not in out
    # the signed call really went to the pinned address, signed for ap-northeast-1
    auth = [
        h["Authorization"] for _, _, h, _ in loopback_world["sts"].requests if "Authorization" in h
    ]
    assert auth and "/ap-northeast-1/sts/aws4_request" in auth[0]
    assert took < 0.6 + 0.5 + 1.5, took  # probe verdict within timeout + 0.5 s, plus start-up


def test_whole_probe_table_and_junit(
    loopback_world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["probe", "--timeout", "0.6", "--ca-bundle", loopback_world["bundle"]]
    code, out, _ = run_cli(args, capsys)
    assert code == 1
    assert "sts.amazonaws.com [global, SDK]" in out and "TIMEOUT" in out
    assert (
        "Recommendation: region ap-northeast-1, endpoint https://sts.ap-northeast-1.amazonaws.com"
        in out
    )
    code, out, _ = run_cli([*args, "-o", "junit", "--fail-on", "never"], capsys)
    assert code == 0 and out.startswith("<?xml")


def test_help_does_not_import_the_heavy_modules() -> None:
    import subprocess
    import sys

    code = (
        "import sys, stsdiag.cli, stsdiag.cli_probe; "
        "print(sorted(m for m in ('botocore', 'boto3', 'dns', 'requests', 'urllib3') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "args",
    [
        ["probe"],
        ["probe", "-o", "json"],
        ["probe", "-o", "junit"],
        ["check"],
        ["check", "-o", "json"],
        ["check", "-o", "junit"],
        ["check", "--quiet"],
    ],
)
def test_proxy_password_never_printed(
    loopback_world: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
) -> None:
    """HTTPS_PROXY with user info (a dead proxy on loopback): the proxy is named and blamed,
    its password in no output format (it was printed 4-6 times before)."""
    closed = Silent("127.0.0.4")  # accepts nothing useful: bound, then closed
    port = closed.port
    closed.close()
    monkeypatch.setenv("HTTPS_PROXY", f"http://alice:S3cretPassw0rd%21@127.0.0.4:{port}")
    monkeypatch.setenv("NO_PROXY", "169.254.169.254,127.0.0.1")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")  # and the workflow annotations
    code, out, err = run_cli([*args, "--timeout", "0.6", "--ca-bundle", loopback_world["bundle"]], capsys)  # fmt: skip
    assert code in (0, 1), err
    assert "S3cretPassw0rd" not in out + err
    assert f"127.0.0.4:{port}" in out + err  # the proxy is named
