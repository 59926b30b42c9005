"""`stsdiag check`, pure: the settings (expectations file merged under the command line),
the evaluation of expectations over a probe `Report`, and the retry loop (clock injected).

What each expectation reads from the probe:

* the SDK's endpoint: the system-resolver endpoint marked `sdk_would_use` (botocore's own
  endpoint resolution for `sts.get_caller_identity()` with the current configuration);
* the recommended endpoint: `report.recommendation.endpoint_url`;
* the identity: the first successful GetCallerIdentity (SDK's endpoint, then the
  recommended one, then any);
* the clock: the largest |server Date - local clock| over every HTTPS answer.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from enum import Enum
from typing import TYPE_CHECKING, Any

from stsdiag.enums import BLOCKING
from stsdiag.errors import UsageError
from stsdiag.models import (
    AddressClass,
    EndpointResult,
    ExpectationResult,
    FailOn,
    Layer,
    LayerResult,
    Report,
    Status,
    TargetKind,
    Via,
)
from stsdiag.probes import proxy_label

if TYPE_CHECKING:
    from stsdiag.probe import ProbeOptions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

DEFAULT_MAX_CLOCK_SKEW_S = 60.0
MAX_RETRIES = 10
ENDPOINT_KINDS = ("regional", "vpce", "global")


@dataclass(frozen=True, slots=True)
class CheckSettings:
    """Everything `check` can be told, from the command line or the expectations file. None
    (or an empty tuple for lists) = not given; `merged` lays one source over another."""

    expect_account: str | None = None
    expect_arn: str | None = None
    expect_region: str | None = None
    expect_endpoint: str | None = None
    require_private: bool | None = None
    max_latency_ms: float | None = None
    max_clock_skew_s: float | None = None
    role_arn: str | None = None
    retries: int | None = None
    fail_on: FailOn | None = None
    # probe options
    region: tuple[str, ...] = ()
    profile: str | None = None
    endpoint_url: str | None = None
    vpce_dns: tuple[str, ...] = ()
    variants: bool | None = None
    nameserver: tuple[str, ...] = ()
    ca_bundle: str | None = None
    external_id: str | None = None
    role_session_name: str | None = None
    timeout: float | None = None
    total_timeout: float | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def merged(self, over: CheckSettings) -> CheckSettings:
        """`over`'s given values win (the command line over the file)."""
        changes = {
            f.name: getattr(over, f.name)
            for f in fields(self)
            if getattr(over, f.name) not in (None, ())
        }
        return replace(self, **changes)

    @property
    def expectations(self) -> Expectations:
        return Expectations(
            account=self.expect_account,
            arn=self.expect_arn,
            region=self.expect_region,
            endpoint=self.expect_endpoint,
            require_private=bool(self.require_private),
            max_latency_ms=self.max_latency_ms,
            max_clock_skew_s=(
                DEFAULT_MAX_CLOCK_SKEW_S if self.max_clock_skew_s is None else self.max_clock_skew_s
            ),
            role_arn=self.role_arn,
        )


@dataclass(frozen=True, slots=True)
class Expectations:
    account: str | None = None
    arn: str | None = None  # a glob
    region: str | None = None
    endpoint: str | None = None  # regional | vpce | global | URL
    require_private: bool = False
    max_latency_ms: float | None = None
    max_clock_skew_s: float = DEFAULT_MAX_CLOCK_SKEW_S
    role_arn: str | None = None


# --------------------------------------------------------------------------- values

_ACCOUNT = re.compile(r"^\d{12}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")


class ValueKind(str, Enum):
    STR = "str"
    BOOL = "bool"
    NUM = "number"
    INT = "int"
    LIST = "list"
    FAIL_ON = "fail-on"


_STR, _BOOL, _NUM, _INT, _LIST, _FAIL_ON = ValueKind

# file key -> kind; the keys are the command-line option names, the fields the same
# names with underscores (`_field`)
KEYS: dict[str, ValueKind] = {
    "expect-account": _STR,
    "expect-arn": _STR,
    "expect-region": _STR,
    "expect-endpoint": _STR,
    "require-private": _BOOL,
    "max-latency-ms": _NUM,
    "max-clock-skew-s": _NUM,
    "role-arn": _STR,
    "retries": _INT,
    "fail-on": _FAIL_ON,
    "region": _LIST,
    "profile": _STR,
    "endpoint-url": _STR,
    "vpce-dns": _LIST,
    "variants": _BOOL,
    "nameserver": _LIST,
    "ca-bundle": _STR,
    "external-id": _STR,
    "role-session-name": _STR,
    "timeout": _NUM,
    "total-timeout": _NUM,
    "select": _LIST,
    "ignore": _LIST,
}


def _field(key: str) -> str:
    """The settings field of a file key / option name."""
    return key.replace("-", "_")


def value_problem(key: str, value: Any) -> str | None:
    """Why `value` is not acceptable for option `key` (None: it is). Shared by the file and
    the command line, so both say the same thing."""
    from stsdiag import endpoints

    if key == "expect-account" and not _ACCOUNT.match(value):
        return f"must be a 12-digit account id (quoted in TOML), not {value!r}"
    if key in ("expect-region", "region") and (why := endpoints.region_problem(value)):
        return why
    if key == "expect-endpoint" and value not in ENDPOINT_KINDS:
        if "://" not in value:
            return f"must be regional, vpce, global or an https:// URL, not {value!r}"
        from stsdiag.plan import parse_endpoint_url

        try:
            parse_endpoint_url(value)
        except UsageError as e:
            return str(e)
    if key == "expect-arn" and not value.startswith("arn:"):
        return f"must be an ARN glob starting with 'arn:', not {value!r}"
    if key == "role-arn" and not _ROLE_ARN.match(value):
        return f"must be an IAM role ARN (arn:aws:iam::123456789012:role/NAME), not {value!r}"
    if key == "max-latency-ms" and not value > 0:
        return f"must be a positive number of milliseconds, not {value:g}"
    if key == "max-clock-skew-s" and not value >= 0:
        return f"must be a number of seconds >= 0, not {value:g}"
    if key == "retries" and not 0 <= value <= MAX_RETRIES:
        return f"must be between 0 and {MAX_RETRIES}, not {value}"
    if key == "timeout" and not 0 < value <= 120:
        return f"must be between 0 and 120 seconds, not {value:g}"
    if key == "total-timeout" and not 0 < value <= 600:
        return f"must be between 0 and 600 seconds, not {value:g}"
    if key in ("select", "ignore"):
        from stsdiag.rules.registry import RULES, matches

        if not any(matches(r, (value,)) for r in RULES):
            return f"{value!r} matches no finding code or name"
    return None


def check_value(key: str, value: Any, where: str) -> None:
    """UsageError `WHERE: why` when a given value (or any item of a list) is bad."""
    for v in value if isinstance(value, tuple) else (value,):
        why = None if v is None or isinstance(v, bool | FailOn) else value_problem(key, v)
        if why:
            raise UsageError(f"{where}: {why}")


def validate(settings: CheckSettings) -> None:
    """Command-line values: UsageError naming the option."""
    for key in KEYS:
        check_value(key, getattr(settings, _field(key)), f"--{key}")


def _coerce(key: str, kind: ValueKind, raw: Any) -> Any:
    """A TOML value as the field's type, or a one-line reason."""
    if kind == _STR:
        if not isinstance(raw, str) or not raw.strip():
            hint = " (quote it)" if key == "expect-account" and isinstance(raw, int) else ""
            raise ValueError(f"must be a non-empty string{hint}, not {raw!r}")
        return raw.strip()
    if kind == _BOOL:
        if not isinstance(raw, bool):
            raise ValueError(f"must be true or false, not {raw!r}")
        return raw
    if kind == _NUM:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise ValueError(f"must be a number, not {raw!r}")
        return float(raw)
    if kind == _INT:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError(f"must be an integer, not {raw!r}")
        return raw
    if kind == _FAIL_ON:
        try:
            return FailOn(str(raw).lower())
        except ValueError:
            choices = ", ".join(f.value for f in FailOn)
            raise ValueError(f"must be one of {choices}, not {raw!r}") from None
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
        raise ValueError(f"must be a string or a list of strings, not {raw!r}")
    return listed(items)


def parse_table(table: Mapping[str, Any], source: str) -> CheckSettings:
    """The keys of an expectations table → settings; UsageError `SOURCE: KEY: why`."""
    values: dict[str, Any] = {}
    for raw_key, raw in table.items():
        key = raw_key.replace("_", "-")
        if key not in KEYS:
            close = difflib.get_close_matches(key, list(KEYS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UsageError(f"{source}: {raw_key}: unknown key{hint}")
        try:
            values[_field(key)] = _coerce(key, KEYS[key], raw)
        except ValueError as e:
            raise UsageError(f"{source}: {raw_key}: {e}") from None
        check_value(key, values[_field(key)], f"{source}: {raw_key}")
    return CheckSettings(**values)


def _toml_key(text: str, error: str) -> str:
    """`KEY: ` for the key on the line a TOML error points at (empty when there is none)."""
    lines = text.splitlines()
    m = re.search(r"at line (\d+)", error)
    if m and 0 < int(m.group(1)) <= len(lines):
        line = lines[int(m.group(1)) - 1]
    elif "end of document" in error:
        line = next((ln for ln in reversed(lines) if "=" in ln), "")
    else:
        return ""
    key = line.split("=", 1)[0].strip().strip("\"'") if "=" in line else ""
    return f"{key}: " if key and len(key) <= 40 else ""


def parse_toml(text: str, source: str, *, pyproject: bool, required: bool = True) -> CheckSettings:
    """An expectations file: the whole document (stsdiag.toml) or its `[tool.stsdiag]` table
    (pyproject.toml; absent → empty settings unless `required`)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{source}: {_toml_key(text, str(e))}invalid TOML: {e}") from None
    if pyproject:
        table = doc.get("tool", {}).get("stsdiag") if isinstance(doc.get("tool"), dict) else None
        if table is None:
            if required:
                raise UsageError(f"{source}: no [tool.stsdiag] table")
            return CheckSettings()
        if not isinstance(table, dict):
            raise UsageError(f"{source}: tool.stsdiag: must be a table")
        return parse_table(table, source)
    return parse_table(doc, source)


# --------------------------------------------------------------------------- evaluation


def _system(report: Report) -> list[EndpointResult]:
    return [ep for ep in report.endpoints if ep.resolver == "system"]


def sdk_endpoint(report: Report) -> EndpointResult | None:
    """The endpoint botocore would use now (resolved through the system resolver)."""
    return next((ep for ep in _system(report) if ep.target.sdk_would_use), None)


def recommended_endpoint(report: Report) -> EndpointResult | None:
    rec = report.recommendation
    if rec is None or rec.endpoint_url is None:
        return None
    url = rec.endpoint_url.rstrip("/")
    return next((ep for ep in _system(report) if ep.target.url.rstrip("/") == url), None)


def _sts(ep: EndpointResult, operation: str) -> list[LayerResult]:
    return [
        r
        for a in ep.addresses
        for r in a.layers
        if r.layer is Layer.STS and r.get("operation") == operation
    ]


def _probed(ep: EndpointResult) -> list[str]:
    from stsdiag.rules.probe import direct_addresses

    return [a.address for a in direct_addresses(ep)]


def _identity(report: Report) -> LayerResult | None:
    order = [sdk_endpoint(report), recommended_endpoint(report), *_system(report)]
    for ep in order:
        if ep is None:
            continue
        for r in _sts(ep, "GetCallerIdentity"):
            if r.status is Status.OK and r.get("arn"):
                return r
    return None


def _why_no_identity(report: Report) -> str:
    tried = [r for ep in _system(report) for r in _sts(ep, "GetCallerIdentity")]
    bad = next((r for r in tried if r.status is not Status.OK), None)
    if bad is not None:
        return f"no GetCallerIdentity succeeded ({bad.detail})"
    return "no GetCallerIdentity succeeded (no endpoint answered, or no credentials)"


def _settings_fix(report: Report) -> str:
    rec = report.recommendation
    if rec is None or not rec.settings:
        return "See the findings."
    return "; ".join(rec.settings)


def _result(name: str, expected: str, actual: str, passed: bool, message: str = "",
            fix: str = "") -> ExpectationResult:  # fmt: skip
    return ExpectationResult(name, expected, actual, passed, message, "" if passed else fix)


def _account(report: Report, want: str) -> ExpectationResult:
    ident = _identity(report)
    if ident is None:
        return _result("expect-account", want, "unknown", False, _why_no_identity(report),
                       "Make the credentials work first (see the findings).")  # fmt: skip
    got = ident.get("account") or ""
    return _result("expect-account", want, got, got == want,
                   f"the caller is {ident.get('arn')}",
                   f"Use credentials of account {want}: check AWS_PROFILE, the role the job "
                   "assumes, or the pod's service account.")  # fmt: skip


def _arn(report: Report, pattern: str) -> ExpectationResult:
    ident = _identity(report)
    if ident is None:
        return _result("expect-arn", pattern, "unknown", False, _why_no_identity(report),
                       "Make the credentials work first (see the findings).")  # fmt: skip
    got = ident.get("arn") or ""
    ok = fnmatch.fnmatchcase(got, pattern)
    return _result("expect-arn", pattern, got, ok,
                   "" if ok else f"the caller's ARN does not match {pattern}",
                   "Run with the expected identity (role, profile or service account).")  # fmt: skip


def _region(report: Report, want: str) -> ExpectationResult:
    ctx = report.context
    setting = ctx.get("region") if ctx is not None else None
    got = setting.value if setting is not None and setting.value else None
    src = f" (from {setting.source})" if setting is not None and got else ""
    msg = f"the SDK's region is {got}{src}" if got else "no region is configured"
    return _result("expect-region", want, got or "<unset>", got == want, msg,
                   f"export AWS_DEFAULT_REGION={want} AWS_REGION={want} "
                   f"(or `region = {want}` in the profile)")  # fmt: skip


def _first_problem(ep: EndpointResult) -> str:
    for a in ep.addresses:
        for r in a.layers:
            if r.status in BLOCKING:
                return f"{a.address} {r.layer.value}: {r.detail}"
    return ""


def _works(ep: EndpointResult) -> tuple[bool, str]:
    """Every probed address answered as STS and no signed call failed there; or one IP
    family's addresses all fail and the SDK gets through anyway without waiting a connect
    timeout (it connects in getaddrinfo's order and moves on when a connect fails: SD206 is
    then a warning in the probe too)."""
    from stsdiag.rules.probe import direct_addresses, family_split, sdk_path

    host = ep.target.host
    n = len(_probed(ep))
    path = sdk_path(ep)
    split = family_split(ep)
    if (
        ep.status == "partial"
        and split is not None
        and path.unhindered
        and path.lands is not None
        and any(r.layer is Layer.HTTPS and r.status is Status.OK for r in path.lands.layers)
    ):
        failed = next(
            (r for r in path.lands.layers if r.layer is Layer.STS and r.status in BLOCKING), None
        )
        if failed is not None:
            return False, f"{host}: {failed.detail}"
        fam = 6 if split[0] == "IPv6" else 4
        bad = [a.address for a in direct_addresses(ep) if a.family == fam]
        how = (f"{host} answered on {path.lands.address}, where the SDK's connection lands; its "
               f"{split[0]} address(es) {', '.join(bad)} fail (this host's {split[0]} path, SD206)")  # fmt: skip
        if path.through:
            how += f", which costs the SDK {path.fast_ms:.0f} ms per new connection"
        return True, how
    if ep.status != "ok":
        if ep.dns.status is not Status.OK:
            return False, f"{host} did not resolve: {ep.dns.detail}"
        if not n:
            return False, f"{host}: no address was probed in time"
        ok_n = sum(
            1
            for a in ep.addresses
            if any(r.layer is Layer.HTTPS and r.status is Status.OK for r in a.layers)
        )
        return False, f"{host}: {ok_n} of {n} addresses answered as STS ({_first_problem(ep)})"
    failed = next(
        (
            r
            for a in ep.addresses
            for r in a.layers
            if r.layer is Layer.STS and r.status in BLOCKING
        ),
        None,
    )
    if failed is not None:
        return False, f"{host}: {failed.detail}"
    return True, f"{host} answered on {n} address(es)"


def _kind_ok(ep: EndpointResult, want: str) -> bool:
    """regional: the regional name (also when private DNS sends it to a VPC endpoint), or its
    FIPS / dual-stack variant (`use_fips_endpoint`, `use_dualstack_endpoint`: still the
    region's own endpoint); vpce: a VPC endpoint's own name, or any name answered from
    VPC-endpoint addresses."""
    kind = ep.target.kind
    if want == "vpce":
        return kind is TargetKind.VPCE or ep.via is Via.VPC_ENDPOINT
    if want == "regional":
        return kind in (TargetKind.REGIONAL, TargetKind.FIPS, TargetKind.DUALSTACK)
    if want in ENDPOINT_KINDS:
        return kind.value == want
    return _same_url(ep.target.url, want)


def _label(ep: EndpointResult) -> str:
    via = (
        " via vpc-endpoint"
        if ep.via is Via.VPC_ENDPOINT and ep.target.kind is not TargetKind.VPCE
        else ""
    )
    return f"{ep.target.kind.value}{via} {ep.target.url}"


def _same_url(a: str, b: str) -> bool:
    from stsdiag.plan import parse_endpoint_url

    try:
        return parse_endpoint_url(a) == parse_endpoint_url(b)
    except UsageError:
        return a.rstrip("/").lower() == b.rstrip("/").lower()


def _no_sdk_endpoint(report: Report) -> str:
    ctx = report.context
    if ctx is not None and ctx.sdk_endpoint:
        return f"the SDK's endpoint {ctx.sdk_endpoint} was not probed"
    refused = next((f for f in report.findings if f.code == "SD112"), None)
    if refused is not None and refused.evidence:  # the error botocore raised (SD112)
        return f"botocore creates no STS client with the current configuration ({refused.evidence[0].excerpt.removeprefix('sdk_endpoint: ')})"
    return "botocore resolves no STS endpoint with the current configuration"


def _endpoint(report: Report, want: str) -> ExpectationResult:
    ep = sdk_endpoint(report)
    if ep is None:
        return _result("expect-endpoint", want, "none", False, _no_sdk_endpoint(report),
                       _settings_fix(report))  # fmt: skip
    kind_ok = _kind_ok(ep, want)
    actual = _label(ep)
    works, how = _works(ep)
    rec = recommended_endpoint(report)
    fix = (
        _settings_fix(report)
        if not kind_ok and rec is not None and _kind_ok(rec, want) and _works(rec)[0]
        else "See the findings: no working endpoint of this kind was found."
        if not kind_ok
        else "The SDK already uses this endpoint: see the findings for why it does not work."
    )
    if not kind_ok:
        msg = f"with the current configuration the SDK would use {actual}"
        if not works:
            msg += f", which does not work either: {how}"
    else:
        msg = how
    return _result("expect-endpoint", want, actual, kind_ok and works, msg, fix)


def _private(report: Report) -> ExpectationResult:
    ep = sdk_endpoint(report)
    want = "vpc-endpoint"
    if ep is None:
        return _result("require-private", want, "none", False, _no_sdk_endpoint(report),
                       _settings_fix(report))  # fmt: skip
    rec = report.recommendation
    fix = (
        _settings_fix(report)
        if rec is not None and rec.via is Via.VPC_ENDPOINT
        else "Create an interface VPC endpoint for STS with private DNS enabled in this VPC "
        "(or set AWS_ENDPOINT_URL_STS to its vpce name) and use the regional endpoint."
    )
    probed = [a for a in ep.addresses if a.address in _probed(ep)]
    public = [a.address for a in probed if a.classification is not AddressClass.VPC_PRIVATE]
    host = ep.target.host
    if ep.target.proxy:
        return _result("require-private", want, "proxy", False,
                       f"the SDK would reach {host} through the {proxy_label(ep.target.proxy)}", fix)  # fmt: skip
    if not probed:
        return _result("require-private", want, "unresolved", False, _works(ep)[1], fix)
    if public:
        return _result("require-private", want, "public", False,
                       f"{host} resolves to non-VPC addresses: {', '.join(public)}", fix)  # fmt: skip
    works, how = _works(ep)
    actual = "vpc-endpoint" if works else "vpc-endpoint (not working)"
    addrs = ", ".join(a.address for a in probed)
    return _result("require-private", want, actual, works,
                   f"{host} resolves to private {addrs}" + ("" if works else f"; {how}"), fix)  # fmt: skip


def _latency(report: Report, limit: float) -> ExpectationResult:
    want = f"<= {limit:g} ms"
    ep = recommended_endpoint(report)
    if ep is None:
        return _result("max-latency-ms", want, "unknown", False,
                       "no recommended endpoint: nothing answered", "See the findings.")  # fmt: skip
    ms = [r.ms for r in _sts(ep, "GetCallerIdentity") if r.status is Status.OK and r.ms is not None]
    if not ms:
        return _result("max-latency-ms", want, "unknown", False,
                       f"no signed call answered at {ep.target.host}",
                       "Make the signed call work first (see the findings).")  # fmt: skip
    worst = max(ms)
    msg = f"GetCallerIdentity at {ep.target.host}: slowest {worst:.0f} ms of {len(ms)} address(es)"
    return _result("max-latency-ms", want, f"{worst:.0f} ms", worst <= limit, msg,
                   "Use a closer endpoint (the regional one, through a VPC endpoint) and check "
                   "the network path; see SD601 slow-endpoint.")  # fmt: skip


def _clock(report: Report, limit: float) -> ExpectationResult:
    want = f"<= {limit:g} s"
    offsets = [
        (float(v), ep.target.host)
        for ep in _system(report)
        for a in ep.addresses
        for r in a.layers
        if r.layer is Layer.HTTPS and (v := r.get("clock_offset_s")) is not None
    ]
    if not offsets:
        return _result("max-clock-skew-s", want, "unknown", False,
                       "not measured: no STS endpoint answered with a Date header",
                       "Make an STS endpoint reachable first (see the findings).")  # fmt: skip
    off, host = max(offsets, key=lambda o: abs(o[0]))
    side = "behind" if off > 0 else "ahead of"
    return _result("max-clock-skew-s", want, f"{abs(off):.0f} s", abs(off) <= limit,
                   f"the local clock is {abs(off):.0f} s {side} {host}'s Date header",
                   "Synchronise the clock (chrony with the Amazon Time Sync Service, "
                   "169.254.169.123, or NTP).")  # fmt: skip


def _role(report: Report, role_arn: str) -> ExpectationResult:
    ep = recommended_endpoint(report)
    fix = (f"Allow the caller in {role_arn}'s trust policy (and in the VPC endpoint's policy, if "
           "any); check --external-id.")  # fmt: skip
    if ep is None:
        return _result("role-arn", role_arn, "unknown", False,
                       "no recommended endpoint: nothing answered", "See the findings.")  # fmt: skip
    tried = _sts(ep, "AssumeRole")
    if not tried:
        gci = next((r for r in _sts(ep, "GetCallerIdentity") if r.status is not Status.OK), None)
        why = f"GetCallerIdentity failed first: {gci.detail}" if gci else "AssumeRole not tried"
        return _result("role-arn", role_arn, "not tried", False, f"{ep.target.host}: {why}",
                       "Make the signed call work first (see the findings).")  # fmt: skip
    bad = [r for r in tried if r.status is not Status.OK]
    if bad:
        code = bad[0].get("error_code") or bad[0].status.value
        return _result("role-arn", role_arn, code, False,
                       f"{ep.target.host}: {bad[0].detail}", fix)  # fmt: skip
    return _result("role-arn", role_arn, tried[0].get("arn") or "assumed", True,
                   f"AssumeRole succeeded at {ep.target.host} on {len(tried)} address(es)")  # fmt: skip


def evaluate(report: Report, exp: Expectations) -> tuple[ExpectationResult, ...]:
    """The expectations, in a stable order, each with its verdict over the probe report."""
    out: list[ExpectationResult] = []
    if exp.account is not None:
        out.append(_account(report, exp.account))
    if exp.arn is not None:
        out.append(_arn(report, exp.arn))
    if exp.region is not None:
        out.append(_region(report, exp.region))
    if exp.endpoint is not None:
        out.append(_endpoint(report, exp.endpoint))
    if exp.require_private:
        out.append(_private(report))
    if exp.max_latency_ms is not None:
        out.append(_latency(report, exp.max_latency_ms))
    out.append(_clock(report, exp.max_clock_skew_s))
    if exp.role_arn is not None:
        out.append(_role(report, exp.role_arn))
    return tuple(out)


# --------------------------------------------------------------------------- retries


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    number: int
    of: int
    passed: bool
    failed: tuple[str, ...]  # failed expectation names and finding codes
    retry_in_s: float | None  # None: no further attempt

    def line(self) -> str:
        if self.passed:
            return f"attempt {self.number} of {self.of}: passed"
        text = f"attempt {self.number} of {self.of}: failed ({', '.join(self.failed)})"
        if self.retry_in_s is not None:
            text += f"; retrying in {self.retry_in_s:g} s"
        return text


def backoff_s(attempt: int) -> float:
    """Short back-off after a failed attempt: 1, 2, 4, 8, 8, … seconds."""
    return float(min(2 ** (attempt - 1), 8))


def _failed(report: Report) -> tuple[str, ...]:
    names = [e.name for e in report.expectations if not e.passed]
    names += [f.code for f in report.findings if report.fails(f)]
    return tuple(dict.fromkeys(names))


def run_checks(
    probe: Callable[[], Report],
    exp: Expectations,
    *,
    retries: int = 0,
    sleep: Callable[[float], None],
    on_attempt: Callable[[AttemptOutcome], None] | None = None,
) -> Report:
    """Probe, evaluate; on failure back off and try again, at most `retries` more times.
    Returns the last attempt's report (command `check`), with every attempt in `extra`."""
    total = 1 + max(0, min(retries, MAX_RETRIES))
    lines: list[str] = []
    report: Report | None = None
    for n in range(1, total + 1):
        base = probe()
        report = replace(base, command="check", expectations=evaluate(base, exp))
        passed = int(report.exit_status) == 0
        wait = None if passed or n == total else backoff_s(n)
        outcome = AttemptOutcome(n, total, passed, _failed(report), wait)
        lines.append(outcome.line())
        if on_attempt is not None:
            on_attempt(outcome)
        if wait is None:
            break
        sleep(wait)
    assert report is not None
    if total == 1:
        return report
    return replace(report, extra=(*report.extra, ("attempts", "; ".join(lines))))


def probe_options(s: CheckSettings) -> ProbeOptions:
    """The settings as the probe's options (the same options as `stsdiag probe`)."""
    from stsdiag.probe import ProbeOptions

    base = ProbeOptions()
    return ProbeOptions(
        regions=s.region,
        profile=s.profile,
        endpoint_url=s.endpoint_url,
        vpce_names=s.vpce_dns,
        variants=bool(s.variants),
        nameservers=s.nameserver,
        ca_bundle=s.ca_bundle,
        role_arn=s.role_arn,
        external_id=s.external_id,
        role_session_name=s.role_session_name or base.role_session_name,
        timeout=base.timeout if s.timeout is None else s.timeout,
        total=s.total_timeout,
        fail_on=s.fail_on or FailOn.ERROR,
        select=s.select,
        ignore=s.ignore,
    )


def listed(values: Iterable[str] | None) -> tuple[str, ...]:
    """Repeatable, comma-separated option values → a flat tuple."""
    return tuple(p.strip() for v in values or () for p in v.split(",") if p.strip())
