"""Where the caller's region comes from when botocore has none: the instance (IMDS) or
`AWS_REGION` (read by the AWS CLI v2 and other SDKs, ignored by botocore). The plan probes
that region's endpoint and the recommendation uses it; with no region anywhere the
recommendation does not claim that only the global endpoint works."""

from __future__ import annotations

from stsdiag.models import AddressClass, TargetKind
from stsdiag.plan import PlanOptions, build
from stsdiag.probe import recommend
from stsdiag.rules.probe import ProbeFacts, evaluate
from tests.test_plan import ctx
from tests.test_probe_rules import CREDS, codes, ep, healthy, target

SYD = "https://sts.ap-southeast-2.amazonaws.com"
GLOBAL = "https://sts.amazonaws.com"


def test_aws_region_is_planned_when_botocore_has_no_region() -> None:
    """Old code: only the global endpoint was planned."""
    urls = [t.url for t in build(ctx(aws_region_env="ap-southeast-2"), PlanOptions())]
    assert SYD in urls and GLOBAL in urls


def test_aws_region_names_the_region_in_sd101_sd102_and_the_recommendation() -> None:
    c = ctx(aws_region_env="ap-southeast-2")
    results = (
        ep(target(GLOBAL, TargetKind.GLOBAL, None, sdk=True), healthy("192.0.2.16", AddressClass.PUBLIC)),
        ep(target(SYD, TargetKind.REGIONAL, "ap-southeast-2"), healthy("198.51.100.51", AddressClass.PUBLIC)),
    )  # fmt: skip
    fs = codes(evaluate(ProbeFacts(c, CREDS, results)))
    assert "ap-southeast-2 (AWS_REGION" in fs["SD101"].message
    assert SYD in fs["SD102"].message and "SD111" in fs
    rec = recommend(c, results, tuple(fs.values()), ())
    assert rec.region == "ap-southeast-2" and rec.endpoint_url == SYD
    assert "from AWS_REGION" in rec.note


def test_no_region_anywhere_does_not_blame_the_regional_path() -> None:
    results = (
        ep(target(GLOBAL, TargetKind.GLOBAL, None, sdk=True), healthy("192.0.2.16", AddressClass.PUBLIC)),
    )  # fmt: skip
    rec = recommend(ctx(), results, (), ())
    assert rec.endpoint_url == GLOBAL
    assert "Only the global endpoint works" not in rec.note and "No region is known" in rec.note
