"""Pure: turn a chosen region/endpoint into the exact settings a user pastes.

`settings_for` is shared by parse-log and probe; each command decides *what* to recommend
from its own evidence (see `recommend_from_log` here and `probe` for the probe side)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from stsdiag import endpoints
from stsdiag.models import Finding, Recommendation, ServiceEndpoint, Severity, Via


def settings_for(
    region: str,
    endpoint_url: str,
    via: Via | None,
    reasons: Iterable[str],
    *,
    profile: str | None = None,
    other_services: Iterable[str] = (),
    note: str = "",
    fips: bool = False,
    dualstack: bool = False,
    dualstack_off: bool = False,
    no_proxy: str | None = None,
    unset: tuple[str, ...] = (),
) -> Recommendation:
    """Build the env exports, `~/.aws/config` snippet and `aws` flags for a choice (FIPS and
    dual-stack endpoints kept when the user's calls used them; `dualstack_off`: the user has
    `use_dualstack_endpoint` on and the choice is the region's IPv4-only name, which botocore
    uses only with it off; `no_proxy`: the NO_PROXY value that sends the endpoint past the
    proxy, exported in both spellings as urllib reads the lower-case one first; `unset`:
    variables that would override the choice, e.g. AWS_ENDPOINT_URL). The global endpoint is reached through botocore's legacy mode
    where that sends the region there (it then signs for us-east-1, as the endpoint needs)."""
    known = endpoints.is_known_region(region)
    canonical = endpoints.sts_url(region, fips=fips, dualstack=dualstack) if known else None
    custom = canonical is None or endpoint_url.rstrip("/") != canonical.rstrip("/")
    # the global endpoint takes only requests signed for us-east-1: botocore signs so when
    # its legacy mode sends the region there, but signs an endpoint_url override for the
    # client's region (which the global endpoint refuses)
    mode, cli_region = "regional", region
    if known and custom and not (fips or dualstack) and _is_global(endpoint_url):
        if endpoints.legacy_goes_global(region):
            mode, custom = "legacy", False
        else:
            cli_region = "us-east-1"
            note += (
                f" The global endpoint takes only requests signed for us-east-1, and botocore "
                f"signs for {region} there: create STS clients with region us-east-1 (as the "
                "CLI line does) or fix the regional path."
            )
    exports = [
        *(f"unset {name}" for name in unset),
        f"export AWS_DEFAULT_REGION={region}",
        f"export AWS_REGION={region}",
        f"export AWS_STS_REGIONAL_ENDPOINTS={mode}",
    ]
    if no_proxy:
        exports += [f"export NO_PROXY={no_proxy}", f"export no_proxy={no_proxy}"]
    section = f"[profile {profile}]" if profile and profile != "default" else "[default]"
    snippet = [section, f"region = {region}", f"sts_regional_endpoints = {mode}"]
    if fips:
        exports.append("export AWS_USE_FIPS_ENDPOINT=true")
        snippet.append("use_fips_endpoint = true")
    if dualstack:
        exports.append("export AWS_USE_DUALSTACK_ENDPOINT=true")
        snippet.append("use_dualstack_endpoint = true")
    if dualstack_off and not dualstack and not custom:
        exports.append("export AWS_USE_DUALSTACK_ENDPOINT=false")
        snippet.append("use_dualstack_endpoint = false")
    if custom:
        exports.append(f"export AWS_ENDPOINT_URL_STS={endpoint_url}")
        snippet += ["services = stsdiag-sts", "", "[services stsdiag-sts]", "sts =",
                    f"  endpoint_url = {endpoint_url}"]  # fmt: skip
    cli = (
        f"AWS_STS_REGIONAL_ENDPOINTS=legacy aws sts get-caller-identity --region {region}"
        if mode == "legacy"
        else f"aws sts get-caller-identity --region {cli_region} --endpoint-url {endpoint_url}"
    )
    if no_proxy:
        cli = f"NO_PROXY={no_proxy} no_proxy={no_proxy} {cli}"
    # the other services' endpoints as botocore computes them (CloudWatch Logs, named
    # cloudwatch-logs in the log, is logs.<region>); services botocore does not know (a
    # host label taken for a name) are left out rather than guessed
    others: tuple[ServiceEndpoint, ...] = ()
    if endpoints.is_known_region(region):
        found = (
            (svc, endpoints.service_endpoint(svc, region))
            for svc in sorted(set(other_services) - {"sts"})
            if endpoints.client_name(svc) != "sts"
        )
        others = tuple(ServiceEndpoint(svc, region, url) for svc, url in found if url)
    return Recommendation(
        region=region,
        endpoint_url=endpoint_url,
        via=via,
        reasons=tuple(dict.fromkeys(reasons)),
        settings=tuple(exports),
        config_snippet="\n".join(snippet) + "\n",
        cli=cli,
        other_endpoints=others,
        note=note,
    )


def _is_global(url: str) -> bool:
    return url.rstrip("/") == endpoints.global_sts_url().rstrip("/")


def no_recommendation(why: str) -> Recommendation:
    return Recommendation(region=None, endpoint_url=None, via=None, reasons=(), note=why)


def recommend_from_log(
    findings: Iterable[Finding],
    region_votes: Counter[str],
    *,
    region_hint: str | None,
    services: Iterable[str],
    vpce_url: str | None,
    via_proxy: bool,
    not_sts: Iterable[str] = (),
    fips: bool = False,
    sso_regions: Iterable[str] = (),
) -> Recommendation:
    """Choose the region from evidence: a hint wins, then resource regions, hosts and signing
    scopes (votes weighted by the log reader), then the client region. IAM Identity Center's
    regions (`sso_regions`, no votes) are only named when nothing else says. The reasons are the
    findings above info, except `not_sts`: codes that only concern other services' requests
    (an EMR call that got no answer does not call for an STS endpoint)."""
    skip = set(not_sts)
    reasons = [
        f"{f.code} {f.name}"
        for f in findings
        if f.severity is not Severity.INFO and f.code not in skip
    ]
    region: str | None = None
    why = ""
    if region_hint:
        region, why = region_hint, "from --region-hint"
    elif region_votes:
        region = region_votes.most_common(1)[0][0]
        why = "from the evidence in the log"
    if region is None or not endpoints.is_known_region(region):
        sso = ", ".join(sso_regions)
        return no_recommendation(
            "The log names no region (no resource ARN or regional host, and no signing scope but "
            "botocore's default us-east-1)"
            + (
                f"; the IAM Identity Center (SSO) calls went to {sso}, the SSO instance's "
                "region, which says nothing about where the workload's STS calls go"
                if sso
                else ""
            )
            + "; pass --region-hint REGION."
            if region is None
            else f"Region {region!r} is not known to botocore."
        )
    url = (
        vpce_url
        if vpce_url and endpoints.region_of_sts_host(endpoints.host_of(vpce_url))[1] == region
        else None
    )
    via = Via.PROXY if via_proxy else (Via.VPC_ENDPOINT if url else Via.PUBLIC)
    return settings_for(
        region,
        url or endpoints.sts_url(region, fips=fips),
        via,
        reasons,
        other_services=services,
        note=f"Region {region} {why}.",
        fips=fips,
    )
