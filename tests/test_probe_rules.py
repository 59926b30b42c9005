"""Probe rules and the recommendation: pure functions over hand-made probe results."""

from __future__ import annotations

from dataclasses import replace

from stsdiag.context import Context, CredentialInfo, CredState, Imds, ImdsState, SdkEndpoint
from stsdiag.models import (
    AddressClass,
    AddressResult,
    EndpointResult,
    ErrorKind,
    Finding,
    Layer,
    LayerResult,
    Setting,
    Severity,
    Status,
    Target,
    TargetKind,
    Via,
)
from stsdiag.plan import scheme_proxy
from stsdiag.probe import demote_unused_paths, recommend, verdict
from stsdiag.rules.probe import ProbeFacts, evaluate
from stsdiag.rules.registry import BY_CODE
from tests.test_plan import ctx

CREDS = CredentialInfo(CredState.FOUND, "shared-credentials-file", "AKIA…MPLE")
IMDS = Imds(ImdsState.OK, "http://169.254.169.254", 3.0, "ap-northeast-1", "ap-northeast-1a", "i-0a1b",
            "vpc-0a1b", ("10.0.0.0/16",))  # fmt: skip
TOKYO = "https://sts.ap-northeast-1.amazonaws.com"
VPCE = "https://vpce-0a1b-4k2m.sts.ap-northeast-1.vpce.amazonaws.com"


def target(
    url: str, kind: TargetKind, region: str | None, *, sdk: bool = False, proxy: str | None = None
) -> Target:
    host = url.split("://")[1]
    return Target(url, host, 443, kind, region, "aws", region or "us-east-1", sdk, proxy)


def lr(layer: Layer, status: Status = Status.OK, ms: float = 5.0, error: ErrorKind | None = None,
       detail: str = "", **data: str) -> LayerResult:  # fmt: skip
    return LayerResult(layer, status, ms, detail, error, tuple(data.items()))


def healthy(address: str, klass: AddressClass, **https: str) -> AddressResult:
    return AddressResult(address, 4, klass, (
        lr(Layer.TCP), lr(Layer.TLS, issuer="O=Amazon, CN=Amazon RSA 2048 M02", intercepted="false"),
        lr(Layer.HTTPS, http_status="403", **https),
        lr(Layer.STS, operation="GetCallerIdentity", account="123456789012", arn="arn:aws:iam::123456789012:user/moto"),
    ))  # fmt: skip


def dropped(address: str, klass: AddressClass) -> AddressResult:
    return AddressResult(address, 4, klass, (
        lr(Layer.TCP, Status.TIMEOUT, 3000.0, ErrorKind.CONNECT_TIMEOUT, "connect timed out"),
        lr(Layer.TLS, Status.SKIPPED), lr(Layer.HTTPS, Status.SKIPPED), lr(Layer.STS, Status.SKIPPED),
    ))  # fmt: skip


def ep(t: Target, *addrs: AddressResult) -> EndpointResult:
    return EndpointResult(t, lr(Layer.DNS), tuple(addrs))


def private_vpce_world(*, broken_az: bool = False) -> tuple[ProbeFacts, tuple[EndpointResult, ...]]:
    c = ctx(imds=IMDS)
    second = (
        dropped("10.0.2.10", AddressClass.VPC_PRIVATE)
        if broken_az
        else healthy("10.0.2.10", AddressClass.VPC_PRIVATE)
    )
    results = (
        ep(target("https://sts.amazonaws.com", TargetKind.GLOBAL, None, sdk=True), dropped("192.0.2.16", AddressClass.PUBLIC)),
        ep(target(TOKYO, TargetKind.REGIONAL, "ap-northeast-1"), healthy("10.0.1.10", AddressClass.VPC_PRIVATE), second),
    )  # fmt: skip
    return ProbeFacts(c, CREDS, results), results


def codes(fs: tuple[Finding, ...]) -> dict[str, Finding]:
    return {f.code: f for f in fs}


def test_private_vpce_diagnosis_and_recommendation() -> None:
    facts, results = private_vpce_world()
    fs = codes(evaluate(facts))
    assert set(fs) == {"SD101", "SD102", "SD202", "SD503"}
    assert fs["SD102"].severity is Severity.ERROR  # the global endpoint failed
    assert (
        fs["SD101"].severity is Severity.WARNING and "ap-northeast-1 (IMDS)" in fs["SD101"].message
    )
    ev = fs["SD202"].evidence[0]
    assert (ev.endpoint, ev.address, ev.layer) == ("https://sts.amazonaws.com", "192.0.2.16", "tcp")
    assert "private subnet without NAT" in fs["SD202"].message
    rec = recommend(facts.context, results, evaluate(facts), ())
    assert (rec.region, rec.endpoint_url, rec.via) == ("ap-northeast-1", TOKYO, Via.VPC_ENDPOINT)
    assert "export AWS_DEFAULT_REGION=ap-northeast-1" in rec.settings
    assert "SD102 global-endpoint-used" in rec.reasons and "from IMDS" in rec.note


def test_one_broken_az_names_the_address() -> None:
    facts, results = private_vpce_world(broken_az=True)
    fs = codes(evaluate(facts))
    assert "SD206" in fs and fs["SD206"].severity is Severity.ERROR
    assert [e.address for e in fs["SD206"].evidence] == ["10.0.2.10"]
    assert "10.0.2.10" in fs["SD206"].message and "10.0.1.10 work" in fs["SD206"].message
    rec = recommend(facts.context, results, evaluate(facts), ())
    assert rec.endpoint_url == TOKYO and "only 1 of 2 addresses work" in rec.note


def test_private_dns_off_recommends_the_vpce_name() -> None:
    c = ctx(region="ap-northeast-1", region_source="env AWS_DEFAULT_REGION", imds=IMDS,
            sdk=SdkEndpoint(TOKYO, "ap-northeast-1", "ap-northeast-1"))  # fmt: skip
    results = (
        ep(target(TOKYO, TargetKind.REGIONAL, "ap-northeast-1", sdk=True), dropped("52.119.198.10", AddressClass.PUBLIC)),
        ep(target("https://sts.amazonaws.com", TargetKind.GLOBAL, None), dropped("192.0.2.16", AddressClass.PUBLIC)),
        ep(target(VPCE, TargetKind.VPCE, "ap-northeast-1"), healthy("10.0.1.10", AddressClass.VPC_PRIVATE)),
    )  # fmt: skip
    facts = ProbeFacts(c, CREDS, results)
    fs = codes(evaluate(facts))
    assert "SD205" in fs and VPCE in fs["SD205"].fix
    rec = recommend(c, results, evaluate(facts), ())
    assert (rec.endpoint_url, rec.via, rec.region) == (VPCE, Via.VPC_ENDPOINT, "ap-northeast-1")
    assert f"export AWS_ENDPOINT_URL_STS={VPCE}" in rec.settings


def test_global_only_when_nothing_else_works() -> None:
    c = ctx(
        region="eu-west-1",
        sdk=SdkEndpoint("https://sts.eu-west-1.amazonaws.com", "eu-west-1", "eu-west-1"),
    )
    results = (
        ep(target("https://sts.eu-west-1.amazonaws.com", TargetKind.REGIONAL, "eu-west-1", sdk=True),
           dropped("52.94.1.1", AddressClass.PUBLIC)),
        ep(target("https://sts.amazonaws.com", TargetKind.GLOBAL, None), healthy("52.94.0.1", AddressClass.PUBLIC)),
    )  # fmt: skip
    rec = recommend(c, results, (), ())
    assert rec.endpoint_url == "https://sts.amazonaws.com" and rec.region == "eu-west-1"
    assert "Only the global endpoint works" in rec.note
    nothing = (results[0],)
    assert recommend(c, nothing, (), ()).endpoint_url is None


def test_interception_clock_skew_and_not_sts() -> None:
    c = ctx(region="ap-northeast-1", sdk=SdkEndpoint(TOKYO, "ap-northeast-1", "ap-northeast-1"),
            https_proxy="http://proxy.corp:3128", http_proxy="http://proxy.corp:3128",
            no_proxy="localhost")  # fmt: skip  # HTTP_PROXY: botocore's IMDS client is http
    a = AddressResult("proxy proxy.corp:3128", 0, AddressClass.OTHER, (
        lr(Layer.TCP),
        lr(Layer.TLS, Status.FAIL, error=ErrorKind.SSL, detail="certificate not trusted",
           issuer="O=Example Corp, CN=Example Corp Security Gateway Root CA", intercepted="true", verified="false"),
        lr(Layer.HTTPS, Status.SKIPPED), lr(Layer.STS, Status.SKIPPED),
    ))  # fmt: skip
    skewed = healthy("10.0.1.10", AddressClass.VPC_PRIVATE, clock_offset_s="-612.0",
                     server_date="2026-11-28T06:00:00+00:00")  # fmt: skip
    portal = AddressResult("10.9.9.9", 4, AddressClass.VPC_PRIVATE, (
        lr(Layer.TCP), lr(Layer.TLS),
        lr(Layer.HTTPS, Status.FAIL, error=ErrorKind.OTHER, detail="not an STS answer", not_sts="true"),
        lr(Layer.STS, Status.SKIPPED)))  # fmt: skip
    results = (
        ep(
            target(
                TOKYO,
                TargetKind.REGIONAL,
                "ap-northeast-1",
                sdk=True,
                proxy="http://proxy.corp:3128",
            ),
            a,
        ),
        ep(target(VPCE, TargetKind.VPCE, "ap-northeast-1"), skewed),
        ep(target("https://sts.eu-west-1.amazonaws.com", TargetKind.REGIONAL, "eu-west-1"), portal),
    )
    fs = codes(evaluate(ProbeFacts(c, CREDS, results)))
    assert fs["SD304"].severity is Severity.ERROR and "Example Corp" in fs["SD304"].message
    assert "SD303" not in fs  # interception is its own finding
    assert fs["SD401"].severity is Severity.ERROR and "612 s ahead of" in fs["SD401"].message
    assert "SD305" in fs
    assert "169.254.169.254" in fs["SD302"].message


def test_sts_answers_and_credentials() -> None:
    c = ctx(
        region="ap-east-1",
        sdk=SdkEndpoint("https://sts.ap-east-1.amazonaws.com", "ap-east-1", "ap-east-1"),
    )
    a = AddressResult("52.1.1.1", 4, AddressClass.PUBLIC, (
        lr(Layer.TCP), lr(Layer.TLS), lr(Layer.HTTPS),
        lr(Layer.STS, Status.FAIL, operation="GetCallerIdentity", error_code="InvalidClientTokenId",
           error_message="The security token included in the request is invalid."),
    ))  # fmt: skip
    results = (
        ep(
            target(
                "https://sts.ap-east-1.amazonaws.com", TargetKind.REGIONAL, "ap-east-1", sdk=True
            ),
            a,
        ),
    )
    fs = codes(evaluate(ProbeFacts(c, CREDS, results)))
    assert "opt-in region" in fs["SD403"].message
    fs = codes(evaluate(ProbeFacts(c, CredentialInfo(CredState.NONE, detail="none"), results)))
    assert fs["SD501"].severity is Severity.ERROR and "SD503" not in fs


def test_region_rules() -> None:
    c = ctx(region="us-east-1a", imds=IMDS, aws_region_env=None)
    fs = codes(evaluate(ProbeFacts(c, CREDS, ())))
    assert "us-east-1" in fs["SD106"].message and "SD105" in fs
    c = ctx(aws_region_env="ap-northeast-1", sts_regional_endpoints="legacy")
    fs = codes(evaluate(ProbeFacts(c, CREDS, ())))
    assert {"SD101", "SD111", "SD103"} <= set(fs)
    assert fs["SD111"].fix == "export AWS_DEFAULT_REGION=ap-northeast-1"


def test_endpoint_override_near_miss() -> None:
    c = ctx(region="ap-northeast-1", endpoint_override="https://st.amazonaws.com",
            endpoint_override_source="env AWS_ENDPOINT_URL_STS")  # fmt: skip
    fs = codes(evaluate(ProbeFacts(c, CREDS, ())))
    assert "not an STS host" in fs["SD107"].message and TOKYO in fs["SD107"].message
    c = replace(c, endpoint_override="https://sts.eu-west-1.amazonaws.com",
                sdk=SdkEndpoint("https://sts.eu-west-1.amazonaws.com", "ap-northeast-1", "ap-northeast-1"))  # fmt: skip
    fs = codes(evaluate(ProbeFacts(c, CREDS, ())))
    assert "serves eu-west-1" in fs["SD107"].message
    c = ctx(region="cn-north-1", endpoint_override="https://sts.ap-northeast-1.amazonaws.com",
            endpoint_override_source="--endpoint-url")  # fmt: skip
    assert "SD109" in codes(evaluate(ProbeFacts(c, CREDS, ())))


def test_imds_hop_limit() -> None:
    c = ctx(
        imds=Imds(ImdsState.TOKEN_FAILED, "http://169.254.169.254", detail="token PUT: timed out")
    )
    fs = codes(evaluate(ProbeFacts(c, CREDS, ())))
    assert "hop limit is 1" in fs["SD502"].message
    assert "SD502" not in codes(evaluate(ProbeFacts(ctx(), CREDS, ())))  # off EC2: expected silence


def test_a_crashing_rule_is_a_finding() -> None:
    def boom(_: ProbeFacts) -> list:  # type: ignore[type-arg]
        raise RuntimeError("bug")

    fs = evaluate(ProbeFacts(ctx(region="eu-west-1"), CREDS, ()), rules=(("SD999", boom),))
    assert [f.code for f in fs] == ["SD002"] and "bug" in fs[0].message


def test_select_and_ignore() -> None:
    facts, _ = private_vpce_world()
    assert {f.code for f in evaluate(facts, select=("SD2",))} == {"SD202"}
    assert "SD503" not in {f.code for f in evaluate(facts, ignore=("credentials-source",))}


def test_strict_tls_failure_gets_the_strict_fix() -> None:
    """OpenSSL's strict-mode verdict (its X509 verify string, as the TLS layer reports it):
    SD303 and SD304 say what Python 3.13 refuses and what helps; other failures keep the
    registry's fix (add the CA to AWS_CA_BUNDLE)."""
    c = ctx(region="ap-northeast-1", sdk=SdkEndpoint(TOKYO, "ap-northeast-1", "ap-northeast-1"))

    def tls_fail(intercepted: str, verify_error: str) -> AddressResult:
        return AddressResult("10.0.1.10", 4, AddressClass.VPC_PRIVATE, (
            lr(Layer.TCP),
            lr(Layer.TLS, Status.FAIL, error=ErrorKind.SSL, detail="certificate not trusted",
               issuer="O=Example Corp, CN=Example Corp Root CA", intercepted=intercepted,
               verify_error=verify_error),
            lr(Layer.HTTPS, Status.SKIPPED), lr(Layer.STS, Status.SKIPPED),
        ))  # fmt: skip

    for intercepted, code in (("false", "SD303"), ("true", "SD304")):
        for error, strict in (("Missing Authority Key Identifier", True),
                              ("unable to get local issuer certificate", False)):  # fmt: skip
            t = target(TOKYO, TargetKind.REGIONAL, "ap-northeast-1", sdk=True)
            fs = codes(evaluate(ProbeFacts(c, CREDS, (ep(t, tls_fail(intercepted, error)),))))
            fix = fs[code].fix or ""
            assert ("Python 3.13" in fix and "AWS_CA_BUNDLE` does not help" in fix) is strict, fix


def test_connect_timeout_says_how_long_the_sdk_hangs() -> None:
    """The headline failure: the SDK's endpoint drops SYNs. Unconfigured, each SDK default is
    given (measured: boto3 on botocore 1.44 180 s, the AWS CLI v1 311 s); configured, one."""
    facts, _ = private_vpce_world()
    msg = codes(evaluate(facts))["SD202"].message
    assert "about 3 min in standard retry mode (3 attempts × 60 s connect timeout" in msg
    assert "about 5.1 min in legacy retry mode (5 attempts × 60 s" in msg
    assert "up to 15 s of back-off" in msg
    legacy2 = replace(facts, context=replace(facts.context, retry_mode="legacy", max_attempts=2))
    msg = codes(evaluate(legacy2))["SD202"].message
    assert "about 2 min in legacy retry mode (2 attempts × 60 s" in msg and "standard" not in msg
    adaptive = replace(facts, context=replace(facts.context, retry_mode="adaptive"))
    assert "in adaptive retry mode (3 attempts" in codes(evaluate(adaptive))["SD202"].message


def test_no_hang_figure_for_an_endpoint_the_sdk_does_not_use() -> None:
    facts, results = private_vpce_world()
    glob, tokyo = results
    swapped = (
        replace(glob, target=replace(glob.target, sdk_would_use=False)),
        replace(tokyo, target=replace(tokyo.target, sdk_would_use=True)),
    )
    msg = codes(evaluate(replace(facts, endpoints=swapped)))["SD202"].message
    assert "sts.amazonaws.com: TCP connect timed out" in msg and "hangs" not in msg


def test_backoff_bounds_follow_botocore() -> None:
    from stsdiag.rules.probe import backoff_max_s

    assert backoff_max_s("legacy", 5) == 1 + 2 + 4 + 8
    assert backoff_max_s("standard", 3) == 1 + 2
    assert backoff_max_s("standard", 8) == 1 + 2 + 4 + 8 + 16 + 20 + 20  # capped at 20 s
    assert backoff_max_s("legacy", 1) == 0


def test_hang_figure_follows_a_defaults_mode_connect_timeout() -> None:
    facts, _ = private_vpce_world()
    c = replace(
        facts.context, retry_mode="standard", connect_timeout=(3.1, "defaults_mode standard")
    )
    msg = codes(evaluate(replace(facts, context=c)))["SD202"].message
    assert "about 11 s in standard retry mode (3 attempts × 3.1 s connect timeout" in msg
    assert "legacy" not in msg


ECS_URL = "http://169.254.170.2/v2/credentials/7f14…"


def test_an_unanswering_container_credential_endpoint_is_an_error_not_silence() -> None:
    """ECS task role: botocore's ContainerProvider is still waiting on 169.254.170.2 when the
    probe ends (or has failed): no call can be signed, whatever STS does. The old code said
    nothing at all for a pending chain (the ecs-task-creds-unreachable world: 'No findings')."""
    c = ctx(region="eu-west-1", container_credentials=ECS_URL,
            container_credentials_source="env AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")  # fmt: skip
    pending = CredentialInfo(
        CredState.PENDING, detail="the credential chain did not finish in time"
    )
    fs = codes(evaluate(ProbeFacts(c, pending, ())))
    assert fs["SD502"].severity is Severity.ERROR
    assert ECS_URL in fs["SD502"].message and "ECS agent" in fs["SD502"].message
    assert "taskRoleArn" in (fs["SD502"].fix or "") and "SD501" not in fs
    failed = CredentialInfo(CredState.ERROR, detail="CredentialRetrievalError: Error when "
                            "retrieving credentials from container-role: Connect timeout")  # fmt: skip
    fs = codes(evaluate(ProbeFacts(c, failed, ())))
    assert "Connect timeout" in fs["SD502"].message and "SD501" not in fs
    pod = replace(c, container_credentials="http://169.254.170.23/v1/credentials",
                  container_credentials_source="env AWS_CONTAINER_CREDENTIALS_FULL_URI")  # fmt: skip
    assert "Pod Identity agent" in codes(evaluate(ProbeFacts(pod, pending, ())))["SD502"].message


def test_container_credentials_near_misses_stay_quiet() -> None:
    c = ctx(region="eu-west-1", container_credentials=ECS_URL,
            container_credentials_source="env AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")  # fmt: skip
    # the task role worked: only where credentials come from
    found = CredentialInfo(CredState.FOUND, "container-role", "ASIA…MPLE")
    fs = codes(evaluate(ProbeFacts(c, found, ())))
    assert "SD502" not in fs and "container-role" in fs["SD503"].message
    # a pending chain with web identity configured is IRSA's STS call, not the container endpoint
    irsa = replace(c, web_identity_role_arn="arn:aws:iam::111122223333:role/irsa")
    pending = CredentialInfo(
        CredState.PENDING, detail="the credential chain did not finish in time"
    )
    assert "SD502" not in codes(evaluate(ProbeFacts(irsa, pending, ())))
    # no container variables: a failed chain is SD501 as before
    failed = CredentialInfo(CredState.ERROR, detail="ProfileNotFound: x")
    fs = codes(evaluate(ProbeFacts(ctx(region="eu-west-1"), failed, ())))
    assert "SD501" in fs and "SD502" not in fs


def _proxied_vpce(proxy_status: Status) -> tuple[EndpointResult, ...]:
    proxy = "http://10.0.0.80:3128"
    t = target("https://sts.eu-central-1.amazonaws.com", TargetKind.REGIONAL, "eu-central-1",
               sdk=True, proxy=proxy)  # fmt: skip
    via = "the proxy 10.0.0.80:3128"
    private = AddressResult(
        "10.0.1.10", 4, AddressClass.VPC_PRIVATE, (lr(Layer.TCP, Status.SKIPPED, detail=via),)
    )
    row = AddressResult("proxy 10.0.0.80:3128", 0, AddressClass.OTHER, (
        lr(Layer.TCP),
        lr(Layer.TLS, proxy_status, 18.0, ErrorKind.PROXY if proxy_status is Status.FAIL else None,
           "proxy answered CONNECT with 'HTTP/1.1 403 Forbidden'"),
    ))  # fmt: skip
    return (ep(t, private, row),)


def test_a_proxy_failing_for_a_vpc_endpoint_name_is_an_error_that_says_so() -> None:
    """The egress proxy refuses STS and the regional name is the VPC endpoint's (private DNS):
    NO_PROXY is the fix and until then nothing works. The old code gave only a warning that
    NO_PROXY does not cover the name (proxy-allowlist-vpce-direct)."""
    c = ctx(region="eu-central-1", https_proxy="http://10.0.0.80:3128", no_proxy="169.254.169.254")
    fs = codes(evaluate(ProbeFacts(c, CREDS, _proxied_vpce(Status.FAIL))))
    assert fs["SD302"].severity is Severity.ERROR
    assert "interface VPC endpoint" in fs["SD302"].message and "10.0.1.10" in fs["SD302"].message
    assert fs["SD302"].fix == "export NO_PROXY=169.254.169.254,sts.eu-central-1.amazonaws.com"


def test_a_working_proxy_to_a_vpc_endpoint_name_stays_a_warning() -> None:
    c = ctx(region="eu-central-1", https_proxy="http://10.0.0.80:3128", no_proxy="169.254.169.254")
    fs = codes(evaluate(ProbeFacts(c, CREDS, _proxied_vpce(Status.OK))))
    assert fs["SD302"].severity is Severity.WARNING
    assert "interface VPC endpoint" not in fs["SD302"].message


def _past_the_proxy(proxy_status: Status, *direct: AddressResult) -> tuple[EndpointResult, ...]:
    """_proxied_vpce with the private addresses probed directly (Runner.maybe_bypass)."""
    (e,) = _proxied_vpce(proxy_status)
    return (replace(e, addresses=(*direct, e.addresses[-1])),)


def test_a_vpc_endpoint_that_answers_past_a_failed_proxy_is_recommended_with_no_proxy() -> None:
    """The proxy 403s CONNECT to STS; the regional name's VPC-endpoint addresses, probed
    directly, answer: recommend the VPC endpoint with the NO_PROXY that makes botocore go
    direct. The old code probed only through the proxy and ended 'cannot tell'
    (proxy-allowlist-vpce-direct)."""
    c = ctx(region="eu-central-1", https_proxy="http://10.0.0.80:3128",
            no_proxy="169.254.169.254,localhost")  # fmt: skip
    res = _past_the_proxy(Status.FAIL, healthy("10.0.1.10", AddressClass.VPC_PRIVATE),
                          healthy("10.0.2.10", AddressClass.VPC_PRIVATE))  # fmt: skip
    fs = evaluate(ProbeFacts(c, CREDS, res))
    assert "answers at 10.0.1.10, 10.0.2.10" in codes(fs)["SD302"].message
    rec = recommend(c, res, fs, ())
    url = "https://sts.eu-central-1.amazonaws.com"
    assert (rec.region, rec.endpoint_url, rec.via) == ("eu-central-1", url, Via.VPC_ENDPOINT)
    value = "169.254.169.254,localhost,sts.eu-central-1.amazonaws.com"
    assert f"export NO_PROXY={value}" in rec.settings and f"export no_proxy={value}" in rec.settings
    assert rec.cli.startswith(f"NO_PROXY={value} no_proxy={value} aws sts get-caller-identity")
    assert "proxy 10.0.0.80:3128, which failed" in rec.note
    # following it works: botocore's own proxy rules then skip the proxy for this name
    assert (
        scheme_proxy("https", "sts.eu-central-1.amazonaws.com", c.https_proxy, None, value) is None
    )


def test_a_vpc_endpoint_failing_past_the_proxy_too_is_not_recommended() -> None:
    c = ctx(region="eu-central-1", https_proxy="http://10.0.0.80:3128", no_proxy="169.254.169.254")
    res = _past_the_proxy(Status.FAIL, dropped("10.0.1.10", AddressClass.VPC_PRIVATE))
    fs = evaluate(ProbeFacts(c, CREDS, res))
    assert "fails too (10.0.1.10 tcp" in codes(fs)["SD302"].message
    assert "security group" in codes(fs)["SD302"].message
    assert recommend(c, res, fs, ()).endpoint_url is None
    # the direct rows are not the SDK's path: no SD202 for an endpoint the SDK proxies
    assert "SD202" not in codes(fs)


def test_a_working_proxy_stays_the_recommended_path_without_no_proxy() -> None:
    c = ctx(region="eu-central-1", https_proxy="http://10.0.0.80:3128", no_proxy="169.254.169.254")
    (e,) = _proxied_vpce(Status.OK)
    works = replace(e.addresses[-1], layers=(lr(Layer.TCP), lr(Layer.TLS), lr(Layer.HTTPS, http_status="403"),
                                 lr(Layer.STS, operation="GetCallerIdentity")))  # fmt: skip
    res = (replace(e, addresses=(e.addresses[0], works)),)
    rec = recommend(c, res, evaluate(ProbeFacts(c, CREDS, res)), ())
    assert rec.via is Via.PROXY and not any("NO_PROXY" in x for x in rec.settings)
    assert "NO_PROXY" not in rec.cli


def test_a_proxy_refusing_only_an_unused_endpoint_is_a_warning() -> None:
    """NO_PROXY now sends the regional name direct to its VPC endpoint, which works; the proxy
    still 403s the global endpoint, which neither the SDK nor the recommendation uses: a
    warning (before: an SD301 error, exit 1 after following the recommendation)."""
    no_proxy = "169.254.169.254,sts.eu-central-1.amazonaws.com"
    c = ctx(region="eu-central-1", https_proxy="http://10.0.0.80:3128", no_proxy=no_proxy)
    regional = target("https://sts.eu-central-1.amazonaws.com", TargetKind.REGIONAL,
                      "eu-central-1", sdk=True)  # fmt: skip
    glob = target(
        "https://sts.amazonaws.com", TargetKind.GLOBAL, None, proxy="http://10.0.0.80:3128"
    )
    (refused,) = _proxied_vpce(Status.FAIL)
    res = tuple(verdict(e) for e in (
        ep(regional, healthy("10.0.1.10", AddressClass.VPC_PRIVATE)),
        replace(refused, target=glob, addresses=refused.addresses[-1:]),
    ))  # fmt: skip
    fs = evaluate(ProbeFacts(c, CREDS, res))
    rec = recommend(c, res, fs, ())
    after = codes(demote_unused_paths(fs, res, rec))
    assert codes(fs)["SD301"].severity is Severity.ERROR
    assert after["SD301"].severity is Severity.WARNING and rec.via is Via.VPC_ENDPOINT
    # near miss: the SDK's own endpoint refused by the proxy stays an error
    res = _past_the_proxy(Status.FAIL)
    fs = evaluate(ProbeFacts(c, CREDS, res))
    kept = demote_unused_paths(fs, res, recommend(c, res, fs, ()))
    assert codes(kept)["SD301"].severity is Severity.ERROR


def test_every_vpc_endpoint_address_dropping_says_open_its_security_group() -> None:
    """Both ENIs of the STS VPC endpoint drop (its security group admits no one from this
    subnet): the regional endpoint is already the right one, so the fix is the endpoint's
    inbound rule. The old fix said 'Use the regional endpoint served by your VPC endpoint'
    (vpce-security-group-blocks)."""
    c = ctx(region="us-west-2", imds=replace(IMDS, region="us-west-2", vpc_id="vpc-0a1b"))
    t = target("https://sts.us-west-2.amazonaws.com", TargetKind.REGIONAL, "us-west-2", sdk=True)
    res = (
        ep(
            t,
            dropped("10.0.1.10", AddressClass.VPC_PRIVATE),
            dropped("10.0.2.10", AddressClass.VPC_PRIVATE),
        ),
    )
    fix = codes(evaluate(ProbeFacts(c, CREDS, res)))["SD202"].fix or ""
    assert "authorize-security-group-ingress" in fix and "--port 443" in fix
    assert "com.amazonaws.us-west-2.sts" in fix and "vpc-id,Values=vpc-0a1b" in fix
    # near-miss: public addresses timing out keep the route advice
    pub = (ep(t, dropped("198.51.100.5", AddressClass.PUBLIC)),)
    fix = codes(evaluate(ProbeFacts(c, CREDS, pub)))["SD202"].fix or ""
    assert "security-group-ingress" not in fix and "NAT" in fix


def _unset_regional_mode(region: str, **kw: object) -> ProbeFacts:
    """Region configured, sts_regional_endpoints unset (this botocore: regional by default);
    the SDK uses the regional endpoint, the global one drops from here."""
    from stsdiag.models import Setting

    c = ctx(region=region, region_source="config file [default]",
            settings=(Setting("sts_regional_endpoints", "regional", "botocore default"),), **kw)  # fmt: skip
    url = f"https://sts.{region}.amazonaws.com"
    results = (
        ep(target(url, TargetKind.REGIONAL, region, sdk=True), healthy("10.0.1.10", AddressClass.VPC_PRIVATE)),
        ep(target("https://sts.amazonaws.com", TargetKind.GLOBAL, None), dropped("192.0.2.16", AddressClass.PUBLIC)),
    )  # fmt: skip
    return ProbeFacts(c, CREDS, results)


def test_unset_regional_mode_warns_of_older_sdks_going_global() -> None:
    """botocore < 1.40 (the AWS CLI v1 < 1.42, boto3 < 1.40: Amazon Linux's system CLI) defaults
    to legacy: for ap-northeast-1 it calls the global endpoint, which drops here, while
    stsdiag's own botocore (regional by default) sees nothing wrong."""
    fs = codes(evaluate(_unset_regional_mode("ap-northeast-1")))
    sd103 = fs["SD103"]
    assert sd103.severity is Severity.WARNING
    assert (
        "SDKs older than botocore 1.40" in sd103.message and "fails from this host" in sd103.message
    )
    assert any(e.address == "192.0.2.16" for e in sd103.evidence)
    assert "sts_regional_endpoints = regional" in (sd103.fix or "")


def test_unset_regional_mode_with_a_working_global_endpoint_is_info() -> None:
    facts = _unset_regional_mode("eu-west-1")
    glob = replace(facts.endpoints[1], addresses=(healthy("192.0.2.16", AddressClass.PUBLIC),))
    fs = codes(evaluate(replace(facts, endpoints=(facts.endpoints[0], glob))))
    assert fs["SD103"].severity is Severity.INFO and "answers from this host" in fs["SD103"].message


def test_older_sdks_note_near_misses() -> None:
    from stsdiag.models import Setting

    # configured regional: every SDK uses the regional endpoint
    facts = _unset_regional_mode("ap-northeast-1")
    explicit = (Setting("sts_regional_endpoints", "regional", "config file [default]"),)
    assert "SD103" not in codes(
        evaluate(replace(facts, context=replace(facts.context, settings=explicit)))
    )
    # a region legacy mode never sent to the global endpoint (opt-in, after 2019)
    assert "SD103" not in codes(evaluate(_unset_regional_mode("ap-east-1")))
    # an endpoint override wins over legacy in every SDK
    over = _unset_regional_mode(
        "ap-northeast-1",
        endpoint_override="https://vpce-0a1b.sts.ap-northeast-1.vpce.amazonaws.com",
    )
    assert "SD103" not in codes(evaluate(over))


def test_a_pending_credential_chain_is_named_not_silent() -> None:
    facts, _ = private_vpce_world()
    pending = CredentialInfo(CredState.PENDING, "custom-process", None,
                             "the credential chain did not finish in time: botocore was still in its `custom-process` provider")  # fmt: skip
    sd501 = codes(evaluate(replace(facts, credentials=pending)))["SD501"]
    assert sd501.severity is Severity.ERROR
    assert "credential_process command has not returned" in sd501.message
    assert "Run the profile's credential_process command by hand" in (sd501.fix or "")
    unknown = replace(pending, method=None, detail="the credential chain did not finish in time")
    assert "Looking for credentials via" in (
        codes(evaluate(replace(facts, credentials=unknown)))["SD501"].fix or ""
    )


def _refused(address: str) -> AddressResult:
    return AddressResult(address, 6 if ":" in address else 4, AddressClass.OTHER, (
        lr(Layer.TCP, Status.FAIL, 1.0, ErrorKind.CONNECTION_REFUSED, "connection refused"),
        lr(Layer.TLS, Status.SKIPPED), lr(Layer.HTTPS, Status.SKIPPED), lr(Layer.STS, Status.SKIPPED),
    ))  # fmt: skip


def _localstack_leftover(source: str) -> tuple[Context, tuple[EndpointResult, ...]]:
    """AWS_ENDPOINT_URL=http://localhost:4566 left from LocalStack, which no longer runs; the
    regional endpoint answers (endpoint-url-localstack-leftover)."""
    url = "http://localhost:4566"
    c = ctx(region="eu-west-1", endpoint_override=url, endpoint_override_source=source,
            sdk=SdkEndpoint(url, "eu-west-1", "eu-west-1"))  # fmt: skip
    local = Target(url, "localhost", 4566, TargetKind.CUSTOM, None, None, "eu-west-1", True)
    hosts = lr(Layer.DNS, source="/etc/hosts", system="::1 127.0.0.1", dns_answer="NXDOMAIN")
    res = (
        EndpointResult(local, hosts, (_refused("::1"), _refused("127.0.0.1"))),
        ep(target("https://sts.eu-west-1.amazonaws.com", TargetKind.REGIONAL, "eu-west-1"),
           healthy("198.51.100.51", AddressClass.PUBLIC)),
    )  # fmt: skip
    return c, tuple(verdict(e) for e in res)


def test_a_leftover_aws_endpoint_url_is_named_and_unset() -> None:
    """AWS_ENDPOINT_URL is every service's endpoint: SD107 says so and where it came from, the
    fix unsets it, and the recommendation unsets it first (else following it still goes to
    localhost). The old fix said 'use https://sts.<region>.amazonaws.com' (for every service),
    SD211 told to remove localhost from /etc/hosts, and the recommendation kept the override."""
    c, res = _localstack_leftover("env AWS_ENDPOINT_URL")
    fs = evaluate(ProbeFacts(c, CREDS, res))
    sd107 = codes(fs)["SD107"]
    assert "AWS_ENDPOINT_URL" in sd107.message and "every service" in sd107.message
    assert "local AWS emulator" in sd107.message
    assert sd107.fix is not None and sd107.fix.startswith("`unset AWS_ENDPOINT_URL`")
    assert "SD211" not in codes(fs)  # localhost comes from /etc/hosts by design
    assert "Nothing listens on port 4566" in codes(fs)["SD203"].message
    rec = recommend(c, res, fs, ())
    assert rec.endpoint_url == "https://sts.eu-west-1.amazonaws.com"
    assert rec.settings[0] == "unset AWS_ENDPOINT_URL"


def test_endpoint_override_sources_near_misses() -> None:
    # the service variable: unset that one
    c, res = _localstack_leftover("env AWS_ENDPOINT_URL_STS")
    fs = evaluate(ProbeFacts(c, CREDS, res))
    assert codes(fs)["SD107"].fix == "`unset AWS_ENDPOINT_URL_STS`."
    assert recommend(c, res, fs, ()).settings[0] == "unset AWS_ENDPOINT_URL_STS"
    # a profile's endpoint_url: removed from the file, no variable to unset
    c, res = _localstack_leftover("config file /home/u/.aws/config [default]")
    fs = evaluate(ProbeFacts(c, CREDS, res))
    assert "Remove `endpoint_url` from /home/u/.aws/config [default]" in str(codes(fs)["SD107"].fix)
    rec = recommend(c, res, fs, ())
    assert not any(s.startswith("unset") for s in rec.settings) and "remove it" in rec.note
    # --endpoint-url: the old advice stands
    c, res = _localstack_leftover("--endpoint-url")
    sd107 = codes(evaluate(ProbeFacts(c, CREDS, res)))["SD107"]
    assert "; use https://sts.eu-west-1.amazonaws.com." in sd107.message
    # an override that is the recommended endpoint is not unset
    vpce = "https://vpce-0a1b-4k2m.sts.eu-west-1.vpce.amazonaws.com"
    c = ctx(region="eu-west-1", endpoint_override=vpce, endpoint_override_source="env AWS_ENDPOINT_URL",
            sdk=SdkEndpoint(vpce, "eu-west-1", "eu-west-1"))  # fmt: skip
    res = (
        ep(
            target(vpce, TargetKind.VPCE, "eu-west-1", sdk=True),
            healthy("10.0.1.10", AddressClass.VPC_PRIVATE),
        ),
    )
    rec = recommend(c, res, evaluate(ProbeFacts(c, CREDS, res)), ())
    assert rec.endpoint_url == vpce and not any(s.startswith("unset") for s in rec.settings)


def test_a_stale_hosts_entry_for_an_sts_name_is_still_flagged() -> None:
    c = ctx(region="eu-west-1")
    t = target("https://sts.eu-west-1.amazonaws.com", TargetKind.REGIONAL, "eu-west-1", sdk=True)
    hosts = lr(Layer.DNS, source="/etc/hosts", system="10.0.1.99", dns_answer="198.51.100.51")
    res = (EndpointResult(t, hosts, (dropped("10.0.1.99", AddressClass.VPC_PRIVATE),)),)
    assert codes(evaluate(ProbeFacts(c, CREDS, res)))["SD211"].severity is Severity.WARNING


def test_a_setting_botocore_refuses_is_an_error_naming_it() -> None:
    """AWS_STS_REGIONAL_ENDPOINTS=true: botocore raises at client creation, every STS call
    fails before a request. The old code had no finding (exit 0) (sts-regional-endpoints-invalid)."""
    err = ("InvalidSTSRegionalEndpointsConfigError: STS regional endpoints option true is invalid. "
           'Valid options are: "legacy", "regional"')  # fmt: skip
    setting = Setting("sts_regional_endpoints", "true", "env AWS_STS_REGIONAL_ENDPOINTS")
    c = ctx(region="eu-north-1", sdk=SdkEndpoint(None, error=err), settings=(setting,))
    sd112 = codes(evaluate(ProbeFacts(c, CREDS, ())))["SD112"]
    assert sd112.severity is Severity.ERROR and "option true is invalid" in sd112.message
    assert sd112.fix == "export AWS_STS_REGIONAL_ENDPOINTS=regional"
    cfg = Setting("sts_regional_endpoints", "Regional", "config file /home/u/.aws/config [default]")
    c = replace(c, settings=(cfg,))
    assert codes(evaluate(ProbeFacts(c, CREDS, ())))["SD112"].fix == (
        "Set `sts_regional_endpoints = regional` in /home/u/.aws/config [default]."
    )
    # near misses: an endpoint resolved, or a failure that is not a refused setting
    ok = replace(
        c, sdk=SdkEndpoint("https://sts.eu-north-1.amazonaws.com", "eu-north-1", "eu-north-1")
    )
    assert "SD112" not in codes(evaluate(ProbeFacts(ok, CREDS, ())))
    for other in (
        "NoRegionError: You must specify a region.",
        "InvalidRegionError: Provided region_name 'eu north 1' doesn't match",
    ):
        assert "SD112" not in codes(
            evaluate(ProbeFacts(replace(c, sdk=SdkEndpoint(None, error=other)), CREDS, ()))
        )


def _assume_role(address: str, klass: AddressClass, denied: str | None) -> AddressResult:
    """GetCallerIdentity ok, then AssumeRole ok or denied with `denied` as the message."""
    role = (lr(Layer.STS, Status.FAIL, error=ErrorKind.OTHER, detail=f"AssumeRole: AccessDenied: {denied}",
               operation="AssumeRole", error_code="AccessDenied", error_message=denied)
            if denied is not None else lr(Layer.STS, operation="AssumeRole"))  # fmt: skip
    h = healthy(address, klass)
    return replace(h, layers=(*h.layers, role))


DENIED = ("User: arn:aws:iam::123456789012:user/u is not authorized to perform: sts:AssumeRole on "
          "resource: arn:aws:iam::123456789012:role/demo-Role-A")  # fmt: skip


def test_assume_role_denied_by_the_vpc_endpoint_policy_says_so_and_fixes_the_policy() -> None:
    """AssumeRole through the VPC endpoint is denied (STS names the endpoint policy) and succeeds
    at the public global endpoint: SD405 says the endpoint policy denies it and fixes that
    policy. The old message said 'may deny it' and the fix was the generic checklist
    (vpce-policy-denies-assumerole)."""
    c = ctx(region="us-east-2", imds=replace(IMDS, region="us-east-2"))
    regional = target(
        "https://sts.us-east-2.amazonaws.com", TargetKind.REGIONAL, "us-east-2", sdk=True
    )
    glob = target("https://sts.amazonaws.com", TargetKind.GLOBAL, None)
    named = DENIED + " because no VPC endpoint policy allows the sts:AssumeRole action"
    res = (ep(regional, _assume_role("10.0.1.10", AddressClass.VPC_PRIVATE, named)),
           ep(glob, _assume_role("192.0.2.16", AddressClass.PUBLIC, None)))  # fmt: skip
    sd405 = codes(
        evaluate(ProbeFacts(c, CREDS, res, "arn:aws:iam::123456789012:role/demo-Role-A"))
    )["SD405"]
    assert "its endpoint policy denies it: STS names that policy" in sd405.message
    assert "the same AssumeRole succeeded at sts.amazonaws.com" in sd405.message
    assert sd405.fix is not None and "com.amazonaws.us-east-2.sts" in sd405.fix
    # no policy named in the message, but the same call works on a public path: still the policy
    res2 = (ep(regional, _assume_role("10.0.1.10", AddressClass.VPC_PRIVATE, DENIED)), res[1])
    sd405 = codes(evaluate(ProbeFacts(c, CREDS, res2)))["SD405"]
    assert "its endpoint policy denies it: the same AssumeRole succeeded" in sd405.message
    # near misses: denied everywhere (the trust policy, say): only 'may'; denied on a public path: nothing of VPC endpoints
    res3 = (res2[0], ep(glob, _assume_role("192.0.2.16", AddressClass.PUBLIC, DENIED)))
    sd405 = codes(evaluate(ProbeFacts(c, CREDS, res3)))["SD405"]
    assert "may deny it" in sd405.message and sd405.fix == BY_CODE["SD405"].fix
    res4 = (ep(glob, _assume_role("192.0.2.16", AddressClass.PUBLIC, DENIED)),)
    assert "VPC endpoint" not in codes(evaluate(ProbeFacts(c, CREDS, res4)))["SD405"].message
