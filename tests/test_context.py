"""What the host and its configuration say, each value with its source; the SDK's own
endpoint from botocore; IMDSv2 within its budget; the credential provider, never secrets.

Every test runs with a clean AWS environment, config files in a temp dir and IMDS either
disabled or pointed at loopback: nothing here leaves 127.0.0.0/8."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from stsdiag import context
from stsdiag.context import CredState, ImdsState, Overrides
from tests.probe_support import Mute, Silent

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _gather(ov: Overrides | None = None) -> context.Gathered:
    return context.gather(ov or Overrides(timeout=1.0))


def test_no_region_means_the_global_endpoint(aws_env: Path) -> None:
    ctx = _gather().context
    assert ctx.region is None and ctx.region_source == "unset"
    assert ctx.sdk.url == "https://sts.amazonaws.com"
    assert ctx.sdk.client_region == "aws-global" and ctx.sdk.signing_region == "us-east-1"
    assert ctx.imds.state is ImdsState.DISABLED


def test_region_sources(aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (aws_env / "config").write_text("[default]\nregion = eu-west-1\n")
    ctx = _gather().context
    assert ctx.region == "eu-west-1" and ctx.region_source.startswith("config file ")
    assert ctx.region_source.endswith("[default]")
    assert (
        ctx.sdk.url == "https://sts.eu-west-1.amazonaws.com"
        and ctx.sdk.signing_region == "eu-west-1"
    )
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-northeast-1")
    ctx = _gather().context
    assert (ctx.region, ctx.region_source) == ("ap-northeast-1", "env AWS_DEFAULT_REGION")
    ctx = _gather(Overrides(region="us-west-2", timeout=1.0)).context
    assert (ctx.region, ctx.region_source) == ("us-west-2", "--region")


def test_aws_region_alone_is_not_read_by_botocore(
    aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "ap-northeast-1")
    ctx = _gather().context
    assert ctx.region is None and ctx.aws_region_env == "ap-northeast-1"
    assert ctx.sdk.url == "https://sts.amazonaws.com"


def test_legacy_mode_goes_global_signed_us_east_1(aws_env: Path) -> None:
    (aws_env / "config").write_text(
        "[profile old]\nregion = ap-northeast-1\nsts_regional_endpoints = legacy\n"
    )
    ctx = _gather(Overrides(profile="old", timeout=1.0)).context
    assert ctx.profile == "old" and ctx.sts_regional_endpoints == "legacy"
    assert ctx.sdk.url == "https://sts.amazonaws.com" and ctx.sdk.signing_region == "us-east-1"
    s = ctx.setting("sts_regional_endpoints")
    assert s is not None and s.source.endswith("[profile old]")


def test_unknown_profile_is_a_usage_error(aws_env: Path) -> None:
    from stsdiag.errors import UsageError

    with pytest.raises(UsageError, match="nope"):
        _gather(Overrides(profile="nope"))


def test_endpoint_overrides_and_their_sources(
    aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (aws_env / "config").write_text(
        "[default]\nregion = ap-northeast-1\nservices = corp\n\n[services corp]\nsts =\n"
        "  endpoint_url = https://vpce-1-abc.sts.ap-northeast-1.vpce.amazonaws.com\n"
    )
    ctx = _gather().context
    assert ctx.endpoint_override == "https://vpce-1-abc.sts.ap-northeast-1.vpce.amazonaws.com"
    assert ctx.endpoint_override_source == "config file [services corp] sts"
    assert ctx.sdk.url == "https://vpce-1-abc.sts.ap-northeast-1.vpce.amazonaws.com"
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "https://st.amazonaws.com")
    ctx = _gather().context
    assert (ctx.endpoint_override, ctx.endpoint_override_source) == ("https://st.amazonaws.com",
                                                                     "env AWS_ENDPOINT_URL_STS")  # fmt: skip
    assert ctx.sdk.url == "https://st.amazonaws.com"
    ctx = _gather(
        Overrides(endpoint_url="https://sts.us-east-2.amazonaws.com", timeout=1.0)
    ).context
    assert ctx.endpoint_override_source == "--endpoint-url"
    assert ctx.sdk.url == "https://sts.us-east-2.amazonaws.com"


def test_proxy_ca_bundle_and_web_identity(aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://user:pw@proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", "169.254.169.254")
    monkeypatch.setenv("AWS_CA_BUNDLE", str(aws_env / "missing.pem"))
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(aws_env / "token"))
    ctx = _gather().context
    assert ctx.https_proxy == "http://user:pw@proxy.corp:3128" and ctx.no_proxy == "169.254.169.254"
    assert (
        ctx.ca_bundle == str(aws_env / "missing.pem")
        and ctx.ca_bundle_source == "env AWS_CA_BUNDLE"
    )
    assert any("not a readable file" in n for n in ctx.notes)
    assert ctx.web_identity_role_arn == "arn:aws:iam::123456789012:role/irsa"
    assert ctx.web_identity_token_file == str(aws_env / "token")


def test_default_ca_bundle_is_botocores(aws_env: Path) -> None:
    ctx = _gather().context
    assert ctx.ca_bundle_source == "botocore default" and os.path.isfile(ctx.ca_bundle)


def test_credentials_provider_name_and_masked_key(
    aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    g = _gather()
    info = g.credentials.wait(5)
    assert info.state is CredState.FOUND and info.method == "env"
    assert info.access_key == "AKIA…MPLE"
    hc = g.context.host_context(info)
    assert SECRET not in repr(hc) and "AKIAIOSFODNN7EXAMPLE" not in repr(hc)


def test_shared_credentials_file(aws_env: Path) -> None:
    (aws_env / "credentials").write_text(f"[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
                                         f"aws_secret_access_key = {SECRET}\n")  # fmt: skip
    info = _gather().credentials.wait(5)
    assert info.state is CredState.FOUND and info.method == "shared-credentials-file"


def test_no_credentials(aws_env: Path) -> None:
    info = _gather().credentials.wait(5)
    assert info.state is CredState.NONE


# --------------------------------------------------------------------------- IMDS


def test_imds_v2_facts_with_responses() -> None:
    responses = pytest.importorskip("responses")
    base = "http://169.254.169.254"  # intercepted by responses: nothing is sent
    md = base + "/latest/meta-data/"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rs:
        rs.add(responses.PUT, base + "/latest/api/token", body="tok")
        rs.add(responses.GET, md, body="ami-id\n")
        for path, val in {
            "placement/region": "ap-northeast-1",
            "placement/availability-zone": "ap-northeast-1a",
            "instance-id": "i-0a1b2c3d4e5f60001",
            "mac": "0e:00:00:00:00:01",
            "network/interfaces/macs/0e:00:00:00:00:01/vpc-id": "vpc-0a1b2c3d4e5f60001",
            "network/interfaces/macs/0e:00:00:00:00:01/vpc-ipv4-cidr-blocks": "10.0.0.0/16\n100.64.0.0/16",
        }.items():
            rs.add(responses.GET, md + path, body=val,
                   match=[responses.matchers.header_matcher({"X-aws-ec2-metadata-token": "tok"})])  # fmt: skip
        imds = context.fetch_imds(base)
    assert imds.state is ImdsState.OK
    assert (imds.region, imds.az, imds.instance_id, imds.vpc_id) == (
        "ap-northeast-1", "ap-northeast-1a", "i-0a1b2c3d4e5f60001", "vpc-0a1b2c3d4e5f60001")  # fmt: skip
    assert imds.vpc_cidrs == ("10.0.0.0/16", "100.64.0.0/16")


def test_imds_token_put_unanswered_but_get_answers_is_the_hop_limit() -> None:
    responses = pytest.importorskip("responses")
    import requests

    base = "http://169.254.169.254"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rs:
        rs.add(
            responses.PUT,
            base + "/latest/api/token",
            body=requests.exceptions.ReadTimeout("timed out"),
        )
        rs.add(responses.GET, base + "/latest/meta-data/", status=401)
        imds = context.fetch_imds(base)
    assert imds.state is ImdsState.TOKEN_FAILED
    assert "GET answered HTTP 401" in imds.detail


def test_imds_off_ec2_gives_up_within_one_second() -> None:
    silent = Silent()  # drops new connections, like 169.254.169.254 off EC2
    try:
        t = time.monotonic()
        imds = context.fetch_imds(f"http://127.0.0.1:{silent.port}")
        took = time.monotonic() - t
    finally:
        silent.close()
    assert imds.state is ImdsState.UNREACHABLE
    assert took < 1.15, took


def test_imds_stalled_after_connect_also_bounded() -> None:
    mute = Mute()
    try:
        t = time.monotonic()
        imds = context.fetch_imds(f"http://127.0.0.1:{mute.port}", budget_s=0.5)
        took = time.monotonic() - t
    finally:
        mute.close()
    assert imds.state is ImdsState.UNREACHABLE and took < 0.8


def test_gather_honours_the_imds_endpoint_variable(
    aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    silent = Silent()
    try:
        monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
        monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", f"http://127.0.0.1:{silent.port}")
        t = time.monotonic()
        ctx = _gather().context
        assert time.monotonic() - t < 2.0
    finally:
        silent.close()
    assert ctx.imds.endpoint == f"http://127.0.0.1:{silent.port}"
    assert ctx.imds.endpoint_source == "env AWS_EC2_METADATA_SERVICE_ENDPOINT"
    assert ctx.imds.state is ImdsState.UNREACHABLE


def test_looks_like_ec2(tmp_path: Path) -> None:
    assert not context.looks_like_ec2(tmp_path)
    (tmp_path / "class/dmi/id").mkdir(parents=True)
    (tmp_path / "class/dmi/id/sys_vendor").write_text("Amazon EC2\n")
    assert context.looks_like_ec2(tmp_path)


def test_amazon_resolver() -> None:
    assert context.is_amazon_resolver("169.254.169.253", ())
    assert context.is_amazon_resolver("10.0.0.2", ("10.0.0.0/16",))
    assert not context.is_amazon_resolver("10.0.0.2", ())
    assert not context.is_amazon_resolver("8.8.8.8", ("10.0.0.0/16",))


def test_retry_settings_only_when_configured(
    aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """retry_mode / max_attempts as botocore's chain reads them (env over profile); unset, they
    stay None: this botocore's default is not the default of the SDK that will call."""
    ctx = _gather().context
    assert (ctx.retry_mode, ctx.max_attempts) == (None, None)
    assert ctx.setting("retry_mode") is None and ctx.setting("max_attempts") is None
    (aws_env / "config").write_text("[default]\nretry_mode = Legacy\nmax_attempts = 2\n")
    ctx = _gather().context
    assert (ctx.retry_mode, ctx.max_attempts) == ("legacy", 2)
    shown = ctx.setting("max_attempts")
    assert shown is not None and shown.source.endswith("config [default]")
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "many")
    ctx = _gather().context
    assert (ctx.retry_mode, ctx.max_attempts) == ("adaptive", None)


def test_defaults_mode_sets_connect_timeout_and_retry_mode(
    aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """defaults_mode standard: botocore's client takes a 3.1 s connect timeout and standard
    retries (sdk-default-configuration.json), as the client it builds says; legacy or unset:
    botocore's 60 s and no retry mode claimed."""
    ctx = _gather().context
    assert ctx.connect_timeout == (60.0, "by default") and ctx.retry_mode is None
    monkeypatch.setenv("AWS_DEFAULTS_MODE", "legacy")
    ctx = _gather().context
    assert ctx.connect_timeout == (60.0, "by default") and ctx.retry_mode is None
    monkeypatch.setenv("AWS_DEFAULTS_MODE", "standard")
    ctx = _gather().context
    assert ctx.connect_timeout == (3.1, "defaults_mode standard")
    assert ctx.retry_mode == "standard" and ctx.setting("defaults_mode") is not None


def test_container_credential_endpoint_as_botocore_builds_it() -> None:
    from stsdiag.context import container_credentials

    rel = {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/7f147da7-f2d9-4bad"}
    assert container_credentials(rel) == (
        "http://169.254.170.2/v2/credentials/7f14…",  # the id is a secret: masked
        "env AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    )
    full = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1/credentials"}
    assert container_credentials(full) == (
        "http://169.254.170.23/v1/credentials",
        "env AWS_CONTAINER_CREDENTIALS_FULL_URI",
    )
    assert container_credentials({**full, **rel})[1].endswith("RELATIVE_URI")  # botocore's order
    ecs_full = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "https://10.0.170.2/v2/credentials/7f147da7"}
    assert container_credentials(ecs_full)[0] == "https://10.0.170.2/v2/credentials/7f14…"
    assert container_credentials({}) == (None, "unset")


def test_a_pending_chain_names_the_provider_it_is_stuck_in(aws_env: Path) -> None:
    """credential_process has no timeout in botocore: a helper that never returns holds the
    chain, and the resolving thread's stack says which provider it is in."""
    (aws_env / "config").write_text("[default]\ncredential_process = sleep 2\n")
    info = context.PendingCredentials(context.make_session(Overrides(timeout=1.0))).wait(0.3)
    assert info.state is CredState.PENDING and info.method == "custom-process"
    assert "still in its `custom-process` provider" in info.detail
    # near-miss: a chain that finishes names the provider that supplied credentials
    (aws_env / "config").write_text("[default]\ncredential_process = echo '{\"Version\": 1, "
                                    '"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": "x"}\'\n')  # fmt: skip
    done = context.PendingCredentials(context.make_session(Overrides(timeout=1.0))).wait(5)
    assert (done.state, done.method) == (CredState.FOUND, "custom-process")
