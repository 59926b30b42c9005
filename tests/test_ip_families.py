"""Dual-stack names: when every address of one IP family fails and the other works, the
host's path for that family is broken, not a zone's interface; the SDK (urllib3) connects in
getaddrinfo's order, so it is unaffected when that order starts with a working address."""

from __future__ import annotations

from dataclasses import replace

from stsdiag.models import (
    AddressClass,
    AddressResult,
    ErrorKind,
    Layer,
    Severity,
    Status,
    TargetKind,
)
from stsdiag.probe import demote_unused_paths, recommend, verdict
from stsdiag.rules.probe import ProbeFacts, evaluate
from tests.test_plan import ctx
from tests.test_probe_rules import CREDS, codes, dropped, ep, healthy, lr, target

DUAL = "https://sts.us-east-2.api.aws"


def unreachable_v6(address: str) -> AddressResult:
    return AddressResult(address, 6, AddressClass.PUBLIC, (
        lr(Layer.TCP, Status.FAIL, 1.0, ErrorKind.CONNECTION_ERROR, "Network is unreachable"),
        lr(Layer.TLS, Status.SKIPPED), lr(Layer.HTTPS, Status.SKIPPED), lr(Layer.STS, Status.SKIPPED),
    ))  # fmt: skip


def world(order: str) -> tuple[ProbeFacts, tuple]:  # type: ignore[type-arg]
    dual = ep(target(DUAL, TargetKind.DUALSTACK, "us-east-2", sdk=True),
              healthy("203.0.113.101", AddressClass.PUBLIC), unreachable_v6("2001:db8:100::101"))  # fmt: skip
    dual = replace(dual, dns=lr(Layer.DNS, sdk_order=order))
    results = tuple(verdict(e) for e in (
        dual,
        ep(target("https://sts.amazonaws.com", TargetKind.GLOBAL, None), dropped("192.0.2.16", AddressClass.PUBLIC)),
    ))  # fmt: skip
    c = ctx(region="us-east-2", use_dualstack=True)
    return ProbeFacts(c, CREDS, results), results


def test_broken_ipv6_path_with_ipv4_first_is_a_warning_and_the_run_passes() -> None:
    """Old code: SD206 error about availability zones; the global endpoint's SD202 stayed an
    error because the SDK's endpoint was only 'partial'; exit 1 while the SDK works."""
    facts, results = world("203.0.113.101 2001:db8:100::101")
    found = evaluate(facts)
    sd206 = codes(found)["SD206"]
    assert sd206.severity is Severity.WARNING and "IPv6 path is broken" in sd206.message
    assert "availability zone" not in sd206.message and "not affected" in sd206.message
    rec = recommend(facts.context, results, found, ())
    assert rec.endpoint_url == DUAL
    after = demote_unused_paths(found, results, rec)
    assert all(f.severity is not Severity.ERROR for f in after), [
        (f.code, f.severity) for f in after
    ]


def test_broken_ipv6_path_tried_first_is_an_error() -> None:
    facts, _ = world("2001:db8:100::101 203.0.113.101")
    sd206 = codes(evaluate(facts))["SD206"]
    assert sd206.severity is Severity.ERROR and "waits for its connect timeout" in sd206.message


def test_recommendation_keeps_the_users_dual_stack_setting() -> None:
    """Old code: an AWS_ENDPOINT_URL_STS override instead of use_dualstack_endpoint."""
    facts, results = world("203.0.113.101 2001:db8:100::101")
    rec = recommend(facts.context, results, (), ())
    assert "use_dualstack_endpoint = true" in rec.config_snippet
    assert not any("AWS_ENDPOINT_URL_STS" in s for s in rec.settings)


def test_check_counts_the_regional_fips_and_dual_stack_variants_as_regional() -> None:
    """Old code: `--expect-endpoint regional` failed on the dual-stack/FIPS endpoint that
    use_dualstack_endpoint / use_fips_endpoint select (the region's own endpoint)."""
    from tests.test_check import endpoint, evaluate, layers, report

    for url, kind in (
        (DUAL, TargetKind.DUALSTACK),
        ("https://sts-fips.us-east-2.amazonaws.com", TargetKind.FIPS),
    ):
        rep = report(endpoint(url, kind, {"203.0.113.101": layers()}, sdk=True))
        got = evaluate(rep, endpoint="regional")["expect-endpoint"]
        assert got.passed, got
    rep = report(
        endpoint("https://sts.amazonaws.com", TargetKind.GLOBAL, {"192.0.2.16": layers()}, sdk=True)
    )
    assert not evaluate(rep, endpoint="regional")["expect-endpoint"].passed
