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


def dropped_v6(address: str) -> AddressResult:
    return AddressResult(address, 6, AddressClass.PUBLIC, (
        lr(Layer.TCP, Status.TIMEOUT, 3000.0, ErrorKind.CONNECT_TIMEOUT, "connect timed out"),
        lr(Layer.TLS, Status.SKIPPED), lr(Layer.HTTPS, Status.SKIPPED), lr(Layer.STS, Status.SKIPPED),
    ))  # fmt: skip


def world(order: str, *, v6_drops: bool = False) -> tuple[ProbeFacts, tuple]:  # type: ignore[type-arg]
    v6 = (dropped_v6 if v6_drops else unreachable_v6)("2001:db8:100::101")
    dual = ep(target(DUAL, TargetKind.DUALSTACK, "us-east-2", sdk=True),
              healthy("203.0.113.101", AddressClass.PUBLIC), v6)  # fmt: skip
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


def test_dropped_ipv6_path_tried_first_is_an_error() -> None:
    """urllib3's create_connection gives every address the whole connect timeout: a dropped
    IPv6 address first costs every new connection 60 s (botocore's default)."""
    facts, results = world("2001:db8:100::101 203.0.113.101", v6_drops=True)
    found = evaluate(facts)
    sd206 = codes(found)["SD206"]
    assert sd206.severity is Severity.ERROR, sd206
    assert "waits its whole connect timeout (60 s by default) on 2001:db8:100::101" in sd206.message
    assert "before it connects to 203.0.113.101" in sd206.message
    rec = recommend(facts.context, results, found, ())
    after = demote_unused_paths(found, results, rec)
    assert {f.code: f.severity for f in after}["SD202"] is Severity.ERROR  # nothing is demoted


def test_recommending_the_ipv4_only_name_turns_dual_stack_off() -> None:
    """Old code: the regional IPv4-only name was recommended while the snippet left the user's
    use_dualstack_endpoint = true in force (botocore would still use the dual-stack name)."""
    facts, results = world("2001:db8:100::101 203.0.113.101", v6_drops=True)
    regional = ep(target("https://sts.us-east-2.amazonaws.com", TargetKind.REGIONAL, "us-east-2"),
                  healthy("198.51.100.101", AddressClass.PUBLIC))  # fmt: skip
    results = (*results, verdict(regional))
    rec = recommend(facts.context, results, evaluate(replace(facts, endpoints=results)), ())
    assert rec.endpoint_url == "https://sts.us-east-2.amazonaws.com"
    assert "export AWS_USE_DUALSTACK_ENDPOINT=false" in rec.settings
    assert "use_dualstack_endpoint = false" in rec.config_snippet
    assert not any("AWS_ENDPOINT_URL_STS" in x for x in rec.settings)


def test_unreachable_ipv6_tried_first_is_a_warning() -> None:
    """Old code: an error ('waits for its connect timeout') although an unreachable network
    fails the connect at once and urllib3 goes straight on to the next address."""
    facts, results = world("2001:db8:100::101 203.0.113.101")
    found = evaluate(facts)
    sd206 = codes(found)["SD206"]
    assert sd206.severity is Severity.WARNING, sd206
    assert (
        "fails without a timeout" in sd206.message and "goes on to 203.0.113.101" in sd206.message
    )
    rec = recommend(facts.context, results, found, ())
    after = demote_unused_paths(found, results, rec)
    assert all(f.severity is not Severity.ERROR for f in after), after


def _check_report(results: tuple, findings: tuple) -> object:  # type: ignore[type-arg]
    from tests.test_check import report

    base = report(*results, region="us-east-2", rec_url=DUAL)
    return replace(base, endpoints=results, findings=findings)  # type: ignore[type-var]


def test_check_agrees_with_the_probe_on_a_broken_ip_family() -> None:
    """Old code: `check --expect-endpoint regional` failed ('1 of 2 addresses answered') while
    the probe passed with an SD206 warning. Now they agree in all three cases."""
    from stsdiag import check

    cases = (
        ("203.0.113.101 2001:db8:100::101", False, True),  # IPv4 first: unaffected
        ("2001:db8:100::101 203.0.113.101", False, True),  # IPv6 first, fails at once
        ("2001:db8:100::101 203.0.113.101", True, False),  # IPv6 first, dropped: 60 s each time
    )
    for order, drops, passes in cases:
        facts, results = world(order, v6_drops=drops)
        found = evaluate(facts)
        rec = recommend(facts.context, results, found, ())
        found = demote_unused_paths(found, results, rec)
        rep = _check_report(results, found)
        got = {e.name: e for e in check.evaluate(rep, check.Expectations(endpoint="regional"))}  # type: ignore[arg-type]
        assert got["expect-endpoint"].passed is passes, (order, drops, got["expect-endpoint"])
        probe_passes = not any(f.severity is Severity.ERROR for f in found)
        assert probe_passes is passes, (order, drops, found)
        if passes:
            assert "2001:db8:100::101 fail" in got["expect-endpoint"].message


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
