"""STS hosts are recognised from botocore's own partition data (DNS suffixes), not a
hand-written list: every region botocore knows, in every partition, with its FIPS and
dual-stack variants; and the partition of the SDK's host is compared with the caller's."""

from __future__ import annotations

from dataclasses import replace

from stsdiag import endpoints
from stsdiag.context import Imds, ImdsState, SdkEndpoint
from stsdiag.models import AddressClass, TargetKind
from stsdiag.plan import classify
from stsdiag.probe import recommend
from stsdiag.rules.probe import ProbeFacts, evaluate
from tests.test_plan import ctx
from tests.test_probe_rules import CREDS, codes, ep, healthy, target


def test_every_botocore_sts_url_is_recognised_with_its_region_and_partition() -> None:
    """Old code: China dual-stack (api.amazonwebservices.com.cn) and the European Sovereign
    Cloud (amazonaws.eu) were 'custom' hosts."""
    missed = []
    for region in endpoints.regions():
        for fips, dual in ((False, False), (True, False), (False, True)):
            try:
                url = endpoints.sts_url(region, fips=fips, dualstack=dual)
            except Exception:  # no such variant in this partition
                continue
            kind, got = classify(url)
            host = endpoints.host_of(url)
            if kind is TargetKind.CUSTOM or got != region:
                missed.append((url, kind, got))
            elif endpoints.partition_of_host(host) != endpoints.partition_of(region):
                missed.append((url, "partition", endpoints.partition_of_host(host)))
    assert not missed, missed


def test_global_and_vpce_hosts_and_near_misses() -> None:
    assert classify("https://sts.amazonaws.com") == (TargetKind.GLOBAL, None)
    assert endpoints.partition_of_host("sts.amazonaws.com") == "aws"
    vpce = "vpce-0a1b-4k2m.sts.cn-north-1.vpce.amazonaws.com.cn"
    assert classify(f"https://{vpce}") == (TargetKind.VPCE, "cn-north-1")
    assert classify("https://st.amazonaws.com")[0] is TargetKind.CUSTOM
    assert classify("https://sts.amazonaws.com.evil.example")[0] is TargetKind.CUSTOM
    assert endpoints.partition_of_host("localstack.internal") is None


def test_china_instance_without_region_sending_sts_to_the_commercial_global_endpoint() -> None:
    """Old code: SD109 only looked at a configured region."""
    imds = Imds(ImdsState.OK, "http://169.254.169.254", region="cn-north-1")
    c = ctx(imds=imds, sdk=SdkEndpoint("https://sts.amazonaws.com", "aws-global", "us-east-1"))
    fs = codes(evaluate(ProbeFacts(c, CREDS, ())))
    assert "sts.cn-north-1.amazonaws.com.cn" in fs["SD109"].message
    c = ctx(imds=Imds(ImdsState.OK, "http://169.254.169.254", region="us-east-2"),
            sdk=SdkEndpoint("https://sts.amazonaws.com", "aws-global", "us-east-1"))  # fmt: skip
    assert "SD109" not in codes(evaluate(ProbeFacts(c, CREDS, ())))


def test_recommendation_keeps_the_users_fips_setting() -> None:
    """Old code: the snippet dropped use_fips_endpoint (GovCloud's FIPS URL is its regional)."""
    gov = "https://sts.us-gov-west-1.amazonaws.com"
    c = ctx(
        region="us-gov-west-1",
        use_fips=True,
        sdk=SdkEndpoint(gov, "us-gov-west-1", "us-gov-west-1"),
    )
    results = (ep(target(gov, TargetKind.REGIONAL, "us-gov-west-1", sdk=True),
                  healthy("198.51.100.91", AddressClass.PUBLIC)),)  # fmt: skip
    rec = recommend(c, results, (), ())
    assert rec.endpoint_url == gov and "use_fips_endpoint = true" in rec.config_snippet
    assert "export AWS_USE_FIPS_ENDPOINT=true" in rec.settings
    assert not any("AWS_ENDPOINT_URL_STS" in s for s in rec.settings)
    rec = recommend(replace(c, use_fips=False), results, (), ())
    assert "use_fips_endpoint" not in rec.config_snippet
