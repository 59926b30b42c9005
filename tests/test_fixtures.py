"""Every real fixture log: the findings its case file expects (and none it forbids), the
recommended region and endpoint, and the snapshot in fixtures/expected/ (refresh with
`make snapshots`)."""

from __future__ import annotations

import json

import pytest

from stsdiag.parselog import ParseOptions, parse_path
from stsdiag.render.json import as_dict
from tests.helpers import EXPECTED, Case, cases

CASES = cases()


def test_there_are_real_fixtures() -> None:
    assert len(CASES) >= 9
    assert all(not c.meta.get("hand_typed") or "why" in c.meta for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_expectations(case: Case) -> None:
    rep = parse_path(str(case.log), ParseOptions())
    codes = {f.code for f in rep.findings}
    exp = case.expect
    missing = set(exp.get("codes", [])) - codes
    assert not missing, f"{case.name}: missing {missing}; got {sorted(codes)}"
    forbidden = set(exp.get("absent", [])) & codes
    assert not forbidden, f"{case.name}: must not report {forbidden}"
    rec = rep.recommendation
    assert rec is not None
    if "region" in exp:
        assert rec.region == exp["region"], rec.note
    if "endpoint_url" in exp:
        assert rec.endpoint_url == exp["endpoint_url"]
    # a request is rebuilt whenever the SDK made one (a credential chain that fails first,
    # as in the container-creds failure cases, leaves none)
    assert rep.requests_total >= 1 or b"Making request for" not in case.log.read_bytes()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_snapshot(case: Case) -> None:
    snap = EXPECTED / f"{case.name}.json"
    if not snap.exists():
        pytest.fail(f"no snapshot for {case.name}: run `make snapshots` and review the diff")
    got = snapshot_of(case)
    assert got == json.loads(snap.read_text()), (
        f"snapshot differs: run `make snapshots` to review ({snap})"
    )


SNAP_KEYS = (
    "service", "operation", "client_region", "host", "signing_region",
    "http_status", "error_code", "use_global_endpoint", "resource_regions",
)  # fmt: skip


def snapshot_of(case: Case) -> dict[str, object]:
    """The stable part of the report: findings (code, severity, message, evidence lines),
    the recommendation, and the reconstructed requests' key facts."""
    d = as_dict(parse_path(str(case.log), ParseOptions()))
    return {
        "findings": [
            {
                "code": f["code"],
                "severity": f["severity"],
                "message": f["message"],
                "lines": [e["line"] for e in f["evidence"]],
                "count": f["count"],
            }
            for f in d["findings"]
        ],
        "recommendation": d["recommendation"],
        "requests": [
            {k: r[k] for k in SNAP_KEYS} | {"attempts": [a["error"] for a in r["attempts"]]}
            for r in d["requests"]
        ],
        "exit_status": d["exit_status"],
    }
