"""Typed data shared by every module: findings, evidence, recommendation, log requests,
probe results and the report. Frozen dataclasses and str enums only; no logic with I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

from stsdiag.enums import (
    AddressClass,
    ErrorKind,
    ExitStatus,
    FailOn,
    Layer,
    OutputFormat,
    Severity,
    Status,
    TargetKind,
    Via,
    Where,
)

__all__ = [
    "AddressClass",
    "ErrorKind",
    "ExitStatus",
    "FailOn",
    "Layer",
    "OutputFormat",
    "Severity",
    "Status",
    "TargetKind",
    "Via",
    "Where",
]


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a finding fired: a log line (number + redacted excerpt) or a probe result."""

    excerpt: str
    line: int | None = None
    endpoint: str | None = None
    address: str | None = None
    layer: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    fix: str
    evidence: tuple[Evidence, ...] = ()
    # how many times the rule matched in all (evidence is capped)
    count: int = 1


@dataclass(frozen=True, slots=True)
class Hit:
    """One match of a rule, before grouping into findings. severity/fix None = registry's."""

    code: str
    message: str
    evidence: tuple[Evidence, ...]
    severity: Severity | None = None
    fix: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceEndpoint:
    service: str
    region: str
    url: str


@dataclass(frozen=True, slots=True)
class Recommendation:
    region: str | None
    endpoint_url: str | None
    via: Via | None
    reasons: tuple[str, ...]
    settings: tuple[str, ...] = ()
    config_snippet: str = ""
    cli: str = ""
    other_endpoints: tuple[ServiceEndpoint, ...] = ()
    note: str = ""


# --------------------------------------------------------------------------- log side


@dataclass(frozen=True, slots=True)
class LineRef:
    """A log line that carries one fact: tag names the fact, excerpt is redacted."""

    line: int
    tag: str
    excerpt: str


@dataclass(frozen=True, slots=True)
class Attempt:
    number: int
    line: int
    host: str | None = None
    proxy: str | None = None
    status: int | None = None
    error: ErrorKind | None = None
    error_text: str = ""
    time: float | None = None
    answered: bool = False  # a status, response, or error was logged for it


@dataclass(frozen=True, slots=True)
class LogRequest:
    index: int
    first_line: int
    last_line: int
    thread: str | None = None
    service: str | None = None
    operation: str | None = None
    client_region: str | None = None
    param_region: str | None = None
    use_global_endpoint: bool | None = None
    use_fips: bool | None = None
    use_dualstack: bool | None = None
    endpoint_override: str | None = None
    endpoint_result: str | None = None
    url: str | None = None
    host: str | None = None
    signing_region: str | None = None
    signing_service: str | None = None
    access_key: str | None = None  # masked
    resource_regions: tuple[str, ...] = ()
    proxy: str | None = None
    attempts: tuple[Attempt, ...] = ()
    http_status: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    started: float | None = None
    ended: float | None = None
    retries_exhausted: bool = False
    by_credential_provider: bool = False
    refs: tuple[LineRef, ...] = ()

    @property
    def duration_s(self) -> float | None:
        if self.started is None or self.ended is None:
            return None
        return max(0.0, self.ended - self.started)

    def ref(self, *tags: str) -> LineRef | None:
        """The first line with the first of `tags` that the request has (tags in priority order)."""
        for t in tags:
            for r in self.refs:
                if r.tag == t:
                    return r
        return None


@dataclass(frozen=True, slots=True)
class LogFacts:
    """What the whole log says beyond single requests."""

    source: str
    lines: int
    records: int
    sdk_records: int
    formats: tuple[str, ...] = ()
    versions: tuple[str, ...] = ()
    credential_source: str | None = None
    events: tuple[LineRef, ...] = ()  # log-level facts (no-credentials, imds, no-region, legacy…)
    truncated: bool = False
    region_hint: str | None = None
    debug_records: int = -1  # SDK records at DEBUG level (-1: not counted)


# --------------------------------------------------------------------------- probe side


@dataclass(frozen=True, slots=True)
class Setting:
    """A configuration value with where it came from (as `aws configure list`)."""

    name: str
    value: str | None
    source: str


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    host: str
    port: int
    kind: TargetKind
    region: str | None
    partition: str | None
    signing_region: str | None
    sdk_would_use: bool = False
    # the proxy the SDK would send this endpoint through (HTTPS_PROXY minus NO_PROXY), if any
    proxy: str | None = None


@dataclass(frozen=True, slots=True)
class LayerResult:
    layer: Layer
    status: Status
    ms: float | None = None
    detail: str = ""
    error: ErrorKind | None = None
    # free-form, JSON-safe facts (issuer, expiry, server date, account, arn …)
    data: tuple[tuple[str, str], ...] = ()

    def get(self, key: str) -> str | None:
        for k, v in self.data:
            if k == key:
                return v
        return None


@dataclass(frozen=True, slots=True)
class AddressResult:
    address: str
    family: int
    classification: AddressClass
    layers: tuple[LayerResult, ...]


@dataclass(frozen=True, slots=True)
class EndpointResult:
    target: Target
    dns: LayerResult
    addresses: tuple[AddressResult, ...] = ()
    cname_chain: tuple[str, ...] = ()
    resolver: str = "system"
    # probe verdict per endpoint: ok (every probed address answered as STS), partial, fail;
    # and the path that worked (vpc-endpoint / public / proxy), None when nothing did
    status: str = ""
    via: Via | None = None


@dataclass(frozen=True, slots=True)
class HostContext:
    settings: tuple[Setting, ...]
    botocore_version: str
    sdk_endpoint: str | None
    imds: tuple[Setting, ...] = ()
    resolvers: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def get(self, name: str) -> Setting | None:
        for s in self.settings + self.imds:
            if s.name == name:
                return s
        return None


# --------------------------------------------------------------------------- report


@dataclass(frozen=True, slots=True)
class ExpectationResult:
    """One asserted expectation of `stsdiag check` (e.g. `--expect-region ap-northeast-1`)."""

    name: str  # the option, e.g. "expect-region"
    expected: str
    actual: str
    passed: bool
    message: str = ""
    fix: str = ""


@dataclass(frozen=True, slots=True)
class Report:
    command: str
    findings: tuple[Finding, ...]
    recommendation: Recommendation | None
    fail_on: FailOn = FailOn.ERROR
    requests: tuple[LogRequest, ...] = ()
    requests_total: int = 0
    log: LogFacts | None = None
    endpoints: tuple[EndpointResult, ...] = ()
    context: HostContext | None = None
    extra: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    expectations: tuple[ExpectationResult, ...] = ()

    def fails(self, f: Finding) -> bool:
        """The finding is at or above `--fail-on`."""
        return f.severity.rank >= self.fail_on.rank

    @property
    def exit_status(self) -> ExitStatus:
        if any(self.fails(f) for f in self.findings):
            return ExitStatus.FINDINGS
        if any(not e.passed for e in self.expectations):
            return ExitStatus.FINDINGS
        return ExitStatus.OK
