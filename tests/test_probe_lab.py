"""End to end: the installed `stsdiag probe --output json`, run inside every lab world, must
give the world's expected diagnosis (`[expect]` in tests/lab/worlds/*.toml): findings by
code (with endpoint, address, zone, hint, offset), endpoint verdicts, the recommendation and
the exit status. Worlds with a VPC endpoint get its DNS names with `--vpce-dns`, as an
operator who knows the endpoint would pass them; private-vpce is also probed bare."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from typing import Any

import pytest

from tests.lab.spec import load_spec, world_names
from tests.probe_support import stsdiag_cmd

pytestmark = pytest.mark.lab

WORLDS = [n for n in world_names() if load_spec(n).expect]
TIMEOUT = 3.0


def probe(world: Any, *extra: str) -> tuple[int, dict[str, Any], float]:
    t = time.monotonic()
    proc = world.run(
        [*stsdiag_cmd(), "probe", "--output", "json", "--timeout", str(TIMEOUT), *extra], timeout=60
    )
    took = time.monotonic() - t
    assert proc.stdout, f"no JSON on stdout (exit {proc.returncode}):\n{proc.stderr}"
    return proc.returncode, json.loads(proc.stdout), took


def world_args(spec: Any) -> list[str]:
    """What an operator would pass: the VPC endpoint's names; and for expectations about one
    endpoint's fault (fault-zoo) that endpoint's region (after the configured one) and, for an
    AssumeRole fault, a role to assume."""
    args = [a for v in spec.vpc_endpoints for n in v.dns_names for a in ("--vpce-dns", n)]
    faults = [e for e in spec.expect.get("endpoint", []) if "finding" in e]
    regions = [spec.aws.region] if faults and spec.aws.region else []
    for e in faults:
        m = re.match(r"https://sts\.([a-z0-9-]+)\.amazonaws\.com$", e["endpoint_url"])
        if m and m.group(1) not in regions:
            regions.append(m.group(1))
    args += [a for r in regions for a in ("--region", r)]
    if any(e.get("operation") == "AssumeRole" for e in faults):
        args += ["--role-arn", "arn:aws:iam::123456789012:role/demo-Role-A"]
    return args


def _text(f: dict[str, Any]) -> str:
    return " ".join([f["message"], *(e["excerpt"] for e in f["evidence"])])


def _matches(f: dict[str, Any], want: dict[str, Any]) -> list[str]:
    """Why finding `f` does not satisfy the expectation `want` (empty: it does)."""
    why = []
    if "name" in want and f["name"] != want["name"]:
        why.append(f"name {f['name']}")
    if "severity" in want and f["severity"] != want["severity"]:
        why.append(f"severity {f['severity']}")
    ev = f["evidence"]
    if "endpoint" in want and not any(e.get("endpoint") == want["endpoint"] for e in ev):
        why.append(f"no evidence at {want['endpoint']}")
    if "address" in want and not any(e.get("address") == want["address"] for e in ev):
        why.append(f"no evidence at {want['address']}")
    for key in ("availability_zone", "hint", "detail", "issuer"):
        if key in want and str(want[key]).lower() not in _text(f).lower():
            why.append(f"{key} {want[key]!r} not in the text")
    if "offset_seconds" in want:
        m = re.search(r"clock offset ([+-]?\d+) s", f["message"])
        tol = float(want.get("offset_tolerance", 60))
        if not m or abs(float(m.group(1)) - float(want["offset_seconds"])) > tol:
            why.append(f"offset not {want['offset_seconds']}±{tol:g}")
    return why


def _layer_statuses(a: dict[str, Any]) -> dict[str, str]:
    return {lr["layer"]: lr["status"] for lr in a["layers"]}


def _check_endpoint(doc: dict[str, Any], want: dict[str, Any]) -> None:
    eps = [
        e
        for e in doc["endpoints"]
        if e["target"]["url"] == want["endpoint_url"] and e["resolver"] == "system"
    ]
    assert eps, (
        f"{want['endpoint_url']} not probed: {[e['target']['url'] for e in doc['endpoints']]}"
    )
    ep = eps[0]
    if "finding" in want:  # this endpoint shows exactly its fault
        codes = {
            f["code"]
            for f in doc["findings"]
            if any(e.get("endpoint") == want["endpoint_url"] for e in f["evidence"])
        }
        assert want["finding"] in codes, (want, codes)
        assert codes <= {want["finding"], *want.get("also", [])}, (want, codes)
        if "operation" in want:
            ops = [lr["data"].get("operation") for a in ep["addresses"] for lr in a["layers"]
                   if lr["layer"] == "sts" and lr["status"] == "fail"]  # fmt: skip
            assert want["operation"] in ops, ops
    probed = [a for a in ep["addresses"] if any(lr["status"] != "skipped" for lr in a["layers"])]
    addrs = [a["address"] for a in probed]
    status = want.get("status")
    if status in ("ok", "partial"):
        assert ep["status"] == status, (ep["status"], ep)
    if status == "timeout":
        layer = want.get("layer", "tcp")
        assert probed and all(_layer_statuses(a)[layer] == "timeout" for a in probed), ep
    if "via" in want:
        assert ep["via"] == want["via"], ep
    if "addresses" in want:
        assert sorted(addrs) == sorted(want["addresses"])
    ok = [a["address"] for a in probed if _layer_statuses(a).get("https") == "ok"]
    if "ok_addresses" in want:
        assert sorted(ok) == sorted(want["ok_addresses"])
    if "failed_addresses" in want:
        assert sorted(set(addrs) - set(ok)) == sorted(want["failed_addresses"])


def check_expectations(name: str, code: int, doc: dict[str, Any], *, bare: bool = False) -> None:
    exp = load_spec(name).expect
    found = doc["findings"]
    summary = [(f["code"], f["severity"], f["message"][:100]) for f in found]
    for want in exp.get("finding", []):
        if bare and "availability_zone" in want:
            want = {k: v for k, v in want.items() if k != "availability_zone"}
        same = [f for f in found if f["code"] == want["code"]]
        assert same, f"{name}: no {want['code']} {want.get('name')}; got {summary}"
        reasons = [_matches(f, want) for f in same]
        assert any(not r for r in reasons), (
            f"{name}: {want['code']} found but {reasons}; got {summary}"
        )
    for want in exp.get("endpoint", []):
        if bare and ".vpce." in want["endpoint_url"]:
            continue
        _check_endpoint(doc, want)
    if "recommendation" in exp:
        rec = doc["recommendation"]
        for key in ("region", "endpoint_url", "via"):
            assert rec[key] == exp["recommendation"][key], f"{name}: recommendation {rec}"
    if "max_severity" in exp:
        rank = {"info": 1, "warning": 2, "error": 3}
        worst = [f for f in found if rank[f["severity"]] > rank[exp["max_severity"]]]
        assert not worst, f"{name}: above {exp['max_severity']}: {summary}"
    if "exit_status" in exp:
        assert code == exp["exit_status"], f"{name}: exit {code}; findings {summary}"


@pytest.mark.parametrize("name", WORLDS)
def test_probe_gives_the_worlds_diagnosis(name: str, lab_pool: Any) -> None:
    w = lab_pool.get(name)
    code, doc, took = probe(w, *world_args(w.spec))
    check_expectations(name, code, doc)
    # every network operation is bounded: the whole run stays within the total deadline
    assert took < 3 * TIMEOUT + 5, took
    text = json.dumps(doc)
    assert "wJalrXUtnFEMI" not in text and "AKIAIOSFODNN7EXAMPLE" not in text


def test_private_vpce_bare_probe_and_timing(lab_pool: Any) -> None:
    """`stsdiag probe` exactly as a user types it; the dropped global endpoint costs one
    --timeout: the whole probe (configuration, IMDS and every layer; the global endpoint's
    connects start first) gives its verdict within --timeout + 0.5 s."""
    w = lab_pool.get("private-vpce")
    code, doc, _ = probe(w)
    check_expectations("private-vpce", code, doc, bare=True)
    assert float(doc["duration_ms"]) < (TIMEOUT + 0.5) * 1000, doc["duration_ms"]


def test_cname_chain_is_followed(lab_pool: Any) -> None:
    w = lab_pool.get("fault-zoo")
    _, doc, _ = probe(w, "--region", "us-east-1", "--region", "ap-southeast-2")
    ep = next(
        e for e in doc["endpoints"] if e["target"]["host"] == "sts.ap-southeast-2.amazonaws.com"
    )
    assert ep["cname_chain"] == ["sts-apse2.edge.lab.example"] and ep["status"] == "ok"
    assert ep["dns"]["data"]["cname"] == "sts-apse2.edge.lab.example"


def test_no_credentials_still_runs_the_unsigned_layers(lab_pool: Any) -> None:
    w = lab_pool.get("public-healthy")
    env = {"AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true"}
    proc = w.run([*stsdiag_cmd(), "probe", "-o", "json"], env=env, timeout=60)
    doc = json.loads(proc.stdout)
    assert "SD501" in {f["code"] for f in doc["findings"]}
    ep = next(
        e for e in doc["endpoints"] if e["target"]["host"] == "sts.ap-northeast-3.amazonaws.com"
    )
    layers = {lr["layer"]: lr for lr in ep["addresses"][0]["layers"]}
    assert layers["https"]["status"] == "ok" and layers["sts"]["status"] == "skipped"
    assert "no credentials" in layers["sts"]["detail"]


INTERRUPT = r"""
import signal, subprocess, sys, time
# SIGINT as a terminal delivers it: a test run started in the background by a shell without
# job control (`make test &`) inherits SIGINT ignored, and Python then keeps it ignored
restore = lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)  # noqa: E731
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     preexec_fn=restore)
time.sleep(1.5)  # inside the 3 s connect timeout of the dropped global endpoint
t = time.monotonic()
p.send_signal(signal.SIGINT)
try:
    p.communicate(timeout=10)
finally:
    p.kill()
print(p.returncode, round(time.monotonic() - t, 3))
"""


def test_ctrl_c_stops_at_once_with_130(lab_pool: Any) -> None:
    w = lab_pool.get("private-vpce")
    proc = w.run([sys.executable, "-c", INTERRUPT, *stsdiag_cmd(), "probe"], timeout=30)
    rc, took = proc.stdout.split()
    assert int(rc) == 130, proc.stdout + proc.stderr
    assert float(took) < 1.5, took  # most of it is the interpreter's own teardown


def test_configured_private_subnet_passes_with_the_unused_global_endpoint_as_warning(
    lab_pool: Any,
) -> None:
    """With the region set, the SDK's endpoint goes through the VPC endpoint: the dropped global
    endpoint, which nothing uses, is a warning and the run passes; without the region the
    SDK's own endpoint is the dropped one and it stays an error."""
    w = lab_pool.get("private-vpce")
    code, doc, _ = probe(w, "--region", "ap-northeast-1")
    sev = {f["code"]: f["severity"] for f in doc["findings"]}
    assert sev.get("SD202") == "warning", doc["findings"]
    assert code == 0, [f for f in doc["findings"] if f["severity"] == "error"]
    code, doc, _ = probe(w)
    assert {f["code"]: f["severity"] for f in doc["findings"]}.get("SD202") == "error"
    assert code == 1


def test_dead_proxy_tunnel_is_a_stalled_handshake_through_the_proxy(lab_pool: Any) -> None:
    """A proxy that answers CONNECT with 200 and passes nothing: SD204 says the handshake
    inside the tunnel stalled (not a generic timeout), within --timeout; before, 'no answer in
    time after connecting (read timeout)'."""
    w = lab_pool.get("proxy-connect-hang")
    t = time.monotonic()
    proc = w.run([*stsdiag_cmd(), "probe", "-o", "json", "--timeout", str(TIMEOUT)],
                 env={"HTTPS_PROXY": "http://203.0.113.53:3128"}, timeout=60)  # fmt: skip
    took = time.monotonic() - t
    doc = json.loads(proc.stdout)
    sd204 = [f for f in doc["findings"] if f["code"] == "SD204"]
    assert sd204 and all(f["severity"] == "error" for f in sd204), doc["findings"]
    assert "proxy 203.0.113.53:3128 answered CONNECT, but the TLS handshake" in sd204[0]["message"]
    assert "SD301" not in {f["code"] for f in doc["findings"]}
    assert proc.returncode == 1 and took < 3 * TIMEOUT + 5, took


@pytest.mark.parametrize(
    ("name", "state", "detail"),
    [
        ("imds-through-proxy", "unreachable", "directly (without the proxy) it answers"),
        ("imds-only-through-proxy", "ok", "directly it does not answer"),
    ],
)
def test_imds_is_read_through_the_proxy_as_botocore_reads_it(
    name: str, state: str, detail: str, lab_pool: Any
) -> None:
    """botocore's IMDS client takes HTTP_PROXY (get_environ_proxies); so does stsdiag's IMDS
    read, and it says how IMDS answers without the proxy. Old code: IMDS was always read
    directly -- 'ok' where botocore is refused by the proxy, 'unreachable' where only the
    proxy reaches it."""
    w = lab_pool.get(name)
    _, doc, _ = probe(w)
    text = json.dumps(doc["context"])
    assert f'"value": "{state}"' in text and "via proxy 203.0.113." in text, text[:2000]
    assert detail in text, text[:2000]
