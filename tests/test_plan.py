"""The probe plan from a context: which endpoints, their kinds, regions and proxies."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from stsdiag.context import Context, Imds, ImdsState, SdkEndpoint
from stsdiag.errors import UsageError
from stsdiag.models import TargetKind
from stsdiag.plan import (
    PlanOptions,
    build,
    endpoint_map,
    no_proxy_matches,
    parse_endpoint_url,
    proxy_for,
)

BASE = Context(
    settings=(),
    region=None,
    region_source="unset",
    profile="default",
    sts_regional_endpoints="regional",
    endpoint_override=None,
    endpoint_override_source="unset",
    use_fips=False,
    use_dualstack=False,
    https_proxy=None,
    http_proxy=None,
    no_proxy=None,
    ca_bundle="/etc/ssl/certs/ca-certificates.crt",
    ca_bundle_source="botocore default",
    aws_region_env=None,
    aws_default_region_env=None,
    profile_region=None,
    web_identity_role_arn=None,
    web_identity_token_file=None,
    sdk=SdkEndpoint("https://sts.amazonaws.com", "aws-global", "us-east-1"),
    imds=Imds(ImdsState.UNREACHABLE, "http://169.254.169.254"),
    resolvers=("10.0.0.2",),
    botocore_version="1.0",
)


def ctx(**kw: Any) -> Context:
    return replace(BASE, **kw)


def test_no_region_on_ec2_plans_sdk_global_and_the_instance_region() -> None:
    c = ctx(imds=Imds(ImdsState.OK, "http://169.254.169.254", region="ap-northeast-1"))
    ts = build(c, PlanOptions())
    assert [(t.url, t.kind, t.sdk_would_use) for t in ts] == [
        ("https://sts.amazonaws.com", TargetKind.GLOBAL, True),
        ("https://sts.ap-northeast-1.amazonaws.com", TargetKind.REGIONAL, False),
    ]
    assert ts[0].signing_region == "us-east-1" and ts[0].region is None
    assert ts[1].signing_region == "ap-northeast-1" and ts[1].partition == "aws"


def test_regions_vpce_names_and_override_are_deduplicated() -> None:
    c = ctx(region="ap-northeast-1", sdk=SdkEndpoint("https://sts.ap-northeast-1.amazonaws.com", "ap-northeast-1",
                                                     "ap-northeast-1"),
            endpoint_override="https://sts.ap-northeast-1.amazonaws.com", endpoint_override_source="--endpoint-url")  # fmt: skip
    vpce = "vpce-0a1b-4k2m.sts.ap-northeast-1.vpce.amazonaws.com"
    ts = build(c, PlanOptions(regions=("ap-northeast-1", "eu-west-1"), vpce_names=(vpce,)))
    assert [(t.host, t.kind) for t in ts] == [
        ("sts.ap-northeast-1.amazonaws.com", TargetKind.REGIONAL),
        ("sts.amazonaws.com", TargetKind.GLOBAL),
        ("sts.eu-west-1.amazonaws.com", TargetKind.REGIONAL),
        (vpce, TargetKind.VPCE),
    ]
    assert (
        ts[0].sdk_would_use
        and ts[3].region == "ap-northeast-1"
        and ts[3].signing_region == "ap-northeast-1"
    )


def test_variants_come_from_botocore() -> None:
    c = ctx(region="us-east-1", use_fips=True,
            sdk=SdkEndpoint("https://sts-fips.us-east-1.amazonaws.com", "us-east-1", "us-east-1"))  # fmt: skip
    ts = build(c, PlanOptions())
    assert [t.kind for t in ts] == [TargetKind.FIPS, TargetKind.GLOBAL, TargetKind.REGIONAL]
    ts = build(ctx(region="eu-west-1"), PlanOptions(variants=True))
    urls = {t.url for t in ts}
    assert {"https://sts-fips.eu-west-1.amazonaws.com", "https://sts.eu-west-1.api.aws"} <= urls


def test_china_region_does_not_plan_the_global_endpoint() -> None:
    c = ctx(
        region="cn-north-1",
        sdk=SdkEndpoint("https://sts.cn-north-1.amazonaws.com.cn", "cn-north-1", "cn-north-1"),
    )
    ts = build(c, PlanOptions())
    assert [t.url for t in ts] == ["https://sts.cn-north-1.amazonaws.com.cn"]
    assert ts[0].partition == "aws-cn"


def test_malformed_override_from_the_environment_is_not_fatal() -> None:
    c = ctx(
        endpoint_override="https://bad host", endpoint_override_source="env AWS_ENDPOINT_URL_STS"
    )
    assert [t.kind for t in build(c, PlanOptions())] == [TargetKind.GLOBAL]
    with pytest.raises(UsageError):
        build(replace(c, endpoint_override_source="--endpoint-url"), PlanOptions())


@pytest.mark.parametrize("url", ["sts.amazonaws.com", "ftp://sts.amazonaws.com", "https://", "https://a b.com",
                                 "https://sts.amazonaws.com:99999", "https://-bad-.com"])  # fmt: skip
def test_parse_endpoint_url_rejects(url: str) -> None:
    with pytest.raises(UsageError):
        parse_endpoint_url(url)


def test_parse_endpoint_url_accepts() -> None:
    assert parse_endpoint_url("https://STS.amazonaws.com/") == ("https", "sts.amazonaws.com", 443)
    assert parse_endpoint_url("http://127.0.0.1:4566") == ("http", "127.0.0.1", 4566)


@pytest.mark.parametrize(
    ("host", "no_proxy", "bypass"),
    [
        ("sts.ap-northeast-1.amazonaws.com", ".amazonaws.com", True),
        ("sts.ap-northeast-1.amazonaws.com", "amazonaws.com", True),
        # botocore reads NO_PROXY with urllib (should_bypass_proxies): no `*.` wildcards, no CIDR
        # blocks, no ports on entries -- unlike requests and curl (these three were True before)
        ("sts.ap-northeast-1.amazonaws.com", "*.amazonaws.com", False),
        ("notamazonaws.com", "amazonaws.com", False),
        ("169.254.169.254", "169.254.169.254", True),
        ("169.254.169.254", "169.254.0.0/16", False),
        ("10.0.1.10", "localhost,127.0.0.1", False),
        ("anything", "*", True),
        ("sts.amazonaws.com", None, False),
        ("sts.amazonaws.com", "sts.amazonaws.com:443", False),
        ("STS.amazonaws.com", " foo , Amazonaws.com ", True),
    ],
)
def test_no_proxy(host: str, no_proxy: str | None, bypass: bool) -> None:
    assert no_proxy_matches(host, no_proxy) is bypass


def test_proxy_for() -> None:
    c = ctx(https_proxy="http://proxy:3128", no_proxy=".vpce.amazonaws.com")
    assert proxy_for("https://sts.amazonaws.com", c) == "http://proxy:3128"
    assert proxy_for("https://vpce-1.sts.eu-west-1.vpce.amazonaws.com", c) is None
    assert proxy_for("http://127.0.0.1:4566", c) is None  # no HTTP_PROXY


def test_endpoint_map_marks_the_sdk_choice() -> None:
    rows = endpoint_map("aws", None, "https://sts.amazonaws.com")
    assert rows[0].kind is TargetKind.GLOBAL and rows[0].sdk_would_use
    tokyo = [r for r in rows if r.region == "ap-northeast-1"]
    assert {r.kind for r in tokyo} == {TargetKind.REGIONAL, TargetKind.FIPS, TargetKind.DUALSTACK}
    assert not any(r.opt_in for r in tokyo)
    assert any(r.opt_in for r in rows if r.region == "ap-east-1")
    assert sum(r.sdk_would_use for r in rows) == 1
    gov = endpoint_map("aws-us-gov", "us-gov-west-1", None)
    assert gov and all(r.partition == "aws-us-gov" for r in gov)
