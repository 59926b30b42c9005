"""Log rules: pure functions over one reconstructed request (`RequestRule`) or over the
whole log's summary (`LogRule`). Each returns hits; the engine groups them into findings."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from stsdiag import endpoints
from stsdiag.logparse.requests import (
    BAD_PROXY_URL,
    CLOCK_MESSAGE,
    client_error,
    clock_message,
    response_excerpt,
)
from stsdiag.models import ErrorKind, Evidence, Hit, LineRef, LogFacts, LogRequest, Severity
from stsdiag.rules.registry import strict_tls_fix

GLOBAL_HOSTS = frozenset({"sts.amazonaws.com"})
# IAM Identity Center's services (sign-in and its access portal), as botocore names them
SSO_SERVICES = frozenset({"sso", "sso-oidc"})
STS_OPERATIONS = frozenset(
    {
        "GetCallerIdentity", "AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML",
        "GetSessionToken", "GetFederationToken", "DecodeAuthorizationMessage", "GetAccessKeyInfo",
        "AssumeRoot", "GetWebIdentityToken", "GetDelegatedAccessToken",
    }
)  # fmt: skip
_EXPIRED = re.compile(
    r"Signature expired: (\d{8}T\d{6}Z) is now earlier than (\d{8}T\d{6}Z) \((\d{8}T\d{6}Z) - (\d+) min"
)
_LATER = re.compile(
    r"Signature not yet current: (\d{8}T\d{6}Z) is still later than (\d{8}T\d{6}Z) \((\d{8}T\d{6}Z) \+ (\d+) min"
)


@dataclass(slots=True)
class Summary:
    """Aggregates over every request (bounded: counters and small sets)."""

    requests: int = 0
    region_votes: Counter[str] = field(default_factory=Counter)
    services: set[str] = field(default_factory=set)
    vpce_urls: dict[str, None] = field(default_factory=dict)
    proxy_used: bool = False
    fips_used: bool = False  # an STS call went to a FIPS endpoint (or asked for one)
    provider_hosts: dict[str, LineRef] = field(default_factory=dict)
    client_sts_hosts: dict[str, LineRef] = field(default_factory=dict)
    ok_latency: dict[str, list[float]] = field(default_factory=dict)
    no_region_requests: int = 0
    # regions of IAM Identity Center (SSO sign-in, its portal): the SSO instance's home
    # region, no evidence of where the workload's calls (and STS) go
    sso_regions: dict[str, None] = field(default_factory=dict)
    # requests whose last attempt got no answer in the log: (what, host, the attempt's line,
    # the request is an STS call)
    unanswered: list[tuple[str, str, LineRef, bool]] = field(default_factory=list)
    # a request was refused for the clock (SD401 from its error says so)
    clock_refused: bool = False

    def not_sts(self) -> frozenset[str]:
        """Codes of log rules whose findings here concern only requests to other services
        than STS (they are no reason to recommend an STS endpoint)."""
        if self.unanswered and not any(u[3] for u in self.unanswered):
            return frozenset({"SD210"})
        return frozenset()


# the region in a config-region event: quoted, or a global service's client's region
_QUOTED_REGION = re.compile(
    r"'([a-z]{2}(?:-[a-z]+)+-\d+)'|endpoint for [\w-]+, ([a-z]{2}(?:-[a-z]+)+-\d+): aws-global"
)


def region_votes(s: Summary, events: Iterable[LineRef]) -> Counter[str]:
    """The requests' region votes; when they say nothing (a paste without requests), the
    region the session was given (`--region`, `Session(region_name=...)`). With requests,
    their client region already says it, weighed against hosts and resources."""
    votes = Counter(s.region_votes)
    if votes:
        return votes
    for r in given_regions(events):
        votes[r] += 3
    return votes


def given_regions(events: Iterable[LineRef]) -> list[str]:
    """The regions the session was given (`--region`, `Session(region_name=...)`); in a
    paste without the CLI's own arguments (no `--debug`), the `--region` of the command line
    the user pasted above the output."""
    given: list[str] = []
    shell: list[str] = []
    cli_args = False
    for e in events:
        cli_args = cli_args or e.tag == "cli-args"
        if e.tag in ("config-region", "shell-region") and (m := _QUOTED_REGION.search(e.excerpt)):
            (given if e.tag == "config-region" else shell).append(m.group(1) or m.group(2))
    return given or ([] if cli_args else shell)


def remap_summary(s: Summary, line_of: Callable[[int], int]) -> None:
    """Every line the summary keeps as `line_of` maps it (a wrapper's lines to the
    file's)."""
    for refs in (s.provider_hosts, s.client_sts_hosts):
        for host, ref in refs.items():
            refs[host] = LineRef(line_of(ref.line), ref.tag, ref.excerpt)
    s.unanswered = [
        (what, host, LineRef(line_of(ref.line), ref.tag, ref.excerpt), sts)
        for what, host, ref, sts in s.unanswered
    ]


def merge_summary(s: Summary, later: Summary, lines: int) -> None:
    """Fold in the summary of the next part of a split log (its lines start after
    `lines`), as `observe` would have built it in one go."""
    s.requests += later.requests
    s.region_votes.update(later.region_votes)
    s.services |= later.services
    for u in later.vpce_urls:
        s.vpce_urls.setdefault(u)
    s.proxy_used = s.proxy_used or later.proxy_used
    s.fips_used = s.fips_used or later.fips_used
    for mine, theirs in (
        (s.provider_hosts, later.provider_hosts),
        (s.client_sts_hosts, later.client_sts_hosts),
    ):
        for host, ref in theirs.items():
            if len(mine) < 16 and host not in mine:
                mine[host] = LineRef(ref.line + lines, ref.tag, ref.excerpt)
    for host, lat in later.ok_latency.items():
        dst = s.ok_latency.setdefault(host, [])
        dst.extend(lat[: max(0, 1000 - len(dst))])
    s.no_region_requests += later.no_region_requests
    s.clock_refused = s.clock_refused or later.clock_refused
    for reg in later.sso_regions:
        if len(s.sso_regions) < 4:
            s.sso_regions.setdefault(reg)
    for what, host, ref, sts in later.unanswered[: max(0, 5 - len(s.unanswered))]:
        s.unanswered.append((what, host, LineRef(ref.line + lines, ref.tag, ref.excerpt), sts))


def ev(ref: LineRef | None, req: LogRequest | None = None) -> Evidence:
    if ref is not None:
        return Evidence(excerpt=ref.excerpt, line=ref.line)
    if req is not None:
        # none of the lines asked for (a paste of only the error): the request's first line
        # that is in the log, else what is known of it
        if req.refs:
            first = min(req.refs, key=lambda x: x.line)
            return Evidence(excerpt=first.excerpt, line=first.line)
        what = f"{req.service or '?'}.{req.operation or '?'} request"
        return Evidence(excerpt=what + (f" to {req.host}" if req.host else ""), line=req.first_line)
    return Evidence(excerpt="")


def is_sts(r: LogRequest) -> bool:
    return (
        r.service == "sts"
        or r.signing_service == "sts"
        or (r.operation in STS_OPERATIONS and r.service in (None, "sts"))
        or (r.host is not None and endpoints.region_of_sts_host(r.host)[0])
    )


def hosts(r: LogRequest) -> list[str]:
    hs = [a.host for a in r.attempts if a.host]
    if r.host:
        hs.append(r.host)
    return list(dict.fromkeys(hs))


def is_global(r: LogRequest) -> bool:
    return any(h in GLOBAL_HOSTS for h in hosts(r)) or (
        r.endpoint_result is not None and endpoints.host_of(r.endpoint_result) in GLOBAL_HOSTS
    )


def failed_kinds(r: LogRequest) -> list[ErrorKind]:
    return [a.error for a in r.attempts if a.error is not None]


def main_ref(r: LogRequest) -> LineRef | None:
    return r.ref("making-request", "sending", "exception")


def where_region(r: LogRequest) -> str | None:
    """The region the client was configured for, as the log shows it."""
    for reg in (r.client_region, r.param_region):
        if reg and reg != "aws-global":
            return reg
    return None


# ------------------------------------------------------------------ request rules


# S3's answer to a SigV2 signature where only SigV4 is accepted: old SDKs and CLIs sign S3
# with SigV2 when no region is set
_SIGV4_ONLY = re.compile(r"Please use AWS4-HMAC-SHA256|requires Signature Version 4")


def sd101(r: LogRequest) -> Iterable[Hit]:
    # aws-global is also the normal region of global services (IAM, CloudFront, Route 53)
    if is_sts(r) and "aws-global" in (r.client_region, r.param_region):
        yield Hit(
            "SD101",
            "No region configured: the client region is aws-global, so STS goes to the global endpoint.",
            (ev(r.ref("endpoint-params") or main_ref(r), r),),
        )
    elif (
        r.error_code == "InvalidRequest"
        and not r.client_region
        and _SIGV4_ONLY.search(r.error_message or "")
    ):
        where = r.resource_regions[0] if r.resource_regions else None
        yield Hit(
            "SD101",
            "No region configured: without one this SDK signed the S3 request with Signature "
            "Version 2, and the bucket's region"
            + (f" ({where})" if where else "")
            + " accepts only Signature Version 4 (InvalidRequest).",
            (ev(r.ref("client-error", "error-body") or main_ref(r), r),),
            fix=f"Set the bucket's region: `--region {where}` or `export AWS_DEFAULT_REGION={where}`."
            if where
            else "Set the bucket's region (`aws s3api get-bucket-location --bucket BUCKET`).",
        )


def sd102(r: LogRequest) -> Iterable[Hit]:
    if not is_sts(r) or not is_global(r):
        return
    failed = [k for k in failed_kinds(r) if k is not ErrorKind.OTHER]
    sev = Severity.ERROR if failed else Severity.WARNING
    what = f" and failed ({failed[-1].value})" if failed else ""
    yield Hit(
        "SD102",
        f"{r.operation or 'STS'} went to the global endpoint sts.amazonaws.com{what}.",
        (ev(r.ref("endpoint-result", "sending", "making-request"), r),),
        severity=sev,
    )


def sd103(r: LogRequest) -> Iterable[Hit]:
    if not is_sts(r):
        return
    reg = where_region(r)
    # legacy matters only when a region is set and the request really went to the global
    # endpoint (with no region, aws-global goes there in both modes, and SD101 says so)
    legacy = (
        reg is not None
        and is_global(r)
        and r.endpoint_override is None
        and (r.use_global_endpoint is True or reg in _legacy_regions())
    )
    if legacy:
        yield Hit(
            "SD103",
            f"sts_regional_endpoints=legacy is in effect: region {reg or 'aws-global'} was sent to "
            "the global endpoint, signed for us-east-1.",
            (ev(r.ref("endpoint-params", "making-request"), r),),
        )


def _legacy_regions() -> frozenset[str]:
    try:
        from botocore.args import LEGACY_GLOBAL_STS_REGIONS

        return frozenset(LEGACY_GLOBAL_STS_REGIONS)
    except ImportError:  # pragma: no cover - very old botocore
        return frozenset()


def sd104(r: LogRequest) -> Iterable[Hit]:
    client = r.client_region or r.param_region
    if client is None:
        return
    for res in r.resource_regions:
        if res != client and endpoints.is_known_region(res):
            # botocore redirects S3 to a bucket's region by itself: when the request then
            # succeeded, the mismatch only cost a round trip. A resource ARN (the seed's access
            # point) names the region the client should have had: that stays an error
            done = (
                r.http_status is not None and r.http_status < 300 and r.ref("resource-arn") is None
            )
            yield Hit(
                "SD104",
                f"Client region {client} but the resource in {r.operation or 'the request'} is in {res}."
                + (
                    " botocore was redirected to the bucket's region and the request succeeded."
                    if done
                    else ""
                ),
                (ev(r.ref("resource-arn", "bucket-region", "making-request"), r),),
                fix=f"Pass the resource's region: `--region {res}` or `export AWS_DEFAULT_REGION={res} AWS_REGION={res}`.",
                severity=Severity.INFO if done else None,
            )
            return


def _custom_host(r: LogRequest) -> str | None:
    """The host of a custom, non-AWS endpoint the request went to (an S3-compatible store,
    LocalStack), or None when it went to an AWS host or no custom endpoint is in play."""
    if r.host:
        return None if endpoints.is_aws_host(r.host) else r.host
    if r.endpoint_override:
        host = endpoints.host_of(r.endpoint_override)
        return host if host and not endpoints.is_aws_host(host) else None
    return None


# a region value that is a credential (a session token, a secret key) pasted in its place
_CREDENTIAL_LIKE = re.compile(r"[A-Za-z0-9/+=]{20,}")


def _sts_host_region(r: LogRequest) -> str | None:
    """The region an STS host names when it is no region botocore knows (an AZ given as the
    region builds `sts.us-east-1a.amazonaws.com`; a typo, `sts.eu-center-1`; a credential
    pasted as the region), for a request whose log names no client, parameter or signing
    region (the CLI's one-line TLS or connection error): botocore built the host from it."""
    if r.client_region or r.param_region or r.signing_region:
        return None
    for h in hosts(r):
        ok, reg = endpoints.region_of_sts_host(h)
        if ok and reg and ".vpce." not in h and not endpoints.is_known_region(reg):
            return reg
        if not ok and r.endpoint_override is None and (word := endpoints.sts_host_label(h)):
            return word  # a word given as the region (`default`: a profile's name)
    return None


def sd106(r: LogRequest) -> Iterable[Hit]:
    for reg in (r.client_region, r.param_region, r.signing_region, _sts_host_region(r)):
        if not reg or reg == "aws-global" or endpoints.is_known_region(reg):
            continue
        if _CREDENTIAL_LIKE.fullmatch(reg) and not endpoints.closest_region(reg):
            yield Hit(
                "SD106",
                "The region is not a region name: it has a credential's form (a session "
                "token or a secret access key), so the region setting holds a value meant "
                "for another one, and botocore built the host name from it.",
                (ev(r.ref("endpoint-params", "making-request", "sending", "exception"), r),),
                fix="Set the region (`aws configure set region REGION`, `AWS_DEFAULT_REGION`, "
                "`--region`) and put the credential where it belongs; the credential has "
                "been shown: rotate it.",
            )
            return
        e = (ev(r.ref("endpoint-params", "making-request", "sending"), r),)
        custom = _custom_host(r)
        if custom is not None:
            # an S3-compatible store or emulator names its regions as it likes
            yield Hit(
                "SD106",
                f"Region {reg!r} is not an AWS region; the request went to the custom "
                f"endpoint {custom}, where it may be a valid region name.",
                e,
                severity=Severity.INFO,
                fix="Nothing to fix if the endpoint's provider documents this region name; "
                "for an AWS endpoint use an AWS region.",
            )
            return
        near = endpoints.closest_region(reg)
        hint = f" Did you mean {near}?" if near else ""
        if reg == "default":  # the profile's name in the region setting
            hint = " 'default' is the name of a profile, not a region: the region setting holds it."
        yield Hit(
            "SD106",
            f"Region {reg!r} is not known to botocore.{hint}",
            e,
            fix=f"Use `--region {near}`." if near else _NO_NEAR_FIX,
        )
        return


_NO_NEAR_FIX = (
    "Use a valid region name (none known is close to this one; `stsdiag endpoints` lists the "
    "regions botocore knows), or upgrade botocore if the region is newer than it."
)


def _sts_hosts_for(region: str) -> set[str]:
    hosts = {
        endpoints.host_of(endpoints.sts_url(region)),
        endpoints.host_of(endpoints.sts_url(region, fips=True)),
        endpoints.host_of(endpoints.sts_url(region, dualstack=True)),
    }
    if region == "us-east-1":
        hosts.add("sts.amazonaws.com")
    return hosts


@functools.lru_cache(maxsize=256)
def _near_global(host: str) -> bool:
    """A host that looks like a typo of the global endpoint (`sts.amazonaws.co`)."""
    import difflib

    return difflib.SequenceMatcher(None, host, "sts.amazonaws.com").ratio() >= 0.8


def sd107(r: LogRequest) -> Iterable[Hit]:
    if not is_sts(r) or not r.host:
        return
    ok, hreg = endpoints.region_of_sts_host(r.host)
    if not (ok or endpoints.is_aws_host(r.host) or _near_global(r.host)):
        return  # a custom test endpoint (localhost, LocalStack): not ours to judge
    if not ok and _sts_host_region(r) is not None:
        return  # botocore built the host from a word given as the region: SD106
    sreg = r.signing_region or where_region(r)
    known = sreg is not None and endpoints.is_known_region(sreg)
    good = endpoints.sts_url(sreg) if sreg and known else "https://sts.<region>.amazonaws.com"
    e = (ev(r.ref("endpoint-params", "signing-scope", "making-request"), r),)
    if ok:
        if r.endpoint_override is None or not sreg or not known:
            return  # the SDK computed it; SD108/SD109 judge region and partition
        if r.host in _sts_hosts_for(sreg) or (".vpce." in r.host and hreg == sreg):
            return
        yield Hit(
            "SD107",
            f"The endpoint override {r.endpoint_override} is not an STS endpoint for the signing "
            f"region {sreg} (botocore: {good}).",
            e,
            fix=f"Use `--endpoint-url {good}`" + (f" or `--region {hreg}`." if hreg else "."),
        )
        return
    yield Hit(
        "SD107",
        f"STS request sent to {r.host}, which is not an STS endpoint.",
        e,
        fix=f"Use `--endpoint-url {good}` (or drop the override).",
    )


def sd108(r: LogRequest) -> Iterable[Hit]:
    if (
        r.error_code == "SignatureDoesNotMatch"
        and r.error_message
        and "scoped to a valid region" in r.error_message
    ):
        yield Hit(
            "SD108",
            f"STS rejected the signing scope region {r.signing_region or '?'}: {r.error_message}",
            (ev(r.ref("error-body", "client-error"), r),),
        )
        return
    if not is_sts(r) or not r.host or not r.signing_region:
        return
    ok, reg = endpoints.region_of_sts_host(r.host)
    expected = reg or ("us-east-1" if r.host in GLOBAL_HOSTS else None)
    if ok and expected and r.signing_region != expected:
        yield Hit(
            "SD108",
            f"Request to {r.host} is signed for {r.signing_region}, not {expected}.",
            (ev(r.ref("signing-scope", "sending"), r),),
        )


def sd109(r: LogRequest) -> Iterable[Hit]:
    # (a request known only from its error line names no region but its host's own: a
    # China region's host in the commercial domain, `sts.cn-north-1.amazonaws.com`)
    reg = (
        r.signing_region
        or where_region(r)
        or (endpoints.region_of_host(r.host) if r.host else None)
    )
    if not reg or not r.host or not endpoints.is_known_region(reg):
        return
    part = endpoints.partition_of(reg)
    cn_host = r.host.endswith(".amazonaws.com.cn")
    aws_host = r.host.endswith(".amazonaws.com")
    if (part == "aws-cn" and aws_host) or (part != "aws-cn" and cn_host):
        yield Hit(
            "SD109",
            f"Region {reg} ({part}) used with host {r.host} of another partition.",
            (ev(r.ref("sending", "making-request"), r),),
        )


_NETWORK = {
    ErrorKind.DNS: "SD201",
    ErrorKind.CONNECT_TIMEOUT: "SD202",
    ErrorKind.CONNECTION_REFUSED: "SD203",
    ErrorKind.READ_TIMEOUT: "SD204",
    ErrorKind.CONNECTION_ERROR: "SD209",
    ErrorKind.PROXY: "SD301",
    ErrorKind.SSL: "SD303",
}
# a FIPS endpoint's host name (`sts-fips.us-east-1.amazonaws.com`,
# `api-fips.sagemaker.us-gov-east-1.amazonaws.com`, `ec2-instance-connect-fips.…`)
_FIPS_HOST = re.compile(r"[\w-]+-fips\.(?:[\w-]+\.)*amazonaws\.com(?:\.cn)?$")
_CLOSED = re.compile(
    r"ConnectionClosedError|Connection was closed before|RemoteDisconnected|"
    r"Remote end closed connection|ServerDisconnectedError|Connection aborted"
)
_NET_TEXT = {
    "SD201": "could not be resolved (DNS)",
    "SD202": "timed out connecting",
    "SD203": "refused or reset the connection",
    "SD204": "accepted the connection but did not answer in time",
    "SD209": "could not be connected to (the log does not show why: DNS, refusal or routing)",
    "SD301": "could not be reached through the proxy",
    "SD303": "failed TLS certificate verification",
}


def _runs_long(r: LogRequest) -> str | None:
    """The kind of call a request is when its answer waits for work on the service's side
    (Bedrock's runtime, Lambda's synchronous Invoke, Step Functions' StartSyncExecution):
    the words SD204 names it by, or None."""
    host = (r.host or "").lower()
    if host.startswith(("bedrock-runtime.", "bedrock-agent-runtime.")):
        return f"Bedrock's {r.operation or 'runtime call'}"
    if host.startswith("bedrock-agentcore.") and (
        r.operation == "InvokeAgentRuntime" or "/runtimes/" in (r.url or "")
    ):
        return "AgentCore Runtime's InvokeAgentRuntime"
    if host.startswith("sync-states.") or r.operation == "StartSyncExecution":
        return "StartSyncExecution"
    if host.startswith("lambda.") and (r.operation == "Invoke" or "/invocations" in (r.url or "")):
        return "Lambda's synchronous Invoke"
    return None


def network(r: LogRequest) -> Iterable[Hit]:
    seen: set[str] = set()
    for a in r.attempts:
        if a.error is None or a.error not in _NETWORK:
            continue
        code = _NETWORK[a.error]
        # botocore's ConnectionClosedError (urllib3's ProtocolError: the peer closed or
        # aborted the connection it had accepted): no failure to connect, a reset
        closed = a.error is ErrorKind.CONNECTION_ERROR and bool(_CLOSED.search(a.error_text or ""))
        if closed:
            code = "SD203"
        if code in seen:
            continue
        seen.add(code)
        host = a.host or r.host or "the endpoint"
        n = sum(1 for x in r.attempts if x.error is a.error)
        cause = ""
        if code == "SD202" and host in GLOBAL_HOSTS:
            cause = " The global endpoint is not reachable from a private subnet without NAT; use the regional endpoint (through the VPC endpoint)."
        elif code == "SD202":
            cause = " Check security groups / NACLs on the path (a VPC endpoint's security group must allow 443)."
        elif code == "SD204" and (slow := _runs_long(r)):
            cause = (
                f" {slow} answers only when the work it starts is done, so a read timeout here "
                "usually means that work took longer than the "
                "client's `read_timeout` (botocore's default is 60 s), not a broken path."
            )
        tries = f" ({n} attempts)" if n > 1 else ""
        fix = strict_tls_fix(a.error_text or "") if code == "SD303" else None
        if code in ("SD201", "SD209") and _FIPS_HOST.match(host):
            # botocore builds `<service>-fips.<region>` whenever FIPS is asked for, whether
            # the service has such an endpoint there or not
            cause = (
                f" {host} is a FIPS name, built because FIPS endpoints are turned on "
                "(`use_fips_endpoint`, `AWS_USE_FIPS_ENDPOINT`): not every service has one in "
                "every region (in GovCloud many services' standard names are already "
                "FIPS-validated), and then the name does not exist."
            )
            fix = (
                "Check that the service has a FIPS endpoint in that region "
                "(https://aws.amazon.com/compliance/fips/); if not, turn FIPS off for it "
                "(unset `AWS_USE_FIPS_ENDPOINT`, `use_fips_endpoint = false`) or pass its "
                "endpoint URL."
            )
        if code == "SD204" and _runs_long(r):
            fix = (
                "Raise the client's `read_timeout` above the call's run time "
                "(`Config(read_timeout=…)`, `--cli-read-timeout`; Lambda: above the function's "
                "timeout; Bedrock: above the longest generation, which may take minutes; "
                "AgentCore Runtime: a synchronous invocation may run up to 15 minutes, longer "
                "work belongs in an asynchronous task), or "
                "use the streaming or "
                "asynchronous variant (ConverseStream, InvokeModelWithResponseStream, Invoke "
                "with InvocationType=Event); lower `max_attempts` so a slow call is not sent again."
            )
        what = _NET_TEXT[code]
        if closed:
            what = (
                "accepted the connection, then closed it before any answer (ConnectionClosedError: "
                "a proxy, firewall or TLS-inspecting device on the path cut it, or the server "
                "dropped a connection it had kept idle)"
            )
            fix = (
                f"Check the proxies, firewalls and TLS inspection between this host and {host} "
                "(allow the host, or add it to NO_PROXY); when it happens now and then, "
                "botocore retries it: raise `max_attempts`."
            )
        if code == "SD303" and "Too many open files" in (a.error_text or ""):
            # urllib3 names any failure to set up TLS an SSLError: out of file descriptors,
            # the CA bundle could not even be opened, and no certificate was checked
            what = (
                "could not be set up for TLS: the process had run out of file descriptors "
                "([Errno 24] Too many open files), so the CA bundle could not be opened; no "
                "certificate was at fault"
            )
            fix = (
                "Raise the process's open-files limit (`ulimit -n`, systemd `LimitNOFILE`, "
                "the container's `nofile` ulimit) and reuse clients and their connections "
                "(one client per thread, not one per call); leave the CA bundle as it is."
            )
        if (
            code in ("SD203", "SD209")
            and not closed
            and endpoints.is_loopback_host(host)
            and not (a.proxy or r.proxy)
        ):
            # an endpoint override to this machine (LocalStack, an emulator, a tunnel): no
            # network path to AWS is in question, the local service is not running
            where = r.url or host
            what = (
                f"could not be connected to: {where} is this machine's own address, and nothing "
                "answered there (a local endpoint: an emulator such as LocalStack, a tunnel or "
                "a local proxy that is not running)"
            )
            fix = (
                f"Start the local service that should listen at {where}, or remove the endpoint "
                "override (`--endpoint-url`, `endpoint_url` in the profile, `AWS_ENDPOINT_URL`) "
                "to call AWS itself; probing AWS's endpoints tells nothing here."
            )
        proxy = a.proxy or r.proxy
        if code == "SD301" and proxy and "Failed to connect to proxy URL" in (a.error_text or ""):
            # botocore's ProxyConnectionError: no connection to the proxy itself
            host = "The endpoint" if host == "the endpoint" else host
            what = f"could not be reached through the proxy {proxy}: no connection to the proxy"
            local = re.match(r"https?://(?:[^@/]*@)?(?:127\.|localhost[:/]|\[::1\])", proxy)
            if proxy.startswith("https://"):
                fix = (
                    f"The proxy URL {proxy} asks for TLS to the proxy; most proxies speak plain "
                    "HTTP: use `http://` in `HTTPS_PROXY`. Else check that the proxy runs."
                )
            else:
                fix = (
                    f"Check that a proxy runs at {proxy}"
                    + (" (a local proxy that stopped, or moved to another port)" if local else "")
                    + " and accepts the connection: start it or point `HTTPS_PROXY`/`HTTP_PROXY` "
                    "at the one that runs, or unset them (or add the AWS hosts to `NO_PROXY`) "
                    "where AWS is reachable directly."
                )
        if code == "SD301" and re.search(BAD_PROXY_URL, a.error_text or ""):
            # botocore's HTTPClientError: urllib3 could not parse the proxy setting itself
            host = "The endpoint" if host == "the endpoint" else host
            what = (
                "was not called: the proxy setting is not a valid URL, so botocore fails every call"
            )
            fix = (
                "Write the proxy as `http://HOST:PORT` (a numeric port; `http://[IPv6]:PORT`) in "
                "`HTTPS_PROXY`/`HTTP_PROXY` (or the profile's `proxy`), or unset it where AWS is "
                "reachable directly."
            )
        yield Hit(
            code,
            f"{host} {what}{tries}.{cause}",
            (ev(r.ref("exception") or main_ref(r), r),),
            fix=fix,
        )


def sd208(r: LogRequest) -> Iterable[Hit]:
    if not r.retries_exhausted:
        return
    n = len(r.attempts)
    said = _attempts_said(r.ref("retries-exhausted"))
    if said is not None and said > n:
        # a paste that starts after the first attempts: the retry handler's count says all
        last = "only the last one" if n == 1 else f"only the last {n}"
        took = f", {r.duration_s:.1f} s" if r.duration_s else ""
        tries = f"{said} attempts (the log shows {last}{took})"
    else:
        waited = (
            f"; the SDK waited {r.duration_s:.1f} s in total" if r.duration_s is not None else ""
        )
        tries = f"{n} attempt{'s' if n != 1 else ''}{waited}"
    yield Hit(
        "SD208",
        f"{r.operation or 'The request'} gave up after {tries}.",
        (ev(r.ref("retries-exhausted"), r) if r.ref("retries-exhausted") else _last_attempt(r),),
    )


_ATTEMPTS_SAID = re.compile(
    r"Reached the maximum number of retry attempts: (\d+)|Max attempts of (\d+) reached|"
    r"reached max retries: (\d+)"
)


def _attempts_said(ref: LineRef | None) -> int | None:
    """How many attempts the retry handler says were made (its count of retries, in the
    CLI's error message, is one fewer)."""
    m = _ATTEMPTS_SAID.search(ref.excerpt) if ref is not None else None
    if m is None:
        return None
    return int(m.group(1) or m.group(2) or int(m.group(3)) + 1)


def _last_attempt(r: LogRequest) -> Evidence:
    a = r.attempts[-1] if r.attempts else None
    if a is None:
        return ev(main_ref(r), r)
    return Evidence(
        excerpt=f"attempt {a.number}: {a.error_text or (a.error.value if a.error else '')}",
        line=a.line,
    )


def _skew(msg: str) -> str:
    from datetime import datetime

    fmt = "%Y%m%dT%H%M%SZ"
    m = _EXPIRED.search(msg)
    if m:
        signed, server = (datetime.strptime(m.group(i), fmt) for i in (1, 3))
        return f" The local clock was {abs((server - signed).total_seconds()):.0f} s behind AWS."
    m = _LATER.search(msg)
    if m:
        signed, server = (datetime.strptime(m.group(i), fmt) for i in (1, 3))
        return f" The local clock was {abs((signed - server).total_seconds()):.0f} s ahead of AWS."
    return ""


# STS's answer when AssumeRoleWithWebIdentity's token (the JWT) is past its `exp` (epoch s)
_JWT_EXPIRED = re.compile(
    r"current date/time (\d{9,11}) must be before the expiration date/time ?(\d{9,11})"
)


def _web_token_expired(operation: str | None, msg: str) -> str:
    """What an expired token means for AssumeRoleWithWebIdentity: not the caller's
    session (the call is unsigned) but the web identity token itself, read from
    AWS_WEB_IDENTITY_TOKEN_FILE; and how long ago it expired when STS says."""
    if operation != "AssumeRoleWithWebIdentity":
        return ""
    m = _JWT_EXPIRED.search(msg)
    ago = ""
    if m and int(m.group(1)) > int(m.group(2)):
        ago = f" {(int(m.group(1)) - int(m.group(2))) / 3600:.1f} h ago"
    return (
        ("" if msg.rstrip().endswith(".") else ".")
        + f" The web identity token (the JWT) expired{ago}, not a session: the token file is not "
        "being refreshed or an old copy of it is read (EKS/IRSA rotates the projected "
        "service-account token: read AWS_WEB_IDENTITY_TOKEN_FILE, do not copy the token), or "
        "the local clock is wrong."
    )


def sts_errors(r: LogRequest) -> Iterable[Hit]:
    """An error answer: what it means for the credentials (any service) or for STS (an STS,
    SSO or credential provider's call). S3's AccessDenied is not STS's business."""
    if r.error_code:
        e = (ev(r.ref("error-body", "client-error", "http-status"), r),)
        yield from classify_error(
            r.error_code, r.error_message or "", r.operation, r.signing_region or where_region(r), e,
            sts_call=is_sts(r) or r.by_credential_provider or r.operation in _SSO_OPS,
        )  # fmt: skip


# IAM Identity Center (SSO): the portal's and OIDC's operations, and the codes of an SSO
# session that is over
_SSO_OPS = frozenset({"GetRoleCredentials", "ListAccounts", "ListAccountRoles", "Logout",
                      "CreateToken", "RegisterClient", "StartDeviceAuthorization"})  # fmt: skip
_SSO_EXPIRED = frozenset({"InvalidGrantException", "UnauthorizedClientException"})
# what an error means from any service: the caller's clock and credentials (which STS may
# have issued); the rest (denied, throttled, region disabled, identity token) is STS's only
_ANY_SERVICE = frozenset({"SD401", "SD402", "SD403", "SD404"})


_REFUSED = re.compile(r"Unsupported host '([^'\s]{1,255})'")
_SCOPE_REGION = re.compile(r"Credential should be scoped to a valid region, not '([\w-]+)'")


# "User: <caller> is not authorized to perform: sts:AssumeRole on resource: <role>[ because …]"
_NOT_AUTHORIZED_ASSUME = re.compile(
    r"User: (?P<caller>arn:[\w-]+:(?:sts|iam)::\S+) is not authorized to perform: "
    r"sts:(?P<action>AssumeRole\w*) on resource: (?P<role>arn:[\w-]+:iam::\S+?)"
    r"(?: because (?P<why>[^.]{0,200}))?(?:$|[\s.,])"
)


_ROLE_ARN = re.compile(r"arn:[\w-]+:iam::(?P<account>[^:\s]*):(?P<kind>role|user|group|root)\b")
# what stands in a role ARN's account field when code built it from an unset value
_UNSET_ACCOUNT = re.compile(r"|None|none|null|NULL|undefined|nil|\$\{[^}]*\}|\{\{[^}]*\}\}")


def _assume_denied_fix(m: re.Match[str]) -> str:
    """Who must allow a denied role assumption: STS's reason names the policy when it gives
    one; without one either side may be missing (the caller's permissions or the role's
    trust), and the message reads the same for both."""
    caller, action, role = m.group("caller"), m.group("action"), m.group("role")
    if role.endswith("…"):  # (an excerpt cut the role's ARN)
        role = "the role"
    if caller.endswith("…"):
        caller = "the caller"
    elif a := re.match(r"arn:([\w-]+):sts::([^:\s]{1,32}):assumed-role/([\w+=,.@-]+)/", caller):
        # an assumed role's session: the policies are its role's (the account may be masked)
        caller = f"arn:{a.group(1)}:iam::{a.group(2)}:role/{a.group(3)}"
    r = _ROLE_ARN.match(role)
    if r is not None and _UNSET_ACCOUNT.fullmatch(r.group("account")):
        # STS looks for no role at all: the ARN was built from an unset variable
        return (
            f"The role ARN {role} has no account id ('{r.group('account')}' where the 12 "
            "digits belong): the code or configuration that built it read an unset value. "
            "Set the account id (or the whole RoleArn); no policy change helps."
        )
    if r is not None and r.group("kind") != "role":
        return (
            f"{role} is an IAM {r.group('kind')}, not a role: only roles can be assumed. Pass "
            "the ARN of a role (`arn:aws:iam::ACCOUNT:role/NAME`) as RoleArn / role_arn."
        )
    if r is not None and caller == role:
        # (a role's session assuming that same role: no implicit self-trust since 2022)
        return (
            f"{role} is assuming itself: its own session calls sts:{action} on it. A role's "
            "trust policy must name the role itself for that (no implicit self-trust since "
            "2022), or do not assume it again: the credentials already are this role's (drop "
            "the role ARN from the tool's settings, e.g. `--role-arn` of `aws eks get-token` "
            "or the kubeconfig)."
        )
    why = (m.group("why") or "").lower()
    if "explicit deny" in why:
        return (
            f"An explicit Deny applies ({m.group('why')}): find it in the caller's policies, "
            "a permissions boundary, an SCP or the role's trust policy and narrow it."
        )
    if "identity-based policy" in why:
        return f"Allow sts:{action} on {role} in an identity-based policy of {caller}."
    if "resource-based policy" in why:
        return f"Add {caller} (or its account) as a principal to the trust policy of {role}."
    return (
        f"Both sides must allow it: an identity-based policy of {caller} must allow "
        f"sts:{action} on {role}, and the trust policy of {role} must name it (or "
        "its account) as principal; then check SCPs, permissions boundaries and the VPC "
        "endpoint policy."
    )


def classify_error(
    code: str,
    msg: str,
    operation: str | None,
    region: str | None,
    e: tuple[Evidence, ...],
    *,
    sts_call: bool,
) -> Iterable[Hit]:
    """The findings an AWS error means: all of them for an STS, SSO or credential provider's
    call; for other services' calls only those about the credentials and the clock."""
    hits = _error_meaning(code, msg, operation, region, e)
    return hits if sts_call else (h for h in hits if h.code in _ANY_SERVICE)


def _error_meaning(
    code: str, msg: str, operation: str | None, region: str | None, e: tuple[Evidence, ...]
) -> Iterable[Hit]:
    """An AWS error code and message → the STS finding it means (if any)."""
    op = operation or "the call"
    if (c := CLOCK_MESSAGE.search(msg)) is not None:
        # AWS's clock message, whatever a paste's wrap made of its blanks
        msg = msg[: c.start()] + clock_message(c) + msg[c.end() :]
    if code in ("RequestTimeTooSkewed", "RequestExpired") or (
        code in ("SignatureDoesNotMatch", "InvalidSignatureException")
        and ("Signature expired" in msg or "not yet current" in msg)
    ):
        yield Hit("SD401", f"{op}: {code}: {msg}{_skew(msg)}", e)
    elif code in ("ExpiredToken", "ExpiredTokenException") and operation == "AssumeRoleWithSAML":
        # (the call is unsigned: what expired is the SAML assertion, not a session)
        yield Hit("SD402", f"{op}: {code}: {_sentence(msg)}The SAML assertion is too old: STS "
                  "accepts one only within 5 minutes of its issue (IssueInstant), not a "
                  "session that expired.", e,
                  fix="Sign in to the identity provider again right before the call (a tool "
                  "that keeps the assertion and assumes several roles with it must re-authenticate "
                  "once it is 5 minutes old), and check the clocks of the IdP and of this host.")  # fmt: skip
    elif code in ("ExpiredToken", "ExpiredTokenException"):
        yield Hit("SD402", f"{op}: {code}: {msg}{_web_token_expired(operation, msg)}", e)
    elif code in _SSO_EXPIRED or (
        code == "UnauthorizedException"
        and (operation in _SSO_OPS or "Session token not found" in msg)
    ):
        # IAM Identity Center: the SSO session (its access or refresh token) is over
        yield Hit("SD402", f"{op}: {code}: {_sentence(msg)}The SSO session has expired: run `aws sso "
                  "login` (with the profile) again.", e)  # fmt: skip
    elif code in ("InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId",
                  "AuthFailure", "InvalidToken"):  # fmt: skip
        # (S3's InvalidToken: "The provided token is malformed or otherwise invalid", the
        # session token of the credentials, as STS issued it or a paste cut it)
        opt = ""
        if region and endpoints.is_known_region(region) and endpoints.is_opt_in(region):
            opt = (
                f" {region} is an opt-in region: session tokens from the global endpoint (v1) are "
                "not valid there; get them from the regional endpoint or set the global token version to 2."
            )
        yield Hit("SD403", f"{op}: {code}: {_sentence(msg) + opt.lstrip() if opt else msg}", e)
    elif code in ("SignatureDoesNotMatch", "IncompleteSignature", "InvalidSignatureException"):
        if "scoped to a valid region" not in msg:
            yield Hit("SD404", f"{op}: {code}: {msg}", e)
    elif code in ("AccessDenied", "AccessDeniedException") and "MultiFactorAuthentication" in msg:
        # (no role's trust policy is in play in GetSessionToken: the registry's fix misleads)
        yield Hit("SD405", f"{op}: {code}: {msg} The MFA code was rejected: check the MFA "
                  "device's ARN (`arn:aws:iam::ACCOUNT:mfa/NAME`), use a fresh code, and check "
                  "the device's clock.", e,
                  fix="Pass the MFA device's ARN (`--serial-number` / `mfa_serial`: "
                  "`arn:aws:iam::ACCOUNT:mfa/NAME`, not the user's ARN) with a current code "
                  "from that device.")  # fmt: skip
    elif code in ("AccessDenied", "AccessDeniedException") and (
        m := _NOT_AUTHORIZED_ASSUME.search(msg)
    ):
        yield Hit("SD405", f"{op}: {code}: {msg}", e, fix=_assume_denied_fix(m))
    elif (
        code in ("AccessDenied", "AccessDeniedException")
        and operation == "AssumeRoleWithWebIdentity"
    ):
        # (no SCP or VPC-endpoint policy judges this call: the role's trust policy does)
        yield Hit("SD405", f"{op}: {code}: {_sentence(msg)}The role's trust policy does not let "
                  "this web identity assume it.", e,
                  fix="In the role's trust policy allow `sts:AssumeRoleWithWebIdentity` for the "
                  "OIDC provider (`Federated: arn:aws:iam::ACCOUNT:oidc-provider/ISSUER`, the "
                  "token's issuer) with conditions that match the token's `sub` (EKS: "
                  "`system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT`) and `aud` "
                  "(`sts.amazonaws.com`).")  # fmt: skip
    elif code in ("AccessDenied", "AccessDeniedException"):
        yield Hit("SD405", f"{op}: {code}: {msg}", e)
    elif code == "ForbiddenException" and operation in _SSO_OPS:
        yield Hit("SD405", f"{op}: {code}: {msg} IAM Identity Center gives this user no access "
                  "to that account and role: check the permission set assignment and the "
                  "profile's sso_account_id / sso_role_name.", e)  # fmt: skip
    elif code == "RegionDisabledException":
        yield Hit("SD406", f"{op}: {code}: {msg}", e)
    elif code in ("Throttling", "ThrottlingException", "TooManyRequestsException",
                  "RequestLimitExceeded", "SlowDown", "PriorRequestNotComplete"):  # fmt: skip
        yield Hit("SD407", f"{op}: {code}: {msg}", e)
    elif code in ("InvalidIdentityToken", "IDPRejectedClaim") and operation == "AssumeRoleWithSAML":
        # (no OIDC provider is in play: the registry's fix misleads)
        yield Hit("SD408", f"{op}: {code}: {_sentence(msg)}STS rejected the SAML assertion.", e,
                  fix="Check the IAM SAML provider and the assertion: the provider's metadata "
                  "must be the IdP's current one (upload it again after the IdP's signing "
                  "certificate changed); the assertion's Role attribute must pair this role's "
                  "ARN with that provider's ARN; its audience must be the sign-in endpoint of "
                  "the role's partition (https://signin.aws.amazon.com/saml; GovCloud "
                  "https://signin.amazonaws-us-gov.com/saml; China "
                  "https://signin.amazonaws.cn/saml); and the role's trust policy must allow "
                  "`sts:AssumeRoleWithSAML` for that provider.")  # fmt: skip
    elif code in ("InvalidIdentityToken", "IDPRejectedClaim", "IDPCommunicationError"):
        yield Hit("SD408", f"{op}: {code}: {msg}", e)
    elif code in _SERVER_ERRORS:
        yield Hit("SD409", f"{op}: {code}: {msg}", e)
    elif code in _INVALID_REQUEST and operation in _STS_GRANTS:
        yield Hit("SD410", f"{op}: {code}: {msg}", e, fix=_invalid_request_fix(msg))


# STS's operations that grant sessions, and its answers to parameters it will not grant
_STS_GRANTS = frozenset({"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity",
                         "GetSessionToken", "GetFederationToken", "AssumeRoot"})  # fmt: skip
_INVALID_REQUEST = frozenset({"ValidationError", "InvalidParameterValue", "MalformedPolicyDocument",
                              "PackedPolicyTooLarge", "InvalidParameterCombination"})  # fmt: skip


def _invalid_request_fix(msg: str) -> str | None:
    """SD410's fix for what the message says STS refused (None: the catalogue's)."""
    low = msg.lower()
    if "role chaining" in low:
        return ("A role assumed with another role's session (role chaining: a profile whose "
                "source_profile is itself a role, a role's session calling AssumeRole) gets at "
                "most 1 hour: ask for `DurationSeconds` / `duration_seconds` <= 3600, or assume "
                "the role from long-term credentials or an identity provider instead.")  # fmt: skip
    if "maxsessionduration" in low:
        return ("Ask for at most the role's MaxSessionDuration (`aws iam get-role --role-name "
                "NAME --query Role.MaxSessionDuration`), or raise it (`aws iam update-role "
                "--role-name NAME --max-session-duration SECONDS`, up to 43200).")  # fmt: skip
    if "durationseconds" in low:
        return ("`DurationSeconds` must be 900 to 43200 for AssumeRole* (and within the role's "
                "MaxSessionDuration), 900 to 129600 for GetSessionToken and GetFederationToken "
                "(3600 at most for the root user).")  # fmt: skip
    if "rolesessionname" in low:
        return ("The role session name must be 2 to 64 characters of letters, digits and "
                "`=,.@-_` (no blanks: set `role_session_name` or the SDK's RoleSessionName).")  # fmt: skip
    if "packed" in low or "policy" in low:
        return ("Shorten the session policy and session tags (their packed size is limited), "
                "or pass valid IAM policy JSON as the session policy.")  # fmt: skip
    return None


def _sentence(msg: str) -> str:
    """An error message as a sentence before more text (a message without a full stop, such
    as an OAuth `error_description`, gets one)."""
    m = msg.strip()
    return f"{m} " if not m or m.endswith((".", "!", "?")) else f"{m}. "


def _throttle_fix(r: LogRequest) -> str | None:
    """SD407's fix for another service than STS (the catalogue's speaks of credentials and
    STS's regional endpoints); None for STS."""
    if is_sts(r):
        return None
    svc = r.service or (r.host or "").split(".", 1)[0] or "the service"
    return (
        f"Lower the request rate to {svc} and let the SDK back off: retry mode `adaptive` "
        "(or `standard` with a higher `max_attempts`)"
        + (
            "; for S3, spread the keys over more prefixes and run fewer transfers at once"
            if svc == "s3"
            else ""
        )
        + "."
    )


def throttled_status(r: LogRequest) -> Iterable[Hit]:
    if r.http_status == 429 and not r.error_code:
        yield Hit(
            "SD407",
            f"{r.operation or 'The call'} got HTTP 429.",
            (ev(r.ref("http-status"), r),),
            fix=_throttle_fix(r),
        )
    elif (
        r.http_status in _RETRIED_5XX
        and not r.error_code
        and is_sts(r)
        and _custom_host(r) is None  # (a test server's or emulator's 5xx is not STS failing)
    ):
        yield Hit(
            "SD409",
            f"{r.operation or 'The call'} got HTTP {r.http_status} from STS.",
            (ev(r.ref("http-status"), r),),
        )


_RETRIED_5XX = frozenset({500, 502, 503, 504})  # (botocore's retried statuses)
# STS's answers when it failed itself (HTTP 5xx), which botocore retries
_SERVER_ERRORS = frozenset({"InternalFailure", "InternalError", "InternalServerError",
                            "ServiceUnavailable", "ServiceUnavailableException"})  # fmt: skip


RequestRule = Callable[[LogRequest], Iterable[Hit]]
REQUEST_RULES: tuple[tuple[str, RequestRule], ...] = (
    ("SD101", sd101),
    ("SD102", sd102),
    ("SD103", sd103),
    ("SD104", sd104),
    ("SD106", sd106),
    ("SD107", sd107),
    ("SD108", sd108),
    ("SD109", sd109),
    ("SD2xx/SD3xx", network),
    ("SD208", sd208),
    ("SD4xx", sts_errors),
    ("SD407/SD409", throttled_status),
)


# ------------------------------------------------------------------ summary


def observe(s: Summary, r: LogRequest) -> None:
    """Fold one request into the summary (region votes, services, hosts, latency)."""
    s.requests += 1
    if r.service in SSO_SERVICES:
        # (its client's region is the profile's sso_region, its host that region's)
        for reg in (*(endpoints.region_of_host(h) for h in hosts(r)), where_region(r)):
            if reg and endpoints.is_known_region(reg) and len(s.sso_regions) < 4:
                s.sso_regions.setdefault(reg)
    else:
        _vote(s, r)
    if r.service:
        s.services.add(r.service)
    if r.proxy or any(a.error is ErrorKind.PROXY for a in r.attempts):
        s.proxy_used = True
    if is_sts(r) and (r.use_fips or any("-fips." in h for h in hosts(r))):
        s.fips_used = True
    if "aws-global" in (r.client_region, r.param_region):
        s.no_region_requests += 1
    if r.error_code in ("RequestTimeTooSkewed", "RequestExpired") or "Signature expired" in (
        r.error_message or ""
    ):
        s.clock_refused = True
    if is_sts(r) and r.host:
        ref = main_ref(r) or LineRef(r.first_line, "request", "")
        target = s.provider_hosts if r.by_credential_provider else s.client_sts_hosts
        if len(target) < 16:
            target.setdefault(r.host, ref)
    last = r.attempts[-1] if r.attempts else None
    if last is not None and not last.answered and len(s.unanswered) < 5:
        host = last.host or r.host or "?"
        at = [x for x in r.refs if x.line == last.line]
        ref = next((x for x in at if x.tag == "sending"), at[0] if at else None) or LineRef(
            last.line, "attempt", f"attempt {last.number} sent to {host}"
        )
        s.unanswered.append((f"{r.service or '?'}.{r.operation or '?'}", host, ref, is_sts(r)))
    if r.duration_s is not None and not failed_kinds(r) and r.host and r.http_status == 200:
        lat = s.ok_latency.setdefault(r.host, [])
        if len(lat) < 1000:
            lat.append(r.duration_s)


def _vote(s: Summary, r: LogRequest) -> None:
    """The request's region votes. Weights: resource regions 6, regional hosts 4, client
    region 2 (1 when sent to the global endpoint), signing scope 2."""
    for res in r.resource_regions:
        s.region_votes[res] += 6
    for h in hosts(r):
        ok, sreg = endpoints.region_of_sts_host(h)
        hreg = sreg if ok else endpoints.region_of_host(h)
        if hreg and endpoints.is_known_region(hreg):
            s.region_votes[hreg] += 4
        elif hreg and hreg == _sts_host_region(r) and (near := endpoints.closest_region(hreg)):
            s.region_votes[near] += 1  # a typo in the host (SD106), as in the scope below
        if ok and ".vpce." in h and sreg:
            s.vpce_urls[f"https://{h}"] = None
    cr = where_region(r)
    if cr and endpoints.is_known_region(cr):
        s.region_votes[cr] += 1 if is_global(r) else 2
    elif cr and (near := endpoints.closest_region(cr)):
        s.region_votes[near] += 1  # a typo (SD106) still says where the caller meant to be
    sr = r.signing_region
    if sr and sr != "us-east-1" and endpoints.is_known_region(sr):
        s.region_votes[sr] += 2
    elif (
        sr
        and sr != cr
        and not endpoints.is_known_region(sr)
        and _custom_host(r) is None
        and (near := endpoints.closest_region(sr))
    ):
        # a typo in the scope (an AZ name: `us-east-1f`) when the client region is not in
        # the log (a CLI v1 `PreparedRequest`): where the caller meant to be, as above
        s.region_votes[near] += 1


# ------------------------------------------------------------------ log rules


def log_events(facts: LogFacts, s: Summary) -> Iterable[Hit]:
    by_tag: dict[str, list[LineRef]] = {}
    for e in facts.events:
        by_tag.setdefault(e.tag, []).append(e)

    def evs(tag: str) -> tuple[Evidence, ...]:
        return tuple(Evidence(excerpt=e.excerpt, line=e.line) for e in by_tag.get(tag, [])[:5])

    if "no-credentials" in by_tag:
        no_role = "imds-no-role" in by_tag
        # the role list's 404 came through the HTTP proxy: the proxy (or the metadata
        # service of the proxy's own host) answered, which says nothing of this instance
        proxied = {e.line for e in by_tag.get("imds-via-proxy", [])}
        via_proxy = no_role and all(e.line in proxied for e in by_tag["imds-no-role"])
        yield Hit(
            "SD501",
            "No credentials were found: Unable to locate credentials."
            + (
                " The role list was asked through the HTTP proxy, and its 404 came from the "
                "proxy's side (the proxy, or the metadata service of the proxy's own host), "
                "not from this instance's metadata service (see SD302)."
                if via_proxy
                else " The instance metadata service answered 404 for the role list: no IAM "
                "role (instance profile) is attached to this instance."
                if no_role
                else ""
            ),
            evs("imds-no-role") + evs("no-credentials") if no_role else evs("no-credentials"),
            fix="Let the SDK reach the metadata service directly: add 169.254.169.254 to "
            "`NO_PROXY` (and `no_proxy`); the instance's role then gives the credentials."
            if via_proxy
            else "Attach an IAM role to the instance (an instance profile: `aws ec2 "
            "associate-iam-instance-profile`, or the console's Modify IAM role), or give "
            "credentials another way (environment, profile, SSO, web identity)."
            if no_role
            else None,
        )
    if "imds-via-proxy" in by_tag:
        yield Hit(
            "SD302",
            "The SDK asked the instance metadata service through the HTTP proxy: `NO_PROXY` "
            "lacks 169.254.169.254 (and 169.254.170.2 for containers), so credentials and the "
            "region cannot come from the instance.",
            evs("imds-via-proxy"),
        )
    if (
        "proxy-env" in by_tag
        and "imds-via-proxy" not in by_tag
        and ("no-credentials" in by_tag or "imds-failed" in by_tag)
        and not any("169.254.169.254" in e.excerpt for e in by_tag.get("no-proxy-env", []))
    ):
        # (no debug log shows where the credential requests went: the user's own exports
        # above the failure say a proxy was in play and nothing exempted the metadata service)
        yield Hit(
            "SD302",
            "An HTTP proxy is set (`HTTP_PROXY`/`HTTPS_PROXY`) and `NO_PROXY` does not name "
            "169.254.169.254: if this runs on EC2 (or in ECS, 169.254.170.2), the SDK asks the "
            "metadata service for the instance role's credentials through the proxy, which "
            "usually cannot reach it, and finds none. (Off AWS, no credentials are configured: "
            "see SD501.)",
            evs("proxy-env") + evs("imds-failed"),
            fix="`export NO_PROXY=169.254.169.254,169.254.170.2` (plus the VPC endpoint and "
            "regional STS names that should go direct).",
        )
    if "proxy-auth-required" in by_tag:
        yield Hit(
            "SD301",
            "The proxy answered 407 Proxy Authentication Required.",
            evs("proxy-auth-required"),
        )
    if "no-region" in by_tag:
        yield Hit(
            "SD101",
            "No region configured: NoRegionError (You must specify a region).",
            evs("no-region"),
        )
    if "empty-region" in by_tag:
        yield Hit(
            "SD101",
            "The region is set but empty: botocore built a host with no region in it and "
            "refused it (ValueError: Invalid endpoint). An empty `AWS_DEFAULT_REGION` (or, "
            "for the AWS CLI v2, `AWS_REGION`; `export AWS_DEFAULT_REGION=` in a script or CI), "
            "`--region ''` or a `region =` with no value in the profile does this.",
            evs("empty-region"),
            fix="Give the variable, option or profile `region` a value, or unset the empty "
            "variable so the profile's region is used.",
        )
    if "endpoint-no-scheme" in by_tag:
        url = by_tag["endpoint-no-scheme"][0].excerpt.removeprefix("Invalid endpoint: ")
        yield Hit(
            "SD107",
            f"The endpoint URL {url} has no scheme: botocore reads a host only from a URL "
            "that starts with `https://`, and refused it (ValueError: Invalid endpoint) "
            "before any request.",
            evs("endpoint-no-scheme"),
            fix=f"Give the endpoint URL its scheme (`https://{url}`) where it is set "
            "(`endpoint_url=`, `--endpoint-url`, `AWS_ENDPOINT_URL*`, a profile's "
            "`endpoint_url`), or upgrade the library that builds it.",
        )
    if "container-host-refused" in by_tag:
        host = _REFUSED.search(by_tag["container-host-refused"][0].excerpt)
        pod_identity = host is not None and host.group(1) in ("169.254.170.23", "[fd00:ec2::23]")
        yield Hit(
            "SD502",
            f"botocore refused the container credential endpoint {host.group(1) if host else ''}"
            " (AWS_CONTAINER_CREDENTIALS_FULL_URI) before asking it: "
            + (
                "this botocore predates EKS Pod Identity and allows only the ECS endpoint "
                "169.254.170.2 and loopback."
                if pod_identity
                else "it allows only the ECS endpoint 169.254.170.2, loopback and (newer "
                "botocore) EKS Pod Identity's 169.254.170.23."
            ),
            evs("container-host-refused"),
            fix="Upgrade boto3/botocore to a release that supports EKS Pod Identity (botocore 1.34 "
            "does, 1.31 does not)"
            if pod_identity
            else "Point AWS_CONTAINER_CREDENTIALS_FULL_URI at an allowed host.",
        )
    if "imds-region-failed" in by_tag and "no-region" not in by_tag:
        yield Hit(
            "SD101",
            "No region configured: the SDK asked the instance metadata service for the region "
            "(the AWS CLI v2 does so only when no --region, AWS_REGION, AWS_DEFAULT_REGION or "
            "profile region is set) and got none.",
            evs("imds-region-failed"),
        )
    if "container-creds-failed" in by_tag:
        yield Hit(
            "SD502",
            "The container credential endpoint did not give credentials (the ECS task role at "
            "169.254.170.2, or EKS Pod Identity at 169.254.170.23, named by "
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI): check the task role or pod "
            "identity association, and that the ECS agent or Pod Identity agent runs and is "
            "reachable; an SDK too old for Pod Identity cannot use 169.254.170.23.",
            evs("container-creds-failed"),
            fix="ECS: give the task definition a taskRoleArn and check the ECS agent; EKS: check "
            "the pod identity association (or IRSA) and the eks-pod-identity-agent DaemonSet; "
            "upgrade the SDK when it predates the endpoint it is given.",
        )
    if "imds-failed" in by_tag and "imds-disabled" not in by_tag:
        # it matters when IMDS was to supply credentials (or nothing did); when another
        # provider supplied them, it only cost the SDK time
        src = (facts.credential_source or "").lower()
        from_imds = not src or any(
            k in src for k in ("iam role", "iam-role", "container", "metadata")
        )
        yield Hit(
            "SD502",
            "The instance metadata service (IMDS) did not answer. On EC2 in a container, an IMDSv2 "
            "PUT response hop limit of 1 causes this; off EC2 it is expected"
            + (
                "."
                if from_imds
                else f", and harmless here (credentials came from {facts.credential_source}) but slow."
            ),
            evs("imds-failed"),
            severity=None if from_imds else Severity.INFO,
        )
    if "retries-exhausted" in by_tag:
        yield Hit("SD208", "The SDK retried until its attempts ran out.", evs("retries-exhausted"))
    # the one region the session or command line was given, when no request says where an
    # error without a request went (`aws ... --region ap-east-1` above the CLI's error line)
    given = set(given_regions(facts.events))
    given_region = next(iter(given)) if len(given) == 1 else None
    for e in by_tag.get("orphan-client-error", [])[:20]:
        ce = client_error(e.excerpt)
        if ce:
            code, op, message, _ = ce
            ev1 = (Evidence(e.excerpt, e.line),)
            sts_call = op in STS_OPERATIONS or op in _SSO_OPS
            yield from classify_error(code, message, op, given_region, ev1, sts_call=sts_call)
            scope = _SCOPE_REGION.search(message)
            if scope:  # with no request to compare, the message itself names the wrong scope
                yield Hit("SD108", f"{op}: the request was signed for {scope.group(1)}, "
                          "which the endpoint does not accept.", ev1)  # fmt: skip
    for e in by_tag.get("orphan-response-error", [])[:20]:
        re_ = response_excerpt(e.excerpt)
        if re_:
            code, message, sts_answer = re_
            ev1 = (Evidence(e.excerpt, e.line),)
            yield from classify_error(code, message, None, given_region, ev1, sts_call=sts_answer)
    if "sso-expired" in by_tag:
        yield Hit(
            "SD402",
            "The SSO session has expired and could not be refreshed: run `aws sso login` (with "
            "the profile) again.",
            evs("sso-expired"),
        )
    if "refreshed-still-expired" in by_tag:
        yield Hit(
            "SD402",
            "botocore refreshed the credentials and got ones that had already expired: their "
            "source hands out stale credentials (a credential_process, or a tool's cache or "
            "credentials file, that returns old ones), or this host's clock is ahead.",
            evs("refreshed-still-expired"),
            fix="Make the source return fresh credentials (clear the tool's cache, have the "
            "credential_process fetch new ones, write the file again), and check this host's "
            "clock (`date -u` against NTP).",
        )
    if facts.credential_source:
        yield Hit(
            "SD503",
            f"Credentials came from: {facts.credential_source}.",
            evs("credentials-found"),
        )


def provider_bypass(facts: LogFacts, s: Summary) -> Iterable[Hit]:
    if not s.provider_hosts or not s.client_sts_hosts:
        return
    for ph, pref in s.provider_hosts.items():
        if ph not in s.client_sts_hosts:
            ch, cref = next(iter(s.client_sts_hosts.items()))
            yield Hit(
                "SD110",
                f"The credential provider's STS call went to {ph} while the client used {ch}.",
                (Evidence(pref.excerpt, pref.line), Evidence(cref.excerpt, cref.line)),
            )
            return


_CUT_FIX = (
    "Attach the whole log, from the command to its last line (`aws ... --debug 2> debug.txt`; "
    "boto3: `boto3.set_stream_logger('')` at the program's start), to see how the request ended."
)


def no_answer(facts: LogFacts, s: Summary) -> Iterable[Hit]:
    stops = [e for e in facts.events if e.tag in ("interrupted", "function-timeout", "cancelled")]
    stop = stops[-1] if stops else None
    exits = [e for e in facts.events if e.tag == "cli-exit"]
    for what, host, ref, _sts in s.unanswered:
        ev: tuple[Evidence, ...] = (Evidence(ref.excerpt, ref.line),)
        if stop is None and facts.debug_records == 0:
            # logged at INFO or above: botocore writes answers only at DEBUG
            yield Hit(
                "SD210",
                f"{what} to {host} has no answer in the log, but the log has no DEBUG records: "
                "botocore logs answers (status lines, bodies) only at DEBUG.",
                ev,
                severity=Severity.INFO,
                fix="Capture the log at DEBUG: `aws ... --debug`, or "
                "`boto3.set_stream_logger('')` / `logging.basicConfig(level=logging.DEBUG)`.",
            )
            continue
        exit_ = next((e for e in exits if e.line > ref.line), None) if stop is None else None
        if exit_ is not None:
            # the CLI ended after it: the answer or error is there in a form not read here
            yield Hit(
                "SD210",
                f"{what} to {host} has no answer the log reader recognised, but the CLI then "
                f"exited ({exit_.excerpt}): it was not left waiting.",
                (*ev, Evidence(exit_.excerpt, exit_.line)),
                severity=Severity.INFO,
            )
            continue
        if stop is None and facts.truncated:
            # a pasted excerpt or a partial file: the answer may be in the part that is
            # missing, so nothing shows that the SDK was still waiting
            yield Hit(
                "SD210",
                f"{what} to {host} has no answer in the log, but the log was cut off (its last "
                "line or record is incomplete): the answer may be in the missing part.",
                ev,
                severity=Severity.INFO,
                fix=_CUT_FIX,
            )
            continue
        if stop is None:
            when = "the log ends"
        elif stop.tag == "interrupted":
            when = "the process was interrupted (KeyboardInterrupt)"
        elif stop.tag == "cancelled":
            when = (
                "the program cancelled what it awaited "
                f"({stop.excerpt}: its own asyncio deadline, such as `asyncio.wait_for`)"
            )
        else:
            when = f"the Lambda function timed out ({stop.excerpt})"
        msg = f"{what} to {host} got no answer in the log: the SDK was still waiting when {when}."
        if host in GLOBAL_HOSTS:
            msg += (
                " From a private subnet without NAT the global endpoint cannot be reached; the "
                "regional endpoint, served by an STS VPC endpoint, can."
            )
        if stop is not None:
            ev += (Evidence(stop.excerpt, stop.line),)
        fix = (
            "Find out why the endpoint does not answer (`stsdiag probe` from the same host). The "
            "program's deadline cut botocore short, so botocore never logged what failed: give it "
            "timeouts below the deadline (`AioConfig(connect_timeout=5, read_timeout=5)`) to see "
            "whether the connection or the answer is missing."
            if stop is not None and stop.tag == "cancelled"
            else None
        )
        yield Hit("SD210", msg, ev, severity=Severity.ERROR if stop is not None else None, fix=fix)


def slow_endpoint(facts: LogFacts, s: Summary) -> Iterable[Hit]:
    # STS endpoints only: other services' latencies are not a choice of STS endpoint
    med = {
        h: sorted(v)[len(v) // 2]
        for h, v in s.ok_latency.items()
        if v and endpoints.region_of_sts_host(h)[0]
    }
    if len(med) < 2:
        return
    best_h = min(med, key=lambda h: med[h])
    for h, m in med.items():
        if h != best_h and m > 0.5 and m > 3 * med[best_h]:
            yield Hit(
                "SD601",
                f"{h} answered in {m * 1000:.0f} ms (median) vs {best_h} in {med[best_h] * 1000:.0f} ms.",
                (Evidence(excerpt=f"median latency of {h}"),),
            )


_OFFSET = re.compile(r"clock offset ([+-]\d+) s")
# probe's thresholds for the same `Date` header comparison (rules.probe: SKEW_WARN_S and
# SKEW_ERROR_S): a warning past a minute, an error past five (AWS refuses past fifteen)
_SKEW_WARN_S, _SKEW_ERROR_S = 60, 300


def clock_offset(facts: LogFacts, s: Summary) -> Iterable[Hit]:
    """SD401 from AWS's answers: their `Date` against the requests' X-Amz-Date (the
    reconstructor's `clock-offset` events), when no request was refused for it (that error's
    SD401 says so)."""
    offs = [
        (int(m.group(1)), e) for e in facts.events if (m := _OFFSET.match(e.excerpt)) is not None
    ]
    if s.clock_refused or not offs:
        return
    off, worst = max(offs, key=lambda o: abs(o[0]))
    if abs(off) <= _SKEW_WARN_S:
        return
    way = "behind" if off > 0 else "ahead of"
    yield Hit(
        "SD401",
        f"The local clock is {abs(off)} s {way} AWS's: AWS's answers are dated "
        f"{abs(off)} s {'later' if off > 0 else 'earlier'} than the requests' X-Amz-Date plus "
        "the time to the answer. AWS still accepted these requests; it refuses a signature "
        "more than 15 minutes (900 s) off (Signature expired, RequestTimeTooSkewed).",
        (Evidence(excerpt=worst.excerpt, line=worst.line),),
        severity=Severity.ERROR if abs(off) > _SKEW_ERROR_S else Severity.WARNING,
    )


LogRule = Callable[[LogFacts, Summary], Iterable[Hit]]
LOG_RULES: tuple[tuple[str, LogRule], ...] = (
    ("SD5xx", log_events),
    ("SD401", clock_offset),
    ("SD210", no_answer),
    ("SD110", provider_bypass),
    ("SD601", slow_endpoint),
)
