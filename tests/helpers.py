"""Shared test helpers: fixture cases and in-process CLI runs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stsdiag.cli import run

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
LOGS = FIXTURES / "logs"
CASES = FIXTURES / "cases"
EXPECTED = FIXTURES / "expected"
SEED = FIXTURES / "seed" / "seed-log.txt"


@dataclass(frozen=True)
class Case:
    name: str
    log: Path
    meta: dict[str, Any]

    @property
    def expect(self) -> dict[str, Any]:
        e = self.meta.get("expect", {})
        return e if isinstance(e, dict) else {}


def cases() -> list[Case]:
    out = []
    for p in sorted(CASES.glob("*.json")):
        meta = json.loads(p.read_text())
        log = LOGS / f"{p.stem}.log"
        if log.exists():
            out.append(Case(p.stem, log, meta))
    return out


def awscli_logs() -> list[Path]:
    return [c.log for c in cases() if c.meta.get("format") == "awscli-debug"]


def diagnosis(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Any, ...]:
    """What a paste must keep of a log's diagnosis: finding codes, recommended region and
    endpoint, the request count and each request's host, operation and tries (JSON output)."""
    code = run(["parse-log", str(path), "--output", "json", "--fail-on", "never"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0, doc
    rec = doc["recommendation"] or {}
    return (
        sorted(f["code"] for f in doc["findings"]),
        rec.get("region"),
        rec.get("endpoint_url"),
        doc["requests_total"],
        [(r["host"], r["operation"], len(r["attempts"])) for r in doc["requests"]],
    )


def parse(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """`parse-log --output json` of a paste `text`: the report as a dict (exit 0 asserted)."""
    log = tmp_path / "paste.log"
    log.write_text(text)
    code = run(["parse-log", str(log), "--output", "json", "--fail-on", "never"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc


def finding(doc: dict[str, Any], code: str) -> dict[str, Any]:
    """The report's first finding with that code."""
    return next(f for f in doc["findings"] if f["code"] == code)


def codes(doc: dict[str, Any]) -> list[str]:
    return [f["code"] for f in doc["findings"]]


def refused(tmp_path: Path, text: str) -> bool:
    """True when parse-log refuses the paste `text` as no botocore log (SD001)."""
    from stsdiag.errors import InputError
    from stsdiag.parselog import ParseOptions, analyze

    p = tmp_path / "in.log"
    p.write_text(text)
    try:
        with p.open("rb") as f:
            analyze(f, str(p), ParseOptions())
    except InputError as e:
        assert "SD001" in str(e)
        return True
    return False
