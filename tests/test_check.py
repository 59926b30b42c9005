"""`stsdiag check`, pure parts: the expectations file, evaluation over probe reports built
here, retries, GitHub annotations, the --quiet text and JUnit validity (tests/data/junit.xsd)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import xmlschema

from stsdiag import check
from stsdiag.errors import UsageError
from stsdiag.models import (
    AddressClass,
    AddressResult,
    EndpointResult,
    Evidence,
    ExpectationResult,
    FailOn,
    Finding,
    HostContext,
    Layer,
    LayerResult,
    Recommendation,
    Report,
    Setting,
    Severity,
    Status,
    Target,
    TargetKind,
    Via,
)
from stsdiag.render import github, junit

XSD = Path(__file__).parent / "data" / "junit.xsd"
REGIONAL = "https://sts.ap-northeast-1.amazonaws.com"
GLOBAL = "https://sts.amazonaws.com"
ARN = "arn:aws:sts::123456789012:assumed-role/ci-runner/session-1"

# --------------------------------------------------------------------------- report builders


def layers(
    *,
    https: bool = True,
    tcp: Status = Status.OK,
    offset: float | None = 0.4,
    gci_ms: float | None = 80.0,
    gci_error: str | None = None,
    assume: str | None = None,  # "ok" or an error code
) -> tuple[LayerResult, ...]:
    if tcp is not Status.OK:
        return (
            LayerResult(Layer.TCP, tcp, 1000.0, "connect timed out"),
            LayerResult(Layer.TLS, Status.SKIPPED, None, "skipped: tcp timeout"),
            LayerResult(Layer.HTTPS, Status.SKIPPED, None, "skipped: tcp timeout"),
            LayerResult(Layer.STS, Status.SKIPPED, None, "skipped: tcp timeout"),
        )
    hdata = (("clock_offset_s", f"{offset:.1f}"),) if offset is not None else ()
    out = [
        LayerResult(Layer.TCP, Status.OK, 1.0, "connected"),
        LayerResult(Layer.TLS, Status.OK, 5.0, "verified"),
        LayerResult(Layer.HTTPS, Status.OK if https else Status.FAIL, 40.0, "STS answered", None,
                    hdata),
    ]  # fmt: skip
    if gci_error:
        out.append(LayerResult(Layer.STS, Status.FAIL, 50.0, f"GetCallerIdentity: {gci_error}",
                               None, (("operation", "GetCallerIdentity"),
                                      ("error_code", gci_error.split(":")[0]))))  # fmt: skip
    elif gci_ms is not None:
        out.append(LayerResult(Layer.STS, Status.OK, gci_ms, f"caller {ARN}", None,
                               (("operation", "GetCallerIdentity"), ("account", "123456789012"),
                                ("arn", ARN))))  # fmt: skip
    if assume == "ok":
        out.append(LayerResult(Layer.STS, Status.OK, 70.0, "assumed", None,
                               (("operation", "AssumeRole"),
                                ("arn", "arn:aws:sts::111122223333:assumed-role/deploy/stsdiag"))))  # fmt: skip
    elif assume:
        out.append(LayerResult(Layer.STS, Status.FAIL, 70.0, f"AssumeRole: {assume}: denied",
                               None, (("operation", "AssumeRole"), ("error_code", assume))))  # fmt: skip
    return tuple(out)


def endpoint(
    url: str,
    kind: TargetKind,
    addresses: dict[str, tuple[LayerResult, ...]],
    *,
    sdk: bool = False,
    private: bool = False,
    proxy: str | None = None,
) -> EndpointResult:
    host = url.split("://")[1]
    cls = AddressClass.VPC_PRIVATE if private else AddressClass.PUBLIC
    addrs = tuple(AddressResult(a, 4, cls, ls) for a, ls in addresses.items())
    ok_n = sum(
        1 for a in addrs if any(r.layer is Layer.HTTPS and r.status is Status.OK for r in a.layers)
    )
    status = "ok" if ok_n == len(addrs) and addrs else "partial" if ok_n else "fail"
    via = (Via.VPC_ENDPOINT if private else Via.PUBLIC) if ok_n else None
    region = None if kind is TargetKind.GLOBAL else "ap-northeast-1"
    target = Target(url, host, 443, kind, region, "aws", region or "us-east-1", sdk, proxy)
    return EndpointResult(target, LayerResult(Layer.DNS, Status.OK, 2.0, "resolved"), addrs,
                          status=status, via=via)  # fmt: skip


def report(
    *eps: EndpointResult,
    region: str | None = "ap-northeast-1",
    rec_url: str | None = REGIONAL,
    rec_via: Via = Via.PUBLIC,
    findings: tuple[Finding, ...] = (),
) -> Report:
    ctx = HostContext(
        settings=(Setting("region", region, "env AWS_DEFAULT_REGION" if region else "unset"),),
        botocore_version="1.0",
        sdk_endpoint=next((e.target.url for e in eps if e.target.sdk_would_use), None),
    )
    rec = (
        Recommendation("ap-northeast-1", rec_url, rec_via, (),
                       settings=("export AWS_DEFAULT_REGION=ap-northeast-1",))
        if rec_url
        else None
    )  # fmt: skip
    return Report("probe", findings, rec, endpoints=eps, context=ctx)


def healthy() -> Report:
    return report(
        endpoint(REGIONAL, TargetKind.REGIONAL, {"198.51.100.1": layers(gci_ms=90.0),
                                                 "198.51.100.2": layers(gci_ms=120.0)}, sdk=True),
        endpoint(GLOBAL, TargetKind.GLOBAL, {"192.0.2.16": layers()}),
    )  # fmt: skip


def no_region_global_times_out() -> Report:
    """private-vpce's shape: the SDK goes global (times out); regional works via the VPCE."""
    return report(
        endpoint(GLOBAL, TargetKind.GLOBAL, {"192.0.2.16": layers(tcp=Status.TIMEOUT)}, sdk=True),
        endpoint(REGIONAL, TargetKind.REGIONAL, {"10.0.1.10": layers(), "10.0.2.10": layers()},
                 private=True),
        region=None,
        rec_via=Via.VPC_ENDPOINT,
    )  # fmt: skip


def by_name(results: tuple[ExpectationResult, ...]) -> dict[str, ExpectationResult]:
    return {r.name: r for r in results}


def evaluate(rep: Report, **kw: object) -> dict[str, ExpectationResult]:
    return by_name(check.evaluate(rep, check.Expectations(**kw)))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- evaluation


def test_healthy_report_meets_every_expectation() -> None:
    got = evaluate(healthy(), account="123456789012", arn="arn:aws:sts::*:assumed-role/ci-*/*",
                   region="ap-northeast-1", endpoint="regional", max_latency_ms=200)  # fmt: skip
    assert list(got) == [
        "expect-account", "expect-arn", "expect-region", "expect-endpoint", "max-latency-ms",
        "max-clock-skew-s",
    ]  # fmt: skip
    assert all(r.passed for r in got.values()), got
    assert all(r.fix == "" for r in got.values())
    assert got["max-latency-ms"].actual == "120 ms"  # the slowest address counts
    assert got["expect-endpoint"].actual == f"regional {REGIONAL}"


def test_expect_endpoint_regional_fails_when_the_sdk_goes_global() -> None:
    got = evaluate(no_region_global_times_out(), endpoint="regional", region="ap-northeast-1")
    ep = got["expect-endpoint"]
    assert not ep.passed
    assert ep.actual == f"global {GLOBAL}"
    assert "does not work either" in ep.message and "192.0.2.16 tcp" in ep.message
    # the recommendation (regional through the VPC endpoint) satisfies it: its settings are the fix
    assert ep.fix == "export AWS_DEFAULT_REGION=ap-northeast-1"
    assert got["expect-region"].actual == "<unset>" and not got["expect-region"].passed
    assert "AWS_DEFAULT_REGION=ap-northeast-1" in got["expect-region"].fix


@pytest.mark.parametrize("want", ["regional", "vpce", REGIONAL, REGIONAL + ":443/"])
def test_regional_name_through_private_dns_is_regional_vpce_and_its_url(want: str) -> None:
    rep = report(endpoint(REGIONAL, TargetKind.REGIONAL, {"10.0.1.10": layers()}, sdk=True,
                          private=True), rec_via=Via.VPC_ENDPOINT)  # fmt: skip
    got = evaluate(rep, endpoint=want, require_private=True)
    assert got["expect-endpoint"].passed, got["expect-endpoint"]
    assert got["expect-endpoint"].actual == f"regional via vpc-endpoint {REGIONAL}"
    assert got["require-private"].passed and got["require-private"].actual == "vpc-endpoint"


def test_expect_endpoint_global_and_other_url_fail_on_regional() -> None:
    got = evaluate(healthy(), endpoint="global")
    assert not got["expect-endpoint"].passed
    got = evaluate(healthy(), endpoint="https://sts.us-west-2.amazonaws.com")
    assert not got["expect-endpoint"].passed
    assert got["expect-endpoint"].fix.startswith("See the findings")


def test_expected_endpoint_kind_that_does_not_work_fails() -> None:
    rep = report(endpoint(REGIONAL, TargetKind.REGIONAL,
                          {"198.51.100.1": layers(gci_error="SignatureDoesNotMatch: Signature expired")},
                          sdk=True))  # fmt: skip
    got = evaluate(rep, endpoint="regional")
    assert not got["expect-endpoint"].passed
    assert "Signature expired" in got["expect-endpoint"].message
    assert "already uses this endpoint" in got["expect-endpoint"].fix


def test_require_private_fails_on_public_addresses_and_proxies() -> None:
    got = evaluate(healthy(), require_private=True)["require-private"]
    assert not got.passed and got.actual == "public"
    assert "198.51.100.1, 198.51.100.2" in got.message
    assert "interface VPC endpoint" in got.fix
    rep = report(endpoint(REGIONAL, TargetKind.REGIONAL, {"10.0.1.10": layers()}, sdk=True,
                          private=True, proxy="http://proxy:3128"))  # fmt: skip
    got = evaluate(rep, require_private=True)["require-private"]
    assert not got.passed and got.actual == "proxy"


def test_require_private_with_private_but_broken_addresses_fails() -> None:
    rep = report(endpoint(REGIONAL, TargetKind.REGIONAL,
                          {"10.0.1.10": layers(), "10.0.2.10": layers(tcp=Status.TIMEOUT)},
                          sdk=True, private=True))  # fmt: skip
    got = evaluate(rep, require_private=True)["require-private"]
    assert not got.passed and got.actual == "vpc-endpoint (not working)"
    assert "1 of 2 addresses" in got.message and "10.0.2.10 tcp" in got.message


def test_unresolvable_sdk_endpoint() -> None:
    ep = endpoint(REGIONAL, TargetKind.REGIONAL, {}, sdk=True)
    ep = replace(ep, dns=LayerResult(Layer.DNS, Status.FAIL, 3.0, "NXDOMAIN"), status="fail")
    got = evaluate(report(ep, rec_url=None), endpoint="regional", require_private=True)
    assert not got["expect-endpoint"].passed and not got["require-private"].passed
    assert (
        got["expect-endpoint"].message
        == "sts.ap-northeast-1.amazonaws.com did not resolve: NXDOMAIN"
    )
    assert got["require-private"].actual == "unresolved"
    assert "did not resolve: NXDOMAIN" in got["require-private"].message


def test_identity_expectations() -> None:
    got = evaluate(healthy(), account="210987654321", arn="arn:aws:sts::*:assumed-role/deploy/*")
    assert not got["expect-account"].passed and got["expect-account"].actual == "123456789012"
    assert not got["expect-arn"].passed and got["expect-arn"].actual == ARN
    broken = report(endpoint(REGIONAL, TargetKind.REGIONAL,
                             {"198.51.100.1": layers(gci_error="InvalidClientTokenId: bad")},
                             sdk=True))  # fmt: skip
    got = evaluate(broken, account="123456789012")
    assert got["expect-account"].actual == "unknown"
    assert "InvalidClientTokenId" in got["expect-account"].message


def test_identity_comes_from_any_endpoint_when_the_sdk_one_fails() -> None:
    got = evaluate(no_region_global_times_out(), account="123456789012")
    assert got["expect-account"].passed


def test_latency_limit() -> None:
    got = evaluate(healthy(), max_latency_ms=100)["max-latency-ms"]
    assert not got.passed and got.actual == "120 ms" and got.expected == "<= 100 ms"
    none = report(endpoint(REGIONAL, TargetKind.REGIONAL, {"a": layers(gci_ms=None)}, sdk=True))
    got = evaluate(none, max_latency_ms=100)["max-latency-ms"]
    assert not got.passed and got.actual == "unknown"


@pytest.mark.parametrize(
    ("offset", "limit", "passed", "side"),
    [(1199.9, 60, False, "behind"), (-90.0, 60, False, "ahead of"), (30.0, 60, True, "behind"),
     (1199.9, 1500, True, "behind")],
)  # fmt: skip
def test_clock_skew(offset: float, limit: float, passed: bool, side: str) -> None:
    rep = report(endpoint(REGIONAL, TargetKind.REGIONAL, {"a": layers(offset=offset)}, sdk=True))
    got = evaluate(rep, max_clock_skew_s=limit)["max-clock-skew-s"]
    assert got.passed is passed
    assert got.actual == f"{abs(offset):.0f} s"
    assert f"s {side} sts.ap-northeast-1.amazonaws.com" in got.message


def test_clock_skew_is_always_checked_and_fails_when_unmeasured() -> None:
    rep = report(endpoint(GLOBAL, TargetKind.GLOBAL, {"a": layers(tcp=Status.TIMEOUT)}, sdk=True))
    got = check.evaluate(rep, check.Expectations())
    assert [r.name for r in got] == ["max-clock-skew-s"]
    assert not got[0].passed and got[0].actual == "unknown"


def test_role_arn() -> None:
    role = "arn:aws:iam::111122223333:role/deploy"
    ok = report(endpoint(REGIONAL, TargetKind.REGIONAL, {"a": layers(assume="ok")}, sdk=True))
    got = evaluate(ok, role_arn=role)["role-arn"]
    assert got.passed and got.actual.endswith("assumed-role/deploy/stsdiag")
    denied = report(endpoint(REGIONAL, TargetKind.REGIONAL,
                             {"a": layers(assume="ok"), "b": layers(assume="AccessDenied")},
                             sdk=True))  # fmt: skip
    got = evaluate(denied, role_arn=role)["role-arn"]
    assert not got.passed and got.actual == "AccessDenied" and "trust policy" in got.fix
    untried = report(endpoint(REGIONAL, TargetKind.REGIONAL,
                              {"a": layers(gci_error="ExpiredToken: expired")}, sdk=True))  # fmt: skip
    got = evaluate(untried, role_arn=role)["role-arn"]
    assert not got.passed and got.actual == "not tried" and "ExpiredToken" in got.message


def test_no_sdk_endpoint_and_no_recommendation_fail_clearly() -> None:
    rep = report(endpoint(GLOBAL, TargetKind.GLOBAL, {"a": layers(tcp=Status.TIMEOUT)}),
                 rec_url=None)  # fmt: skip
    got = evaluate(rep, endpoint="regional", require_private=True, max_latency_ms=10,
                   role_arn="arn:aws:iam::111122223333:role/x")  # fmt: skip
    assert not any(r.passed for r in got.values())
    assert "botocore resolves no STS endpoint" in got["expect-endpoint"].message
    assert "no recommended endpoint" in got["max-latency-ms"].message


# --------------------------------------------------------------------------- retries


def test_retries_back_off_and_report_each_attempt() -> None:
    bad, good = no_region_global_times_out(), healthy()
    reports = iter([bad, bad, good])
    slept: list[float] = []
    seen: list[str] = []
    exp = check.Expectations(endpoint="regional")
    out = check.run_checks(lambda: next(reports), exp, retries=4, sleep=slept.append,
                           on_attempt=lambda o: seen.append(o.line()))  # fmt: skip
    assert slept == [1.0, 2.0]
    assert seen == [
        "attempt 1 of 5: failed (expect-endpoint); retrying in 1 s",
        "attempt 2 of 5: failed (expect-endpoint); retrying in 2 s",
        "attempt 3 of 5: passed",
    ]
    assert out.command == "check" and int(out.exit_status) == 0
    assert dict(out.extra)["attempts"] == "; ".join(seen)


def test_retries_exhausted_keep_the_last_failure() -> None:
    slept: list[float] = []
    rep = replace(
        healthy(), findings=(Finding("SD202", "connect-timeout", Severity.ERROR, "m", "f"),)
    )
    out = check.run_checks(lambda: rep, check.Expectations(), retries=3, sleep=slept.append)
    assert slept == [1.0, 2.0, 4.0]
    assert int(out.exit_status) == 1
    assert dict(out.extra)["attempts"].endswith("attempt 4 of 4: failed (SD202)")


def test_no_retries_no_sleep_no_attempts_line() -> None:
    slept: list[float] = []
    out = check.run_checks(healthy, check.Expectations(), retries=0, sleep=slept.append)
    assert slept == [] and "attempts" not in dict(out.extra)
    assert [check.backoff_s(n) for n in range(1, 7)] == [1, 2, 4, 8, 8, 8]


# --------------------------------------------------------------------------- the file

FULL = """
expect-account = "123456789012"
expect-arn = "arn:aws:sts::123456789012:assumed-role/ci/*"
expect-region = "ap-northeast-1"
expect-endpoint = "vpce"
require-private = true
max-latency-ms = 500
max-clock-skew-s = 30
role-arn = "arn:aws:iam::123456789012:role/deploy"
retries = 2
fail-on = "warning"
region = ["ap-northeast-1", "us-west-2"]
vpce-dns = "vpce-0a1b-4k2m.sts.ap-northeast-1.vpce.amazonaws.com"
timeout = 2
ignore = "SD503,SD207"
"""


def test_full_file() -> None:
    s = check.parse_toml(FULL, "stsdiag.toml", pyproject=False)
    assert s.expectations == check.Expectations(
        account="123456789012", arn="arn:aws:sts::123456789012:assumed-role/ci/*",
        region="ap-northeast-1", endpoint="vpce", require_private=True, max_latency_ms=500.0,
        max_clock_skew_s=30.0, role_arn="arn:aws:iam::123456789012:role/deploy",
    )  # fmt: skip
    assert s.retries == 2 and s.fail_on is FailOn.WARNING
    assert s.region == ("ap-northeast-1", "us-west-2")
    assert s.vpce_dns == ("vpce-0a1b-4k2m.sts.ap-northeast-1.vpce.amazonaws.com",)
    assert s.ignore == ("SD503", "SD207")
    opts = check.probe_options(s)
    assert opts.regions == ("ap-northeast-1", "us-west-2") and opts.timeout == 2.0
    assert opts.role_arn == "arn:aws:iam::123456789012:role/deploy"
    assert opts.fail_on is FailOn.WARNING and opts.role_session_name == "stsdiag"


def test_pyproject_table_and_snake_case_keys() -> None:
    text = '[project]\nname = "x"\n[tool.stsdiag]\nexpect_region = "eu-west-1"\n'
    s = check.parse_toml(text, "pyproject.toml", pyproject=True)
    assert s.expect_region == "eu-west-1"
    assert check.parse_toml('[project]\nname = "x"\n', "p", pyproject=True, required=False) == (
        check.CheckSettings()
    )
    with pytest.raises(UsageError, match=r"^pyproject.toml: no \[tool.stsdiag\] table$"):
        check.parse_toml('[project]\nname = "x"\n', "pyproject.toml", pyproject=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('expect-acount = "1"', "f: expect-acount: unknown key; did you mean 'expect-account'?"),
        ("expect-account = 123456789012", "f: expect-account: must be a non-empty string (quote it)"),
        ('expect-account = "12345"', "f: expect-account: must be a 12-digit account id"),
        ('expect-region = "ap-northeast1"', "f: expect-region: unknown region 'ap-northeast1'; did you mean ap-northeast-1?"),
        ('expect-endpoint = "regionl"', "f: expect-endpoint: must be regional, vpce, global or an https:// URL"),
        ('expect-endpoint = "https://st s.example"', "f: expect-endpoint: malformed endpoint URL"),
        ('expect-arn = "123456789012"', "f: expect-arn: must be an ARN glob"),
        ('require-private = "yes"', "f: require-private: must be true or false, not 'yes'"),
        ("max-latency-ms = 0", "f: max-latency-ms: must be a positive number of milliseconds, not 0"),
        ('max-latency-ms = "fast"', "f: max-latency-ms: must be a number, not 'fast'"),
        ("max-clock-skew-s = -1", "f: max-clock-skew-s: must be a number of seconds >= 0"),
        ('role-arn = "arn:aws:iam::1:user/x"', "f: role-arn: must be an IAM role ARN"),
        ("retries = 11", "f: retries: must be between 0 and 10, not 11"),
        ("retries = 1.5", "f: retries: must be an integer, not 1.5"),
        ('fail-on = "fatal"', "f: fail-on: must be one of error, warning, info, never, not 'fatal'"),
        ("region = [1]", "f: region: must be a string or a list of strings"),
        ('region = ["us-east-1", "us-east-1a"]', "f: region: unknown region 'us-east-1a'"),
        ("timeout = 500", "f: timeout: must be between 0 and 120 seconds, not 500"),
        ('ignore = "SD999"', "f: ignore: 'SD999' matches no finding code or name"),
        ('expect-region = "x"\nmax-latency-ms = 5O0', "f: max-latency-ms: invalid TOML: "),
        ("[expect]\nregion = 1", "f: expect: unknown key"),
    ],
)  # fmt: skip
def test_file_errors_are_one_line_naming_the_key(text: str, message: str) -> None:
    with pytest.raises(UsageError) as e:
        check.parse_toml(text, "f", pyproject=False)
    assert str(e.value).startswith(message), str(e.value)
    assert "\n" not in str(e.value)


def test_command_line_overrides_the_file() -> None:
    file = check.parse_toml(FULL, "f", pyproject=False)
    cli = check.CheckSettings(expect_region="eu-west-1", require_private=False,
                              region=("eu-west-1",), max_clock_skew_s=0.0)  # fmt: skip
    s = file.merged(cli)
    assert s.expect_region == "eu-west-1" and s.region == ("eu-west-1",)
    assert s.require_private is False and s.max_clock_skew_s == 0.0
    assert s.expect_account == "123456789012" and s.retries == 2  # kept from the file
    assert check.CheckSettings().expectations.max_clock_skew_s == 60.0


def test_command_line_values_are_validated_naming_the_option() -> None:
    with pytest.raises(UsageError, match=r"^--expect-region: unknown region 'ap-northeast1'"):
        check.validate(check.CheckSettings(expect_region="ap-northeast1"))
    with pytest.raises(UsageError, match=r"^--retries: must be between 0 and 10, not -1$"):
        check.validate(check.CheckSettings(retries=-1))
    check.validate(check.CheckSettings(expect_endpoint=REGIONAL, region=("us-east-1",)))


# --------------------------------------------------------------------------- CI outputs


def failing_check() -> Report:
    rep = no_region_global_times_out()
    findings = (
        Finding("SD102", "global-endpoint-used", Severity.ERROR,
                "The SDK uses https://sts.amazonaws.com, 100% dead:\nit times out",
                "Use the regional endpoint, a, b", (Evidence("tcp timeout", endpoint=GLOBAL,
                                                             address="192.0.2.16", layer="tcp"),)),
        Finding("SD101", "region-not-configured", Severity.WARNING, "No region.", "Set it."),
        Finding("SD503", "credentials-source", Severity.INFO, "From env.", "Nothing to fix."),
    )  # fmt: skip
    rep = replace(rep, findings=findings)
    exp = check.Expectations(endpoint="regional", account="123456789012")
    return check.run_checks(lambda: rep, exp, sleep=lambda _: None)


def test_escaping_follows_the_workflow_command_rules() -> None:
    assert github.escape_data("100%\r\nx: a, b") == "100%25%0D%0Ax: a, b"
    assert github.escape_property("100%\r\nx: a, b") == "100%25%0D%0Ax%3A a%2C b"
    assert github.command("error", "t: 1,2", "m\n%") == "::error title=t%3A 1%2C2::m%0A%25"


def test_annotations_line_by_line() -> None:
    lines = github.render(failing_check()).splitlines()
    assert lines == [
        "::error title=stsdiag check%3A expect-endpoint::expected regional, got global "
        "https://sts.amazonaws.com: with the current configuration the SDK would use global "
        "https://sts.amazonaws.com, which does not work either: sts.amazonaws.com: 0 of 1 "
        "addresses answered as STS (192.0.2.16 tcp: connect timed out)"
        "%0Afix: export AWS_DEFAULT_REGION=ap-northeast-1",
        "::error title=stsdiag check%3A SD102 global-endpoint-used::The SDK uses "
        "https://sts.amazonaws.com, 100%25 dead:%0Ait times out"
        "%0Ahttps://sts.amazonaws.com 192.0.2.16 tcp: tcp timeout"
        "%0Afix: Use the regional endpoint, a, b",
        "::warning title=stsdiag check%3A SD101 region-not-configured::No region.%0Afix: Set it.",
    ]
    quiet = github.render(failing_check(), quiet=True).splitlines()
    assert quiet == lines[:2]
    assert github.render(check.run_checks(healthy, check.Expectations(), sleep=print)) == ""


def test_annotations_redact_secrets() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    rep = replace(healthy(), findings=(Finding("SD404", "signature-mismatch", Severity.ERROR,
                                               f"aws_secret_access_key={secret}", "fix"),))  # fmt: skip
    out = github.render(rep)
    assert secret not in out and "<redacted>" in out


def test_quiet_text_lists_only_failures() -> None:
    text = github.failures(failing_check())
    assert text.splitlines()[0].startswith("FAIL  expect-endpoint: expected regional, got global")
    assert "      fix: export AWS_DEFAULT_REGION=ap-northeast-1" in text
    assert "ERROR SD102 global-endpoint-used: The SDK uses" in text
    assert "expect-account" not in text  # passed
    assert "SD101" not in text and "SD503" not in text  # below --fail-on
    assert github.failures(check.run_checks(healthy, check.Expectations(), sleep=print)) == ""


# --------------------------------------------------------------------------- JUnit


def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def test_junit_of_a_check_is_valid_and_carries_expectations() -> None:
    import xml.etree.ElementTree as ET

    schema = junit_schema()
    rep = failing_check()
    xml = junit.render(rep)
    schema.validate(xml)
    root = ET.fromstring(xml)
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    exp = cases[("stsdiag.check.expectations", "expect-endpoint regional")]
    failure = exp.find("failure")
    assert failure is not None and "fix: export AWS_DEFAULT_REGION" in (failure.text or "")
    assert (
        cases[("stsdiag.check.expectations", "expect-account 123456789012")].find("failure") is None
    )
    tcp = cases[("stsdiag.probe.sts.amazonaws.com", "192.0.2.16 tcp")]
    assert tcp.find("failure") is not None
    assert cases[("stsdiag.probe.sts.amazonaws.com", "192.0.2.16 sts")].find("skipped") is not None
    sd102 = cases[("stsdiag.check", "SD102 global-endpoint-used")].find("failure")
    assert sd102 is not None and "fix: Use the regional endpoint" in (sd102.text or "")
    suite = root.find("testsuite")
    assert suite is not None
    assert int(suite.get("failures") or 0) == sum(
        1 for c in root.iter("testcase") if c.find("failure") is not None
    )


def test_the_schema_is_not_vacuous() -> None:
    schema = junit_schema()
    bad = [
        '<testsuites><testsuite tests="1"><testcase name="x"/></testsuite></testsuites>',  # no name
        '<testsuites><testsuite name="s" tests="-1"/></testsuites>',
        '<testsuites><testsuite name="s" tests="1"><testcase name="x" time="fast"/>'
        "</testsuite></testsuites>",
        '<testsuites><testsuite name="s" tests="1"><testcase name="x"><oops/></testcase>'
        "</testsuite></testsuites>",
    ]
    for doc in bad:
        assert not schema.is_valid(doc), doc
