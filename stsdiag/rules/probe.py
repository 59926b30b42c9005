"""Probe rules: pure functions over the context and the probe results → `Finding`s.

Each rule is registered explicitly in `RULES` with its code; name, severity and fix text
come from `rules.registry`. A rule that raises becomes an SD002 finding."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from stsdiag import endpoints
from stsdiag.context import (
    BOTOCORE_IMDS_TIMEOUT_S,
    ROLE_PATH,
    SLOW_IMDS_WAIT_S,
    Context,
    CredentialInfo,
    CredState,
    Imds,
    ImdsState,
)
from stsdiag.enums import BLOCKING
from stsdiag.models import (
    AddressClass,
    AddressResult,
    EndpointResult,
    ErrorKind,
    Evidence,
    Finding,
    Hit,
    Layer,
    LayerResult,
    Severity,
    Status,
    TargetKind,
)
from stsdiag.plan import ignored_no_proxy_entries, no_proxy_matches, vpce_zone
from stsdiag.probes import proxy_has_credentials, proxy_label
from stsdiag.redact import excerpt
from stsdiag.report import Collector, run_guarded
from stsdiag.rules.registry import BY_CODE, strict_tls_fix

SKEW_WARN_S = 60.0
SKEW_ERROR_S = 300.0
SLOW_FACTOR = 3.0
SLOW_MIN_GAP_MS = 150.0


@dataclass(frozen=True, slots=True)
class ProbeFacts:
    context: Context
    credentials: CredentialInfo
    endpoints: tuple[EndpointResult, ...]
    role_arn: str | None = None


def hit(
    code: str,
    message: str,
    evidence: Iterable[Evidence] = (),
    *,
    severity: Severity | None = None,
    fix: str | None = None,
) -> Hit:
    """A rule match; name, default severity and fix come from the registry (`BY_CODE`)."""
    assert code in BY_CODE, code
    return Hit(code, excerpt(message, 600), tuple(evidence), severity, fix)


def _ev(ep: EndpointResult, addr: AddressResult | None, lr: LayerResult) -> Evidence:
    text = f"{lr.layer.value} {lr.status.value}"
    if lr.ms is not None:
        text += f" after {lr.ms:.0f} ms"
    if lr.detail:
        text += f": {lr.detail}"
    return Evidence(excerpt=excerpt(text, 240), endpoint=ep.target.url,
                    address=addr.address if addr else None, layer=lr.layer.value)  # fmt: skip


def _setting_ev(ctx: Context, name: str) -> Evidence:
    s = ctx.setting(name)
    if s is None:
        return Evidence(excerpt=f"{name}: unset")
    return Evidence(
        excerpt=excerpt(f"{s.name} = {s.value if s.value is not None else '<unset>'} ({s.source})")
    )


def _layer(a: AddressResult, layer: Layer) -> LayerResult | None:
    return next((r for r in a.layers if r.layer is layer), None)


def _system(f: ProbeFacts) -> list[EndpointResult]:
    return [e for e in f.endpoints if e.resolver == "system"]


def _probed(a: AddressResult) -> bool:
    return any(r.status is not Status.SKIPPED for r in a.layers)


def direct_addresses(ep: EndpointResult) -> list[AddressResult]:
    """The addresses of the SDK's path that were probed: the resolved ones, or for a proxied
    endpoint the proxy's row (not the resolved ones, skipped or probed past the proxy)."""
    return [a for a in ep.addresses if _probed(a) and not (ep.target.proxy and a.family)]


def bypass_addresses(ep: EndpointResult) -> list[AddressResult]:
    """VPC-private addresses of a proxied endpoint probed directly because the proxy failed
    (the path NO_PROXY would give the SDK; `Runner.maybe_bypass`)."""
    return [a for a in ep.addresses if ep.target.proxy and a.family and _probed(a)]


def _first_failure(a: AddressResult) -> LayerResult | None:
    return next((r for r in a.layers if r.status in BLOCKING), None)


def _network_failure(a: AddressResult) -> LayerResult | None:
    """The first failed layer below STS (STS answers are credential problems, not paths)."""
    r = _first_failure(a)
    return r if r is not None and r.layer is not Layer.STS else None


def caller_region(ctx: Context) -> str | None:
    """The region the caller works in: configured (botocore's chain), else the instance's
    (IMDS), else `AWS_REGION` (which botocore ignores, but the user meant)."""
    if ctx.region and endpoints.is_known_region(ctx.region):
        return ctx.region
    known = region_hint(ctx)
    return known[0] if known else None


def region_hint(ctx: Context) -> tuple[str, str] | None:
    """(region, where from) when no region is configured but one is known elsewhere."""
    if ctx.imds.region and endpoints.is_known_region(ctx.imds.region):
        return ctx.imds.region, "IMDS"
    if ctx.aws_region_env and endpoints.is_known_region(ctx.aws_region_env):
        return ctx.aws_region_env, "AWS_REGION, which botocore does not read"
    return None


# --------------------------------------------------------------------------- SD1xx routing


def sd101_region_not_configured(f: ProbeFacts) -> list[Hit]:
    ctx = f.context
    if ctx.region:
        return []
    known = region_hint(ctx)
    msg = (f"No region in the config chain: the SDK sends STS to {ctx.sdk.url or 'the global endpoint'} "
           f"(client region {ctx.sdk.client_region or 'aws-global'}).")  # fmt: skip
    fix = None
    if known:
        hint, where = known
        msg += (f" This instance runs in {hint} (IMDS)." if where == "IMDS"
                else f" The intended region is {hint} ({where}).")  # fmt: skip
        fix = (f"Set `region = {hint}` in the profile (`aws configure set region {hint}`), or "
               f"`export AWS_DEFAULT_REGION={hint} AWS_REGION={hint}`.")  # fmt: skip
    return [hit("SD101", msg, [_setting_ev(ctx, "region")], fix=fix)]


def sd111_aws_region_ignored(f: ProbeFacts) -> list[Hit]:
    ctx = f.context
    if not ctx.aws_region_env or ctx.aws_default_region_env or ctx.profile_region:
        return []
    if ctx.region_source == "--region":
        return []
    return [hit(
        "SD111",
        f"AWS_REGION={ctx.aws_region_env} is set, but botocore reads AWS_DEFAULT_REGION and the "
        "profile's region only: Python tools have no region.",
        [_setting_ev(ctx, "AWS_REGION"), _setting_ev(ctx, "region")],
        fix=f"export AWS_DEFAULT_REGION={ctx.aws_region_env}",
    )]  # fmt: skip


def sd103_legacy(f: ProbeFacts) -> list[Hit]:
    ctx = f.context
    if ctx.sts_regional_endpoints != "legacy":
        return _older_sdks_legacy(f)
    return [hit("SD103", f"sts_regional_endpoints = legacy is in effect; the SDK uses {ctx.sdk.url}.",
                    [_setting_ev(ctx, "sts_regional_endpoints")])]  # fmt: skip


# the first releases whose botocore defaults sts_regional_endpoints to regional (botocore 1.40.0:
# checked in the wheels; 1.39 and older default to legacy, as the AWS CLI v1 did before 1.42)
REGIONAL_BY_DEFAULT = "botocore 1.40, boto3 1.40, the AWS CLI v1 1.42"


def _older_sdks_legacy(f: ProbeFacts) -> list[Hit]:
    """sts_regional_endpoints unset with a region configured: this botocore (regional by
    default) uses the regional endpoint, but an SDK on this host built on botocore before 1.40
    defaults to legacy and, for the regions legacy maps there (botocore is asked), sends STS to
    the global endpoint, signed for us-east-1. From a private subnet that is the classic hang,
    while stsdiag's own botocore sees nothing wrong."""
    ctx = f.context
    s = ctx.setting("sts_regional_endpoints")
    region = ctx.region
    if (s is None or s.source != "botocore default" or ctx.sts_regional_endpoints != "regional"
            or not region or not endpoints.is_known_region(region) or ctx.endpoint_override
            or ctx.use_fips or ctx.use_dualstack):  # fmt: skip
        return []
    if not endpoints.legacy_goes_global(region):
        return []
    glob = endpoints.global_sts_url()
    ep = next((e for e in _system(f) if e.target.url == glob), None)
    failed, ev = _endpoint_failures(ep) if ep is not None else (False, [])
    # a missing / unusable CA bundle, or an https:// HTTPS_PROXY in front of a plain proxy,
    # fails every endpoint alike: older SDKs are no worse off
    cause = host_wide_cause(ctx, (ep,)) if failed and ep is not None else None
    bundle = cause is not None
    msg = (f"sts_regional_endpoints is not set. This botocore ({ctx.botocore_version}) then uses the regional "
           f"endpoint for {region}, but SDKs older than {REGIONAL_BY_DEFAULT} default to legacy and send "
           f"{region}'s STS calls to the global endpoint {glob} (signed for us-east-1)")  # fmt: skip
    if bundle:
        msg += (f", which fails from this host only as every endpoint does, for {cause}: "
                "older SDKs are no worse off until that is fixed.")  # fmt: skip
        failed = False
    elif failed:
        msg += ", which fails from this host: an older AWS CLI or boto3 here hangs where stsdiag sees no fault."
    fix = ("Set `sts_regional_endpoints = regional` in the profile (or `export "
           "AWS_STS_REGIONAL_ENDPOINTS=regional`): every SDK on this host then uses the regional endpoint.")  # fmt: skip
    regional = next((e for e in _system(f) if e.target.kind is TargetKind.REGIONAL
                     and e.target.region == region and not e.target.proxy), None)  # fmt: skip
    why = region_rejects_credentials(f, regional) if regional is not None and not failed else None
    if why is not None:
        code = "SD406" if why == "deactivated" else "SD403"
        msg += (f", which accepts these credentials, while {region}'s regional endpoint rejects "
                f"them ({code}): here older SDKs work and current ones fail.")  # fmt: skip
        fix = (f"Until {region}'s endpoint accepts the credentials ({code}), `sts_regional_endpoints "
               "= legacy` (or the global endpoint URL) keeps current SDKs working too.")  # fmt: skip
    elif not failed:
        msg += (
            "."
            if ep is None
            else ", which answers from this host; the regional endpoint is the one to use."
        )
    return [hit("SD103", msg, [_setting_ev(ctx, "sts_regional_endpoints"), *ev],
                severity=Severity.WARNING if failed else Severity.INFO, fix=fix)]  # fmt: skip


def _endpoint_failures(ep: EndpointResult) -> tuple[bool, list[Evidence]]:
    """Did `ep` fail from here (its name did not resolve without a proxy, or an address
    failed), with the evidence."""
    ev: list[Evidence] = []
    failed = ep.dns.status in (Status.FAIL, Status.TIMEOUT) and not ep.target.proxy
    if failed:
        ev.append(_ev(ep, None, ep.dns))
    for a in ep.addresses:
        r = _network_failure(a)
        if r is not None:
            failed = True
            ev.append(_ev(ep, a, r))
    return failed, ev


def sd102_global_used(f: ProbeFacts) -> list[Hit]:
    out: list[Hit] = []
    region = caller_region(f.context)
    for ep in _system(f):
        t = ep.target
        if not (t.sdk_would_use and t.kind is TargetKind.GLOBAL):
            continue
        failed, failures = _endpoint_failures(ep)
        ev = [Evidence(excerpt=f"the SDK would send STS to {t.url}", endpoint=t.url), *failures]
        better = endpoints.sts_url(region) if region else "https://sts.<region>.amazonaws.com"
        msg = (
            f"The SDK uses the global endpoint {t.url}"
            + (" and it failed" if failed else "")
            + f"; use {better}."
        )
        out.append(hit("SD102", msg, ev, severity=Severity.ERROR if failed else Severity.WARNING,
                           fix=f"Use the regional endpoint {better}: set the region and "
                               "`sts_regional_endpoints = regional`."))  # fmt: skip
    return out


def sd105_region_differs(f: ProbeFacts) -> list[Hit]:
    ctx = f.context
    if not ctx.region or not ctx.imds.region or ctx.region == ctx.imds.region:
        return []
    return [hit("SD105", f"The configured region {ctx.region} is not the instance's region {ctx.imds.region}.",
                    [_setting_ev(ctx, "region"), Evidence(excerpt=f"IMDS placement/region = {ctx.imds.region}")])]  # fmt: skip


def sd106_unknown_region(f: ProbeFacts) -> list[Hit]:
    ctx = f.context
    if not ctx.region or endpoints.is_known_region(ctx.region):
        return []
    guess = endpoints.closest_region(ctx.region)
    msg = f"Region {ctx.region!r} is not a region botocore knows" + (
        f"; did you mean {guess}?" if guess else "."
    )
    fix = f"Use `{guess}`." if guess else None
    return [hit("SD106", msg, [_setting_ev(ctx, "region")], fix=fix)]


def sd107_override_mismatch(f: ProbeFacts) -> list[Hit]:
    ctx = f.context
    url = ctx.endpoint_override
    if not url:
        return []
    host = endpoints.host_of(url)
    is_sts, host_region = endpoints.region_of_sts_host(host)
    ev = [
        Evidence(
            excerpt=excerpt(f"endpoint_url = {url} ({ctx.endpoint_override_source})"), endpoint=url
        )
    ]
    known = ctx.region if ctx.region and endpoints.is_known_region(ctx.region) else None
    signing = known or ctx.sdk.signing_region
    if not host or "://" not in url:
        return [hit("SD107", f"The endpoint override {url!r} is not a valid URL.", ev)]
    if not is_sts:
        # a non-STS host that answers as STS (a proxy or test server) is not a mismatch
        answered = any(
            e.target.url == url.rstrip("/") and any(
                (r := _layer(a, Layer.HTTPS)) is not None and r.status is Status.OK for a in e.addresses)
            for e in f.endpoints
        )  # fmt: skip
        near = host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn")
        if answered and not near:
            return []
        good = (
            endpoints.sts_url(signing) if signing and endpoints.is_known_region(signing) else None
        )
        msg = f"The endpoint override {url} is not an STS host" + (
            f"; use {good}." if good else "."
        )
        if good and ctx.endpoint_override_source != "--endpoint-url":
            # the fix is removing the setting, not pointing an every-service one at STS
            msg = f"The endpoint override {url} is not an STS host (STS for {signing} is {good})."
        msg, fix = _override_origin(ctx, host, msg)
        return [hit("SD107", msg, ev, fix=fix)]
    if host_region and signing and host_region != signing:
        return [hit("SD107", f"The endpoint override {url} serves {host_region} but requests are signed "
                                 f"for {signing}.", ev)]  # fmt: skip
    return []


def _override_origin(ctx: Context, host: str, msg: str) -> tuple[str, str | None]:
    """SD107's message and fix for a non-STS override, by where botocore took it from: an
    environment variable is unset, a config entry removed. AWS_ENDPOINT_URL and a profile's
    `endpoint_url` are the endpoint of every service (botocore >= 1.31), so the fix is never to
    point them at STS."""
    src = ctx.endpoint_override_source
    if endpoints.is_loopback_host(host):
        msg += (" It is a local address, the kind a local AWS emulator (LocalStack, moto_server) "
                "listens on: a leftover from testing sends the SDK's real calls there.")  # fmt: skip
    if src == "env AWS_ENDPOINT_URL":
        msg += (" It comes from AWS_ENDPOINT_URL, which botocore (>= 1.31; AWS CLI >= 1.29 / 2.13) "
                "takes as the endpoint of every service without its own AWS_ENDPOINT_URL_<SERVICE>.")  # fmt: skip
        return msg, ("`unset AWS_ENDPOINT_URL` (keep it to a shell or profile used for the emulator), "
                     "or `export AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` to make the SDKs ignore "
                     "configured endpoints.")  # fmt: skip
    if src == "env AWS_ENDPOINT_URL_STS":
        return msg, "`unset AWS_ENDPOINT_URL_STS`."
    if src.startswith("config file [services"):
        return msg, f"Remove the sts `endpoint_url` from {src.removeprefix('config file ')}."
    if src.startswith("config file"):
        msg += " A profile's `endpoint_url` is the endpoint of every service."
        where = src.removeprefix("config file ")
        svc = _service_of_host(host)
        if svc is None:
            return msg, f"Remove `endpoint_url` from {where}."
        url = ctx.endpoint_override
        msg += (f" Its name looks like {svc}'s endpoint (an {svc}-compatible store?): meant for "
                f"{svc}, it takes STS and every other service with it.")  # fmt: skip
        return msg, (f"Make it {svc}'s endpoint only: in {where} replace `endpoint_url = {url}` "
                     f"with `services = {svc}-endpoint` and add a section `[services {svc}-endpoint]` "
                     f"with `{svc} =` and, indented below it, `endpoint_url = {url}` (botocore >= "
                     f"1.31; or `export AWS_ENDPOINT_URL_{svc.upper()}={url}`). Removing it fixes STS "
                     f"but sends {svc} calls to AWS.")  # fmt: skip
    return msg, None


def _service_of_host(host: str) -> str | None:
    """The AWS service a custom endpoint's host name names in its first label (`s3.backup.
    corp.example`: s3), as botocore's `[services]` keys and AWS_ENDPOINT_URL_<SERVICE> name it
    (snake case), when it is a simple one (no override of its service id); else None."""
    first = host.split(".", 1)[0].lower()
    name = endpoints.client_name(first)
    if name is None or name != first or name == "sts" or not re.fullmatch(r"[a-z0-9]+", name):
        return None
    return name


def sd109_wrong_partition(f: ProbeFacts) -> list[Hit]:
    """The SDK's STS host is in another partition than the caller's region (configured, else
    the instance's or AWS_REGION): credentials of one partition are not valid in another."""
    ctx = f.context
    url = ctx.endpoint_override or ctx.sdk.url
    region = caller_region(ctx)
    if not url or not region:
        return []
    host = endpoints.host_of(url)
    part = endpoints.partition_of(region)
    host_part = endpoints.partition_of_host(host)
    if not (host_part and part and host_part != part):
        return []
    src = (
        "configured"
        if region == ctx.region
        else "the instance's"
        if region == ctx.imds.region
        else "AWS_REGION"
    )
    good = endpoints.sts_url(region)
    return [hit("SD109", f"Region {region} ({src}) is in partition {part} but {host} is in {host_part}: "
                         f"credentials of {part} are not valid there; use {good}.",
                [_setting_ev(ctx, "region"), Evidence(excerpt=f"endpoint {url}", endpoint=url)])]  # fmt: skip


# --------------------------------------------------------------------------- SD2xx network


# botocore's errors for a setting it refuses at client creation, and the setting each names
_INVALID_SETTING = {
    "InvalidSTSRegionalEndpointsConfigError": ("sts_regional_endpoints", "regional"),
}


_MISSING_SERVICES = re.compile(
    r'configured to use the services section but the "([^"]*)" services configuration does not exist'
)


def sd112_sdk_config_invalid(f: ProbeFacts) -> list[Hit]:
    """botocore could not create the SDK's STS client: a configuration value it refuses."""
    ctx = f.context
    err = ctx.sdk.error or ""
    if ctx.sdk.url or not err:
        return []
    kind = err.split(":", 1)[0]
    if kind not in _INVALID_SETTING and (
        not kind.startswith("Invalid") or kind == "InvalidRegionError"
    ):
        return []  # not a refused setting (a bad region name is SD106's)
    msg = (f"botocore refuses the configuration: creating an STS client fails with {err.rstrip('.')}. "
           "boto3.client('sts'), `aws sts ...` and credential providers that call STS fail the "
           "same way before any request leaves the host; the network cannot help.")  # fmt: skip
    ev = [Evidence(excerpt=excerpt(f"sdk_endpoint: {err}", 240))]
    fix = None
    ca = ctx.setting("ca_bundle")
    if (
        "Invalid CA bundle" in err
        and ca is not None
        and ca.source.startswith("env ")
        and not ca.value
    ):
        # a CA bundle variable set to nothing (`export AWS_CA_BUNDLE=` in a profile script)
        var = ca.source.removeprefix("env ")
        ev.append(_setting_ev(ctx, "ca_bundle"))
        msg += f" {var} is set but empty."
        fix = (f"unset {var} (botocore then verifies with its own bundle), or set it to the PEM "
               "file that holds the CA your network needs.")  # fmt: skip
    elif m := _MISSING_SERVICES.search(err):
        # `services = NAME` in the profile, no `[services NAME]` section (botocore >= 1.31's
        # ConfiguredEndpointProvider raises this for every client, whatever the service)
        name = m.group(1)
        msg += (f" The profile says `services = {name}` (service-specific endpoint URLs), and the "
                f"config file has no `[services {name}]` section: every client, of every service, "
                "fails so.")  # fmt: skip
        fix = (f"Add the section `[services {name}]` (its services' `endpoint_url`s) to the config "
               f"file, with exactly that name, or remove `services = {name}` from the profile.")  # fmt: skip
    elif kind in _INVALID_SETTING:
        name, good = _INVALID_SETTING[kind]
        s = ctx.setting(name)
        ev.append(_setting_ev(ctx, name))
        if s is not None and s.source.startswith("env "):
            var = s.source.removeprefix("env ")
            fix = f"export {var}={good}"
            msg += f" The value {s.value!r} comes from {var}."
        elif s is not None and s.source.startswith("config file"):
            fix = f"Set `{name} = {good}` in {s.source.removeprefix('config file ')}."
            msg += f" The value {s.value!r} comes from {s.source}."
    return [hit("SD112", msg, ev, fix=fix)]


def sd201_dns(f: ProbeFacts) -> list[Hit]:
    out = []
    for ep in f.endpoints:
        if ep.target.proxy or ep.dns.status not in (Status.FAIL, Status.TIMEOUT):
            continue
        via = "" if ep.resolver == "system" else f" through nameserver {ep.resolver}"
        msg = f"{ep.target.host} did not resolve{via}: {ep.dns.detail}"
        if ep.resolver == "system" and ep.dns.get("dns_error") == "timeout":
            msg += _resolver_wait(f.context)
        out.append(hit("SD201", msg, [_ev(ep, None, ep.dns)]))
    return out


def _resolver_wait(ctx: Context) -> str:
    """What a resolver that never answers costs the SDK: getaddrinfo (glibc) waits `timeout` ×
    `attempts` (per nameserver in turn) before 'Temporary failure in name resolution', and
    botocore retries that as a connection error (EndpointConnectionError)."""
    timeout, attempts = ctx.resolver_timing
    n = max(1, len(ctx.resolvers))
    servers = f" × {n} nameservers" if n > 1 else ""
    return (f" The resolver never answers (a timeout, not NXDOMAIN or SERVFAIL): getaddrinfo, the SDK's "
            f"resolver, waits timeout × attempts{servers} (here {timeout:g} s × {attempts}{servers}, {'up to ' if n > 1 else ''}about "
            f"{timeout * attempts * n:g} s; glibc's defaults are 5 s × 2) before 'Temporary failure in name "
            "resolution' (botocore: 'Could not connect to the endpoint URL'), and botocore retries it: "
            "that wait again on every attempt.")  # fmt: skip


_ALL_FAIL = {
    ErrorKind.CONNECT_TIMEOUT: "SD202",
    ErrorKind.CONNECTION_REFUSED: "SD203",
    ErrorKind.READ_TIMEOUT: "SD204",
}


_ALL_FAIL_TEXT = {
    "SD202": "TCP connect timed out",
    "SD203": "the connection was refused or reset",
    "SD204": "no answer in time after connecting (read timeout)",
}


def zones(f: ProbeFacts) -> dict[str, str]:
    """address → availability zone, from the zonal VPC-endpoint names that were probed."""
    out: dict[str, str] = {}
    for ep in _system(f):
        az = vpce_zone(ep.target.host) if ep.target.kind is TargetKind.VPCE else None
        if az:
            for a in ep.addresses:
                out.setdefault(a.address, az)
    return out


def _partial_and_total(f: ProbeFacts) -> tuple[list[Hit], list[Hit]]:
    partial: list[Hit] = []
    total: list[Hit] = []
    az = zones(f)

    def name(a: AddressResult) -> str:
        return f"{a.address} ({az[a.address]})" if a.address in az else a.address

    for ep in _system(f):
        probed = direct_addresses(ep)
        if not probed:
            continue
        bad = [(a, r) for a in probed if (r := _network_failure(a)) is not None]
        if not bad:
            continue
        if (
            len(bad) < len(probed)
            and (split := _family_split(f.context, ep, probed, bad)) is not None
        ):
            partial.append(split)
            continue
        if len(bad) < len(probed):
            names = ", ".join(f"{name(a)}: {r.layer.value} {r.status.value}" for a, r in bad)
            good = ", ".join(name(a) for a in probed if _network_failure(a) is None)
            where = "" if all(a.address in az for a, _ in bad) else (
                " Each address of an interface endpoint is one availability zone's network interface; "
                "pass the endpoint's zonal names with --vpce-dns to name the zone.")  # fmt: skip
            partial.append(hit(
                "SD206",
                f"{ep.target.host}: {len(bad)} of {len(probed)} addresses fail ({names}); {good} work.{where}",
                [replace(_ev(ep, a, r), excerpt=excerpt(f"{name(a)}: {_ev(ep, a, r).excerpt}", 240)) for a, r in bad],
                fix=f"Fix the security group / NACL / route of the subnet holding "
                    f"{', '.join(name(a) for a, _ in bad)}, or remove that subnet from the endpoint.",
            ))  # fmt: skip
            continue
        for kind, code in _ALL_FAIL.items():
            hits = [(a, r) for a, r in bad if r.error is kind]
            if not hits:
                continue
            msg = f"{ep.target.host}: {_ALL_FAIL_TEXT[code]} on every address ({', '.join(name(a) for a, _ in hits)})."
            fix = None
            if code == "SD203" and endpoints.is_loopback_host(ep.target.host):
                msg += f" Nothing listens on port {ep.target.port} of this host."
                fix = (f"Start what should listen on {ep.target.host}:{ep.target.port} (a local "
                       "emulator?), or stop pointing the SDK there.")  # fmt: skip
            if code == "SD202":
                if ep.target.kind is TargetKind.GLOBAL:
                    msg += " The global endpoint is public: from a private subnet without NAT it has no route."
                elif any(a.classification is AddressClass.VPC_PRIVATE for a, _ in hits):
                    msg += " These are VPC-endpoint addresses: check its security group (443 from this host) and NACLs."
                elif ep.target.proxy is None and any(
                    a.classification is AddressClass.PUBLIC for a, _ in hits
                ):
                    other = vpce_in_other_region(f, ep)
                    if other is None:
                        msg += " Public addresses: is there a route out (NAT / internet gateway)?"
                    else:
                        more, fix = _other_region_vpce(f.context, ep, other)
                        msg += more
            if (code == "SD202" and ep.target.proxy is None
                    and all(a.classification is AddressClass.VPC_PRIVATE for a, _ in hits)):  # fmt: skip
                fix = _vpce_blocked_fix(f.context, ep)
            stall = code == "SD204" and all(r.layer is Layer.TLS for _, r in hits)
            if stall:
                msg, fix = _tls_stall(f.context, ep, [a for a, _ in hits], hits[0][1])
            if ep.target.sdk_would_use and (code == "SD202" or stall):
                msg += sdk_wait(f.context, f.context.connect_timeout[0], "connect timeout")
            total.append(hit(code, msg, [_ev(ep, a, r) for a, r in hits], fix=fix))
    return partial, total


def vpce_in_other_region(f: ProbeFacts, ep: EndpointResult) -> EndpointResult | None:
    """The endpoint through which STS answered on VPC-endpoint addresses in another region
    than regional endpoint `ep`'s (its regional name, with private DNS, before a vpce name):
    this VPC has an STS interface endpoint, but not for `ep`'s region."""
    region = ep.target.region
    if ep.target.kind is not TargetKind.REGIONAL or not region:
        return None
    found = [
        x for x in _system(f)
        if x.target.kind in (TargetKind.REGIONAL, TargetKind.VPCE) and x.target.proxy is None
        and x.target.region not in (None, region)
        and (addrs := direct_addresses(x))
        and all(a.classification is AddressClass.VPC_PRIVATE for a in addrs)
        and any(_network_failure(a) is None and _sts_answered(a) for a in addrs)
    ]  # fmt: skip
    return min(found, key=lambda x: x.target.kind is not TargetKind.REGIONAL, default=None)


def _sts_answered(a: AddressResult) -> bool:
    r = _layer(a, Layer.STS) or _layer(a, Layer.HTTPS)
    return r is not None and r.status is Status.OK


def _other_region_vpce(ctx: Context, ep: EndpointResult, other: EndpointResult) -> tuple[str, str]:
    """SD202's words when `ep` (region A, public, dropped) fails and the VPC's STS endpoint
    answers for region B: private DNS of an interface endpoint covers only its own region's
    name, so A's name resolves public and has no route. The STS client must be made for B:
    an endpoint URL alone keeps signing for A, which STS in B rejects (SD108)."""
    a, b = ep.target.region, other.target.region
    private = ", ".join(x.address for x in direct_addresses(other) if _network_failure(x) is None)
    msg = (f" This VPC has an STS interface endpoint, but in {b}, not {a}: {other.target.host} "
           f"answered through it ({private}). A VPC endpoint's private DNS covers only its own "
           f"region's name, so {ep.target.host} resolves to its public address, and there is no "
           "route out.")  # fmt: skip
    where = f" (now {a}, {ctx.region_source})" if ctx.region == a and ctx.region_source else ""
    url = f" and endpoint URL {other.target.url}" if other.target.kind is TargetKind.VPCE else ""
    fix = (f"Make the STS calls in {b}, where the VPC endpoint is: the STS client's region must be "
           f"{b}{url}{where} -- `export AWS_DEFAULT_REGION={b}` (or `region = {b}` in the profile), or "
           f"for STS alone `boto3.client(\"sts\", region_name=\"{b}\")` / `aws sts ... --region {b}`. "
           f"Temporary credentials from STS in {b} are valid in {a} too. Setting only "
           f"AWS_ENDPOINT_URL_STS={other.target.url} keeps signing for {a}, which STS in {b} rejects "
           f"('Credential should be scoped to a valid region'). Or give this subnet a route out (NAT) "
           f"for {a}'s public endpoint.")  # fmt: skip
    return msg, fix


def _vpce_blocked_fix(ctx: Context, ep: EndpointResult) -> str:
    """Every address of a VPC endpoint drops SYNs: its security group (an endpoint gets its own,
    often with no inbound rule, or one for other subnets) or a NACL. Using the endpoint is
    already right; opening it is the fix."""
    region = ep.target.region or ep.target.signing_region
    vpc = f" Name=vpc-id,Values={ctx.imds.vpc_id}" if ctx.imds.vpc_id else ""
    return (
        "Allow inbound TCP 443 on the VPC endpoint's security group from this host (its subnet's "
        "CIDR or its security group): find it with `aws ec2 describe-vpc-endpoints --filters "
        f"Name=service-name,Values=com.amazonaws.{region}.sts{vpc} --query "
        "'VpcEndpoints[].Groups'`, then `aws ec2 authorize-security-group-ingress --group-id "
        "<endpoint-sg> --protocol tcp --port 443 --cidr <this subnet's CIDR>`; check the NACLs of "
        "both subnets too (443 in, 1024-65535 back)."
    )


def _tls_stall(
    ctx: Context, ep: EndpointResult, addrs: list[AddressResult], r: LayerResult
) -> tuple[str, str]:
    """SD204 when the TLS handshake itself stalled: TCP connected, no ServerHello came. urllib3
    (1.26 and 2.x) does the handshake inside connect(), with the connect timeout on the socket,
    and reports the socket timeout as a ReadTimeoutError: botocore says 'Read timeout on
    endpoint URL' after connect_timeout, on each attempt."""
    where = ", ".join(a.address for a in addrs)
    secs = f" within {r.ms / 1000:.0f} s" if r.ms else ""
    msg = (f"{ep.target.host}: the TLS handshake stalled on every address ({where}): TCP "
           f"connects, but no ServerHello came back{secs}. A firewall or DPI box that stalls TLS "
           "(by SNI), or a path-MTU black hole (ICMP 'fragmentation needed' filtered: the server's "
           "full-size certificate packets are lost). The SDK does the handshake within its connect "
           f"timeout ({connect_timeout(ctx)}) and reports a read timeout (ReadTimeoutError, "
           "'Read timeout on endpoint URL'), then retries: minutes before it gives up.")  # fmt: skip
    fix = (f"Allow TLS to {ep.target.host} through the firewall / DPI policy (SNI allow-list), or "
           "fix path-MTU discovery on the path (let ICMP 'fragmentation needed' through, or clamp "
           "the TCP MSS); until then use an endpoint that completes the handshake.")  # fmt: skip
    if ep.target.proxy:
        msg = (f"{ep.target.host}: the {proxy_label(ep.target.proxy)} answered CONNECT, but the TLS handshake "
               f"inside the tunnel stalled: no ServerHello came back{secs}. The proxy (or something "
               "behind it) passes nothing through. The SDK waits its connect timeout "
               f"({connect_timeout(ctx)}), reports 'Read timeout on endpoint URL' (urllib3 "
               "2.x) or 'Failed to connect to proxy URL' (urllib3 1.26), and retries.")  # fmt: skip
        fix = (f"The {proxy_label(ep.target.proxy)} accepted the tunnel but nothing came back through "
               f"it: have its operator check the tunnel to {ep.target.host}, or reach STS without "
               "the proxy (NO_PROXY).")  # fmt: skip
    return msg, fix


def connect_timeout(ctx: Context) -> str:
    """The SDK's connect timeout as the messages give it: '60 s by default', or the value a
    configured defaults_mode sets ('3.1 s, defaults_mode standard')."""
    seconds, source = ctx.connect_timeout
    return f"{seconds:g} s {source}" if source == "by default" else f"{seconds:g} s, {source}"


# (retry mode, total attempts by default, which SDKs default to it): botocore's own default
# was legacy up to 1.43 and is standard from 1.44; the AWS CLI v1 keeps legacy, v2 is standard
SDK_RETRY_DEFAULTS = (
    ("standard", 3, "the AWS CLI v2 and botocore ≥ 1.44"),
    ("legacy", 5, "the AWS CLI v1 and botocore < 1.44"),
)


def backoff_max_s(mode: str, attempts: int) -> float:
    """The longest the retry back-off adds up to over `attempts` attempts. Legacy
    (retryhandler.delay_exponential, base 'rand', growth 2): up to 2^(i-1) s before retry i;
    standard and adaptive (retries.standard.ExponentialBackoff): the same, capped at 20 s."""
    cap = float("inf") if mode == "legacy" else 20.0
    return sum(min(2.0 ** (i - 1), cap) for i in range(1, attempts))


def _duration(seconds: float) -> str:
    return (
        f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min".replace(".0 min", " min")
    )


def sdk_wait(ctx: Context, per_attempt_s: float, what: str) -> str:
    """How long one SDK call hangs before it fails when every attempt waits `per_attempt_s`
    (`what`): attempts × that, plus the back-off. With retry_mode configured, one figure;
    otherwise one per SDK default (the probe cannot know which SDK will call). Measured here
    with a dropped global endpoint: boto3 on botocore 1.44 (standard) 180 s, the AWS CLI v1
    (legacy) 311 s."""
    modes = [(m, n, who) for m, n, who in SDK_RETRY_DEFAULTS if ctx.retry_mode in (None, m)]
    if not modes:  # adaptive (or another mode): standard's attempts and back-off
        modes = [(ctx.retry_mode or "standard", 3, "configured")]
    parts = []
    for mode, n, who in modes:
        n = ctx.max_attempts if ctx.max_attempts and ctx.max_attempts > 0 else n
        wait = n * per_attempt_s
        back = backoff_max_s(mode, n)
        tail = f", plus up to {back:g} s of back-off" if back else ""
        whose = "" if ctx.retry_mode else f"; the default of {who}"
        parts.append(f"about {_duration(wait + back / 2)} in {mode} retry mode ({n} attempt{'s' * (n != 1)} × "
                     f"{per_attempt_s:g} s {what}{tail}{whose})")  # fmt: skip
    return (" One SDK call here hangs " + "; ".join(parts) + " before it fails. A shorter "
            "connect_timeout (the CLI's --cli-connect-timeout) and max_attempts make it fail fast.")  # fmt: skip


@dataclass(frozen=True, slots=True)
class SdkPath:
    """What the SDK's connection does with an endpoint's addresses. urllib3's
    `create_connection` (1.26 and 2.x alike) walks getaddrinfo's answer in order, gives each
    address the whole connect timeout, and moves to the next address only when the TCP
    connect fails; a socket that connected is used, whatever happens at TLS or HTTP.
    `lands`: the address the request ends on (None: unknown order, or none connected);
    `through`: the failed TCP connects it goes through first, on every new connection."""

    lands: AddressResult | None
    through: tuple[tuple[AddressResult, LayerResult], ...]

    @property
    def works(self) -> bool:
        return self.lands is not None and _network_failure(self.lands) is None

    @property
    def waits_timeout(self) -> bool:
        """A dropped address comes first: the SDK waits its whole connect timeout there."""
        return any(r.status is Status.TIMEOUT for _, r in self.through)

    @property
    def unhindered(self) -> bool:
        """The SDK gets through without waiting a connect timeout: it connects to a working
        address first, or the failing ones before it fail at once (unreachable, refused).
        With one IP family broken, SD206 is then a warning and `check` passes."""
        return self.works and not self.waits_timeout

    @property
    def fast_ms(self) -> float:
        """The time the failed connects before the working address took (when none timed out)."""
        return sum(r.ms or 0.0 for _, r in self.through)


def sdk_path(ep: EndpointResult) -> SdkPath:
    """The SDK's walk over `ep`'s addresses in getaddrinfo's order (the `sdk_order` the DNS
    layer recorded)."""
    order = (ep.dns.get("sdk_order") or "").split()
    probed = {a.address: a for a in direct_addresses(ep)}
    through: list[tuple[AddressResult, LayerResult]] = []
    for address in order:
        a = probed.get(address)
        if a is None:
            break
        r = _network_failure(a)
        if r is not None and r.layer is Layer.TCP:
            through.append((a, r))
            continue
        return SdkPath(a, tuple(through))
    return SdkPath(None, tuple(through))


def family_split(ep: EndpointResult) -> tuple[str, str] | None:
    """("IPv6", "IPv4") when every IPv6 address of `ep` fails and every IPv4 one works (or the
    reverse): this host's path for one family is broken, not one zone's interface."""
    probed = direct_addresses(ep)
    bad = {a.family for a in probed if _network_failure(a) is not None}
    good = {a.family for a in probed if _network_failure(a) is None}
    if len(bad) != 1 or not good or bad & good:
        return None
    return ("IPv6", "IPv4") if bad == {6} else ("IPv4", "IPv6")


def sdk_unaffected_split(ep: EndpointResult) -> bool:
    """One IP family of `ep` is broken, and the SDK still gets through unhindered."""
    return family_split(ep) is not None and sdk_path(ep).unhindered


def _family_split(
    ctx: Context,
    ep: EndpointResult,
    probed: list[AddressResult],
    bad: list[tuple[AddressResult, LayerResult]],
) -> Hit | None:
    """Every address of one IP family fails and every address of the other works: say what
    the SDK (urllib3, getaddrinfo's order) does with that."""
    split = family_split(ep)
    if split is None:
        return None
    fam, other = split
    good = [a for a in probed if _network_failure(a) is None]
    names = ", ".join(f"{a.address}: {r.layer.value} {r.status.value}" for a, r in bad)
    msg = (f"{ep.target.host}: its {fam} addresses fail ({names}) while its {other} addresses "
           f"({', '.join(a.address for a in good)}) work: this host's {fam} path is broken, not the endpoint.")  # fmt: skip
    path = sdk_path(ep)
    severity = None
    if path.works and not path.through and path.lands is not None:
        msg += f" The SDK connects to {path.lands.address} first (getaddrinfo's order), so it is not affected."
        severity = Severity.WARNING
    elif path.works and path.lands is not None and not path.waits_timeout:
        msg += (f" The SDK tries {', '.join(a.address for a, _ in path.through)} first (getaddrinfo's order); "
                f"the connect fails without a timeout ({path.fast_ms:.0f} ms), and it goes on to {path.lands.address}, "
                "which works: every new connection pays that, no more.")  # fmt: skip
        severity = Severity.WARNING
    elif path.works and path.lands is not None:
        dropped = [a.address for a, r in path.through if r.status is Status.TIMEOUT]
        msg += (f" The SDK tries {', '.join(a.address for a, _ in path.through)} first (getaddrinfo's order) "
                f"and waits its whole connect timeout ({connect_timeout(ctx)}) on "
                f"{', '.join(dropped)} before it connects to {path.lands.address}: it works, but every new "
                f"connection (every AWS CLI run) is {ctx.connect_timeout[0] * len(dropped):g} s late.")  # fmt: skip
    elif path.lands is not None or path.through:
        first = (path.lands or path.through[0][0]).address
        msg += f" The SDK connects to {first} first (getaddrinfo's order), which fails."
    return hit("SD206", msg, [_ev(ep, a, r) for a, r in bad], severity=severity,
               fix=f"Fix this host's {fam} route / security group {fam} rules, or make the SDK use "
                   f"{other} only (an {other}-only endpoint name, or prefer {other} in /etc/gai.conf).")  # fmt: skip


def sd206_partial(f: ProbeFacts) -> list[Hit]:
    return _partial_and_total(f)[0]


def sd202_203_204_total(f: ProbeFacts) -> list[Hit]:
    return _partial_and_total(f)[1]


def sd205_private_dns_off(f: ProbeFacts) -> list[Hit]:
    out = []
    sys_eps = _system(f)
    for ep in sys_eps:
        t = ep.target
        if t.kind is not TargetKind.REGIONAL or not ep.addresses:
            continue
        if not all(a.classification is AddressClass.PUBLIC for a in ep.addresses if a.family):
            continue
        vpce = [v for v in sys_eps if v.target.kind is TargetKind.VPCE and v.target.region == t.region
                and any(a.classification is AddressClass.VPC_PRIVATE for a in v.addresses)]  # fmt: skip
        if not vpce:
            continue
        v = min(
            vpce, key=lambda x: vpce_zone(x.target.host) is not None
        )  # the regional vpce name first
        pub = " ".join(a.address for a in ep.addresses if a.family)
        priv = " ".join(
            a.address for a in v.addresses if a.classification is AddressClass.VPC_PRIVATE
        )
        msg = (f"{t.host} resolves to public addresses ({pub}) while the VPC endpoint name {v.target.host} "
               f"resolves to private ones ({priv}): private DNS is off for the endpoint.")  # fmt: skip
        fix = (f"Enable private DNS on the VPC endpoint, or use `--endpoint-url {v.target.url}` / "
               f"`AWS_ENDPOINT_URL_STS={v.target.url}`.")  # fmt: skip
        sdk = next((x for x in sys_eps if x.target.sdk_would_use and x.target.kind is TargetKind.VPCE
                    and x.target.region == t.region and direct_addresses(x)
                    and all(_network_failure(a) is None for a in direct_addresses(x))), None)  # fmt: skip
        severity = None
        if sdk is not None:  # the SDK is already pointed at the endpoint's name, and it works
            severity = Severity.INFO
            msg += (f" The SDK already uses {sdk.target.url} ({f.context.endpoint_override_source}), "
                    "which works: only tools that ignore that setting use the public name.")  # fmt: skip
            fix = "Nothing to fix for the SDK; enable private DNS on the VPC endpoint for other tools."
        out.append(hit("SD205", msg, [_ev(ep, None, ep.dns), _ev(v, None, v.dns)],
                       severity=severity, fix=fix))  # fmt: skip
    return out


def sd207_resolver(f: ProbeFacts) -> list[Hit]:
    ctx = f.context
    if ctx.imds.state is not ImdsState.OK or not ctx.resolvers:
        return []
    verdicts = ctx.resolver_verdicts()
    if any(amazon is not False for _, amazon, _ in verdicts):
        return []  # the Amazon resolver is among them, or a local forwarder's upstream is unknown
    shown = ", ".join(f"{r} ({how})" if how else r for r, _, how in verdicts)
    return [hit("SD207", f"The host resolves through {shown}, not the Amazon VPC resolver.",
                    [Evidence(excerpt=f"nameservers: {' '.join(ctx.resolvers)}")])]  # fmt: skip


def sd211_hosts_file(f: ProbeFacts) -> list[Hit]:
    """The SDK's resolver (getaddrinfo) answered other addresses than DNS: say where from."""
    out = []
    for ep in _system(f):
        source = ep.dns.get("source")
        if ep.target.proxy or ep.dns.status is not Status.OK or source in (None, "DNS"):
            continue
        if endpoints.is_loopback_host(
            ep.target.host
        ):  # localhost is /etc/hosts' by design, never DNS's
            continue
        dns_said = ep.dns.get("dns_answer") or "?"
        msg = (f"{ep.target.host} resolves from {source} to {ep.dns.get('system')}; DNS says "
               f"{dns_said}. The SDK connects to the addresses from {source}, and so does this probe.")  # fmt: skip
        probed = direct_addresses(ep)
        stale = bool(probed) and all(_network_failure(a) is not None for a in probed)
        if stale:
            what = (
                "the entry looks stale; without it" if "hosts" in source else "without that answer"
            )
            msg += f" None of them works: {what} the SDK would use DNS's answer ({dns_said})."
        fix = (f"Remove the stale {ep.target.host} line from {source} (or correct its addresses)."
               if stale and source == "/etc/hosts" else None)  # fmt: skip
        if source.startswith("the search domain"):
            fix = (f"The SDK cannot ask for the absolute name: lower `options ndots` in /etc/resolv.conf "
                   f"(below the dots in {ep.target.host}), or remove the wildcard record from the search "
                   "domain.")  # fmt: skip
        out.append(hit("SD211", msg, [_ev(ep, None, ep.dns)],
                       severity=Severity.WARNING if stale else None, fix=fix))  # fmt: skip
    return out


# --------------------------------------------------------------------------- SD3xx proxy / TLS


# what urllib3 (and OpenSSL) say when TLS is opened to a proxy that answers in plain HTTP
_PLAIN_PROXY_ANSWERS = ("appears to only use HTTP", "WRONG_VERSION_NUMBER", "wrong version number")


def host_wide_cause(ctx: Context, results: Iterable[EndpointResult]) -> str | None:
    """What fails every one of these endpoints' failed addresses alike, from a setting of this
    host rather than a path: a missing / unusable CA bundle (SD303), or an https:// HTTPS_PROXY
    in front of a plain-HTTP proxy (SD301). None when the failures differ or have other causes."""
    causes = set()
    for ep in results:
        if ep.dns.status in (Status.FAIL, Status.TIMEOUT) or not ep.addresses:
            return None  # a name that does not resolve is a fault of its own
        for a in ep.addresses:
            r = _network_failure(a)
            if r is None:
                continue
            causes.add(
                "the SDK's CA bundle (SD303)" if r.get("verify_error") in _BUNDLE_FAULTS
                else "the https:// scheme of HTTPS_PROXY (SD301)" if _scheme_fault(ctx, r)
                else ""
            )  # fmt: skip
    return next(iter(causes)) if len(causes) == 1 and "" not in causes else None


def works_once_fixed(ctx: Context, ep: EndpointResult) -> list[AddressResult]:
    """The addresses of `ep` whose only fault is the host-wide one (`host_wide_cause`), and
    that were proven good past it: with a CA bundle fault, TCP connected and botocore's own
    bundle verifies the certificate; with HTTPS_PROXY's https:// scheme, the probe's plain
    CONNECT through the same proxy completed a verified TLS handshake with STS."""
    out = []
    for a in (a for a in ep.addresses if _probed(a)):
        r = _network_failure(a)
        tls = _layer(a, Layer.TLS)
        if r is None or tls is None:
            continue
        bundle = (r is tls and r.get("verify_error") in _BUNDLE_FAULTS
                  and (r.get("default_bundle_result") or "").startswith("verifies"))  # fmt: skip
        scheme = _scheme_fault(ctx, r) and tls.status is Status.OK
        if bundle or scheme:
            out.append(a)
    return out


def _https_scheme_to_plain_proxy(f: ProbeFacts, r: LayerResult) -> bool:
    return _scheme_fault(f.context, r)


def _scheme_fault(ctx: Context, r: LayerResult) -> bool:
    """`r` failed because HTTPS_PROXY says https:// and the proxy speaks plain HTTP: botocore
    (urllib3) opened TLS to the proxy itself and got an HTTP answer."""
    proxy = ctx.https_proxy or ""
    return (proxy.lower().startswith("https://") and r.layer is Layer.HTTPS
            and r.error is ErrorKind.PROXY and any(t in r.detail for t in _PLAIN_PROXY_ANSWERS))  # fmt: skip


def _sd301_https_scheme(f: ProbeFacts) -> tuple[list[Hit], set[tuple[str, str]]]:
    """HTTPS_PROXY=https://… in front of a plain-HTTP proxy, proven: the HTTPS layer failed
    with the proxy's plain answer to TLS, while the TLS layer through the same proxy (a CONNECT
    in plain HTTP) reached STS. One finding with the fix, and the (endpoint, address) pairs it
    explains."""
    failed: list[tuple[EndpointResult, AddressResult, LayerResult]] = []
    tunnelled: list[tuple[EndpointResult, AddressResult, LayerResult]] = []
    for ep in _system(f):
        if not ep.target.proxy:
            continue
        for a in ep.addresses:
            r = _network_failure(a)
            t = _layer(a, Layer.TLS)
            if r is not None and _https_scheme_to_plain_proxy(f, r):
                failed.append((ep, a, r))
                if t is not None and t.status is Status.OK:
                    tunnelled.append((ep, a, t))
    if not failed or not tunnelled:
        return [], set()
    s = f.context.setting("HTTPS_PROXY")
    shown = s.value if s is not None and s.value else "https://…"
    plain = "http://" + shown[len("https://") :]
    masked = shown != (f.context.https_proxy or "")  # the setting shows a masked password
    hosts = ", ".join(dict.fromkeys(ep.target.host for ep, _, _ in tunnelled))
    label = proxy_label(failed[0][0].target.proxy or "")
    msg = (f"HTTPS_PROXY is {shown}: with an https:// scheme botocore (urllib3) opens TLS to the "
           f"{label} itself, and it speaks plain HTTP (it answered the handshake in HTTP: 'Your proxy "
           f"appears to only use HTTP and not HTTPS'). Through the same proxy a CONNECT in plain HTTP "
           f"reached {hosts}, and TLS to STS verified: only the scheme is wrong. Every call fails "
           f"(the CLI: 'Failed to connect to proxy URL: \"{shown}\"').")  # fmt: skip
    fix = f"export HTTPS_PROXY={plain}" + ("  (with the real credentials)" if masked else "")
    evidence = [_setting_ev(f.context, "HTTPS_PROXY"), *(_ev(ep, a, r) for ep, a, r in failed[:2]),
                _ev(*tunnelled[0])]  # fmt: skip
    explained = {(ep.target.url, a.address) for ep, a, _ in failed}
    return [hit("SD301", msg, evidence, fix=fix)], explained


def sd301_proxy(f: ProbeFacts) -> list[Hit]:
    out, explained = _sd301_https_scheme(f)
    for ep in _system(f):
        if not ep.target.proxy:
            continue
        for a in ep.addresses:
            r = _network_failure(a)
            if (ep.target.url, a.address) in explained:
                continue
            if r is not None and (r.error is ErrorKind.PROXY or r.layer is Layer.TCP):
                msg = f"The {proxy_label(ep.target.proxy)} failed for {ep.target.host}: {r.detail}"
                fix = None
                if r.status is Status.TIMEOUT and "did not answer CONNECT" in r.detail:
                    msg += (f". The proxy is up but wedged. The SDK sends CONNECT within its connect "
                            f"timeout ({connect_timeout(f.context)}), then reports 'Read timeout on "
                            "endpoint URL' (urllib3 2.x) or 'Failed to connect to proxy URL' (urllib3 1.26), "
                            "and retries.")  # fmt: skip
                    fix = ("Have the proxy's operator look at it (a stuck process, an exhausted upstream "
                           "pool), use another proxy in `HTTPS_PROXY`, or add the STS names to `NO_PROXY` "
                           "when STS is reachable directly.")  # fmt: skip
                if " 407" in r.detail:
                    if proxy_has_credentials(ep.target.proxy):
                        msg += ". It rejects the credentials in the proxy URL."
                        fix = "Correct the user name / password in `HTTPS_PROXY` (http://user:password@host:port; percent-encode special characters)."
                    else:
                        msg += (
                            ". It requires authentication and the proxy URL carries no credentials."
                        )
                        fix = "Put the proxy credentials in `HTTPS_PROXY` (http://user:password@host:port), or add the STS names to `NO_PROXY` when STS is reachable directly."
                out.append(hit("SD301", msg, [_ev(ep, a, r)], fix=fix))  # fmt: skip
    if (
        not explained
        and f.context.https_proxy
        and f.context.https_proxy.lower().startswith("https://")
    ):
        out.append(hit("SD301", "HTTPS_PROXY uses an https:// scheme; most proxies speak plain HTTP "
                                    "for CONNECT (use http://).", [_setting_ev(f.context, "HTTPS_PROXY")]))  # fmt: skip
    return out


def sd302_bypass_missing(f: ProbeFacts) -> list[Hit]:
    ctx = f.context
    if not ctx.https_proxy and not ctx.http_proxy:
        return []
    missing: list[str] = []
    # botocore's IMDS client takes the proxy of the IMDS URL's scheme (http: HTTP_PROXY only)
    imds = urlsplit(ctx.imds.endpoint)
    imds_proxy = ctx.http_proxy if imds.scheme == "http" else ctx.https_proxy
    imds_host = imds.hostname or "169.254.169.254"
    # (not when IMDS answers only through the proxy: bypassing it would cut the SDK off)
    relayed = ctx.imds.proxy and ctx.imds.state is ImdsState.OK and ctx.imds.direct_ok is False
    if (imds_proxy and ctx.imds.state is not ImdsState.DISABLED and not relayed
            and not no_proxy_matches(imds_host, ctx.no_proxy)):  # fmt: skip
        missing.append(imds_host)
    private: list[str] = []  # proxied names that resolve to a VPC endpoint, and the proxy failed
    outcomes: list[str] = []  # how those addresses did when probed directly (Runner.maybe_bypass)
    for ep in _system(f):
        vpce = [a.address for a in ep.addresses if a.classification is AddressClass.VPC_PRIVATE]
        if ep.target.proxy and vpce:
            missing.append(ep.target.host)
            if _proxy_failed(ep):
                private.append(f"{ep.target.host} ({', '.join(vpce)})")
                outcomes.append(_bypass_outcome(ep))
    ignored = ignored_no_proxy_entries(ctx.no_proxy)
    sts_ignored = [e for e in ignored if e.startswith("*.") and any(
        ep.target.proxy and ep.target.host.endswith(e[1:]) for ep in _system(f))]  # fmt: skip
    if not missing and not sts_ignored:
        return []
    entries = [n.strip() for n in (ctx.no_proxy or "").split(",") if n.strip()]
    fixed = [e[1:] if e.startswith("*.") else e for e in entries if "/" not in e]
    wanted = ",".join(dict.fromkeys([*fixed, *missing]))
    msg = (
        "HTTPS_PROXY is set and NO_PROXY does not cover "
        + (", ".join(dict.fromkeys(missing)) if missing else "the STS names it means to")
        + " for botocore."
    )
    if ignored:
        msg += (
            f" botocore reads NO_PROXY as urllib does (names and .suffixes only) and ignores "
            f"{', '.join(ignored)}: Go tools take `*.` wildcards, and Go, curl and requests CIDR "
            "blocks; botocore takes neither."
        )
    if private:
        msg += (
            f" {'; '.join(private)} resolve{'s' if len(private) == 1 else ''} to private addresses "
            "in this VPC (an interface VPC endpoint with private DNS), meant to be reached directly, "
            "yet botocore sends them to the proxy, which failed (SD301). Every STS call fails until "
            "NO_PROXY names them; traffic to a VPC endpoint has no reason to leave through a proxy."
            + "".join(outcomes)
        )
    return [hit(
        "SD302", msg,
        [_setting_ev(ctx, "HTTPS_PROXY"), _setting_ev(ctx, "NO_PROXY")],
        severity=Severity.ERROR if private else None,
        fix=f"export NO_PROXY={wanted}",
    )]  # fmt: skip


def _bypass_outcome(ep: EndpointResult) -> str:
    """What the VPC-private addresses did when probed directly past the failed proxy."""
    probed = bypass_addresses(ep)
    if not probed:
        return ""
    failures = [(a, r) for a in probed if (r := _network_failure(a)) is not None]
    if len(failures) < len(probed):
        good = [a.address for a in probed if _network_failure(a) is None]
        return f" Probed directly, {ep.target.host} answers at {', '.join(good)}."
    a, r = failures[0]
    also = (": its security group / NACLs must admit 443 from this host too"
            if r.layer is Layer.TCP else "")  # fmt: skip
    return (f" Probed directly, {ep.target.host} fails too ({a.address} {r.layer.value}: {r.detail}): "
            f"NO_PROXY alone will not do{also}.")  # fmt: skip


def _proxy_failed(ep: EndpointResult) -> bool:
    """The proxy's own row (the CONNECT / request through it) failed at some layer."""
    return any(
        r.status in (Status.FAIL, Status.TIMEOUT) and r.layer in (Layer.TCP, Layer.TLS, Layer.HTTPS)
        for a in ep.addresses
        if a.family == 0
        for r in a.layers
    )


def _tls_results(f: ProbeFacts) -> list[tuple[EndpointResult, AddressResult, LayerResult]]:
    out = []
    for ep in _system(f):
        for a in ep.addresses:
            r = _layer(a, Layer.TLS)
            if r is not None and r.status is not Status.SKIPPED:
                out.append((ep, a, r))
    return out


def sd303_tls_failed(f: ProbeFacts) -> list[Hit]:
    hits = [(ep, a, r) for ep, a, r in _tls_results(f)
            if r.status is Status.FAIL and r.get("intercepted") != "true"
            and r.error is not ErrorKind.PROXY]  # a proxy's CONNECT failure is SD301, not TLS  # fmt: skip
    if not hits:
        return []
    out = []
    for host in dict.fromkeys(ep.target.host for ep, _, _ in hits):
        mine = [(ep, a, r) for ep, a, r in hits if ep.target.host == host]
        r = mine[0][2]
        if r.get("verify_error") in _BUNDLE_FAULTS:
            out.append(_sd303_bundle_fault(f, host, mine))
            continue
        msg = f"TLS verification failed for {host}: {r.get('verify_error') or r.detail}"
        if r.get("names_host") == "false":
            msg += (f". The certificate is for {r.get('dns_names') or r.get('subject')}, issued by {r.get('issuer')}: "
                    "something else answers at this address (a captive portal, a wrong server)")  # fmt: skip
        msg += f" (CA bundle {f.context.ca_bundle}, {f.context.ca_bundle_source})."
        fix = strict_tls_fix(r.get("verify_error") or r.detail)
        out.append(hit("SD303", msg, [_ev(ep, a, r) for ep, a, r in mine], fix=fix))
    return out


_BUNDLE_FAULTS = {
    "CA bundle file missing": "does not exist",
    "CA bundle unusable": "is unusable",
    "CA bundle is a directory": "is a directory that botocore opens as a file ('[Errno 21] Is a directory')",
}
# a directory's single-file bundle, as Debian/Ubuntu and RHEL/Amazon Linux name it
_DIR_BUNDLES = ("ca-certificates.crt", "ca-bundle.crt")


def _requests_bundle_fix(ctx: Context, result: str) -> str:
    """REQUESTS_CA_BUNDLE, read by botocore only while AWS_CA_BUNDLE and ca_bundle are unset,
    is what other Python tools use too: the fix names a file for botocore in AWS_CA_BUNDLE,
    which wins over it, and leaves REQUESTS_CA_BUNDLE to them."""
    path = ctx.ca_bundle
    file = next((os.path.join(path, n) for n in _DIR_BUNDLES
                 if os.path.isdir(path) and os.path.isfile(os.path.join(path, n))), "FILE")  # fmt: skip
    if result == "verifies" and file == "FILE":
        return ("`unset REQUESTS_CA_BUNDLE` where AWS tools run (botocore then verifies with its own bundle), "
                "or `export AWS_CA_BUNDLE=FILE` with FILE an existing PEM bundle: botocore prefers it to "
                "REQUESTS_CA_BUNDLE, which other Python tools keep.")  # fmt: skip
    named = (f"`export AWS_CA_BUNDLE={file}` (the directory's certificates as one file)" if file != "FILE"
             else "`export AWS_CA_BUNDLE=FILE` with FILE an existing PEM bundle")  # fmt: skip
    why = ": botocore cannot load a directory (botocore#2731)." if os.path.isdir(path) else "."
    return (f"{named}: botocore prefers AWS_CA_BUNDLE to REQUESTS_CA_BUNDLE, which other Python "
            f"tools keep. Or point REQUESTS_CA_BUNDLE itself at that file{why}")  # fmt: skip


def _sd303_bundle_fault(
    f: ProbeFacts, host: str, mine: list[tuple[EndpointResult, AddressResult, LayerResult]]
) -> Hit:
    """The SDK's CA bundle (AWS_CA_BUNDLE / ca_bundle) is missing or unusable: botocore fails
    every HTTPS call before sending it. The probe also tried botocore's own bundle: whether the
    setting is the whole fault (unset it) or this network needs a bundle with its CA."""
    ctx = f.context
    r = mine[0][2]
    state = _BUNDLE_FAULTS[r.get("verify_error") or ""]
    if "unusable: " in r.detail:  # what loading it said (no certificate or crl found, ...)
        state += f" ({r.detail.split('unusable: ', 1)[1].split('; with botocore', 1)[0]})"
    src = ctx.ca_bundle_source
    msg = (f"TLS verification failed for {host}: botocore verifies every HTTPS connection against the "
           f"CA bundle {ctx.ca_bundle} ({src}), which {state}, so every call fails before a request "
           f"is sent ('SSL validation failed for https://{host}/ ...').")  # fmt: skip
    result = r.get("default_bundle_result") or ""
    issuer = r.get("issuer") or "an unknown issuer"
    if src == "env REQUESTS_CA_BUNDLE":  # the message above, worded for this variable
        msg = (f"TLS verification failed for {host}: with AWS_CA_BUNDLE and ca_bundle unset, botocore "
               f"takes REQUESTS_CA_BUNDLE (the requests library's variable) as its CA bundle: "
               f"{ctx.ca_bundle}, which {state}, so every call fails before a request is sent.")  # fmt: skip
        if result == "verifies":
            msg += f" botocore's own bundle verifies the certificate (issued by {issuer}): the setting alone is the fault."
        elif result.startswith("fails"):
            msg += (f" botocore's own bundle does not trust it either ({result.removeprefix('fails: ')}; "
                    f"issued by {issuer}): this network needs a bundle that holds that CA.")  # fmt: skip
        return hit("SD303", msg, [_ev(ep, a, x) for ep, a, x in mine],
                   fix=_requests_bundle_fix(ctx, result))  # fmt: skip
    if src.startswith("env "):
        var = src.removeprefix("env ")
        drop, point = f"unset {var}", f"export {var}=FILE"
    elif src.startswith("config file "):
        where = src.removeprefix("config file ")
        drop = f"remove the `ca_bundle` line from {where}"
        point = f"set `ca_bundle = FILE` in {where}"
    else:  # botocore's own bundle is the missing one (a broken install)
        return hit("SD303", msg, [_ev(ep, a, x) for ep, a, x in mine],
                   fix="Reinstall the AWS CLI / botocore (its bundle, or certifi's, is gone), or "
                       "`export AWS_CA_BUNDLE=FILE` with FILE an existing PEM bundle.")  # fmt: skip
    if result == "verifies":
        msg += (f" With botocore's own bundle ({r.get('default_bundle')}) the certificate, issued by "
                f"{issuer}, verifies: the setting alone is the fault.")  # fmt: skip
        fix = (f"{drop[0].upper()}{drop[1:]} (botocore then verifies with its own bundle); or, if "
               f"a TLS-inspecting proxy still needs its CA, {point} with FILE an existing PEM bundle "
               "that holds it.")  # fmt: skip
    elif result.startswith("fails"):
        msg += (f" botocore's own bundle does not trust the certificate either ({result.removeprefix('fails: ')}; "
                f"issued by {issuer}): this network needs a bundle that holds that CA.")  # fmt: skip
        fix = (f"Find the PEM bundle that holds the CA of {issuer} (the TLS-inspection agent or "
               f"IT installs it) and {point} with FILE its path.")  # fmt: skip
    else:
        fix = f"{point[0].upper()}{point[1:]} with FILE an existing PEM bundle, or {drop}."
    return hit("SD303", msg, [_ev(ep, a, x) for ep, a, x in mine], fix=fix)


def sd304_intercepted(f: ProbeFacts) -> list[Hit]:
    hits = [(ep, a, r) for ep, a, r in _tls_results(f) if r.get("intercepted") == "true"]
    if not hits:
        return []
    issuers = ", ".join(dict.fromkeys(r.get("issuer") or "?" for _, _, r in hits))
    trusted = all(r.status is Status.OK for _, _, r in hits)
    msg = f"TLS to {', '.join(dict.fromkeys(ep.target.host for ep, _, _ in hits))} is intercepted: the certificate is issued by {issuers}, not by Amazon."
    if trusted:
        msg += " It verifies against the configured CA bundle, so the interception is trusted here."
    strict = next(
        (x for _, _, r in hits if (x := strict_tls_fix(r.get("verify_error") or ""))), None
    )
    return [hit("SD304", msg, [_ev(ep, a, r) for ep, a, r in hits],
                    severity=Severity.WARNING if trusted else Severity.ERROR, fix=strict)]  # fmt: skip


def sd305_not_sts(f: ProbeFacts) -> list[Hit]:
    out = []
    for ep in _system(f):
        for a in ep.addresses:
            r = _layer(a, Layer.HTTPS)
            if r is not None and r.get("not_sts") == "true":
                out.append(hit("SD305", f"{ep.target.host} ({a.address}) answered, but not as STS: {r.detail}",
                                   [_ev(ep, a, r)]))  # fmt: skip
    return out


# --------------------------------------------------------------------------- SD4xx STS answers


def _sts_results(f: ProbeFacts) -> list[tuple[EndpointResult, AddressResult, LayerResult]]:
    out = []
    for ep in _system(f):
        for a in ep.addresses:
            out += [(ep, a, r) for r in a.layers if r.layer is Layer.STS and r.get("error_code")]
    return out


def sd401_clock_skew(f: ProbeFacts) -> list[Hit]:
    offsets: list[tuple[float, EndpointResult, AddressResult, LayerResult]] = []
    for ep in _system(f):
        for a in ep.addresses:
            r = _layer(a, Layer.HTTPS)
            v = r.get("clock_offset_s") if r else None
            if r is not None and v is not None:
                offsets.append((float(v), ep, a, r))
    skew_errors = [(ep, a, r) for ep, a, r in _sts_results(f)
                   if r.get("error_code") in ("RequestTimeTooSkewed", "RequestExpired")
                   or "Signature expired" in (r.get("error_message") or "")]  # fmt: skip
    worst = max(offsets, key=lambda o: abs(o[0]), default=None)
    if worst is not None and abs(worst[0]) > SKEW_WARN_S:
        off = worst[0]
        sev = Severity.ERROR if abs(off) > SKEW_ERROR_S or skew_errors else Severity.WARNING
        direction = "behind" if off > 0 else "ahead of"
        msg = (f"The local clock is {abs(off):.0f} s {direction} the server's (Date header of "
               f"{worst[1].target.host}: {worst[3].get('server_date')}); clock offset {off:+.0f} s.")  # fmt: skip
        ev = [
            _ev(ep, a, r)
            for _, ep, a, r in offsets
            if abs(float(r.get("clock_offset_s") or 0)) > SKEW_WARN_S
        ]
        ev += [_ev(ep, a, r) for ep, a, r in skew_errors]
        return [hit("SD401", msg, ev, severity=sev)]
    if skew_errors:
        return [
            hit(
                "SD401",
                "STS rejected the signature as expired/skewed.",
                [_ev(ep, a, r) for ep, a, r in skew_errors],
            )
        ]
    return []


_STS_CODES: tuple[tuple[str, Callable[[str, str], bool]], ...] = (
    ("SD108", lambda c, m: c == "SignatureDoesNotMatch" and "scoped to a valid region" in m),
    ("SD402", lambda c, m: c in ("ExpiredToken", "ExpiredTokenException")),
    ("SD403", lambda c, m: c == "InvalidClientTokenId"),
    ("SD404", lambda c, m: c == "SignatureDoesNotMatch" and "scoped to a valid region" not in m
              and "Signature expired" not in m),
    ("SD405", lambda c, m: c in ("AccessDenied", "AccessDeniedException")),
    ("SD406", lambda c, m: c == "RegionDisabledException"),
    ("SD407", lambda c, m: c in ("Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded")),
    ("SD408", lambda c, m: c in ("InvalidIdentityToken", "IDPRejectedClaim", "IDPCommunicationError")),
)  # fmt: skip


def server_error(r: LayerResult) -> bool:
    """A signed call answered with HTTP 5xx: STS itself failed."""
    status = r.get("http_status") or ""
    return r.layer is Layer.STS and status.isdigit() and int(status) >= 500


def sd409_server_error(f: ProbeFacts) -> list[Hit]:
    out = []
    for ep in _system(f):
        hits = [(a, r) for a in ep.addresses for r in a.layers if server_error(r)]
        if not hits:
            continue
        r = hits[0][1]
        signed = {a.address for a in ep.addresses for x in a.layers
                  if x.layer is Layer.STS and x.status is not Status.SKIPPED}  # fmt: skip
        failing = {a.address for a, _ in hits}
        every = (
            "every address" if failing >= signed else f"{len(failing)} of {len(signed)} addresses"
        )
        msg = (f"{r.get('operation')} at {ep.target.host}: {r.get('error_code')} (HTTP {r.get('http_status')}) "
               f"on {every}: STS itself failed, not the network or the credentials. The SDK retries 5xx "
               "answers (legacy retry mode: 5 attempts, standard: 3, with back-off): slow calls first, "
               "then failures while it lasts.")  # fmt: skip
        out.append(hit("SD409", msg, [_ev(ep, a, x) for a, x in hits]))
    return out


def sd4xx_sts_answers(f: ProbeFacts) -> list[Hit]:
    out = []
    results = _sts_results(f)
    for code, match in _STS_CODES:
        hits = [
            (ep, a, r)
            for ep, a, r in results
            if match(r.get("error_code") or "", r.get("error_message") or "")
        ]
        if not hits:
            continue
        ep, _, r = hits[0]
        msg = f"{r.get('operation')} at {ep.target.host}: {r.get('error_code')}: {r.get('error_message')}"
        fix = None
        if code == "SD406" and ep.target.region:
            fix = (f"Activate STS in {ep.target.region}: IAM console -> Account settings -> Security "
                   f"Token Service (STS) -> Endpoints -> {ep.target.region} -> Activate (an "
                   "administrator of the account). Until then call STS "
                   "where it is active: the global endpoint or us-east-1, which cannot be "
                   "deactivated.")  # fmt: skip
        if code == "SD403" and ep.target.region and endpoints.is_opt_in(ep.target.region):
            if region_rejects_credentials(f, ep) == "not-enabled":
                msg, fix = _opt_in_not_enabled(f, ep, msg)
            else:
                msg += (f" {ep.target.region} is an opt-in region: a session token from the global "
                        "endpoint (v1) is not valid there.")  # fmt: skip
        if code == "SD405" and any(
            a.classification is AddressClass.VPC_PRIVATE for _, a, _ in hits
        ):
            msg, fix = _denied_at_vpc_endpoint(f, ep, r, msg)
        out.append(hit(code, msg, [_ev(e, a, r) for e, a, r in hits], fix=fix))
    return out


def long_term_key(creds: CredentialInfo) -> bool:
    """The SDK signs with an IAM user's long-term access key (AKIA...): no session token."""
    return (creds.access_key or "").startswith("AKIA")


def _signed(ep: EndpointResult) -> list[LayerResult]:
    return [r for a in direct_addresses(ep) for r in a.layers
            if r.layer is Layer.STS and r.status is not Status.SKIPPED]  # fmt: skip


def region_rejects_credentials(f: ProbeFacts, ep: EndpointResult) -> str | None:
    """Why STS in `ep`'s region rejects every signed call with credentials that another
    endpoint accepted in this run: "deactivated" (RegionDisabledException: regional STS is
    deactivated for the account) or "not-enabled" (InvalidClientTokenId for a long-term key in
    an opt-in region: the region is not enabled for the account, so the IAM user does not
    exist there). None otherwise (a session token's version, wrong keys, another answer)."""
    signed = _signed(ep)
    if not signed or any(r.status is Status.OK for r in signed) or not ep.target.region:
        return None
    if not any(r.status is Status.OK for x in _system(f) if x is not ep for r in _signed(x)):
        return None
    codes = {r.get("error_code") for r in signed}
    if codes == {"RegionDisabledException"}:
        return "deactivated"
    if (codes == {"InvalidClientTokenId"} and endpoints.is_opt_in(ep.target.region)
            and long_term_key(f.credentials)):  # fmt: skip
        return "not-enabled"
    return None


def _opt_in_not_enabled(f: ProbeFacts, ep: EndpointResult, msg: str) -> tuple[str, str]:
    """SD403 where an opt-in region rejects a long-term key that other endpoints accept."""
    region = ep.target.region or "REGION"
    ok = [x.target.host for x in _system(f) if x is not ep
          and any(r.status is Status.OK for r in _signed(x))]  # fmt: skip
    msg += (f" The same access key ({f.credentials.access_key}, a long-term key: no session token) "
            f"works at {', '.join(dict.fromkeys(ok))}: the keys are valid, and {region} is an opt-in "
            f"region that is not enabled for this account, so its STS does not know them.")  # fmt: skip
    fix = (f"Enable {region} for the account (console: Account -> AWS Regions, or `aws account "
           f"enable-region --region-name {region}`; it takes minutes, sometimes hours: `aws account "
           f"get-region-opt-status --region-name {region}`), or work in a region enabled by "
           "default.")  # fmt: skip
    return msg, fix


def _denied_at_vpc_endpoint(
    f: ProbeFacts, ep: EndpointResult, r: LayerResult, msg: str
) -> tuple[str, str | None]:
    """SD405 for a call through a VPC endpoint: its endpoint policy denies it when STS says so
    (AWS names the policy type in AccessDenied) or when the same call succeeded on a public
    path (so the trust policy and the caller's permissions allow it)."""
    op = r.get("operation") or "the call"
    elsewhere = list(dict.fromkeys(
        e.target.host for e in _system(f) for a in e.addresses
        if a.classification is AddressClass.PUBLIC
        for x in a.layers
        if x.layer is Layer.STS and x.status is Status.OK and x.get("operation") == op
    ))  # fmt: skip
    named = "VPC endpoint policy" in (r.get("error_message") or "")
    msg = msg.rstrip(".") + "."
    if not named and not elsewhere:
        return msg + " The call went through a VPC endpoint: its endpoint policy may deny it.", None
    msg += " The call went through a VPC endpoint, and its endpoint policy denies it"
    msg += ": STS names that policy" if named else ""
    if elsewhere:
        msg += (f"{';' if named else ':'} the same {op} succeeded at {', '.join(elsewhere)} "
                "(public addresses), so the role's trust policy and the caller's permissions allow it")  # fmt: skip
    msg += "."
    region = ep.target.region or ep.target.signing_region or "REGION"
    fix = (f"Allow sts:{op} for this role in the policy of the STS VPC endpoint (`aws ec2 "
           f"describe-vpc-endpoints --region {region} --filters Name=service-name,Values=com.amazonaws."
           f"{region}.sts --query 'VpcEndpoints[].PolicyDocument'`). Calling STS around the endpoint "
           "(a public endpoint over NAT) sidesteps the policy rather than fixing it.")  # fmt: skip
    return msg, fix


# --------------------------------------------------------------------------- SD5xx credentials


def _container_failure(f: ProbeFacts) -> str | None:
    """Why the container credential endpoint gave no credentials, when botocore's chain got as
    far as its ContainerProvider (configured, nothing earlier in the chain supplied
    credentials) and that provider failed or is still waiting; None otherwise."""
    c, url = f.credentials, f.context.container_credentials
    if not url:
        return None
    if c.state is CredState.ERROR and "container" in c.detail:
        return c.detail
    if c.state is CredState.PENDING and not f.context.web_identity_role_arn:
        # the providers before it read files; a web identity token would be a call to STS
        return ("no answer while the probe ran (botocore waits 2 s per attempt, 3 attempts, "
                "then fails with 'Error when retrieving credentials from container-role')")  # fmt: skip
    return None


def sd501_no_credentials(f: ProbeFacts) -> list[Hit]:
    c = f.credentials
    if _container_failure(f):
        return []  # SD502 names the container credential endpoint that failed
    if c.state is CredState.NONE:
        no_role = _no_instance_role(f) or _instance_role_unusable(f) or _imds_too_slow(f)
        if no_role:
            return no_role
        return [hit("SD501", "No credentials: the signed STS calls were not made; DNS, TCP, TLS and the "
                                 "unsigned HTTPS check still ran.",
                        [Evidence(excerpt=f"credential chain: {c.detail}")])]  # fmt: skip
    if c.state is CredState.ERROR:
        token = _web_identity_token_unreadable(f)
        if token:
            return token
        return [hit("SD501", f"The credential provider failed: {c.detail}",
                        [Evidence(excerpt=excerpt(f"credential chain: {c.detail}"))])]  # fmt: skip
    if c.state is CredState.PENDING:
        why = _PENDING_WHY.get(c.method or "", "")
        where = f" botocore was still in its `{c.method}` provider{why}." if c.method else ""
        return [hit("SD501", "No credentials while the probe ran: the credential chain had not finished, so "
                             f"the signed STS calls were not made.{where} The SDK waits there as long, "
                             "before every first call.",
                    [Evidence(excerpt=excerpt(f"credential chain: {c.detail}"))],
                    fix=_PENDING_FIX.get(c.method or "", "Find which credential source is slow (`aws sts "
                        "get-caller-identity --debug` shows 'Looking for credentials via: …') and fix it or "
                        "configure credentials that answer at once."))]  # fmt: skip
    return []


# why botocore's web-identity provider cannot read its token file, and what to do
_TOKEN_FILE_FIX = {
    "FileNotFoundError": "The token is not at that path in this container. On EKS (IRSA) the pod "
    "identity webhook projects it there when the pod's service account carries the "
    "`eks.amazonaws.com/role-arn` annotation: check the annotation and recreate the pod. A "
    "container the pod starts (docker-in-docker, a CI job container) or a copied environment "
    "needs the file mounted too; otherwise unset AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE "
    "there and give it other credentials.",
    "PermissionError": "This process's user cannot read the token: run as a user that can (on "
    "EKS, set the pod's `securityContext.fsGroup` so a non-root container can read the projected "
    "token), or fix the file's mode.",
    "IsADirectoryError": "The path is a directory: mounting a file that did not exist on the "
    "host (`docker run -v`, a volume of the job container) creates an empty directory. Mount the "
    "token file itself, or point AWS_WEB_IDENTITY_TOKEN_FILE at the file.",
}


def _web_identity_token_unreadable(f: ProbeFacts) -> list[Hit]:
    """The credential chain failed because botocore's web-identity provider cannot read the
    token file named by AWS_WEB_IDENTITY_TOKEN_FILE / web_identity_token_file (IRSA)."""
    ctx, c = f.context, f.credentials
    path = ctx.web_identity_token_file
    kind = c.detail.split(":", 1)[0]
    if not path or kind not in _TOKEN_FILE_FIX or path not in c.detail:
        return []
    s = ctx.setting("web_identity_token_file")
    where = ("AWS_WEB_IDENTITY_TOKEN_FILE" if s is None or s.source == "env"
             else f"web_identity_token_file ({s.source})")  # fmt: skip
    why = c.detail.split("] ", 1)[-1].split(":", 1)[0] if "] " in c.detail else kind
    role = f" for {ctx.web_identity_role_arn}" if ctx.web_identity_role_arn else ""
    return [hit(
        "SD501",
        f"botocore's web-identity provider (AssumeRoleWithWebIdentity{role}) cannot read its token "
        f"file: {where} names {path}: {why}. botocore does not fall back to another provider when "
        "the web identity variables are set: every call fails before it reaches STS, whatever the "
        "network does.",
        [Evidence(excerpt=excerpt(f"credential chain: {c.detail}")),
         _setting_ev(ctx, "web_identity_token_file")],
        fix=_TOKEN_FILE_FIX[kind],
    )]  # fmt: skip


def _no_instance_role(f: ProbeFacts) -> list[Hit]:
    """No credentials on an EC2 instance whose IMDS answers but lists no role: botocore's last
    provider (instance metadata) found nothing because no instance profile is attached."""
    i = f.context.imds
    if i.state is not ImdsState.OK or i.role or i.role_status != 404:
        return []
    inst = i.instance_id or "i-…"
    return [hit(
        "SD501",
        f"No credentials: this is an EC2 instance ({inst}; IMDS at {i.endpoint} answered) but no IAM "
        f"role is attached to it: {ROLE_PATH} answered HTTP 404, so botocore's instance-metadata "
        "provider, the last in its chain, found none, and no other source (environment, shared "
        "files, profile) supplied any. The SDK says 'Unable to locate credentials'. The signed STS "
        "calls were not made; DNS, TCP, TLS and the unsigned HTTPS check still ran.",
        [Evidence(excerpt=f"credential chain: {f.credentials.detail}"),
         Evidence(excerpt=f"IMDS {i.endpoint}/latest/meta-data/{ROLE_PATH}: HTTP 404 ({i.version})")],
        fix=f"Attach an instance profile with the role this host needs: `aws ec2 "
            f"associate-iam-instance-profile --instance-id {inst} --iam-instance-profile "
            "Name=PROFILE` (from a machine that has credentials; console: Actions > Security > "
            "Modify IAM role). IMDS serves the role's credentials within seconds, no restart. Or "
            "configure other credentials on this host.",
    )]  # fmt: skip


_EC2_TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


def _instance_role_unusable(f: ProbeFacts) -> list[Hit]:
    """No credentials on an EC2 instance whose IMDS lists a role but answers that role's
    document with an error (aws-cli#2060): botocore's provider finds no keys in it, logs the
    error at debug level only, and the chain ends with 'Unable to locate credentials'."""
    i = f.context.imds
    if i.state is not ImdsState.OK or not i.role or not i.role_error:
        return []
    inst = i.instance_id or "i-…"
    code = i.role_error.split(":", 1)[0]
    msg = (f"No credentials: this EC2 instance ({inst}) has the instance role {i.role}, but IMDS "
           f"answers {ROLE_PATH}{i.role} with an error, not credentials: {i.role_error} botocore's "
           "instance-metadata provider logs that only at debug level and the SDK says 'Unable to "
           "locate credentials'. The signed STS calls were not made; DNS, TCP, TLS and the "
           "unsigned HTTPS check still ran.")  # fmt: skip
    if code == "AssumeRoleUnauthorizedAccess":
        msg += " The role's trust policy does not let ec2.amazonaws.com assume it."
        fix = (f"Add the service principal ec2.amazonaws.com to the trust policy of {i.role} (console: "
               f"IAM > Roles > {i.role} > Trust relationships; or, from a machine that has credentials, "
               f"`aws iam update-assume-role-policy --role-name {i.role} --policy-document "
               f"'{_EC2_TRUST}'`, which replaces the policy: keep any principal it already trusts). "
               f"Then GET {ROLE_PATH}{i.role} again: it holds credentials once EC2 can assume the role.")  # fmt: skip
    else:
        fix = (f"Fix what IMDS reports for the role {i.role} ({code}) in IAM, or attach an "
               f"instance profile with a usable role: `aws ec2 replace-iam-instance-profile-association` "
               f"for {inst}.")  # fmt: skip
    return [hit("SD501", msg,
                [Evidence(excerpt=f"credential chain: {f.credentials.detail}"),
                 Evidence(excerpt=excerpt(f"IMDS {i.endpoint}/latest/meta-data/{ROLE_PATH}{i.role}: {i.role_error}"))],
                fix=fix)]  # fmt: skip


# what a provider that has not finished is waiting for (botocore's provider METHOD names)
_PENDING_WHY = {
    "custom-process": ": the profile's credential_process command has not returned, and botocore "
    "waits for it without a timeout",
    "iam-role": ": the instance profile's credentials from IMDS have not come (see SD502)",
    "sso": ": IAM Identity Center (SSO) has not answered GetRoleCredentials",
    "assume-role": ": STS has not answered the AssumeRole call made with the source profile's credentials",
    "assume-role-with-web-identity": ": STS has not answered AssumeRoleWithWebIdentity",
}
_PENDING_FIX = {
    "custom-process": "Run the profile's credential_process command by hand: it must print the "
    "credentials JSON and exit (an interactive prompt or a hung helper never returns).",
    "sso": "Run `aws sso login` and check that the SSO portal's region is reachable from this host.",
}


def _sd502_container(f: ProbeFacts) -> list[Hit]:
    why = _container_failure(f)
    if why is None:
        return []
    ctx = f.context
    host = urlsplit(ctx.container_credentials or "").hostname or ""
    agent = ("the EKS Pod Identity agent" if host in ("169.254.170.23", "fd00:ec2::23")
             else "the ECS agent" if host == "169.254.170.2" else "the container credential server")  # fmt: skip
    direct = (" botocore asks it directly, never through HTTP_PROXY / HTTPS_PROXY."
              if ctx.http_proxy or ctx.https_proxy else "")  # fmt: skip
    return [hit(
        "SD502",
        f"The SDK's credentials come from the container credential endpoint "
        f"{ctx.container_credentials} ({ctx.container_credentials_source}), served by {agent}, "
        f"and it gave none: {why}. botocore does not fall back to another provider: every "
        f"call fails before it reaches STS, whatever the network to STS does.{direct}",
        [Evidence(excerpt=excerpt(f"credential chain: {f.credentials.state.value}: {f.credentials.detail}"))],
        severity=Severity.ERROR,
        fix="ECS: give the task definition a taskRoleArn, check that the ECS agent runs with "
            "ECS_ENABLE_TASK_IAM_ROLE=true and that 169.254.170.2 reaches it from the task (bridge or "
            "host network: ecs-init's iptables rule; a custom firewall may drop it); EKS Pod Identity "
            "(169.254.170.23): check the pod identity "
            "association and the eks-pod-identity-agent DaemonSet",
    )]  # fmt: skip


def _slow_imds_fix(i: Imds) -> str:
    wait = max(5, math.ceil((i.slow_ms or 0) / 1000) + 2)
    return (f"Give botocore longer: `metadata_service_timeout = {wait}` and "
            "`metadata_service_num_attempts = 3` in the profile (or `export "
            f"AWS_METADATA_SERVICE_TIMEOUT={wait} AWS_METADATA_SERVICE_NUM_ATTEMPTS=3`); and find what "
            "slows IMDS on this host (a metadata proxy such as kube2iam or kiam, a firewall or "
            "agent on 169.254.169.254, an overloaded instance).")  # fmt: skip


def _slow_imds_text(i: Imds, timeout_s: float = BOTOCORE_IMDS_TIMEOUT_S) -> str:
    waits = (f"{timeout_s:g} s per request by default (metadata_service_timeout, one attempt: "
             "metadata_service_num_attempts)" if timeout_s == BOTOCORE_IMDS_TIMEOUT_S
             else f"{timeout_s:g} s per request (the configured metadata_service_timeout)")  # fmt: skip
    return (f"The instance metadata service at {i.endpoint} accepts connections but answers only "
            f"after {(i.slow_ms or 0) / 1000:.1f} s (a token PUT given {SLOW_IMDS_WAIT_S:g} s), while "
            f"botocore waits {waits}: its token PUT "
            "and then its IMDSv1 GETs time out, so it gets neither the instance role's credentials "
            "nor the region from IMDS.")  # fmt: skip


def _imds_timeout_s(ctx: Context) -> float:
    """botocore's metadata_service_timeout here: configured, or its 1 s default."""
    s = ctx.setting("metadata_service_timeout")
    try:
        return float(s.value) if s is not None and s.value else BOTOCORE_IMDS_TIMEOUT_S
    except ValueError:
        return BOTOCORE_IMDS_TIMEOUT_S


def _too_slow(f: ProbeFacts) -> bool:
    i = f.context.imds
    return i.slow_ms is not None and i.slow_ms > _imds_timeout_s(f.context) * 1000


def _imds_too_slow(f: ProbeFacts) -> list[Hit]:
    """No credentials where IMDS answers, but slower than botocore waits (botocore#1791)."""
    i = f.context.imds
    if not _too_slow(f):
        return []
    return [hit("SD501", f"No credentials: the instance role's credentials come from IMDS at {i.endpoint}, "
                         f"which answers only after {(i.slow_ms or 0) / 1000:.1f} s, and botocore gives up "
                         f"after {_imds_timeout_s(f.context):g} s (SD502). The SDK says 'Unable to locate "
                         "credentials'. The signed STS calls were not made; DNS, TCP, TLS and the "
                         "unsigned HTTPS check still ran.",
                [Evidence(excerpt=f"credential chain: {f.credentials.detail}"),
                 Evidence(excerpt=excerpt(f"IMDS {i.endpoint}: {i.detail}; answers after {i.slow_ms:.0f} ms"))],
                fix=_slow_imds_fix(i))]  # fmt: skip


def sd502_imds(f: ProbeFacts) -> list[Hit]:
    container = _sd502_container(f)
    if container:
        return container
    i = f.context.imds
    ev = [Evidence(excerpt=excerpt(f"IMDS {i.endpoint}: {i.state.value}: {i.detail}"))]
    if i.slow_ms is not None and i.slow_ms > BOTOCORE_IMDS_TIMEOUT_S * 1000 and not _too_slow(f):
        wait = _imds_timeout_s(f.context)
        return [hit("SD502", f"The instance metadata service at {i.endpoint} answers only after "
                             f"{i.slow_ms / 1000:.1f} s (a token PUT given {SLOW_IMDS_WAIT_S:g} s), within "
                             f"the configured metadata_service_timeout ({wait:g} s): botocore gets its "
                             "answers, but every first call waits for several of them (token, role, "
                             "credentials, region).",
                    [*ev, Evidence(excerpt=f"IMDS token PUT answered after {i.slow_ms:.0f} ms"),
                     _setting_ev(f.context, "metadata_service_timeout")],
                    severity=Severity.WARNING,
                    fix="Find what slows IMDS on this host (a metadata proxy such as kube2iam or kiam, "
                        "a firewall or agent on 169.254.169.254, an overloaded instance).")]  # fmt: skip
    if i.slow_ms is not None and _too_slow(f):
        found = f.credentials.state is CredState.FOUND
        return [hit("SD502", _slow_imds_text(i, _imds_timeout_s(f.context)) + (
                    " The credentials came from another source; the region still cannot come "
                    "from IMDS." if found else ""),
                    [*ev, Evidence(excerpt=f"IMDS token PUT answered after {i.slow_ms:.0f} ms")],
                    severity=Severity.WARNING if found else Severity.ERROR,
                    fix=_slow_imds_fix(i))]  # fmt: skip
    if i.proxy and i.state in (ImdsState.UNREACHABLE, ImdsState.TOKEN_FAILED):
        host = urlsplit(i.endpoint).hostname or "169.254.169.254"
        entries = [e.strip() for e in (f.context.no_proxy or "").split(",") if e.strip()]
        return [hit(
            "SD502",
            f"botocore reaches the instance metadata service at {i.endpoint} through the {i.proxy} "
            f"(HTTP_PROXY: its IMDS client takes the environment's proxies, and NO_PROXY does not cover "
            f"{host}), and through it IMDS did not answer ({i.detail.removeprefix(f'through the {i.proxy}: ')}). "
            "The SDK gets no instance-role "
            "credentials and no region from IMDS.",
            ev,
            severity=Severity.ERROR,
            fix=f"export NO_PROXY={','.join(dict.fromkeys([*entries, host]))}  (botocore then reaches IMDS "
                "directly; never send metadata requests through a shared proxy)",
        )]  # fmt: skip
    if i.state is ImdsState.TOKEN_FAILED:
        return [hit("SD502", f"The IMDSv2 token PUT to {i.endpoint} got no answer while a plain GET did: "
                                 "the PUT response hop limit is 1 and this runs in a container (one hop more).",
                        ev)]  # fmt: skip
    if i.state is ImdsState.UNREACHABLE and (
        f.context.looks_like_ec2 or i.endpoint_source != "default"
    ):
        return [
            hit(
                "SD502",
                f"The instance metadata service at {i.endpoint} did not answer ({i.detail}).",
                ev,
            )
        ]
    return []


def sd503_credentials_source(f: ProbeFacts) -> list[Hit]:
    c = f.credentials
    if c.state is not CredState.FOUND:
        return []
    key = f", key {c.access_key}" if c.access_key else ""
    return [hit("SD503", f"Credentials come from the `{c.method}` provider{key}.",
                    [Evidence(excerpt=f"botocore credential method: {c.method}")])]  # fmt: skip


# --------------------------------------------------------------------------- SD6xx performance


def sd601_slow(f: ProbeFacts) -> list[Hit]:
    lat: list[tuple[float, EndpointResult, AddressResult, LayerResult]] = []
    for ep in _system(f):
        for a in ep.addresses:
            r = _layer(a, Layer.HTTPS)
            if r is not None and r.status is Status.OK and r.ms is not None:
                lat.append((r.ms, ep, a, r))
    if len(lat) < 2:
        return []
    best = min(lat, key=lambda x: x[0])
    out = []
    seen: set[str] = set()
    for ms, ep, a, r in sorted(lat, key=lambda x: -x[0]):
        if ep.target.url in seen or ep.target.url == best[1].target.url:
            continue
        if ms > best[0] * SLOW_FACTOR and ms - best[0] > SLOW_MIN_GAP_MS:
            seen.add(ep.target.url)
            out.append(hit("SD601", f"{ep.target.host} answers in {ms:.0f} ms, {best[1].target.host} in "
                                        f"{best[0]:.0f} ms.", [_ev(ep, a, r), _ev(best[1], best[2], best[3])]))  # fmt: skip
    return out


RULES: tuple[tuple[str, Callable[[ProbeFacts], list[Hit]]], ...] = (
    ("SD101", sd101_region_not_configured),
    ("SD111", sd111_aws_region_ignored),
    ("SD112", sd112_sdk_config_invalid),
    ("SD103", sd103_legacy),
    ("SD102", sd102_global_used),
    ("SD105", sd105_region_differs),
    ("SD106", sd106_unknown_region),
    ("SD107", sd107_override_mismatch),
    ("SD109", sd109_wrong_partition),
    ("SD201", sd201_dns),
    ("SD202", sd202_203_204_total),
    ("SD205", sd205_private_dns_off),
    ("SD206", sd206_partial),
    ("SD207", sd207_resolver),
    ("SD211", sd211_hosts_file),
    ("SD301", sd301_proxy),
    ("SD302", sd302_bypass_missing),
    ("SD303", sd303_tls_failed),
    ("SD304", sd304_intercepted),
    ("SD305", sd305_not_sts),
    ("SD401", sd401_clock_skew),
    ("SD402", sd4xx_sts_answers),
    ("SD409", sd409_server_error),
    ("SD501", sd501_no_credentials),
    ("SD502", sd502_imds),
    ("SD503", sd503_credentials_source),
    ("SD601", sd601_slow),
)


def evaluate(
    facts: ProbeFacts,
    *,
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
    rules: tuple[tuple[str, Callable[[ProbeFacts], list[Hit]]], ...] = RULES,
) -> tuple[Finding, ...]:
    """Run every rule (a crashing one becomes SD002), group, filter, sort."""
    c = Collector(select, ignore)
    for code, rule in rules:
        c.add(run_guarded(f"{code} {rule.__name__}", lambda rule=rule: rule(facts)))  # type: ignore[misc]
    return c.findings()
