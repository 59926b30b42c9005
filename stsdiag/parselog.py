"""parse-log: stream a debug log → requests → findings → recommendation → Report."""

from __future__ import annotations

import gzip
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from stsdiag import endpoints
from stsdiag.errors import InputError, UsageError
from stsdiag.logparse.records import ReadStats, iter_records
from stsdiag.logparse.requests import Reconstructor
from stsdiag.models import FailOn, LogFacts, LogRequest, Report
from stsdiag.recommend import recommend_from_log
from stsdiag.report import Collector, run_guarded
from stsdiag.rules.log import LOG_RULES, REQUEST_RULES, Summary, observe

KEEP_REQUESTS = 500


@dataclass(frozen=True, slots=True)
class ParseOptions:
    region_hint: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: FailOn = FailOn.ERROR
    keep_requests: int = KEEP_REQUESTS


def open_input(path: str) -> tuple[BinaryIO, str]:
    """A binary stream for a path, `-` (stdin) or a gzip file (detected by magic bytes)."""
    if path == "-":
        raw: BinaryIO = sys.stdin.buffer
        name = "<stdin>"
    else:
        p = Path(path)
        if p.is_dir():
            raise InputError(f"{path}: is a directory, not a log file")
        try:
            raw = p.open("rb")
        except OSError as e:
            raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
        name = path
    buf: io.BufferedReader = (
        raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw, 1 << 20)  # type: ignore[arg-type]
    )
    if buf.peek(2)[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=buf, mode="rb"), name  # type: ignore[return-value]
    return buf, name


def analyze(stream: BinaryIO, source: str, opts: ParseOptions) -> Report:
    if opts.region_hint is not None and not endpoints.is_known_region(opts.region_hint):
        near = endpoints.closest_region(opts.region_hint)
        raise UsageError(
            f"--region-hint {opts.region_hint!r} is not a known region"
            + (f" (did you mean {near}?)" if near else "")
        )
    stats = ReadStats()
    collector = Collector(opts.select, opts.ignore)
    summary = Summary()
    kept: list[LogRequest] = []
    rec = Reconstructor()
    truncated_note = ""
    try:
        for record in iter_records(stream, stats):
            for req in rec.feed(record):
                _take(req, kept, summary, collector, opts)
    except (gzip.BadGzipFile, EOFError, OSError, ValueError) as e:
        truncated_note = f"input ended early ({type(e).__name__})"
        stats.truncated_last_line = True
    for req in rec.finish():
        _take(req, kept, summary, collector, opts)
    if stats.sdk_records == 0:
        what = (
            "empty"
            if stats.bytes == 0
            else f"{stats.lines} lines, none from botocore/AWS CLI/urllib3"
        )
        raise InputError(
            f"{source}: not a botocore debug log ({what}) [SD001 not-a-botocore-log]; "
            "capture one with `aws ... --debug 2> debug.txt`"
        )
    ev = rec.events
    facts = LogFacts(
        source=source,
        lines=stats.lines,
        records=stats.records,
        sdk_records=stats.sdk_records,
        formats=tuple(sorted(stats.formats, key=lambda k: -stats.formats[k])),
        versions=tuple(ev.versions),
        credential_source=ev.credential_source
        or (
            f"{ev.looking_for[-1]} provider"
            if ev.looking_for
            and not any(e.tag == "no-credentials" for e in ev.events)
            and any(r.signing_region for r in kept)
            else None
        ),
        events=tuple(ev.events),
        truncated=stats.truncated_last_line,
        region_hint=opts.region_hint,
    )
    for name, rule in LOG_RULES:
        collector.add(run_guarded(name, lambda rule=rule: rule(facts, summary)))  # type: ignore[misc]
    findings = collector.findings()
    vpce = next(iter(summary.vpce_urls), None)
    recommendation = recommend_from_log(
        findings,
        summary.region_votes,
        region_hint=opts.region_hint,
        services=summary.services,
        vpce_url=vpce,
        via_proxy=summary.proxy_used,
    )
    extra = (("note", truncated_note),) if truncated_note else ()
    return Report(
        command="parse-log",
        findings=findings,
        recommendation=recommendation,
        fail_on=opts.fail_on,
        requests=tuple(kept),
        requests_total=summary.requests,
        log=facts,
        extra=extra,
    )


def _take(
    req: LogRequest,
    kept: list[LogRequest],
    summary: Summary,
    collector: Collector,
    opts: ParseOptions,
) -> None:
    observe(summary, req)
    if len(kept) < opts.keep_requests:
        kept.append(req)
    for name, rule in REQUEST_RULES:
        collector.add(run_guarded(name, lambda rule=rule: rule(req)))  # type: ignore[misc]


def parse_path(path: str, opts: ParseOptions) -> Report:
    stream, name = open_input(path)
    try:
        return analyze(stream, name, opts)
    finally:
        if path != "-":
            stream.close()
