"""Wave 4 of lab worlds from real reports: what the probe says in them.

Unit tests (pure rules over hand-made facts, IMDS through `responses`) run everywhere; the
tests marked `lab` start the worlds (tests/lab/worlds/*.toml) and run stsdiag inside.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from stsdiag import context
from stsdiag.context import CredentialInfo, CredState, ImdsState
from stsdiag.models import Setting
from stsdiag.rules.probe import ProbeFacts, evaluate
from tests.test_plan import ctx
from tests.test_probe_rules import IMDS, codes

NO_CREDS = CredentialInfo(CredState.NONE, detail="no provider in the chain supplied credentials")


# --------------------------------------------------------------------------- imds-no-instance-profile


def _imds_with_role_listing(**role_get: object) -> context.Imds:
    responses = pytest.importorskip("responses")
    base = "http://169.254.169.254"  # intercepted by responses: nothing is sent
    md = base + "/latest/meta-data/"
    tok = [responses.matchers.header_matcher({"X-aws-ec2-metadata-token": "tok"})]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rs:
        rs.add(responses.PUT, base + "/latest/api/token", body="tok")
        for path, val in {
            "placement/region": "eu-west-1",
            "instance-id": "i-0a1b2c3d4e5f60041",
        }.items():
            rs.add(responses.GET, md + path, body=val, match=tok)
        rs.add(responses.GET, md + "iam/security-credentials/", match=tok, **role_get)  # type: ignore[arg-type]
        # IMDSv2 required: token-less GETs (what runs beside the token PUT) are refused
        rs.add(responses.GET, md, status=401)
        rs.add(responses.GET, md + "iam/security-credentials/", status=401)
        return context.fetch_imds(base)


def test_imds_role_listing_404_means_no_instance_profile() -> None:
    imds = _imds_with_role_listing(status=404)
    assert imds.state is ImdsState.OK and imds.region == "eu-west-1"
    assert (imds.role, imds.role_status) == (None, 404)
    rows = {s.name: s for s in ctx(imds=imds).host_context().imds}
    assert rows["instance_role"].value == "none attached"
    # near-miss: a role is listed (its name only; the keys are never fetched)
    imds = _imds_with_role_listing(body="demo-Role-B\n")
    assert (imds.role, imds.role_status) == ("demo-Role-B", 200)
    assert {s.name: s.value for s in ctx(imds=imds).host_context().imds}[
        "instance_role"
    ] == "demo-Role-B"


def test_no_credentials_on_ec2_without_a_role_says_attach_an_instance_profile() -> None:
    """Before: 'No credentials ... ' with the generic fix 'Configure credentials'."""
    imds = replace(IMDS, instance_id="i-0a1b2c3d4e5f60041", role_status=404)
    f = codes(evaluate(ProbeFacts(ctx(imds=imds), NO_CREDS, ())))["SD501"]
    assert "no IAM role is attached" in f.message and "HTTP 404" in f.message
    assert "associate-iam-instance-profile --instance-id i-0a1b2c3d4e5f60041" in (f.fix or "")


@pytest.mark.parametrize(
    "imds",
    [
        replace(IMDS, role_status=None),  # the listing did not answer: unknown
        replace(IMDS, role="demo-Role-B", role_status=200),  # a role, its credentials failed
        replace(IMDS, state=ImdsState.UNREACHABLE, role_status=404),  # not judged off EC2
        replace(IMDS, state=ImdsState.DISABLED),
    ],
)
def test_no_credentials_elsewhere_reads_as_before(imds: context.Imds) -> None:
    f = codes(evaluate(ProbeFacts(ctx(imds=imds), NO_CREDS, ())))["SD501"]
    assert "no IAM role" not in f.message and "associate-iam-instance-profile" not in (f.fix or "")
    assert f.message.startswith("No credentials: the signed STS calls were not made")


# --------------------------------------------------------------------------- irsa-token-file-missing

TOKEN = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"
ROLE = "arn:aws:iam::123456789012:role/eks-pod-role"


def _irsa(source: str = "env") -> object:
    wi = (
        Setting("web_identity_role_arn", ROLE, source),
        Setting("web_identity_token_file", TOKEN, source),
    )
    c = ctx(web_identity_role_arn=ROLE, web_identity_token_file=TOKEN)
    return replace(c, settings=c.settings + wi)


@pytest.mark.parametrize(
    ("error", "why", "fix"),
    [
        ("FileNotFoundError: [Errno 2] No such file or directory", "No such file or directory",
         "eks.amazonaws.com/role-arn"),
        ("PermissionError: [Errno 13] Permission denied", "Permission denied", "fsGroup"),
        ("IsADirectoryError: [Errno 21] Is a directory", "Is a directory", "creates an empty directory"),
    ],
)  # fmt: skip
def test_an_unreadable_web_identity_token_file_is_named(error: str, why: str, fix: str) -> None:
    """Before: 'The credential provider failed: FileNotFoundError ...', fix 'Configure credentials'."""
    creds = CredentialInfo(CredState.ERROR, detail=f"{error}: '{TOKEN}'")
    f = codes(evaluate(ProbeFacts(_irsa(), creds, ())))["SD501"]  # type: ignore[arg-type]
    assert f"AWS_WEB_IDENTITY_TOKEN_FILE names {TOKEN}: {why}" in f.message
    assert ROLE in f.message and fix in (f.fix or "")


def test_a_token_file_from_the_profile_is_named_by_its_profile_key() -> None:
    creds = CredentialInfo(
        CredState.ERROR, detail=f"FileNotFoundError: [Errno 2] No such file or directory: '{TOKEN}'"
    )
    c = _irsa("config file ~/.aws/config [profile ci]")
    f = codes(evaluate(ProbeFacts(c, creds, ())))["SD501"]  # type: ignore[arg-type]
    assert "web_identity_token_file (config file ~/.aws/config [profile ci]) names" in f.message


@pytest.mark.parametrize(
    ("irsa", "detail"),
    [
        # another file is missing (the web identity token is not the one)
        (True, "FileNotFoundError: [Errno 2] No such file or directory: '/home/u/.aws/sso/cache/x.json'"),
        # STS refused the token: not a file problem
        (True, "InvalidIdentityTokenException: An error occurred (InvalidIdentityToken) ..."),
        # no web identity configured
        (False, f"FileNotFoundError: [Errno 2] No such file or directory: '{TOKEN}'"),
    ],
)  # fmt: skip
def test_other_credential_errors_read_as_before(irsa: bool, detail: str) -> None:
    c = _irsa() if irsa else ctx()
    f = codes(evaluate(ProbeFacts(c, CredentialInfo(CredState.ERROR, detail=detail), ())))["SD501"]  # type: ignore[arg-type]
    assert f.message == f"The credential provider failed: {detail}"


# --------------------------------------------------------------------------- lab


def _stsdiag(w: object, *args: str, env: dict[str, str | None] | None = None) -> tuple[int, dict]:
    exe = Path(sys.executable).with_name("stsdiag")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "stsdiag"]
    proc = w.run([*cmd, *args, "-o", "json", "--timeout", "2"], timeout=60, env=env)  # type: ignore[attr-defined]
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.lab
def test_ec2_without_an_instance_profile_is_named(lab_pool) -> None:  # type: ignore[no-untyped-def]
    w = lab_pool.get("imds-no-instance-profile")
    code, doc = _stsdiag(w, "probe")
    found = {f["code"]: f for f in doc["findings"]}
    assert code == 1 and "no IAM role is attached" in found["SD501"]["message"]
    assert "i-0a1b2c3d4e5f60041" in found["SD501"]["fix"]
    assert doc["recommendation"]["endpoint_url"] == "https://sts.eu-west-1.amazonaws.com"


@pytest.mark.lab
def test_irsa_without_its_token_file_names_the_variable(lab_pool) -> None:  # type: ignore[no-untyped-def]
    w = lab_pool.get("irsa-token-file-missing")
    code, doc = _stsdiag(w, "probe")
    f = {f["code"]: f for f in doc["findings"]}["SD501"]
    assert code == 1 and "AWS_WEB_IDENTITY_TOKEN_FILE names /var/run/secrets/" in f["message"]
    assert "eks.amazonaws.com/role-arn" in f["fix"]
