"""`stsdiag probe`: context → plan → run → rules → recommendation → `Report`."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from stsdiag import endpoints
from stsdiag.context import Context, CredentialInfo, CredState, Gathered, Overrides
from stsdiag.errors import UsageError
from stsdiag.models import (
    AddressClass,
    EndpointResult,
    FailOn,
    Finding,
    Layer,
    LayerResult,
    Recommendation,
    Report,
    Severity,
    Status,
    Target,
    TargetKind,
    Via,
)
from stsdiag.plan import PlanOptions, no_proxy_adding, parse_endpoint_url, vpce_zone
from stsdiag.probes import proxy_label, skipped
from stsdiag.probes.dns import split_nameserver
from stsdiag.recommend import no_recommendation, settings_for
from stsdiag.redact import redact
from stsdiag.rules.probe import (
    bypass_addresses,
    direct_addresses,
    sdk_unaffected_split,
    server_error,
)
from stsdiag.runner import Layers, Progress, RunOptions, StsLayer


@dataclass(frozen=True, slots=True)
class ProbeOptions:
    regions: tuple[str, ...] = ()
    profile: str | None = None
    endpoint_url: str | None = None
    vpce_names: tuple[str, ...] = ()
    variants: bool = False
    nameservers: tuple[str, ...] = ()
    ca_bundle: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    role_session_name: str = "stsdiag"
    timeout: float = 3.0
    total: float | None = None  # default: 3 × timeout
    fail_on: FailOn = FailOn.ERROR
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


def validate(opts: ProbeOptions) -> None:
    """Bad input → UsageError (exit 2) before any probe starts."""
    if not 0 < opts.timeout <= 120:
        raise UsageError(f"--timeout must be between 0 and 120 seconds, not {opts.timeout:g}")
    if opts.total is not None and not 0 < opts.total <= 600:
        raise UsageError(f"--total-timeout must be between 0 and 600 seconds, not {opts.total:g}")
    for r in opts.regions:
        if why := endpoints.region_problem(r):
            raise UsageError(why)
    if opts.endpoint_url is not None:
        parse_endpoint_url(opts.endpoint_url)
    for name in opts.vpce_names:
        parse_endpoint_url(name if "://" in name else f"https://{name}")
    for ns in opts.nameservers:
        try:
            split_nameserver(ns)
        except ValueError:
            raise UsageError(
                f"--nameserver {ns!r} is not an IP address (ADDR, ADDR:PORT or [V6]:PORT)"
            ) from None
    if opts.ca_bundle is not None:
        if not os.path.isfile(opts.ca_bundle) or not os.access(opts.ca_bundle, os.R_OK):
            raise UsageError(f"--ca-bundle {opts.ca_bundle}: not a readable file")
        import ssl

        from stsdiag.probes.tls import sdk_context

        try:
            sdk_context(opts.ca_bundle)
        except (ssl.SSLError, OSError, ValueError) as e:
            raise UsageError(f"--ca-bundle {opts.ca_bundle}: no usable certificate ({e})") from None


# --------------------------------------------------------------------------- STS layer


def sts_layer(g: Gathered, opts: ProbeOptions) -> StsLayer:
    """The signed-call layer, bound to the caller's botocore session and credentials."""
    from stsdiag.probes import sts as sts_probe

    ctx = g.context
    lock = threading.Lock()
    role = (
        sts_probe.RoleRequest(opts.role_arn, opts.role_session_name, opts.external_id)
        if opts.role_arn
        else None
    )
    web = (
        sts_probe.WebIdentity(ctx.web_identity_role_arn, ctx.web_identity_token_file)
        if ctx.web_identity_role_arn and ctx.web_identity_token_file
        else None
    )

    def layer(target: Target, address: str, timeout: float) -> tuple[LayerResult, ...]:
        creds = g.credentials.credentials(timeout)
        frozen: Any = None
        unusable = "credentials unusable"
        if creds is not None:
            try:
                frozen = creds.get_frozen_credentials()
            except Exception as e:  # a refresh that failed: reported, the unsigned layers stand
                unusable = f"credentials unusable ({type(e).__name__}: {redact(str(e))[:160]})"

        def make_client(signed: bool) -> Any:
            import botocore
            import botocore.config

            cfg: dict[str, Any] = {
                "connect_timeout": timeout,
                "read_timeout": timeout,
                "retries": {"total_max_attempts": 1},
            }
            # a direct target gets no proxy even when HTTPS_PROXY would take it (a VPC
            # endpoint probed past a failed proxy: Runner.maybe_bypass); botocore reads the
            # environment only when `proxies` is None
            cfg["proxies"] = {"https": target.proxy, "http": target.proxy} if target.proxy else {}
            kwargs: dict[str, Any] = {}
            if signed:
                kwargs = {"aws_access_key_id": frozen.access_key, "aws_secret_access_key": frozen.secret_key,
                          "aws_session_token": frozen.token}  # fmt: skip
            else:
                cfg["signature_version"] = botocore.UNSIGNED
            with lock:  # botocore sessions are not thread-safe; clients are
                return g.session.create_client(
                    "sts",
                    region_name=target.signing_region or "us-east-1",
                    endpoint_url=target.url,
                    verify=ctx.ca_bundle,
                    config=botocore.config.Config(**cfg),
                    **kwargs,
                )

        out = sts_probe.probe(target, address, make_client=make_client, timeout=timeout,
                              ca_bundle=ctx.ca_bundle, role=role, web_identity=web,
                              signed=frozen is not None)  # fmt: skip
        if frozen is None:
            info = g.credentials.wait(0)
            why = {
                CredState.NONE: "no credentials",
                CredState.ERROR: f"credential provider failed: {info.detail}",
                CredState.PENDING: "the credential chain did not finish in time",
                CredState.FOUND: unusable,
            }[info.state]
            out = (skipped(Layer.STS, f"{why}: signed calls not checked"), *out)
        return out

    return layer


# --------------------------------------------------------------------------- recommendation


def _address_score(layers: tuple[LayerResult, ...]) -> int:
    """2: STS answered (HTTPS proven); 1: reached, but TLS is intercepted (fixable trust);
    0: not usable."""
    https = next((r for r in layers if r.layer is Layer.HTTPS), None)
    if https is not None and https.status is Status.OK:
        return 2
    tls = next((r for r in layers if r.layer is Layer.TLS), None)
    return 1 if tls is not None and tls.get("intercepted") == "true" else 0


def _score(ep: EndpointResult) -> int:
    return max((_address_score(a.layers) for a in direct_addresses(ep)), default=0)


def _health(ep: EndpointResult) -> tuple[int, int]:
    """(usable addresses at the endpoint's best score, probed addresses)."""
    probed = direct_addresses(ep)
    best = _score(ep)
    return sum(1 for a in probed if best and _address_score(a.layers) == best), len(probed)


def _server_failing(ep: EndpointResult) -> bool:
    """Every signed call at `ep` got a 5xx (STS itself failing there)."""
    sts = [r for a in direct_addresses(ep) for r in a.layers
           if r.layer is Layer.STS and r.status is not Status.SKIPPED]  # fmt: skip
    return bool(sts) and all(server_error(r) for r in sts)


def _via(ep: EndpointResult) -> Via:
    if ep.target.proxy:
        return Via.PROXY
    good = [a for a in direct_addresses(ep) if _address_score(a.layers) > 0]
    if good and all(a.classification is AddressClass.VPC_PRIVATE for a in good):
        return Via.VPC_ENDPOINT
    return Via.PUBLIC


def _latency(ep: EndpointResult) -> float:
    ms = [
        r.ms for a in ep.addresses for r in a.layers if r.layer is Layer.HTTPS and r.ms is not None
    ]
    return min(ms) if ms else 1e9


def _kind_rank(ep: EndpointResult, ctx: Context) -> int:
    k = ep.target.kind
    private = _via(ep) is Via.VPC_ENDPOINT
    configured_variant = (k is TargetKind.FIPS and ctx.use_fips) or (
        k is TargetKind.DUALSTACK and ctx.use_dualstack
    )
    if k is TargetKind.REGIONAL or configured_variant:
        return 0 if private else 3
    if k is TargetKind.VPCE:
        return 2 if vpce_zone(ep.target.host) else 1  # a zonal name pins one AZ: last resort
    if k is TargetKind.GLOBAL:
        return 9
    return 4


def verdict(ep: EndpointResult) -> EndpointResult:
    """Fill the endpoint's status (ok / partial / fail) and the path that worked."""
    probed = direct_addresses(ep)
    ok_n = sum(1 for a in probed if _address_score(a.layers) == 2)
    status = "ok" if probed and ok_n == len(probed) else "partial" if ok_n else "fail"
    return replace(ep, status=status, via=_via(ep) if ok_n else None)


# network failures of endpoints that nothing uses: expected in a private subnet (and a
# proxy that refuses the global endpoint when the SDK goes direct to its VPC endpoint)
_PATH_CODES = frozenset({"SD201", "SD202", "SD203", "SD204", "SD301"})


def demote_unused_paths(
    findings: tuple[Finding, ...], results: tuple[EndpointResult, ...], rec: Recommendation | None
) -> tuple[Finding, ...]:
    """An endpoint that fails is an error when the SDK uses it or nothing works. When the SDK's
    endpoint and the recommended one both work, a failing endpoint that neither of them is (the
    global endpoint from a private subnet) is a warning: only tools configured for it hang."""
    if rec is None or not rec.endpoint_url:
        return findings
    rec_url = rec.endpoint_url.rstrip("/")
    used = {ep.target.url.rstrip("/") for ep in results if ep.target.sdk_would_use} | {rec_url}
    works = {
        ep.target.url.rstrip("/") for ep in results if ep.status == "ok" or sdk_unaffected_split(ep)
    }
    if not used <= works:
        return findings
    out = []
    for f in findings:
        eps = {(e.endpoint or "").rstrip("/") for e in f.evidence}
        if f.code in _PATH_CODES and f.severity is Severity.ERROR and eps and not eps & used:
            f = replace(
                f,
                severity=Severity.WARNING,
                message=f"{f.message} Neither the SDK's endpoint nor the recommended one is this, and both work.",
            )
        out.append(f)
    out.sort(key=lambda x: -x.severity.rank)
    return tuple(out)


def recommend(
    ctx: Context,
    results: tuple[EndpointResult, ...],
    findings: tuple[Finding, ...],
    extra_regions: tuple[str, ...],
    credentials: CredentialInfo | None = None,
) -> Recommendation:
    """The caller's regional endpoint through the VPC endpoint when it works; the VPC
    endpoint's own name when private DNS is off; public regional next; the global endpoint
    only when nothing else works. An endpoint whose TLS is intercepted still counts (after
    working ones): the fix is trust or NO_PROXY, not another endpoint."""
    from stsdiag.rules.probe import ProbeFacts, caller_region, host_wide_cause, works_once_fixed
    from stsdiag.rules.probe import region_rejects_credentials as rejects

    facts = ProbeFacts(ctx, credentials or CredentialInfo(CredState.NONE), results)

    region = caller_region(ctx) or next(
        (r for r in extra_regions if endpoints.is_known_region(r)), None
    )
    reasons = [f"{f.code} {f.name}" for f in findings if f.severity is not Severity.INFO]
    system = [ep for ep in results if ep.resolver == "system"]
    # a VPC endpoint that answered past a failed proxy: a choice too, with NO_PROXY
    past = {ep.target.url: ep.target.proxy or "" for ep in system if bypass_addresses(ep)}
    views = [_past_proxy(ep) for ep in system if ep.target.url in past]
    usable = [ep for ep in (*system, *views) if _score(ep) > 0]
    # a setting of this host fails every call (SD303 / SD301): the endpoints proven good past
    # it are what to use once it is fixed
    pending: str | None = None
    once: dict[str, list[str]] = {}
    if not usable:
        tried = ", ".join(ep.target.host for ep in results if ep.resolver == "system")
        cause = host_wide_cause(ctx, system)
        if not cause:
            return no_recommendation(f"No STS endpoint answered ({tried}); see the findings.")
        once = {ep.target.url: [a.address for a in works_once_fixed(ctx, ep)] for ep in system}
        usable = [ep for ep in system if once[ep.target.url]]
        if not usable:  # nothing proven past it: no endpoint is to blame yet
            return no_recommendation(f"No STS endpoint answered ({tried}): every call fails for "
                                     f"{cause}. Fix that first, then probe again.")  # fmt: skip
        pending = cause

    def health(ep: EndpointResult) -> tuple[int, int]:
        if pending:
            return len(once[ep.target.url]), sum(
                1
                for a in ep.addresses
                if a.layers and any(r.status is not Status.SKIPPED for r in a.layers)
            )
        return _health(ep)

    def rank(ep: EndpointResult) -> tuple[int, int, int, int, int, int, int, float]:
        ok_n, n = health(ep)
        is_global = ep.target.kind is TargetKind.GLOBAL
        in_region = 0 if region and ep.target.region == region else 1
        return (
            # STS answers 5xx there, or rejects credentials another endpoint accepted (region
            # not enabled / STS deactivated there): anything healthy first
            int(_server_failing(ep) or rejects(facts, ep) is not None),
            int(is_global),
            in_region,
            -_score(ep),
            _kind_rank(ep, ctx),
            int(ok_n < n),
            int(ep in views),  # equal otherwise: the path that needs no NO_PROXY change
            _latency(ep),
        )

    best = min(usable, key=rank)
    proxy_passed = past.get(best.target.url) if any(best is v for v in views) else None
    t = best.target
    use_region = t.region or region or t.signing_region or "us-east-1"
    via = _via(best)
    ok_n, n = health(best)
    good = [a.address for a in direct_addresses(best) if _address_score(a.layers) == _score(best)]
    if pending:
        good = once[t.url]
        if not t.proxy and all(a.classification is AddressClass.VPC_PRIVATE
                               for a in best.addresses if a.address in good):  # fmt: skip
            via = Via.VPC_ENDPOINT
        proven = ("its certificate verifies with botocore's own CA bundle" if "bundle" in pending
                  else "a plain-HTTP CONNECT reached it and verified its certificate")  # fmt: skip
        why = (f"Every call fails for {pending}: fix that first. Then {t.host} is the endpoint "
               f"to use: {proven}")  # fmt: skip
    elif _score(best) == 2:
        why = f"{t.host} answered as STS"
    else:
        issuer = next(
            (
                r.get("issuer")
                for a in best.addresses
                for r in a.layers
                if r.get("intercepted") == "true"
            ),
            "",
        )
        why = (f"{t.host} is reachable but its TLS is intercepted (issuer {issuer}): trust that CA with "
               "AWS_CA_BUNDLE or bypass the proxy with NO_PROXY, then use it")  # fmt: skip
    no_proxy = None
    if via is Via.VPC_ENDPOINT:
        why += f" through the VPC endpoint (private {', '.join(good)})"
        if proxy_passed:
            no_proxy = no_proxy_adding(ctx.no_proxy, t.host)
            why += (f", probed directly: the SDK sends it to the {proxy_label(proxy_passed)}, "
                    f"which failed (SD301); NO_PROXY={no_proxy} sends it direct, as the "
                    "settings below do (traffic to a VPC endpoint stays in the VPC)")  # fmt: skip
    elif via is Via.PROXY and t.proxy:
        why += f" through the {proxy_label(t.proxy)}"
    else:
        why += f" on public addresses ({', '.join(good)})"
    if ok_n < n:
        why += f"; only {ok_n} of {n} addresses work"
        why += " past it" if pending else ""
    src = (
        "configured"
        if ctx.region == region
        else "from IMDS"
        if ctx.imds.region == region
        else "from AWS_REGION"
        if ctx.aws_region_env == region
        else "from --region"
    )
    why += f". Region {use_region}" + (f" ({src})" if use_region == region else "") + "."
    refused = next((ep for ep in system if ep is not best and region
                    and ep.target.region == region and rejects(facts, ep)), None)  # fmt: skip
    if refused is not None:
        why += (f" STS in {region} rejects these credentials, which work here: "
                + (f"{region} is not enabled for the account" if rejects(facts, refused) == "not-enabled"
                   else f"STS is deactivated in {region} for the account")
                + " (see the findings); fix that to work there.")  # fmt: skip
    elif t.kind is TargetKind.GLOBAL:
        if any(
            ep.target.kind is not TargetKind.GLOBAL for ep in results if ep.resolver == "system"
        ):
            why += " Only the global endpoint works: fix the regional path when you can."
        else:
            why += (" No region is known (not configured, not from IMDS or AWS_REGION), so no "
                    "regional endpoint was probed: set the region you work in (or pass --region) "
                    "and use its regional endpoint.")  # fmt: skip
    # keep the user's FIPS / dual-stack settings when the choice is that variant's URL
    fips, dual = next(
        ((f, d) for f, d in ((ctx.use_fips, ctx.use_dualstack), (ctx.use_fips, False),
                             (False, ctx.use_dualstack)) if _is_variant_url(use_region, t.url, f, d)),
        (False, False),
    )  # fmt: skip
    unset: tuple[str, ...] = ()
    override, src = ctx.endpoint_override, ctx.endpoint_override_source
    if override and override.rstrip("/") != t.url.rstrip("/"):
        # the SDK's override would still win over the settings below
        if src in ("env AWS_ENDPOINT_URL_STS", "env AWS_ENDPOINT_URL"):
            unset = (src.removeprefix("env "),)
            why += f" {unset[0]} ({override}) overrides these settings: the first line unsets it."
        elif src.startswith("config file"):
            why += (f" The endpoint_url {override} in {src.removeprefix('config file ')} overrides "
                    "these settings: remove it, or make it the endpoint of the one service it is "
                    "for (a `[services]` section, SD107).")  # fmt: skip
    return settings_for(use_region, t.url, via, reasons, profile=ctx.profile, note=why, unset=unset,
                        fips=fips, dualstack=dual, dualstack_off=ctx.use_dualstack and not dual,
                        no_proxy=no_proxy)  # fmt: skip


def _past_proxy(ep: EndpointResult) -> EndpointResult:
    """The endpoint as the SDK would see it with NO_PROXY covering it: only the VPC-private
    addresses probed directly past the failed proxy (`bypass_addresses`)."""
    return replace(ep, target=replace(ep.target, proxy=None), addresses=tuple(bypass_addresses(ep)))


def _is_variant_url(region: str, url: str, fips: bool, dualstack: bool) -> bool:
    """The URL is botocore's STS endpoint for `region` with these variants (GovCloud's FIPS
    endpoint is its regional one)."""
    if not (fips or dualstack):
        return False
    try:
        return endpoints.sts_url(region, fips=fips, dualstack=dualstack).rstrip("/") == url.rstrip(
            "/"
        )
    except Exception:  # botocore: no such variant in this partition, or an unknown region
        return False


GLOBAL_HOST = "sts.amazonaws.com"


def _proxy_env() -> bool:
    return any(os.environ.get(k) for k in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"))


def default_layers() -> Layers:
    """The real layer functions (tests replace this to inject a fake resolver): DNS with
    dnspython for the detail, and getaddrinfo for the addresses the SDK would use."""
    from stsdiag.probes.dns import getaddrinfo_lookup

    return Layers(lookup=getaddrinfo_lookup)


def run_probe(
    opts: ProbeOptions, *, on_progress: Progress | None = None, layers: Layers | None = None
) -> Report:
    from stsdiag import context as context_mod
    from stsdiag import plan as plan_mod
    from stsdiag import runner
    from stsdiag.rules.probe import ProbeFacts, evaluate

    validate(opts)
    started = time.monotonic()
    base = layers or default_layers()
    from stsdiag.probes import dns as dns_layer
    from stsdiag.probes import tcp as tcp_layer

    if (
        base.tcp is tcp_layer.probe
        and base.resolve is dns_layer.dnspython_resolve
        and not _proxy_env()
    ):
        # the global endpoint's connect timeout is the floor of the whole probe: start it now,
        # while the configuration, credentials and IMDS are read
        base = replace(base, tcp=tcp_layer.EarlyConnects(GLOBAL_HOST, 443, opts.timeout).probe)
    ov = Overrides(
        region=opts.regions[0] if opts.regions else None,
        profile=opts.profile,
        endpoint_url=opts.endpoint_url,
        ca_bundle=opts.ca_bundle,
        timeout=opts.timeout,
    )
    g = context_mod.gather(ov)
    ctx = g.context
    slow: dict[str, float | None] = {}
    slow_thread: threading.Thread | None = None
    if ctx.imds.state is context_mod.ImdsState.UNREACHABLE and ctx.imds.connected:
        # IMDS accepted TCP but said nothing within the budget: slow, or holding? (with the run)
        slow_thread = threading.Thread(
            target=lambda: slow.__setitem__("ms", context_mod.imds_answer_ms(ctx.imds)),
            daemon=True, name="stsdiag-imds-slow")  # fmt: skip
        slow_thread.start()
        slow_until = time.monotonic() + context_mod.SLOW_IMDS_WAIT_S + 1.2
    total = opts.total if opts.total is not None else 3 * opts.timeout
    ropts = RunOptions(timeout=opts.timeout, total=total, nameservers=opts.nameservers,
                       ca_bundle=ctx.ca_bundle, vpc_cidrs=ctx.imds.vpc_cidrs)  # fmt: skip
    if base.sts is None:
        base = replace(base, sts=sts_layer(g, opts))
    context_ms = (time.monotonic() - started) * 1000
    run_started = time.monotonic()
    run = runner.Runner(ropts, base, on_progress=on_progress)
    first = plan_mod.sdk_target(ctx)
    if first is not None:  # start on the SDK's own endpoint while the rest is planned
        run.add((first,))
    run.add(plan_mod.build(ctx, PlanOptions(regions=opts.regions, vpce_names=opts.vpce_names,
                                            variants=opts.variants)))  # fmt: skip
    results = tuple(verdict(ep) for ep in run.wait())
    probe_ms = (time.monotonic() - run_started) * 1000
    creds: CredentialInfo = g.credentials.wait(0.05)
    if slow_thread is not None:
        slow_thread.join(max(0.0, slow_until - time.monotonic()))
        if slow.get("ms") is not None:
            ctx = replace(ctx, imds=replace(ctx.imds, slow_ms=slow["ms"]))
    if creds.state is CredState.NONE and ctx.imds.role:  # listed, yet no credentials: why
        proxy = context_mod.imds_proxy(ctx.imds.endpoint, os.environ)
        why = context_mod.imds_role_error(ctx.imds, proxy=proxy)
        if why:
            ctx = replace(ctx, imds=replace(ctx.imds, role_error=why))
    facts = ProbeFacts(ctx, creds, results, opts.role_arn)
    findings = evaluate(facts, select=opts.select, ignore=opts.ignore)
    rec = recommend(ctx, results, findings, opts.regions, creds)
    findings = demote_unused_paths(findings, results, rec)
    took = (time.monotonic() - started) * 1000
    return Report(
        command="probe",
        findings=findings,
        recommendation=rec,
        fail_on=opts.fail_on,
        endpoints=results,
        context=ctx.host_context(creds),
        extra=(
            ("duration_ms", f"{took:.0f}"),
            ("context_ms", f"{context_ms:.0f}"),
            ("probe_ms", f"{probe_ms:.0f}"),
        ),
    )
