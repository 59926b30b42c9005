"""Report → JSON (schema_version 1, see README). Generic over the frozen dataclasses."""

from __future__ import annotations

import dataclasses
import json
from enum import Enum
from typing import Any

from stsdiag import __version__
from stsdiag.models import Report
from stsdiag.redact import redact

SCHEMA_VERSION = 1


def to_jsonable(obj: Any) -> Any:
    if isinstance(obj, Enum):
        return obj.value
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        if "data" in out and isinstance(out["data"], list):  # key/value pairs → object
            out["data"] = {k: v for k, v in out["data"]}
        return out
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, str):
        return redact(obj)
    return obj


def as_dict(report: Report) -> dict[str, Any]:
    d: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "stsdiag", "version": __version__},
        "command": report.command,
        "fail_on": report.fail_on.value,
        "exit_status": int(report.exit_status),
        "summary": {
            sev: sum(1 for f in report.findings if f.severity.value == sev)
            for sev in ("error", "warning", "info")
        },
        "findings": to_jsonable(report.findings),
        "recommendation": to_jsonable(report.recommendation),
    }
    if report.command == "parse-log":
        reqs = []
        for r in report.requests:
            rd = to_jsonable(r)
            rd["duration_s"] = r.duration_s
            rd["evidence"] = rd.pop("refs")
            reqs.append(rd)
        d["requests"] = reqs
        d["requests_total"] = report.requests_total
        d["log"] = to_jsonable(report.log)
    else:
        d["endpoints"] = to_jsonable(report.endpoints)
        d["context"] = to_jsonable(report.context)
    if report.expectations:
        d["expectations"] = to_jsonable(report.expectations)
    for k, v in report.extra:
        d.setdefault(k, redact(v))
    return d


def render(report: Report) -> str:
    return redact(json.dumps(as_dict(report), indent=2, ensure_ascii=False)) + "\n"


def render_error(command: str, code: str, message: str, exit_status: int) -> str:
    """The document for a run that stopped before a report (unusable input, a bad option):
    what CI reads instead of nothing. No findings: the input was not diagnosed."""
    d = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "stsdiag", "version": __version__},
        "command": command,
        "exit_status": exit_status,
        "error": {"code": code, "message": message},
    }
    return redact(json.dumps(d, indent=2, ensure_ascii=False)) + "\n"
