"""The probe plan: which STS endpoints to try, from what the context says.

Host names and partitions come from botocore (`stsdiag.endpoints`); the proxy that applies
to each endpoint follows the `HTTPS_PROXY`/`NO_PROXY` rules the SDK's HTTP stack uses."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from stsdiag import endpoints
from stsdiag.context import Context
from stsdiag.errors import UsageError
from stsdiag.models import Target, TargetKind


@dataclass(frozen=True, slots=True)
class PlanOptions:
    regions: tuple[str, ...] = ()
    vpce_names: tuple[str, ...] = ()
    variants: bool = False


def parse_endpoint_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an endpoint URL, or UsageError."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as e:
        raise UsageError(f"malformed endpoint URL {url!r}: {e}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"malformed endpoint URL {url!r}: expected https://HOST[:PORT]")
    host = parts.hostname.lower()
    if any(c.isspace() for c in text) or not _valid_host(host):
        raise UsageError(f"malformed endpoint URL {url!r}: bad host name {host!r}")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return all(
        0 < len(lb) <= 63
        and lb[0] != "-"
        and lb[-1] != "-"
        and all(c.isalnum() or c == "-" for c in lb)
        for lb in labels
    )


def classify(url: str) -> tuple[TargetKind, str | None]:
    """Kind of an STS URL and the region it serves (None for the global endpoint)."""
    host = endpoints.host_of(url)
    is_sts, region = endpoints.region_of_sts_host(host)
    if not is_sts:
        return TargetKind.CUSTOM, endpoints.region_of_host(host)
    if ".vpce." in host:
        return TargetKind.VPCE, region
    if host.startswith("sts-fips."):
        return TargetKind.FIPS, region
    if ".api.aws" in host or ".api.amazonwebservices" in host:
        return TargetKind.DUALSTACK, region
    if region is None:
        return TargetKind.GLOBAL, None
    return TargetKind.REGIONAL, region


_ZONAL = re.compile(r"^vpce-[0-9a-z]+-[0-9a-z]+-(?P<az>[a-z]{2,}(?:-[a-z]+)+-\d+[a-z])\.")


def vpce_zone(host: str) -> str | None:
    """The availability zone of a zonal VPC-endpoint name
    (`vpce-0a1b-4k2m-ap-northeast-1c.sts.ap-northeast-1.vpce.amazonaws.com` → ap-northeast-1c)."""
    m = _ZONAL.match(host.lower())
    return m.group("az") if m else None


def no_proxy_matches(host: str, no_proxy: str | None) -> bool:
    """True when `host` is excluded from the proxy by NO_PROXY as botocore decides:
    `urllib.request.proxy_bypass_environment` (botocore.utils.should_bypass_proxies), which
    matches names and `.suffixes` and `*` only -- no CIDR blocks (requests, curl and Go take
    them) and no `*.` wildcards (Go takes them)."""
    if not no_proxy:
        return False
    import urllib.request

    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]  # not in typeshed
    return bool(bypass(host.strip("[]").rstrip("."), {"no": no_proxy}))


def no_proxy_adding(no_proxy: str | None, host: str) -> str:
    """NO_PROXY with `host` added so botocore bypasses the proxy for it (its entries kept)."""
    entries = [e.strip() for e in (no_proxy or "").split(",") if e.strip()]
    if no_proxy_matches(host, no_proxy):
        return ",".join(entries)
    return ",".join([*entries, host])


def ignored_no_proxy_entries(no_proxy: str | None) -> tuple[str, ...]:
    """NO_PROXY entries other HTTP stacks honour but botocore (urllib) never matches: CIDR blocks
    and `*.` wildcards."""
    out = []
    for raw in (no_proxy or "").split(","):
        entry = raw.strip()
        if entry.startswith("*.") or "/" in entry:
            out.append(entry)
    return tuple(out)


def proxy_for(url: str, ctx: Context) -> str | None:
    scheme, host, _ = parse_endpoint_url(url)
    return scheme_proxy(scheme, host, ctx.https_proxy, ctx.http_proxy, ctx.no_proxy)


def scheme_proxy(
    scheme: str, host: str, https_proxy: str | None, http_proxy: str | None, no_proxy: str | None
) -> str | None:
    """The proxy botocore (urllib3) takes for a URL: its scheme's proxy variable, unless
    NO_PROXY covers the host (`no_proxy_matches`)."""
    proxy = https_proxy if scheme == "https" else http_proxy
    if not proxy or no_proxy_matches(host, no_proxy):
        return None
    return proxy


def _target(url: str, ctx: Context, *, kind: TargetKind | None = None, sdk: bool = False,
            signing_region: str | None = None) -> Target:  # fmt: skip
    _, host, port = parse_endpoint_url(url)
    gkind, region = classify(url)
    kind = kind or gkind
    if signing_region is None:
        if kind is TargetKind.GLOBAL:
            signing_region = "us-east-1"
        else:
            signing_region = region or (
                ctx.region if ctx.region and endpoints.is_known_region(ctx.region) else None
            )
    part_region = region or signing_region
    return Target(
        url=url.rstrip("/"),
        host=host,
        port=port,
        kind=kind,
        region=region,
        partition=endpoints.partition_of(part_region) if part_region else None,
        signing_region=signing_region,
        sdk_would_use=sdk,
        proxy=proxy_for(url, ctx),
    )


def sdk_target(ctx: Context) -> Target | None:
    """The SDK's own endpoint, built without botocore's region tables (fast), so probing can
    start while the rest of the plan is computed. `build` later refreshes its metadata."""
    if not ctx.sdk.url:
        return None
    try:
        _, host, port = parse_endpoint_url(ctx.sdk.url)
    except UsageError:
        return None
    kind, region = classify(ctx.sdk.url)
    return Target(ctx.sdk.url.rstrip("/"), host, port, kind, region, None,
                  ctx.sdk.signing_region or region or "us-east-1", True, proxy_for(ctx.sdk.url, ctx))  # fmt: skip


def caller_regions(ctx: Context, opts: PlanOptions) -> tuple[str, ...]:
    """Known regions worth probing: configured, the instance's, `AWS_REGION` (read by CLI v2
    and other SDKs, not botocore), and `--region`s."""
    out: list[str] = []
    for r in (ctx.region, ctx.imds.region, ctx.aws_region_env, *opts.regions):
        if r and endpoints.is_known_region(r) and r not in out:
            out.append(r)
    return tuple(out)


def build(ctx: Context, opts: PlanOptions) -> tuple[Target, ...]:
    """Every endpoint to probe, SDK's choice first, deduplicated by URL."""
    targets: list[Target] = []

    def add(t: Target) -> None:
        for i, old in enumerate(targets):
            if old.url == t.url:
                targets[i] = replace(old, sdk_would_use=old.sdk_would_use or t.sdk_would_use)
                return
        targets.append(t)

    if ctx.sdk.url:
        try:
            add(_target(ctx.sdk.url, ctx, sdk=True, signing_region=ctx.sdk.signing_region))
        except UsageError:
            if ctx.endpoint_override_source == "--endpoint-url":
                raise
    regions = caller_regions(ctx, opts)
    partitions = {endpoints.partition_of(r) for r in regions}
    if not regions or "aws" in partitions:
        add(_target(endpoints.global_sts_url(), ctx))
    for r in regions:
        add(_target(endpoints.sts_url(r), ctx))
    for name in opts.vpce_names:
        add(_target(name if "://" in name else f"https://{name}", ctx, kind=TargetKind.VPCE))
    if opts.variants or ctx.use_fips or ctx.use_dualstack:
        for r in regions:
            for fips, dual in ((True, False), (False, True)):
                if not opts.variants and not (
                    (fips and ctx.use_fips) or (dual and ctx.use_dualstack)
                ):
                    continue
                try:
                    add(_target(endpoints.sts_url(r, fips=fips, dualstack=dual), ctx))
                except Exception:  # botocore: no such variant in this partition
                    continue
    if ctx.endpoint_override:
        try:
            add(_target(ctx.endpoint_override, ctx))
        except UsageError:
            if ctx.endpoint_override_source == "--endpoint-url":
                raise
            # a malformed override from the environment/config is a finding (SD107), not an abort
    return tuple(targets)


# --------------------------------------------------------------------------- endpoint map


@dataclass(frozen=True, slots=True)
class MapRow:
    partition: str
    region: str | None  # None for the global endpoint
    kind: TargetKind
    url: str
    opt_in: bool = False
    sdk_would_use: bool = False


def endpoint_map(
    partition: str | None = None, region: str | None = None, sdk_url: str | None = None
) -> tuple[MapRow, ...]:
    """The STS endpoint map from botocore's data: global, regional (with opt-in status),
    FIPS and dual-stack, per partition. `sdk_url` marks the SDK's current choice."""
    sdk = (sdk_url or "").rstrip("/")
    rows: list[MapRow] = []
    parts = (partition,) if partition else endpoints.partitions()
    for p in parts:
        regs = [r for r in endpoints.regions(p) if region is None or r == region]
        if p == "aws" and region is None:
            g = endpoints.global_sts_url()
            rows.append(MapRow(p, None, TargetKind.GLOBAL, g, False, g.rstrip("/") == sdk))
        for r in regs:
            for kind, fips, dual in ((TargetKind.REGIONAL, False, False), (TargetKind.FIPS, True, False),
                                     (TargetKind.DUALSTACK, False, True)):  # fmt: skip
                try:
                    url = endpoints.sts_url(r, fips=fips, dualstack=dual)
                except Exception:  # botocore: variant not offered in this partition
                    continue
                rows.append(MapRow(p, r, kind, url, endpoints.is_opt_in(r), url.rstrip("/") == sdk))
    return tuple(rows)
