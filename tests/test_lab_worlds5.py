"""Wave 5 of lab worlds from real reports: what the probe says in them.

Unit tests (pure rules over hand-made facts, the context over temp config files, the TLS layer
against loopback servers) run everywhere; the tests marked `lab` start the worlds
(tests/lab/worlds/*.toml) and run stsdiag inside.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from stsdiag import context
from stsdiag.context import CredentialInfo, CredState, ImdsState, Overrides
from stsdiag.models import (
    Setting,
    Severity,
    Status,
)
from stsdiag.probe import recommend
from stsdiag.probes import tls
from stsdiag.rules.probe import ProbeFacts, evaluate
from tests.probe_support import STS_HOST, Ca, Server
from tests.probe_support import stsdiag_json as _stsdiag
from tests.test_lab_worlds4 import _bundle_fault_world
from tests.test_plan import ctx
from tests.test_probe_rules import CREDS, IMDS, codes

# --------------------------------------------------------------------------- requests-ca-bundle-directory


def test_botocore_reads_requests_ca_bundle_without_aws_ca_bundle(
    aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the context said 'ca_bundle = botocore's own (botocore default)' and the probe
    verified with it, while botocore itself took REQUESTS_CA_BUNDLE (endpoint.py)."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(aws_env))
    c = context.gather(Overrides(timeout=1.0)).context
    assert (c.ca_bundle, c.ca_bundle_source) == (str(aws_env), "env REQUESTS_CA_BUNDLE")
    assert any("is a directory, not a file botocore can load" in n for n in c.notes)


def test_aws_ca_bundle_and_ca_bundle_win_over_requests_ca_bundle(
    aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Near-miss: with AWS_CA_BUNDLE or the profile's ca_bundle botocore ignores
    REQUESTS_CA_BUNDLE; without any of them it is botocore's own bundle, as before."""
    good = aws_env / "corp.pem"
    good.write_text("")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs")
    (aws_env / "config").write_text(f"[default]\nca_bundle = {good}\n")
    c = context.gather(Overrides(timeout=1.0)).context
    assert c.ca_bundle == str(good) and c.ca_bundle_source.startswith("config file ")
    monkeypatch.setenv("AWS_CA_BUNDLE", str(good))
    c = context.gather(Overrides(timeout=1.0)).context
    assert (c.ca_bundle, c.ca_bundle_source) == (str(good), "env AWS_CA_BUNDLE")
    monkeypatch.delenv("AWS_CA_BUNDLE")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    (aws_env / "config").write_text("")
    c = context.gather(Overrides(timeout=1.0)).context
    assert c.ca_bundle_source == "botocore default"


def test_tls_probe_names_a_directory_bundle(
    servers: Callable[..., Server], amazon_ca: Ca, bundle: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Before: 'CA bundle /etc/ssl/certs does not exist' for a directory that exists."""
    import botocore.httpsession

    monkeypatch.setattr(botocore.httpsession, "get_cert_path", lambda verify: bundle)
    s = servers(chain_key=amazon_ca.issue((STS_HOST,)))
    r = tls.probe("127.0.0.1", s.port, STS_HOST, timeout=2.0, ca_bundle=str(tmp_path))
    assert r.status is Status.FAIL and r.get("verify_error") == "CA bundle is a directory"
    assert f"CA bundle {tmp_path} is a directory" in r.detail
    assert r.get("default_bundle_result") == "verifies"
    # near-miss: a missing file still reads 'does not exist'
    r = tls.probe("127.0.0.1", s.port, STS_HOST, timeout=2.0, ca_bundle=str(tmp_path / "x.pem"))
    assert r.get("verify_error") == "CA bundle file missing"


def _requests_bundle_world(
    path: str, source: str = "env REQUESTS_CA_BUNDLE", result: str = "verifies"
) -> ProbeFacts:
    return _bundle_fault_world(result, source, "CA bundle is a directory", path=path,
                               why="is a directory", regional_address="198.51.100.61")  # fmt: skip


def test_a_requests_ca_bundle_directory_is_named_and_given_a_file(tmp_path: Path) -> None:
    """Before (with the context fixed): 'CA bundle ... (env REQUESTS_CA_BUNDLE), which does not
    exist', fix 'Unset REQUESTS_CA_BUNDLE (...)' -- which breaks the other Python tools it was
    set for, and never said botocore cannot load a directory."""
    (tmp_path / "ca-certificates.crt").write_text("")
    found = evaluate(_requests_bundle_world(str(tmp_path)))
    sd303 = codes(found)["SD303"]
    assert (
        f"botocore takes REQUESTS_CA_BUNDLE (the requests library's variable) as its CA bundle: "
        f"{tmp_path}, which is a directory that botocore opens as a file" in sd303.message
    )
    assert "the setting alone is the fault" in sd303.message
    assert (sd303.fix or "").startswith(
        f"`export AWS_CA_BUNDLE={tmp_path / 'ca-certificates.crt'}`"
    ) and "botocore#2731" in (sd303.fix or "")
    assert codes(found)["SD103"].severity is Severity.INFO
    rec = recommend(*_facts_args(_requests_bundle_world(str(tmp_path))))
    assert "Every call fails for the SDK's CA bundle (SD303): fix that first" in rec.note
    # no single-file bundle in the directory: FILE, and unsetting it is offered
    empty = tmp_path / "empty"
    empty.mkdir()
    fix = codes(evaluate(_requests_bundle_world(str(empty))))["SD303"].fix or ""
    assert fix.startswith("`unset REQUESTS_CA_BUNDLE`") and "AWS_CA_BUNDLE=FILE" in fix


def test_an_aws_ca_bundle_directory_reads_as_its_own_variable(tmp_path: Path) -> None:
    """Near-miss: AWS_CA_BUNDLE naming a directory keeps the AWS_CA_BUNDLE fix."""
    fs = codes(evaluate(_requests_bundle_world(str(tmp_path), source="env AWS_CA_BUNDLE")))
    assert (fs["SD303"].fix or "").startswith("Unset AWS_CA_BUNDLE")
    assert "REQUESTS_CA_BUNDLE" not in fs["SD303"].message


def _facts_args(facts: ProbeFacts) -> tuple:  # type: ignore[type-arg]
    return facts.context, facts.endpoints, evaluate(facts), ()


@pytest.mark.parametrize("var", ["AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE"])
def test_an_empty_ca_bundle_variable_is_reported_not_a_crash(
    aws_env: Path, monkeypatch: pytest.MonkeyPatch, var: str
) -> None:
    """Before: AWS_CA_BUNDLE= (empty) made `stsdiag probe` exit 3 'internal error:
    InvalidConfigError: Invalid CA bundle ...': recent botocore refuses an empty bundle when a
    client is created, and the endpoint-name lookup (endpoints.service_url) built one. Now the
    names resolve; the SDK's own client still reports botocore's refusal (SD112's fact)."""
    from stsdiag import endpoints

    monkeypatch.setenv(var, " " if var == "REQUESTS_CA_BUNDLE" else "")
    endpoints.service_url.cache_clear()
    try:
        assert endpoints.service_url("sts", "eu-west-1") == "https://sts.eu-west-1.amazonaws.com"
        assert endpoints.global_sts_url() == "https://sts.amazonaws.com"
    finally:
        endpoints.service_url.cache_clear()
    c = context.gather(Overrides(timeout=1.0)).context
    assert c.sdk.url is None and "InvalidConfigError: Invalid CA bundle" in (c.sdk.error or "")


@pytest.mark.parametrize("var", ["AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE"])
def test_an_empty_ca_bundle_variable_is_named_with_its_fix(
    aws_env: Path, monkeypatch: pytest.MonkeyPatch, var: str
) -> None:
    """SD112 for botocore's 'Invalid CA bundle' named no variable and fixed with
    "`regional` for `sts_regional_endpoints`"; the context showed the bundle as botocore's
    default. Now the blank variable is the setting shown, and the fix unsets it."""
    monkeypatch.setenv(var, " " if var == "REQUESTS_CA_BUNDLE" else "")
    c = context.gather(Overrides(timeout=1.0)).context
    ca = c.setting("ca_bundle")
    assert ca is not None and (ca.value, ca.source) == ("", f"env {var}")
    f = codes(evaluate(ProbeFacts(c, CREDS, ())))["SD112"]
    assert f.fix.startswith(f"unset {var} ") and "sts_regional_endpoints" not in f.fix
    assert f"{var} is set but empty" in f.message


def test_a_ca_bundle_variable_with_a_path_is_no_sd112(
    aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Near miss: REQUESTS_CA_BUNDLE naming a file is taken as botocore takes it."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", context.default_ca_bundle())
    c = context.gather(Overrides(timeout=1.0)).context
    ca = c.setting("ca_bundle")
    assert ca is not None and ca.source == "env REQUESTS_CA_BUNDLE"
    assert "SD112" not in codes(evaluate(ProbeFacts(c, CREDS, ())))


# --------------------------------------------------------------------------- instance-role-trust-policy

NO_CREDS = CredentialInfo(CredState.NONE, detail="no provider in the chain supplied credentials")
ROLE_URL = "http://169.254.169.254/latest/meta-data/iam/security-credentials/app-role"
UNAUTHORIZED = {
    "Code": "AssumeRoleUnauthorizedAccess",
    "Message": "EC2 cannot assume the role app-role.  Please see documentation at "
    "http://docs.amazonwebservices.com/IAM/latest/UserGuide/RolesTroubleshooting.html.",
    "LastUpdated": "2016-07-11T18:09:39Z",
}


def _role_error(imds: context.Imds, **role_get: object) -> str:
    responses = pytest.importorskip("responses")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rs:
        rs.add(responses.PUT, "http://169.254.169.254/latest/api/token", body="tok")
        rs.add(responses.GET, ROLE_URL, **role_get)  # type: ignore[arg-type]
        return context.imds_role_error(imds)


def test_imds_role_error_reads_the_code_and_message_only() -> None:
    imds = replace(IMDS, role="app-role", role_status=200)
    assert _role_error(imds, json=UNAUTHORIZED) == (
        "AssumeRoleUnauthorizedAccess: EC2 cannot assume the role app-role."
    )
    # near-misses: a document with keys gives nothing (they are not kept); no answer, no role
    keys = {"Code": "Success", "AccessKeyId": "ASIAIOSFODNN7EXAMPLE",
            "SecretAccessKey": "EXAMPLESECRET", "Token": "EXAMPLETOKEN"}  # fmt: skip
    assert _role_error(imds, json=keys) == ""
    assert _role_error(imds, status=404) == ""
    assert _role_error(imds, body="not json") == ""
    assert _role_error(replace(IMDS, role=None), json=UNAUTHORIZED) == ""


def test_a_role_ec2_cannot_assume_is_named_with_its_trust_policy() -> None:
    """Before: 'No credentials: the signed STS calls were not made ...', fix 'Configure
    credentials (environment, profile, instance role, ...)' though the role is attached."""
    imds = replace(IMDS, instance_id="i-0a1b2c3d4e5f60062", role="app-role", role_status=200,
                   role_error="AssumeRoleUnauthorizedAccess: EC2 cannot assume the role app-role.")  # fmt: skip
    f = codes(evaluate(ProbeFacts(ctx(imds=imds), NO_CREDS, ())))["SD501"]
    assert "has the instance role app-role, but IMDS answers" in f.message
    assert "AssumeRoleUnauthorizedAccess" in f.message and "ec2.amazonaws.com" in f.message
    assert "update-assume-role-policy --role-name app-role" in (f.fix or "")
    rows = {s.name: s for s in ctx(imds=imds).host_context().imds}
    assert "AssumeRoleUnauthorizedAccess" in rows["instance_role"].source
    # another error code: named, not the trust-policy fix
    other = replace(imds, role_error="InternalError: something else")
    f = codes(evaluate(ProbeFacts(ctx(imds=other), NO_CREDS, ())))["SD501"]
    assert "InternalError" in f.message and "update-assume-role-policy" not in (f.fix or "")


def test_a_listed_role_without_an_error_reads_as_before() -> None:
    """Near-miss: a role listed, no error read (IMDS did not say why): the old SD501."""
    imds = replace(IMDS, role="app-role", role_status=200)
    f = codes(evaluate(ProbeFacts(ctx(imds=imds), NO_CREDS, ())))["SD501"]
    assert f.message.startswith("No credentials: the signed STS calls were not made")


# --------------------------------------------------------------------------- imds-slow


@contextlib.contextmanager
def _imds_server(delay: float | None) -> Iterator[str]:
    """A loopback 'IMDS' that accepts and answers every request after `delay` s (None: never)."""
    srv = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    def answer(conn: socket.socket) -> None:
        with conn:
            conn.recv(4096)
            if delay is None or stop.wait(delay):
                stop.wait(10)
                return
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\ntok")

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    finally:
        stop.set()
        srv.close()


def test_imds_that_connects_and_is_silent_is_told_from_nothing_listening() -> None:
    """Before: both read 'unreachable: token PUT: no answer within 1 s'; now one that accepted
    TCP says so (`connected`), and given longer it shows how slow it is."""
    with _imds_server(1.3) as url:
        i = context.fetch_imds(url, budget_s=0.5)
        assert i.state is ImdsState.UNREACHABLE and i.connected and "TCP connects" in i.detail
        ms = context.imds_answer_ms(i, wait_s=3.0)
        assert ms is not None and 1200 < ms < 2900
    with _imds_server(None) as url:  # holds every request: no answer even given longer
        i = context.fetch_imds(url, budget_s=0.3)
        assert i.connected and context.imds_answer_ms(i, wait_s=0.5) is None
    # near-miss: nothing listens (refused): not connected, as before
    port = socket.create_server(("127.0.0.1", 0))
    dead = f"http://127.0.0.1:{port.getsockname()[1]}"
    port.close()
    i = context.fetch_imds(dead, budget_s=0.5)
    assert i.state is ImdsState.UNREACHABLE and not i.connected and "TCP" not in i.detail


def _slow(slow_ms: float | None, *settings: Setting) -> ProbeFacts:
    imds = replace(IMDS, state=ImdsState.UNREACHABLE, region=None, connected=True, slow_ms=slow_ms,
                   detail="token PUT: timed out (ReadTimeout); TCP connects")  # fmt: skip
    c = ctx(imds=imds)
    return ProbeFacts(replace(c, settings=c.settings + settings), NO_CREDS, ())


def test_a_slow_imds_is_named_with_botocores_timeout() -> None:
    """Before: SD501 'No credentials ...', fix 'Configure credentials', and IMDS only
    'unreachable'."""
    fs = codes(evaluate(_slow(1500.0)))
    assert "answers only after 1.5 s, and botocore gives up after 1 s" in fs["SD501"].message
    assert fs["SD502"].severity is Severity.ERROR and "botocore waits 1 s" in fs["SD502"].message
    assert "AWS_METADATA_SERVICE_TIMEOUT=5" in (fs["SD501"].fix or "")
    rows = {s.name: s for s in _slow(1500.0).context.host_context().imds}
    assert rows["imds_answer"].value == "after 1.5 s"


def test_imds_within_the_configured_timeout_or_never_answering_reads_as_before() -> None:
    """Near-misses: IMDS slower than 1 s but within a configured metadata_service_timeout, and
    an IMDS that never answered: no slow-IMDS finding."""
    cfg = Setting("metadata_service_timeout", "3", "env AWS_METADATA_SERVICE_TIMEOUT")
    for facts in (_slow(1500.0, cfg), _slow(None)):
        fs = evaluate(facts)
        assert not any("botocore gives up" in f.message for f in fs)
        assert codes(fs)["SD501"].message.startswith("No credentials: the signed STS calls")
    # within the configured timeout: a warning that IMDS is slow, no timeout fix
    sd502 = codes(evaluate(_slow(1500.0, cfg)))["SD502"]
    assert sd502.severity is Severity.WARNING and "within the configured" in sd502.message
    assert "metadata_service_timeout =" not in (sd502.fix or "")


# --------------------------------------------------------------------------- lab


@pytest.mark.lab
def test_a_requests_ca_bundle_directory_is_fixed_by_a_file(lab_pool) -> None:  # type: ignore[no-untyped-def]
    w = lab_pool.get("requests-ca-bundle-directory")
    code, doc = _stsdiag(w, "probe")
    found = {f["code"]: f for f in doc["findings"]}
    assert code == 1 and "REQUESTS_CA_BUNDLE" in found["SD303"]["message"]
    fix = found["SD303"]["fix"]
    assert fix.startswith("`export AWS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt`")
    code, after = _stsdiag(w, "probe", env={"AWS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"})
    assert code == 0 and "SD303" not in {f["code"] for f in after["findings"]}
    assert after["recommendation"]["endpoint_url"] == "https://sts.eu-west-1.amazonaws.com"


@pytest.mark.lab
def test_a_role_ec2_cannot_assume_is_fixed_in_its_trust_policy(lab_pool) -> None:  # type: ignore[no-untyped-def]
    w = lab_pool.get("instance-role-trust-policy")
    code, doc = _stsdiag(w, "probe")
    f = {f["code"]: f for f in doc["findings"]}["SD501"]
    assert code == 1 and "AssumeRoleUnauthorizedAccess" in f["message"]
    assert "update-assume-role-policy --role-name app-role" in f["fix"]
    assert "AccessKeyId" not in json.dumps(doc) and "SecretAccessKey" not in json.dumps(doc)


@pytest.mark.lab
def test_a_slow_imds_is_fixed_by_a_longer_metadata_timeout(lab_pool) -> None:  # type: ignore[no-untyped-def]
    w = lab_pool.get("imds-slow")
    code, doc = _stsdiag(w, "probe")
    found = {f["code"]: f for f in doc["findings"]}
    assert code == 1 and "answers only after 1.5 s" in found["SD501"]["message"]
    assert "AWS_METADATA_SERVICE_TIMEOUT=5" in found["SD502"]["fix"]
