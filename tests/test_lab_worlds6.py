"""Wave 6 of lab worlds from real reports: what the probe says in them.

Unit tests (pure rules over hand-made facts) run everywhere; the tests marked `lab` start the
worlds (tests/lab/worlds/*.toml) and run stsdiag inside.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from stsdiag import context
from stsdiag.context import CredentialInfo, CredState, Overrides
from stsdiag.models import AddressClass, AddressResult, Layer, Setting, Status, TargetKind, Via
from stsdiag.probe import recommend
from stsdiag.rules.probe import ProbeFacts, evaluate
from tests.probe_support import stsdiag_json as _stsdiag
from tests.test_lab_worlds4 import _bundle_fault_world, _proxied_world
from tests.test_plan import ctx
from tests.test_probe_rules import CREDS, IMDS, codes, dropped, ep, healthy, lr, target

# --------------------------------------------------------------------------- vpce-other-region

IRELAND = replace(IMDS, region="eu-west-1")
USE1 = "https://sts.us-east-1.amazonaws.com"
EUW1 = "https://sts.eu-west-1.amazonaws.com"


def _other_region_world(
    klass: AddressClass = AddressClass.VPC_PRIVATE, *, kind: TargetKind = TargetKind.REGIONAL
) -> ProbeFacts:
    """Region us-east-1 configured, its name public and dropped; eu-west-1's STS answers on
    `klass` addresses (the VPC endpoint's ENIs by default)."""
    url = (
        EUW1
        if kind is TargetKind.REGIONAL
        else "https://vpce-0a1b-k2m4.sts.eu-west-1.vpce.amazonaws.com"
    )
    c = ctx(imds=IRELAND, region="us-east-1", region_source="config file ~/.aws/config [default]")
    results = (
        ep(target(USE1, TargetKind.REGIONAL, "us-east-1", sdk=True), dropped("198.51.100.11", AddressClass.PUBLIC)),
        ep(target("https://sts.amazonaws.com", TargetKind.GLOBAL, None), dropped("192.0.2.16", AddressClass.PUBLIC)),
        ep(target(url, kind, "eu-west-1"), healthy("10.0.1.40", klass), healthy("10.0.2.40", klass)),
    )  # fmt: skip
    return ProbeFacts(c, CREDS, results)


def test_a_region_without_the_vpcs_sts_endpoint_names_the_region_that_has_it() -> None:
    """Before: SD202 'Public addresses: is there a route out (NAT / internet gateway)?', fix
    'Use the regional endpoint served by your VPC endpoint, or open the path' -- not which
    region's, nor that the STS client's region (not AWS_ENDPOINT_URL_STS) must change."""
    sd202 = next(f for f in evaluate(_other_region_world()) if f.evidence[0].endpoint == USE1)
    assert (
        "This VPC has an STS interface endpoint, but in eu-west-1, not us-east-1" in sd202.message
    )
    assert "sts.eu-west-1.amazonaws.com answered through it (10.0.1.40, 10.0.2.40)" in sd202.message
    assert "is there a route out" not in sd202.message
    fix = sd202.fix or ""
    assert "the STS client's region must be eu-west-1 (now us-east-1, config file" in fix
    assert "`export AWS_DEFAULT_REGION=eu-west-1`" in fix and 'region_name="eu-west-1"' in fix
    assert (
        "Setting only AWS_ENDPOINT_URL_STS=https://sts.eu-west-1.amazonaws.com keeps signing for us-east-1"
        in fix
    )
    # the endpoint's vpce name only (private DNS off there): its URL is part of the fix
    vpce = _other_region_world(kind=TargetKind.VPCE)
    sd202 = next(f for f in evaluate(vpce) if f.evidence[0].endpoint == USE1)
    assert "and endpoint URL https://vpce-0a1b-k2m4.sts.eu-west-1.vpce.amazonaws.com" in (
        sd202.fix or ""
    )


def test_another_region_answering_on_public_addresses_reads_as_before() -> None:
    """Near-misses: the other region answers on public addresses (a NAT for it, not a VPC
    endpoint), and the global endpoint's SD202: the old words."""
    found = evaluate(_other_region_world(AddressClass.PUBLIC))
    sd202 = [f for f in found if f.code == "SD202"]
    use1 = next(f for f in sd202 if f.evidence[0].endpoint == USE1)
    assert "Public addresses: is there a route out" in use1.message
    assert "interface endpoint" not in use1.message
    glob = next(f for f in evaluate(_other_region_world()) if f.code == "SD202"
                and f.evidence[0].endpoint == "https://sts.amazonaws.com")  # fmt: skip
    assert "The global endpoint is public" in glob.message and "eu-west-1" not in glob.message


# --------------------------------------------------------------------------- opt-in-region-not-enabled

APE1 = "https://sts.ap-east-1.amazonaws.com"
USW2 = "https://sts.us-west-2.amazonaws.com"


def _rejected(address: str, code: str = "InvalidClientTokenId") -> AddressResult:
    return AddressResult(address, 4, AddressClass.PUBLIC, (
        lr(Layer.TCP), lr(Layer.TLS, intercepted="false"), lr(Layer.HTTPS, http_status="302"),
        lr(Layer.STS, Status.FAIL, operation="GetCallerIdentity",
           error_code=code, error_message="The security token included in the request is invalid."),
    ))  # fmt: skip


def _opt_in_world(
    creds: CredentialInfo = CREDS, *, others_ok: bool = True, region: str = "ap-east-1"
) -> ProbeFacts:
    url = f"https://sts.{region}.amazonaws.com"
    other = (
        healthy("198.51.100.72", AddressClass.PUBLIC) if others_ok else _rejected("198.51.100.72")
    )
    results = (
        ep(target(url, TargetKind.REGIONAL, region, sdk=True), _rejected("198.51.100.71")),
        ep(target(USW2, TargetKind.REGIONAL, "us-west-2"), other),
    )  # fmt: skip
    c = ctx(imds=replace(IMDS, region="us-west-2"), region=region)
    return ProbeFacts(c, creds, results)


def _rec(facts: ProbeFacts):  # type: ignore[no-untyped-def]
    return recommend(facts.context, facts.endpoints, evaluate(facts), (), facts.credentials)


def test_an_opt_in_region_rejecting_long_term_keys_is_not_enabled() -> None:
    """Before: SD403 '... ap-east-1 is an opt-in region: a session token from the global
    endpoint (v1) is not valid there', fix 'set the global endpoint token version to 2' -- for
    an AKIA key, which has no session token; and the recommendation was sts.ap-east-1, where
    every call fails."""
    facts = _opt_in_world()
    sd403 = codes(evaluate(facts))["SD403"]
    assert (
        "(AKIA…MPLE, a long-term key: no session token) works at sts.us-west-2.amazonaws.com"
        in sd403.message
    )
    assert "ap-east-1 is an opt-in region that is not enabled for this account" in sd403.message
    assert "v1" not in sd403.message and "token version" not in (sd403.fix or "")
    assert "`aws account enable-region --region-name ap-east-1`" in (sd403.fix or "")
    rec = _rec(facts)
    assert (rec.region, rec.endpoint_url) == ("us-west-2", USW2)
    assert (
        "STS in ap-east-1 rejects these credentials, which work here: ap-east-1 is not enabled"
        in rec.note
    )


@pytest.mark.parametrize(
    "facts",
    [
        # a session token (ASIA...): the v1-token reading of the opt-in-region world
        _opt_in_world(CredentialInfo(CredState.FOUND, "shared-credentials-file", "ASIA…MPLE")),
        # the keys fail everywhere: bad keys, not the region
        _opt_in_world(others_ok=False),
        # a region enabled by default: not an opt-in matter
        _opt_in_world(region="eu-west-1"),
    ],
    ids=["session-token", "rejected-everywhere", "default-region"],
)
def test_invalid_client_token_elsewhere_reads_as_before(facts: ProbeFacts) -> None:
    """Near-misses: no 'not enabled' verdict, and the configured region stays recommended."""
    sd403 = codes(evaluate(facts))["SD403"]
    assert "not enabled" not in sd403.message
    rec = _rec(facts)
    assert "rejects these credentials" not in rec.note
    if facts.endpoints[1].addresses[0].layers[-1].status is Status.OK:
        assert rec.region == facts.context.region
    region = facts.context.region or ""
    assert ("session token from the global endpoint (v1)" in sd403.message) == (
        region == "ap-east-1"
    )


def test_region_disabled_exception_moves_the_recommendation_elsewhere() -> None:
    """RegionDisabledException (STS deactivated in the region) where another region accepts
    the same credentials: recommend the one that works, and say why."""
    results = (
        ep(target(USW2, TargetKind.REGIONAL, "us-west-2", sdk=True), _rejected("198.51.100.72", "RegionDisabledException")),
        ep(target("https://sts.amazonaws.com", TargetKind.GLOBAL, None), healthy("192.0.2.16", AddressClass.PUBLIC)),
    )  # fmt: skip
    facts = ProbeFacts(ctx(region="us-west-2"), CREDS, results)
    rec = _rec(facts)
    assert rec.endpoint_url == "https://sts.amazonaws.com"
    assert "STS is deactivated in us-west-2 for the account" in rec.note
    # near-miss: no endpoint accepted the credentials (the global one rejects them too): the
    # configured region's endpoint stays recommended, as before
    results = (results[0], ep(results[1].target, _rejected("192.0.2.16", "AccessDenied")))
    rec = _rec(ProbeFacts(ctx(region="us-west-2"), CREDS, results))
    assert rec.endpoint_url == USW2 and "rejects these credentials" not in rec.note


# --------------------------------------------------------------------------- endpoint-url-profile-s3-store

STORE = "https://s3.backup.corp.example"


def _override(url: str, source: str = "config file ~/.aws/config [default]") -> ProbeFacts:
    c = ctx(region="eu-west-2", endpoint_override=url, endpoint_override_source=source)
    return ProbeFacts(c, CREDS, ())


def test_a_profile_endpoint_url_for_s3_is_moved_to_a_services_section() -> None:
    """Before: SD107's only fix was 'Remove `endpoint_url` from ~/.aws/config [default]',
    which fixes STS and silently sends the team's `aws s3` calls to AWS instead of their store."""
    sd107 = codes(evaluate(_override(STORE)))["SD107"]
    assert "A profile's `endpoint_url` is the endpoint of every service." in sd107.message
    assert "looks like s3's endpoint" in sd107.message
    fix = sd107.fix or ""
    assert f"replace `endpoint_url = {STORE}` with `services = s3-endpoint`" in fix
    assert "`[services s3-endpoint]` with `s3 =`" in fix and f"AWS_ENDPOINT_URL_S3={STORE}" in fix


@pytest.mark.parametrize(
    ("url", "source", "fix"),
    [
        ("https://minio.corp.example:9000", "config file ~/.aws/config [default]",
         "Remove `endpoint_url` from ~/.aws/config [default]."),
        ("http://localhost:4566", "env AWS_ENDPOINT_URL", "`unset AWS_ENDPOINT_URL`"),
        (STORE, "config file [services ci] sts", "Remove the sts `endpoint_url` from [services ci] sts."),
    ],
    ids=["no-service-in-the-name", "env-localstack", "services-sts"],
)  # fmt: skip
def test_other_overrides_keep_their_fix(url: str, source: str, fix: str) -> None:
    """Near-misses: a name that names no AWS service, AWS_ENDPOINT_URL, and an sts entry of a
    [services] section keep their fixes."""
    sd107 = codes(evaluate(_override(url, source)))["SD107"]
    assert (sd107.fix or "").startswith(fix) and "services = " not in (sd107.fix or "")


def test_a_services_section_for_s3_only_leaves_sts_alone(aws_env: Path) -> None:
    """The fix above, as botocore reads it: STS has no override (no SD107), and a [services]
    sts entry is named with its section."""
    (aws_env / "config").write_text(
        f"[default]\nregion = eu-west-2\nservices = s3-endpoint\n\n"
        f"[services s3-endpoint]\ns3 =\n  endpoint_url = {STORE}\n"
    )
    c = context.gather(Overrides(timeout=1.0)).context
    assert c.endpoint_override is None and c.sdk.url == "https://sts.eu-west-2.amazonaws.com"
    assert "SD107" not in codes(evaluate(ProbeFacts(c, CREDS, ())))
    (aws_env / "config").write_text(
        f"[default]\nregion = eu-west-2\nservices = ci\n\n[services ci]\nsts =\n  endpoint_url = {STORE}\n"
    )
    c = context.gather(Overrides(timeout=1.0)).context
    assert (c.endpoint_override, c.endpoint_override_source) == (
        STORE,
        "config file [services ci] sts",
    )


def test_a_services_line_without_its_section_is_named(aws_env: Path) -> None:
    """Before: SD112 '... does not exist.. ' with the fix "Correct the setting named in the
    message at its source (`regional` for `sts_regional_endpoints`)": botocore refuses every
    client when `services = NAME` names no [services NAME] section."""
    (aws_env / "config").write_text("[default]\nregion = eu-west-2\nservices = ci-endpoints\n")
    c = context.gather(Overrides(timeout=1.0)).context
    sd112 = codes(evaluate(ProbeFacts(c, CREDS, ())))["SD112"]
    assert "no `[services ci-endpoints]` section: every client, of every service" in sd112.message
    assert "does not exist.." not in sd112.message
    assert (sd112.fix or "").startswith("Add the section `[services ci-endpoints]`")
    assert "sts_regional_endpoints" not in (sd112.fix or "")
    # near-miss: another refused setting keeps its own fix
    (aws_env / "config").write_text(
        "[default]\nregion = eu-west-2\nsts_regional_endpoints = true\n"
    )
    c = context.gather(Overrides(timeout=1.0)).context
    sd112 = codes(evaluate(ProbeFacts(c, CREDS, ())))["SD112"]
    assert "[services" not in sd112.message and "regional" in (sd112.fix or "")


# --------------------------------------------------------------------------- sts-region-deactivated

USE2 = "https://sts.us-east-2.amazonaws.com"


def _deactivated_world(*, deactivated: bool = True) -> ProbeFacts:
    regional = (_rejected("198.51.100.91", "RegionDisabledException") if deactivated
                else healthy("198.51.100.91", AddressClass.PUBLIC))  # fmt: skip
    c = ctx(region="us-east-2", region_source="config file [default]",
            settings=(Setting("sts_regional_endpoints", "regional", "botocore default"),))  # fmt: skip
    results = (
        ep(target(USE2, TargetKind.REGIONAL, "us-east-2", sdk=True), regional),
        ep(target("https://sts.amazonaws.com", TargetKind.GLOBAL, None), healthy("192.0.2.16", AddressClass.PUBLIC)),
    )  # fmt: skip
    return ProbeFacts(c, CREDS, results)


def test_sts_deactivated_in_the_region_is_activated_or_avoided() -> None:
    """Before: SD406's fix 'Activate the region in IAM account settings (Security Token
    Service regions), or use another region'; SD103 said of the global endpoint, the one that
    works, 'the regional endpoint is the one to use' and fixed with `regional`; the
    recommendation was sts.us-east-2, which rejects every call."""
    facts = _deactivated_world()
    fs = codes(evaluate(facts))
    assert "Endpoints -> us-east-2 -> Activate" in (fs["SD406"].fix or "")
    assert "the global endpoint or us-east-1, which cannot be deactivated" in (
        fs["SD406"].fix or ""
    )
    assert "us-east-2's regional endpoint rejects them (SD406)" in fs["SD103"].message
    assert "the regional endpoint is the one to use" not in fs["SD103"].message
    assert "`sts_regional_endpoints = legacy`" in (fs["SD103"].fix or "")
    rec = _rec(facts)
    assert rec.endpoint_url == "https://sts.amazonaws.com"
    assert "STS is deactivated in us-east-2 for the account" in rec.note


def test_a_healthy_regional_endpoint_keeps_sd103s_advice() -> None:
    """Near-miss: the regional endpoint answers: SD103 and the recommendation as before."""
    facts = _deactivated_world(deactivated=False)
    sd103 = codes(evaluate(facts))["SD103"]
    assert sd103.message.endswith("the regional endpoint is the one to use.")
    assert (sd103.fix or "").startswith("Set `sts_regional_endpoints = regional`")
    assert _rec(facts).endpoint_url == USE2


# --------------------------------------------------------------------------- host-wide causes


@pytest.mark.parametrize(
    ("facts", "cause", "proven", "via"),
    [
        (_bundle_fault_world(), "the SDK's CA bundle (SD303)",
         "its certificate verifies with botocore's own CA bundle on public addresses", Via.PUBLIC),
        (_proxied_world(), "the https:// scheme of HTTPS_PROXY (SD301)",
         "a plain-HTTP CONNECT reached it and verified its certificate through the", Via.PROXY),
    ],
    ids=["ca-bundle-missing", "https-proxy-scheme"],
)  # fmt: skip
def test_a_host_wide_fault_still_recommends_the_endpoint_proven_past_it(
    facts: ProbeFacts, cause: str, proven: str, via: Via
) -> None:
    """Before: no recommended endpoint ('No STS endpoint answered (...): every call fails for
    ... Fix that first, then probe again.'), though the probe had proven the regional endpoint
    good past the fault (botocore's own bundle verifies it / a plain CONNECT reached it)."""
    rec = recommend(facts.context, facts.endpoints, evaluate(facts), ())
    assert (rec.region, rec.endpoint_url, rec.via) == ("eu-west-1", EUW1, via)
    assert rec.note.startswith(f"Every call fails for {cause}: fix that first. Then sts.eu-west-1")
    assert proven in rec.note and "addresses work" not in rec.note


def test_a_host_wide_fault_with_nothing_proven_past_it_reads_as_before() -> None:
    """Near-miss: the default bundle does not verify either (an intercepting network): no
    endpoint is proven, the old note."""
    facts = _bundle_fault_world(result="fails: unable to get local issuer certificate")
    rec = recommend(facts.context, facts.endpoints, evaluate(facts), ())
    assert rec.endpoint_url is None and "Fix that first, then probe again." in rec.note


# --------------------------------------------------------------------------- lab


@pytest.mark.lab
def test_cross_region_vpce_is_fixed_by_the_sts_clients_region(lab_pool) -> None:  # type: ignore[no-untyped-def]
    w = lab_pool.get("vpce-other-region")
    code, doc = _stsdiag(w, "probe")
    sd202 = next(f for f in doc["findings"] if f["code"] == "SD202"
                 and f["evidence"][0]["endpoint"] == USE1)  # fmt: skip
    assert code == 1 and "but in eu-west-1, not us-east-1" in sd202["message"]
    assert doc["recommendation"]["endpoint_url"] == EUW1
    # following the fix: the STS client's region eu-west-1 works
    code, after = _stsdiag(w, "probe", env={"AWS_DEFAULT_REGION": "eu-west-1"})
    ok = {e["target"]["url"]: e["status"] for e in after["endpoints"]}
    assert ok[EUW1] == "ok" and after["recommendation"]["endpoint_url"] == EUW1


@pytest.mark.lab
def test_opt_in_region_not_enabled_recommends_where_the_keys_work(lab_pool) -> None:  # type: ignore[no-untyped-def]
    w = lab_pool.get("opt-in-region-not-enabled")
    code, doc = _stsdiag(w, "probe")
    sd403 = {f["code"]: f for f in doc["findings"]}["SD403"]
    assert code == 1 and "not enabled for this account" in sd403["message"]
    assert doc["recommendation"]["endpoint_url"] == USW2
    code, after = _stsdiag(w, "probe", env={"AWS_DEFAULT_REGION": "us-west-2"})
    assert code == 0 and after["recommendation"]["endpoint_url"] == USW2


@pytest.mark.lab
def test_a_profile_endpoint_url_moved_to_services_keeps_s3_and_frees_sts(
    lab_pool, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    w = lab_pool.get("endpoint-url-profile-s3-store")
    code, doc = _stsdiag(w, "probe")
    sd107 = {f["code"]: f for f in doc["findings"]}["SD107"]
    assert code == 1 and "`[services s3-endpoint]`" in sd107["fix"]
    # following the fix: a config with the store as s3's endpoint only
    cfg = tmp_path / "config"
    cfg.write_text(f"[default]\nregion = eu-west-2\nservices = s3-endpoint\n\n"
                   f"[services s3-endpoint]\ns3 =\n  endpoint_url = {STORE}\n")  # fmt: skip
    code, after = _stsdiag(w, "probe", env={"AWS_CONFIG_FILE": str(cfg)})
    assert code == 0 and "SD107" not in {f["code"] for f in after["findings"]}
    proc = w.run(["python3", "-c", "import boto3; s = boto3.Session(); "
                  "print(s.client('s3').meta.endpoint_url, s.client('sts').meta.endpoint_url)"],
                 env={"AWS_CONFIG_FILE": str(cfg)}, timeout=60)  # fmt: skip
    assert proc.stdout.split() == [STORE, "https://sts.eu-west-2.amazonaws.com"], proc.stderr


@pytest.mark.lab
@pytest.mark.parametrize(
    ("world", "via"), [("ca-bundle-missing", "public"), ("https-proxy-scheme-plain-proxy", "proxy")]
)
def test_a_host_wide_fault_recommends_the_endpoint_to_use_after_it(lab_pool, world, via) -> None:  # type: ignore[no-untyped-def]
    code, doc = _stsdiag(lab_pool.get(world), "probe")
    rec = doc["recommendation"]
    assert code == 1 and (rec["endpoint_url"], rec["via"]) == (EUW1, via)
    assert rec["note"].startswith("Every call fails for") and "fix that first" in rec["note"]


@pytest.mark.lab
def test_sts_deactivated_in_the_region_recommends_the_global_endpoint(lab_pool) -> None:  # type: ignore[no-untyped-def]
    w = lab_pool.get("sts-region-deactivated")
    code, doc = _stsdiag(w, "probe")
    found = {f["code"]: f for f in doc["findings"]}
    assert code == 1 and "us-east-2 -> Activate" in found["SD406"]["fix"]
    assert doc["recommendation"]["endpoint_url"] == "https://sts.amazonaws.com"
    # following the recommendation: legacy sends STS to the global endpoint, which works
    code, after = _stsdiag(w, "probe", env={"AWS_STS_REGIONAL_ENDPOINTS": "legacy"})
    sdk = [e for e in after["endpoints"] if e["target"]["sdk_would_use"]]
    assert (
        sdk and sdk[0]["target"]["url"] == "https://sts.amazonaws.com" and sdk[0]["status"] == "ok"
    )
