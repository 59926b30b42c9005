"""The findings catalogue: one explicit registry of metadata (code, name, severity, where,
summary, why, fix). Rule functions live in `rules.log` and `rules.probe` and refer to these
entries by code. Docs (`stsdiag explain`, README table) are generated from here."""

from __future__ import annotations

import re
from dataclasses import dataclass

from stsdiag.models import Severity, Where


@dataclass(frozen=True, slots=True)
class RuleInfo:
    code: str
    name: str
    severity: Severity
    where: Where
    summary: str
    why: str
    fix: str


E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
LOG, PROBE, BOTH = Where.LOG, Where.PROBE, Where.BOTH

RULES: tuple[RuleInfo, ...] = (
    RuleInfo(
        "SD001",
        "not-a-botocore-log",
        E,
        LOG,
        "The input holds no botocore, AWS CLI or urllib3 debug record.",
        "parse-log reads the DEBUG output of botocore (`aws --debug`, `boto3.set_stream_logger('')`, "
        "`logging.basicConfig(level=logging.DEBUG)`). Without such records there is nothing to replay.",
        "Re-run the failing command with `--debug` (AWS CLI) or enable botocore DEBUG logging and "
        "capture stderr: `aws sts get-caller-identity --debug 2> debug.txt`.",
    ),
    RuleInfo(
        "SD002",
        "rule-crashed",
        E,
        BOTH,
        "A stsdiag rule raised an exception; the run went on without it.",
        "This is a bug in stsdiag, not in your setup. The other findings are still valid.",
        "Please report it with the log or probe output (secrets are redacted).",
    ),
    RuleInfo(
        "SD101",
        "region-not-configured",
        W,
        BOTH,
        "No region is configured, so the SDK falls back to the global STS endpoint.",
        "With no region in the config chain botocore resolves STS to the global endpoint "
        "`https://sts.amazonaws.com` (client region `aws-global`, or `us-east-1` in older versions). "
        "From a private subnet without a NAT gateway that endpoint has no route and calls hang "
        "for minutes; through an interface VPC endpoint only the regional name is private.",
        "Set `region` in the profile (`aws configure set region <region>`), or export both "
        "`AWS_DEFAULT_REGION` (botocore, boto3, AWS CLI v1) and `AWS_REGION` (AWS CLI v2, other SDKs).",
    ),
    RuleInfo(
        "SD102",
        "global-endpoint-used",
        W,
        BOTH,
        "Requests go to the global STS endpoint sts.amazonaws.com.",
        "The global endpoint is served from us-east-1 (or the nearest region through the public "
        "internet), is not reachable through an interface VPC endpoint, adds latency, and its "
        "session tokens are not valid in opt-in regions by default. It is an error when the "
        "global endpoint also failed.",
        "Use the regional endpoint `https://sts.<region>.amazonaws.com`: set the region and "
        "`sts_regional_endpoints = regional` (or `AWS_STS_REGIONAL_ENDPOINTS=regional`).",
    ),
    RuleInfo(
        "SD103",
        "legacy-sts-endpoints",
        W,
        BOTH,
        "`sts_regional_endpoints = legacy` is in effect: botocore sends STS to the global endpoint.",
        "In legacy mode botocore maps 16 original regions to `sts.amazonaws.com`, signed for "
        "us-east-1, even when the region is set. The client region in the log can say eu-west-1 "
        "while the request goes to the global endpoint.",
        "Set `sts_regional_endpoints = regional` in the profile, or `export AWS_STS_REGIONAL_ENDPOINTS=regional`.",
    ),
    RuleInfo(
        "SD104",
        "client-region-mismatch",
        E,
        LOG,
        "The client's region differs from the region of the resource in the request.",
        "The request names a resource (an ARN, an S3 access point, a redirect's bucket region) in "
        "one region while the client is configured for another, so the request is sent to the "
        "wrong regional endpoint, or to the global endpoint, and through the wrong network path.",
        "Pass the resource's region: `--region <region>` or `AWS_DEFAULT_REGION`/`AWS_REGION`.",
    ),
    RuleInfo(
        "SD105",
        "region-differs-from-instance",
        W,
        PROBE,
        "The configured region is not the EC2 instance's region.",
        "Calls then cross regions and do not use the VPC endpoint of the instance's VPC.",
        "Use the instance's region (from IMDS) unless you mean to cross regions.",
    ),
    RuleInfo(
        "SD106",
        "unknown-region",
        E,
        BOTH,
        "The region is not a region of any AWS partition known to botocore.",
        "A typo (`ap-northeast1`), an availability zone name (`us-east-1a`) or a region newer "
        "than this botocore makes the SDK build a host name that does not exist. A request to a "
        "custom, non-AWS endpoint (an S3-compatible store, an emulator) may use any region name "
        "its provider chose: there the finding is only an info.",
        "Use a valid region name (the finding names the closest known one when there is one; "
        "`stsdiag endpoints` lists them all), or upgrade botocore if the region is newer than it.",
    ),
    RuleInfo(
        "SD107",
        "endpoint-override-mismatch",
        E,
        BOTH,
        "A custom endpoint URL is not an STS endpoint for the signing region.",
        "`--endpoint-url`, `AWS_ENDPOINT_URL_STS` or a profile `services` section points at a host "
        "that is not STS for the region the request is signed for, or is a near miss such as "
        "`st.amazonaws.com`.",
        "Use `https://sts.<region>.amazonaws.com` (or the VPC endpoint's own DNS name) for the signing region.",
    ),
    RuleInfo(
        "SD108",
        "signing-region-mismatch",
        E,
        BOTH,
        "The request is signed for another region than the endpoint's.",
        'STS rejects it with SignatureDoesNotMatch "Credential should be scoped to a valid region".',
        "Sign with the endpoint's region: set the region to match the endpoint, or drop the endpoint override.",
    ),
    RuleInfo(
        "SD109",
        "wrong-partition",
        E,
        BOTH,
        "The region and the endpoint belong to different partitions.",
        "China (`aws-cn`, `amazonaws.com.cn`) and GovCloud (`aws-us-gov`) are separate partitions with "
        "their own endpoints and credentials.",
        "Use the endpoint of the region's own partition.",
    ),
    RuleInfo(
        "SD110",
        "credential-provider-bypasses-endpoint",
        W,
        LOG,
        "A credential provider's own STS call went to another endpoint than the client's.",
        "AssumeRole from a profile (`role_arn`) or AssumeRoleWithWebIdentity (IRSA) creates its own "
        "STS client from the environment, not from the arguments given to your client.",
        "Configure the provider through `AWS_STS_REGIONAL_ENDPOINTS=regional`, `AWS_REGION`/"
        "`AWS_DEFAULT_REGION` or `AWS_ENDPOINT_URL_STS`, not through client arguments.",
    ),
    RuleInfo(
        "SD111",
        "aws-region-ignored-by-botocore",
        W,
        PROBE,
        "`AWS_REGION` is set but botocore, boto3 and AWS CLI v1 read only `AWS_DEFAULT_REGION`.",
        "Python tools still have no region and fall back to the global endpoint.",
        "Also export `AWS_DEFAULT_REGION` with the same value.",
    ),
    RuleInfo(
        "SD112",
        "sdk-config-invalid",
        E,
        PROBE,
        "botocore refuses the configuration: creating an STS client fails before any request.",
        "A setting has a value botocore does not take (`AWS_STS_REGIONAL_ENDPOINTS=true`: only "
        "`legacy` and `regional`, case-sensitive). boto3, the AWS CLI and every credential provider "
        "that makes its own STS client fail with the same error, whatever the network does.",
        "Correct the setting named in the message at its source (`regional` for "
        "`sts_regional_endpoints`), or unset it.",
    ),
    RuleInfo(
        "SD201",
        "dns-resolution-failed",
        E,
        BOTH,
        "The endpoint's host name did not resolve.",
        "NXDOMAIN, SERVFAIL or a resolver timeout. In a VPC, private DNS of an interface endpoint "
        "needs the Amazon resolver (VPC+2) and `enableDnsSupport`/`enableDnsHostnames`.",
        "Check the host name, the resolver in /etc/resolv.conf and the VPC's DNS settings.",
    ),
    RuleInfo(
        "SD202",
        "connect-timeout",
        E,
        BOTH,
        "TCP connections to the endpoint timed out.",
        "Packets are dropped: typically the global endpoint from a private subnet without a NAT "
        "gateway, or a security group / NACL that does not allow 443 to the VPC endpoint.",
        "Use the regional endpoint served by your VPC endpoint, or open the path (NAT, security group, NACL).",
    ),
    RuleInfo(
        "SD203",
        "connection-refused",
        E,
        BOTH,
        "The connection was refused or reset.",
        "Something answered with a reset: a firewall, a proxy, or nothing listening on that address.",
        "Check the address, proxy and firewall rules on the path.",
    ),
    RuleInfo(
        "SD204",
        "read-timeout",
        E,
        BOTH,
        "The endpoint accepted the connection but did not answer in time, or its TLS handshake "
        "never completed.",
        "A middlebox that accepts and stalls, an overloaded proxy, or a very slow path. A TLS "
        "handshake that stalls after the TCP connect (a firewall or DPI box stalling TLS, a "
        "path-MTU black hole) ends the same way for the SDK: urllib3 does the handshake within "
        "the connect timeout and reports a read timeout, which botocore retries.",
        "Check proxies and middleboxes on the path; for a stalled handshake allow TLS to the "
        "endpoint (SNI allow-list) or fix path-MTU discovery; raise `read_timeout` only as a "
        "last resort.",
    ),
    RuleInfo(
        "SD205",
        "vpce-private-dns-off",
        W,
        PROBE,
        "The regional name resolves to public addresses while the VPC endpoint's own name is "
        "private (an info when the SDK is already configured with that name and it works).",
        "Private DNS is not enabled on the interface endpoint (or the VPC's DNS settings hide it), "
        "so SDKs using the regional name leave the VPC.",
        "Enable private DNS on the VPC endpoint, or use its own DNS name as the endpoint URL.",
    ),
    RuleInfo(
        "SD206",
        "vpce-address-unreachable",
        E,
        PROBE,
        "Some, not all, addresses of an endpoint fail: one availability zone's, or one IP "
        "family's (IPv6 or IPv4) of a dual-stack name.",
        "One availability zone's endpoint network interface is blocked (security group, NACL, "
        "route), or this host's path for one IP family is broken, so calls fail intermittently "
        "depending on which address is picked.",
        "Fix the security group / NACL of the named address's subnet, or remove that subnet from "
        "the endpoint; for one IP family, fix its route or security group, or leave "
        "`use_dualstack_endpoint` off.",
    ),
    RuleInfo(
        "SD207",
        "non-amazon-resolver",
        INFO,
        PROBE,
        "The host does not use the Amazon VPC resolver.",
        "Private hosted zones of interface endpoints are only visible through the VPC resolver "
        "(VPC+2 or 169.254.169.253) or a forwarder to it.",
        "Use the VPC resolver or forward `amazonaws.com` to it.",
    ),
    RuleInfo(
        "SD208",
        "retries-exhausted",
        W,
        LOG,
        "The SDK retried until its attempts ran out.",
        "Every attempt failed; the total wait is the sum of all attempts and back-off.",
        "Fix the cause of the first failure; lower `connect_timeout`/`max_attempts` to fail fast.",
    ),
    RuleInfo(
        "SD209",
        "connection-failed",
        E,
        BOTH,
        "The SDK could not connect to the endpoint, for a reason the log does not show.",
        "`EndpointConnectionError` / `Could not connect to the endpoint URL` without a DNS, timeout "
        "or refusal cause in the log (the traceback was cut off, or the SDK hid it).",
        "Re-run with `--debug` and keep the whole traceback; run `stsdiag probe` from the same host.",
    ),
    RuleInfo(
        "SD210",
        "no-answer",
        W,
        LOG,
        "A request was sent and the log ends before any answer or error: the SDK was still "
        "waiting, or the log was cut off.",
        "The last attempt has no HTTP status, no response and no exception. The process was "
        "interrupted or killed while the SDK hung (Ctrl-C, a Lambda `Task timed out`, a CI job "
        "timeout), an asyncio program's own deadline cancelled the request (`asyncio.wait_for`: "
        "its traceback ends in `TimeoutError`), or the log was cut short. The SDK's defaults wait 60 s per connect and per "
        "read, times every attempt, before it fails on its own. When the log itself was cut "
        "off (its last line or record is incomplete, as in a pasted excerpt) the answer may be "
        "in the missing part: the finding is then only an info that says so. It is a reason "
        "for the STS recommendation only when an STS request got no answer.",
        "Find out why the endpoint does not answer (`stsdiag probe` from the same host); make "
        "the SDK fail fast meanwhile: `--cli-connect-timeout 5` or `Config(connect_timeout=5, "
        "retries={'total_max_attempts': 2})`.",
    ),
    RuleInfo(
        "SD211",
        "hosts-file-override",
        INFO,
        PROBE,
        "An STS name resolves, for the SDK, to other addresses than DNS gives for it: from "
        "/etc/hosts, another NSS source or a resolv.conf search domain.",
        "The SDK resolves with the system resolver (`getaddrinfo`), which reads /etc/hosts before "
        "DNS (the `hosts:` line of /etc/nsswitch.conf) and, with `options ndots:N` above the "
        "name's dots (Kubernetes pods: ndots:5), tries the search domains first: a pinned name "
        "or a search domain's wildcard wins whatever DNS says for the name. Pins go stale "
        "silently when the endpoint's addresses change (a VPC endpoint re-created, public STS "
        "addresses rotating).",
        "Nothing to fix while the pinned addresses answer as STS. To stop depending on the pin, "
        "enable private DNS on the VPC endpoint (or set `AWS_ENDPOINT_URL_STS` to its vpce name) "
        "and remove the /etc/hosts line.",
    ),
    RuleInfo(
        "SD301",
        "proxy-error",
        E,
        BOTH,
        "The proxy could not be reached or refused the tunnel.",
        "`ProxyConnectionError`, a CONNECT refused or timed out, or an `https://` proxy URL for a "
        "plain HTTP proxy.",
        "Fix `HTTPS_PROXY`, or add the STS names to `NO_PROXY` when STS is reachable directly.",
    ),
    RuleInfo(
        "SD302",
        "proxy-bypass-missing",
        W,
        BOTH,
        "`HTTPS_PROXY` is set but `NO_PROXY` lacks addresses that must go direct.",
        "IMDS (169.254.169.254) and VPC-endpoint names should not go through a proxy. botocore "
        "reads `NO_PROXY` as Python's urllib does: names, `.suffix` entries and addresses; the "
        "`*.` wildcards and CIDR ranges that curl, Go or requests honour are ignored.",
        "Add them: `export NO_PROXY=169.254.169.254,.amazonaws.com`-style entries as appropriate.",
    ),
    RuleInfo(
        "SD303",
        "tls-verification-failed",
        E,
        BOTH,
        "The TLS certificate could not be verified.",
        "`CERTIFICATE_VERIFY_FAILED`, a host name mismatch or a missing CA bundle file.",
        "Point `AWS_CA_BUNDLE` / `ca_bundle` at a bundle that holds the issuing CA, or fix the path.",
    ),
    RuleInfo(
        "SD304",
        "tls-intercepted",
        E,
        PROBE,
        "The certificate is not issued by Amazon: TLS is intercepted.",
        "A proxy or security gateway re-signs TLS with its own CA.",
        "Set `AWS_CA_BUNDLE` to a bundle with the corporate root, or bypass the proxy with `NO_PROXY`.",
    ),
    RuleInfo(
        "SD305",
        "not-sts-response",
        E,
        PROBE,
        "Something answered that is not STS.",
        "A captive portal, a proxy error page or another service sits on the path.",
        "Find what answers on that address; use the right endpoint or proxy settings.",
    ),
    RuleInfo(
        "SD401",
        "clock-skew",
        E,
        BOTH,
        "The local clock differs from AWS's: signatures are rejected as expired, or will be.",
        "SigV4 signatures are valid for 5 minutes around the server's time.",
        "Synchronise the clock with NTP (chrony or systemd-timesyncd; on EC2 the Amazon Time "
        "Sync Service, 169.254.169.123; under WSL, whose clock stops while the host sleeps: "
        "`sudo hwclock -s`).",
    ),
    RuleInfo(
        "SD402",
        "expired-token",
        E,
        BOTH,
        "The session token has expired.",
        "Temporary credentials (AssumeRole, SSO, web identity) expired.",
        "Refresh the credentials (re-assume the role, `aws sso login`); for web identity, a "
        "fresh token in AWS_WEB_IDENTITY_TOKEN_FILE.",
    ),
    RuleInfo(
        "SD403",
        "invalid-client-token",
        E,
        BOTH,
        "STS does not recognise the access key or session token.",
        "Wrong or deleted keys, or a session token from the global endpoint (v1 token) used in an "
        "opt-in region.",
        "Check the keys; for opt-in regions use regional STS or set the global endpoint token "
        "version to 2 (`aws iam set-security-token-service-preferences`).",
    ),
    RuleInfo(
        "SD404",
        "signature-mismatch",
        E,
        BOTH,
        "The request signature does not match: usually a wrong secret key.",
        "SignatureDoesNotMatch not explained by clock skew or a signing-region mismatch.",
        "Check the secret access key (and that it belongs to the access key id).",
    ),
    RuleInfo(
        "SD405",
        "access-denied",
        E,
        BOTH,
        "STS denied the call.",
        "The role's trust policy, an SCP or the VPC endpoint policy does not allow it.",
        "Check the trust policy of the role, SCPs and the VPC endpoint policy.",
    ),
    RuleInfo(
        "SD406",
        "region-disabled",
        E,
        BOTH,
        "STS is not activated in this region for the account.",
        "RegionDisabledException: regional STS can be deactivated per account.",
        "Activate the region in IAM account settings (Security Token Service regions), or use another region.",
    ),
    RuleInfo(
        "SD407",
        "throttled",
        W,
        BOTH,
        "STS throttled the requests.",
        "Throttling / Rate exceeded / HTTP 429.",
        "Cache credentials, add back-off, spread calls across regional endpoints.",
    ),
    RuleInfo(
        "SD408",
        "invalid-identity-token",
        E,
        BOTH,
        "The web identity token was rejected.",
        "InvalidIdentityToken: the OIDC provider is not registered, the audience or issuer do not match "
        "(IRSA: the cluster's OIDC provider in IAM).",
        "Register the OIDC provider and check the role trust policy's `aud`/`sub` conditions.",
    ),
    RuleInfo(
        "SD409",
        "sts-server-error",
        E,
        BOTH,
        "STS answered a signed call with a server error (HTTP 5xx: InternalFailure, "
        "ServiceUnavailable).",
        "STS itself failed, not the network or the credentials: a transient fault or a regional "
        "event. botocore retries 500, 502, 503 and 504 (legacy retry mode: 5 attempts, standard: "
        "3, with exponential back-off), so callers see slow calls first, then failures.",
        "Retry later and check the AWS Health Dashboard for STS in that region; if it persists, "
        "use another region's STS endpoint (its credentials work in every enabled region).",
    ),
    RuleInfo(
        "SD410",
        "invalid-sts-request",
        E,
        LOG,
        "STS refused the call's parameters (ValidationError, MalformedPolicyDocument, "
        "PackedPolicyTooLarge).",
        "The call reached STS and was authenticated, but asked for what STS does not grant: a "
        "session longer than the role's MaxSessionDuration (1 to 12 hours) or, for a role "
        "assumed with another role's session (role chaining), longer than 1 hour; a session "
        "name or external id outside STS's limits; a session policy or tags too large or not "
        "valid JSON.",
        "Ask for a session STS grants: `duration_seconds` (CLI profile) / `DurationSeconds` at "
        "most the role's MaxSessionDuration (`aws iam get-role`), at most 3600 when chaining "
        "roles; or raise the role's maximum (`aws iam update-role --max-session-duration`).",
    ),
    RuleInfo(
        "SD501",
        "no-credentials",
        E,
        BOTH,
        "No credentials could be found.",
        "No credential provider in the chain supplied credentials.",
        "Configure credentials (environment, profile, instance role, SSO, web identity).",
    ),
    RuleInfo(
        "SD502",
        "imds-unreachable",
        W,
        BOTH,
        "The instance metadata service, or the ECS/EKS container credential endpoint, did not answer.",
        "Off EC2 this is expected. In a container on EC2, an IMDSv2 PUT response hop limit of 1 "
        "drops the token response. botocore's IMDS client takes the environment's proxies: with "
        "HTTP_PROXY set and 169.254.169.254 not in NO_PROXY, metadata requests go to the proxy, "
        "which refuses them or cannot reach this instance's IMDS. In ECS/EKS, the container "
        "credential variables point at an agent that is not there or refuses the task.",
        "On EC2 raise the hop limit (`aws ec2 modify-instance-metadata-options --http-put-response-hop-limit 2`), "
        "add 169.254.169.254 to `NO_PROXY` when a proxy is set, "
        "or set `AWS_EC2_METADATA_DISABLED=true` off EC2; in ECS/EKS check the task role or Pod "
        "Identity association and `AWS_CONTAINER_CREDENTIALS_*`.",
    ),
    RuleInfo(
        "SD503",
        "credentials-source",
        INFO,
        BOTH,
        "Which provider supplied the credentials.",
        "Knowing the provider tells which STS calls the SDK makes on its own.",
        "Nothing to fix.",
    ),
    RuleInfo(
        "SD601",
        "slow-endpoint",
        INFO,
        BOTH,
        "An endpoint is far slower than the best candidate.",
        "Typically the global endpoint, served from far away, versus the local regional one.",
        "Use the faster endpoint.",
    ),
)

BY_CODE: dict[str, RuleInfo] = {r.code: r for r in RULES}
BY_NAME: dict[str, RuleInfo] = {r.name: r for r in RULES}


def lookup(code_or_name: str) -> RuleInfo | None:
    key = code_or_name.strip()
    return BY_CODE.get(key.upper()) or BY_NAME.get(key.lower())


def matches(info: RuleInfo, patterns: tuple[str, ...]) -> bool:
    """`--select/--ignore` semantics: a code prefix (`SD1`, `SD104`) or an exact name."""
    for p in patterns:
        p = p.strip()
        if not p:
            continue
        if info.code.startswith(p.upper()) or info.name == p.lower():
            return True
    return False


def explain(info: RuleInfo) -> str:
    where = {"log": "parse-log", "probe": "probe/check", "both": "parse-log and probe/check"}
    return (
        f"{info.code} {info.name} ({info.severity.value}; {where[info.where.value]})\n\n"
        f"{info.summary}\n\nWhy: {info.why}\n\nFix: {info.fix}\n"
    )


def markdown_table() -> str:
    rows = ["| code | name | severity | where | what |", "|---|---|---|---|---|"]
    for r in RULES:
        rows.append(f"| {r.code} | {r.name} | {r.severity.value} | {r.where.value} | {r.summary} |")
    return "\n".join(rows) + "\n"


# OpenSSL's complaints under X509_V_FLAG_X509_STRICT, which Python 3.13's default TLS context
# sets (and urllib3 2.x's there; botocore's own context does not, up to 1.44 at least)
_STRICT_TLS = re.compile(
    r"Missing (?:Authority|Subject) Key Identifier|Basic Constraints of CA cert not marked critical|"
    r"CA cert does not include key usage extension|key identifier extension marked critical|"
    r"explicit ECC parameters|Subject empty and Subject Alt Name extension is empty",
    re.IGNORECASE,
)


def strict_tls_fix(text: str) -> str | None:
    """The fix for a verification failure that only strict checking finds, else None."""
    m = _STRICT_TLS.search(text)
    if m is None:
        return None
    return (
        f"The chain fails strict certificate checks ({m.group(0)}), which this client applies "
        "(Python 3.13's default TLS context does, and urllib3 2.x's there; botocore's own "
        "does not). It is typically a TLS-intercepting proxy's or a private CA's certificate: "
        "reissue it with the missing extension (key identifiers, critical basic constraints, "
        "key usage), or send AWS traffic past the proxy (`NO_PROXY`). Adding it to "
        "`AWS_CA_BUNDLE` does not help."
    )
