"""An endpoint override that already points the SDK at the VPC endpoint's name is honoured
and reported, not flagged: private DNS being off is then an info for other tools."""

from __future__ import annotations

from stsdiag.context import SdkEndpoint
from stsdiag.models import AddressClass, Severity, TargetKind, Via
from stsdiag.probe import demote_unused_paths, recommend, verdict
from stsdiag.rules.probe import ProbeFacts, evaluate
from tests.test_plan import ctx
from tests.test_probe_rules import CREDS, IMDS, TOKYO, VPCE, codes, dropped, ep, healthy, target


def test_private_dns_off_is_info_when_the_sdk_already_uses_the_vpce_name() -> None:
    """Old code: SD205 warning with the fix 'use AWS_ENDPOINT_URL_STS=…' the user already has."""
    c = ctx(region="ap-northeast-1", imds=IMDS, endpoint_override=VPCE,
            endpoint_override_source="env AWS_ENDPOINT_URL_STS",
            sdk=SdkEndpoint(VPCE, "ap-northeast-1", "ap-northeast-1"))  # fmt: skip
    results = tuple(verdict(e) for e in (
        ep(target(VPCE, TargetKind.VPCE, "ap-northeast-1", sdk=True), healthy("10.0.1.10", AddressClass.VPC_PRIVATE)),
        ep(target("https://sts.amazonaws.com", TargetKind.GLOBAL, None), dropped("192.0.2.16", AddressClass.PUBLIC)),
        ep(target(TOKYO, TargetKind.REGIONAL, "ap-northeast-1"), dropped("198.51.100.21", AddressClass.PUBLIC)),
    ))  # fmt: skip
    found = evaluate(ProbeFacts(c, CREDS, results))
    fs = codes(found)
    assert fs["SD205"].severity is Severity.INFO
    assert "already uses" in fs["SD205"].message and "AWS_ENDPOINT_URL_STS" in fs["SD205"].message
    assert "SD107" not in fs
    rec = recommend(c, results, found, ())
    assert (rec.endpoint_url, rec.via) == (VPCE, Via.VPC_ENDPOINT)
    after = demote_unused_paths(found, results, rec)
    assert all(f.severity is not Severity.ERROR for f in after), after
