"""Report → JUnit XML: one testsuite per report, one testcase per finding rule and one per
probed endpoint layer; failures carry the finding text and the fix."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from stsdiag.models import Report, Status, Where
from stsdiag.redact import redact
from stsdiag.rules.registry import RULES


def render(report: Report) -> str:
    suite = ET.Element("testsuite", name=f"stsdiag {report.command}")
    cases = 0
    failures = 0
    skipped = 0
    side = Where.LOG if report.command == "parse-log" else Where.PROBE
    for info in RULES:
        if info.where not in (side, Where.BOTH) or info.code == "SD001":
            continue
        cases += 1
        tc = ET.SubElement(
            suite,
            "testcase",
            classname=f"stsdiag.{report.command}",
            name=f"{info.code} {info.name}",
        )
        hits = [f for f in report.findings if f.code == info.code]
        if not hits:
            continue
        worst = max(hits, key=lambda f: f.severity.rank)
        text = "\n\n".join(
            f"{f.message}\nevidence: "
            + "; ".join(
                (f"line {e.line}: " if e.line else "")
                + " ".join(x for x in (e.endpoint, e.address, e.layer) if x)
                + (" " if (e.endpoint or e.address or e.layer) else "")
                + e.excerpt
                for e in f.evidence
            )
            + f"\nfix: {f.fix}"
            for f in hits
        )
        if worst.severity.rank >= report.fail_on.rank:
            failures += 1
            el = ET.SubElement(
                tc, "failure", message=redact(worst.message), type=worst.severity.value
            )
            el.text = redact(text)
        else:
            out = ET.SubElement(tc, "system-out")
            out.text = redact(text)
    for ep in report.endpoints:
        url = ep.target.url.rstrip("/")
        rows = [(None, ep.dns)] + [(a.address, lr) for a in ep.addresses or () for lr in a.layers]
        for address, lr in rows:
            cases += 1
            name = f"{address} {lr.layer.value}" if address else f"dns via {ep.resolver}"
            tc = ET.SubElement(
                suite, "testcase", classname=f"stsdiag.probe.{ep.target.host}", name=name,
                time=f"{(lr.ms or 0) / 1000:.3f}",
            )  # fmt: skip
            if lr.status is Status.SKIPPED:
                skipped += 1
                ET.SubElement(tc, "skipped", message=redact(lr.detail or "skipped"))
                continue
            if lr.status is Status.OK:
                continue
            related = [
                f for f in report.findings
                if any((e.endpoint or "").rstrip("/") == url and e.address in (None, address)
                       and e.layer in (None, lr.layer.value) for e in f.evidence)
            ]  # fmt: skip
            text = f"{lr.status.value}: {lr.detail}" + "".join(
                f"\n{f.code} {f.name}: {f.message}\nfix: {f.fix}" for f in related
            )
            if related and not any(report.fails(f) for f in related):
                out = ET.SubElement(tc, "system-out")  # failed, but below --fail-on (unused path)
                out.text = redact(text)
                continue
            failures += 1
            el = ET.SubElement(
                tc,
                "failure",
                message=redact(f"{lr.status.value}: {lr.detail}"),
                type=lr.status.value,
            )
            el.text = redact(text)
    for ex in report.expectations:
        cases += 1
        tc = ET.SubElement(
            suite,
            "testcase",
            classname="stsdiag.check.expectations",
            name=f"{ex.name} {ex.expected}",
        )
        if not ex.passed:
            failures += 1
            el = ET.SubElement(
                tc,
                "failure",
                message=redact(ex.message or f"expected {ex.expected}, got {ex.actual}"),
                type="expectation",
            )
            el.text = redact(
                f"expected: {ex.expected}\nactual: {ex.actual}\n{ex.message}\nfix: {ex.fix}"
            )
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    root = ET.Element(
        "testsuites",
        name="stsdiag",
        tests=str(cases),
        failures=str(failures),
        errors="0",
    )
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render_error(command: str, code: str, name: str, message: str) -> str:
    """One failing testcase for a run that stopped before a report (unusable input, a bad
    option), so that CI shows the failure instead of an empty or missing file."""
    root = ET.Element("testsuites", name="stsdiag", tests="1", failures="1", errors="0")
    suite = ET.SubElement(
        root, "testsuite", name=f"stsdiag {command}", tests="1", failures="1", errors="0",
        skipped="0",
    )  # fmt: skip
    tc = ET.SubElement(
        suite, "testcase", classname=f"stsdiag.{command}", name=f"{code} {name}" if name else code
    )
    el = ET.SubElement(tc, "failure", message=redact(message), type=code)
    el.text = redact(message)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
