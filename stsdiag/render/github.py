"""Report → CI text: GitHub Actions annotations (workflow commands) and the `--quiet` list of
failures. Pure; the CLI decides where they go.

Workflow-command escaping (as @actions/core does): in the message `%`→`%25`, CR→`%0D`,
LF→`%0A`; in property values also `:`→`%3A` and `,`→`%2C`."""

from __future__ import annotations

from stsdiag.models import ExpectationResult, Finding, Report, Severity
from stsdiag.redact import redact

MAX_EVIDENCE = 3


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, title: str, message: str) -> str:
    """One workflow command line, e.g. `::error title=T::M` (secrets redacted)."""
    return f"::{kind} title={escape_property(redact(title))}::{escape_data(redact(message))}"


def _failed(report: Report) -> tuple[list[ExpectationResult], list[Finding]]:
    return (
        [e for e in report.expectations if not e.passed],
        [f for f in report.findings if report.fails(f)],
    )


def _evidence(f: Finding) -> list[str]:
    out = []
    for e in f.evidence[:MAX_EVIDENCE]:
        where = (
            f"line {e.line}"
            if e.line
            else " ".join(x for x in (e.endpoint, e.address, e.layer) if x)
        )
        out.append(f"{where}: {e.excerpt}" if where else e.excerpt)
    return out


def _expectation_text(e: ExpectationResult) -> str:
    text = f"expected {e.expected}, got {e.actual}"
    if e.message:
        text += f": {e.message}"
    return text


def render(report: Report, *, quiet: bool = False) -> str:
    """`::error` for failed expectations and findings at/above --fail-on, `::warning` for
    other warnings and errors (none with `quiet`); info findings are not annotated."""
    lines: list[str] = []
    for e in report.expectations:
        if not e.passed:
            msg = _expectation_text(e) + (f"\nfix: {e.fix}" if e.fix else "")
            lines.append(command("error", f"stsdiag {report.command}: {e.name}", msg))
    for f in report.findings:
        failing = report.fails(f)
        if not failing and (quiet or f.severity is Severity.INFO):
            continue
        msg = "\n".join([f.message, *_evidence(f), f"fix: {f.fix}"])
        title = f"stsdiag {report.command}: {f.code} {f.name}"
        lines.append(command("error" if failing else "warning", title, msg))
    return "".join(line + "\n" for line in lines)


def failures(report: Report) -> str:
    """The `--quiet` table: failed expectations and failing findings, nothing else (empty
    when the run passes)."""
    exps, finds = _failed(report)
    lines: list[str] = []
    for e in exps:
        lines.append(f"FAIL  {e.name}: {_expectation_text(e)}")
        if e.fix:
            lines.append(f"      fix: {e.fix}")
    for f in finds:
        lines.append(f"{f.severity.value.upper():5} {f.code} {f.name}: {f.message}")
        lines += [f"      ↳ {x}" for x in _evidence(f)]
        lines.append(f"      fix: {f.fix}")
    return redact("".join(line + "\n" for line in lines))
