"""Report → human text: requests (parse-log) or endpoints (probe), findings, recommendation."""

from __future__ import annotations

from datetime import datetime, timezone

from tabulate import tabulate

from stsdiag.models import LogRequest, Recommendation, Report
from stsdiag.redact import redact
from stsdiag.report import counted

MAX_ROWS = 40


def _ts(t: float | None) -> str:
    if t is None:
        return ""
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%H:%M:%S.%f")[:-3]


def _outcome(r: LogRequest, cut: bool = False, no_debug: bool = False) -> str:
    if r.error_code:
        if r.http_status is not None and 200 <= r.http_status < 300 and len(r.attempts) > 1:
            # an earlier try's error (S3's PermanentRedirect before the redirect, a
            # throttle before the retry): the call succeeded
            return f"{r.http_status} (after {r.error_code})"
        return f"{r.http_status or ''} {r.error_code}".strip()
    errs = [a.error.value for a in r.attempts if a.error is not None]
    if errs:
        return errs[-1] + (f" ×{len(errs)}" if len(errs) > 1 else "")
    if r.http_status:
        return str(r.http_status)
    if _waiting(r):
        # sent; the log ends before a response or an error (SD210), or was cut off first
        if no_debug:
            # an INFO-level log (a Lambda function's): botocore logs no answer below DEBUG
            return "not logged"
        return "cut off" if cut else "no answer"
    if r.attempts:
        # answered with no error, its status line not logged (urllib3's logger was not on:
        # `boto3.set_stream_logger('botocore')`, or old botocore): the answer is in the log
        return "answered"
    return "not in log"


def _waiting(r: LogRequest) -> bool:
    """Still waiting for an answer when the log ends."""
    return bool(r.attempts) and not r.attempts[-1].answered


def _took(r: LogRequest) -> str:
    if _waiting(r) and r.duration_s is not None:
        return f"≥{r.duration_s:.1f}s"  # still waiting when the log ends
    return f"{r.duration_s:.1f}s" if r.duration_s else ""


def requests_section(report: Report) -> str:
    rows = []
    cut = report.log is not None and report.log.truncated
    no_debug = report.log is not None and report.log.debug_records == 0
    for r in report.requests[:MAX_ROWS]:
        rows.append(
            [
                r.index,
                r.first_line,
                f"{r.service or '?'}.{r.operation or '?'}",
                # (redacted before the layout: a secret pasted as the region would keep
                # its width after the whole table's redaction)
                redact(r.client_region or r.param_region or ""),
                r.host or "",
                r.signing_region or "",
                len(r.attempts) or "",
                _outcome(r, cut, no_debug),
                _took(r),
            ]
        )
    head = [
        "#",
        "line",
        "operation",
        "client region",
        "host",
        "signed for",
        "tries",
        "result",
        "took",
    ]
    out = tabulate(rows, headers=head, tablefmt="simple")
    more = report.requests_total - min(len(report.requests), MAX_ROWS)
    if more > 0:
        out += f"\n… {more} more requests (see --output json)"
    return out


def findings_section(report: Report) -> str:
    if not report.findings:
        return "No findings."
    parts = []
    for f in report.findings:
        times = f" (×{f.count})" if f.count > 1 else ""
        lines = [f"{f.severity.value.upper():7} {f.code} {f.name}{times}", f"        {f.message}"]
        for e in f.evidence:
            loc = (
                f"line {e.line}"
                if e.line
                else " ".join(x for x in (e.endpoint, e.address, e.layer) if x)
            )
            lines.append(f"        ↳ {loc}: {e.excerpt}" if loc else f"        ↳ {e.excerpt}")
        lines.append(f"        fix: {f.fix}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def recommendation_section(rec: Recommendation | None) -> str:
    if rec is None:
        return ""
    if rec.region is None or rec.endpoint_url is None:
        return f"Recommendation: cannot tell. {rec.note}"
    lines = [
        f"Recommendation: region {rec.region}, endpoint {rec.endpoint_url}"
        + (f" (via {rec.via.value})" if rec.via else ""),
    ]
    if rec.note:
        lines.append(f"  {rec.note}")
    if rec.reasons:
        lines.append("  because: " + ", ".join(rec.reasons))
    for o in rec.other_endpoints:
        lines.append(f"  {o.service} endpoint for {o.region}: {o.url}")
    lines.append("  environment:")
    lines += [f"    {s}" for s in rec.settings]
    lines.append("  ~/.aws/config:")
    lines += [f"    {s}" if s else "" for s in rec.config_snippet.rstrip("\n").split("\n")]
    lines.append("  aws CLI:")
    lines.append(f"    {rec.cli}")
    return "\n".join(lines)


def render(report: Report) -> str:
    parts: list[str] = []
    if report.command == "parse-log" and report.log is not None:
        lg = report.log
        ver = ", ".join(lg.versions) or "unknown versions"
        parts.append(
            f"{lg.source}: {counted(lg.lines, 'line')}, {counted(lg.sdk_records, 'SDK record')}, "
            f"{counted(report.requests_total, 'request')} ({ver})"
            + (" [truncated]" if lg.truncated else "")
        )
        if report.requests:
            parts.append(requests_section(report))
    elif report.endpoints or report.context is not None:
        from stsdiag.render import probe_table

        parts.append(probe_table.endpoints_section(report))
    if report.expectations:
        rows = [
            ["PASS" if e.passed else "FAIL", e.name, e.expected, e.actual, e.message]
            for e in report.expectations
        ]
        parts.append(tabulate(rows, headers=["", "expectation", "expected", "actual", "detail"]))
    parts.append(findings_section(report))
    rec = recommendation_section(report.recommendation)
    if rec:
        parts.append(rec)
    if report.extra:
        parts.append(", ".join(f"{k}: {v}" for k, v in report.extra))
    return redact("\n\n".join(parts)) + "\n"
