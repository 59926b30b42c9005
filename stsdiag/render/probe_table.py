"""Probe results → text: the host context, then one row per endpoint × address with the
status and milliseconds of each layer; and the `stsdiag endpoints` map."""

from __future__ import annotations

from collections.abc import Iterable

from tabulate import tabulate

from stsdiag.enums import BLOCKING
from stsdiag.models import AddressResult, EndpointResult, Layer, LayerResult, Report, Status
from stsdiag.plan import MapRow

LAYERS = (Layer.TCP, Layer.TLS, Layer.HTTPS, Layer.STS)
_SHORT = {Status.OK: "ok", Status.FAIL: "FAIL", Status.TIMEOUT: "TIMEOUT", Status.SKIPPED: "-",
          Status.ERROR: "ERROR"}  # fmt: skip


def cell(r: LayerResult | None) -> str:
    if r is None:
        return ""
    if r.status is Status.SKIPPED and "through proxy" in r.detail:
        return "(via proxy)"
    text = _SHORT[r.status]
    if r.ms is not None and r.status is not Status.SKIPPED:
        text += f" {r.ms:.0f}ms"
    if r.status is Status.FAIL and r.error is not None:
        text += f" {r.error.value}"
    elif r.status is Status.FAIL and r.get("error_code"):
        text += f" {r.get('error_code')}"
    elif r.status is Status.FAIL and r.get("not_sts") == "true":
        text += " not-sts"
    elif r.layer is Layer.TLS and r.status is Status.OK and r.get("intercepted") == "true":
        text += " intercepted"
    return text


def _layer(a: AddressResult, layer: Layer) -> LayerResult | None:
    return next((r for r in a.layers if r.layer is layer), None)


def _endpoint_label(ep: EndpointResult) -> str:
    t = ep.target
    label = t.host if t.port in (443, 80) else f"{t.host}:{t.port}"
    marks = [t.kind.value]
    if t.sdk_would_use:
        marks.append("SDK")
    if ep.resolver != "system":
        marks.append(f"@{ep.resolver}")
    return f"{label} [{', '.join(marks)}]"


def _context_lines(report: Report) -> list[str]:
    ctx = report.context
    if ctx is None:
        return []
    rows = [
        [s.name, s.value if s.value is not None else "<unset>", s.source]
        for s in ctx.settings + ctx.imds
    ]
    rows.append(["resolvers", " ".join(ctx.resolvers) or "<none>", "/etc/resolv.conf"])
    out = [tabulate(rows, headers=["setting", "value", "source"], tablefmt="simple")]
    out += [f"note: {n}" for n in ctx.notes]
    return out


def endpoints_section(report: Report) -> str:
    """Context, then DNS/TCP/TLS/HTTPS/STS per endpoint × address (status and ms)."""
    rows: list[list[str]] = []
    details: list[str] = []
    for ep in report.endpoints:
        label = _endpoint_label(ep)
        dns = cell(ep.dns)
        source = ep.dns.get("source")
        if source and source != "DNS":  # the SDK's resolver answered other addresses than DNS
            dns += (
                " hosts" if source == "/etc/hosts" else " search" if "search" in source else " nss"
            )
            details.append(ep.dns.detail)
        if not ep.addresses:
            rows.append([label, "", "", dns, "", "", "", ""])
            if ep.dns.status is not Status.OK:
                details.append(f"{label}: {ep.dns.detail}")
        for i, a in enumerate(ep.addresses):
            first = i == 0
            sts_rows = [r for r in a.layers if r.layer is Layer.STS]
            rows.append([
                label if first else "",
                a.address,
                a.classification.value if a.family else "",
                dns if first else "",
                *(cell(_layer(a, layer)) for layer in LAYERS[:-1]),
                " / ".join(cell(r) for r in sts_rows) if sts_rows else "",
            ])  # fmt: skip
            bad = next(
                (r for r in a.layers if r.status in BLOCKING),
                None,
            )
            if bad is not None:
                details.append(f"{ep.target.host} {a.address} {bad.layer.value}: {bad.detail}")
            for r in sts_rows:
                if r.status is Status.OK:
                    details.append(f"{ep.target.host} {a.address} {r.get('operation')}: {r.detail}")
    head = ["endpoint", "address", "class", "dns", "tcp", "tls", "https", "sts"]
    parts = _context_lines(report)
    parts.append(
        tabulate(rows, headers=head, tablefmt="simple") if rows else "No endpoints probed."
    )
    if details:
        parts.append("\n".join(_dedupe(details)))
    return "\n\n".join(parts)


def _dedupe(lines: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def endpoint_map_table(rows: Iterable[MapRow]) -> str:
    """The `stsdiag endpoints` table; `*` marks the endpoint the SDK would use now."""
    body = [
        [
            "*" if r.sdk_would_use else "",
            r.partition,
            r.region or "(global)",
            r.kind.value,
            "opt-in" if r.opt_in else "",
            r.url,
        ]
        for r in rows
    ]
    return tabulate(
        body, headers=["sdk", "partition", "region", "kind", "opt-in", "url"], tablefmt="simple"
    )
