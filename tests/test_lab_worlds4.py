"""Wave 4 of lab worlds from real reports: what the probe says in them.

Unit tests (pure rules over hand-made facts, IMDS through `responses`) run everywhere; the
tests marked `lab` start the worlds (tests/lab/worlds/*.toml) and run stsdiag inside.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from stsdiag import context
from stsdiag.context import CredentialInfo, CredState, ImdsState
from stsdiag.models import (
    AddressClass,
    AddressResult,
    ErrorKind,
    Layer,
    Setting,
    Severity,
    Status,
    TargetKind,
)
from stsdiag.probe import recommend
from stsdiag.probes import tls
from stsdiag.redact import redact
from stsdiag.rules.probe import ProbeFacts, evaluate
from stsdiag.rules.registry import BY_CODE
from tests.probe_support import STS_HOST, Ca, Server
from tests.probe_support import stsdiag_json as _stsdiag
from tests.test_plan import ctx
from tests.test_probe_rules import CREDS, IMDS, codes, ep, lr, target

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


# --------------------------------------------------------------------------- ca-bundle-missing

MISSING = "/opt/netskope/nscacert_combined.pem"


def _bundle_fault_world(
    result: str = "verifies",
    source: str = "env AWS_CA_BUNDLE",
    verify_error: str = "CA bundle file missing",
    path: str = MISSING,
    why: str = "does not exist",
    regional_address: str = "198.51.100.31",
) -> ProbeFacts:
    """Region configured, sts_regional_endpoints unset; every TLS layer fails for the CA bundle
    `path` (`why`), and botocore's own bundle gives `result`."""
    c = ctx(region="eu-west-1", region_source="config file [default]", ca_bundle=path,
            ca_bundle_source=source,
            settings=(Setting("sts_regional_endpoints", "regional", "botocore default"),))  # fmt: skip

    def addr(address: str) -> AddressResult:
        tls = lr(Layer.TLS, Status.FAIL, 12.0, ErrorKind.SSL,
                 f"CA bundle {path} {why}; with botocore's own bundle the certificate {result}",
                 verified="false", verify_error=verify_error, issuer="C=US, O=Amazon, CN=Amazon RSA 2048 M02",
                 default_bundle="/usr/lib/python3/dist-packages/certifi/cacert.pem",
                 default_bundle_result=result)  # fmt: skip
        return AddressResult(address, 4, AddressClass.PUBLIC, (
            lr(Layer.TCP), tls, lr(Layer.HTTPS, Status.SKIPPED), lr(Layer.STS, Status.SKIPPED)))  # fmt: skip

    results = (
        ep(target("https://sts.eu-west-1.amazonaws.com", TargetKind.REGIONAL, "eu-west-1", sdk=True),
           addr(regional_address)),
        ep(target("https://sts.amazonaws.com", TargetKind.GLOBAL, None), addr("192.0.2.16")),
    )  # fmt: skip
    return ProbeFacts(c, CREDS, results)


def test_a_missing_ca_bundle_that_botocores_own_replaces_is_unset() -> None:
    """Before: 'CA bundle file missing', fix 'Point AWS_CA_BUNDLE / ca_bundle at a bundle that
    holds the issuing CA, or fix the path'; and SD103 warned that older SDKs hang on the global
    endpoint 'where stsdiag sees no fault'."""
    fs = codes(evaluate(_bundle_fault_world()))
    sd303 = fs["SD303"]
    assert f"{MISSING} (env AWS_CA_BUNDLE), which does not exist" in sd303.message
    assert "the setting alone is the fault" in sd303.message
    assert (sd303.fix or "").startswith("Unset AWS_CA_BUNDLE")
    assert fs["SD103"].severity is Severity.INFO and "no worse off" in fs["SD103"].message


def test_no_recommendation_names_a_host_wide_fault_first() -> None:
    """Before: 'No STS endpoint answered (...); see the findings.' for a missing CA bundle and for
    an https:// proxy URL to a plain proxy; a failure with another cause reads as before.
    (Wave 6: an endpoint proven good past the fault is now recommended, see
    tests/test_lab_worlds6.py; with none proven, the note below stays.)"""
    facts = _bundle_fault_world(result="fails: unable to get local issuer certificate")
    rec = recommend(facts.context, facts.endpoints, evaluate(facts), ())
    assert rec.endpoint_url is None
    assert "every call fails for the SDK's CA bundle (SD303). Fix that first" in rec.note
    near = _bundle_fault_world(verify_error="unable to get local issuer certificate")
    rec = recommend(near.context, near.endpoints, evaluate(near), ())
    assert rec.note.endswith("; see the findings.")


def test_a_missing_ca_bundle_in_the_config_file_is_removed_there() -> None:
    fs = codes(evaluate(_bundle_fault_world(source="config file /home/u/.aws/config [default]")))
    assert (fs["SD303"].fix or "").startswith(
        "Remove the `ca_bundle` line from /home/u/.aws/config [default]"
    )


def test_a_missing_ca_bundle_on_an_intercepted_network_needs_the_corporate_ca() -> None:
    fs = codes(
        evaluate(_bundle_fault_world(result="fails: unable to get local issuer certificate"))
    )
    assert "does not trust the certificate either" in fs["SD303"].message
    assert "unset" not in (fs["SD303"].fix or "").lower()
    assert "export AWS_CA_BUNDLE=FILE" in (fs["SD303"].fix or "")


def test_an_untrusted_certificate_with_a_good_bundle_reads_as_before() -> None:
    """Near-miss: the bundle exists, the certificate is not trusted: the old message and fix,
    and SD103 still warns (the global endpoint fails on its own)."""
    found = evaluate(_bundle_fault_world(verify_error="unable to get local issuer certificate"))
    sd303 = [f for f in found if f.code == "SD303"]
    assert len(sd303) == 2 and all(
        f.message.endswith(
            f": unable to get local issuer certificate (CA bundle {MISSING}, env AWS_CA_BUNDLE)."
        )
        and f.fix == BY_CODE["SD303"].fix
        for f in sd303
    )
    assert codes(found)["SD103"].severity is Severity.WARNING


def test_tls_probe_tries_botocores_own_bundle_when_the_configured_one_is_missing(
    servers: Callable[..., Server], amazon_ca: Ca, gateway_ca: Ca, bundle: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    import botocore.httpsession

    monkeypatch.setattr(botocore.httpsession, "get_cert_path", lambda verify: bundle)
    s = servers(chain_key=amazon_ca.issue((STS_HOST,)))
    r = tls.probe("127.0.0.1", s.port, STS_HOST, timeout=2.0, ca_bundle="/nonexistent/bundle.pem")
    assert r.status is Status.FAIL and r.get("verify_error") == "CA bundle file missing"
    assert r.get("default_bundle_result") == "verifies" and "Amazon RSA 2048 M02" in (
        r.get("issuer") or ""
    )
    assert r.get("intercepted") is None  # the layer failed for the bundle: no SD304
    g = servers(chain_key=gateway_ca.issue((STS_HOST,)))
    r = tls.probe("127.0.0.1", g.port, STS_HOST, timeout=2.0, ca_bundle="/nonexistent/bundle.pem")
    assert (r.get("default_bundle_result") or "").startswith("fails: ")
    # nothing listens: still the bundle's failure, and the handshake's fate
    r = tls.probe("127.0.0.1", 1, STS_HOST, timeout=1.0, ca_bundle="/nonexistent/bundle.pem")
    assert r.status is Status.FAIL and r.get("verify_error") == "CA bundle file missing"
    assert (r.get("default_bundle_result") or "").startswith("no handshake: ")


# --------------------------------------------------------------------------- https-proxy-scheme-plain-proxy

PLAIN_ANSWER = (
    "proxy error: HTTPSConnectionPool(host='sts.eu-west-1.amazonaws.com', port=443): Max retries "
    "exceeded with url: / (Caused by ProxyError('Unable to connect to proxy. Your proxy appears to "
    "only use HTTP and not HTTPS, try changing your proxy URL to be HTTP."
)


def _proxied_world(
    proxy_url: str = "https://10.0.0.80:3128",
    *,
    tls: Status = Status.OK,
    https_detail: str = PLAIN_ANSWER,
    shown: str | None = None,
) -> ProbeFacts:
    """Region configured, sts_regional_endpoints unset, both endpoints through HTTPS_PROXY."""
    c = ctx(region="eu-west-1", region_source="config file [default]", https_proxy=proxy_url,
            no_proxy="169.254.169.254",
            settings=(Setting("sts_regional_endpoints", "regional", "botocore default"),
                      Setting("HTTPS_PROXY", shown or proxy_url, "env HTTPS_PROXY")))  # fmt: skip
    proxy = "http://10.0.0.80:3128"

    def addr(address: str) -> AddressResult:
        t = (lr(Layer.TLS, issuer="C=US, O=Amazon, CN=Amazon RSA 2048 M02", intercepted="false", via="proxy")
             if tls is Status.OK else lr(Layer.TLS, tls, 3000.0, ErrorKind.PROXY, "proxy did not answer CONNECT"))  # fmt: skip
        h = (lr(Layer.HTTPS, Status.FAIL, 20.0, ErrorKind.PROXY, https_detail)
             if tls is Status.OK else lr(Layer.HTTPS, Status.SKIPPED))  # fmt: skip
        return AddressResult(address, 4, AddressClass.PUBLIC,
                             (lr(Layer.TCP), t, h, lr(Layer.STS, Status.SKIPPED)))  # fmt: skip

    results = (
        ep(target("https://sts.eu-west-1.amazonaws.com", TargetKind.REGIONAL, "eu-west-1", sdk=True,
                  proxy=proxy), addr("198.51.100.31")),
        ep(target("https://sts.amazonaws.com", TargetKind.GLOBAL, None, proxy=proxy), addr("192.0.2.16")),
    )  # fmt: skip
    return ProbeFacts(c, CREDS, results)


def test_an_https_proxy_url_to_a_plain_proxy_is_proven_and_fixed() -> None:
    """Before: three SD301 (urllib3's text per endpoint, and 'most proxies speak plain HTTP'
    with 'Fix HTTPS_PROXY, or add the STS names to NO_PROXY'), SD103 a warning."""
    found = evaluate(_proxied_world())
    sd301 = [f for f in found if f.code == "SD301"]
    assert len(sd301) == 1 and "only the scheme is wrong" in sd301[0].message
    assert sd301[0].fix == "export HTTPS_PROXY=http://10.0.0.80:3128"
    sd103 = codes(found)["SD103"]
    assert sd103.severity is Severity.INFO and "https:// scheme of HTTPS_PROXY" in sd103.message


def test_the_fix_for_a_proxy_url_with_credentials_says_to_keep_them() -> None:
    url = "https://svc:S3cret@10.0.0.80:3128"
    found = evaluate(_proxied_world(url, shown=redact(url)))  # the setting as context shows it
    fix = next(f.fix for f in found if f.code == "SD301") or ""
    assert fix.startswith(f"export HTTPS_PROXY=http://{redact(url)[len('https://') :]}")
    assert "real credentials" in fix
    assert all("S3cret" not in (f.message + (f.fix or "")) for f in found)


@pytest.mark.parametrize(
    "facts",
    [
        # the proxy did not tunnel either: the scheme is only a guess, as before
        _proxied_world(tls=Status.TIMEOUT),
        # http:// proxy URL with another proxy failure
        _proxied_world("http://10.0.0.80:3128", https_detail="proxy error: 403 Forbidden"),
    ],
)
def test_unproven_proxy_scheme_faults_read_as_before(facts: ProbeFacts) -> None:
    sd301 = [f for f in evaluate(facts) if f.code == "SD301"]
    assert sd301 and not any("only the scheme is wrong" in f.message for f in sd301)
    assert all(f.fix != "export HTTPS_PROXY=http://10.0.0.80:3128" for f in sd301)
    https_scheme = (facts.context.https_proxy or "").startswith("https://")
    assert any("most proxies speak plain HTTP" in f.message for f in sd301) is https_scheme


# --------------------------------------------------------------------------- lab


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


@pytest.mark.lab
def test_a_missing_ca_bundle_is_unset_and_then_nothing_fails(lab_pool) -> None:  # type: ignore[no-untyped-def]
    w = lab_pool.get("ca-bundle-missing")
    code, doc = _stsdiag(w, "probe")
    found = {f["code"]: f for f in doc["findings"]}
    assert code == 1 and found["SD303"]["fix"].startswith("Unset AWS_CA_BUNDLE")
    assert found["SD103"]["severity"] == "info"
    code, after = _stsdiag(w, "probe", env={"AWS_CA_BUNDLE": None})
    assert code == 0 and "SD303" not in {f["code"] for f in after["findings"]}
    assert after["recommendation"]["endpoint_url"] == "https://sts.eu-west-1.amazonaws.com"


@pytest.mark.lab
def test_an_https_scheme_to_a_plain_proxy_is_fixed_by_http(lab_pool) -> None:  # type: ignore[no-untyped-def]
    w = lab_pool.get("https-proxy-scheme-plain-proxy")
    code, doc = _stsdiag(w, "probe")
    sd301 = [f for f in doc["findings"] if f["code"] == "SD301"]
    assert code == 1 and len(sd301) == 1
    assert sd301[0]["fix"] == "export HTTPS_PROXY=http://10.0.0.80:3128"
    code, after = _stsdiag(w, "probe", env={"HTTPS_PROXY": "http://10.0.0.80:3128"})
    assert code == 0 and "SD301" not in {f["code"] for f in after["findings"]}
